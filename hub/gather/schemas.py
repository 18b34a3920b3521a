"""What a person may send when they raise something, and how items look as JSON.

The messages are written for the person filling in the form (GOV.UK style):
they say what to do, not what went wrong inside the code. The JSON API uses
the same messages in its RFC 9457 problem documents.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from marshmallow import Schema, ValidationError, fields, validate

from hub.gather.models import Kind

if TYPE_CHECKING:
    from hub.gather.services import ListedContribution

KIND_CHOICE = "Choose an idea, a concern, a question or an experience"
FIELD_ORDER = ("kind", "theme", "title", "body")


class TrimmedString(fields.String):
    """A string with surrounding whitespace removed before it is checked."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        return super()._deserialize(value, attr, data, **kwargs).strip()


def _messages(missing: str) -> dict[str, Any]:
    return {"required": missing, "null": missing, "invalid": missing}


def _text(low: int, high: int, *, missing: str, wrong_length: str) -> TrimmedString:
    """A required text field; a length error tells the person how long their text is."""

    def check(value: str) -> None:
        if not value:
            raise ValidationError(missing)
        if not low <= len(value) <= high:
            raise ValidationError(wrong_length.format(length=f"{len(value):,}"))

    return TrimmedString(required=True, validate=check, error_messages=_messages(missing))


class ContributionInputSchema(Schema):
    kind = fields.String(
        required=True,
        validate=validate.OneOf([kind.value for kind in Kind], error=KIND_CHOICE),
        error_messages=_messages(KIND_CHOICE),
    )
    title = _text(
        5,
        120,
        missing="Enter a title",
        wrong_length="Title must be 5 to 120 characters (yours has {length})",
    )
    body = _text(
        10,
        5000,
        missing="Describe your idea, concern, question or experience",
        wrong_length="Use 10 to 5,000 characters to describe it (yours has {length})",
    )
    theme = _text(1, 60, missing="Choose a theme", wrong_length="Choose a theme from the list")


class ListQuerySchema(Schema):
    """Filters and paging for the list of contributions (query string)."""

    theme = fields.String(load_default=None)
    kind = fields.String(
        load_default=None, validate=validate.OneOf([kind.value for kind in Kind], error=KIND_CHOICE)
    )
    limit = fields.Integer(load_default=20, validate=validate.Range(1, 100))
    offset = fields.Integer(load_default=0, validate=validate.Range(0))


def contribution_json(item: ListedContribution) -> dict[str, Any]:
    """An item as the API shows it: never who raised it."""
    contribution = item.contribution
    return {
        "id": contribution.id,
        "kind": contribution.kind.value,
        "title": contribution.title,
        "body": contribution.body,
        "theme": {
            "slug": contribution.theme.slug,
            "name": contribution.theme.name,
            "national_code": contribution.theme.national_code,
        },
        "created_at": contribution.created_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "supporters": item.supporters,
    }
