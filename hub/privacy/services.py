"""Reading and checking the stored privacy ledger (rows → `LedgerEntry`, chain verified).

Writing happens only in `hub.summary.services.prepare_release`, in the same
transaction as the release it pays for.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from federation.canonical import parse_canonical
from federation.disclosure.ledger import (
    LedgerEntry,
    LedgerTampered,
    entry_for_release,
    spent,
    verify_ledger,
)
from hub.outbox.models import OutboxEntry
from hub.privacy.models import LedgerRow


@dataclass(frozen=True)
class LedgerState:
    entries: list[LedgerEntry]
    year: int
    spent: Decimal  # ε recorded for `year`


def ledger_entries(session: Session) -> list[LedgerEntry]:
    """Every stored entry, in chain order, exactly as stored (not yet verified)."""
    rows = session.scalars(select(LedgerRow).order_by(LedgerRow.seq))
    return [row.entry() for row in rows]


def ledger_state(session: Session, year: int) -> LedgerState:
    entries = ledger_entries(session)
    return LedgerState(entries, year, spent(entries, year))


def published_anchors(session: Session, entries: list[LedgerEntry]) -> dict[int, str]:
    """seq → the ledger head each signed summary in the outbox declared for its release.

    The hash chain alone cannot catch someone who edits an entry and re-hashes
    it and every entry after it. But every noisy release carried its ledger
    entry's hash (`disclosure.budget.ledger_head`) inside a statement the hub
    signed and the aggregator logged, so the stored chain must still agree
    with what was sent. A sent release whose entry is gone is tampering too.
    """
    anchors: dict[int, str] = {}
    for row in session.scalars(
        select(OutboxEntry).where(OutboxEntry.schema == "summary/1").order_by(OutboxEntry.seq)
    ):
        payload = base64.b64decode(json.loads(row.envelope)["payload"])
        budget = parse_canonical(payload)["body"]["disclosure"].get("budget")
        if not budget:
            continue
        release = f"{row.period_start.isoformat()}/{row.period_end.isoformat()}"
        entry = entry_for_release(entries, release)
        if entry is None:
            raise LedgerTampered(
                len(entries),
                f"the summary sent for {release} (outbox seq {row.seq}) paid from ledger entry "
                f"{budget['ledger_head'][:12]}…, which is no longer in the ledger",
            )
        anchors[entry.seq] = budget["ledger_head"]
    return anchors


def verify_stored_ledger(session: Session) -> str:
    """The head hash of the stored chain; LedgerTampered names the first bad entry.

    Checks the chain and that it still matches every ledger head the hub has
    signed and sent (`published_anchors`).
    """
    entries = ledger_entries(session)
    return verify_ledger(entries, anchors=published_anchors(session, entries))
