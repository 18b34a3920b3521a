"""Fixtures for the protocol library's tests: the TEST-ONLY vector keys and valid statements.

Tests take these as fixtures rather than importing this module: pytest loads
each folder's conftest.py under its own name, so `import conftest` is not
reliable.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from federation.disclosure import DEFAULT_RULE, protect_count
from federation.envelope import KeyLookup, TrustedKey, statement_dict
from federation.keys import key_id
from federation.periods import Period
from federation.taxonomy import CURRENT_VERSION, load_taxonomy

VECTORS = Path(__file__).parent / "vectors"
HUB_ID = "E08000003"
AUDIENCE = "hubnet-national-england"
CREATED = datetime(2026, 11, 1, 9, 0, 0, tzinfo=UTC)


def load_test_key(name: str) -> Ed25519PrivateKey:
    """A TEST-ONLY private key from the vectors folder (read directly: git drops mode 0600)."""
    key = serialization.load_pem_private_key((VECTORS / f"{name}.pem").read_bytes(), None)
    assert isinstance(key, Ed25519PrivateKey)
    return key


@pytest.fixture(scope="session")
def hub_key() -> Ed25519PrivateKey:
    return load_test_key("test-hub-key")


@pytest.fixture(scope="session")
def wrong_key() -> Ed25519PrivateKey:
    return load_test_key("test-wrong-key")


def lookup_for(*keys: tuple[Ed25519PrivateKey, str], revoked: bool = False) -> KeyLookup:
    """A KeyLookup knowing each (key, owner) pair."""
    table = {
        key_id(key.public_key()): TrustedKey(key.public_key(), owner, revoked)
        for key, owner in keys
    }
    return table.get


@pytest.fixture
def make_lookup() -> Callable[..., KeyLookup]:
    """`make_lookup((key, owner), ..., revoked=False)`: a KeyLookup knowing those keys."""
    return lookup_for


@pytest.fixture
def hub_lookup(hub_key: Ed25519PrivateKey) -> KeyLookup:
    return lookup_for((hub_key, HUB_ID))


def cell(count: int) -> dict[str, Any]:
    return protect_count(count).as_json()


def valid_body() -> dict[str, Any]:
    """A summary/1 body that passes the schema and the disclosure checks."""
    themes = []
    for index, code in enumerate(load_taxonomy(CURRENT_VERSION).codes):
        count = (index * 13) % 40
        themes.append(
            {
                "code": code,
                "people": cell(count * 2),
                "contributors": cell(count),
                "supporters": cell(count + 5),
                "by_kind": {
                    "idea": cell(count // 2),
                    "concern": cell(count // 3),
                    "question": cell(0),
                    "experience": cell(count // 4),
                },
            }
        )
    return {
        "taxonomy": CURRENT_VERSION,
        "disclosure": DEFAULT_RULE.as_json(),
        "participation": {
            "participants": cell(400),
            "contributors": cell(250),
            "supporters": cell(300),
        },
        "themes": themes,
    }


@pytest.fixture(name="valid_body")
def valid_body_fixture() -> Callable[[], dict[str, Any]]:
    """`valid_body()`: a fresh summary/1 body that passes every check."""
    return valid_body


StatementFactory = Callable[..., dict[str, Any]]


@pytest.fixture
def make_statement() -> StatementFactory:
    """Build a valid seq-1 statement dict; keyword arguments replace fields."""

    def make(**changes: Any) -> dict[str, Any]:
        value = statement_dict(
            kind="summary",
            hub_id=HUB_ID,
            seq=1,
            prev=None,
            submission_id="5f0c2b1e-8d7a-4c3b-9e2f-1a2b3c4d5e6f",
            aud=AUDIENCE,
            created=CREATED,
            schema="summary/1",
            period=Period.month(2026, 10),
            body=valid_body(),
        )
        value.update(changes)
        return value

    return make
