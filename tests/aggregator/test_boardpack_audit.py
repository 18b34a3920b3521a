"""`hubnet audit URL --pack pack.json` against a real aggregator (over its Flask test client).

A genuine pack, fetched from the aggregator after the log has grown past its
checkpoint, is accepted; a pack whose checkpoint, root or listed entries were
changed is refused with exit status 1 naming what does not match.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from click.testing import CliRunner, Result
from flask import Flask
from flask.testing import FlaskClient

from federation.canonical import parse_json
from federation.keys import load_public_key
from federation.pack import PackCheck
from hubnet import audit as audit_module
from tests.aggregator.conftest import AUDIENCE, RegisterHub, log_entries, post
from tests.aggregator.test_boardpack import MEETING, QUERY, SEPTEMBER, respond

URL = "http://aggregator.test"


class FlaskHTTP:
    """What `hubnet audit` asks of requests.Session, answered by the app's test client."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client

    def get(self, url: str, params: dict[str, Any] | None = None, **_: Any) -> Any:
        response = self.client.get(urlsplit(url).path, query_string=params or {})
        response.content = response.data
        return response


@pytest.fixture
def genuine(app: Flask, client: FlaskClient, register: RegisterHub) -> dict[str, Any]:
    manchester = register()
    cornwall = register("E06000052", "Cornwall", "South West", 570305)
    assert post(client, manchester.summary({"gp-access": 20}, period=SEPTEMBER)).status_code == 201
    assert post(client, manchester.summary({"gp-access": 40})).status_code == 201
    assert post(client, cornwall.summary({"dentistry": 30})).status_code == 201
    respond(
        app,
        theme="gp-access",
        decision="under-consideration",
        response="We will decide in January.",
        owner="Director of Primary Care",
        due=date(2027, 1, 31),
    )
    size = client.get("/api/v1/log/checkpoint").get_json()["size"]
    pack: dict[str, Any] = parse_json(client.get(f"/board/pack/{size}.json?{QUERY}").data)
    # The log grows after the pack was made: the pack still verifies.
    assert post(client, cornwall.summary({"dentistry": 35}, period=SEPTEMBER)).status_code == 201
    assert post(client, manchester.summary({"gp-access": 45})).status_code == 201
    return pack


@pytest.fixture
def audit(
    client: FlaskClient, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Callable[[dict[str, Any]], Result]:
    def invoke(pack: dict[str, Any]) -> Result:
        path = tmp_path / "pack.json"
        path.write_text(json.dumps(pack), encoding="utf-8")
        monkeypatch.setattr(audit_module.requests, "Session", lambda: FlaskHTTP(client))
        return CliRunner().invoke(audit_module.audit_command, [URL, "--pack", str(path)])

    return invoke


def test_a_genuine_pack_is_accepted(
    genuine: dict[str, Any], audit: Callable[[dict[str, Any]], Result]
) -> None:
    assert len(genuine["submissions"]) == 3 and len(genuine["board_statements"]) == 1
    result = audit(genuine)
    assert result.exit_code == 0, result.output
    assert f"Pack        cites checkpoint size {genuine['checkpoint']['size']}" in result.output
    assert "4 entries listed: OK" in result.output


def tampered(pack: dict[str, Any], change: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    copied = copy.deepcopy(pack)
    change(copied)
    return copied


def _other_root(pack: dict[str, Any]) -> None:
    pack["checkpoint"]["root"] = "A" * 43 + "="


def _bad_signature(pack: dict[str, Any]) -> None:
    pack["checkpoint"]["size"] -= 1


def _other_payload(pack: dict[str, Any]) -> None:
    pack["submissions"][1]["payload_sha256"] = "0" * 64


def _other_seq(pack: dict[str, Any]) -> None:
    pack["submissions"][0]["seq"] = 7


def _beyond(pack: dict[str, Any]) -> None:
    pack["board_statements"][0]["log_index"] = pack["checkpoint"]["size"] + 1


@pytest.mark.parametrize(
    ("change", "named"),
    [
        (_other_root, "checkpoint.signature"),
        (_bad_signature, "checkpoint.signature"),
        (_other_payload, "submissions[1].payload_sha256"),
        (_other_seq, "submissions[0].seq"),
        (_beyond, "board_statements[0].log_index"),
    ],
)
def test_a_tampered_pack_is_refused(
    genuine: dict[str, Any],
    audit: Callable[[dict[str, Any]], Result],
    change: Callable[[dict[str, Any]], None],
    named: str,
) -> None:
    result = audit(tampered(genuine, change))
    assert result.exit_code == 1, result.output
    assert named in result.output


def test_a_resigned_checkpoint_of_another_tree_is_refused(
    app: Flask, client: FlaskClient, genuine: dict[str, Any], instance: Path
) -> None:
    """Signed by the real log key, but for a root the log's prefix does not have."""
    from federation.checkpoint import Checkpoint, sign_checkpoint
    from federation.keys import load_private_key

    private = load_private_key(instance / "log-key.pem")
    size = genuine["checkpoint"]["size"]
    forged = sign_checkpoint(Checkpoint(genuine["checkpoint"]["origin"], size, b"\1" * 32), private)
    pack = tampered(genuine, lambda p: p.update(checkpoint=forged.as_json()))
    check = PackCheck.start(pack, load_public_key(instance / "log-key.pub"))
    assert check.failures == []  # the signature is good
    for index, raw in enumerate(log_entries(client, 0, size + 2)):
        check.observe(index, raw)
    failures = [str(failure) for failure in check.finish(None)]
    assert len(failures) == 1 and "checkpoint.root" in failures[0]
    assert "does not extend" in failures[0]


def test_the_audit_aborts_on_a_file_that_is_not_a_pack(
    audit: Callable[[dict[str, Any]], Result], genuine: dict[str, Any]
) -> None:
    result = audit({"meeting": MEETING, "aud": AUDIENCE})
    assert result.exit_code == 2
    assert "not a board pack" in result.output
