"""Every contact audits the aggregator's log: consistency, the hub's own entries, alarms."""

from __future__ import annotations

import base64
import json
import logging

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy.orm import Session

from federation.canonical import canonical_json
from federation.checkpoint import Checkpoint, sign_checkpoint
from federation.merkle import root_from_leaf_hashes
from hub.audit.models import AlarmKind
from hub.audit.services import alarm_evidence, resolve_alarm
from hub.outbox.services import RelayOutcome
from tests.hub.fake_aggregator import ORIGIN
from tests.hub.federation_harness import HubUnderTest, delivered, outcomes


@pytest.fixture
def hub(db: Session, hub_key: Ed25519PrivateKey) -> HubUnderTest:
    return HubUnderTest(db, hub_key)


def test_the_first_contact_takes_the_checkpoint_and_later_ones_prove_consistency(
    hub: HubUnderTest,
) -> None:
    hub.aggregator.append_foreign(b"another hub's statement")

    first = hub.contact()
    hub.aggregator.append_foreign(b"a key event")
    hub.aggregator.append_foreign(b"a third leaf")
    second = hub.contact()

    assert first.failure is None and second.failure is None
    assert [(row.size, row.note is not None) for row in hub.verified()] == [(1, True), (3, False)]
    assert "trusted on first use" in (hub.verified()[0].note or "")
    stored = json.loads(hub.verified()[1].signed)
    assert stored["size"] == 3 and stored["signature"]  # the signed checkpoint is kept
    assert "/api/v1/log/proof/consistency" in hub.aggregator.gets
    assert "Log checkpoint: size 3 verified, consistent with size 1." in second.lines()
    assert hub.alarms() == []


def test_delivery_verifies_each_receipt_and_advances_the_verified_checkpoint(
    hub: HubUnderTest,
) -> None:
    hub.contact()
    hub.enqueue(9, 10)

    results = hub.relay()

    assert outcomes(results) == [(1, RelayOutcome.DELIVERED), (2, RelayOutcome.DELIVERED)]
    assert [row.size for row in hub.verified()] == [0, 1, 2]
    assert [entry.log_index for entry in hub.entries()] == [0, 1]


def test_a_rewritten_history_raises_an_alarm_with_both_checkpoints_and_stops_trusting(
    hub: HubUnderTest, caplog: pytest.LogCaptureFixture
) -> None:
    hub.push(9, 10)
    before = hub.verified()[-1]
    hub.aggregator.rewrite_entry(0, b"a different first entry")
    hub.aggregator.append_foreign(b"and the log carries on")

    with caplog.at_level(logging.ERROR):
        report = hub.contact()

    [alarm] = hub.alarms()
    assert alarm.kind is AlarmKind.LOG_INCONSISTENT
    assert "ALARM" in caplog.text and "not consistent" in caplog.text
    evidence = alarm_evidence(alarm)
    assert evidence["last_verified"] == json.loads(before.signed)
    assert evidence["new"]["size"] == 3
    assert evidence["new"]["signature"]  # the aggregator's own signature on the fork
    assert evidence["proof"] is not None
    assert report.untrusted is not None and report.untrusted.id == alarm.id
    assert hub.verified()[-1].id == before.id  # the last verified checkpoint is kept

    hub.aggregator.append_foreign(b"more")
    again = hub.contact()  # an open alarm: no newer checkpoint is trusted
    assert hub.verified()[-1].id == before.id
    assert again.untrusted is not None and len(hub.alarms()) == 1


def test_the_same_size_with_another_root_is_an_alarm(hub: HubUnderTest) -> None:
    hub.push(10)
    forged = Checkpoint(ORIGIN, 1, root_from_leaf_hashes([b"\x07" * 32]))
    hub.aggregator.checkpoints[1] = sign_checkpoint(forged, hub.aggregator.log_key).as_json()

    hub.contact()

    [alarm] = hub.alarms()
    assert alarm.kind is AlarmKind.LOG_INCONSISTENT
    assert "two different roots for the same tree size 1" in alarm.detail


def test_an_open_alarm_blocks_the_relay(hub: HubUnderTest) -> None:
    hub.push(9)
    hub.aggregator.rewrite_entry(0, b"forged")
    hub.contact()
    hub.enqueue(10)

    results = hub.relay()

    assert outcomes(results) == [(2, RelayOutcome.BLOCKED)]
    assert "alarm 1 (log-inconsistent) is unresolved" in results[0].detail
    assert len(hub.aggregator.requests) == 1  # nothing more was sent


def test_a_receipt_whose_checkpoint_forks_from_the_verified_one_is_not_delivered(
    hub: HubUnderTest,
) -> None:
    hub.push(9)
    hub.aggregator.rewrite_entry(0, b"forged, between two contacts")
    hub.enqueue(10)

    results = hub.relay()  # no contact first: the receipt's checkpoint is the first sign

    assert outcomes(results) == [(2, RelayOutcome.BLOCKED)]
    assert hub.statuses() == [(1, "delivered"), (2, "pending")]
    [alarm] = hub.alarms()
    assert alarm.kind is AlarmKind.LOG_INCONSISTENT
    assert hub.entries()[1].receipt is not None  # kept as evidence


def test_a_log_that_went_back_in_time_is_an_alarm(hub: HubUnderTest) -> None:
    backup = hub.aggregator.snapshot()
    hub.push(9, 10)
    hub.aggregator.restore(backup)

    hub.contact()

    [alarm] = hub.alarms()
    assert alarm.kind is AlarmKind.LOG_INCONSISTENT
    assert "refused a consistency proof from 0 to 2" in alarm.detail or "size 0" in alarm.detail


def test_an_older_checkpoint_that_is_a_prefix_is_fine(hub: HubUnderTest) -> None:
    hub.push(9, 10)
    hub.aggregator.stale_size = 1  # a cache in front of the aggregator lags behind

    report = hub.contact()

    assert hub.alarms() == []
    assert report.verdict is not None and "a prefix of the last verified one" in report.verdict.note
    assert hub.verified()[-1].size == 2


def test_a_tampered_entry_raises_an_alarm_with_both_envelopes(
    hub: HubUnderTest, caplog: pytest.LogCaptureFixture
) -> None:
    hub.aggregator.append_foreign(b"someone else's leaf")
    hub.push(9, 10)
    ours = hub.entries()[1]
    tampered = ours.envelope.replace(b'"payload":"', b'"payload":"AAAA')
    hub.aggregator.tamper_entry(2, tampered)

    with caplog.at_level(logging.ERROR):
        report = hub.contact()

    [alarm] = hub.alarms()
    assert alarm.kind is AlarmKind.ENTRY_MISMATCH
    assert "seq 2, at log index 2" in alarm.detail
    evidence = alarm_evidence(alarm)
    assert evidence["log_index"] == 2 and evidence["seq"] == 2
    assert base64.b64decode(evidence["ours"]) == ours.envelope
    assert base64.b64decode(evidence["theirs"]) == tampered
    assert evidence["checkpoint"]["size"] == 3
    assert report.entries is not None and report.entries.checked == 2
    assert "ALARM" in caplog.text
    # only this hub's own entries were asked for, in one contiguous range
    assert hub.aggregator.gets.count("/api/v1/log/entries") == 1


def test_every_contact_checks_the_hubs_entries_and_their_inclusion(hub: HubUnderTest) -> None:
    hub.push(9, 10)
    hub.aggregator.gets.clear()

    report = hub.contact()

    assert report.entries is not None and report.entries.checked == 2
    assert hub.aggregator.gets.count("/api/v1/log/proof/inclusion") == 2
    assert "Own statements in the log: 2 checked, all present and unchanged." in report.lines()


def test_a_checkpoint_not_signed_by_the_pinned_key_is_a_failed_contact_not_an_alarm(
    hub: HubUnderTest,
) -> None:
    hub.push(9)
    hub.aggregator.log_key = Ed25519PrivateKey.generate()
    hub.aggregator.checkpoints.clear()

    report = hub.contact()

    assert (
        report.failure is not None and "does not verify with the pinned log key" in report.failure
    )
    assert hub.alarms() == []


def test_an_unreachable_aggregator_is_a_failed_contact(hub: HubUnderTest) -> None:
    import requests

    def down(*_args: object, **_kwargs: object) -> object:
        raise requests.ConnectionError("connection refused")

    hub.aggregator.get = down  # type: ignore[method-assign]

    report = hub.contact()

    assert report.failure is not None and "connection refused" in report.failure
    assert hub.alarms() == [] and hub.verified() == []


def test_resolving_a_log_alarm_takes_the_current_checkpoint_as_a_new_start(
    hub: HubUnderTest,
) -> None:
    hub.push(9)
    hub.aggregator.rewrite_entry(0, hub.entries()[0].envelope + b" ")
    hub.contact()
    [alarm] = hub.alarms()

    resolve_alarm(hub.db, alarm.id, "the national team explained the fork", now=hub.now)
    hub.db.commit()
    report = hub.contact()

    restarted = hub.verified()[-1]
    assert restarted.note is not None and f"after alarm {alarm.id}" in restarted.note
    assert hub.alarms()[0].restarted_at_id == restarted.id
    assert report.untrusted is None
    # our entry's bytes were rewritten in that fork: the entry check says so at once
    assert [a.kind for a in hub.alarms()] == [AlarmKind.LOG_INCONSISTENT, AlarmKind.ENTRY_MISMATCH]


def test_a_delivery_alert_after_the_configured_days_and_cleared_once_delivered(
    hub: HubUnderTest, caplog: pytest.LogCaptureFixture
) -> None:
    hub.enqueue(10)
    hub.aggregator.script.extend([503] * 2)
    hub.relay()
    hub.later(days=1, hours=23)
    hub.relay()
    assert hub.alarms() == []  # not yet two days

    hub.later(hours=2)
    with caplog.at_level(logging.ERROR):
        report = hub.contact()

    [alarm] = hub.alarms(AlarmKind.DELIVERY)
    assert report.delivery_alarm is not None and report.delivery_alarm.id == alarm.id
    assert "seq 1 (2026-10) has waited 2 days 1 h" in alarm.detail
    assert "HTTP 503" in alarm.detail
    assert "ALARM" in caplog.text

    hub.later(hours=1)
    hub.contact()
    assert len(hub.alarms(AlarmKind.DELIVERY)) == 1  # the same alarm, not a new one

    hub.relay()
    hub.contact()
    assert hub.statuses() == delivered(1)
    [cleared] = hub.alarms(AlarmKind.DELIVERY)
    assert cleared.resolved_at is not None and "automatically" in (cleared.resolution or "")


def test_the_delivery_alert_days_are_configurable(hub: HubUnderTest) -> None:
    hub.alert_days = 0.5
    hub.enqueue(10)
    hub.aggregator.script.append(503)
    hub.relay()
    hub.later(hours=13)

    hub.contact()

    assert [a.kind for a in hub.alarms()] == [AlarmKind.DELIVERY]


def test_a_delivery_alarm_does_not_stop_the_relay(hub: HubUnderTest) -> None:
    hub.enqueue(10)
    hub.aggregator.script.append(503)
    hub.relay()
    hub.later(days=3)
    hub.contact()

    results = hub.relay()

    assert outcomes(results) == [(1, RelayOutcome.DELIVERED)]


def test_checkpoints_are_stored_as_signed(hub: HubUnderTest) -> None:
    hub.push(10)

    row = hub.verified()[-1]

    assert row.signed == canonical_json(json.loads(row.signed))
    assert base64.b64decode(json.loads(row.signed)["root"]) == row.root


def test_a_hub_upgraded_with_receipts_starts_from_its_newest_receipt(
    hub: HubUnderTest,
) -> None:
    hub.push(9, 10)
    for row in hub.verified():  # as if these receipts came before log auditing existed
        hub.db.delete(row)
    hub.db.commit()
    hub.aggregator.rewrite_entry(1, b"rewritten before the upgrade")

    hub.contact()

    first = hub.verified()[0]
    assert first.size == 2 and "newest receipt" in (first.note or "")
    assert [alarm.kind for alarm in hub.alarms()] == [AlarmKind.LOG_INCONSISTENT]
