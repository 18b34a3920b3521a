"""Private links, optional resident accounts, their sign-ins and one-time tokens, and follows.

A person needs no account to take part: the browser's participant id (and a
private link, for another device) is enough to see, change and delete what
they raised. An account (email and password) adds what needs an address:
following items and being emailed when their status changes, and signing in
on another device. Every secret the hub hands out (private link, sign-in
token, confirmation and reset links) is stored only as its SHA-256, so a copy
of the database opens nothing.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hub.db import Base, UTCDateTime, utcnow, value_enum
from hub.gather.models import Participant


class PrivateLink(Base):
    """One private link of a participant: each thing raised gives one, and all of them work
    until the person asks for a new link, which stops the others."""

    __tablename__ = "private_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[str] = mapped_column(ForeignKey("participants.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Account(Base):
    """A resident's optional account; it belongs to one participant (their part)."""

    __tablename__ = "resident_accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)  # stored lower-cased
    password_hash: Mapped[str] = mapped_column(String(255))  # Argon2id (hub.staff.passwords)
    participant_id: Mapped[str] = mapped_column(ForeignKey("participants.id"), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    last_sign_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)

    participant: Mapped[Participant] = relationship(lazy="joined")

    @property
    def confirmed(self) -> bool:
        return self.confirmed_at is not None


class TokenPurpose(enum.StrEnum):
    CONFIRM = "confirm"  # confirm the email address
    RESET = "reset"  # choose a new password


class AccountToken(Base):
    """A one-time link sent by email; used once, or never after it expires."""

    __tablename__ = "account_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("resident_accounts.id"), index=True)
    purpose: Mapped[TokenPurpose] = mapped_column(value_enum(TokenPurpose, "token_purpose"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)

    account: Mapped[Account] = relationship(lazy="joined")


class AccountSession(Base):
    """One resident sign-in. The cookie holds the token; only its SHA-256 is stored."""

    __tablename__ = "account_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("resident_accounts.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)

    account: Mapped[Account] = relationship(lazy="joined")


class Follow(Base):
    """An account follows an item: it is emailed when the item's public stage changes."""

    __tablename__ = "follows"
    __table_args__ = (UniqueConstraint("account_id", "contribution_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("resident_accounts.id"), index=True)
    contribution_id: Mapped[int] = mapped_column(ForeignKey("contributions.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    account: Mapped[Account] = relationship(lazy="joined")
