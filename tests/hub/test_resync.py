"""Resynchronising the outbox with the aggregator: cases (a)–(d) of the design, and no loops."""

from __future__ import annotations

import base64
import hashlib
import json

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy.orm import Session

from federation.envelope import TrustedKey, sign_statement, verify_envelope
from federation.periods import Period
from hub.audit.models import AlarmKind
from hub.audit.services import alarm_evidence, resolve_alarm
from hub.outbox.services import RelayOutcome, enqueue_summary, signed_statement
from tests.hub.conftest import HUB_ID
from tests.hub.federation_harness import HubUnderTest, delivered, outcomes


@pytest.fixture
def hub(db: Session, hub_key: Ed25519PrivateKey) -> HubUnderTest:
    return HubUnderTest(db, hub_key)


def payload_of(envelope: bytes) -> bytes:
    return base64.b64decode(json.loads(envelope)["payload"])


def periods_at_aggregator(hub: HubUnderTest) -> list[tuple[int, str]]:
    trusted = TrustedKey(hub.key.public_key(), HUB_ID)
    return [
        (seq, verify_envelope(stored.envelope, lambda _k: trusted).period.label)
        for seq, stored in sorted(hub.aggregator.statements.items())
    ]


def test_a_restored_hub_takes_back_what_the_aggregator_holds_before_signing(
    hub: HubUnderTest,
) -> None:
    hub.push(9)
    backup = hub.backup()
    hub.push(10)
    sent = hub.entries()[1].envelope
    hub.restore(backup)  # the hub's database goes back to before October was sent
    assert hub.statuses() == delivered(1)

    results = hub.push(11)

    assert hub.statuses() == delivered(1, 2, 3)
    assert outcomes(results) == [(3, RelayOutcome.DELIVERED)]
    october = hub.entries()[1]
    assert (october.envelope, october.log_index) == (sent, 1)  # the aggregator's exact copy
    assert periods_at_aggregator(hub) == [(1, "2026-09"), (2, "2026-10"), (3, "2026-11")]
    assert len(hub.aggregator.requests) == 3  # seq 3 was signed after the resync: no conflict


def test_a_restored_hub_does_not_build_a_period_the_aggregator_already_has(
    hub: HubUnderTest,
) -> None:
    hub.push(10)
    backup = hub.backup()
    hub.restore({name: [] for name in backup})  # a backup from before anything was sent

    hub.contact()

    assert hub.statuses() == delivered(1)
    again = enqueue_summary(
        hub.db, Period.month(2026, 10), private_key=hub.key, hub_id=HUB_ID, aud="x", now=hub.now
    )
    assert again is None


def test_a_pending_entry_the_aggregator_already_has_is_marked_delivered(
    hub: HubUnderTest,
) -> None:
    hub.push(9)
    hub.enqueue(10)
    backup = hub.backup()  # October signed and queued, not yet sent
    hub.relay()
    hub.restore(backup)
    assert hub.statuses() == [(1, "delivered"), (2, "pending")]

    report = hub.contact()

    assert hub.statuses() == delivered(1, 2)
    assert report.resync is not None and report.resync.imported == [2]
    assert "/api/v1/submissions/" in "".join(hub.aggregator.gets)  # a fresh receipt
    assert hub.relay() == []
    assert len(hub.aggregator.requests) == 2


def test_a_lost_answer_is_found_delivered_on_the_next_contact(hub: HubUnderTest) -> None:
    hub.contact()
    hub.enqueue(10)
    hub.aggregator.lose_answers(1)

    lost = hub.relay()

    assert outcomes(lost) == [(1, RelayOutcome.WILL_RETRY)]
    assert "no answer" in lost[0].detail
    assert hub.statuses() == [(1, "pending")]

    hub.contact()

    assert hub.statuses() == delivered(1)
    assert len(hub.aggregator.requests) == 1
    assert hub.aggregator.statements[1].envelope == hub.entries()[0].envelope


def test_a_lost_answer_resent_gets_the_original_receipt(hub: HubUnderTest) -> None:
    hub.contact()
    hub.enqueue(9, 10)
    hub.aggregator.lose_answers(1)
    hub.relay()

    results = hub.relay()  # no contact in between: the resend meets a 200

    assert outcomes(results) == [(1, RelayOutcome.DELIVERED), (2, RelayOutcome.DELIVERED)]
    assert results[0].status == 200
    assert len(hub.aggregator.statements) == 2


def test_pending_entries_are_renumbered_after_the_aggregators_last_seq(
    hub: HubUnderTest,
) -> None:
    hub.push(9)
    backup = hub.backup()
    hub.push(10)
    hub.restore(backup)
    hub.enqueue(11)  # signed as seq 2 while the aggregator was out of reach
    assert [e.seq for e in hub.entries()] == [1, 2]

    results = hub.relay()  # the aggregator holds October at seq 2: 422, then one resync

    assert outcomes(results) == [
        (2, RelayOutcome.OUT_OF_SEQUENCE),
        (2, RelayOutcome.RESYNCHRONISED),
        (3, RelayOutcome.DELIVERED),
    ]
    assert "renumbered pending entries 2→3" in results[1].detail
    assert hub.statuses() == delivered(1, 2, 3)
    november = hub.entries()[2]
    statement = signed_statement(november)
    assert (statement.seq, statement.prev) == (3, hub.entries()[1].payload_sha256)
    assert statement.period == Period.month(2026, 11)
    assert november.payload_sha256 == hashlib.sha256(statement.payload).hexdigest()
    assert periods_at_aggregator(hub) == [(1, "2026-09"), (2, "2026-10"), (3, "2026-11")]


def test_a_rebuilt_period_the_aggregator_already_has_is_dropped_not_sent_twice(
    hub: HubUnderTest,
) -> None:
    hub.push(9)
    backup = hub.backup()
    hub.push(10)
    sent = hub.entries()[1].envelope
    hub.restore(backup)
    hub.later(hours=1)
    hub.enqueue(10, 11)  # October built again (another `created`), and November

    hub.contact()
    hub.relay()

    assert hub.statuses() == delivered(1, 2, 3)
    assert hub.entries()[1].envelope == sent
    assert periods_at_aggregator(hub) == [(1, "2026-09"), (2, "2026-10"), (3, "2026-11")]


def test_a_restored_aggregator_raises_an_alarm_then_gets_the_lost_statements_again(
    hub: HubUnderTest,
) -> None:
    hub.push(9)
    backup = hub.aggregator.snapshot()
    hub.push(10, 11)
    sent = [entry.envelope for entry in hub.entries()]
    hub.aggregator.restore(backup)  # the national team restored yesterday's database

    report = hub.contact()
    blocked = hub.relay()

    [alarm] = hub.alarms()
    assert alarm.kind is AlarmKind.LOG_INCONSISTENT and "gone back in time" in alarm.detail
    assert report.untrusted is not None
    assert outcomes(blocked) == []  # everything is delivered as far as the hub knew

    resolve_alarm(hub.db, alarm.id, "national team restored from backup, ticket 42", now=hub.now)
    hub.db.commit()
    report = hub.contact()

    assert report.resync is not None and report.resync.requeued == [2, 3]
    assert hub.statuses() == [(1, "delivered"), (2, "pending"), (3, "pending")]

    results = hub.relay()

    assert outcomes(results) == [(2, RelayOutcome.DELIVERED), (3, RelayOutcome.DELIVERED)]
    assert hub.aggregator.requests[-2:] == sent[1:]  # the same bytes, in order
    assert [s.envelope for _, s in sorted(hub.aggregator.statements.items())] == sent
    assert [a.kind for a in hub.alarms() if a.resolved_at is None] == []


def test_a_409_after_the_aggregator_lost_statements_resyncs_and_resends_in_order(
    hub: HubUnderTest,
) -> None:
    hub.push(9)
    backup = hub.aggregator.snapshot()
    hub.push(10)
    hub.aggregator.restore(backup)
    hub.enqueue(11)

    results = hub.relay()  # no contact first: the 409 is the first sign

    assert outcomes(results) == [
        (3, RelayOutcome.OUT_OF_SEQUENCE),
        (3, RelayOutcome.RESYNCHRONISED),
        (2, RelayOutcome.DELIVERED),
        (3, RelayOutcome.DELIVERED),
    ]
    assert "the aggregator no longer holds seq 2" in results[1].detail
    # Nothing else was logged meanwhile, so resending the same bytes rebuilt the same tree:
    # the log is consistent with every checkpoint the hub verified.
    assert hub.alarms() == []
    assert periods_at_aggregator(hub) == [(1, "2026-09"), (2, "2026-10"), (3, "2026-11")]


def test_a_409_after_the_aggregator_lost_statements_stops_at_the_log_alarm(
    hub: HubUnderTest,
) -> None:
    hub.push(9)
    backup = hub.aggregator.snapshot()
    hub.push(10)
    hub.aggregator.restore(backup)
    hub.aggregator.append_foreign(b"another hub sent something after the restore")
    hub.enqueue(11)

    results = hub.relay()

    assert outcomes(results) == [
        (3, RelayOutcome.OUT_OF_SEQUENCE),
        (3, RelayOutcome.RESYNCHRONISED),
        (2, RelayOutcome.BLOCKED),
    ]
    assert hub.statuses() == [(1, "delivered"), (2, "pending"), (3, "pending")]
    assert [a.kind for a in hub.alarms()] == [AlarmKind.LOG_INCONSISTENT]
    assert 2 in hub.aggregator.statements  # the aggregator has October again: nothing lost


def test_a_different_statement_at_a_delivered_seq_raises_an_alarm_and_changes_nothing(
    hub: HubUnderTest,
) -> None:
    hub.push(9, 10)
    before = [(e.seq, e.status, e.envelope) for e in hub.entries()]
    ours = hub.entries()[1]
    statement = signed_statement(ours)
    forged_statement = {
        "v": 1,
        "kind": statement.kind,
        "hub_id": statement.hub_id,
        "seq": 2,
        "prev": statement.prev,
        "submission_id": "0e0e0e0e-0e0e-4e0e-8e0e-0e0e0e0e0e0e",
        "aud": statement.aud,
        "created": "2026-11-01T10:00:00Z",
        "schema": statement.schema,
        "period": statement.period.as_json(),
        "body": dict(statement.body),
    }
    rogue = sign_statement(forged_statement, hub.key)  # someone else holding the hub's key
    stored = hub.aggregator.statements[2]
    stored.envelope = rogue
    stored.payload_sha256 = hashlib.sha256(payload_of(rogue)).hexdigest()

    report = hub.contact()
    results = hub.relay()

    [alarm] = hub.alarms()
    assert alarm.kind is AlarmKind.SEQUENCE_CONFLICT
    assert "different statement at this hub's seq 2" in alarm.detail
    evidence = alarm_evidence(alarm)
    assert base64.b64decode(evidence["ours"]["envelope"]) == ours.envelope
    assert base64.b64decode(evidence["theirs"]["envelope"]) == rogue
    assert report.untrusted is not None and report.untrusted.id == alarm.id
    assert [(e.seq, e.status, e.envelope) for e in hub.entries()] == before
    assert results == []  # nothing pending; and with one pending the relay is blocked:
    hub.enqueue(11)
    assert outcomes(hub.relay()) == [(3, RelayOutcome.BLOCKED)]


def test_a_statement_not_signed_by_the_hubs_keys_is_a_conflict(hub: HubUnderTest) -> None:
    hub.push(9)
    stranger = Ed25519PrivateKey.generate()
    backup = hub.backup()
    hub.push(10)
    hub.restore(backup)  # the hub no longer knows October
    stored = hub.aggregator.statements[2]
    statement = signed_statement(hub.entries()[0])
    envelope = sign_statement(
        {
            "v": 1,
            "kind": "summary",
            "hub_id": HUB_ID,
            "seq": 2,
            "prev": statement.payload_sha256,
            "submission_id": stored.submission_id,
            "aud": statement.aud,
            "created": "2026-11-01T10:00:00Z",
            "schema": "summary/1",
            "period": Period.month(2026, 10).as_json(),
            "body": dict(statement.body),
        },
        stranger,
    )
    stored.envelope = envelope

    hub.contact()

    [alarm] = hub.alarms()
    assert alarm.kind is AlarmKind.SEQUENCE_CONFLICT
    assert "not signed by this hub's keys" in alarm.detail
    assert hub.statuses() == delivered(1)


def test_two_conflicts_in_one_run_resync_once_and_stop(hub: HubUnderTest) -> None:
    hub.contact()
    hub.enqueue(10)
    hub.aggregator.script.extend([(409, {"expected_seq": 7}), (409, {"expected_seq": 7})])

    results = hub.relay()

    assert outcomes(results) == [
        (1, RelayOutcome.OUT_OF_SEQUENCE),
        (1, RelayOutcome.RESYNCHRONISED),
        (1, RelayOutcome.OUT_OF_SEQUENCE),
    ]
    assert "in step with the aggregator" in results[1].detail
    assert len(hub.aggregator.requests) == 2
    assert hub.statuses() == [(1, "pending")]
