"""Board responses as this hub keeps them: every verified version, what it refused, who was told.

- `BoardResponseVersion`: one board statement (one version of one response)
  that verified: signed by the pinned log key, following the version before
  it, and proven included in a checkpoint this hub verified. The exact
  envelope bytes are kept, so anyone can check them again; the other columns
  are the statement's fields, for the pages.
- `BoardRejection`: a statement at a log index this hub did not store, and
  why (the alarm it raised, or the earlier rejected version it follows). The
  pull goes on from the largest log index in either table.
- `BoardNotice`: a resident's account was emailed about a version (one email
  per person per version, however many items they follow in the theme).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from hub.db import Base, UTCDateTime


class BoardResponseVersion(Base):
    __tablename__ = "board_response_versions"
    __table_args__ = (UniqueConstraint("response_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[str] = mapped_column(String(36), index=True)
    version: Mapped[int] = mapped_column(Integer)
    log_index: Mapped[int] = mapped_column(Integer, unique=True)
    envelope: Mapped[bytes] = mapped_column(LargeBinary)  # exactly as the log holds it
    payload_sha256: Mapped[str] = mapped_column(String(64))
    theme: Mapped[str] = mapped_column(String(60), index=True)  # a national theme code
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    meeting: Mapped[date] = mapped_column(Date)
    decision: Mapped[str] = mapped_column(String(30))
    progress: Mapped[str | None] = mapped_column(String(20))
    due: Mapped[date | None] = mapped_column(Date)
    response: Mapped[str] = mapped_column(Text)
    reason: Mapped[str | None] = mapped_column(Text)
    commitment: Mapped[str | None] = mapped_column(Text)
    owner: Mapped[str | None] = mapped_column(String(200))
    update: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UTCDateTime)  # when the board (or its secretary) said it
    verified_checkpoint_size: Mapped[int] = mapped_column(Integer)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)

    def is_late(self, today: date) -> bool:
        """Late once the due date has passed and it is not done (as BoardStatement.is_late)."""
        return (
            self.decision == "accepted"
            and self.due is not None
            and self.due < today
            and self.progress != "done"
        )


class BoardRejection(Base):
    __tablename__ = "board_rejections"

    id: Mapped[int] = mapped_column(primary_key=True)
    log_index: Mapped[int] = mapped_column(Integer, unique=True)
    response_id: Mapped[str | None] = mapped_column(String(36), index=True)
    version: Mapped[int | None] = mapped_column(Integer)
    envelope: Mapped[bytes] = mapped_column(LargeBinary)
    reason: Mapped[str] = mapped_column(Text)
    alarm_id: Mapped[int | None] = mapped_column(ForeignKey("alarms.id"))
    rejected_at: Mapped[datetime] = mapped_column(UTCDateTime)


class BoardNotice(Base):
    __tablename__ = "board_notices"
    __table_args__ = (UniqueConstraint("account_id", "response_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("resident_accounts.id"), index=True)
    response_id: Mapped[str] = mapped_column(String(36))
    version: Mapped[int] = mapped_column(Integer)
    queued_at: Mapped[datetime] = mapped_column(UTCDateTime)
