"""Fixtures for the protocol library's tests: the TEST-ONLY vector keys and valid statements.

Tests take these as fixtures rather than importing this module: pytest loads
each folder's conftest.py under its own name, so `import conftest` is not
reliable.
"""

from __future__ import annotations

import base64
import hashlib
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from federation.canonical import parse_json
from federation.checkpoint import Checkpoint, SignedCheckpoint, sign_checkpoint
from federation.disclosure import protect, protect_count
from federation.envelope import KeyLookup, TrustedKey, sign_statement, statement_dict
from federation.keyevents import key_event_dict, sign_key_event
from federation.keys import key_id
from federation.merkle import leaf_hash, root_from_leaf_hashes
from federation.periods import Period
from federation.statement import rotation_body, sign_rotation
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


def seeded_key(label: str) -> Ed25519PrivateKey:
    """A TEST-ONLY key derived from a public label: the same key in every run."""
    return Ed25519PrivateKey.from_private_bytes(hashlib.sha256(label.encode()).digest())


@pytest.fixture(scope="session")
def log_key() -> Ed25519PrivateKey:
    """The aggregator's (TEST-ONLY) log key: signs key events and checkpoints."""
    return seeded_key("hubnet test log key")


@pytest.fixture(scope="session")
def next_hub_key() -> Ed25519PrivateKey:
    """The key the test hub rotates to (TEST-ONLY)."""
    return seeded_key("hubnet test hub key 2")


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
    """A summary/1 body that passes the schema and the disclosure checks.

    Made by the engine from fixed, consistent true counts: themes of every
    size (empty, suppressed, under the breakdown threshold, large), so the
    body has zeros, suppressed cells, rounded cells and withheld tables.
    """
    from tests.federation.disclosure_support import make_raw

    themes = {
        code: (index * 13) % 40 * 2
        for index, code in enumerate(load_taxonomy(CURRENT_VERSION).codes)
    }
    return protect(make_raw(400, themes, seed=7)).body


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


MANCHESTER = {"name": "Manchester", "region": "North West", "population": 551943}


class LogBuilder:
    """A hand-built transparency log: key events, chained statements, and checkpoints.

    Each method appends one leaf (the exact envelope bytes) and returns its index.
    """

    def __init__(self, log_key: Ed25519PrivateKey, origin: str = "hubnet-test-log") -> None:
        self.log_key = log_key
        self.origin = origin
        self.entries: list[bytes] = []
        self.last: dict[str, tuple[int, str]] = {}  # hub_id → (seq, payload sha256)

    def append(self, raw: bytes) -> int:
        self.entries.append(raw)
        return len(self.entries) - 1

    def key_event(
        self,
        event: str,
        hub_id: str = HUB_ID,
        key: Ed25519PrivateKey | None = None,
        *,
        reason: str | None = None,
        hub: dict[str, Any] | None = None,
        at: datetime = CREATED,
        keyid: str | None = None,
    ) -> int:
        public = key.public_key() if key is not None else None
        with_key = event in ("hub-registered", "key-added")
        value = key_event_dict(
            event=event,
            hub_id=hub_id,
            keyid=keyid or (key_id(public) if public is not None else None),
            public_key=public if with_key else None,
            hub=(hub or MANCHESTER) if event == "hub-registered" else None,
            reason=reason or ("test" if event.endswith("revoked") else None),
            at=at,
        )
        return self.append(sign_key_event(value, self.log_key))

    def register(self, key: Ed25519PrivateKey, hub_id: str = HUB_ID) -> int:
        return self.key_event("hub-registered", hub_id, key)

    def statement_value(
        self, hub_id: str = HUB_ID, *, created: datetime = CREATED, **changes: Any
    ) -> dict[str, Any]:
        seq, prev = self.last.get(hub_id, (0, None))
        value = statement_dict(
            kind="summary",
            hub_id=hub_id,
            seq=seq + 1,
            prev=prev,
            submission_id=str(uuid.UUID(int=len(self.entries) + 1, version=4)),
            aud=AUDIENCE,
            created=created,
            schema="summary/1",
            period=Period.month(2026, 10),
            body=valid_body(),
        )
        value.update(changes)
        return value

    def signed(self, raw: bytes) -> int:
        """Append a statement envelope and remember it as its hub's last."""
        document = parse_json(raw)
        payload = base64.b64decode(document["payload"])
        statement = parse_json(payload)
        self.last[statement["hub_id"]] = (statement["seq"], hashlib.sha256(payload).hexdigest())
        return self.append(raw)

    def summary(self, key: Ed25519PrivateKey, hub_id: str = HUB_ID, **changes: Any) -> int:
        return self.signed(sign_statement(self.statement_value(hub_id, **changes), key))

    def rotation(
        self,
        old: Ed25519PrivateKey,
        new: Ed25519PrivateKey,
        *,
        hub_id: str = HUB_ID,
        created: datetime = CREATED,
        overlap_days: float = 7,
    ) -> int:
        value = self.statement_value(
            hub_id,
            created=created,
            kind="key-rotation",
            schema="key-rotation/1",
            period={"start": f"{created:%Y-%m-%d}", "end": f"{created:%Y-%m-%d}"},
            body=rotation_body(
                old_key=old.public_key(),
                new_key=new.public_key(),
                old_key_valid_until=created + timedelta(days=overlap_days),
            ),
        )
        return self.signed(sign_rotation(value, old, new))

    def numbered(self) -> list[tuple[int, bytes]]:
        return list(enumerate(self.entries))

    def checkpoint(self, size: int | None = None) -> SignedCheckpoint:
        size = len(self.entries) if size is None else size
        root = root_from_leaf_hashes([leaf_hash(raw) for raw in self.entries[:size]])
        return sign_checkpoint(Checkpoint(self.origin, size, root), self.log_key)


@pytest.fixture
def make_log(log_key: Ed25519PrivateKey) -> Callable[[], LogBuilder]:
    """`make_log()`: an empty hand-built log signed with the test log key."""
    return lambda: LogBuilder(log_key)
