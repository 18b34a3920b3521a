"""The HTTP client a hub uses to push envelopes to an aggregator, and receipt checks.

`SubmissionClient` wraps a `requests.Session` the caller makes and passes in
(so the hub sets its own TLS, proxies and User-Agent, and tests pass a fake).
It POSTs envelope bytes exactly as signed, never re-serialised, and reports
the aggregator's answer as a status and a JSON body; it does not decide what
to do next. `is_retryable` and `full_jitter_delay` give the hub's outbox the
retry policy (AWS "full jitter": https://aws.amazon.com/blogs/architecture/
exponential-backoff-and-jitter/). `verify_receipt` checks what the aggregator
returned: the leaf hash, the signed checkpoint and the inclusion proof.

Leaves out: the outbox, scheduling and sleeping (the hub owns them), and
consistency checks between checkpoints (`merkle.verify_consistency`, called by
the hub with the checkpoint it kept).
"""

from __future__ import annotations

import base64
import binascii
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import requests
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from federation.canonical import parse_json
from federation.checkpoint import Checkpoint, parse_signed_checkpoint, verify_checkpoint
from federation.errors import (
    BadSignature,
    ProofError,
    ProtocolError,
    SchemaViolation,
    TransportError,
)
from federation.merkle import HASH_SIZE, leaf_hash, verify_inclusion

SUBMISSIONS_PATH = "/api/v1/submissions"
RETRYABLE_STATUSES = frozenset({408, 425, 429})
_ACCEPT = "application/json, application/problem+json;q=0.9"


@dataclass(frozen=True)
class SubmitResponse:
    """The aggregator's answer: HTTP status and JSON body (`{}` if the body was not JSON).

    `retry_after` is the Retry-After header in seconds, when the server sent one
    as a number (429 and 503 answers may).
    """

    status: int
    body: dict[str, Any]
    retry_after: float | None = field(default=None)

    @property
    def accepted(self) -> bool:
        """201 (stored now) or 200 (the same bytes were already stored)."""
        return self.status in (200, 201)

    @property
    def retryable(self) -> bool:
        """Whether sending the same bytes again later may succeed."""
        return is_retryable(self.status)


def is_retryable(status: int) -> bool:
    """408, 425, 429 and every 5xx: the refusal is about timing, not about the envelope."""
    return status in RETRYABLE_STATUSES or 500 <= status <= 599


def full_jitter_delay(
    attempt: int,
    *,
    base: float = 2.0,
    cap: float = 3600.0,
    rand: Callable[[], float] = random.random,
) -> float:
    """Seconds to wait before retry `attempt` (0-based): rand() · min(cap, base · 2^attempt)."""
    if attempt < 0:
        raise ValueError(f"attempt must be >= 0, got {attempt}")
    try:
        ceiling = min(cap, base * 2.0**attempt)
    except OverflowError:  # 2.0**attempt past ~1e308: the cap has long applied
        ceiling = cap
    return rand() * ceiling


def _json_object(raw: bytes) -> dict[str, Any]:
    try:
        value = parse_json(raw)
    except ProtocolError:
        return {}
    return value if isinstance(value, dict) else {}


def _retry_after(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        seconds = float(value.strip())
    except ValueError:  # the HTTP-date form would need a clock; the policy's delay applies
        return None
    return seconds if seconds >= 0 else None


class SubmissionClient:
    """Pushes envelopes to one aggregator over an injected `requests.Session`."""

    def __init__(self, base_url: str, http: requests.Session, *, timeout: float = 10.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.http = http
        self.timeout = timeout

    def submit(self, envelope: bytes) -> SubmitResponse:
        """POST the envelope bytes to `/api/v1/submissions`; raise TransportError if no answer.

        Redirects are not followed: a redirected POST may turn into a GET and
        lose the envelope, so a 3xx comes back as it is.
        """
        url = self.base_url + SUBMISSIONS_PATH
        try:
            response = self.http.post(
                url,
                data=envelope,
                headers={"Content-Type": "application/json", "Accept": _ACCEPT},
                timeout=self.timeout,
                allow_redirects=False,
            )
        except requests.RequestException as exc:
            raise TransportError(f"POST {url} failed: {exc}") from exc
        return SubmitResponse(
            status=response.status_code,
            body=_json_object(response.content),
            retry_after=_retry_after(response.headers.get("Retry-After")),
        )

    def fetch_json(
        self, path: str, *, params: Mapping[str, str | int] | None = None
    ) -> dict[str, Any]:
        """GET `path` (e.g. `/api/v1/log/checkpoint`) and return its JSON object.

        Raises TransportError on no answer, a non-2xx status (with `.status`),
        or a body that is not a JSON object.
        """
        if not path.startswith("/"):
            raise ValueError(f"path must start with '/', got {path!r}")
        url = self.base_url + path
        try:
            response = self.http.get(
                url,
                params=dict(params) if params else None,
                headers={"Accept": _ACCEPT},
                timeout=self.timeout,
            )
        except requests.RequestException as exc:
            raise TransportError(f"GET {url} failed: {exc}") from exc
        if not 200 <= response.status_code <= 299:
            raise TransportError(
                f"GET {url} answered {response.status_code}", status=response.status_code
            )
        try:
            value = parse_json(response.content)
        except ProtocolError as exc:
            raise TransportError(
                f"GET {url} did not answer JSON: {exc.detail}", status=response.status_code
            ) from exc
        if not isinstance(value, dict):
            raise TransportError(
                f"GET {url} answered JSON that is not an object", status=response.status_code
            )
        return value


def _b64_hash(value: Any, where: str) -> bytes:
    if not isinstance(value, str):
        raise SchemaViolation(f"{where} must be a base64 string", field=where)
    try:
        decoded = base64.b64decode(value.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError) as exc:
        raise SchemaViolation(f"{where} is not valid base64: {exc}", field=where) from exc
    if len(decoded) != HASH_SIZE:
        raise SchemaViolation(f"{where} must decode to a {HASH_SIZE}-byte hash", field=where)
    return decoded


def _statement_fields(envelope: bytes) -> dict[str, Any]:
    # The hub signed these bytes itself, so reading them back needs no key.
    try:
        outer = parse_json(envelope)
        payload = base64.b64decode(str(outer["payload"]).encode("ascii"), validate=True)
        statement = parse_json(payload)
    except (ProtocolError, binascii.Error, KeyError, TypeError, UnicodeEncodeError) as exc:
        raise ValueError("envelope is not a hubnet envelope") from exc
    if not isinstance(statement, dict):
        raise ValueError("envelope payload is not a JSON object")
    return statement


def verify_receipt(
    receipt: Mapping[str, Any], envelope: bytes, log_public_key: Ed25519PublicKey
) -> Checkpoint:
    """Check a receipt for `envelope` and return its verified checkpoint.

    Checks that the receipt names the envelope's `submission_id`, `hub_id` and
    `seq`; that `leaf_hash` is the envelope's leaf hash; that the checkpoint is
    signed by the pinned log key; and that the inclusion proof puts the leaf at
    `log_index` under the checkpoint's root. Raises SchemaViolation (malformed
    receipt), BadSignature (checkpoint) or ProofError (anything that does not
    match), or ValueError if `envelope` is not an envelope at all (a caller
    bug: it is the hub's own bytes). Keep the returned checkpoint: the next
    contact proves consistency from it.
    """
    if not isinstance(receipt, Mapping):
        raise SchemaViolation("the receipt must be a JSON object", field="receipt")
    statement = _statement_fields(envelope)
    for name, kind in (("submission_id", str), ("hub_id", str), ("seq", int)):
        value = receipt.get(name)
        if not isinstance(value, kind) or isinstance(value, bool):
            raise SchemaViolation(f"receipt {name} is missing or of the wrong type", field=name)
        if value != statement.get(name):
            raise ProofError(
                f"receipt is for {name} {value!r}, but the envelope has {statement.get(name)!r}",
                field=name,
            )
    log_index = receipt.get("log_index")
    if not isinstance(log_index, int) or isinstance(log_index, bool) or log_index < 0:
        raise SchemaViolation("log_index must be a whole number >= 0", field="log_index")
    claimed_leaf = _b64_hash(receipt.get("leaf_hash"), "leaf_hash")
    if claimed_leaf != leaf_hash(envelope):
        raise ProofError(
            "receipt leaf_hash is not SHA-256(0x00 ‖ the envelope bytes sent)", field="leaf_hash"
        )
    proof_json = receipt.get("inclusion_proof")
    if not isinstance(proof_json, list):
        raise SchemaViolation("inclusion_proof must be a list", field="inclusion_proof")
    proof = [
        _b64_hash(item, f"inclusion_proof[{position}]") for position, item in enumerate(proof_json)
    ]
    checkpoint_json = receipt.get("checkpoint")
    if not isinstance(checkpoint_json, Mapping):
        raise SchemaViolation("checkpoint must be a JSON object", field="checkpoint")
    signed = parse_signed_checkpoint(checkpoint_json, prefix="checkpoint.")
    try:
        checkpoint = verify_checkpoint(signed, log_public_key)
    except BadSignature as exc:
        raise BadSignature(exc.detail, field=f"checkpoint.{exc.field}") from exc
    try:
        verify_inclusion(claimed_leaf, log_index, checkpoint.size, proof, checkpoint.root)
    except ProofError as exc:
        where = "log_index" if exc.field == "leaf_index" else "inclusion_proof"
        raise ProofError(exc.detail, field=where) from exc
    return checkpoint
