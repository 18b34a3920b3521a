"""Board responses: the board's answers, signed and logged (docs/protocol.md, "Board responses").

The national team records the board's response to a national priority (a
theme in a period): accepted with a commitment, under consideration, or not
accepted with a reason. Each response and each later update is a **board
statement**: canonical JSON in the same DSSE-style envelope as everything
else, under its own payloadType (`application/vnd.hubnet.board+json;v=1`),
signed by the aggregator's log key, and appended to the transparency log.
Hubs pull them, verify the signature and the leaf's inclusion, and show them.

Every statement carries the response's whole current state, so the newest
version is all a reader needs; versions chain by `prev` (the hex SHA-256 of
the previous version's payload bytes), so no update can be slipped out of
the record:

    {"v": 1, "kind": "board-response", "response_id": "<UUIDv4>",
     "version": 1, "prev": null,
     "theme": "gp-access", "period": {"start": "2026-01-01", "end": "2026-12-31"},
     "meeting": "2027-01-14",
     "decision": "accepted",
     "response": "What the board said, in plain words.",
     "reason": null,
     "commitment": "What will change.", "owner": "Director of Primary Care",
     "due": "2027-06-30",
     "progress": "on-track",
     "update": null,
     "at": "2027-01-14T15:00:00Z"}

- `decision` is `accepted` (a `commitment`, `owner`, `due` and `progress`
  are required), `under-consideration` (`owner` and `due` say who decides by
  when; `commitment` null; `progress` null) or `not-accepted` (a `reason` is
  required; `commitment`, `due` and `progress` null; `owner` optional).
- `reason` is required when not accepted and when `progress` is `stalled`
  (why it stalled); otherwise it may be null.
- `progress` (accepted only): `not-started`, `on-track`, `done`, `stalled`.
  Lateness is not signed: a commitment is late when its `due` date has
  passed and `progress` is not `done`, on whatever day someone looks.
- `version` 1 has `prev` null and `update` null; every later version has
  `prev` = SHA-256 of version n−1's payload, `update` (what changed, said in
  words), an `at` no earlier than version n−1's, and the same `theme`,
  `period` and `meeting` (a response answers one priority for good).
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from federation.canonical import canonical_json, parse_canonical
from federation.envelope import MAX_ENVELOPE_BYTES, _sign_envelope
from federation.errors import ProtocolError, SchemaViolation, first_error
from federation.keyevents import open_log_signed
from federation.statement import PeriodSchema, StrictDate, format_utc, parse_utc, utc_field
from federation.taxonomy import load_taxonomy

BOARD_PAYLOAD_TYPE = "application/vnd.hubnet.board+json;v=1"
DECISIONS = ("accepted", "under-consideration", "not-accepted")
PROGRESS = ("not-started", "on-track", "done", "stalled")
SHA256_HEX = r"^[0-9a-f]{64}\Z"
UUID4 = r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}\Z"


class BrokenBoardChain(ProtocolError):
    """A board statement does not follow the version before it."""

    status = 409
    code = "broken-board-chain"
    title = "The board statement does not follow the previous version"


@dataclass(frozen=True)
class BoardStatement:
    """A verified board statement, with the exact payload bytes the log key signed."""

    response_id: str
    version: int
    prev: str | None
    theme: str
    period_start: date
    period_end: date
    meeting: date
    decision: str
    response: str
    reason: str | None
    commitment: str | None
    owner: str | None
    due: date | None
    progress: str | None
    update: str | None
    at: datetime
    payload: bytes

    @property
    def payload_sha256(self) -> str:
        return hashlib.sha256(self.payload).hexdigest()

    def is_late(self, today: date) -> bool:
        """A commitment is late once its due date has passed and it is not done."""
        return (
            self.decision == "accepted"
            and self.due is not None
            and self.due < today
            and self.progress != "done"
        )


def _text(length: int, **kwargs: Any) -> fields.String:
    return fields.String(required=True, validate=validate.Length(1, length), **kwargs)


class BoardStatementSchema(Schema):
    v = fields.Integer(required=True, strict=True, validate=validate.Equal(1))
    kind = fields.String(required=True, validate=validate.Equal("board-response"))
    response_id = fields.String(
        required=True, validate=validate.Regexp(UUID4, error="must be a lower-case UUIDv4")
    )
    version = fields.Integer(required=True, strict=True, validate=validate.Range(1, 2**53 - 1))
    prev = fields.String(
        required=True,
        allow_none=True,
        validate=validate.Regexp(SHA256_HEX, error="must be lower-case hex SHA-256"),
    )
    theme = fields.String(required=True)
    period = fields.Nested(PeriodSchema, required=True)
    meeting = StrictDate(required=True)
    decision = fields.String(required=True, validate=validate.OneOf(DECISIONS))
    response = _text(5000)
    reason = _text(2000, allow_none=True)
    commitment = _text(2000, allow_none=True)
    owner = _text(200, allow_none=True)
    due = StrictDate(required=True, allow_none=True)
    progress = fields.String(required=True, allow_none=True, validate=validate.OneOf(PROGRESS))
    update = _text(2000, allow_none=True)
    at = utc_field()

    @validates_schema
    def _consistent(self, data: dict[str, Any], **_: Any) -> None:
        if data["theme"] not in load_taxonomy().codes:
            raise ValidationError("is not a national theme code", "theme")
        first = data["version"] == 1
        if first and data["prev"] is not None:
            raise ValidationError("must be null in version 1", "prev")
        if not first and data["prev"] is None:
            raise ValidationError("is required after version 1", "prev")
        if first and data["update"] is not None:
            raise ValidationError("must be null in version 1", "update")
        if not first and data["update"] is None:
            raise ValidationError("is required after version 1: say what changed", "update")
        decision = data["decision"]
        needs = {
            "accepted": {"commitment": True, "owner": True, "due": True, "progress": True},
            "under-consideration": {"commitment": False, "owner": True, "due": True},
            "not-accepted": {"commitment": False, "due": False, "reason": True},
        }[decision]
        if decision != "accepted":
            needs["progress"] = False
        for name, required in needs.items():
            if required and data[name] is None:
                raise ValidationError(f"is required when the decision is {decision}", name)
            if not required and data[name] is not None:
                raise ValidationError(f"must be null when the decision is {decision}", name)
        if data["progress"] == "stalled" and data["reason"] is None:
            raise ValidationError("is required when progress is stalled: say why", "reason")


_SCHEMA = BoardStatementSchema()


def new_response_id() -> str:
    return str(uuid.uuid4())


def board_statement_dict(
    *,
    response_id: str,
    version: int,
    prev: str | None,
    theme: str,
    period_start: date,
    period_end: date,
    meeting: date,
    decision: str,
    response: str,
    reason: str | None = None,
    commitment: str | None = None,
    owner: str | None = None,
    due: date | None = None,
    progress: str | None = None,
    update: str | None = None,
    at: datetime,
) -> dict[str, Any]:
    """A board statement as plain JSON values, ready to sign."""
    return {
        "v": 1,
        "kind": "board-response",
        "response_id": response_id,
        "version": version,
        "prev": prev,
        "theme": theme,
        "period": {"start": period_start.isoformat(), "end": period_end.isoformat()},
        "meeting": meeting.isoformat(),
        "decision": decision,
        "response": response,
        "reason": reason,
        "commitment": commitment,
        "owner": owner,
        "due": None if due is None else due.isoformat(),
        "progress": progress,
        "update": update,
        "at": format_utc(at),
    }


def _schema_errors(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        return {"_schema": ["the board statement must be a JSON object"]}
    errors: dict[str, Any] = _SCHEMA.validate(value)
    return errors


def sign_board_statement(statement: Mapping[str, Any], log_private_key: Ed25519PrivateKey) -> bytes:
    """Canonicalise and sign a board statement with the log key; return the envelope bytes.

    Raises ValueError if the statement does not match the schema: an invalid
    leaf would make every audit of the log fail.
    """
    errors = _schema_errors(dict(statement))
    if errors:
        field, message = first_error(errors)
        raise ValueError(f"not a valid board statement: {field}: {message}")
    return _sign_envelope(BOARD_PAYLOAD_TYPE, canonical_json(dict(statement)), [log_private_key])


def verify_board_statement(
    raw: bytes, log_public_key: Ed25519PublicKey, *, max_bytes: int = MAX_ENVELOPE_BYTES
) -> BoardStatement:
    """Check a board-statement envelope signed by the log key and return the statement.

    Raises a ProtocolError subclass: PayloadTooLarge, MalformedEnvelope (and
    its kinds), BadSignature (no signature by the log key, or one that does
    not verify), SchemaViolation. The chain between versions is
    `check_board_chain`'s job.
    """
    payload = open_log_signed(raw, BOARD_PAYLOAD_TYPE, log_public_key, "board statement", max_bytes)
    value = parse_canonical(payload)
    errors = _schema_errors(value)
    if errors:
        field, detail = first_error(errors)
        field = field or "payload"
        raise SchemaViolation(f"{field}: {detail}", field=field, errors=errors)

    def day(text: str | None) -> date | None:
        return None if text is None else date.fromisoformat(text)

    return BoardStatement(
        response_id=value["response_id"],
        version=value["version"],
        prev=value["prev"],
        theme=value["theme"],
        period_start=date.fromisoformat(value["period"]["start"]),
        period_end=date.fromisoformat(value["period"]["end"]),
        meeting=date.fromisoformat(value["meeting"]),
        decision=value["decision"],
        response=value["response"],
        reason=value["reason"],
        commitment=value["commitment"],
        owner=value["owner"],
        due=day(value["due"]),
        progress=value["progress"],
        update=value["update"],
        at=parse_utc(value["at"]),
        payload=payload,
    )


def check_board_chain(previous: BoardStatement | None, statement: BoardStatement) -> None:
    """Raise BrokenBoardChain unless `statement` is the version that follows `previous`.

    `previous` is None when `statement` should be a response's first version.
    """
    if previous is None:
        if statement.version != 1:
            raise BrokenBoardChain(
                f"response {statement.response_id} starts at version {statement.version}, not 1",
                field="version",
            )
        return
    if statement.response_id != previous.response_id:
        raise BrokenBoardChain("a different response", field="response_id")
    if statement.version != previous.version + 1:
        raise BrokenBoardChain(
            f"version {statement.version} does not follow version {previous.version}",
            field="version",
        )
    if statement.prev != previous.payload_sha256:
        raise BrokenBoardChain(
            f"prev is not the SHA-256 of version {previous.version}'s payload", field="prev"
        )
    for name in ("theme", "period_start", "period_end", "meeting"):
        if getattr(statement, name) != getattr(previous, name):
            raise BrokenBoardChain(f"{name} changed between versions", field=name)
    if statement.at < previous.at:
        raise BrokenBoardChain(f"at is earlier than version {previous.version}'s", field="at")
