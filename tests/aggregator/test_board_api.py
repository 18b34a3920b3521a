"""The board API: statements for hubs to pull, responses as JSON, problems for bad requests."""

from __future__ import annotations

import base64
from datetime import UTC, date, datetime

import pytest
from flask import Flask
from flask.testing import FlaskClient

from federation.board import verify_board_statement
from national_aggregator.log import log_signer
from tests.aggregator.board_support import record, update
from tests.aggregator.conftest import RegisterHub, assert_problem, log_entries

LATER = datetime(2027, 2, 1, tzinfo=UTC)


def test_no_statements_gives_an_empty_page_and_last_index_minus_one(client: FlaskClient) -> None:
    assert client.get("/api/v1/board/statements").get_json() == {
        "statements": [],
        "last_index": -1,
    }


def test_statements_after_and_limit_page_through_board_leaves_only(
    app: Flask, client: FlaskClient, register: RegisterHub
) -> None:
    register()  # leaf 0: a key event, never listed here
    first = record(app)  # leaf 1
    second = record(app, theme="dentistry")  # leaf 2
    third = update(app, first.statement.response_id, update_text="Done.", progress="done",
                   now=LATER)  # leaf 3  # fmt: skip

    page = client.get("/api/v1/board/statements?after=1&limit=1").get_json()
    rest = client.get("/api/v1/board/statements?after=2").get_json()

    assert page["last_index"] == rest["last_index"] == third.log_index == 3
    assert [s["log_index"] for s in page["statements"]] == [second.log_index]
    assert [(s["log_index"], s["response_id"], s["version"]) for s in rest["statements"]] == [
        (3, first.statement.response_id, 2)
    ]
    envelope = base64.b64decode(rest["statements"][0]["envelope"])
    assert envelope == log_entries(client, 3, 4)[0]
    with app.app_context():
        assert verify_board_statement(envelope, log_signer().private_key.public_key()).version == 2


@pytest.mark.parametrize(
    ("query", "field"),
    [("after=-2", "after"), ("after=x", "after"), ("limit=0", "limit"), ("limit=1001", "limit"),
     ("limit=1.5", "limit"), ("before=3", "before")],
)  # fmt: skip
def test_a_bad_query_is_a_400_problem_naming_the_parameter(
    client: FlaskClient, query: str, field: str
) -> None:
    response = client.get(f"/api/v1/board/statements?{query}")

    assert_problem(response, 400, "validation-error", field)


def test_responses_give_the_current_state_with_late_for_today(
    app: Flask, client: FlaskClient
) -> None:
    late = record(app, due=date(2020, 1, 1))
    done = record(app, theme="dentistry", due=date(2020, 1, 1), progress="done")
    pending = record(app, theme="maternity", due=date(2999, 1, 1))

    document = client.get("/api/v1/board/responses").get_json()

    assert document["today"] == datetime.now(UTC).date().isoformat()
    by_id = {r["response_id"]: r for r in document["responses"]}
    assert by_id[late.statement.response_id]["late"] is True
    assert by_id[done.statement.response_id]["late"] is False
    assert by_id[pending.statement.response_id]["late"] is False
    assert by_id[late.statement.response_id]["theme_name"]
    assert by_id[late.statement.response_id]["log_index"] == late.log_index


def test_one_response_lists_every_version(app: Flask, client: FlaskClient) -> None:
    first = record(app)
    update(app, first.statement.response_id, update_text="Owner moved.", owner="New owner",
           now=LATER)  # fmt: skip

    document = client.get(f"/api/v1/board/responses/{first.statement.response_id}").get_json()

    assert [v["version"] for v in document["versions"]] == [1, 2]
    assert document["current"]["owner"] == "New owner"
    assert document["versions"][1]["update"] == "Owner moved."


def test_an_unknown_response_is_a_404_problem(client: FlaskClient) -> None:
    response = client.get("/api/v1/board/responses/00000000-0000-4000-8000-000000000000")

    assert_problem(response, 404, "not-found", None)
