"""The aggregator as the hub talks to it: every endpoint the hub uses, with answers checked.

`AggregatorAPI` wraps `federation.client.SubmissionClient` (which owns the
HTTP details: no redirects on POST, timeouts, problem JSON) and reads each
answer into plain values, raising `BadAnswer` when an answer that arrived is
not what docs/protocol.md says it is, and `federation.errors.TransportError`
when none arrived (or the status was not 2xx: `.status` says which).

`AggregatorLink` is what every contact needs: the API, the pinned log key,
and who this hub is. It is built once per command from the hub's settings.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib.metadata import version
from typing import Any

import requests
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from federation.canonical import canonical_json, parse_json
from federation.checkpoint import SignedCheckpoint, parse_signed_checkpoint
from federation.client import SubmissionClient, SubmitResponse, is_retryable
from federation.errors import ProtocolError, TransportError
from federation.keys import key_id
from federation.merkle import HASH_SIZE

ENTRIES_PAGE = 1000  # the most the entries endpoint returns at once
STATEMENTS_PAGE = 100


class BadAnswer(Exception):
    """The aggregator answered, but not in the form docs/protocol.md gives."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


def refused(exc: TransportError) -> bool:
    """A definite 4xx refusal (not 408/425/429, which are about timing)."""
    return exc.status is not None and 400 <= exc.status <= 499 and not is_retryable(exc.status)


def _b64(value: Any, where: str, *, size: int | None = None) -> bytes:
    if not isinstance(value, str):
        raise BadAnswer(f"{where} is not a base64 string")
    try:
        decoded = base64.b64decode(value.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError) as exc:
        raise BadAnswer(f"{where} is not valid base64") from exc
    if size is not None and len(decoded) != size:
        raise BadAnswer(f"{where} is not a {size}-byte hash")
    return decoded


def _int(obj: Mapping[str, Any], name: str, where: str) -> int:
    value = obj.get(name)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise BadAnswer(f"{where}: {name} is not a whole number >= 0")
    return value


def _hashes(value: Any, where: str) -> list[bytes]:
    if not isinstance(value, list):
        raise BadAnswer(f"{where} is not a list")
    return [_b64(item, f"{where}[{n}]", size=HASH_SIZE) for n, item in enumerate(value)]


@dataclass(frozen=True)
class AggregatorStatement:
    """One row of `GET /api/v1/hubs/<gss>/statements`: what the aggregator holds at a seq."""

    seq: int
    submission_id: str
    payload_sha256: str
    log_index: int | None
    envelope: bytes


@dataclass(frozen=True)
class StatementsPage:
    last_seq: int
    statements: list[AggregatorStatement]


class AggregatorAPI:
    """The aggregator's endpoints, over one `SubmissionClient`."""

    def __init__(self, client: SubmissionClient) -> None:
        self.client = client

    @property
    def base_url(self) -> str:
        return self.client.base_url

    def submit(self, envelope: bytes) -> SubmitResponse:
        return self.client.submit(envelope)

    def _get(self, path: str, params: Mapping[str, str | int] | None = None) -> dict[str, Any]:
        return self.client.fetch_json(path, params=params)

    def checkpoint(self, size: int | None = None) -> SignedCheckpoint:
        """The latest signed checkpoint (or the one of `size`); the caller checks its signature."""
        path = "/api/v1/log/checkpoint" if size is None else f"/api/v1/log/checkpoints/{size}"
        try:
            return parse_signed_checkpoint(self._get(path))
        except ProtocolError as exc:
            raise BadAnswer(f"GET {path}: {exc.detail}") from exc

    def consistency_proof(self, first: int, second: int) -> list[bytes]:
        where = f"consistency proof {first}→{second}"
        answer = self._get("/api/v1/log/proof/consistency", {"first": first, "second": second})
        if (_int(answer, "first", where), _int(answer, "second", where)) != (first, second):
            raise BadAnswer(f"{where}: the answer is for other sizes")
        return _hashes(answer.get("proof"), f"{where}: proof")

    def inclusion_proof(self, leaf_index: int, tree_size: int) -> tuple[bytes, list[bytes]]:
        """(leaf_hash, proof) for a leaf in the tree of `tree_size`."""
        where = f"inclusion proof for leaf {leaf_index} of {tree_size}"
        answer = self._get(
            "/api/v1/log/proof/inclusion", {"leaf_index": leaf_index, "tree_size": tree_size}
        )
        sizes = (_int(answer, "leaf_index", where), _int(answer, "tree_size", where))
        if sizes != (leaf_index, tree_size):
            raise BadAnswer(f"{where}: the answer is for another leaf or size")
        leaf = _b64(answer.get("leaf_hash"), f"{where}: leaf_hash", size=HASH_SIZE)
        return leaf, _hashes(answer.get("proof"), f"{where}: proof")

    def entries(self, start: int, end: int) -> dict[int, bytes]:
        """The log's entries [start, end) as exact bytes, by index (paged; may be missing some)."""
        found: dict[int, bytes] = {}
        while start < end:
            stop = min(end, start + ENTRIES_PAGE)
            answer = self._get("/api/v1/log/entries", {"start": start, "end": stop})
            rows = answer.get("entries")
            if not isinstance(rows, list):
                raise BadAnswer(f"entries {start}–{stop}: entries is not a list")
            for row in rows:
                if not isinstance(row, Mapping):
                    raise BadAnswer(f"entries {start}–{stop}: an entry is not an object")
                index = _int(row, "index", f"entries {start}–{stop}")
                found[index] = _b64(row.get("envelope"), f"entry {index}")
            if not rows:
                break  # the log has nothing more in this range
            start = max(stop, max(found) + 1) if found else stop
        return found

    def statements(
        self, hub_id: str, after_seq: int, limit: int = STATEMENTS_PAGE
    ) -> StatementsPage:
        """What the aggregator holds for this hub after `after_seq` (one page)."""
        where = f"statements of {hub_id} after seq {after_seq}"
        answer = self._get(
            f"/api/v1/hubs/{hub_id}/statements", {"after_seq": after_seq, "limit": limit}
        )
        if answer.get("hub_id") != hub_id:
            raise BadAnswer(f"{where}: the answer is for hub {answer.get('hub_id')!r}")
        rows = answer.get("statements")
        if not isinstance(rows, list):
            raise BadAnswer(f"{where}: statements is not a list")
        statements = []
        for row in rows:
            if not isinstance(row, Mapping):
                raise BadAnswer(f"{where}: a statement is not an object")
            seq = _int(row, "seq", where)
            index = row.get("log_index")
            if index is not None:
                index = _int(row, "log_index", where)
            submission_id, digest = row.get("submission_id"), row.get("payload_sha256")
            if not isinstance(submission_id, str) or not isinstance(digest, str):
                raise BadAnswer(f"{where}: seq {seq} lacks submission_id or payload_sha256")
            envelope = _b64(row.get("envelope"), f"{where}: seq {seq} envelope")
            statements.append(AggregatorStatement(seq, submission_id, digest, index, envelope))
        return StatementsPage(_int(answer, "last_seq", where), statements)

    def receipt(self, submission_id: str) -> dict[str, Any]:
        """A fresh receipt for an accepted statement (checked by the caller)."""
        return self._get(f"/api/v1/submissions/{submission_id}/receipt")

    def post_cosignature(self, cosignature: Mapping[str, Any]) -> SubmitResponse:
        """POST a witness cosignature; the answer's status and JSON body, as for a submission."""
        url = self.base_url + "/api/v1/log/cosignatures"
        try:
            response = self.client.http.post(
                url,
                data=canonical_json(dict(cosignature)),
                headers={"Content-Type": "application/json", "Accept": "application/json"},
                timeout=self.client.timeout,
                allow_redirects=False,
            )
        except requests.RequestException as exc:
            raise TransportError(f"POST {url} failed: {exc}") from exc
        try:
            body = parse_json(response.content)
        except ProtocolError:
            body = {}
        return SubmitResponse(response.status_code, body if isinstance(body, dict) else {})


@dataclass(frozen=True)
class AggregatorLink:
    """Everything a contact with the aggregator needs besides the database."""

    api: AggregatorAPI
    log_key: Ed25519PublicKey
    hub_id: str
    aud: str
    delivery_alert_days: float = 2.0
    http: requests.Session | None = field(default=None, compare=False)

    @property
    def log_keyid(self) -> str:
        return key_id(self.log_key)

    def close(self) -> None:
        if self.http is not None:
            self.http.close()


def user_agent(hub_id: str) -> str:
    return f"hubnet-hub/{version('hubnet')} ({hub_id})"
