"""`hubnet hub rotate-key`: end to end, and finished (not repeated) after a crash at any step."""

from __future__ import annotations

import base64
import json
import os
import stat
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from federation.canonical import parse_json
from federation.keys import key_id, load_private_key, load_public_key
from federation.statement import parse_utc
from hub.keys import services as key_services
from hub.outbox import cli as outbox_cli
from tests.hub.conftest import hubnet_hub, script
from tests.hub.fake_aggregator import FakeAggregator


@pytest.fixture(autouse=True)
def no_waiting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(outbox_cli.time, "sleep", lambda _seconds: None)


def keyid_of(path: Path) -> str:
    if path.suffix == ".pem":
        return key_id(load_private_key(path).public_key())
    return key_id(load_public_key(path))


def signers(envelope: bytes) -> list[str]:
    return [signature["keyid"] for signature in parse_json(envelope)["signatures"]]


def rotations(aggregator: FakeAggregator) -> list[dict[str, Any]]:
    found = []
    for stored in aggregator.statements.values():
        payload = json.loads(base64.b64decode(json.loads(stored.envelope)["payload"]))
        if payload["kind"] == "key-rotation":
            found.append(payload)
    return found


class PowerCut(BaseException):
    """The machine stops here (click turns KeyboardInterrupt into "Aborted!")."""


def rotate(instance: Path, *options: str) -> Any:
    return hubnet_hub("rotate-key", "--instance", str(instance), *options)


def test_rotate_key_end_to_end(
    instance: Path, aggregator: FakeAggregator, clock: list[Any]
) -> None:
    old = keyid_of(instance / "hub-key.pem")
    hubnet_hub("push", "--instance", str(instance), "--period", "2026-09")

    result = rotate(instance, "--overlap-days", "3")

    assert result.exit_code == 0, result.output
    new = keyid_of(instance / "hub-key.pem")
    assert new != old
    assert f"New key id: {new}" in result.output
    assert keyid_of(instance / "hub-key.pub") == new
    retired = instance / "retired" / f"hub-key-{old}.pem"
    assert keyid_of(retired) == old
    for private in (instance / "hub-key.pem", retired):
        assert stat.S_IMODE(private.stat().st_mode) == 0o600
    assert not (instance / "hub-key.next.pem").exists()
    assert not (instance / "hub-key.next.pub").exists()
    [rotation] = rotations(aggregator)
    assert (rotation["seq"], rotation["schema"]) == (2, "key-rotation/1")
    assert rotation["period"]["start"] == rotation["period"]["end"]
    assert (rotation["body"]["old_keyid"], rotation["body"]["new_keyid"]) == (old, new)
    overlap = parse_utc(rotation["body"]["old_key_valid_until"]) - parse_utc(rotation["created"])
    assert overlap == timedelta(days=3)
    assert signers(aggregator.statements[2].envelope) == [old, new]

    pushed = hubnet_hub("push", "--instance", str(instance), "--period", "2026-10")

    assert pushed.exit_code == 0, pushed.output
    assert signers(aggregator.statements[3].envelope) == [new]  # later summaries: the new key
    assert aggregator.keys[old].expires_at is not None


def test_a_rotation_interrupted_before_delivery_is_finished_by_running_it_again(
    instance: Path, aggregator: FakeAggregator
) -> None:
    script(aggregator, *[503] * 5)

    stopped = rotate(instance)

    assert stopped.exit_code == 1
    assert "not delivered yet" in stopped.output
    assert "Run `hubnet hub rotate-key` again" in stopped.output
    pending_key = keyid_of(instance / "hub-key.next.pem")
    assert stat.S_IMODE((instance / "hub-key.next.pem").stat().st_mode) == 0o600
    assert keyid_of(instance / "hub-key.pem") != pending_key  # still signing with the old key

    finished = rotate(instance)

    assert finished.exit_code == 0, finished.output
    assert f"Carrying on with the rotation to key {pending_key}" in finished.output
    assert keyid_of(instance / "hub-key.pem") == pending_key
    assert len(rotations(aggregator)) == 1


def test_a_crash_after_delivery_swaps_the_keys_on_the_next_run_without_a_new_rotation(
    instance: Path, aggregator: FakeAggregator, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_complete = outbox_cli.complete_rotation

    def power_cut(*_args: object) -> list[str]:
        raise PowerCut

    monkeypatch.setattr(outbox_cli, "complete_rotation", power_cut)
    with pytest.raises(PowerCut):
        rotate(instance)
    monkeypatch.setattr(outbox_cli, "complete_rotation", real_complete)
    delivered_key = keyid_of(instance / "hub-key.next.pem")
    sent = len(aggregator.requests)

    finished = rotate(instance)

    assert finished.exit_code == 0, finished.output
    assert "already in the outbox (seq 1, delivered)" in finished.output
    assert keyid_of(instance / "hub-key.pem") == delivered_key
    assert len(aggregator.requests) == sent  # nothing new was sent
    assert len(rotations(aggregator)) == 1


@pytest.mark.parametrize("fails_at", [2, 3, 4])
def test_a_crash_in_the_middle_of_the_swap_is_finished_by_the_next_run(
    instance: Path, aggregator: FakeAggregator, monkeypatch: pytest.MonkeyPatch, fails_at: int
) -> None:
    """os.replace calls: 1 writes the next key, then the swap: 2 the retired copy, 3 the
    private key, 4 the public key."""
    real_replace = os.replace
    calls = []

    def crashing_replace(source: Any, target: Any) -> None:
        calls.append(target)
        if len(calls) == fails_at:
            raise PowerCut
        real_replace(source, target)

    monkeypatch.setattr(key_services.os, "replace", crashing_replace)
    with pytest.raises(PowerCut):
        rotate(instance)
    monkeypatch.setattr(key_services.os, "replace", real_replace)
    new = keyid_of(instance / "hub-key.next.pub")

    finished = rotate(instance)

    assert finished.exit_code == 0, finished.output
    assert keyid_of(instance / "hub-key.pem") == new
    assert keyid_of(instance / "hub-key.pub") == new
    assert not (instance / "hub-key.next.pem").exists()
    assert not (instance / "hub-key.next.pub").exists()
    assert len(list((instance / "retired").glob("hub-key-*.pem"))) == 1
    assert len(rotations(aggregator)) == 1


def test_a_crash_while_writing_the_new_key_leaves_no_half_key(
    instance: Path, aggregator: FakeAggregator, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_replace = os.replace

    def crashing_replace(source: Any, target: Any) -> None:
        raise PowerCut

    monkeypatch.setattr(key_services.os, "replace", crashing_replace)
    with pytest.raises(PowerCut):
        rotate(instance)
    monkeypatch.setattr(key_services.os, "replace", real_replace)
    assert not (instance / "hub-key.next.pem").exists()
    assert list(instance.glob(".hub-key.next.pem.*.tmp"))  # the unfinished file, not the key

    finished = rotate(instance)

    assert finished.exit_code == 0, finished.output
    assert not list(instance.glob(".hub-key.next.pem.*.tmp"))
    assert len(rotations(aggregator)) == 1


def test_a_summary_queued_behind_the_rotation_is_signed_again_with_the_new_key(
    instance: Path, aggregator: FakeAggregator
) -> None:
    old = keyid_of(instance / "hub-key.pem")
    script(aggregator, *[503] * 5)
    rotate(instance, "--overlap-days", "0")  # the old key expires as soon as it is accepted
    new = keyid_of(instance / "hub-key.next.pem")
    script(aggregator, *[503] * 5)
    queued = hubnet_hub("push", "--instance", str(instance), "--period", "2026-10")
    assert queued.exit_code == 1  # signed with the old key, behind the rotation

    sent = hubnet_hub("outbox", "send", "--instance", str(instance))

    assert sent.exit_code == 0, sent.output
    assert "signed seq 2 again with the current key" in sent.output
    assert signers(aggregator.statements[1].envelope) == [old, new]
    assert signers(aggregator.statements[2].envelope) == [new]


def test_one_rotation_a_day(instance: Path, aggregator: FakeAggregator) -> None:
    assert rotate(instance).exit_code == 0

    again = rotate(instance)

    assert again.exit_code == 1
    assert "already rotated its key today" in again.output
