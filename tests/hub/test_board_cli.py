"""`hubnet hub board pull` on a real instance folder, against the fake board log."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from hub import instance as hub_instance
from tests.hub.conftest import LOG_KEY, hubnet_hub
from tests.hub.fake_board_log import FakeBoardLog, first_version, next_version


@pytest.fixture
def board_log(instance: Path, monkeypatch: pytest.MonkeyPatch) -> FakeBoardLog:
    fake = FakeBoardLog(log_key=LOG_KEY)  # the key `hubnet hub init` pinned
    monkeypatch.setattr(hub_instance.requests, "Session", lambda: fake)
    return fake


def test_pull_prints_what_it_stored_and_again_that_nothing_is_new(
    instance: Path, board_log: FakeBoardLog
) -> None:
    one = first_version()
    board_log.publish(one)
    board_log.publish(next_version(one, "Half the practices have triage."))

    result = hubnet_hub("board", "pull", "--instance", str(instance))

    assert result.exit_code == 0, result.output
    assert f"Stored response {one['response_id']} version 1 (GP access: Accepted)" in result.output
    assert f"Stored response {one['response_id']} version 2" in result.output
    assert f"verified log checkpoint of size {board_log.size}" in result.output

    again = hubnet_hub("board", "pull", "--instance", str(instance))
    assert again.exit_code == 0, again.output
    assert "Nothing new from the board." in again.output


def test_pull_exits_non_zero_with_the_alarm_when_a_statement_does_not_verify(
    instance: Path, board_log: FakeBoardLog
) -> None:
    board_log.publish(first_version(), key=Ed25519PrivateKey.generate())

    result = hubnet_hub("board", "pull", "--instance", str(instance))

    assert result.exit_code != 0
    assert "NOT stored: log index 0" in result.output
    assert "ALARM 1 (board-statement)" in result.output
    assert "hubnet hub alarms show 1" in result.output

    listed = hubnet_hub("alarms", "--instance", str(instance))
    assert "board-statement" in listed.output

    blocked = hubnet_hub("board", "pull", "--instance", str(instance))
    assert blocked.exit_code != 0
    assert "NOT trusted while alarm 1" in blocked.output


def test_pull_exits_non_zero_when_the_aggregator_cannot_answer(
    instance: Path, board_log: FakeBoardLog
) -> None:
    board_log.unavailable = True
    result = hubnet_hub("board", "pull", "--instance", str(instance))
    assert result.exit_code != 0
    assert "Could not pull the board's responses" in result.output
    assert "the next one tries again" in result.output
