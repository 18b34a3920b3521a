"""Staff accounts and sign-ins. Services never commit; every change is audit-logged.

A sign-in is checked the same way whether or not the address has an account
(same message, same Argon2 work), so the sign-in form cannot be used to learn
who works at the hub (an account still waiting for its first password is
checked against the same dummy hash as an unknown address). The sign-in forms
are rate limited in the views (`hub.limits`, "login"); failed attempts are in
the audit log too.

Accounts made on the staff pages (`invite_staff`) start with no password and a
one-time set-password link valid for `STAFF_PASSWORD_LINK_HOURS` (72); an admin
can issue a new link (which also serves as a password reset), change a role,
disable or enable an account, and reset someone's two-step sign-in. Each person
can change their own password by giving the current one (`change_password`). There is
always at least one active admin: the last one cannot be disabled or demoted.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from hub.db import utcnow
from hub.staff import totp
from hub.staff.audit import record_action
from hub.staff.models import (
    NO_PASSWORD,
    Role,
    StaffAction,
    StaffPasswordLink,
    StaffSession,
    StaffUser,
)
from hub.staff.passwords import hash_password, needs_rehash, password_problem, verify_password
from hubnet.tokens import new_token, usable_token
from hubnet.tokens import token_hash as _token_hash

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


PASSWORD_LINK_HOURS = 72


class StaffAccountError(ValueError):
    """An account that cannot be made or changed as asked; the message says why.

    `field` names the form field it is about ("email", "name", "role", "password"), if any.
    """

    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.field = field


class TotpError(ValueError):
    """A two-step sign-in change that cannot be made; the message says why, for the person."""


def normalise_email(email: str) -> str:
    return email.strip().lower()


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
    password: str,
    by: StaffUser | None = None,
) -> StaffUser:
    """Create a staff account (raises StaffAccountError with a reason for people)."""
    problem = password_problem(password, email=normalise_email(email))
    email, name = _checked_new_account(session, email, name, role)
    if problem:
        raise StaffAccountError(problem)
    staff = StaffUser(
        email=email,
        name=name,
        role=Role(role),
        password_hash=hash_password(password),
        active=True,
        created_at=utcnow(),
    )
    session.add(staff)
    session.flush()
    record_action(session, by, "staff-added", f"staff:{staff.id}", f"{email} as {role}")
    return staff


def invite_staff(
    session: Session,
    *,
    email: str,
    name: str,
    role: str,
    by: StaffUser | None,
    hours: float = PASSWORD_LINK_HOURS,
) -> tuple[StaffUser, str]:
    """Create an account with no password yet; returns it and its one-time set-password token."""
    email, name = _checked_new_account(session, email, name, role)
    staff = StaffUser(
        email=email,
        name=name,
        role=Role(role),
        password_hash=NO_PASSWORD,
        active=True,
        created_at=utcnow(),
    )
    session.add(staff)
    session.flush()
    record_action(session, by, "staff-added", f"staff:{staff.id}", f"{email} as {role}")
    token = issue_password_link(session, staff, by=by, hours=hours)
    return staff, token


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


def start_session(session: Session, staff: StaffUser) -> str:
    """Record a new sign-in; returns the random token for the browser's cookie."""
    token = new_token()
    now = utcnow()
    session.add(StaffSession(token_hash=_token_hash(token), staff_id=staff.id, created_at=now))
    staff.last_login_at = now
    record_action(session, staff, "login", f"staff:{staff.id}")
    session.flush()
    return token


def session_staff(session: Session, token: str, *, max_age: timedelta) -> StaffUser | None:
    """The active staff member signed in with this token, unless it ended or is too old."""
    if not token.isascii():
        return None
    row = session.scalar(select(StaffSession).where(StaffSession.token_hash == _token_hash(token)))
    if row is None or row.ended_at is not None or not row.staff.active:
        return None
    if utcnow() - row.created_at > max_age:
        return None
    return row.staff


def end_session(session: Session, token: str, *, at: datetime | None = None) -> StaffUser | None:
    """End this sign-in (logged); returns whose it was, if it was still open."""
    if not token.isascii():
        return None
    row = session.scalar(select(StaffSession).where(StaffSession.token_hash == _token_hash(token)))
    if row is None or row.ended_at is not None:
        return None
    row.ended_at = at or utcnow()
    record_action(session, row.staff, "logout", f"staff:{row.staff_id}")
    return row.staff


def end_all_sessions(session: Session, staff: StaffUser, *, keep: str | None = None) -> None:
    """Sign this person out everywhere, except the sign-in with token `keep` if given.

    For a disabled account or a changed password.
    """
    query = update(StaffSession).where(
        StaffSession.staff_id == staff.id, StaffSession.ended_at.is_(None)
    )
    if keep is not None and usable_token(keep):
        query = query.where(StaffSession.token_hash != _token_hash(keep))
    session.execute(query.values(ended_at=utcnow()))


# -- set-password links ------------------------------------------------------------------


def issue_password_link(
    session: Session, staff: StaffUser, *, by: StaffUser | None, hours: float = PASSWORD_LINK_HOURS
) -> str:
    """A new one-time set-password token for `staff` (any older unused link stops working).

    Only the token's SHA-256 is stored; the caller shows or emails the token once.
    """
    session.execute(
        delete(StaffPasswordLink).where(
            StaffPasswordLink.staff_id == staff.id, StaffPasswordLink.used_at.is_(None)
        )
    )
    token = new_token()
    now = utcnow()
    session.add(
        StaffPasswordLink(
            staff_id=staff.id,
            token_hash=_token_hash(token),
            created_at=now,
            expires_at=now + timedelta(hours=hours),
            created_by_id=None if by is None else by.id,
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
    if not usable_token(token):
        return None
    link = session.scalar(
        select(StaffPasswordLink).where(StaffPasswordLink.token_hash == _token_hash(token))
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
            "This link has expired or has already been used. Ask a hub admin for a new one"
        )
    staff = link.staff
    problem = password_problem(password, email=staff.email)
    if problem:
        raise StaffAccountError(problem)
    staff.password_hash = hash_password(password)
    link.used_at = utcnow()
    end_all_sessions(session, staff)
    record_action(session, staff, "password-set", f"staff:{staff.id}")
    return staff


def change_password(
    session: Session, staff: StaffUser, current: str, new: str, *, keep_token: str | None
) -> None:
    """Change one's own password, proving the current one; every other sign-in ends.

    StaffAccountError says why not: a wrong current password (recorded in the
    audit log, so the caller commits that line and nothing else) or a weak new one.
    """
    if not verify_password(staff.password_hash if staff.has_password else None, current):
        record_action(session, staff, "password-change-failed", f"staff:{staff.id}")
        raise StaffAccountError("Enter your current password correctly", "current")
    problem = password_problem(new, email=staff.email)
    if problem:
        raise StaffAccountError(problem, "password")
    staff.password_hash = hash_password(new)
    end_all_sessions(session, staff, keep=keep_token)
    record_action(session, staff, "password-changed", f"staff:{staff.id}")


# -- roles and disabling -----------------------------------------------------------------


def _other_active_admins(session: Session, staff: StaffUser) -> int:
    query = select(func.count(StaffUser.id)).where(
        StaffUser.role == Role.ADMIN, StaffUser.active.is_(True), StaffUser.id != staff.id
    )
    return session.scalar(query) or 0


def change_role(session: Session, staff: StaffUser, role: str, *, by: StaffUser) -> bool:
    """Give `staff` another role (False if it is the one they have). Keeps one admin at least."""
    if role not in {r.value for r in Role}:
        raise StaffAccountError(f"Choose a role: {', '.join(r.value for r in Role)}")
    new = Role(role)
    if new is staff.role:
        return False
    if staff.role is Role.ADMIN and staff.active and _other_active_admins(session, staff) == 0:
        raise StaffAccountError("This is the only active admin: make someone else an admin first")
    old = staff.role
    staff.role = new
    record_action(
        session, by, "staff-role-changed", f"staff:{staff.id}", f"{old.value} to {new.value}"
    )
    return True


def set_active(session: Session, staff: StaffUser, active: bool, *, by: StaffUser) -> bool:
    """Disable (every sign-in ends at once) or enable an account; False if nothing changed."""
    if staff.active is active:
        return False
    if not active:
        if staff.id == by.id:
            raise StaffAccountError("You cannot disable your own account")
        if staff.role is Role.ADMIN and _other_active_admins(session, staff) == 0:
            raise StaffAccountError("This is the only active admin")
        end_all_sessions(session, staff)
    staff.active = active
    record_action(session, by, "staff-enabled" if active else "staff-disabled", f"staff:{staff.id}")
    return True


# -- two-step sign-in (TOTP) -------------------------------------------------------------


def start_totp(session: Session, staff: StaffUser, *, secret_key: str) -> str:
    """Begin setting up two-step sign-in: a new secret, stored sealed but not yet in use.

    Refused while it is on (turn it off first, with a code), so someone who
    finds a signed-in browser cannot quietly replace the owner's authenticator.
    """
    if staff.totp_enabled:
        raise TotpError("Two-step sign-in is already on")
    secret = totp.new_secret()
    staff.totp_secret = totp.seal(secret, staff, secret_key)
    staff.totp_enabled_at = None
    staff.totp_last_step = None
    record_action(session, staff, "totp-setup-started", f"staff:{staff.id}")
    return secret


def pending_totp_secret(staff: StaffUser, *, secret_key: str) -> str | None:
    """The secret being set up (not yet confirmed), or None."""
    if staff.totp_enabled or staff.totp_secret is None:
        return None
    try:
        return totp.unseal(staff.totp_secret, staff, secret_key)
    except totp.TotpUnreadable:
        return None


def confirm_totp(session: Session, staff: StaffUser, code: str, *, secret_key: str) -> None:
    """Turn two-step sign-in on once the person proves their app shows the right codes."""
    secret = pending_totp_secret(staff, secret_key=secret_key)
    if secret is None:
        raise TotpError("Start setting up two-step sign-in again")
    if totp.normalise_code(code) is None:
        raise TotpError("Enter the 6-digit code from your authenticator app")
    step = totp.matching_step(secret, code, after=None)
    if step is None:
        raise TotpError(
            "The code is not right. Check the time on your phone and try the newest code"
        )
    staff.totp_enabled_at = utcnow()
    staff.totp_last_step = step
    record_action(session, staff, "totp-enabled", f"staff:{staff.id}")


def _locked(session: Session, staff: StaffUser) -> StaffUser:
    """The account re-read under a row lock (PostgreSQL): two requests with one code queue up."""
    query = (
        select(StaffUser)
        .where(StaffUser.id == staff.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return session.scalars(query).one()


def check_totp(session: Session, staff: StaffUser, code: str, *, secret_key: str) -> bool:
    """Whether `code` is a fresh right code for this person (it cannot be used again after)."""
    staff = _locked(session, staff)
    if not staff.totp_enabled or staff.totp_secret is None:
        return False
    try:
        secret = totp.unseal(staff.totp_secret, staff, secret_key)
    except totp.TotpUnreadable:
        return False
    step = totp.matching_step(secret, code, after=staff.totp_last_step)
    if step is None:
        return False
    staff.totp_last_step = step
    return True


def failed_codes_since(session: Session, staff: StaffUser, since: datetime) -> int:
    """Wrong sign-in codes this person's sign-ins have had since `since` (from the audit log)."""
    query = select(func.count(StaffAction.id)).where(
        StaffAction.staff_id == staff.id,
        StaffAction.action == "totp-failed",
        StaffAction.at >= since,
    )
    return session.scalar(query) or 0


def disable_totp(session: Session, staff: StaffUser, code: str, *, secret_key: str) -> None:
    """Turn off one's own two-step sign-in, proving it with a current code."""
    if not staff.totp_enabled:
        raise TotpError("Two-step sign-in is not on")
    if not check_totp(session, staff, code, secret_key=secret_key):
        raise TotpError("Enter a current 6-digit code from your authenticator app")
    _clear_totp(staff)
    record_action(session, staff, "totp-disabled", f"staff:{staff.id}")


def reset_totp(session: Session, staff: StaffUser, *, by: StaffUser | None) -> bool:
    """An admin turns off someone's two-step sign-in (a lost phone); False if it was off."""
    if staff.totp_secret is None and staff.totp_enabled_at is None:
        return False
    _clear_totp(staff)
    record_action(session, by, "totp-reset", f"staff:{staff.id}")
    return True


def _clear_totp(staff: StaffUser) -> None:
    staff.totp_secret = None
    staff.totp_enabled_at = None
    staff.totp_last_step = None
