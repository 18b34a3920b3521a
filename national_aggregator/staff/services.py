"""National team accounts and sign-ins. Services never commit; every change is audit-logged.

A sign-in is checked the same way whether or not the address has an account
(same answer, same Argon2 work), so the sign-in form cannot be used to learn
who is on the national team; an account still waiting for its first password
is checked against the same dummy hash as an unknown address. The sign-in
form is rate limited in the views; failed attempts are in the audit log too.

Accounts are made by whoever runs the aggregator (`hubnet aggregator staff
add`): with a password read from standard input, or with no password and a
one-time set-password link valid for `NATIONAL_STAFF_PASSWORD_LINK_HOURS`; or
by an admin on /staff/users (`invite_staff`), always with a link. An admin can
issue a new link (which also serves as a password reset), change a role,
disable or enable an account, and reset someone's two-step sign-in. There is
always at least one active admin: the last one cannot be disabled or demoted.

Two-step sign-in (TOTP) is optional per person; the codes, the QR code and
the sealing of the secret are `hubnet.totp`'s (shared with the hub). Tokens
(sign-in cookies, set-password links) are `hubnet.tokens`': random, and only
their SHA-256 is stored.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from hubnet import totp
from hubnet.passwords import hash_password, needs_rehash, password_problem, verify_password
from hubnet.tokens import new_token, token_hash, usable_token
from national_aggregator.db import utcnow
from national_aggregator.staff.audit import record_action
from national_aggregator.staff.models import (
    NO_PASSWORD,
    Role,
    StaffAction,
    StaffPasswordLink,
    StaffSession,
    StaffUser,
)

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
PASSWORD_LINK_HOURS = 72.0
TOTP_INFO = b"hubnet national staff TOTP secret v1"  # HKDF label: not the hub's key


class StaffAccountError(ValueError):
    """An account that cannot be made or changed as asked; the message says why, for people.

    `field` names the form field or option it is about ("email", "name", "role", "password").
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
    staff = add_staff(session, email=email, name=name, role=role, password=None, by=by)
    return staff, issue_password_link(session, staff, by=by, hours=hours)


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
    token = new_token()
    now = now or utcnow()
    session.add(StaffSession(token_hash=token_hash(token), staff_id=staff.id, created_at=now))
    staff.last_login_at = now
    record_action(session, staff, "login", f"staff:{staff.id}")
    return token


def _session_row(session: Session, token: str) -> StaffSession | None:
    if not usable_token(token):
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
    if keep is not None and usable_token(keep):
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
    token = new_token()
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
    if not usable_token(token):
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


# -- roles and disabling -----------------------------------------------------------------


def _other_active_admins(session: Session, staff: StaffUser) -> int:
    query = select(func.count(StaffUser.id)).where(
        StaffUser.role == Role.ADMIN, StaffUser.active.is_(True), StaffUser.id != staff.id
    )
    return session.scalar(query) or 0


def change_role(session: Session, staff: StaffUser, role: str, *, by: StaffUser | None) -> bool:
    """Give `staff` another role (False if it is the one they have). Keeps one admin at least."""
    if role not in {r.value for r in Role}:
        raise StaffAccountError(f"Choose a role: {', '.join(r.value for r in Role)}", "role")
    new = Role(role)
    if new is staff.role:
        return False
    if staff.role is Role.ADMIN and staff.active and _other_active_admins(session, staff) == 0:
        raise StaffAccountError(
            "This is the only active admin: make someone else an admin first", "role"
        )
    old = staff.role
    staff.role = new
    record_action(
        session, by, "staff-role-changed", f"staff:{staff.id}", f"{old.value} to {new.value}"
    )
    return True


def set_active(session: Session, staff: StaffUser, active: bool, *, by: StaffUser | None) -> bool:
    """Disable (every sign-in ends at once) or enable an account; False if nothing changed.

    Refused for one's own account (from the pages) and for the only active admin.
    """
    if staff.active is active:
        return False
    if not active:
        if by is not None and staff.id == by.id:
            raise StaffAccountError("You cannot disable your own account")
        if staff.role is Role.ADMIN and _other_active_admins(session, staff) == 0:
            raise StaffAccountError(
                "This is the only active admin: make someone else an admin first"
            )
        end_all_sessions(session, staff)
    staff.active = active
    record_action(session, by, "staff-enabled" if active else "staff-disabled", f"staff:{staff.id}")
    return True


# -- two-step sign-in (TOTP) -------------------------------------------------------------


def _totp_associated(staff: StaffUser) -> bytes:
    return f"staff_user:{staff.id}".encode("ascii")


def seal_totp_secret(secret: str, staff: StaffUser, secret_key: str | bytes) -> str:
    """The secret encrypted for this person's row with a key from the aggregator's SECRET_KEY."""
    return totp.seal(
        secret, secret_key=secret_key, info=TOTP_INFO, associated=_totp_associated(staff)
    )


def unseal_totp_secret(stored: str, staff: StaffUser, secret_key: str | bytes) -> str:
    """The secret on this person's row; `hubnet.totp.TotpUnreadable` if this key cannot open it."""
    return totp.unseal(
        stored, secret_key=secret_key, info=TOTP_INFO, associated=_totp_associated(staff)
    )


def start_totp(session: Session, staff: StaffUser, *, secret_key: str) -> str:
    """Begin setting up two-step sign-in: a new secret, stored sealed but not yet in use.

    Refused while it is on (turn it off first, with a code), so someone who
    finds a signed-in browser cannot quietly replace the owner's authenticator.
    """
    if staff.totp_enabled:
        raise TotpError("Two-step sign-in is already on")
    secret = totp.new_secret()
    staff.totp_secret = seal_totp_secret(secret, staff, secret_key)
    staff.totp_enabled_at = None
    staff.totp_last_step = None
    record_action(session, staff, "totp-setup-started", f"staff:{staff.id}")
    return secret


def pending_totp_secret(staff: StaffUser, *, secret_key: str) -> str | None:
    """The secret being set up (not yet confirmed), or None."""
    if staff.totp_enabled or staff.totp_secret is None:
        return None
    try:
        return unseal_totp_secret(staff.totp_secret, staff, secret_key)
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
        secret = unseal_totp_secret(staff.totp_secret, staff, secret_key)
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
