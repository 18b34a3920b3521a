"""schemathesis against the hub's own OpenAPI document: no 5xx, and every answer fits it.

The app has wards, published items with "me too"s and comments, and an item
waiting for a moderator, so generated requests meet real content. Bounded and
deterministic (derandomized, no shrinking, no example database) so it runs in
seconds. Every success and documented refusal is also asked for directly.
"""

from __future__ import annotations

from collections.abc import Iterator
from http.cookies import SimpleCookie
from typing import Any

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.generation.modes import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hub.gather.models import Comment, Contribution, Participant
from hub.gather.services import add_comment, import_wards, support_contribution
from hub.openapi.services import build_spec
from tests.hub.conftest import person, raise_item

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    negative_data_rejection,
]
RAISE = {
    "kind": "question",
    "title": "Why are there no evening clinics?",
    "body": "I work shifts and cannot get to the surgery before 6pm.",
    "theme": "gp-access",
}


@pytest.fixture
def content(db: Session) -> dict[str, int]:
    """Wards, two items on show (one with a "me too" and a comment), one waiting; their ids."""
    import_wards(db, "code,name\nE05011234,Ancoats\nE05011235,Ardwick\n")
    author, neighbour = person(db), person(db)
    shown = raise_item(db, author)
    other = raise_item(db, neighbour, theme="mental-health", kind="idea", title="Open later")
    waiting = raise_item(db, author, title="Still with the moderator", publish=False)
    support_contribution(db, contribution_id=shown.id, participant=neighbour)
    add_comment(db, contribution=shown, participant=neighbour, body="Same here.", publish=True)
    db.commit()
    return {"shown": shown.id, "other": other.id, "waiting": waiting.id}


@pytest.fixture
def api_schema(app: Flask, content: dict[str, int]) -> Iterator[Any]:
    """The document as the app serves it."""
    yield schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)


# schemathesis's own pytest integration (`schema.parametrize()`) does not run under pytest 9.2,
# so each operation's cases come from its Hypothesis strategy (as tests/aggregator/ does).
# Every GET, and raising an item; the other writes are asked for directly below.
OPERATIONS = [
    (method.upper(), path, bool(spec.get("parameters") or spec.get("requestBody")))
    for path, methods in build_spec()["paths"].items()
    for method, spec in methods.items()
    if method == "get" or (method, path) == ("post", "/api/v1/contributions")
]


@pytest.mark.parametrize(
    ("method", "path", "takes_input"), OPERATIONS, ids=[f"{m} {p}" for m, p, _ in OPERATIONS]
)
def test_every_answer_fits_the_openapi_document(
    api_schema: Any, method: str, path: str, takes_input: bool
) -> None:
    operation = api_schema[path][method]
    # An operation with no parameters and no body has no invalid input to send.
    modes = [GenerationMode.POSITIVE, *([GenerationMode.NEGATIVE] if takes_input else [])]
    for mode in modes:

        @settings(
            max_examples=25,
            derandomize=True,
            database=None,
            deadline=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy(generation_mode=mode))
        def call_and_validate(case: Any) -> None:
            case.call_and_validate(checks=CHECKS)

        call_and_validate()


def count(db: Session, model: type) -> int:
    db.rollback()
    return db.scalar(select(func.count()).select_from(model)) or 0


def cookie_of(response: Any) -> dict[str, str]:
    """The session cookie a response set, to send back as the same person."""
    jar: SimpleCookie = SimpleCookie()
    for header in response.headers.get("set-cookie", []):
        jar.load(header)
    return {name: morsel.value for name, morsel in jar.items()}


def test_successful_answers_fit_the_openapi_document(
    api_schema: Any, app: Flask, content: dict[str, int]
) -> None:
    """Random input rarely finds a real item, so each success and refusal is asked for directly."""
    app.config["RATE_LIMIT_BOARD_NOTIFY"] = "1 per hour"

    def call(method: str, path: str, status: int, **parts: Any) -> Any:
        response = api_schema[path][method].Case(**parts).call_and_validate(checks=CHECKS)
        assert response.status_code == status, (method, path, parts, response.text)
        return response

    shown, waiting = content["shown"], content["waiting"]
    one = {"path_parameters": {"contribution_id": shown}}
    raised = call(
        "POST", "/api/v1/contributions", 201, media_type="application/json",
        body={**RAISE, "ward": "E05011234", "quote_consent": True,
              "about_you": {"age_band": "25-34", "disability": None, "urban_rural": ""}},
    )  # fmt: skip
    me = cookie_of(raised)
    assert me, "raising sets the session cookie"
    mine = {"path_parameters": {"contribution_id": raised.json()["id"]}}
    assert raised.json()["status"] == "pending"
    call("GET", "/api/v1/contributions/{contribution_id}", 200, cookies=me, **mine)
    call("GET", "/api/v1/contributions/{contribution_id}", 404, **mine)  # not its author
    call("GET", "/api/v1/contributions/{contribution_id}", 404,
         path_parameters={"contribution_id": waiting})  # fmt: skip
    call("POST", "/api/v1/contributions", 400, media_type="application/json",
         body={**RAISE, "title": "Why", "colour": "red"})  # fmt: skip
    listed = call("GET", "/api/v1/contributions", 200)
    assert {item["id"] for item in listed.json()["items"]} == {shown, content["other"]}
    call("GET", "/api/v1/contributions", 200,
         query={"q": "appointment", "theme": "gp-access", "kind": "concern",
                "stage": "published", "limit": 1, "offset": 1})  # fmt: skip
    call("GET", "/api/v1/contributions", 400, query={"theme": "no-such-theme"})
    call("GET", "/api/v1/contributions/{contribution_id}", 200, **one)
    call("POST", "/api/v1/contributions/{contribution_id}/support", 201, cookies=me, **one)
    call("POST", "/api/v1/contributions/{contribution_id}/support", 409, cookies=me, **one)
    call("POST", "/api/v1/contributions/{contribution_id}/support", 404, **mine)
    comments = call("GET", "/api/v1/contributions/{contribution_id}/comments", 200, **one)
    assert [c["body"] for c in comments.json()["items"]] == ["Same here."]
    call("POST", "/api/v1/contributions/{contribution_id}/comments", 201,
         media_type="application/json", body={"body": "And me."}, **one)  # fmt: skip
    call("POST", "/api/v1/contributions/{contribution_id}/comments", 400,
         media_type="application/json", body={"body": ""}, **one)  # fmt: skip
    call("POST", "/api/v1/contributions/{contribution_id}/comments", 404,
         media_type="application/json", body={"body": "And me."}, **mine)  # fmt: skip
    call("GET", "/api/v1/contributions/{contribution_id}/comments", 404, **mine)
    wards = call("GET", "/api/v1/wards", 200)
    assert [ward["code"] for ward in wards.json()["items"]] == ["E05011234", "E05011235"]
    themes = call("GET", "/api/v1/themes", 200)
    assert "gp-access" in {theme["slug"] for theme in themes.json()["items"]}
    call("GET", "/api/v1/openapi.json", 200)
    call("POST", "/api/v1/board/notify", 202)
    refused = call("POST", "/api/v1/board/notify", 429)
    assert int(refused.headers["retry-after"][0]) >= 1


def test_refusals_before_the_view_fit_the_openapi_document(
    api_schema: Any, app: Flask, content: dict[str, int]
) -> None:
    """Cross-site writes, bodies that are not JSON or too big, and the raise limit."""
    app.config["RATE_LIMIT_RAISE"] = "1 per hour"
    operation = api_schema["/api/v1/contributions"]["POST"]

    def call(status: int, **parts: Any) -> Any:
        response = operation.Case(**parts).call_and_validate(checks=CHECKS)
        assert response.status_code == status, (parts, response.text)
        return response

    json_body = {"media_type": "application/json", "body": RAISE}
    call(403, headers={"Sec-Fetch-Site": "cross-site"}, **json_body)
    call(415, media_type="application/json", body=RAISE, headers={"Content-Type": "text/plain"})
    call(413, media_type="application/json", body={**RAISE, "body": "x" * 70_000})
    call(201, **json_body)
    limited = call(429, **json_body)
    assert limited.json()["retry_after"] >= 1


# -- what fuzzing found on PostgreSQL (500s before): now refused as documented ---------------


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/api/v1/contributions", {**RAISE, "title": "Evening\x00clinics"}, "title"),
        ("/api/v1/contributions", {**RAISE, "ward": "E05\x00"}, "ward"),
        ("/api/v1/contributions", {**RAISE, "about_you": {"age_band": "\x00"}},
         "about_you.age_band"),
        ("/api/v1/contributions/{shown}/comments", {"body": "Me\x00too"}, "body"),
    ],
)  # fmt: skip
def test_text_with_a_nul_character_is_a_400_naming_the_field_and_stores_nothing(
    app: Flask, db: Session, content: dict[str, int], path: str, body: Any, field: str
) -> None:
    """PostgreSQL cannot store U+0000; the API says which field holds it."""
    before = {model: count(db, model) for model in (Contribution, Comment, Participant)}

    response = app.test_client().post(path.format(**content), json=body)

    assert response.status_code == 400
    assert response.content_type == "application/problem+json"
    assert {error["field"] for error in response.get_json()["errors"]} == {field}
    assert {model: count(db, model) for model in before} == before


@pytest.mark.parametrize("parameter", ["q", "theme"])
def test_a_nul_character_in_the_list_query_is_a_400(
    app: Flask, content: dict[str, int], parameter: str
) -> None:
    response = app.test_client().get("/api/v1/contributions", query_string={parameter: "a\x00"})

    assert response.status_code == 400
    assert response.get_json()["errors"][0]["field"] == parameter


@pytest.mark.parametrize(
    ("method", "suffix"), [("get", ""), ("post", "/support"), ("get", "/comments"),
                           ("post", "/comments")],
)  # fmt: skip
def test_an_id_beyond_the_database_range_is_a_404_problem(
    app: Flask, content: dict[str, int], method: str, suffix: str
) -> None:
    client = app.test_client()

    response = getattr(client, method)(f"/api/v1/contributions/{2**31}{suffix}", json={})

    assert response.status_code == 404
    assert response.content_type == "application/problem+json"
    largest = getattr(client, method)(f"/api/v1/contributions/{2**31 - 1}{suffix}", json={})
    assert largest.status_code == 404 and largest.get_json()["title"] == "No such contribution"
