"""The board pack's query string, its CSV tables, and the schema of its JSON (for OpenAPI).

The CSV form is one file per table, each a plain header row and data rows (no
comment lines, so every spreadsheet and `csv` reader takes it as it is):
`priorities.csv` (the ranking), `commitments.csv` (the outstanding board
commitments) and `submissions.csv` (what the pack used, to check with the log).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from typing import Any

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate, validates_schema

from federation.periods import Period
from national_aggregator.priorities.schemas import HubRefSchema, ReportingPeriodSchema

CSV_TABLES: dict[str, tuple[str, ...]] = {
    "priorities": (
        "rank",
        "code",
        "name",
        "total",
        "lower",
        "upper",
        "rate_per_100k",
        "top5_hubs",
        "borda_points",
        "borda_rank",
        "hubs_reporting",
        "hubs_suppressed",
        "previous_total",
        "previous_rank",
        "change_rank",
        "movement",
    ),
    "commitments": (
        "response_id",
        "version",
        "log_index",
        "theme",
        "theme_name",
        "period_start",
        "period_end",
        "responded_at_meeting",
        "decision",
        "commitment",
        "owner",
        "due",
        "progress",
        "late",
        "reason",
    ),
    "submissions": ("log_index", "hub_id", "seq", "period_start", "period_end", "payload_sha256"),
}


class PackQuerySchema(Schema):
    """`?period_start=&period_end=&region=&meeting=`; the size is in the path."""

    class Meta:
        unknown = EXCLUDE  # links may carry tracking parameters; only these matter

    period_start = fields.Date(
        metadata={
            "description": "the period's first day (with period_end); absent: the latest "
            "period any hub had sent when the log was at the pack's size",
            "example": "2026-10-01",
        }
    )
    period_end = fields.Date(
        metadata={
            "description": "the period's last day (with period_start)",
            "example": "2026-10-31",
        }
    )
    region = fields.String(
        validate=validate.Length(min=1, max=100),
        metadata={
            "description": "only the hubs registered in this region; absent: all of England. "
            "A region no hub is registered in is a 400",
            "example": "North West",
        },
    )
    meeting = fields.Date(
        required=True,
        metadata={
            "description": "the board meeting's date: commitments due before it and not done "
            "are late",
            "example": "2026-11-19",
        },
    )

    @validates_schema
    def _period(self, data: dict[str, Any], **_: Any) -> None:
        start, end = data.get("period_start"), data.get("period_end")
        if (start is None) != (end is None):
            missing = "period_end" if end is None else "period_start"
            raise ValidationError("give both period_start and period_end, or neither", missing)
        if start is not None and end is not None and end < start:
            raise ValidationError(
                f"the period ends ({end}) before it starts ({start})", "period_end"
            )


def query_period(query: Mapping[str, Any]) -> Period | None:
    """The period a loaded query names, or None."""
    if query.get("period_start") is None:
        return None
    return Period(query["period_start"], query["period_end"])


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def pack_csv(pack: Mapping[str, Any], table: str) -> str:
    """One table of the pack as CSV text (RFC 4180: CRLF line ends, quoted where needed)."""
    columns = CSV_TABLES[table]
    rows: Sequence[Mapping[str, Any]] = pack[table]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        flat = dict(row)
        period = flat.pop("period", None)
        if isinstance(period, Mapping):
            flat["period_start"], flat["period_end"] = period["start"], period["end"]
        writer.writerow([_cell(flat.get(column)) for column in columns])
    return out.getvalue()


# The JSON's shape, for the OpenAPI document ------------------------------------------------


class CitedCheckpointSchema(Schema):
    origin = fields.String(required=True)
    size = fields.Integer(required=True)
    root = fields.String(required=True, metadata={"description": "base64 Merkle root"})
    keyid = fields.String(required=True, metadata={"description": "the log key's RFC 7638 id"})
    signature = fields.String(required=True, metadata={"description": "base64 Ed25519"})


class PackPrioritySchema(Schema):
    rank = fields.Integer(required=True)
    code = fields.String(required=True)
    name = fields.String(required=True)
    total = fields.Integer(required=True)
    lower = fields.Integer(required=True)
    upper = fields.Integer(required=True)
    rate_per_100k = fields.String(required=True)
    top5_hubs = fields.Integer(required=True)
    borda_points = fields.String(required=True)
    borda_rank = fields.Integer(required=True)
    hubs_reporting = fields.Integer(required=True)
    hubs_suppressed = fields.Integer(required=True)
    previous_total = fields.Integer(required=True, allow_none=True)
    previous_rank = fields.Integer(required=True, allow_none=True)
    change_rank = fields.Integer(required=True, allow_none=True)
    movement = fields.String(required=True, allow_none=True)


class EvidenceHubSchema(Schema):
    gss = fields.String(required=True)
    name = fields.String(required=True)
    region = fields.String(required=True)
    status = fields.String(
        required=True, validate=validate.OneOf(["published", "suppressed", "missing"])
    )
    people = fields.Integer(required=True, allow_none=True)
    suppressed_max = fields.Integer(required=True, allow_none=True)
    place = fields.Integer(required=True, allow_none=True)


class EvidenceQuoteSchema(Schema):
    hub = fields.Nested(HubRefSchema, required=True)
    text = fields.String(required=True)


class EvidenceSchema(Schema):
    rank = fields.Integer(required=True)
    code = fields.String(required=True)
    name = fields.String(required=True)
    hubs = fields.List(fields.Nested(EvidenceHubSchema), required=True)
    quotes = fields.List(fields.Nested(EvidenceQuoteSchema), required=True)


class PackGroupSchema(Schema):
    characteristic = fields.String(required=True)
    characteristic_label = fields.String(required=True)
    category = fields.String(required=True)
    category_label = fields.String(required=True)
    hubs_under = fields.Integer(required=True)
    hubs_with_figures = fields.Integer(required=True)
    hubs_with_ratio = fields.Integer(required=True)
    median_ratio = fields.String(required=True, allow_none=True)
    flags = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True)
    doing_well = fields.List(fields.Nested(HubRefSchema), required=True)


class PackVoicesSchema(Schema):
    hubs_with_profile = fields.List(fields.Nested(HubRefSchema), required=True)
    hubs_without_profile = fields.List(fields.Nested(HubRefSchema), required=True)
    most_under = fields.List(fields.Nested(PackGroupSchema), required=True)


class DatesSchema(Schema):
    start = fields.String(required=True)
    end = fields.String(required=True)


class CommitmentSchema(Schema):
    response_id = fields.String(required=True)
    version = fields.Integer(required=True)
    log_index = fields.Integer(required=True)
    theme = fields.String(required=True)
    theme_name = fields.String(required=True)
    period = fields.Nested(DatesSchema, required=True)
    responded_at_meeting = fields.String(required=True)
    decision = fields.String(
        required=True, validate=validate.OneOf(["accepted", "under-consideration"])
    )
    response = fields.String(required=True)
    commitment = fields.String(required=True, allow_none=True)
    owner = fields.String(required=True, allow_none=True)
    due = fields.String(required=True, allow_none=True)
    progress = fields.String(required=True, allow_none=True)
    late = fields.Boolean(required=True, metadata={"description": "at the meeting date"})
    reason = fields.String(required=True, allow_none=True)
    update = fields.String(required=True, allow_none=True)


class HubKSchema(Schema):
    hub_id = fields.String(required=True)
    k = fields.Integer(required=True)


class HubEpsilonSchema(Schema):
    hub_id = fields.String(required=True)
    epsilon = fields.String(required=True)


class MethodSchema(Schema):
    disclosure = fields.String(required=True)
    rule_set = fields.String(required=True)
    k = fields.Integer(required=True)
    rounding_base = fields.Integer(required=True)
    stricter_k = fields.List(fields.Nested(HubKSchema), required=True)
    differential_privacy = fields.String(required=True)
    dp_hubs = fields.List(fields.Nested(HubEpsilonSchema), required=True)
    ranking = fields.String(required=True)
    borda = fields.String(required=True)
    trend = fields.String(required=True)
    hidden_voices = fields.String(required=True)
    commitments = fields.String(required=True)
    verify = fields.String(required=True)


class UsedSubmissionSchema(Schema):
    log_index = fields.Integer(required=True)
    hub_id = fields.String(required=True)
    seq = fields.Integer(required=True)
    period = fields.Nested(DatesSchema, required=True)
    payload_sha256 = fields.String(required=True)


class UsedBoardStatementSchema(Schema):
    log_index = fields.Integer(required=True)
    response_id = fields.String(required=True)
    version = fields.Integer(required=True)
    payload_sha256 = fields.String(required=True)


class BoardPackSchema(Schema):
    format = fields.String(required=True, metadata={"description": "hubnet-board-pack/1"})
    checkpoint = fields.Nested(
        CitedCheckpointSchema,
        required=True,
        metadata={"description": "the log checkpoint the pack was built from, as signed"},
    )
    period = fields.Nested(ReportingPeriodSchema, required=True, allow_none=True)
    previous_period = fields.Nested(ReportingPeriodSchema, required=True, allow_none=True)
    region = fields.String(required=True, allow_none=True)
    meeting = fields.String(required=True)
    taxonomy = fields.String(required=True)
    hubs_reporting = fields.List(fields.Nested(HubRefSchema), required=True)
    hubs_missing = fields.List(fields.Nested(HubRefSchema), required=True)
    priorities = fields.List(fields.Nested(PackPrioritySchema), required=True)
    evidence = fields.List(fields.Nested(EvidenceSchema), required=True)
    hidden_voices = fields.Nested(PackVoicesSchema, required=True)
    commitments = fields.List(fields.Nested(CommitmentSchema), required=True)
    method = fields.Nested(MethodSchema, required=True)
    submissions = fields.List(fields.Nested(UsedSubmissionSchema), required=True)
    board_statements = fields.List(fields.Nested(UsedBoardStatementSchema), required=True)
