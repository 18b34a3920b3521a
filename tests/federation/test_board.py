"""federation.board: the signed board statement, its rules, its chain, and tampering."""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from federation.board import (
    BOARD_PAYLOAD_TYPE,
    BoardStatement,
    BrokenBoardChain,
    board_statement_dict,
    check_board_chain,
    new_response_id,
    sign_board_statement,
    verify_board_statement,
)
from federation.canonical import canonical_json
from federation.envelope import PAYLOAD_TYPE
from federation.errors import BadSignature, ProtocolError, SchemaViolation

AT = datetime(2027, 1, 14, 15, 0, tzinfo=UTC)


def values(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "response_id": "6f1c2d3e-4b5a-4c6d-8e7f-8091a2b3c4d5",
        "version": 1,
        "prev": None,
        "theme": "gp-access",
        "period_start": date(2026, 10, 1),
        "period_end": date(2026, 12, 31),
        "meeting": date(2027, 1, 14),
        "decision": "accepted",
        "response": "The board accepts it.",
        "commitment": "One booking standard.",
        "owner": "Director of Primary Care",
        "due": date(2027, 6, 30),
        "progress": "on-track",
        "at": AT,
    }
    base.update(changes)
    return board_statement_dict(**base)


def signed(log_key: Ed25519PrivateKey, **changes: Any) -> BoardStatement:
    return verify_board_statement(
        sign_board_statement(values(**changes), log_key), log_key.public_key()
    )


def test_a_signed_statement_verifies_and_keeps_its_payload(log_key: Ed25519PrivateKey) -> None:
    raw = sign_board_statement(values(), log_key)

    statement = verify_board_statement(raw, log_key.public_key())

    envelope = json.loads(raw)
    assert envelope["payloadType"] == BOARD_PAYLOAD_TYPE
    assert statement.payload == base64.b64decode(envelope["payload"])
    assert statement.payload == canonical_json(values())
    assert statement.payload_sha256 == hashlib.sha256(statement.payload).hexdigest()
    assert statement.due == date(2027, 6, 30) and statement.at == AT


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"theme": "not-a-theme"}, "theme"),
        ({"decision": "maybe"}, "decision"),
        ({"progress": "nearly"}, "progress"),
        ({"commitment": None}, "commitment"),
        ({"progress": "stalled"}, "reason"),
        ({"decision": "not-accepted"}, "commitment"),
        ({"decision": "not-accepted", "commitment": None, "due": None, "progress": None}, "reason"),
        ({"decision": "under-consideration", "commitment": None}, "progress"),
        ({"decision": "under-consideration", "commitment": None, "progress": None, "due": None},
         "due"),
        ({"prev": "0" * 64}, "prev"),
        ({"update": "first"}, "update"),
        ({"version": 2, "prev": "0" * 64}, "update"),
        ({"version": 2, "update": "x"}, "prev"),
        ({"response_id": "not-a-uuid"}, "response_id"),
        ({"response": ""}, "response"),
    ],
)  # fmt: skip
def test_the_rules_refuse_a_statement_when_signing(
    log_key: Ed25519PrivateKey, changes: dict[str, Any], field: str
) -> None:
    with pytest.raises(ValueError, match=f"{field}"):
        sign_board_statement(values(**changes), log_key)


def test_under_consideration_and_not_accepted_are_valid_shapes(log_key: Ed25519PrivateKey) -> None:
    pending = signed(log_key, decision="under-consideration", commitment=None, progress=None,
                     owner="Chief Dental Officer", due=date(2027, 3, 31))  # fmt: skip
    refused = signed(log_key, decision="not-accepted", commitment=None, progress=None, due=None,
                     owner=None, reason="Out of the board's remit.")  # fmt: skip

    assert pending.decision == "under-consideration" and not pending.is_late(date(2030, 1, 1))
    assert refused.reason == "Out of the board's remit."


def test_late_is_a_passed_due_date_on_a_commitment_not_done(log_key: Ed25519PrivateKey) -> None:
    statement = signed(log_key)
    done = signed(log_key, progress="done")

    assert not statement.is_late(date(2027, 6, 30))
    assert statement.is_late(date(2027, 7, 1))
    assert not done.is_late(date(2030, 1, 1))


def test_tampering_with_the_payload_breaks_the_signature(log_key: Ed25519PrivateKey) -> None:
    envelope = json.loads(sign_board_statement(values(), log_key))
    payload = base64.b64decode(envelope["payload"]).replace(b"on-track", b"done....")
    envelope["payload"] = base64.b64encode(payload).decode()

    with pytest.raises(BadSignature):
        verify_board_statement(json.dumps(envelope).encode(), log_key.public_key())


def test_another_key_or_payload_type_is_refused(
    log_key: Ed25519PrivateKey, hub_key: Ed25519PrivateKey
) -> None:
    by_hub = sign_board_statement(values(), hub_key)
    with pytest.raises(BadSignature):
        verify_board_statement(by_hub, log_key.public_key())
    envelope = json.loads(sign_board_statement(values(), log_key))
    envelope["payloadType"] = PAYLOAD_TYPE
    with pytest.raises(ProtocolError):
        verify_board_statement(json.dumps(envelope).encode(), log_key.public_key())


def test_a_signed_statement_that_breaks_the_schema_is_a_schema_violation(
    log_key: Ed25519PrivateKey,
) -> None:
    from federation.envelope import _sign_envelope

    bad = {**values(), "decision": "maybe"}
    raw = _sign_envelope(BOARD_PAYLOAD_TYPE, canonical_json(bad), [log_key])

    with pytest.raises(SchemaViolation) as caught:
        verify_board_statement(raw, log_key.public_key())
    assert caught.value.field == "decision"


def test_versions_chain_by_the_previous_payload_hash(log_key: Ed25519PrivateKey) -> None:
    first = signed(log_key)
    second = signed(
        log_key,
        version=2,
        prev=first.payload_sha256,
        update="Stalled.",
        progress="stalled",
        reason="No funding.",
        at=AT + timedelta(days=1),
    )

    check_board_chain(None, first)
    check_board_chain(first, second)
    with pytest.raises(BrokenBoardChain) as caught:
        check_board_chain(None, second)
    assert caught.value.field == "version"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"prev": "0" * 64}, "prev"),
        ({"version": 3}, "version"),
        ({"theme": "dentistry"}, "theme"),
        ({"meeting": date(2027, 2, 1)}, "meeting"),
        ({"period_end": date(2026, 11, 30)}, "period_end"),
        ({"at": AT - timedelta(seconds=1)}, "at"),
        ({"response_id": new_response_id()}, "response_id"),
    ],
)
def test_a_version_that_does_not_follow_is_a_broken_chain(
    log_key: Ed25519PrivateKey, changes: dict[str, Any], field: str
) -> None:
    first = signed(log_key)
    second = {"version": 2, "prev": first.payload_sha256, "update": "x",
              "at": AT + timedelta(days=1), **changes}  # fmt: skip

    with pytest.raises(BrokenBoardChain) as caught:
        check_board_chain(first, signed(log_key, **second))
    assert caught.value.field == field
