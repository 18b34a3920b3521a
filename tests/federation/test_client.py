"""The push client (over a real requests.Session with a fake transport) and receipt checks."""

from __future__ import annotations

import base64
import json
import random
from collections.abc import Callable
from typing import Any

import pytest
import requests
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict

from federation.checkpoint import Checkpoint, sign_checkpoint
from federation.client import (
    SubmissionClient,
    SubmitResponse,
    full_jitter_delay,
    is_retryable,
    verify_receipt,
)
from federation.envelope import sign_statement
from federation.errors import BadSignature, ProofError, SchemaViolation, TransportError
from federation.merkle import inclusion_proof, leaf_hash, nodes_to_store, root_hash

BASE = "https://aggregator.test"
StatementFactory = Callable[..., dict[str, Any]]
Responder = Callable[[requests.PreparedRequest], "tuple[int, dict[str, str], bytes]"]


class FakeTransport(BaseAdapter):
    """A requests adapter that answers from a function and records what was sent."""

    def __init__(self, responder: Responder | Exception) -> None:
        super().__init__()
        self.responder = responder
        self.sent: list[tuple[requests.PreparedRequest, dict[str, Any]]] = []

    def send(  # type: ignore[override]
        self, request: requests.PreparedRequest, **kwargs: Any
    ) -> requests.Response:
        self.sent.append((request, kwargs))
        if isinstance(self.responder, Exception):
            raise self.responder
        status, headers, body = self.responder(request)
        response = requests.Response()
        response.status_code = status
        response.headers = CaseInsensitiveDict(headers)
        response._content = body
        response.url = request.url or ""
        response.request = request
        return response

    def close(self) -> None:
        pass


def client_with(responder: Responder | Exception) -> tuple[SubmissionClient, FakeTransport]:
    transport = FakeTransport(responder)
    session = requests.Session()
    session.mount(BASE, transport)
    return SubmissionClient(BASE + "/", session, timeout=3.5), transport


def answer(status: int, body: Any = None, content_type: str = "application/json", **headers: str):
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return lambda request: (status, {"Content-Type": content_type, **headers}, raw)


def test_submit_posts_the_exact_bytes() -> None:
    envelope = b'{"payload":"e30=","payloadType":"x","signatures":[]}'
    client, transport = client_with(answer(201, {"submission_id": "abc"}))
    response = client.submit(envelope)
    assert response == SubmitResponse(201, {"submission_id": "abc"})
    assert response.accepted and not response.retryable
    (request, kwargs) = transport.sent[0]
    assert request.method == "POST"
    assert request.url == BASE + "/api/v1/submissions"
    assert request.body == envelope
    assert request.headers["Content-Type"] == "application/json"
    assert "application/problem+json" in request.headers["Accept"]
    assert kwargs["timeout"] == 3.5


def test_problem_documents_are_read() -> None:
    problem = {"type": "urn:hubnet:problem:sequence-conflict", "status": 409, "expected_seq": 4}
    client, _ = client_with(answer(409, problem, "application/problem+json"))
    response = client.submit(b"{}")
    assert response.status == 409
    assert response.body["expected_seq"] == 4
    assert not response.accepted and not response.retryable


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"<html>Bad gateway</html>", "text/html"),
        (b"", "application/json"),
        (b"[1, 2]", "application/json"),
        (b'{"a": 1, "a": 2}', "application/json"),
    ],
)
def test_bodies_that_are_not_json_objects_read_as_empty(body: bytes, content_type: str) -> None:
    client, _ = client_with(answer(502, body, content_type))
    response = client.submit(b"{}")
    assert response == SubmitResponse(502, {})
    assert response.retryable


def test_retry_after_seconds_are_reported() -> None:
    client, _ = client_with(answer(429, {}, **{"Retry-After": "120"}))
    assert client.submit(b"{}").retry_after == 120.0
    client, _ = client_with(answer(503, {}, **{"Retry-After": "Wed, 21 Oct 2026 07:28:00 GMT"}))
    assert client.submit(b"{}").retry_after is None


def test_redirects_are_not_followed() -> None:
    client, transport = client_with(answer(308, {}, Location=BASE + "/elsewhere"))
    assert client.submit(b"{}").status == 308
    assert len(transport.sent) == 1


@pytest.mark.parametrize(
    "failure",
    [
        requests.ConnectionError("connection refused"),
        requests.Timeout("read timed out"),
        requests.exceptions.SSLError("certificate verify failed"),
    ],
)
def test_no_answer_is_a_transport_error(failure: Exception) -> None:
    client, _ = client_with(failure)
    with pytest.raises(TransportError) as caught:
        client.submit(b"{}")
    assert caught.value.status is None
    with pytest.raises(TransportError):
        client.fetch_json("/api/v1/log/checkpoint")


def test_fetch_json() -> None:
    client, transport = client_with(answer(200, {"size": 3}))
    assert client.fetch_json(
        "/api/v1/log/proof/inclusion", params={"leaf_index": 1, "tree_size": 3}
    ) == {"size": 3}
    request, kwargs = transport.sent[0]
    assert request.method == "GET"
    assert request.url == BASE + "/api/v1/log/proof/inclusion?leaf_index=1&tree_size=3"
    assert kwargs["timeout"] == 3.5


@pytest.mark.parametrize(
    ("status", "body"), [(404, {"title": "Not found"}), (200, b"<html>"), (200, [1])]
)
def test_fetch_json_failures(status: int, body: Any) -> None:
    client, _ = client_with(answer(status, body))
    with pytest.raises(TransportError) as caught:
        client.fetch_json("/api/v1/about")
    assert caught.value.status == status


def test_fetch_json_needs_an_absolute_path() -> None:
    client, _ = client_with(answer(200, {}))
    with pytest.raises(ValueError):
        client.fetch_json("api/v1/about")


@pytest.mark.parametrize(
    ("status", "retry"),
    [
        (200, False),
        (201, False),
        (400, False),
        (401, False),
        (403, False),
        (404, False),
        (408, True),
        (409, False),
        (413, False),
        (422, False),
        (425, True),
        (429, True),
        (500, True),
        (502, True),
        (503, True),
        (504, True),
        (599, True),
    ],
)
def test_is_retryable(status: int, retry: bool) -> None:
    assert is_retryable(status) is retry


def test_full_jitter_stays_within_bounds() -> None:
    generator = random.Random(7)
    for attempt in range(0, 40):
        ceiling = min(3600.0, 2.0 * 2**attempt)
        for _ in range(50):
            delay = full_jitter_delay(attempt, rand=generator.random)
            assert 0.0 <= delay <= ceiling
        assert full_jitter_delay(attempt, rand=lambda: 0.0) == 0.0
        assert full_jitter_delay(attempt, rand=lambda: 1.0) == ceiling


def test_full_jitter_parameters() -> None:
    assert full_jitter_delay(3, base=1.0, cap=5.0, rand=lambda: 1.0) == 5.0
    assert full_jitter_delay(2, base=1.0, cap=5.0, rand=lambda: 0.5) == 2.0
    assert full_jitter_delay(5000, rand=lambda: 1.0) == 3600.0  # no overflow
    with pytest.raises(ValueError):
        full_jitter_delay(-1)


# --- receipts ---------------------------------------------------------------

LOG_KEY = Ed25519PrivateKey.from_private_bytes(b"\x03" * 32)  # TEST-ONLY


class Log:
    """A miniature aggregator log built with federation.merkle, producing receipts."""

    def __init__(self, key: Ed25519PrivateKey = LOG_KEY) -> None:
        self.key = key
        self.nodes: dict[tuple[int, int], bytes] = {}
        self.size = 0

    def read(self, level: int, index: int) -> bytes:
        return self.nodes[(level, index)]

    def append(self, entry: bytes) -> int:
        for level, index, value in nodes_to_store(self.size, leaf_hash(entry), self.read):
            self.nodes[(level, index)] = value
        self.size += 1
        return self.size - 1

    def receipt(self, envelope: bytes, index: int) -> dict[str, Any]:
        statement = json.loads(base64.b64decode(json.loads(envelope)["payload"]))
        checkpoint = Checkpoint("aggregator.test/log", self.size, root_hash(self.size, self.read))
        return {
            "submission_id": statement["submission_id"],
            "hub_id": statement["hub_id"],
            "seq": statement["seq"],
            "received_at": "2026-11-01T09:00:01Z",
            "log_index": index,
            "leaf_hash": base64.b64encode(leaf_hash(envelope)).decode(),
            "inclusion_proof": [
                base64.b64encode(node).decode()
                for node in inclusion_proof(index, self.size, self.read)
            ],
            "checkpoint": sign_checkpoint(checkpoint, self.key).as_json(),
        }


@pytest.fixture
def logged(
    hub_key: Ed25519PrivateKey, make_statement: StatementFactory
) -> tuple[bytes, dict[str, Any], Log]:
    log = Log()
    for number in range(5):
        log.append(b"another hub's envelope %d" % number)
    envelope = sign_statement(make_statement(), hub_key)
    index = log.append(envelope)
    for number in range(3):
        log.append(b"later envelope %d" % number)
    return envelope, log.receipt(envelope, index), log


def test_a_good_receipt(logged: tuple[bytes, dict[str, Any], Log]) -> None:
    envelope, receipt, log = logged
    checkpoint = verify_receipt(receipt, envelope, LOG_KEY.public_key())
    assert checkpoint.size == 9
    assert checkpoint.root == root_hash(9, log.read)


def test_every_index_and_size(hub_key: Ed25519PrivateKey, make_statement: StatementFactory) -> None:
    log = Log()
    envelopes = [sign_statement(make_statement(seq=1, aud=f"a{n}"), hub_key) for n in range(6)]
    for count, envelope in enumerate(envelopes, start=1):
        log.append(envelope)
        for index in range(count):
            verify_receipt(
                log.receipt(envelopes[index], index), envelopes[index], LOG_KEY.public_key()
            )


def edit(receipt: dict[str, Any], **changes: Any) -> dict[str, Any]:
    return {**json.loads(json.dumps(receipt)), **changes}


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def test_receipts_that_must_fail(logged: tuple[bytes, dict[str, Any], Log]) -> None:
    envelope, receipt, _ = logged
    proof = receipt["inclusion_proof"]
    flipped = bytearray(base64.b64decode(proof[0]))
    flipped[5] ^= 1
    cases: list[tuple[dict[str, Any], type[Exception], str]] = [
        (edit(receipt, leaf_hash=b64(leaf_hash(b"other"))), ProofError, "leaf_hash"),
        (edit(receipt, log_index=4), ProofError, "inclusion_proof"),
        (edit(receipt, log_index=9), ProofError, "log_index"),
        (edit(receipt, inclusion_proof=proof[:-1]), ProofError, "inclusion_proof"),
        (edit(receipt, inclusion_proof=[*proof, proof[0]]), ProofError, "inclusion_proof"),
        (
            edit(receipt, inclusion_proof=[b64(bytes(flipped)), *proof[1:]]),
            ProofError,
            "inclusion_proof",
        ),
        (edit(receipt, seq=2), ProofError, "seq"),
        (edit(receipt, hub_id="E06000052"), ProofError, "hub_id"),
        (edit(receipt, submission_id="x"), ProofError, "submission_id"),
        (edit(receipt, seq="1"), SchemaViolation, "seq"),
        (edit(receipt, log_index=-1), SchemaViolation, "log_index"),
        (edit(receipt, leaf_hash="###"), SchemaViolation, "leaf_hash"),
        (edit(receipt, inclusion_proof="AAAA"), SchemaViolation, "inclusion_proof"),
        (edit(receipt, inclusion_proof=["AAAA"]), SchemaViolation, "inclusion_proof[0]"),
        (edit(receipt, checkpoint=None), SchemaViolation, "checkpoint"),
        (
            edit(receipt, checkpoint={**receipt["checkpoint"], "size": "9"}),
            SchemaViolation,
            "checkpoint.size",
        ),
        (
            edit(receipt, checkpoint={**receipt["checkpoint"], "size": 8}),
            BadSignature,
            "checkpoint.signature",
        ),
    ]
    for bad, error, field in cases:
        with pytest.raises(error) as caught:
            verify_receipt(bad, envelope, LOG_KEY.public_key())
        assert caught.value.field == field, (field, caught.value)  # type: ignore[attr-defined]


def test_receipt_signed_by_another_log(
    logged: tuple[bytes, dict[str, Any], Log],
) -> None:
    envelope, receipt, log = logged
    impostor = Log(Ed25519PrivateKey.from_private_bytes(b"\x04" * 32))
    impostor.nodes, impostor.size = log.nodes, log.size
    forged = impostor.receipt(envelope, receipt["log_index"])
    with pytest.raises(BadSignature) as caught:
        verify_receipt(forged, envelope, LOG_KEY.public_key())
    assert caught.value.field == "checkpoint.keyid"


def test_receipt_for_another_envelope(
    logged: tuple[bytes, dict[str, Any], Log],
    hub_key: Ed25519PrivateKey,
    make_statement: StatementFactory,
) -> None:
    _, receipt, _ = logged
    other = sign_statement(make_statement(aud="elsewhere"), hub_key)
    with pytest.raises(ProofError) as caught:
        verify_receipt(receipt, other, LOG_KEY.public_key())
    assert caught.value.field == "leaf_hash"


def test_envelope_must_be_an_envelope(logged: tuple[bytes, dict[str, Any], Log]) -> None:
    _, receipt, _ = logged
    with pytest.raises(ValueError):
        verify_receipt(receipt, b"not an envelope", LOG_KEY.public_key())
