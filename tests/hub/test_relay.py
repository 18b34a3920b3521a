"""`relay_pending`: deliver in seq order, retry timing failures, stop at refusals."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
import requests
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy.orm import Session

from federation.periods import Period
from hub.outbox.models import OutboxEntry, OutboxStatus
from hub.outbox.services import (
    RelayOutcome,
    RelayResult,
    enqueue_summary,
    list_outbox,
    relay_pending,
)
from tests.hub.conftest import AUDIENCE, HUB_ID
from tests.hub.fake_aggregator import Answer, FakeAggregator, link_to

NOW = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)


class Run:
    """One relay run against a fake aggregator, recording sleeps and committed results."""

    def __init__(self, db: Session, hub_key: Ed25519PrivateKey, script: list[Answer]) -> None:
        self.db = db
        self.aggregator = FakeAggregator(hub_key.public_key(), hub_id=HUB_ID, script=script)
        self.sleeps: list[float] = []
        self.committed: list[RelayResult] = []

    def __call__(self, *, max_attempts: int = 5, **options: object) -> list[RelayResult]:
        def commit(result: RelayResult) -> None:
            self.db.commit()
            self.committed.append(result)

        return relay_pending(
            self.db,
            link_to(self.aggregator, hub_id=HUB_ID),
            now=lambda: NOW,
            sleep=self.sleeps.append,
            max_attempts_per_run=max_attempts,
            on_result=commit,
            rand=lambda: 1.0,  # the top of each full-jitter range, so delays are exact
            **options,  # type: ignore[arg-type]
        )


@pytest.fixture
def entries(db: Session, hub_key: Ed25519PrivateKey) -> list[OutboxEntry]:
    queued = [
        enqueue_summary(
            db, Period.month(2026, month), private_key=hub_key, hub_id=HUB_ID, aud=AUDIENCE, now=NOW
        )
        for month in (9, 10)
    ]
    db.commit()
    return [entry for entry in queued if entry is not None]


@pytest.fixture
def run(db: Session, hub_key: Ed25519PrivateKey) -> Callable[[list[Answer]], Run]:
    return lambda script: Run(db, hub_key, script)


def reload(db: Session, entry: OutboxEntry) -> OutboxEntry:
    db.expire_all()
    fresh = db.get(OutboxEntry, entry.seq)
    assert fresh is not None
    return fresh


def test_201_delivers_every_entry_in_order_and_keeps_the_receipts(
    db: Session, entries: list[OutboxEntry], run: Callable[[list[Answer]], Run]
) -> None:
    relay = run([])

    results = relay()

    assert [(r.seq, r.outcome, r.status) for r in results] == [
        (1, RelayOutcome.DELIVERED, 201),
        (2, RelayOutcome.DELIVERED, 201),
    ]
    assert relay.aggregator.requests == [entries[0].envelope, entries[1].envelope]
    assert relay.committed == results  # the caller committed after each entry
    assert relay.sleeps == []
    for entry in entries:
        stored = reload(db, entry)
        assert stored.status is OutboxStatus.DELIVERED
        assert stored.delivered_at == NOW
        assert json.loads(stored.receipt or "{}")["seq"] == stored.seq
    assert "log at index 1" in results[1].detail


def test_503_then_201_retries_with_full_jitter_backoff(
    db: Session, entries: list[OutboxEntry], run: Callable[[list[Answer]], Run]
) -> None:
    relay = run([503, 503, 201])

    results = relay()

    assert relay.sleeps == [2.0, 4.0]  # base 2: up to 2 s, then up to 4 s
    assert results[0].outcome is RelayOutcome.DELIVERED
    assert reload(db, entries[0]).attempts == 3


def test_retry_after_from_the_server_is_respected(
    entries: list[OutboxEntry], run: Callable[[list[Answer]], Run]
) -> None:
    relay = run([(429, {"headers": {"Retry-After": "30"}}), 201])

    relay()

    assert relay.sleeps == [30.0]


def test_still_failing_after_the_runs_attempts_stays_pending_with_a_next_attempt_time(
    db: Session, entries: list[OutboxEntry], run: Callable[[list[Answer]], Run]
) -> None:
    relay = run([503, 503, 503])

    results = relay(max_attempts=3)

    assert relay.sleeps == [2.0, 4.0]
    assert [r.outcome for r in results] == [RelayOutcome.WILL_RETRY]  # seq 2 not attempted
    assert len(relay.aggregator.requests) == 3
    stored = reload(db, entries[0])
    assert stored.status is OutboxStatus.PENDING
    assert (stored.attempts, stored.last_status) == (3, 503)
    assert stored.last_error == "HTTP 503: scripted 503"
    assert stored.next_attempt_at == NOW + timedelta(seconds=8)


def test_no_answer_at_all_leaves_the_entry_pending(
    db: Session, entries: list[OutboxEntry], run: Callable[[list[Answer]], Run]
) -> None:
    relay = run([requests.ConnectionError("connection refused")] * 2)

    results = relay(max_attempts=2)

    assert results[0].outcome is RelayOutcome.WILL_RETRY
    stored = reload(db, entries[0])
    assert stored.status is OutboxStatus.PENDING
    assert stored.last_status is None
    assert "no answer" in (stored.last_error or "")
    assert "connection refused" in (stored.last_error or "")


def test_a_later_run_picks_up_where_the_last_one_stopped(
    db: Session, entries: list[OutboxEntry], run: Callable[[list[Answer]], Run]
) -> None:
    run([requests.Timeout("timed out")])(max_attempts=1)

    results = run([])()

    assert [r.outcome for r in results] == [RelayOutcome.DELIVERED] * 2
    assert reload(db, entries[0]).attempts == 2


def test_due_only_leaves_an_entry_that_is_backing_off(
    entries: list[OutboxEntry], run: Callable[[list[Answer]], Run]
) -> None:
    run([503])(max_attempts=1)
    relay = run([])

    results = relay(due_only=True)

    assert [r.outcome for r in results] == [RelayOutcome.BACKING_OFF]
    assert relay.aggregator.requests == []


def test_400_rejects_the_entry_and_sends_nothing_after_it(
    db: Session, entries: list[OutboxEntry], run: Callable[[list[Answer]], Run]
) -> None:
    relay = run([400])

    results = relay()

    assert [(r.seq, r.outcome) for r in results] == [(1, RelayOutcome.REJECTED)]
    assert relay.aggregator.requests == [entries[0].envelope]
    assert relay.sleeps == []
    assert reload(db, entries[0]).status is OutboxStatus.REJECTED
    assert reload(db, entries[0]).last_error == "HTTP 400: scripted 400"

    later = run([])
    assert [r.outcome for r in later()] == [RelayOutcome.REJECTED]
    assert later.aggregator.requests == []  # nothing can follow a rejected entry
    assert reload(db, entries[1]).status is OutboxStatus.PENDING


def test_409_records_the_expected_seq_and_stops(
    db: Session, entries: list[OutboxEntry], run: Callable[[list[Answer]], Run]
) -> None:
    relay = run([(409, {"expected_seq": 4})])

    results = relay()

    assert [r.outcome for r in results] == [RelayOutcome.OUT_OF_SEQUENCE]
    stored = reload(db, entries[0])
    assert stored.status is OutboxStatus.PENDING
    assert "expects seq 4, this is seq 1" in (stored.last_error or "")


def test_401_keeps_the_entry_pending_until_the_key_is_registered(
    db: Session, entries: list[OutboxEntry], run: Callable[[list[Answer]], Run]
) -> None:
    relay = run([401])

    results = relay()

    assert [(r.outcome, r.status) for r in results] == [(RelayOutcome.WILL_RETRY, 401)]
    assert relay.sleeps == []  # retrying now would not help
    stored = reload(db, entries[0])
    assert stored.status is OutboxStatus.PENDING
    assert "send hub-key.pub to the national team" in (stored.last_error or "")


def test_a_receipt_that_does_not_verify_is_not_delivered_and_is_logged(
    db: Session,
    entries: list[OutboxEntry],
    run: Callable[[list[Answer]], Run],
    caplog: pytest.LogCaptureFixture,
) -> None:
    relay = run([])
    relay.aggregator.log_key = Ed25519PrivateKey.generate()  # not the key the hub pinned
    pinned = Ed25519PrivateKey.generate().public_key()

    with caplog.at_level(logging.ERROR):
        results = relay_pending(
            db,
            link_to(relay.aggregator, hub_id=HUB_ID, log_key=pinned),
            now=lambda: NOW,
            sleep=relay.sleeps.append,
            on_result=lambda _result: db.commit(),
        )

    assert [r.outcome for r in results] == [RelayOutcome.RECEIPT_UNVERIFIED]
    stored = reload(db, entries[0])
    assert stored.status is OutboxStatus.PENDING
    assert stored.receipt is not None  # kept as evidence
    assert "does not verify" in caplog.text


def test_an_identical_resend_gets_the_original_receipt(
    db: Session, entries: list[OutboxEntry], run: Callable[[list[Answer]], Run]
) -> None:
    relay = run([])
    relay()
    first_receipt = reload(db, entries[0]).receipt
    for entry in list_outbox(db):  # as if the hub had lost its record of delivery
        entry.status = OutboxStatus.PENDING
    db.commit()

    results = relay()

    assert [r.status for r in results] == [200, 200]
    assert reload(db, entries[0]).receipt == first_receipt
