"""`hubnet audit` against a fake aggregator: fetching in batches, output, exit status."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
from click.testing import CliRunner, Result

from federation.keys import key_id, public_key_pem
from hubnet import audit as audit_module
from tests.federation.conftest import HUB_ID, LogBuilder, load_test_key, seeded_key

URL = "http://aggregator.test"


class FakeResponse:
    def __init__(self, status: int, body: Any) -> None:
        self.status_code = status
        self.content = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.headers: dict[str, str] = {}


class FakeAggregator:
    """Answers the three GETs `hubnet audit` makes, from a hand-built log."""

    def __init__(self, log: LogBuilder, *, page: int = 1000) -> None:
        self.log = log
        self.page = page
        self.checkpoint = log.checkpoint().as_json()
        self.requests: list[tuple[str, dict[str, Any]]] = []
        self.about_status = 200

    def get(self, url: str, params: dict[str, Any] | None = None, **_: Any) -> FakeResponse:
        path = urlsplit(url).path
        self.requests.append((path, dict(params or {})))
        if path == "/api/v1/about":
            return FakeResponse(
                self.about_status,
                {
                    "id": "hubnet-national-england",
                    "log_origin": self.log.origin,
                    "log_keyid": key_id(self.log.log_key.public_key()),
                    "log_public_key": public_key_pem(self.log.log_key.public_key()).decode(),
                },
            )
        if path == "/api/v1/log/checkpoint":
            return FakeResponse(200, self.checkpoint)
        if path == "/api/v1/log/entries":
            assert params is not None
            start, end = int(params["start"]), int(params["end"])
            end = min(end, start + self.page, len(self.log.entries))
            entries = [
                {"index": index, "envelope": base64.b64encode(self.log.entries[index]).decode()}
                for index in range(start, end)
            ]
            return FakeResponse(200, {"start": start, "end": end, "entries": entries})
        return FakeResponse(404, {"title": "Not Found"})


@pytest.fixture
def log() -> LogBuilder:
    hub_key = load_test_key("test-hub-key")
    log = LogBuilder(seeded_key("hubnet test log key"))
    log.register(hub_key)
    for _ in range(4):
        log.summary(hub_key)
    return log


@pytest.fixture
def run(monkeypatch: pytest.MonkeyPatch) -> Callable[..., Result]:
    def invoke(fake: Any, *args: str) -> Result:
        monkeypatch.setattr(audit_module.requests, "Session", lambda: fake)
        return CliRunner().invoke(audit_module.audit_command, [URL, *args])

    return invoke


def test_a_good_log_verifies(log: LogBuilder, run: Callable[..., Result]) -> None:
    fake = FakeAggregator(log, page=2)  # answers fewer entries than asked for
    result = run(fake, "--batch", "3")
    assert result.exit_code == 0, result.output
    assert "OK: all 5 leaves verify" in result.output
    assert "1 hub-registered, 4 summary" in result.output
    assert HUB_ID in result.output
    assert "trusted on first use" in result.output
    entry_requests = [params for path, params in fake.requests if path == "/api/v1/log/entries"]
    assert entry_requests == [
        {"start": 0, "end": 3},
        {"start": 2, "end": 5},
        {"start": 4, "end": 5},
    ]


def test_a_tampered_entry_names_the_leaf(log: LogBuilder, run: Callable[..., Result]) -> None:
    fake = FakeAggregator(log)
    document = json.loads(log.entries[3])
    payload = base64.b64decode(document["payload"]).replace(b'"seq":3', b'"seq":9')
    document["payload"] = base64.b64encode(payload).decode()
    log.entries[3] = json.dumps(document).encode()
    result = run(fake)
    assert result.exit_code == 1, result.output
    assert "leaf 3: bad-signature" in result.output
    assert "log: bad-proof" in result.output


def test_pinned_key(log: LogBuilder, run: Callable[..., Result], tmp_path: Path) -> None:
    keyid = key_id(log.log_key.public_key())
    result = run(FakeAggregator(log), "--expect-keyid", keyid)
    assert result.exit_code == 0, result.output
    assert "trusted on first use" not in result.output
    assert run(FakeAggregator(log), "--expect-keyid", "x" * 43).exit_code == 2
    other = tmp_path / "other.pub"
    other.write_bytes(public_key_pem(seeded_key("someone else").public_key()))
    result = run(FakeAggregator(log), "--log-key", str(other))
    assert result.exit_code == 1  # the checkpoint is not signed by the pinned key
    assert "log: bad-signature" in result.output


def test_not_an_aggregator(log: LogBuilder, run: Callable[..., Result]) -> None:
    fake = FakeAggregator(log)
    fake.about_status = 404
    result = run(fake)
    assert result.exit_code == 2
    assert "answered 404" in result.output
    assert "base URL of a hubnet aggregator" in result.output


def test_unreachable(run: Callable[..., Result]) -> None:
    class Down:
        def get(self, url: str, **_: Any) -> None:
            raise requests.ConnectionError("connection refused")

    result = run(Down())
    assert result.exit_code == 2
    assert "connection refused" in result.output
    assert "aggregator is running" in result.output


def test_missing_entries(log: LogBuilder, run: Callable[..., Result]) -> None:
    fake = FakeAggregator(log)
    del log.entries[2:]
    result = run(fake)
    assert result.exit_code == 2
    assert "returned no entries" in result.output
