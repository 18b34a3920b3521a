"""audit_log and board leaves: each is verified against the log key and its response's chain."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from federation.audit import AuditReport, audit_log
from federation.board import (
    BrokenBoardChain,
    board_statement_dict,
    sign_board_statement,
    verify_board_statement,
)
from federation.errors import BadSignature

AT = datetime(2027, 1, 14, 15, 0, tzinfo=UTC)
GP = "6f1c2d3e-4b5a-4c6d-8e7f-8091a2b3c4d5"
DENTAL = "7a2b3c4d-5e6f-4a7b-9c8d-9e0f1a2b3c4d"


def board(key: Ed25519PrivateKey, response_id: str = GP, **changes: Any) -> bytes:
    values: dict[str, Any] = {
        "response_id": response_id, "version": 1, "prev": None, "theme": "gp-access",
        "period_start": date(2026, 10, 1), "period_end": date(2026, 12, 31),
        "meeting": date(2027, 1, 14), "decision": "accepted", "response": "Accepted.",
        "commitment": "One standard.", "owner": "Director", "due": date(2027, 6, 30),
        "progress": "on-track", "at": AT,
    }  # fmt: skip
    values.update(changes)
    return sign_board_statement(board_statement_dict(**values), key)


def next_version(key: Ed25519PrivateKey, previous: bytes, **changes: Any) -> bytes:
    before = verify_board_statement(previous, key.public_key())
    return board(
        key, before.response_id, version=before.version + 1, prev=before.payload_sha256,
        update="Progress.", at=before.at + timedelta(days=1), **changes,
    )  # fmt: skip


def audit(log: Any, log_key: Ed25519PrivateKey) -> AuditReport:
    return audit_log(log.numbered(), log.checkpoint(), log_key.public_key())


def failures(report: AuditReport) -> list[tuple[int | None, type[Exception]]]:
    return [(failure.index, type(failure.error)) for failure in report.failures]


def test_a_log_with_board_statements_between_summaries_verifies(
    make_log: Callable[[], Any], log_key: Ed25519PrivateKey, hub_key: Ed25519PrivateKey
) -> None:
    log = make_log()
    log.register(hub_key)
    first = board(log_key)
    log.append(first)
    log.summary(hub_key)
    log.append(board(log_key, DENTAL, theme="dentistry"))
    log.append(next_version(log_key, first, progress="done"))

    report = audit(log, log_key)

    assert report.ok, [str(failure) for failure in report.failures]
    assert report.counts == {"hub-registered": 1, "summary": 1, "board-response": 3}


def test_a_board_statement_signed_by_another_key_is_reported(
    make_log: Callable[[], Any], log_key: Ed25519PrivateKey, hub_key: Ed25519PrivateKey
) -> None:
    log = make_log()
    log.append(board(hub_key))

    report = audit(log, log_key)

    assert failures(report) == [(0, BadSignature)]
    assert "leaf 0: bad-signature" in str(report.failures[0])


def test_a_tampered_board_statement_is_reported_and_the_root_differs(
    make_log: Callable[[], Any], log_key: Ed25519PrivateKey
) -> None:
    log = make_log()
    log.append(board(log_key))
    checkpoint = log.checkpoint()
    envelope = json.loads(log.entries[0])
    payload = base64.b64decode(envelope["payload"]).replace(b"on-track", b"done....")
    envelope["payload"] = base64.b64encode(payload).decode()
    log.entries[0] = json.dumps(envelope).encode()

    report = audit_log(log.numbered(), checkpoint, log_key.public_key())

    assert [index for index, _ in failures(report)] == [0, None]
    assert failures(report)[0][1] is BadSignature


def test_a_missing_or_reordered_version_breaks_the_chain(
    make_log: Callable[[], Any], log_key: Ed25519PrivateKey
) -> None:
    first = board(log_key)
    second = next_version(log_key, first)
    third = next_version(log_key, second, progress="done")
    log = make_log()
    log.append(first)
    log.append(third)  # version 2 left out of the log

    report = audit(log, log_key)

    assert failures(report) == [(1, BrokenBoardChain)]
    assert report.failures[0].error.field == "version"
    starts_late = make_log()
    starts_late.append(second)
    assert failures(audit(starts_late, log_key)) == [(0, BrokenBoardChain)]


def test_a_version_whose_prev_is_not_the_previous_payload_is_reported(
    make_log: Callable[[], Any], log_key: Ed25519PrivateKey
) -> None:
    first = board(log_key)
    forged = board(log_key, version=2, prev="0" * 64, update="Rewritten.",
                   at=AT + timedelta(days=1))  # fmt: skip
    log = make_log()
    log.append(first)
    log.append(forged)

    report = audit(log, log_key)

    assert failures(report) == [(1, BrokenBoardChain)]
    assert report.failures[0].error.field == "prev"
