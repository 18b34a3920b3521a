"""One-time and session tokens for both apps' staff: made at random, stored only as a hash.

A token (a sign-in cookie's, a set-password link's) is 32 random bytes,
URL-safe base64. Only its SHA-256 is stored, so a copy of the database does
not give anyone a working link or sign-in. A token that could not have been
made here (not ASCII, or longer than `MAX_LENGTH`) is refused before hashing.
"""

from __future__ import annotations

import hashlib
import secrets

MAX_LENGTH = 100  # longer than any token made here


def new_token() -> str:
    """A fresh random token, for the browser or a link (shown once, never stored)."""
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    """What is stored for a token: its SHA-256, in hex."""
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def usable_token(token: str) -> bool:
    """Whether `token` could be one made here (worth hashing and looking up)."""
    return token.isascii() and 0 < len(token) <= MAX_LENGTH
