"""Marshmallow schemas of what the hub's API answers and accepts where its views build JSON.

The views make their answers with `contribution_json`, `comment_json`,
`theme_json` (and `jsonify` for wards, "me too" and the notify answer); these
schemas describe exactly those dicts, and the fuzz test
(tests/hub/test_openapi_fuzz.py) checks every answer against them, so a field
added to a view and not here fails. They are never used to load data: the
views validate with `hub.gather.schemas`, and the request schemas here extend
or mirror those checks only to document them.
"""

from __future__ import annotations

from marshmallow import RAISE, Schema, fields, validate

from federation.disclosure.characteristics import CHARACTERISTICS
from hub.gather.models import ABOUT_YOU, Kind, Stage, Status
from hub.gather.schemas import (
    ABOUT_YOU_CHOICE,
    COMMENT_LENGTH,
    ContributionInputSchema,
    TrimmedString,
)

KINDS = [kind.value for kind in Kind]
STAGES = [stage.value for stage in Stage]
STATUSES = [status.value for status in Status]


class _Strict(Schema):
    """Every member listed: `additionalProperties: false` in the document."""

    class Meta:
        unknown = RAISE


def _enum(values: list[str], description: str) -> fields.String:
    return fields.String(
        required=True, validate=validate.OneOf(values), metadata={"description": description}
    )


def _timestamp(description: str) -> fields.DateTime:
    return fields.DateTime(required=True, metadata={"description": description})


# -- requests ------------------------------------------------------------------------------


def _answer(name: str) -> fields.String:
    return fields.String(
        allow_none=True,
        validate=validate.OneOf([*CHARACTERISTICS[name].stored_values, ""]),
        metadata={
            "description": (
                f"{ABOUT_YOU_CHOICE[name]}. Left out, null or empty: the person's earlier "
                "answer stays; prefer-not-to-say withdraws it"
            )
        },
    )


# One optional answer per equality question the hub asks (`hub.gather.models.ABOUT_YOU`).
AboutYouSchema = type(
    "AboutYouSchema",
    (_Strict,),
    {
        "__doc__": "Optional equality questions: each a category code or prefer-not-to-say.",
        **{name: _answer(name) for name in ABOUT_YOU},
    },
)


class ContributionRequestSchema(ContributionInputSchema):
    """What `POST /api/v1/contributions` takes: the raise form's fields and the optional ones.

    `kind` is `hub.gather.schemas.ContributionInputSchema`'s, which the view
    validates with; title, body and theme are checked there too, after
    surrounding whitespace is trimmed (described here, as apispec cannot read
    those checks). Any other member is refused (400 naming it).
    """

    class Meta:
        unknown = RAISE

    title = TrimmedString(
        required=True, metadata={"description": "5 to 120 characters, once trimmed"}
    )
    body = TrimmedString(
        required=True, metadata={"description": "10 to 5,000 characters, once trimmed"}
    )
    theme = TrimmedString(
        required=True,
        metadata={"description": "a local theme's slug, as GET /api/v1/themes lists them"},
    )
    ward = fields.String(
        allow_none=True,
        metadata={"description": "a ward code from GET /api/v1/wards; null or empty: none"},
    )
    about_you = fields.Nested(AboutYouSchema, allow_none=True)
    quote_consent = fields.Boolean(
        allow_none=True,
        metadata={
            "description": (
                "true lets the hub publish a short anonymised quote from the item; "
                "anything but true (or leaving it out) is no"
            )
        },
    )


class CommentRequestSchema(_Strict):
    """What `POST …/comments` takes; checked by `hub.gather.schemas.check_comment`."""

    body = TrimmedString(
        required=True,
        metadata={
            "description": f"{COMMENT_LENGTH[0]} to {COMMENT_LENGTH[1]:,} characters, once trimmed"
        },
    )


# -- answers -------------------------------------------------------------------------------


class ThemeRefSchema(_Strict):
    slug = fields.String(required=True)
    name = fields.String(required=True)
    national_code = fields.String(
        required=True, metadata={"description": "the national theme it counts under"}
    )


class ContributionSchema(_Strict):
    """An item as `hub.gather.schemas.contribution_json` gives it: never who raised it."""

    id = fields.Integer(required=True)
    kind = _enum(KINDS, "idea, concern, question or experience")
    title = fields.String(required=True)
    body = fields.String(required=True)
    theme = fields.Nested(ThemeRefSchema, required=True)
    created_at = _timestamp("when it was raised (UTC)")
    supporters = fields.Integer(
        required=True,
        validate=validate.Range(min=0),
        metadata={"description": "how many other people said “me too”"},
    )
    status = _enum(
        STATUSES, "pending: waiting for a moderator (only its author sees it); published: on show"
    )
    stage = _enum(STAGES, "how far it has got, as its public timeline shows")
    ward = fields.String(required=True, allow_none=True, metadata={"description": "a ward code"})


class ContributionListSchema(_Strict):
    items = fields.List(fields.Nested(ContributionSchema), required=True)
    total = fields.Integer(
        required=True,
        validate=validate.Range(min=0),
        metadata={"description": "how many items match the filters, over every page"},
    )
    limit = fields.Integer(required=True)
    offset = fields.Integer(required=True)


class SupportResultSchema(_Strict):
    contribution_id = fields.Integer(required=True)
    supporters = fields.Integer(
        required=True, validate=validate.Range(min=1), metadata={"description": "now, with yours"}
    )


class CommentSchema(_Strict):
    """A comment as `hub.gather.schemas.comment_json` gives it: never who wrote it."""

    id = fields.Integer(required=True)
    contribution_id = fields.Integer(required=True)
    body = fields.String(required=True)
    status = _enum(STATUSES, "pending: waiting for a moderator; published: on show")
    created_at = _timestamp("when it was written (UTC)")


class CommentListSchema(_Strict):
    items = fields.List(fields.Nested(CommentSchema), required=True)


class WardSchema(_Strict):
    code = fields.String(required=True, metadata={"description": "ONS ward code"})
    name = fields.String(required=True)


class WardListSchema(_Strict):
    items = fields.List(fields.Nested(WardSchema), required=True)


class ThemeSchema(_Strict):
    """A local theme as `hub.themes.schemas.theme_json` gives it."""

    slug = fields.String(required=True, metadata={"description": "what `theme` takes"})
    name = fields.String(required=True)
    national_code = fields.String(required=True)
    national_name = fields.String(required=True)


class ThemeListSchema(_Strict):
    items = fields.List(fields.Nested(ThemeSchema), required=True)


class NotifyAnswerSchema(_Strict):
    status = _enum(["pulling"], "the hub pulls the board's statements once this answer is sent")
