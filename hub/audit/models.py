"""What the hub knows about the aggregator's log: checkpoints it verified or cosigned, and alarms.

`VerifiedCheckpoint` rows are the hub's trust in the log, newest last: each
was signed by the pinned log key and proven consistent with the one before
(or, for a first or restarted row, taken as a starting point, with `note`
saying why). `CosignedCheckpoint` rows are the checkpoints this hub cosigned
as a witness. An `Alarm` is something the aggregator must explain: it keeps
the evidence (both signed checkpoints, or both envelopes) as JSON, and stays
until an operator resolves it.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from hub.db import Base, UTCDateTime, utcnow, value_enum


class AlarmKind(enum.StrEnum):
    LOG_INCONSISTENT = "log-inconsistent"  # two checkpoints the log cannot reconcile
    ENTRY_MISMATCH = "entry-mismatch"  # our statement is missing or changed in the log
    SEQUENCE_CONFLICT = "sequence-conflict"  # the aggregator holds another statement of ours
    DELIVERY = "delivery"  # something has waited in the outbox too long
    BOARD_STATEMENT = "board-statement"  # a board statement the log served does not verify

    @property
    def breaks_trust(self) -> bool:
        """While such an alarm is open the hub trusts no new checkpoint and sends nothing."""
        return self is not AlarmKind.DELIVERY


class VerifiedCheckpoint(Base):
    __tablename__ = "verified_checkpoints"

    id: Mapped[int] = mapped_column(primary_key=True)
    size: Mapped[int] = mapped_column(Integer, index=True)
    root: Mapped[bytes] = mapped_column(LargeBinary(32))
    signed: Mapped[bytes] = mapped_column(LargeBinary)  # the checkpoint JSON as fetched
    verified_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    note: Mapped[str | None] = mapped_column(Text)  # how it was verified, when not by proof


class CosignedCheckpoint(Base):
    __tablename__ = "cosigned_checkpoints"

    id: Mapped[int] = mapped_column(primary_key=True)
    size: Mapped[int] = mapped_column(Integer, unique=True)
    root: Mapped[bytes] = mapped_column(LargeBinary(32))
    signed: Mapped[bytes] = mapped_column(LargeBinary)  # the checkpoint JSON as fetched
    keyid: Mapped[str] = mapped_column(String(43))  # the hub key that cosigned
    signature: Mapped[bytes] = mapped_column(LargeBinary(64))
    cosigned_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Alarm(Base):
    __tablename__ = "alarms"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[AlarmKind] = mapped_column(value_enum(AlarmKind, "alarm_kind"), index=True)
    detail: Mapped[str] = mapped_column(Text)
    evidence: Mapped[str] = mapped_column(Text)  # JSON
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolution: Mapped[str | None] = mapped_column(Text)
    # For a resolved log-inconsistent alarm: the checkpoint the hub then took
    # as its new starting point (None until the next contact takes one).
    restarted_at_id: Mapped[int | None] = mapped_column(ForeignKey("verified_checkpoints.id"))
