"""An aggregator on a fresh, migrated database, and hubs that sign real envelopes."""

from __future__ import annotations

import base64
import hashlib
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from werkzeug.test import TestResponse

from federation.canonical import canonical_json
from federation.envelope import sign_statement, statement_dict
from federation.keys import generate_key_pair, generate_private_key
from federation.periods import Period
from hubnet.db import get_session
from national_aggregator import create_app
from national_aggregator.db import MIGRATIONS, Base, utcnow
from national_aggregator.log import log_signer
from national_aggregator.registry.schemas import NewHub
from national_aggregator.registry.services import register_hub
from tests.aggregator.bodies import ZERO, cell, summary_body
from tests.conftest import MigratedDatabaseFactory

AUDIENCE = "hubnet-test-national"
OCTOBER = Period.month(2026, 10)
__all__ = ["ZERO", "cell", "summary_body"]  # re-exported: the tests import bodies from here too


@dataclass
class SigningHub:
    """A registered hub holding its private key, signing statements as a real hub would."""

    gss: str
    name: str
    private_key: Ed25519PrivateKey
    seq: int = 0
    prev: str | None = None

    def statement(self, **changes: Any) -> dict[str, Any]:
        """The hub's next summary statement, with any field replaced by `changes`."""
        values: dict[str, Any] = {
            "kind": "summary",
            "hub_id": self.gss,
            "seq": self.seq + 1,
            "prev": self.prev,
            "submission_id": str(uuid.uuid4()),
            "aud": AUDIENCE,
            "created": datetime.now(UTC),
            "schema": "summary/1",
            "period": OCTOBER,
            "body": summary_body({}),
        }
        values.update(changes)
        return statement_dict(**values)

    def sign(self, statement: Mapping[str, Any], key: Ed25519PrivateKey | None = None) -> bytes:
        return sign_statement(statement, key or self.private_key)

    def summary(self, people: Mapping[str, int | None] | None = None, **changes: Any) -> bytes:
        """Sign the next summary and move the hub's chain on, as if it was accepted."""
        changes.setdefault("body", summary_body(people or {}))
        return self.next(self.statement(**changes))

    def next(self, statement: Mapping[str, Any]) -> bytes:
        """Sign `statement` as the hub's next one and move its chain on, as if it was accepted."""
        self.seq = statement["seq"]
        self.prev = hashlib.sha256(canonical_json(statement)).hexdigest()  # the payload's hash
        return self.sign(statement)


@pytest.fixture
def instance(tmp_path: Path) -> Path:
    path = tmp_path / "aggregator"
    generate_key_pair(path / "log-key.pem", path / "log-key.pub")
    return path


@pytest.fixture
def database_url(make_migrated_database_url: MigratedDatabaseFactory) -> str:
    return make_migrated_database_url("aggregator", MIGRATIONS)


@pytest.fixture
def aggregator_id() -> str:
    """The `aud` the aggregator under test answers to (a test module may override it)."""
    return AUDIENCE


@pytest.fixture
def app_config() -> dict[str, Any]:
    """Settings a test module adds to the aggregator's (e.g. a tiny rate limit)."""
    return {}


@pytest.fixture
def app(
    instance: Path, database_url: str, aggregator_id: str, app_config: dict[str, Any]
) -> Iterator[Flask]:
    app = create_app(
        {
            "TESTING": True,
            "INSTANCE_PATH": str(instance),
            "DATABASE_URL": database_url,
            "AGGREGATOR_ID": aggregator_id,
            "SECRET_KEY": "test",
            # Tests post far faster than any hub; the limit itself is tested with a tiny one.
            "SUBMISSION_RATE_LIMIT": "100000 per minute",
            **app_config,
        }
    )
    yield app
    app.extensions["hubnet.engine"].dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


RegisterHub = Callable[..., SigningHub]


@pytest.fixture
def register(app: Flask) -> RegisterHub:
    """Register a hub with a new key; returns the hub, ready to sign."""

    def make(
        gss: str = "E08000003", name: str = "Manchester", region: str = "North West",
        population: int = 551938, private_key: Ed25519PrivateKey | None = None,
    ) -> SigningHub:  # fmt: skip
        private_key = private_key or generate_private_key()
        with app.app_context():
            session = get_session()
            new = NewHub(gss=gss, name=name, region=region, population=population)
            register_hub(session, new, private_key.public_key(), utcnow(), signer=log_signer())
            session.commit()
        return SigningHub(gss=gss, name=name, private_key=private_key)

    return make


def row_counts(app: Flask) -> dict[str, int]:
    """Rows in every aggregator table: what "nothing was stored" is checked against."""
    with app.app_context():
        session = get_session()
        return {
            table.name: session.scalar(select(func.count()).select_from(table)) or 0
            for table in Base.metadata.sorted_tables
        }


def log_entries(client: FlaskClient, start: int, end: int) -> list[bytes]:
    """The log's entries [start, end) as the exact envelope bytes."""
    document = client.get(f"/api/v1/log/entries?start={start}&end={end}").get_json()
    return [base64.b64decode(entry["envelope"]) for entry in document["entries"]]


def post(client: FlaskClient, envelope: bytes) -> TestResponse:
    return client.post("/api/v1/submissions", data=envelope, content_type="application/json")


def assert_problem(
    response: TestResponse, status: int, slug: str, field: str | None
) -> dict[str, Any]:
    """An RFC 9457 document with this status and type, naming `field` and the reason."""
    assert response.status_code == status, response.data
    assert response.content_type == "application/problem+json"
    problem: dict[str, Any] = response.get_json()
    assert problem["type"] == f"urn:hubnet:problem:{slug}"
    assert problem["status"] == status
    assert problem["title"]
    assert problem["detail"]
    if field is None:
        assert "errors" not in problem
    else:
        assert problem["errors"][0]["field"] == field
        assert problem["errors"][0]["reason"] in problem["detail"]
    return problem
