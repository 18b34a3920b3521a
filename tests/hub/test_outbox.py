"""`enqueue_summary`: sign each period once, as the next link of the hub's chain."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from federation.envelope import TrustedKey, verify_envelope
from federation.periods import Period
from federation.statement import check_statement
from hub.outbox import services
from hub.outbox.models import OutboxEntry, OutboxStatus
from hub.outbox.services import enqueue_summary, list_outbox
from hub.summary.models import StoredRelease
from hub.summary.services import PeriodNotEnded, build_summary, prepare_release
from tests.hub.conftest import AUDIENCE, HUB_ID, person, raise_item

NOW = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
OCTOBER, NOVEMBER = Period.month(2026, 10), Period.month(2026, 11)


def enqueue(db: Session, key: Ed25519PrivateKey, period: Period) -> OutboxEntry | None:
    return enqueue_summary(db, period, private_key=key, hub_id=HUB_ID, aud=AUDIENCE, now=NOW)


def test_the_first_summary_is_seq_1_signed_and_checkable_by_the_aggregator(
    db: Session, hub_key: Ed25519PrivateKey
) -> None:
    raise_item(db, person(db))

    entry = enqueue(db, hub_key, OCTOBER)
    db.commit()

    assert entry is not None
    assert (entry.seq, entry.prev, entry.status, entry.attempts) == (
        1,
        None,
        OutboxStatus.PENDING,
        0,
    )
    trusted = TrustedKey(hub_key.public_key(), HUB_ID)
    statement = verify_envelope(entry.envelope, lambda _keyid: trusted)
    check_statement(statement, audience=AUDIENCE, now=NOW)
    assert (statement.kind, statement.schema, statement.period) == ("summary", "summary/1", OCTOBER)
    assert (statement.seq, statement.prev, statement.created) == (1, None, NOW)
    assert statement.submission_id == entry.submission_id
    assert statement.payload_sha256 == entry.payload_sha256
    assert dict(statement.body) == build_summary(db, OCTOBER)


def test_each_entry_chains_to_the_previous_payload(db: Session, hub_key: Ed25519PrivateKey) -> None:
    first = enqueue(db, hub_key, OCTOBER)
    second = enqueue(db, hub_key, NOVEMBER)
    db.commit()

    assert first is not None and second is not None
    assert second.seq == 2
    assert second.prev == first.payload_sha256
    trusted = TrustedKey(hub_key.public_key(), HUB_ID)
    assert verify_envelope(second.envelope, lambda _keyid: trusted).prev == first.payload_sha256


def test_a_period_already_in_the_outbox_is_not_built_again(
    db: Session, hub_key: Ed25519PrivateKey
) -> None:
    first = enqueue(db, hub_key, OCTOBER)
    db.commit()
    assert first is not None
    first.status = OutboxStatus.DELIVERED
    raise_item(db, person(db))  # new data for October changes nothing already released
    db.commit()

    again = enqueue(db, hub_key, OCTOBER)

    assert again is None
    assert [entry.seq for entry in list_outbox(db)] == [1]
    assert db.scalar(select(func.count()).select_from(OutboxEntry)) == 1


def test_a_period_that_has_not_ended_is_refused_and_nothing_is_stored_or_queued(
    db: Session, hub_key: Ed25519PrivateKey
) -> None:
    raise_item(db, person(db), at=datetime(2026, 11, 10, 12, tzinfo=UTC))

    def push_on(today: date) -> OutboxEntry | None:
        return enqueue_summary(
            db, NOVEMBER, private_key=hub_key, hub_id=HUB_ID, aud=AUDIENCE, now=NOW, today=today
        )

    with pytest.raises(PeriodNotEnded, match="ends on 2026-11-30") as refused:
        push_on(date(2026, 11, 30))  # its last day: still running

    assert "from 2026-12-01" in str(refused.value)
    assert list_outbox(db) == []
    assert db.scalar(select(func.count()).select_from(StoredRelease)) == 0
    assert push_on(date(2026, 12, 1)) is not None


def test_a_release_already_stored_for_a_running_period_is_not_queued_either(
    db: Session, hub_key: Ed25519PrivateKey
) -> None:
    prepare_release(db, NOVEMBER, now=NOW)  # e.g. stored before push refused running periods

    with pytest.raises(PeriodNotEnded):
        enqueue_summary(
            db,
            NOVEMBER,
            private_key=hub_key,
            hub_id=HUB_ID,
            aud=AUDIENCE,
            now=NOW,
            today=NOW.date(),
        )

    assert list_outbox(db) == []


def test_two_pushes_cannot_claim_the_same_seq(
    db: Session, hub_key: Ed25519PrivateKey, monkeypatch: pytest.MonkeyPatch
) -> None:
    enqueue(db, hub_key, OCTOBER)
    db.commit()
    # The second push read the chain before the first one committed, so it also wants seq 1.
    monkeypatch.setattr(services, "chain_position", lambda _session: (1, None))

    with pytest.raises(IntegrityError):
        enqueue(db, hub_key, NOVEMBER)
    db.rollback()

    assert [entry.seq for entry in list_outbox(db)] == [1]
