"""`hubnet hub audit`, `alarms`, `witness`, and the delivery alert, as an operator runs them."""

from __future__ import annotations

import base64
import json
from datetime import timedelta
from pathlib import Path

import pytest
import requests

from federation.checkpoint import Checkpoint, verify_cosignature
from federation.keys import key_id, load_public_key
from hub import create_app
from hub.outbox import cli as outbox_cli
from tests.hub.conftest import hubnet_hub, script, seed
from tests.hub.fake_aggregator import ORIGIN, FakeAggregator


@pytest.fixture(autouse=True)
def no_waiting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(outbox_cli.time, "sleep", lambda _seconds: None)


def push(instance: Path, period: str = "2026-10") -> str:
    result = hubnet_hub("push", "--instance", str(instance), "--period", period)
    assert result.exit_code == 0, result.output
    return result.output


def test_audit_says_all_is_well_and_exits_0(instance: Path, aggregator: FakeAggregator) -> None:
    seed(instance, 9)
    push(instance)

    result = hubnet_hub("audit", "--instance", str(instance))

    assert result.exit_code == 0, result.output
    assert "Log checkpoint: size 1 verified (unchanged since the last verified one)." in (
        result.output
    )
    assert "Own statements in the log: 1 checked, all present and unchanged." in result.output
    assert "Outbox: 1 delivered, 0 pending, 0 rejected." in result.output
    assert result.output.rstrip().endswith("All is well.")


def test_audit_raises_and_shows_an_alarm_for_a_tampered_entry_until_resolved(
    instance: Path, aggregator: FakeAggregator
) -> None:
    push(instance)
    aggregator.tamper_entry(0, aggregator.entries[0].replace(b"payload", b"payl0ad"))

    audited = hubnet_hub("audit", "--instance", str(instance))
    listed = hubnet_hub("alarms", "--instance", str(instance))
    shown = hubnet_hub("alarms", "show", "1", "--instance", str(instance))
    pushed = hubnet_hub("push", "--instance", str(instance), "--period", "2026-09")

    assert audited.exit_code == 1
    assert "ALARM 1 (entry-mismatch)" in audited.output
    assert "seq 1, at log index 0" in audited.output
    assert "not all is well" in audited.output
    assert "unresolved alarm" in audited.output
    assert listed.exit_code == 1 and "UNRESOLVED" in listed.output
    evidence = json.loads(shown.output)["evidence"]
    assert evidence["log_index"] == 0 and evidence["ours"] != evidence["theirs"]
    assert pushed.exit_code == 1  # nothing is sent while the alarm is open
    assert "NOT delivered (blocked by an alarm)" in pushed.output
    assert len(aggregator.requests) == 1

    resolved = hubnet_hub(
        "alarms", "resolve", "1", "--note", "checked with the national team", "--instance",
        str(instance),
    )  # fmt: skip
    assert resolved.exit_code == 0, resolved.output
    assert "Alarm 1 (entry-mismatch) is resolved: checked with the national team" in (
        resolved.output
    )
    again = hubnet_hub("audit", "--instance", str(instance))
    assert again.exit_code == 1 and "ALARM 2 (entry-mismatch)" in again.output


def test_audit_exits_non_zero_when_the_aggregator_cannot_be_reached(
    instance: Path, aggregator: FakeAggregator
) -> None:
    def down(*_args: object, **_kwargs: object) -> object:
        raise requests.ConnectionError("connection refused")

    aggregator.get = down  # type: ignore[method-assign]

    result = hubnet_hub("audit", "--instance", str(instance))

    assert result.exit_code == 1
    assert "Could not check the aggregator's log" in result.output
    assert "connection refused" in result.output


def test_a_forked_log_shows_both_checkpoints_and_resolving_restarts_from_the_current_one(
    instance: Path, aggregator: FakeAggregator
) -> None:
    push(instance)
    aggregator.rewrite_entry(0, b"history, rewritten")

    audited = hubnet_hub("audit", "--instance", str(instance))
    shown = json.loads(hubnet_hub("alarms", "show", "1", "--instance", str(instance)).output)
    resolved = hubnet_hub(
        "alarms", "resolve", "1", "--note", "fork explained", "--instance", str(instance)
    )
    after = hubnet_hub("audit", "--instance", str(instance))

    assert audited.exit_code == 1 and "ALARM 1 (log-inconsistent)" in audited.output
    assert shown["evidence"]["last_verified"]["root"] != shown["evidence"]["new"]["root"]
    assert "new starting point" in resolved.output
    # the new starting point holds this hub's statement rewritten: that is an alarm of its own
    assert "ALARM 2 (entry-mismatch)" in after.output


def test_the_delivery_alert_after_days_of_failure_and_its_clearing(
    instance: Path, aggregator: FakeAggregator, clock: list
) -> None:
    script(aggregator, *[503] * 10)
    first = hubnet_hub("push", "--instance", str(instance), "--period", "2026-10")
    assert first.exit_code == 1 and "ALARM" not in first.output

    clock[0] += timedelta(days=2, minutes=1)
    sent = hubnet_hub("outbox", "send", "--instance", str(instance))
    listed = hubnet_hub("outbox", "--instance", str(instance))

    assert sent.exit_code == 1
    assert "ALARM 1 (delivery)" in sent.output
    assert "has waited 2 days 0 h to be delivered" in sent.output
    assert "delivery failed; the entry stays in the outbox" in sent.output
    assert listed.exit_code == 1 and "ALARM 1 (delivery)" in listed.output

    recovered = hubnet_hub("outbox", "send", "--instance", str(instance))
    assert recovered.exit_code == 0, recovered.output
    assert "ALARM" not in recovered.output
    assert hubnet_hub("alarms", "--instance", str(instance)).output.strip() == (
        "No unresolved alarms."
    )


def test_witness_cosigns_once_and_the_aggregator_lists_it(
    instance: Path, aggregator: FakeAggregator
) -> None:
    push(instance)

    first = hubnet_hub("witness", "--instance", str(instance))
    second = hubnet_hub("witness", "--instance", str(instance))

    assert first.exit_code == 0, first.output
    assert "Witness: cosigned checkpoint size 1" in first.output
    assert second.exit_code == 0 and "nothing to send" in second.output
    [posted] = aggregator.cosignature_posts
    hub_key = load_public_key(instance / "hub-key.pub")
    assert posted["witness"] == "E08000003" and posted["keyid"] == key_id(hub_key)
    checkpoint = Checkpoint(ORIGIN, 1, aggregator.leaves[0])
    verify_cosignature(checkpoint, base64.b64decode(posted["signature"]), hub_key)
    assert aggregator.cosignatures[1][0]["witness"] == "E08000003"

    push(instance, "2026-09")
    third = hubnet_hub("witness", "--instance", str(instance))
    assert "cosigned checkpoint size 2" in third.output
    assert len(aggregator.cosignature_posts) == 2


def test_witness_reposts_a_cosignature_the_aggregator_lost(
    instance: Path, aggregator: FakeAggregator
) -> None:
    push(instance)
    hubnet_hub("witness", "--instance", str(instance))
    aggregator.cosignatures.clear()

    again = hubnet_hub("witness", "--instance", str(instance))

    assert again.exit_code == 0
    assert len(aggregator.cosignature_posts) == 2
    assert aggregator.cosignatures[1]


def test_witness_refuses_an_inconsistent_checkpoint(
    instance: Path, aggregator: FakeAggregator
) -> None:
    push(instance)
    hubnet_hub("witness", "--instance", str(instance))
    aggregator.rewrite_entry(0, b"forged")

    result = hubnet_hub("witness", "--instance", str(instance))

    assert result.exit_code == 1
    assert "not cosigned" in result.output
    assert "ALARM 1 (log-inconsistent)" in result.output
    assert len(aggregator.cosignature_posts) == 1


def test_the_status_page_link_is_in_every_pages_footer(instance: Path) -> None:
    app = create_app({"INSTANCE_PATH": str(instance)})
    page = app.test_client().get("/").get_data(as_text=True)
    app.extensions["hubnet.engine"].dispose()

    assert 'href="/federation"' in page
