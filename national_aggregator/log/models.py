"""The transparency log's storage: leaves, complete subtree hashes, checkpoints, cosignatures.

`log_node` holds the hash of every complete, aligned subtree (level 0 are the
leaves), which is all `federation.merkle` needs to compute any root or proof
in O(log n) reads. `log_state` is a single row whose update is the log's
write lock: every append takes it first, so appends happen one at a time on
SQLite and PostgreSQL alike. A leaf's entry (the envelope bytes) lives with
what it records: a hub's statement in `submission`, a registry change in
`key_event`, a board statement in `board_statement`.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, LargeBinary, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from national_aggregator.db import Base, UTCDateTime, value_enum

LOG_STATE_ID = 1


class LeafKind(enum.StrEnum):
    STATEMENT = "statement"  # a hub's signed statement (summary or key rotation)
    KEY_EVENT = "key-event"  # a registry change signed by the log key
    BOARD = "board"  # a board statement signed by the log key (national_aggregator.board)


class LogState(Base):
    __tablename__ = "log_state"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    size: Mapped[int]


class LogLeaf(Base):
    __tablename__ = "log_leaf"

    index: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    leaf_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    kind: Mapped[LeafKind] = mapped_column(value_enum(LeafKind, "log_leaf_kind"))
    submission_id: Mapped[str | None] = mapped_column(
        ForeignKey("submission.submission_id"), unique=True
    )
    key_event_id: Mapped[int | None] = mapped_column(ForeignKey("key_event.id"), unique=True)
    board_statement_id: Mapped[int | None] = mapped_column(
        ForeignKey("board_statement.id"), unique=True
    )
    appended_at: Mapped[datetime] = mapped_column(UTCDateTime)


class LogNode(Base):
    __tablename__ = "log_node"

    level: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    index: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    hash: Mapped[bytes] = mapped_column(LargeBinary(32))


class LogCheckpoint(Base):
    __tablename__ = "log_checkpoint"

    size: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    root: Mapped[bytes] = mapped_column(LargeBinary(32))
    # canonical JSON as signed, with no cosignatures: they are added from `cosignature`
    signed: Mapped[bytes] = mapped_column(LargeBinary)
    signed_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Cosignature(Base):
    """A witness hub's signature over a checkpoint it checked (docs/protocol.md, Witnesses)."""

    __tablename__ = "cosignature"
    __table_args__ = (UniqueConstraint("checkpoint_size", "keyid"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    checkpoint_size: Mapped[int] = mapped_column(ForeignKey("log_checkpoint.size"))
    witness_gss: Mapped[str] = mapped_column(ForeignKey("hub.gss"))
    keyid: Mapped[str] = mapped_column(ForeignKey("hub_key.keyid"))
    signature: Mapped[bytes] = mapped_column(LargeBinary(64))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
