"""Statement and body schemas (marshmallow), and the receiver's context checks.

`StatementSchema` is the shape every signed statement has (DESIGN.md §3).
`SummaryBodySchema` is `summary/1` (DESIGN.md §6): per national theme, counts
of distinct people (raising, supporting, and raising each kind) and capped
contributions, hub participation totals, one-way demographic breakdowns
(from `federation.disclosure.characteristics`, never cross-tabulated),
consented quotes, the method of each table and the disclosure block (rule,
mechanism, ε and budget). Routing statistics and assembly outcomes are later
additions to this schema.
`KeyRotationBodySchema` is `key-rotation/1` (docs/protocol.md, "Key
rotation"); `sign_rotation` and `verify_rotation` make and check the
two-signature envelope that carries it.

`check_statement` runs, in DESIGN.md §3's order, the checks that need the
receiver's context: audience, clock, body schema, disclosure invariants (for
summaries only). Leaves out: sequence and chain (they need the receiver's
store), and which keys are currently valid (see `keyhistory`).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from federation.canonical import canonical_json
from federation.disclosure.characteristics import CHARACTERISTICS, Characteristic
from federation.disclosure.invariants import check_cells
from federation.disclosure.routing import ORGANISATION_TYPES
from federation.envelope import (
    MAX_ENVELOPE_BYTES,
    PAYLOAD_TYPE,
    Statement,
    _open_envelope,
    _sign_envelope,
    pae,
)
from federation.errors import (
    BadSignature,
    CreatedInFuture,
    InvalidRotation,
    SchemaViolation,
    WrongAudience,
    first_error,
)
from federation.keys import KEY_ID, key_id, public_jwk, public_key_from_jwk
from federation.taxonomy import CURRENT_VERSION, load_taxonomy

GSS_CODE = re.compile(r"^[ENSW]\d{8}\Z")
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
RFC3339_UTC = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z\Z")
RFC3339_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
KINDS = ("idea", "concern", "question", "experience")
SCHEMAS = {"summary/1": "summary", "key-rotation/1": "key-rotation"}
MAX_FUTURE = timedelta(minutes=5)
MAX_ROTATION_OVERLAP = timedelta(days=30)


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


def parse_utc(text: str) -> datetime:
    """Read an RFC 3339 UTC time written `YYYY-MM-DDTHH:MM:SSZ` (ValueError otherwise)."""
    if not RFC3339_UTC.fullmatch(text):
        raise ValueError(f"{text!r} is not RFC 3339 UTC, e.g. 2026-11-01T09:00:00Z")
    return datetime.strptime(text, RFC3339_FORMAT).replace(tzinfo=UTC)


def format_utc(moment: datetime) -> str:
    """Write a timezone-aware time as RFC 3339 UTC whole seconds (`2026-11-01T09:00:00Z`)."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("the time must be timezone-aware (UTC)")
    return moment.astimezone(UTC).strftime(RFC3339_FORMAT)


def _real_utc(value: Any) -> None:
    try:
        parse_utc(value)
    except (ValueError, TypeError) as exc:
        raise ValidationError("must be a real RFC 3339 UTC time: 2026-11-01T09:00:00Z") from exc


def utc_field(**kwargs: Any) -> fields.String:
    """A required string holding a real RFC 3339 UTC time in whole seconds."""
    return fields.String(required=True, validate=_real_utc, **kwargs)


def keyid_field(**kwargs: Any) -> fields.String:
    """A required RFC 7638 key id (43 characters of base64url)."""
    return fields.String(
        required=True,
        validate=validate.Regexp(KEY_ID, error="must be an RFC 7638 key id (43 base64url)"),
        **kwargs,
    )


class JwkSchema(Schema):
    """An Ed25519 public key as a JWK: exactly `crv`, `kty` and `x` (RFC 8037)."""

    crv = fields.String(required=True, validate=validate.Equal("Ed25519"))
    kty = fields.String(required=True, validate=validate.Equal("OKP"))
    x = fields.String(required=True)

    @validates_schema
    def _a_key(self, data: dict[str, Any], **_: Any) -> None:
        try:
            public_key_from_jwk(data)
        except ValueError as exc:
            raise ValidationError(str(exc), "x") from exc


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
        validate=validate.Regexp(r"^[0-9a-f]{64}\Z", error="must be lower-case hex SHA-256"),
    )
    submission_id = fields.String(
        required=True,
        validate=validate.Regexp(
            r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}\Z",
            error="must be a lower-case UUIDv4",
        ),
    )
    aud = fields.String(required=True, validate=validate.Length(1, 200))
    created = fields.String(
        required=True,
        validate=validate.Regexp(
            RFC3339_UTC, error="must be RFC 3339 UTC, e.g. 2026-11-01T09:00:00Z"
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
        if data["kind"] == "key-rotation" and data["period"]["start"] != data["period"]["end"]:
            raise ValidationError(
                "a key rotation's period is the day of rotation (start = end)", "period"
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
    contributions = _cell()  # items raised, each person's count capped (rule.contribution_cap)
    by_kind = fields.Nested(ByKindSchema, required=True)  # distinct people raising each kind


class ParticipationSchema(Schema):
    participants = _cell()
    contributors = _cell()
    supporters = _cell()


DECIMAL = re.compile(r"^(0|[1-9]\d{0,5})(\.\d{1,6})?\Z")


def _decimal_field(**kwargs: Any) -> fields.String:
    return fields.String(
        validate=validate.Regexp(DECIMAL, error="must be a decimal number written like 0.5"),
        **kwargs,
    )


class BudgetSchema(Schema):
    """The hub's privacy budget after this release, from its hash-chained ledger."""

    year = fields.Integer(required=True, strict=True, validate=validate.Range(2000, 9999))
    yearly_cap = _decimal_field(required=True)
    spent = _decimal_field(required=True)
    sensitivity = fields.Integer(required=True, strict=True, validate=validate.Range(1, 10**6))
    ledger_head = fields.String(
        required=True,
        validate=validate.Regexp(r"^[0-9a-f]{64}\Z", error="must be lower-case hex SHA-256"),
    )


class DisclosureBlockSchema(Schema):
    rule_set = fields.String(required=True)
    unit = fields.String(required=True, validate=validate.Equal("person"))
    k = _count()
    rounding_base = _count()
    breakdown_threshold = _count()
    contribution_cap = _count()
    quote_threshold = _count()
    mechanism = fields.String(required=True, validate=validate.OneOf(["none", "geometric"]))
    epsilon = _decimal_field(required=True, allow_none=True)
    budget = fields.Nested(BudgetSchema, required=True, allow_none=True)


class MethodsSchema(Schema):
    """How each table was made: SDC rules, optionally after geometric noise."""

    participation = fields.String(
        required=True, validate=validate.OneOf(["sdc-count", "geometric+sdc-count"])
    )
    themes = fields.String(
        required=True, validate=validate.OneOf(["sdc-count", "geometric+sdc-count"])
    )
    breakdowns = fields.String(
        required=True, validate=validate.OneOf(["sdc-breakdown", "geometric+sdc-breakdown"])
    )
    quotes = fields.String(
        required=True, validate=validate.Equal("consented-scrubbed-two-reviewers")
    )
    # Present with the `routing` block: its counts of items are never noised (docs/privacy.md).
    routing = fields.String(validate=validate.Equal("sdc-count"))


def _table_schema(characteristic: Characteristic) -> type[Schema]:
    """`{"cells": {category: CELL, …every category}}` or `{"withheld": true}`."""
    cells_schema = Schema.from_dict(
        {category: _cell() for category in characteristic.codes},
        name=f"{characteristic.code}CellsSchema",
    )

    class TableSchema(Schema):
        cells = fields.Nested(cells_schema)
        withheld = fields.Raw(validate=validate.Equal(True, error="must be true when present"))

        @validates_schema
        def _one_form(self, data: dict[str, Any], **_: Any) -> None:
            if ("cells" in data) == ("withheld" in data):
                raise ValidationError('a table is either {"cells": …} or {"withheld": true}')

    TableSchema.__name__ = f"{characteristic.code}TableSchema"
    return TableSchema


SCOPE_SCHEMA = Schema.from_dict(
    {
        code: fields.Nested(_table_schema(characteristic), required=True)
        for code, characteristic in CHARACTERISTICS.items()
    },
    name="BreakdownScopeSchema",
)
BREAKDOWNS_SCHEMA = Schema.from_dict(
    {
        scope: fields.Nested(SCOPE_SCHEMA, required=True)
        for scope in ("all", *load_taxonomy(CURRENT_VERSION).codes)
    },
    name="BreakdownsSchema",
)


class QuoteSchema(Schema):
    """A consented, scrubbed, twice-approved quote: its theme and text, nothing else."""

    theme = fields.String(
        required=True, validate=validate.OneOf(load_taxonomy(CURRENT_VERSION).codes)
    )
    text = fields.String(required=True, validate=validate.Length(1, 2000))


def _date_field() -> fields.String:
    return fields.String(
        required=True,
        validate=validate.Regexp(r"^\d{4}-\d{2}-\d{2}\Z", error="must be YYYY-MM-DD"),
    )


class RoutingWindowSchema(Schema):
    start = _date_field()
    end = _date_field()


class RoutingRowSchema(Schema):
    """One organisation type's routed items and answers (federation/disclosure/routing.py)."""

    routed = _cell()
    responded = _cell()
    late = _cell()
    changes = _cell()
    response_rate = _decimal_field(required=True, allow_none=True)
    median_working_days = _decimal_field(required=True, allow_none=True)


RoutingTypesSchema = Schema.from_dict(
    {kind: fields.Nested(RoutingRowSchema, required=True) for kind in ORGANISATION_TYPES},
    name="RoutingTypesSchema",
)


class RoutingBlockSchema(Schema):
    window = fields.Nested(RoutingWindowSchema, required=True)
    national = _cell()
    by_organisation_type = fields.Nested(RoutingTypesSchema, required=True)


class GroupRepresentationSchema(Schema):
    ratio = _decimal_field(required=True, allow_none=True)
    lower = _decimal_field(required=True, allow_none=True)
    upper = _decimal_field(required=True, allow_none=True)
    flag = fields.String(
        required=True,
        validate=validate.OneOf(
            [
                "under-represented",
                "over-represented",
                "in line",
                "too few answers",
                "withheld",
                "none in the population",
            ]
        ),
    )


def _by_characteristic(value: fields.Field[Any]) -> fields.Dict:
    """{characteristic code: {category code: value}}; the invariants check the codes."""
    return fields.Dict(
        required=True,
        keys=fields.String(validate=validate.OneOf(list(CHARACTERISTICS))),
        values=fields.Dict(keys=fields.String(validate=validate.Length(1, 40)), values=value),
    )


class RepresentationSchema(Schema):
    """Representation from the published breakdown and public population shares."""

    source = fields.String(required=True, validate=validate.Length(0, 200))
    shares = _by_characteristic(_decimal_field())
    groups = _by_characteristic(fields.Nested(GroupRepresentationSchema))


class SummaryBodySchema(Schema):
    """Body of `summary/1` (DESIGN.md §6, docs/protocol.md).

    Every key is required and no other is allowed, so a cross-tabulation
    (`"age_band×ethnic_group"`, a characteristic nested in another) cannot even
    be written: the schema error names its path.
    """

    taxonomy = fields.String(required=True, validate=validate.Equal(CURRENT_VERSION))
    disclosure = fields.Nested(DisclosureBlockSchema, required=True)
    methods = fields.Nested(MethodsSchema, required=True)
    participation = fields.Nested(ParticipationSchema, required=True)
    themes = fields.List(fields.Nested(ThemeSummarySchema), required=True)
    breakdowns = fields.Nested(BREAKDOWNS_SCHEMA, required=True)
    quotes = fields.List(fields.Nested(QuoteSchema), required=True)
    # Added before any hub went live; optional so that bodies made by earlier builds still
    # validate. A hub of this version always sends both (representation is null until the
    # hub has imported its area's population profile).
    routing = fields.Nested(RoutingBlockSchema)
    representation = fields.Nested(RepresentationSchema, allow_none=True)

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


class KeyRotationBodySchema(Schema):
    """Body of `key-rotation/1`: the hub's next key, and until when the current one counts."""

    old_keyid = keyid_field()
    new_keyid = keyid_field()
    new_key = fields.Nested(JwkSchema, required=True)
    old_key_valid_until = utc_field()


BODY_SCHEMAS: dict[str, type[Schema]] = {
    "summary/1": SummaryBodySchema,
    "key-rotation/1": KeyRotationBodySchema,
}


@functools.cache
def _body_schema(schema: str) -> Schema:
    """One instance per body schema, reused: marshmallow builds a nested schema object for
    every nested field of a new instance (about 240 for a summary), which cost 25 ms of
    each 40 ms validation; validating is stateless, so sharing an instance is safe."""
    return BODY_SCHEMAS[schema]()


def validate_body(schema: str, body: Mapping[str, Any]) -> None:
    """Raise SchemaViolation naming the first field of `body` that breaks `schema`.

    The field is a full path such as `body.themes[3].people.value`.
    """
    errors = _body_schema(schema).validate(dict(body))
    if errors:
        field, message = first_error(errors, "body")
        raise SchemaViolation(f"{field}: {message}", field=field, errors=errors)


def check_statement(statement: Statement, *, audience: str, now: datetime) -> None:
    """Audience, clock, body schema, disclosure invariants: in that order (DESIGN.md §3).

    `now` is the receiver's clock and must be timezone-aware. Disclosure
    invariants apply to summaries only; a key rotation is checked further by
    `verify_rotation`.
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
    if statement.kind == "summary":
        check_cells(statement.body)


def rotation_body(
    *, old_key: Ed25519PublicKey, new_key: Ed25519PublicKey, old_key_valid_until: datetime
) -> dict[str, Any]:
    """The `key-rotation/1` body moving a hub from `old_key` to `new_key`."""
    return {
        "old_keyid": key_id(old_key),
        "new_keyid": key_id(new_key),
        "new_key": public_jwk(new_key),
        "old_key_valid_until": format_utc(old_key_valid_until),
    }


def sign_rotation(
    statement: Mapping[str, Any],
    old_private_key: Ed25519PrivateKey,
    new_private_key: Ed25519PrivateKey,
) -> bytes:
    """Sign a key-rotation statement with the old key, then the new one (same PAE bytes).

    Raises ValueError if the statement is not a key rotation between these two keys.
    """
    body = statement.get("body")
    if statement.get("kind") != "key-rotation" or not isinstance(body, Mapping):
        raise ValueError("sign_rotation signs key-rotation statements only")
    old_keyid = key_id(old_private_key.public_key())
    new_keyid = key_id(new_private_key.public_key())
    if body.get("old_keyid") != old_keyid or body.get("new_keyid") != new_keyid:
        raise ValueError("the body's old_keyid/new_keyid are not the keys signing it")
    if body.get("new_key") != public_jwk(new_private_key.public_key()):
        raise ValueError("the body's new_key is not the new private key's public key")
    if old_keyid == new_keyid:
        raise ValueError("the new key must differ from the old one")
    return _sign_envelope(
        PAYLOAD_TYPE, canonical_json(dict(statement)), [old_private_key, new_private_key]
    )


def verify_rotation(
    raw: bytes, statement: Statement, *, max_bytes: int = MAX_ENVELOPE_BYTES
) -> Ed25519PublicKey:
    """Check a key rotation beyond `verify_envelope`, and return the hub's new public key.

    Call it with the `Statement` that `verify_envelope(raw, …)` returned, the
    old key known to the receiver. Checks: the body schema; that the old key
    (`body.old_keyid`) is one whose signature `verify_envelope` verified; that
    `new_keyid` is the thumbprint of `new_key` and differs from the old one;
    that the overlap (`old_key_valid_until` − `created`) is 0 to 30 days; that
    the envelope carries a signature by `new_keyid` and every such signature
    verifies with `new_key`. Raises SchemaViolation, InvalidRotation (422) or
    BadSignature (401); ValueError if `statement` is not a key rotation or
    did not come from `raw` (caller bugs).
    """
    if statement.kind != "key-rotation":
        raise ValueError(f"not a key-rotation statement (kind {statement.kind!r})")
    payload, signatures = _open_envelope(raw, PAYLOAD_TYPE, max_bytes=max_bytes)
    if payload != statement.payload:
        raise ValueError("the statement was not read from this envelope")
    validate_body(statement.schema, statement.body)
    body = statement.body
    old_keyid, new_keyid = body["old_keyid"], body["new_keyid"]
    if old_keyid not in statement.verified_keyids:
        raise InvalidRotation(
            f"the rotation must be signed by the hub's current key {old_keyid} (old_keyid); "
            f"the verified signatures are by {', '.join(statement.verified_keyids)}",
            field="body.old_keyid",
        )
    new_key = public_key_from_jwk(body["new_key"])
    if key_id(new_key) != new_keyid:
        raise InvalidRotation(
            f"new_keyid {new_keyid} is not the RFC 7638 thumbprint of new_key ({key_id(new_key)})",
            field="body.new_keyid",
        )
    if new_keyid == old_keyid:
        raise InvalidRotation("the new key must differ from the old one", field="body.new_keyid")
    overlap = parse_utc(body["old_key_valid_until"]) - statement.created
    if not timedelta(0) <= overlap <= MAX_ROTATION_OVERLAP:
        raise InvalidRotation(
            f"old_key_valid_until must be 0 to 30 days after created; it is {overlap} after",
            field="body.old_key_valid_until",
        )
    message = pae(PAYLOAD_TYPE, payload)
    by_new_key = [
        (index, signature)
        for index, (keyid, signature) in enumerate(signatures)
        if keyid == new_keyid
    ]
    if not by_new_key:
        raise InvalidRotation(
            f"a key rotation must also be signed by the new key {new_keyid}", field="signatures"
        )
    for index, signature in by_new_key:
        try:
            new_key.verify(signature, message)
        except InvalidSignature as exc:
            raise BadSignature(
                f"signature by the new key {new_keyid} does not verify",
                field=f"signatures[{index}].sig",
            ) from exc
    return new_key
