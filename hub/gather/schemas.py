"""What a person may send when they raise something, and how items look as JSON.

The messages are written for the person filling in the form (GOV.UK style):
they say what to do, not what went wrong inside the code. The JSON API uses
the same messages in its RFC 9457 problem documents.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from marshmallow import Schema, ValidationError, fields, validate

from federation.disclosure.characteristics import CHARACTERISTICS
from hub.gather.models import ABOUT_YOU, Kind, Stage

if TYPE_CHECKING:
    from hub.gather.models import Comment
    from hub.gather.services import ListedContribution

KIND_CHOICE = "Choose an idea, a concern, a question or an experience"
STAGE_CHOICE = "Choose one of: " + ", ".join(stage.value for stage in Stage)
WARD_CHOICE = "Choose a ward from the list, or leave it out"
CHANNEL_CHOICE = "Choose online, paper, phone, event or email"
COMMENT_LENGTH = (2, 2000)
COMMENT_MISSING = "Enter your comment"
FIELD_ORDER = ("kind", "theme", "title", "body")
ABOUT_YOU_FIELDS = tuple(f"about_you.{name}" for name in ABOUT_YOU)
ERROR_ORDER = (
    *FIELD_ORDER,
    "ward",
    "channel",
    "about_you",
    *ABOUT_YOU_FIELDS,
    "quote_consent",
)
API_FIELDS = (*FIELD_ORDER, "ward", "about_you", "quote_consent")
QUOTE_CONSENT_CHOICE = "Say yes or no to sharing a quote (true or false)"
ABOUT_YOU_OBJECT = "Send about_you as an object with any of: " + ", ".join(ABOUT_YOU)

# What each "about you" error tells the person (the form's legend, in lower case).
ABOUT_YOU_CHOICE = {
    "age_band": "Choose your age group, or ‘Prefer not to say’",
    "ethnic_group": "Choose your ethnic group, or ‘Prefer not to say’",
    "disability": "Say whether you are disabled, or ‘Prefer not to say’",
    "unpaid_carer": "Say whether you look after someone, or ‘Prefer not to say’",
    "urban_rural": "Say whether you live in a town or city or in the countryside, "
    "or ‘Prefer not to say’",
}


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


def check_about_you(answers: Any) -> tuple[dict[str, str], dict[str, list[str]]]:
    """The "about you" answers to store, and errors keyed `about_you.<question>`.

    Each answer is a category code (never `not-stated`: that is what the hub
    publishes for no answer) or `prefer-not-to-say`. A missing or null answer
    leaves the person's earlier answer as it was; to withdraw one, send
    `prefer-not-to-say` (both publish as not-stated).
    """
    if answers is None:
        return {}, {}
    if not isinstance(answers, dict):
        return {}, {"about_you": [ABOUT_YOU_OBJECT]}
    chosen: dict[str, str] = {}
    errors: dict[str, list[str]] = {}
    for name, value in answers.items():
        if name not in ABOUT_YOU:
            errors[f"about_you.{name}"] = [ABOUT_YOU_OBJECT]
        elif value is None or value == "":
            continue
        elif not isinstance(value, str) or value not in CHARACTERISTICS[name].stored_values:
            errors[f"about_you.{name}"] = [ABOUT_YOU_CHOICE[name]]
        else:
            chosen[name] = value
    return chosen, errors


def check_quote_consent(value: Any) -> tuple[bool, dict[str, list[str]]]:
    """Consent must be given explicitly: only a real `true` counts (default false)."""
    if value is None:
        return False, {}
    if not isinstance(value, bool):
        return False, {"quote_consent": [QUOTE_CONSENT_CHOICE]}
    return value, {}


def check_comment(body: Any) -> tuple[str, dict[str, list[str]]]:
    """A comment's text, trimmed, and {"body": [message]} if it is empty or too long."""
    if not isinstance(body, str) or not body.strip():
        return "", {"body": [COMMENT_MISSING]}
    text = body.strip()
    low, high = COMMENT_LENGTH
    if not low <= len(text) <= high:
        return text, {
            "body": [f"Use {low} to {high:,} characters for a comment (yours has {len(text):,})"]
        }
    return text, {}


class ListQuerySchema(Schema):
    """Filters and paging for the list of contributions (query string)."""

    q = fields.String(load_default=None, validate=validate.Length(max=200))
    theme = fields.String(load_default=None)
    kind = fields.String(
        load_default=None, validate=validate.OneOf([kind.value for kind in Kind], error=KIND_CHOICE)
    )
    stage = fields.String(
        load_default=None,
        validate=validate.OneOf([stage.value for stage in Stage], error=STAGE_CHOICE),
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
        "status": contribution.status.value,
        "stage": contribution.stage.value,
        "ward": contribution.ward_code,
    }


def comment_json(comment: Comment) -> dict[str, Any]:
    """A comment as the API shows it: never who wrote it."""
    return {
        "id": comment.id,
        "contribution_id": comment.contribution_id,
        "body": comment.body,
        "status": comment.status.value,
        "created_at": comment.created_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
