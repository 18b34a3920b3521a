"""Staff passwords for both apps: Argon2id hashes, and what a password must be.

Argon2id with argon2-cffi's defaults (RFC 9106's second recommended profile:
64 MiB, 3 passes, 4 lanes) is what OWASP recommends for password storage. A
hash made with weaker parameters is upgraded at the next successful sign-in.
The rules follow NCSC guidance: length, not composition rules, and nothing
that is the person's own email address.

The same as `hub.staff.passwords` (the hub's copy, which may become a
re-export of this one); here because `hub/` and `national_aggregator/` never
import each other.
"""

from __future__ import annotations

import functools

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

HASHER = PasswordHasher()
MIN_LENGTH = 12
MAX_LENGTH = 1024  # a cap, so a megabyte "password" cannot be used to burn CPU


@functools.cache
def _dummy_hash() -> str:
    """Verified against when there is no account, so a failed sign-in takes as long either way.

    Made on first use, not at import: a command that never checks a password does not pay.
    """
    return HASHER.hash("not a password anyone has")


def hash_password(password: str) -> str:
    return HASHER.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True if `password` matches; with no hash, spends the same time and says False."""
    if len(password) > MAX_LENGTH:
        return False
    try:
        return HASHER.verify(password_hash or _dummy_hash(), password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    try:
        return HASHER.check_needs_rehash(password_hash)
    except InvalidHashError:
        return True


def password_problem(password: str, *, email: str = "") -> str | None:
    """Why this password cannot be used, in words for the person choosing it; None if it can."""
    if len(password) < MIN_LENGTH:
        return f"Choose a password of at least {MIN_LENGTH} characters"
    if len(password) > MAX_LENGTH:
        return f"Choose a password of at most {MAX_LENGTH:,} characters"
    if email and password.strip().lower() == email.strip().lower():
        return "Choose a password that is not your email address"
    return None
