"""The board API's query strings and the JSON it answers with (documented in the OpenAPI).

`statement_json` turns a verified statement into the JSON every board
endpoint shares; the schemas describe it for the OpenAPI document, and
schemathesis checks the two agree.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from marshmallow import RAISE, Schema, fields, validate

from federation.board import DECISIONS, PROGRESS, BoardStatement
from federation.canonical import MAX_SAFE_INTEGER
from federation.taxonomy import load_taxonomy
from hubnet.columns import rfc3339
from national_aggregator.board.services import MAX_STATEMENTS_PAGE, LoggedStatement

DEFAULT_LIMIT = 100


class StatementsQuerySchema(Schema):
    class Meta:
        unknown = RAISE

    after = fields.Integer(
        load_default=-1,
        validate=validate.Range(-1, MAX_SAFE_INTEGER),
        metadata={"description": "only statements with a larger log index (default −1)"},
    )
    limit = fields.Integer(
        load_default=DEFAULT_LIMIT,
        validate=validate.Range(1, MAX_STATEMENTS_PAGE),
        metadata={"description": f"at most this many (1–{MAX_STATEMENTS_PAGE}, default 100)"},
    )


class LoggedBoardStatementSchema(Schema):
    log_index = fields.Integer(required=True)
    response_id = fields.String(required=True)
    version = fields.Integer(required=True)
    envelope = fields.String(
        required=True, metadata={"format": "byte", "description": "the exact envelope bytes"}
    )


class BoardStatementsSchema(Schema):
    statements = fields.List(fields.Nested(LoggedBoardStatementSchema), required=True)
    last_index = fields.Integer(
        required=True,
        metadata={"description": "the largest log index of any board statement, or −1"},
    )


class BoardPeriodSchema(Schema):
    start = fields.Date(required=True)
    end = fields.Date(required=True)


class BoardResponseSchema(Schema):
    """One version of a response: its whole state, with where it is in the log."""

    response_id = fields.String(required=True)
    version = fields.Integer(required=True)
    log_index = fields.Integer(required=True)
    theme = fields.String(required=True, validate=validate.OneOf(load_taxonomy().codes))
    theme_name = fields.String(required=True)
    period = fields.Nested(BoardPeriodSchema, required=True)
    meeting = fields.Date(required=True)
    decision = fields.String(required=True, validate=validate.OneOf(DECISIONS))
    response = fields.String(required=True)
    reason = fields.String(required=True, allow_none=True)
    commitment = fields.String(required=True, allow_none=True)
    owner = fields.String(required=True, allow_none=True)
    due = fields.Date(required=True, allow_none=True)
    progress = fields.String(required=True, allow_none=True, validate=validate.OneOf(PROGRESS))
    update = fields.String(required=True, allow_none=True)
    at = fields.DateTime(required=True)
    late = fields.Boolean(
        required=True, metadata={"description": "due has passed and progress is not done (today)"}
    )
    payload_sha256 = fields.String(required=True)


class BoardResponseListSchema(Schema):
    today = fields.Date(required=True, metadata={"description": "the day `late` was worked out"})
    responses = fields.List(fields.Nested(BoardResponseSchema), required=True)


class BoardResponseHistorySchema(Schema):
    response_id = fields.String(required=True)
    today = fields.Date(required=True)
    current = fields.Nested(BoardResponseSchema, required=True)
    versions = fields.List(fields.Nested(BoardResponseSchema), required=True)


def _day(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def statement_json(logged: LoggedStatement, today: date) -> dict[str, Any]:
    """One version as the API shows it (late worked out for `today`)."""
    statement: BoardStatement = logged.statement
    return {
        "response_id": statement.response_id,
        "version": statement.version,
        "log_index": logged.log_index,
        "theme": statement.theme,
        "theme_name": load_taxonomy().name_of(statement.theme),
        "period": {"start": _day(statement.period_start), "end": _day(statement.period_end)},
        "meeting": _day(statement.meeting),
        "decision": statement.decision,
        "response": statement.response,
        "reason": statement.reason,
        "commitment": statement.commitment,
        "owner": statement.owner,
        "due": _day(statement.due),
        "progress": statement.progress,
        "update": statement.update,
        "at": rfc3339(statement.at),
        "late": statement.is_late(today),
        "payload_sha256": statement.payload_sha256,
    }
