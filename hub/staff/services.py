"""Staff accounts and sign-ins. Services never commit; every change is audit-logged.

A sign-in is checked the same way whether or not the address has an account
(same message, same Argon2 work), so the sign-in form cannot be used to learn
who works at the hub. Rate limiting of sign-in attempts comes with issue 5
(the failed attempts are already in the audit log for it to count).
"""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from hub.db import utcnow
from hub.staff.audit import record_action
from hub.staff.models import Role, StaffSession, StaffUser
from hub.staff.passwords import hash_password, needs_rehash, password_problem, verify_password

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class StaffAccountError(ValueError):
    """An account that cannot be made as asked; the message says why."""


def normalise_email(email: str) -> str:
    return email.strip().lower()


def find_staff(session: Session, email: str) -> StaffUser | None:
    return session.scalar(select(StaffUser).where(StaffUser.email == normalise_email(email)))


def list_staff(session: Session) -> list[StaffUser]:
    return list(session.scalars(select(StaffUser).order_by(StaffUser.email)))


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
    email = normalise_email(email)
    name = name.strip()
    if not EMAIL.fullmatch(email) or len(email) > 254:
        raise StaffAccountError(
            "Enter an email address in the correct format, like name@example.org"
        )
    if not name or len(name) > 120:
        raise StaffAccountError("Enter a name of 1 to 120 characters")
    if role not in {r.value for r in Role}:
        raise StaffAccountError(f"Choose a role: {', '.join(r.value for r in Role)}")
    problem = password_problem(password, email=email)
    if problem:
        raise StaffAccountError(problem)
    if find_staff(session, email) is not None:
        raise StaffAccountError(f"There is already a staff account for {email}")
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


def authenticate(session: Session, email: str, password: str) -> StaffUser | None:
    """The active account these credentials open, or None (logged as a failed sign-in)."""
    staff = find_staff(session, email)
    usable = staff if staff is not None and staff.active else None
    ok = verify_password(None if usable is None else usable.password_hash, password)
    if not ok or staff is None:
        record_action(session, staff, "login-failed", f"email:{normalise_email(email)[:100]}")
        return None
    if needs_rehash(staff.password_hash):
        staff.password_hash = hash_password(password)
    return staff


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def start_session(session: Session, staff: StaffUser) -> str:
    """Record a new sign-in; returns the random token for the browser's cookie."""
    token = secrets.token_urlsafe(32)
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


def end_all_sessions(session: Session, staff: StaffUser) -> None:
    """Sign this person out everywhere (for a disabled account or a changed password)."""
    session.execute(
        update(StaffSession)
        .where(StaffSession.staff_id == staff.id, StaffSession.ended_at.is_(None))
        .values(ended_at=utcnow())
    )
