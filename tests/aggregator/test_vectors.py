"""The fixed envelope vectors of tests/federation/vectors, replayed over HTTP.

Each vector's manifest entry says what the aggregator must answer; this
checks the answer a hub gets, and that a refused vector stored nothing.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import load_pem_private_key
from flask import Flask
from flask.testing import FlaskClient

from tests.aggregator.conftest import RegisterHub, assert_problem, post, row_counts

VECTORS = Path(__file__).parents[1] / "federation" / "vectors"
MANIFEST: dict[str, Any] = json.loads((VECTORS / "manifest.json").read_text())


@pytest.fixture
def aggregator_id() -> str:
    return str(MANIFEST["audience"])


@pytest.fixture(autouse=True)
def receiver_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """The aggregator's clock at the manifest's `receiver_now`, so `created` is never ahead."""
    now = datetime.strptime(MANIFEST["receiver_now"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    monkeypatch.setattr("national_aggregator.ingest.views.utcnow", lambda: now)


def hub_key() -> Ed25519PrivateKey:
    # The vector keys check out group-readable (git keeps no modes), so read them directly.
    key = load_pem_private_key((VECTORS / MANIFEST["keys"]["hub"]["private"]).read_bytes(), None)
    assert isinstance(key, Ed25519PrivateKey)
    return key


@pytest.mark.parametrize("vector", MANIFEST["vectors"], ids=lambda vector: vector["file"])
def test_vector_gets_the_answer_its_manifest_names(
    client: FlaskClient, register: RegisterHub, app: Flask, vector: dict[str, Any]
) -> None:
    register(MANIFEST["hub_id"], private_key=hub_key())
    if vector["after"]:
        assert post(client, (VECTORS / vector["after"]).read_bytes()).status_code == 201
    before = row_counts(app)

    response = post(client, (VECTORS / vector["file"]).read_bytes())

    if vector["slug"] is None:
        assert response.status_code == vector["status"] == 201
        assert row_counts(app)["submission"] == before["submission"] + 1
    else:
        assert_problem(response, vector["status"], vector["slug"], vector["field"])
        assert row_counts(app) == before
