"""Board responses as stored: each signed version byte for byte, and the hubs' notification outbox.

A board statement (`federation.board`) is signed by the log key and appended
to the transparency log in the same transaction as its row here; the row
keeps the envelope exactly as signed (the log's entry), plus a few columns
copied out of it so pages and the API can sort and filter without parsing
every envelope. The envelope is the truth; the columns are an index.

`board_notification` is the outbox of pushes to hubs: one row per hub with a
notify URL per new statement. A push carries no data (the hub pulls and
verifies), so one delivered push to a hub settles every pending row for it.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from national_aggregator.db import Base, UTCDateTime


class StoredBoardStatement(Base):
    """One version of a board response: the log-key-signed envelope and its index columns."""

    __tablename__ = "board_statement"
    __table_args__ = (UniqueConstraint("response_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[str] = mapped_column(String(36), index=True)
    version: Mapped[int]
    theme: Mapped[str] = mapped_column(String(40))
    decision: Mapped[str] = mapped_column(String(30))
    progress: Mapped[str | None] = mapped_column(String(20))
    due: Mapped[date | None] = mapped_column(Date)
    meeting: Mapped[date] = mapped_column(Date)
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    envelope: Mapped[bytes] = mapped_column(LargeBinary)
    payload_sha256: Mapped[str] = mapped_column(String(64))
    recorded_by: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))


class BoardNotification(Base):
    """A push owed to a hub: POST (no body) to its notify URL, saying "board statements changed"."""

    __tablename__ = "board_notification"

    id: Mapped[int] = mapped_column(primary_key=True)
    hub_gss: Mapped[str] = mapped_column(ForeignKey("hub.gss"), index=True)
    board_statement_id: Mapped[int] = mapped_column(ForeignKey("board_statement.id"))
    log_index: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(default=0)
    last_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
