"""The `privacy_ledger` table: one row per noisy release, hash-chained.

The columns are exactly the fields of `federation.disclosure.ledger.LedgerEntry`
(kept as the same text and numbers that were hashed, so verifying a row needs
no conversion that could hide an edit), plus the id of the stored release it
paid for. Rows are only ever inserted; `hubnet hub privacy verify` re-checks
the chain.
"""

from __future__ import annotations

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from federation.disclosure.ledger import LedgerEntry
from hub.db import Base


class LedgerRow(Base):
    __tablename__ = "privacy_ledger"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    prev_hash: Mapped[str] = mapped_column(String(64))
    entry_hash: Mapped[str] = mapped_column(String(64))
    created: Mapped[str] = mapped_column(String(20))  # RFC 3339 UTC, as hashed
    year: Mapped[int] = mapped_column(Integer, index=True)
    release: Mapped[str] = mapped_column(String(21))  # "2026-10-01/2026-10-31"
    release_id: Mapped[int] = mapped_column(ForeignKey("releases.id"), unique=True)
    epsilon: Mapped[str] = mapped_column(String(40))  # normalised decimal string
    mechanism: Mapped[str] = mapped_column(String(20))
    sensitivity: Mapped[int] = mapped_column(Integer)
    cells: Mapped[int] = mapped_column(Integer)

    def entry(self) -> LedgerEntry:
        return LedgerEntry(
            seq=self.seq,
            prev_hash=self.prev_hash,
            created=self.created,
            year=self.year,
            release=self.release,
            epsilon=self.epsilon,
            mechanism=self.mechanism,
            sensitivity=self.sensitivity,
            cells=self.cells,
            entry_hash=self.entry_hash,
        )

    @classmethod
    def from_entry(cls, entry: LedgerEntry, release_id: int) -> LedgerRow:
        return cls(
            seq=entry.seq,
            prev_hash=entry.prev_hash,
            entry_hash=entry.entry_hash,
            created=entry.created,
            year=entry.year,
            release=entry.release,
            release_id=release_id,
            epsilon=entry.epsilon,
            mechanism=entry.mechanism,
            sensitivity=entry.sensitivity,
            cells=entry.cells,
        )
