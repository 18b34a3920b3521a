"""A stand-in for the aggregator's submissions endpoint, as a requests-like session.

It is injected into the real `federation.client.SubmissionClient`, so the hub's
relay runs its real HTTP client code without a network. It verifies each
envelope with the hub's public key and answers with real receipts: a log of
leaf hashes, an inclusion proof and a checkpoint signed by its log key. Tests
script other answers (a status, or an exception to raise) per request. The
real aggregator over real HTTP is covered by tests/e2e.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from typing import Any

import requests
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from federation.checkpoint import Checkpoint, sign_checkpoint
from federation.envelope import TrustedKey, verify_envelope
from federation.keys import key_id
from federation.merkle import inclusion_proof, leaf_hash, root_from_leaf_hashes

Answer = int | tuple[int, dict[str, Any]] | Exception


@dataclass
class FakeResponse:
    status_code: int
    content: bytes
    headers: dict[str, str] = field(default_factory=dict)


class FakeAggregator:
    """POST /api/v1/submissions: 201 with a receipt unless `script` says otherwise."""

    def __init__(
        self,
        hub_key: Ed25519PublicKey,
        *,
        hub_id: str,
        script: list[Answer] | None = None,
        log_key: Ed25519PrivateKey | None = None,
    ) -> None:
        self.hub_key, self.hub_id = hub_key, hub_id
        self.log_key = log_key or Ed25519PrivateKey.generate()
        self.script = list(script or [])
        self.requests: list[bytes] = []
        self.leaves: list[bytes] = []
        self.receipts: dict[bytes, dict[str, Any]] = {}
        self.headers: dict[str, str] = {}

    @property
    def log_public_key(self) -> Ed25519PublicKey:
        return self.log_key.public_key()

    def post(self, url: str, *, data: bytes, **_: Any) -> FakeResponse:
        assert url.endswith("/api/v1/submissions")
        self.requests.append(data)
        answer = self.script.pop(0) if self.script else 201
        if isinstance(answer, Exception):
            raise answer
        status, extra = answer if isinstance(answer, tuple) else (answer, {})
        if status in (200, 201):
            return self._accept(data)
        problem = {"status": status, "title": "refused", "detail": f"scripted {status}", **extra}
        return FakeResponse(status, json.dumps(problem).encode(), dict(extra.get("headers", {})))

    def _accept(self, envelope: bytes) -> FakeResponse:
        if envelope in self.receipts:
            return FakeResponse(200, json.dumps(self.receipts[envelope]).encode())
        trusted = TrustedKey(self.hub_key, self.hub_id)
        statement = verify_envelope(
            envelope, lambda keyid: trusted if keyid == key_id(self.hub_key) else None
        )
        self.leaves.append(leaf_hash(envelope))
        index, size = len(self.leaves) - 1, len(self.leaves)
        checkpoint = Checkpoint("fake.aggregator/log", size, root_from_leaf_hashes(self.leaves))
        receipt = {
            "submission_id": statement.submission_id,
            "hub_id": statement.hub_id,
            "seq": statement.seq,
            "received_at": "2026-11-01T09:00:00Z",
            "log_index": index,
            "leaf_hash": _b64(self.leaves[index]),
            "inclusion_proof": [_b64(h) for h in inclusion_proof(index, size, self._node)],
            "checkpoint": sign_checkpoint(checkpoint, self.log_key).as_json(),
        }
        self.receipts[envelope] = receipt
        return FakeResponse(201, json.dumps(receipt).encode())

    def _node(self, level: int, index: int) -> bytes:
        width = 2**level
        return root_from_leaf_hashes(self.leaves[index * width : (index + 1) * width])

    def close(self) -> None:
        pass

    def __enter__(self) -> FakeAggregator:
        return self

    def __exit__(self, *_: object) -> None:
        pass


def as_session(fake: FakeAggregator) -> requests.Session:
    """The fake, typed as the session SubmissionClient expects."""
    return fake  # type: ignore[return-value]


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")
