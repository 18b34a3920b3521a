"""A hub's side of the federation in one object: its database, keys, and a fake aggregator.

Tests drive the real services (`contact`, `relay_pending`, `resynchronise`)
through it, moving its clock as they like.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Table, delete, insert, select, text
from sqlalchemy.orm import Session

from federation.periods import Period
from hub.aggregator import AggregatorLink
from hub.audit.contact import ContactReport, contact
from hub.audit.models import Alarm, AlarmKind, CosignedCheckpoint, VerifiedCheckpoint
from hub.keys.services import HubKeys
from hub.outbox.models import OutboxEntry, OutboxStatus
from hub.outbox.resync import ResyncReport, resync_once
from hub.outbox.services import RelayOutcome, RelayResult, enqueue_summary, relay_pending
from tests.hub.conftest import AUDIENCE, HUB_ID
from tests.hub.fake_aggregator import FakeAggregator, link_to

# After the last month the tests push (November), as `hubnet hub push` refuses a running one.
START = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
FEDERATION_TABLES: list[Table] = [
    VerifiedCheckpoint.__table__,  # type: ignore[list-item]
    Alarm.__table__,  # type: ignore[list-item]
    CosignedCheckpoint.__table__,  # type: ignore[list-item]
    OutboxEntry.__table__,  # type: ignore[list-item]
]


class HubUnderTest:
    def __init__(self, db: Session, key: Ed25519PrivateKey) -> None:
        self.db = db
        self.key = key
        self.keys = HubKeys(current=key)
        self.aggregator = FakeAggregator(key.public_key(), hub_id=HUB_ID)
        self.pinned = self.aggregator.log_public_key  # as `hubnet hub init` pins it
        self.now = START
        self.alert_days = 2.0

    @property
    def link(self) -> AggregatorLink:
        return link_to(
            self.aggregator,
            hub_id=HUB_ID,
            log_key=self.pinned,
            delivery_alert_days=self.alert_days,
        )

    def later(self, **delta: float) -> None:
        self.now += timedelta(**delta)

    def enqueue(self, *months: int, year: int = 2026) -> list[OutboxEntry]:
        entries = []
        for month in months:
            entry = enqueue_summary(
                self.db,
                Period.month(year, month),
                private_key=self.keys.current,
                hub_id=HUB_ID,
                aud=AUDIENCE,
                now=self.now,
                today=self.now.date(),
            )
            assert entry is not None
            entries.append(entry)
        self.db.commit()
        return entries

    def contact(self) -> ContactReport:
        report = contact(self.db, self.link, self.keys, now=self.now)
        self.db.commit()
        return report

    def relay(self, *, resync: bool = True, max_attempts: int = 1) -> list[RelayResult]:
        link, keys = self.link, self.keys

        def resynchronise() -> ResyncReport:
            return resync_once(self.db, link, keys, now=self.now)

        results = relay_pending(
            self.db,
            link,
            now=lambda: self.now,
            sleep=lambda _seconds: None,
            max_attempts_per_run=max_attempts,
            on_result=lambda _result: self.db.commit(),
            rand=lambda: 1.0,
            resync=resynchronise if resync else None,
        )
        self.db.commit()
        return results

    def push(self, *months: int) -> list[RelayResult]:
        """What `hubnet hub push` does: contact, enqueue, relay (one resync at most)."""
        report = self.contact()
        self.enqueue(*months)
        return self.relay(resync=not report.resynchronised)

    # -- the hub's database backups ------------------------------------------------

    def backup(self) -> dict[str, list[dict[str, object]]]:
        """What `pg_dump` of the federation tables would hold now."""
        self.db.commit()
        return {
            table.name: [dict(row._mapping) for row in self.db.execute(select(table))]
            for table in FEDERATION_TABLES
        }

    def restore(self, backup: dict[str, list[dict[str, object]]]) -> None:
        """Put the federation tables back as they were in `backup`."""
        for table in reversed(FEDERATION_TABLES):
            self.db.execute(delete(table))
        for table in FEDERATION_TABLES:
            if backup[table.name]:
                self.db.execute(insert(table), backup[table.name])
        if self.db.get_bind().dialect.name == "postgresql":  # pg_restore restores sequences too
            for table in FEDERATION_TABLES[:3]:
                self.db.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                        f"(SELECT COALESCE(MAX(id), 0) + 1 FROM {table.name}), false)"
                    )
                )
        self.db.commit()
        self.db.expire_all()

    # -- reading the hub's state ---------------------------------------------------

    def entries(self) -> list[OutboxEntry]:
        self.db.expire_all()
        return list(self.db.scalars(select(OutboxEntry).order_by(OutboxEntry.seq)))

    def statuses(self) -> list[tuple[int, str]]:
        return [(entry.seq, entry.status.value) for entry in self.entries()]

    def alarms(self, kind: AlarmKind | None = None) -> list[Alarm]:
        self.db.expire_all()
        query = select(Alarm).order_by(Alarm.id)
        if kind is not None:
            query = query.where(Alarm.kind == kind)
        return list(self.db.scalars(query))

    def verified(self) -> list[VerifiedCheckpoint]:
        self.db.expire_all()
        return list(self.db.scalars(select(VerifiedCheckpoint).order_by(VerifiedCheckpoint.id)))


def outcomes(results: list[RelayResult]) -> list[tuple[int, RelayOutcome]]:
    return [(result.seq, result.outcome) for result in results]


def delivered(*seqs: int) -> list[tuple[int, str]]:
    return [(seq, OutboxStatus.DELIVERED.value) for seq in seqs]
