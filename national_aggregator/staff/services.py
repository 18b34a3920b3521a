"""National team accounts and sign-ins. Services never commit; every change is audit-logged.

A sign-in is checked the same way whether or not the address has an account
(same answer, same Argon2 work), so the sign-in form cannot be used to learn
who is on the national team; an account still waiting for its first password
is checked against the same dummy hash as an unknown address. The sign-in
form is rate limited in the views; failed attempts are in the audit log too.

Accounts are made by whoever runs the aggregator (`hubnet aggregator staff
add`): with a password read from standard input, or with no password and a
one-time set-password link valid for `NATIONAL_STAFF_PASSWORD_LINK_HOURS`.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from hubnet.passwords import hash_password, needs_rehash, password_problem, verify_password
from national_aggregator.db import utcnow
from national_aggregator.staff.audit import record_action
from national_aggregator.staff.models import (
    NO_PASSWORD,
    Role,
    StaffPasswordLink,
    StaffSession,
    StaffUser,
)

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
PASSWORD_LINK_HOURS = 72.0
MAX_TOKEN = 100  # longer than any token made here: refused before hashing


class StaffAccountError(ValueError):
    """An account that cannot be made or changed as asked; the message says why, for people.

    `field` names the form field or option it is about ("email", "name", "role", "password").
    """

    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.field = field


def normalise_email(email: str) -> str:
    return email.strip().lower()


def token_hash(token: str) -> str:
    """What is stored for a session or link token: its SHA-256, in hex."""
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def _usable_token(token: str) -> bool:
    return token.isascii() and 0 < len(token) <= MAX_TOKEN


def find_staff(session: Session, email: str) -> StaffUser | None:
    return session.scalar(select(StaffUser).where(StaffUser.email == normalise_email(email)))


def list_staff(session: Session) -> list[StaffUser]:
    return list(session.scalars(select(StaffUser).order_by(StaffUser.email)))


def _checked_new_account(session: Session, email: str, name: str, role: str) -> tuple[str, str]:
    """The normalised email and name of a new account (StaffAccountError says what is wrong)."""
    email = normalise_email(email)
    name = name.strip()
    if not EMAIL.fullmatch(email) or len(email) > 254:
        raise StaffAccountError(
            "Enter an email address in the correct format, like name@example.org", "email"
        )
    if not name or len(name) > 120:
        raise StaffAccountError("Enter a name of 1 to 120 characters", "name")
    if role not in {r.value for r in Role}:
        raise StaffAccountError(f"Choose a role: {', '.join(r.value for r in Role)}", "role")
    if find_staff(session, email) is not None:
        raise StaffAccountError(f"There is already a staff account for {email}", "email")
    return email, name


def add_staff(
    session: Session,
    *,
    email: str,
    name: str,
    role: str,
    password: str | None,
    by: StaffUser | None = None,
) -> StaffUser:
    """Create an account; with `password` None it cannot sign in until a link sets one."""
    email, name = _checked_new_account(session, email, name, role)
    if password is not None:
        problem = password_problem(password, email=email)
        if problem:
            raise StaffAccountError(problem, "password")
    staff = StaffUser(
        email=email,
        name=name,
        role=Role(role),
        password_hash=NO_PASSWORD if password is None else hash_password(password),
        active=True,
        created_at=utcnow(),
    )
    session.add(staff)
    session.flush()
    record_action(session, by, "staff-added", f"staff:{staff.id}", f"{email} as {role}")
    return staff


def authenticate(session: Session, email: str, password: str) -> StaffUser | None:
    """The active account these credentials open, or None (logged as a failed sign-in)."""
    staff = find_staff(session, email)
    usable = staff if staff is not None and staff.active and staff.has_password else None
    ok = verify_password(None if usable is None else usable.password_hash, password)
    if not ok or staff is None:
        record_action(session, staff, "login-failed", f"email:{normalise_email(email)[:100]}")
        return None
    if needs_rehash(staff.password_hash):
        staff.password_hash = hash_password(password)
    return staff


# -- sign-ins ----------------------------------------------------------------------------


def start_session(session: Session, staff: StaffUser, *, now: datetime | None = None) -> str:
    """Record a new sign-in; returns the random token for the browser's cookie."""
    token = secrets.token_urlsafe(32)
    now = now or utcnow()
    session.add(StaffSession(token_hash=token_hash(token), staff_id=staff.id, created_at=now))
    staff.last_login_at = now
    record_action(session, staff, "login", f"staff:{staff.id}")
    return token


def _session_row(session: Session, token: str) -> StaffSession | None:
    if not _usable_token(token):
        return None
    return session.scalar(select(StaffSession).where(StaffSession.token_hash == token_hash(token)))


def session_staff(
    session: Session, token: str, *, max_age: timedelta, now: datetime | None = None
) -> StaffUser | None:
    """The active member of staff signed in with this token, unless it ended or is too old."""
    row = _session_row(session, token)
    if row is None or row.ended_at is not None or not row.staff.active:
        return None
    if (now or utcnow()) - row.created_at >= max_age:
        return None
    return row.staff


def end_session(session: Session, token: str) -> StaffUser | None:
    """End this sign-in (logged); returns whose it was, if it was still open."""
    row = _session_row(session, token)
    if row is None or row.ended_at is not None:
        return None
    row.ended_at = utcnow()
    record_action(session, row.staff, "logout", f"staff:{row.staff_id}")
    return row.staff


def end_all_sessions(session: Session, staff: StaffUser, *, keep: str | None = None) -> None:
    """Sign this person out everywhere, except the sign-in with token `keep` if given."""
    query = update(StaffSession).where(
        StaffSession.staff_id == staff.id, StaffSession.ended_at.is_(None)
    )
    if keep is not None and _usable_token(keep):
        query = query.where(StaffSession.token_hash != token_hash(keep))
    session.execute(query.values(ended_at=utcnow()))


# -- passwords ---------------------------------------------------------------------------


def issue_password_link(
    session: Session,
    staff: StaffUser,
    *,
    by: StaffUser | None,
    hours: float = PASSWORD_LINK_HOURS,
) -> str:
    """A new one-time set-password token for `staff` (any older unused link stops working).

    Only the token's SHA-256 is stored; the caller shows the token once.
    """
    session.execute(
        delete(StaffPasswordLink).where(
            StaffPasswordLink.staff_id == staff.id, StaffPasswordLink.used_at.is_(None)
        )
    )
    token = secrets.token_urlsafe(32)
    now = utcnow()
    session.add(
        StaffPasswordLink(
            staff_id=staff.id,
            token_hash=token_hash(token),
            created_at=now,
            expires_at=now + timedelta(hours=hours),
        )
    )
    session.flush()
    record_action(
        session, by, "password-link-issued", f"staff:{staff.id}", f"valid for {hours:g} hours"
    )
    return token


def password_link(
    session: Session, token: str, *, now: datetime | None = None
) -> StaffPasswordLink | None:
    """The unused, unexpired link for this token whose account is active, or None."""
    if not _usable_token(token):
        return None
    link = session.scalar(
        select(StaffPasswordLink).where(StaffPasswordLink.token_hash == token_hash(token))
    )
    if link is None or link.used_at is not None or not link.staff.active:
        return None
    if (now or utcnow()) >= link.expires_at:
        return None
    return link


def use_password_link(session: Session, token: str, password: str) -> StaffUser:
    """Set the password through a one-time link; the link is used up and every sign-in ends.

    StaffAccountError says why not (an unknown, used or expired link, or a weak password).
    """
    link = password_link(session, token)
    if link is None:
        raise StaffAccountError(
            "This link has expired or has already been used. Ask a national admin for a new one"
        )
    staff = link.staff
    problem = password_problem(password, email=staff.email)
    if problem:
        raise StaffAccountError(problem, "password")
    staff.password_hash = hash_password(password)
    link.used_at = utcnow()
    end_all_sessions(session, staff)
    record_action(session, staff, "password-set", f"staff:{staff.id}")
    return staff


def change_password(
    session: Session, staff: StaffUser, current: str, new: str, *, keep_token: str | None
) -> None:
    """Change one's own password, proving the current one; every other sign-in ends."""
    if not verify_password(staff.password_hash if staff.has_password else None, current):
        record_action(session, staff, "password-change-failed", f"staff:{staff.id}")
        raise StaffAccountError("Enter your current password correctly", "current")
    problem = password_problem(new, email=staff.email)
    if problem:
        raise StaffAccountError(problem, "password")
    staff.password_hash = hash_password(new)
    end_all_sessions(session, staff, keep=keep_token)
    record_action(session, staff, "password-changed", f"staff:{staff.id}")


def set_active(session: Session, staff: StaffUser, active: bool, *, by: StaffUser | None) -> bool:
    """Disable (every sign-in ends at once) or enable an account; False if nothing changed."""
    if staff.active is active:
        return False
    if not active:
        end_all_sessions(session, staff)
    staff.active = active
    record_action(session, by, "staff-enabled" if active else "staff-disabled", f"staff:{staff.id}")
    return True
