"""Resident accounts: register, confirm the address, sign in and out, reset the password.

Passwords are Argon2id through `hub.staff.passwords` (the same hashing and the
same rules as staff). Nothing here tells a stranger whether an address has an
account: registering an address that is taken looks the same as a new one
(the owner gets an email saying someone tried), a reset request always says
"if there is an account, we sent a link", and a failed sign-in costs the same
Argon2 work whether or not the address exists.

Services never commit; the emails are queued by `hub.residents.notify`.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from hub.db import utcnow
from hub.gather.models import Participant
from hub.residents.models import Account, AccountSession, AccountToken, TokenPurpose
from hub.residents.services import follow_own_items
from hub.staff.passwords import hash_password, needs_rehash, password_problem, verify_password

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
EMAIL_FORMAT = "Enter an email address in the correct format, like name@example.com"
BAD_SIGN_IN = "Enter a correct email address and password"  # the same for every failure


class AccountFormError(ValueError):
    """What to fix in an account form: field name → messages for the person."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__("; ".join(m for messages in errors.values() for m in messages))
        self.errors = errors


def normalise_email(email: str) -> str:
    return email.strip().lower()


def email_problem(email: str) -> str | None:
    """Why this is not a usable address, for the person; None if it is."""
    if not email:
        return "Enter your email address"
    if len(email) > 254 or not EMAIL.fullmatch(email):
        return EMAIL_FORMAT
    return None


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def find_account(db: Session, email: str) -> Account | None:
    return db.scalar(select(Account).where(Account.email == normalise_email(email)))


def account_for_participant(db: Session, participant_id: str | None) -> Account | None:
    if not participant_id:
        return None
    return db.scalar(select(Account).where(Account.participant_id == participant_id))


def check_registration(email: str, password: str) -> dict[str, list[str]]:
    """The form's errors (email format, password rules), empty when it may be sent."""
    errors: dict[str, list[str]] = {}
    problem = email_problem(normalise_email(email))
    if problem:
        errors["email"] = [problem]
    problem = password_problem(password, email=email) if password else "Enter a password"
    if problem:
        errors["password"] = [problem]
    return errors


def register_account(
    db: Session, *, email: str, password: str, participant: Participant
) -> Account | None:
    """A new, unconfirmed account for this participant; None if the address already has one.

    Raises AccountFormError for a bad address or password. `participant` must
    not have an account yet (the caller gives a new one if it has).
    """
    errors = check_registration(email, password)
    if errors:
        raise AccountFormError(errors)
    if find_account(db, email) is not None:
        return None
    if account_for_participant(db, participant.id) is not None:
        raise ValueError("this participant already has an account")
    account = Account(
        email=normalise_email(email),
        password_hash=hash_password(password),
        participant_id=participant.id,
        created_at=utcnow(),
    )
    db.add(account)
    db.flush()
    return account


def issue_token(db: Session, account: Account, purpose: TokenPurpose, lifetime: timedelta) -> str:
    """A new one-time token for an emailed link; older unused ones of the purpose stop working."""
    now = utcnow()
    db.execute(
        update(AccountToken)
        .where(
            AccountToken.account_id == account.id,
            AccountToken.purpose == purpose,
            AccountToken.used_at.is_(None),
        )
        .values(used_at=now)
    )
    token = secrets.token_urlsafe(32)
    db.add(
        AccountToken(
            account_id=account.id,
            purpose=purpose,
            token_hash=_hash(token),
            created_at=now,
            expires_at=now + lifetime,
        )
    )
    db.flush()
    return token


def token_account(
    db: Session, token: str, purpose: TokenPurpose, *, now: datetime | None = None
) -> Account | None:
    """The account an unused, unexpired token of this purpose belongs to (not used up)."""
    row = _live_token(db, token, purpose, now or utcnow())
    return None if row is None else row.account


def _live_token(
    db: Session, token: str, purpose: TokenPurpose, now: datetime
) -> AccountToken | None:
    if not token.isascii():
        return None
    row = db.scalar(select(AccountToken).where(AccountToken.token_hash == _hash(token)))
    if row is None or row.purpose is not purpose or row.used_at is not None:
        return None
    return row if now < row.expires_at else None


def confirm_email(db: Session, token: str, *, now: datetime | None = None) -> Account | None:
    """Confirm the address the token was sent to; None if the link is unknown, used or old.

    From then on the account follows everything its participant raised.
    """
    now = now or utcnow()
    row = _live_token(db, token, TokenPurpose.CONFIRM, now)
    if row is None:
        return None
    row.used_at = now
    account = row.account
    if account.confirmed_at is None:
        account.confirmed_at = now
        follow_own_items(db, account)
    return account


def reset_password(
    db: Session, token: str, password: str, *, now: datetime | None = None
) -> Account | None:
    """Set a new password with a reset token; None if the link no longer works.

    Raises AccountFormError for a password that breaks the rules (the token is
    kept then). Signs the account out everywhere, and confirms the address
    (the person has just shown they read its mail).
    """
    now = now or utcnow()
    row = _live_token(db, token, TokenPurpose.RESET, now)
    if row is None:
        return None
    account = row.account
    problem = password_problem(password, email=account.email) if password else "Enter a password"
    if problem:
        raise AccountFormError({"password": [problem]})
    row.used_at = now
    account.password_hash = hash_password(password)
    if account.confirmed_at is None:
        account.confirmed_at = now
        follow_own_items(db, account)
    end_all_sessions(db, account)
    return account


def authenticate(db: Session, email: str, password: str) -> Account | None:
    """The account these credentials open, or None (after the same Argon2 work either way)."""
    account = find_account(db, email)
    ok = verify_password(None if account is None else account.password_hash, password)
    if not ok or account is None:
        return None
    if needs_rehash(account.password_hash):
        account.password_hash = hash_password(password)
    return account


def start_session(db: Session, account: Account) -> str:
    """Record a new sign-in; returns the random token for the browser's cookie."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    db.add(AccountSession(token_hash=_hash(token), account_id=account.id, created_at=now))
    account.last_sign_in_at = now
    db.flush()
    return token


def session_account(db: Session, token: str, *, max_age: timedelta) -> Account | None:
    """The account signed in with this token, unless the sign-in ended or is too old."""
    if not token.isascii():
        return None
    row = db.scalar(select(AccountSession).where(AccountSession.token_hash == _hash(token)))
    if row is None or row.ended_at is not None or utcnow() - row.created_at > max_age:
        return None
    return row.account


def end_session(db: Session, token: str) -> None:
    if not token.isascii():
        return
    db.execute(
        update(AccountSession)
        .where(AccountSession.token_hash == _hash(token), AccountSession.ended_at.is_(None))
        .values(ended_at=utcnow())
    )


def end_all_sessions(db: Session, account: Account) -> None:
    """Sign this account out everywhere (after a password reset)."""
    db.execute(
        update(AccountSession)
        .where(AccountSession.account_id == account.id, AccountSession.ended_at.is_(None))
        .values(ended_at=utcnow())
    )
