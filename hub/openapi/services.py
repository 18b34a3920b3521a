"""Build the hub's OpenAPI 3.0 document with apispec and its MarshmallowPlugin.

Every operation lists each status it can answer with: the success bodies from
`hub.openapi.schemas` (or the feature's own schema), and every error as
`application/problem+json` with the shared `Problem` schema
(`hubnet.openapi`). What is written here is checked against the running code
by tests/hub/test_openapi_fuzz.py (schemathesis), and
tests/hub/test_openapi.py checks every `/api/v1` route is here and nothing else.
"""

from __future__ import annotations

from typing import Any

from hub.gather.schemas import ListQuerySchema
from hub.openapi.schemas import (
    CommentListSchema,
    CommentRequestSchema,
    CommentSchema,
    ContributionListSchema,
    ContributionRequestSchema,
    ContributionSchema,
    NotifyAnswerSchema,
    SupportResultSchema,
    ThemeListSchema,
    WardListSchema,
)
from hubnet.openapi import JSON, RETRY_AFTER, new_spec, ok, path_parameter, problem, query

PARTICIPANT = "participant"  # the security scheme's name: the session cookie

DESCRIPTION = """\
A hubnet hub's public JSON API: local people raise ideas, concerns, questions
and experiences about health and care services, say "me too" to what others
raised, and comment, under the hub's local themes. What is on show is what
moderation allows. Nobody signs in to use it; a person is the random id in the
session cookie (see the `participant` security scheme). The aggregator nudges
the hub at `POST /api/v1/board/notify`. Every error is RFC 9457 problem JSON
(`application/problem+json`). Writes are rate limited per client address, and
a write a browser marks as coming from another website (`Sec-Fetch-Site:
cross-site`, or an `Origin` naming another host) is refused with 403."""

COOKIE_DESCRIPTION = """\
The hub's signed session cookie (`{name}`; HttpOnly, SameSite=Lax, Secure when
the hub is served over HTTPS). For the API it carries only a random
participant id: not an account, and nothing about the person. No request needs
it. A write that stores something (an item, a "me too", a comment) answers
with `Set-Cookie`; sending the cookie back makes later requests the same
person: their own item never takes their "me too" (409 own-contribution), a
second "me too" is refused (409 already-supported), their "about you" answers
are updated, and they can read their own item while it waits for a moderator.
Without it every write comes from a new anonymous person."""

# Optional: no cookie (a new person), or the cookie of an earlier write.
OPTIONAL_COOKIE: list[dict[str, list[str]]] = [{}, {PARTICIPANT: []}]
SET_COOKIE = {
    "Set-Cookie": {
        "description": "the session cookie naming this person (see `participant`)",
        "schema": {"type": "string"},
    }
}
ID = path_parameter(
    "contribution_id",
    "the item's id",
    {"type": "integer", "minimum": 0, "maximum": 2**31 - 1, "example": 1},  # views.MAX_ID
)


def _too_many(doing: str, setting: str) -> dict[str, Any]:
    return problem(
        f"This address has {doing} too often ({setting}); nothing was stored",
        headers=RETRY_AFTER,
    )


CROSS_SITE = problem("A browser marked the request as sent by another website")
NO_ITEM = problem("No item with this id is on show (or, for its author, waiting)")
NOT_JSON = problem("The body is not sent as application/json")
TOO_BIG = problem("The body is over MAX_CONTENT_LENGTH (64 KiB by default)")


def _operations() -> dict[str, dict[str, Any]]:
    """Path → method → OpenAPI operation."""
    return {
        "/api/v1/contributions": {
            "post": {
                "summary": "Raise an idea, concern, question or experience",
                "description": (
                    "Stored as this person's (see `participant`); it waits for a moderator "
                    "(status pending) unless the hub shows items at once (MODERATION = "
                    '"post"). A bad or unknown field is a 400 naming it (`errors[].field`, '
                    "e.g. `title` or `about_you.age_band`); nothing is stored then."
                ),
                "tags": ["contributions"],
                "security": OPTIONAL_COOKIE,
                "requestBody": {
                    "required": True,
                    "content": {JSON: {"schema": ContributionRequestSchema}},
                },
                "responses": {
                    "201": ok(
                        ContributionSchema,
                        "Stored: the item",
                        headers={
                            "Location": {
                                "description": "the item's page",
                                "required": True,
                                "schema": {"type": "string"},
                            },
                            **SET_COOKIE,
                        },
                    ),
                    "400": problem("Malformed JSON, not an object, or a field is not valid"),
                    "403": CROSS_SITE,
                    "413": TOO_BIG,
                    "415": NOT_JSON,
                    "429": _too_many("raised", "RATE_LIMIT_RAISE, default 10 per hour"),
                },
            },
            "get": {
                "summary": "The items on show, newest first, filtered and paged",
                "description": (
                    "`q` matches every word (up to 10) in the title or body. `total` counts "
                    "every match, for paging."
                ),
                "tags": ["contributions"],
                "parameters": query(ListQuerySchema),
                "responses": {
                    "200": ok(ContributionListSchema, "A page of items"),
                    "400": problem(
                        "A parameter is malformed, out of range or unknown, or theme is not a "
                        "local theme's slug"
                    ),
                },
            },
        },
        "/api/v1/contributions/{contribution_id}": {
            "get": {
                "summary": "One item, with its “me too” count, status and stage",
                "tags": ["contributions"],
                "security": OPTIONAL_COOKIE,
                "parameters": [ID],
                "responses": {"200": ok(ContributionSchema, "The item"), "404": NO_ITEM},
            }
        },
        "/api/v1/contributions/{contribution_id}/support": {
            "post": {
                "summary": "Say “me too” to an item",
                "description": "No body. Counted once per person; never on their own item.",
                "tags": ["contributions"],
                "security": OPTIONAL_COOKIE,
                "parameters": [ID],
                "responses": {
                    "201": ok(SupportResultSchema, "Counted", headers=SET_COOKIE),
                    "403": CROSS_SITE,
                    "404": problem("No item with this id is on show"),
                    "409": problem(
                        "already-supported: this person's “me too” is already counted; "
                        "own-contribution: they raised it"
                    ),
                    "429": _too_many("said “me too”", "RATE_LIMIT_SUPPORT, default 60 per hour"),
                },
            }
        },
        "/api/v1/contributions/{contribution_id}/comments": {
            "get": {
                "summary": "The comments on show on an item, oldest first",
                "tags": ["comments"],
                "parameters": [ID],
                "responses": {
                    "200": ok(CommentListSchema, "The comments"),
                    "404": problem("No item with this id is on show"),
                },
            },
            "post": {
                "summary": "Comment on an item",
                "description": (
                    "The comment waits for a moderator (status pending) unless the hub shows "
                    "comments at once. Any member but body is refused."
                ),
                "tags": ["comments"],
                "security": OPTIONAL_COOKIE,
                "parameters": [ID],
                "requestBody": {
                    "required": True,
                    "content": {JSON: {"schema": CommentRequestSchema}},
                },
                "responses": {
                    "201": ok(CommentSchema, "Stored: the comment", headers=SET_COOKIE),
                    "400": problem("Malformed JSON, not an object, or body is empty or too long"),
                    "403": CROSS_SITE,
                    "404": problem("No item with this id is on show"),
                    "413": TOO_BIG,
                    "415": NOT_JSON,
                    "429": _too_many("commented", "RATE_LIMIT_COMMENT, default 20 per hour"),
                },
            },
        },
        "/api/v1/wards": {
            "get": {
                "summary": "The hub's wards, for an item's optional ward",
                "tags": ["reference"],
                "responses": {"200": ok(WardListSchema, "The wards (empty if none imported)")},
            }
        },
        "/api/v1/themes": {
            "get": {
                "summary": "The local themes people may choose, with their national themes",
                "tags": ["reference"],
                "responses": {"200": ok(ThemeListSchema, "The themes not retired")},
            }
        },
        "/api/v1/board/notify": {
            "post": {
                "summary": "The aggregator's nudge: the board said something new",
                "description": (
                    "Any body is ignored and nothing in the request is trusted: the hub "
                    "answers 202, then pulls and verifies the board's statements from its "
                    "aggregator (as `hubnet hub board pull`). Pulls started this way are "
                    "limited for every caller together (RATE_LIMIT_BOARD_NOTIFY)."
                ),
                "tags": ["board"],
                "responses": {
                    "202": ok(NotifyAnswerSchema, "Accepted: the hub pulls next"),
                    "403": CROSS_SITE,
                    "429": problem(
                        "The hub has pulled on notification too often (RATE_LIMIT_BOARD_NOTIFY, "
                        "default 12 per hour, all callers together); it pulls hourly anyway",
                        headers=RETRY_AFTER,
                    ),
                },
            }
        },
        "/api/v1/openapi.json": {
            "get": {
                "summary": "This document",
                "tags": ["about"],
                "responses": {"200": ok({"type": "object"}, "The OpenAPI document")},
            }
        },
    }


def build_spec(cookie_name: str = "hub_session") -> dict[str, Any]:
    """The OpenAPI 3.0.3 document as a dict; `cookie_name` is SESSION_COOKIE_NAME."""
    spec, _plugin = new_spec("hubnet hub", DESCRIPTION)
    spec.components.security_scheme(
        PARTICIPANT,
        {
            "type": "apiKey",
            "in": "cookie",
            "name": cookie_name,
            "description": COOKIE_DESCRIPTION.format(name=cookie_name),
        },
    )
    for path, operations in _operations().items():
        spec.path(path=path, operations=operations)
    document = spec.to_dict()
    # apispec writes a nullable Nested as anyOf [any object, the schema], which lets any object
    # through; say "the schema, or null" (OpenAPI 3.0 has no null type: `nullable` on allOf).
    about_you = document["components"]["schemas"]["ContributionRequest"]["properties"]
    about_you["about_you"] = {"allOf": [{"$ref": "#/components/schemas/AboutYou"}],
                              "nullable": True}  # fmt: skip
    return document
