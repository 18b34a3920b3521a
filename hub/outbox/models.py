"""The outbox: signed statements waiting to be (or already) delivered, in order.

Each entry holds the envelope bytes exactly as signed, so a retry resends
identical bytes (the aggregator answers 200 with the original receipt) and the
same period is never rebuilt with different numbers. `seq` is the primary key:
two pushes racing for the same next number cannot both store it. Key
rotations (`key-rotation/1`) travel in the same chain, with the day of
rotation as their period. `log_index` is where the receipt placed the
envelope in the aggregator's log; each contact checks the log still holds it.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import Date, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from federation.periods import Period
from hub.db import Base, UTCDateTime, utcnow, value_enum


class OutboxStatus(enum.StrEnum):
    PENDING = "pending"
    DELIVERED = "delivered"
    REJECTED = "rejected"


class OutboxEntry(Base):
    __tablename__ = "outbox_entries"
    __table_args__ = (UniqueConstraint("schema", "period_start", "period_end"),)

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    prev: Mapped[str | None] = mapped_column(String(64))  # payload SHA-256 of seq - 1
    submission_id: Mapped[str] = mapped_column(String(36), unique=True)
    schema: Mapped[str] = mapped_column(String(40))
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    envelope: Mapped[bytes] = mapped_column(LargeBinary)
    payload_sha256: Mapped[str] = mapped_column(String(64))
    status: Mapped[OutboxStatus] = mapped_column(
        value_enum(OutboxStatus, "outbox_status"), default=OutboxStatus.PENDING
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    last_status: Mapped[int | None] = mapped_column(Integer)
    receipt: Mapped[str | None] = mapped_column(Text)  # the aggregator's receipt, as JSON
    log_index: Mapped[int | None] = mapped_column(Integer, index=True)  # from the receipt
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def label(self) -> str:
        """`2026-10` for a summary, `key-rotation:2026-11-26` for a key rotation (no spaces)."""
        if self.schema == "summary/1":
            return Period(self.period_start, self.period_end).label
        return f"{self.schema.split('/')[0]}:{self.period_start}"
