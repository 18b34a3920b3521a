"""National team accounts, their sign-ins, set-password links, and the log of what staff did.

Staff are the national team: analysts, the board secretary and admins. Each
sign-in is a row in `staff_session` (the browser's signed cookie only holds a
random token whose SHA-256 is stored here), so signing out, disabling an
account or a sign-in reaching its age limit ends it on the server, not just in
the browser. `staff_action` is written by `national_aggregator.staff.audit`
and never updated or deleted: it answers "who recorded this board response,
and when?". An account made with a set-password link has no password
(`NO_PASSWORD`) until its owner uses the link (`staff_password_link`).

Two-step sign-in (TOTP, RFC 6238) is optional per person: `totp_secret` holds
the shared secret encrypted with a key derived from the aggregator's
SECRET_KEY (`hubnet.totp`), so a copy of the database alone does not give
anyone the codes. While `totp_enabled_at` is empty the secret is only a
set-up in progress. `totp_last_step` is the 30-second step of the last code
accepted, so a code is never accepted twice.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import BigInteger, Boolean, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from national_aggregator.db import Base, UTCDateTime, utcnow, value_enum

NO_PASSWORD = "!"  # no Argon2 hash: the account cannot sign in until a password is set


class Role(enum.StrEnum):
    """What a member of the national team may do; `admin` may do everything."""

    ANALYST = "analyst"
    BOARD_SECRETARY = "board-secretary"
    ADMIN = "admin"


@dataclass(frozen=True)
class RoleDescription:
    title: str
    may: tuple[str, ...]


ROLES: dict[Role, RoleDescription] = {
    Role.ANALYST: RoleDescription(
        "Analyst",
        (
            "Build board packs from a period and a log checkpoint",
            "Check hubs' submissions, national priorities and hidden voices before publication",
        ),
    ),
    Role.BOARD_SECRETARY: RoleDescription(
        "Board secretary",
        (
            "Record the board's response to each priority: accepted with a commitment, "
            "under consideration, or not accepted with a reason",
            "Add owners, due dates and dated updates to board commitments",
            "Build board packs for board meetings",
        ),
    ),
    Role.ADMIN: RoleDescription(
        "Admin",
        (
            "Everything analysts and the board secretary can do",
            "See the staff activity log",
            "Add staff accounts, change roles, disable accounts, issue set-password links "
            "and turn off someone's two-step sign-in (on /staff/users)",
        ),
    ),
}
"""Each role's name for people and what it may do: shown on /staff/ and by the CLI."""


class StaffUser(Base):
    __tablename__ = "staff_user"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)  # stored lower-cased
    name: Mapped[str] = mapped_column(String(120))
    role: Mapped[Role] = mapped_column(value_enum(Role, "staff_role"))
    password_hash: Mapped[str] = mapped_column(String(255))  # Argon2id, PHC string format
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    totp_secret: Mapped[str | None] = mapped_column(String(255), default=None)  # encrypted
    totp_enabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger, default=None)

    @property
    def totp_enabled(self) -> bool:
        """Whether signing in asks for a code from an authenticator app."""
        return self.totp_enabled_at is not None and self.totp_secret is not None

    @property
    def has_password(self) -> bool:
        """False for an account whose owner has not yet used their set-password link."""
        return self.password_hash != NO_PASSWORD

    @property
    def role_title(self) -> str:
        return ROLES[self.role].title

    def may(self, *roles: str) -> bool:
        """True if this person holds one of `roles` (any role when none given; admin always)."""
        if not self.active:
            return False
        return not roles or self.role is Role.ADMIN or self.role.value in roles


class StaffSession(Base):
    """One sign-in. The cookie holds the token; only its SHA-256 is stored."""

    __tablename__ = "staff_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)

    staff: Mapped[StaffUser] = relationship(lazy="joined")


class StaffPasswordLink(Base):
    """A one-time link to choose a password (a new account, or a reset).

    Only the SHA-256 of the link's random token is stored. A link works once,
    until `expires_at`; issuing a new one for the same person deletes the old.
    """

    __tablename__ = "staff_password_link"

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)

    staff: Mapped[StaffUser] = relationship(lazy="joined")


class StaffAction(Base):
    """One thing a member of staff did (or tried: a failed sign-in), in order. Append-only.

    `staff_id` is empty for actions no signed-in person took: a failed sign-in
    to an unknown address, or an account made with `hubnet aggregator staff add`.
    """

    __tablename__ = "staff_action"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    staff_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_user.id"), index=True, default=None
    )
    action: Mapped[str] = mapped_column(String(40), index=True)
    target: Mapped[str] = mapped_column(String(120))
    detail: Mapped[str] = mapped_column(Text, default="")

    staff: Mapped[StaffUser | None] = relationship(lazy="joined")
