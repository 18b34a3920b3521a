"""Statement and body schemas (marshmallow), and the receiver's context checks.

`StatementSchema` is the shape every signed statement has (DESIGN.md §3).
`SummaryBodySchema` is `summary/1` (DESIGN.md §6): per national theme, counts
of distinct people (raising, supporting, and raising each kind), plus hub
participation totals and the disclosure block. Breakdowns, routing statistics,
assembly outcomes and quotes are later additions to this schema.

`check_statement` runs, in DESIGN.md §3's order, the checks that need the
receiver's context: audience, clock, body schema, disclosure invariants.
Leaves out: sequence and chain (they need the receiver's store).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from federation.disclosure import check_cells
from federation.envelope import Statement
from federation.errors import CreatedInFuture, SchemaViolation, WrongAudience, first_error
from federation.taxonomy import CURRENT_VERSION, load_taxonomy

GSS_CODE = re.compile(r"^[ENSW]\d{8}$")
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
KINDS = ("idea", "concern", "question", "experience")
SCHEMAS = {"summary/1": "summary"}
MAX_FUTURE = timedelta(minutes=5)


class StrictDate(fields.Date):
    """A date written exactly `YYYY-MM-DD`.

    marshmallow's Date also takes the other ISO 8601 forms Python reads
    (`20261001`, `2026-W40-4`); a signed statement must use the one form.
    """

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> date:
        if not isinstance(value, str) or not ISO_DATE.fullmatch(value):
            raise ValidationError("must be a date written YYYY-MM-DD")
        result: date = super()._deserialize(value, attr, data, **kwargs)
        return result


def _is_bool(value: Any) -> None:
    # marshmallow's Boolean(truthy={True}) still takes 1 and 1.0 (they equal True).
    if not isinstance(value, bool):
        raise ValidationError("must be true or false")


def _strict_bool() -> fields.Raw:
    return fields.Raw(required=True, validate=_is_bool)


def _count() -> fields.Integer:
    return fields.Integer(required=True, strict=True, validate=validate.Range(0, 2**53 - 1))


class PeriodSchema(Schema):
    start = StrictDate(required=True)
    end = StrictDate(required=True)

    @validates_schema
    def _ordered(self, data: dict[str, Any], **_: Any) -> None:
        if data["end"] < data["start"]:
            raise ValidationError("end is before start", "end")


class StatementSchema(Schema):
    """The signed statement (payload) of protocol hubnet/1."""

    v = fields.Integer(required=True, strict=True, validate=validate.Equal(1))
    kind = fields.String(required=True, validate=validate.OneOf(sorted(set(SCHEMAS.values()))))
    hub_id = fields.String(
        required=True, validate=validate.Regexp(GSS_CODE, error="must be an ONS GSS code")
    )
    seq = fields.Integer(required=True, strict=True, validate=validate.Range(1, 2**53 - 1))
    prev = fields.String(
        required=True,
        allow_none=True,
        validate=validate.Regexp(r"^[0-9a-f]{64}$", error="must be lower-case hex SHA-256"),
    )
    submission_id = fields.String(
        required=True,
        validate=validate.Regexp(
            r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$",
            error="must be a lower-case UUIDv4",
        ),
    )
    aud = fields.String(required=True, validate=validate.Length(1, 200))
    created = fields.String(
        required=True,
        validate=validate.Regexp(
            r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$",
            error="must be RFC 3339 UTC, e.g. 2026-11-01T09:00:00Z",
        ),
    )
    schema = fields.String(required=True, validate=validate.OneOf(sorted(SCHEMAS)))
    period = fields.Nested(PeriodSchema, required=True)
    body = fields.Dict(required=True)

    @validates_schema
    def _consistent(self, data: dict[str, Any], **_: Any) -> None:
        if data["seq"] == 1 and data["prev"] is not None:
            raise ValidationError("must be null when seq is 1", "prev")
        if data["seq"] > 1 and data["prev"] is None:
            raise ValidationError("must be the previous statement's SHA-256 when seq > 1", "prev")
        if SCHEMAS[data["schema"]] != data["kind"]:
            raise ValidationError(
                f"schema {data['schema']} is not a {data['kind']} schema", "schema"
            )
        try:
            datetime.strptime(data["created"], "%Y-%m-%dT%H:%M:%SZ")
        except ValueError as exc:
            raise ValidationError("is not a real date and time", "created") from exc


class CellSchema(Schema):
    """A published count: `{"value": n, "suppressed": false}` or `{"value": null, ...: true}`."""

    value = fields.Integer(required=True, strict=True, allow_none=True, validate=validate.Range(0))
    suppressed = _strict_bool()


def _cell() -> fields.Nested:
    return fields.Nested(CellSchema, required=True)


class ByKindSchema(Schema):
    idea = _cell()
    concern = _cell()
    question = _cell()
    experience = _cell()


class ThemeSummarySchema(Schema):
    code = fields.String(required=True)
    people = _cell()  # distinct people who raised or supported anything in the theme
    contributors = _cell()  # distinct people who raised something in the theme
    supporters = _cell()  # distinct people who said "me too" to something in the theme
    by_kind = fields.Nested(ByKindSchema, required=True)  # distinct people raising each kind


class ParticipationSchema(Schema):
    participants = _cell()
    contributors = _cell()
    supporters = _cell()


class DisclosureBlockSchema(Schema):
    rule_set = fields.String(required=True)
    unit = fields.String(required=True, validate=validate.Equal("person"))
    k = _count()
    rounding_base = _count()
    epsilon = fields.String(required=True, allow_none=True)


class SummaryBodySchema(Schema):
    """Body of `summary/1`."""

    taxonomy = fields.String(required=True, validate=validate.Equal(CURRENT_VERSION))
    disclosure = fields.Nested(DisclosureBlockSchema, required=True)
    participation = fields.Nested(ParticipationSchema, required=True)
    themes = fields.List(fields.Nested(ThemeSummarySchema), required=True)

    @validates_schema
    def _one_row_per_theme(self, data: dict[str, Any], **_: Any) -> None:
        codes = [row["code"] for row in data["themes"]]
        known = load_taxonomy(data["taxonomy"]).codes
        for index, code in enumerate(codes):
            if code not in known:
                raise ValidationError(
                    {index: {"code": [f"{code!r} is not a theme in {data['taxonomy']}"]}}, "themes"
                )
            if code in codes[:index]:
                raise ValidationError({index: {"code": [f"{code!r} already has a row"]}}, "themes")
        if set(codes) != set(known):
            missing = sorted(set(known) - set(codes))
            raise ValidationError(f"every national theme needs a row; missing {missing}", "themes")


BODY_SCHEMAS: dict[str, type[Schema]] = {"summary/1": SummaryBodySchema}


def validate_body(schema: str, body: Mapping[str, Any]) -> None:
    """Raise SchemaViolation naming the first field of `body` that breaks `schema`.

    The field is a full path such as `body.themes[3].people.value`.
    """
    errors = BODY_SCHEMAS[schema]().validate(dict(body))
    if errors:
        field, message = first_error(errors, "body")
        raise SchemaViolation(f"{field}: {message}", field=field, errors=errors)


def check_statement(statement: Statement, *, audience: str, now: datetime) -> None:
    """Audience, clock, body schema, disclosure invariants: in that order (DESIGN.md §3).

    `now` is the receiver's clock and must be timezone-aware.
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    if statement.aud != audience:
        raise WrongAudience(
            f"statement is addressed to {statement.aud!r}; this aggregator is {audience!r}",
            field="aud",
        )
    if statement.created > now + MAX_FUTURE:
        raise CreatedInFuture(
            f"created {statement.created:%Y-%m-%dT%H:%M:%SZ} is more than 5 minutes after "
            f"the receiver's clock ({now.astimezone(UTC):%Y-%m-%dT%H:%M:%SZ})",
            field="created",
        )
    validate_body(statement.schema, statement.body)
    check_cells(statement.body)
