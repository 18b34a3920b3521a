"""A stand-in for the aggregator's API, as a requests-like session, built on the real protocol code.

It is injected into the real `federation.client.SubmissionClient`, so the
hub's contact, relay, resync and witness run their real HTTP client code
without a network. It behaves as docs/protocol.md says the aggregator does:

- `POST /api/v1/submissions` verifies the envelope against the hub's
  registered keys (`federation.envelope.verify_envelope`, key expiry after a
  rotation, `verify_rotation`), answers 200 with the original receipt for the
  same payload again, 422 for another payload at a taken seq (equivocation),
  409 with `expected_seq` for a gap or a broken chain, and 201 with a real
  receipt (inclusion proof, checkpoint signed by its log key) otherwise;
- the log endpoints (checkpoint, checkpoints/<size>, inclusion and
  consistency proofs, entries), computed with `federation.merkle`;
- `POST /api/v1/log/cosignatures`, `GET /api/v1/submissions/<id>/receipt`
  and `GET /api/v1/hubs/<gss>/statements`.

Tests script other answers (a status, or an exception to raise) per
submission, and simulate faults: a rewritten history (`rewrite_entry`), a
tampered stored envelope (`tamper_entry`), lost answers (`lose_answers`), a
restore from a backup (`snapshot` / `restore`), and another party with the
hub's key (`accept`). The real aggregator over real HTTP is covered by
tests/e2e.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import requests
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from federation.checkpoint import Checkpoint, sign_checkpoint, verify_cosignature
from federation.client import SubmissionClient
from federation.envelope import TrustedKey, verify_envelope
from federation.errors import BadSignature, Equivocation, ProtocolError, SequenceConflict
from federation.keys import key_id
from federation.merkle import (
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    root_from_leaf_hashes,
)
from federation.statement import parse_utc, verify_rotation
from hub.aggregator import AggregatorAPI, AggregatorLink

Answer = int | tuple[int, dict[str, Any]] | Exception
ORIGIN = "fake.aggregator/log"
NOW = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)


@dataclass
class FakeResponse:
    status_code: int
    content: bytes
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Stored:
    """One accepted statement of the hub, as the aggregator keeps it."""

    seq: int
    submission_id: str
    payload_sha256: str
    envelope: bytes
    log_index: int
    receipt: dict[str, Any]


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _json(status: int, value: Any, headers: dict[str, str] | None = None) -> FakeResponse:
    return FakeResponse(status, json.dumps(value).encode(), headers or {})


def _problem(status: int, slug: str, detail: str, **extra: Any) -> FakeResponse:
    body = {"type": f"urn:hubnet:problem:{slug}", "title": slug, "status": status}
    return _json(status, {**body, "detail": detail, **extra})


class FakeAggregator:
    """The aggregator's API for one hub; everything is held in memory."""

    def __init__(
        self,
        hub_key: Ed25519PublicKey,
        *,
        hub_id: str,
        script: list[Answer] | None = None,
        log_key: Ed25519PrivateKey | None = None,
    ) -> None:
        self.hub_id = hub_id
        self.keys: dict[str, TrustedKey] = {key_id(hub_key): TrustedKey(hub_key, hub_id)}
        self.log_key = log_key or Ed25519PrivateKey.generate()
        self.script = list(script or [])
        self.now = NOW
        self.requests: list[bytes] = []  # every envelope POSTed, in order
        self.gets: list[str] = []  # every GET path, in order
        self.cosignature_posts: list[dict[str, Any]] = []
        self.headers: dict[str, str] = {}
        self.lost_answers = 0
        self.stale_size: int | None = None  # a cache in front serves this older checkpoint
        self.entries: list[bytes] = []  # the log's entries, as served
        self.leaves: list[bytes] = []  # the log's leaf hashes: the tree
        self.checkpoints: dict[int, dict[str, Any]] = {}  # size → signed JSON
        self.cosignatures: dict[int, list[dict[str, Any]]] = {}
        self.statements: dict[int, Stored] = {}

    @property
    def log_public_key(self) -> Ed25519PublicKey:
        return self.log_key.public_key()

    @property
    def size(self) -> int:
        return len(self.leaves)

    # -- faults ---------------------------------------------------------------------

    def snapshot(self) -> dict[str, Any]:
        """Everything a database backup would hold."""
        names = ("keys", "entries", "leaves", "checkpoints", "cosignatures", "statements")
        return {name: copy.deepcopy(getattr(self, name)) for name in names}

    def restore(self, backup: dict[str, Any]) -> None:
        """Go back to a backup: statements, log and checkpoints after it are forgotten."""
        for name, value in copy.deepcopy(backup).items():
            setattr(self, name, value)

    def tamper_entry(self, index: int, envelope: bytes) -> None:
        """Change a stored envelope (as someone editing the database would); the tree stays."""
        self.entries[index] = envelope
        for stored in self.statements.values():
            if stored.log_index == index:
                stored.envelope = envelope  # the database keeps one copy of each envelope

    def rewrite_entry(self, index: int, entry: bytes) -> None:
        """Rewrite history: a different leaf at `index`, and a newly signed latest checkpoint."""
        self.entries[index] = entry
        self.leaves[index] = leaf_hash(entry)
        self._sign(self.size)

    def append_foreign(self, entry: bytes) -> int:
        """A leaf that is not this hub's (another hub's statement, a key event)."""
        return self._append(entry)

    def lose_answers(self, count: int = 1) -> None:
        """The next `count` submissions are processed, but their answers never arrive."""
        self.lost_answers += count

    def accept(self, envelope: bytes) -> FakeResponse:
        """Take a submission directly (another party holding the hub's key)."""
        return self._submit(envelope)

    # -- the session interface ------------------------------------------------------

    def post(self, url: str, *, data: bytes, **_: Any) -> FakeResponse:
        path = urlsplit(url).path
        if path.endswith("/api/v1/log/cosignatures"):
            return self._cosign(data)
        assert path.endswith("/api/v1/submissions"), url
        self.requests.append(data)
        answer = self.script.pop(0) if self.script else 201
        if isinstance(answer, Exception):
            raise answer
        status, extra = answer if isinstance(answer, tuple) else (answer, {})
        if status in (200, 201):
            response = self._submit(data)
            if self.lost_answers:
                self.lost_answers -= 1
                raise requests.ConnectionError("connection reset before the answer arrived")
            return response
        problem = {"status": status, "title": "refused", "detail": f"scripted {status}", **extra}
        return FakeResponse(status, json.dumps(problem).encode(), dict(extra.get("headers", {})))

    def get(self, url: str, *, params: dict[str, Any] | None = None, **_: Any) -> FakeResponse:
        path = urlsplit(url).path
        self.gets.append(path)
        query = {name: int(value) for name, value in (params or {}).items()}
        parts = path.strip("/").split("/")
        if path.endswith("/api/v1/log/checkpoint"):
            return _json(200, self._checkpoint_json(self.stale_size or self.size))
        if "/api/v1/log/checkpoints/" in path:
            size = int(parts[-1])
            if size not in self.checkpoints:
                return _problem(404, "not-found", f"no checkpoint of size {size} was issued")
            return _json(200, self._checkpoint_json(size))
        if path.endswith("/api/v1/log/proof/inclusion"):
            index, size = query["leaf_index"], query["tree_size"]
            if not 0 <= index < size <= self.size:
                return _problem(400, "bad-request", f"no leaf {index} in a tree of size {size}")
            return _json(
                200,
                {
                    "leaf_index": index,
                    "tree_size": size,
                    "leaf_hash": _b64(self.leaves[index]),
                    "proof": [_b64(h) for h in inclusion_proof(index, size, self._node)],
                },
            )
        if path.endswith("/api/v1/log/proof/consistency"):
            first, second = query["first"], query["second"]
            if not 0 <= first <= second <= self.size:
                return _problem(400, "bad-request", f"no proof from {first} to {second}")
            proof = consistency_proof(first, second, self._node)
            return _json(200, {"first": first, "second": second, "proof": [_b64(h) for h in proof]})
        if path.endswith("/api/v1/log/entries"):
            start, end = query["start"], min(query["end"], query["start"] + 1000, self.size)
            rows = [{"index": i, "envelope": _b64(self.entries[i])} for i in range(start, end)]
            return _json(200, {"start": start, "end": max(start, end), "entries": rows})
        if len(parts) == 5 and parts[2] == "submissions" and parts[4] == "receipt":
            found = [s for s in self.statements.values() if s.submission_id == parts[3]]
            stored = found[0] if found else None
            if stored is None:
                return _problem(404, "not-found", f"no submission {parts[3]}")
            return _json(200, self._receipt(stored, self.size))
        if len(parts) == 5 and parts[2] == "hubs" and parts[4] == "statements":
            after, limit = query.get("after_seq", 0), query.get("limit", 100)
            rows = [
                {
                    "seq": s.seq,
                    "submission_id": s.submission_id,
                    "payload_sha256": s.payload_sha256,
                    "log_index": s.log_index,
                    "envelope": _b64(s.envelope),
                }
                for seq, s in sorted(self.statements.items())
                if seq > after
            ][:limit]
            last = max(self.statements, default=0)
            return _json(200, {"hub_id": parts[3], "last_seq": last, "statements": rows})
        return _problem(404, "not-found", f"no route {path}")

    def close(self) -> None:
        pass

    def __enter__(self) -> FakeAggregator:
        return self

    def __exit__(self, *_: object) -> None:
        pass

    # -- the aggregator's workings -------------------------------------------------

    def _node(self, level: int, index: int) -> bytes:
        width = 2**level
        return root_from_leaf_hashes(self.leaves[index * width : (index + 1) * width])

    def _sign(self, size: int) -> dict[str, Any]:
        root = root_from_leaf_hashes(self.leaves[:size])
        signed = sign_checkpoint(Checkpoint(ORIGIN, size, root), self.log_key).as_json()
        self.checkpoints[size] = signed
        return signed

    def _checkpoint_json(self, size: int) -> dict[str, Any]:
        signed = self.checkpoints.get(size) or self._sign(size)
        return {**signed, "cosignatures": list(self.cosignatures.get(size, []))}

    def _append(self, entry: bytes) -> int:
        self.entries.append(entry)
        self.leaves.append(leaf_hash(entry))
        self._sign(self.size)
        return self.size - 1

    def _receipt(self, stored: Stored, size: int) -> dict[str, Any]:
        index = stored.log_index
        return {
            "submission_id": stored.submission_id,
            "hub_id": self.hub_id,
            "seq": stored.seq,
            "received_at": "2026-11-01T09:00:00Z",
            "log_index": index,
            "leaf_hash": _b64(self.leaves[index]),
            "inclusion_proof": [_b64(h) for h in inclusion_proof(index, size, self._node)],
            "checkpoint": self._checkpoint_json(size),
        }

    def _submit(self, envelope: bytes) -> FakeResponse:
        try:
            statement = verify_envelope(envelope, self.keys.get, now=self.now)
            if statement.kind == "key-rotation":
                new_key = verify_rotation(envelope, statement)
            taken = self.statements.get(statement.seq)
            if taken is not None:
                if taken.payload_sha256 == statement.payload_sha256:
                    return _json(200, taken.receipt)
                raise Equivocation(f"seq {statement.seq} is taken by other bytes", field="seq")
            expected = max(self.statements, default=0) + 1
            last = self.statements.get(expected - 1)
            if statement.seq != expected or statement.prev != (last and last.payload_sha256):
                raise SequenceConflict(
                    f"the next seq is {expected}", field="seq", expected_seq=expected
                )
        except ProtocolError as exc:
            return _problem(exc.status, exc.slug, exc.detail, **exc.extra)
        if statement.kind == "key-rotation":
            body = statement.body
            old = self.keys[body["old_keyid"]]
            until = parse_utc(body["old_key_valid_until"])
            self.keys[body["old_keyid"]] = TrustedKey(old.public_key, self.hub_id, expires_at=until)
            self.keys[body["new_keyid"]] = TrustedKey(new_key, self.hub_id)
        index = self._append(envelope)
        stored = Stored(
            statement.seq,
            statement.submission_id,
            hashlib.sha256(statement.payload).hexdigest(),
            envelope,
            index,
            {},
        )
        stored.receipt = self._receipt(stored, self.size)
        self.statements[statement.seq] = stored
        return _json(201, stored.receipt)

    def _cosign(self, data: bytes) -> FakeResponse:
        body = json.loads(data)
        self.cosignature_posts.append(body)
        trusted = self.keys.get(body.get("keyid", ""))
        if trusted is None or trusted.owner != body.get("witness"):
            return _problem(401, "unknown-key", "not a registered witness key")
        size = body.get("size")
        issued = self.checkpoints.get(size) if isinstance(size, int) else None
        if issued is None or issued["root"] != body.get("root"):
            return _problem(422, "unknown-checkpoint", "this log issued no such checkpoint")
        checkpoint = Checkpoint(ORIGIN, size, base64.b64decode(issued["root"]))
        try:
            signature = base64.b64decode(body["signature"])
            verify_cosignature(checkpoint, signature, trusted.public_key)
        except (BadSignature, ValueError):
            return _problem(401, "bad-signature", "the cosignature does not verify")
        listed = self.cosignatures.setdefault(size, [])
        cosignature = {k: body[k] for k in ("witness", "keyid", "signature")}
        if cosignature in listed:
            return _json(200, cosignature)
        listed.append(cosignature)
        return _json(201, cosignature)


def as_session(fake: FakeAggregator) -> requests.Session:
    """The fake, typed as the session SubmissionClient expects."""
    return fake  # type: ignore[return-value]


def link_to(
    fake: FakeAggregator,
    *,
    hub_id: str,
    aud: str = "hubnet-test-national",
    log_key: Ed25519PublicKey | None = None,
    delivery_alert_days: float = 2.0,
) -> AggregatorLink:
    """What a hub command builds from its settings, talking to the fake."""
    client = SubmissionClient("http://aggregator.test", as_session(fake))
    return AggregatorLink(
        api=AggregatorAPI(client),
        log_key=log_key or fake.log_public_key,
        hub_id=hub_id,
        aud=aud,
        delivery_alert_days=delivery_alert_days,
    )
