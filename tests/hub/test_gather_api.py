"""The JSON API: the same rules as the pages, with RFC 9457 problems naming each bad field."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hub.gather.models import Comment, Contribution, Participant, Support, Ward
from tests.hub.conftest import person, raise_item

GOOD = {
    "kind": "question",
    "title": "Why are there no evening clinics?",
    "body": "I work shifts and cannot get to the surgery before 6pm.",
    "theme": "gp-access",
}


@pytest.fixture
def app(app: Flask) -> Flask:
    """Post-moderation, so items raised here are on show at once (pre is tested below)."""
    app.config["MODERATION"] = "post"
    return app


def count(db: Session, model: type) -> int:
    db.rollback()
    return db.scalar(select(func.count()).select_from(model)) or 0


def fields(problem: dict[str, Any]) -> dict[str, str]:
    return {error["field"]: error["reason"] for error in problem["errors"]}


def test_raising_returns_201_with_the_item_and_its_page(client: FlaskClient, db: Session) -> None:
    response = client.post("/api/v1/contributions", json=GOOD)

    assert response.status_code == 201
    item = response.get_json()
    assert item["kind"] == "question"
    assert item["title"] == GOOD["title"]
    assert item["theme"]["national_code"] == "gp-access"
    assert item["supporters"] == 0
    assert "participant" not in str(item)  # who raised it never appears
    assert response.headers["Location"] == f"/contributions/{item['id']}"
    assert count(db, Contribution) == 1


@pytest.mark.parametrize(
    ("change", "field", "reason"),
    [
        ({"kind": "rant"}, "kind", "Choose an idea, a concern, a question or an experience"),
        ({"kind": None}, "kind", "Choose an idea, a concern, a question or an experience"),
        ({"title": "Why"}, "title", "Title must be 5 to 120 characters (yours has 3)"),
        ({"title": 12345}, "title", "Enter a title"),
        ({"body": "Why?"}, "body", "Use 10 to 5,000 characters to describe it (yours has 4)"),
        (
            {"body": "z" * 5001},
            "body",
            "Use 10 to 5,000 characters to describe it (yours has 5,001)",
        ),
        ({"theme": "buses"}, "theme", "Choose a theme from the list"),
        ({"theme": ""}, "theme", "Choose a theme"),
        (
            {"colour": "red"},
            "colour",
            "Unknown field; send only kind, title, body, theme, and optionally ward, about_you "
            "and quote_consent",
        ),
        (
            {"about_you": {"age_band": "ancient"}},
            "about_you.age_band",
            "Choose your age group, or ‘Prefer not to say’",
        ),
        (
            # not-stated is what the hub publishes for no answer; a person cannot choose it
            {"about_you": {"disability": "not-stated"}},
            "about_you.disability",
            "Say whether you are disabled, or ‘Prefer not to say’",
        ),
        (
            {"about_you": {"ethnic_group": ["white"]}},
            "about_you.ethnic_group",
            "Choose your ethnic group, or ‘Prefer not to say’",
        ),
        (
            {"about_you": {"shoe_size": "9"}},
            "about_you.shoe_size",
            "Send about_you as an object with any of: age_band, ethnic_group, disability, "
            "unpaid_carer, urban_rural",
        ),
        (
            {"about_you": "25-34"},
            "about_you",
            "Send about_you as an object with any of: age_band, ethnic_group, disability, "
            "unpaid_carer, urban_rural",
        ),
        (
            {"quote_consent": "yes"},
            "quote_consent",
            "Say yes or no to sharing a quote (true or false)",
        ),
    ],
)
def test_each_bad_field_is_named_in_a_400_problem_and_nothing_is_stored(
    client: FlaskClient, db: Session, change: dict[str, Any], field: str, reason: str
) -> None:
    response = client.post("/api/v1/contributions", json={**GOOD, **change})

    assert response.status_code == 400
    assert response.mimetype == "application/problem+json"
    problem = response.get_json()
    assert problem["type"] == "urn:hubnet:problem:validation-error"
    assert fields(problem) == {field: reason}
    assert count(db, Contribution) == 0
    assert count(db, Participant) == 0


def test_a_missing_field_is_named(client: FlaskClient) -> None:
    response = client.post("/api/v1/contributions", json={"kind": "idea"})

    assert response.status_code == 400
    assert set(fields(response.get_json())) == {"title", "body", "theme"}


def test_several_bad_fields_are_all_named(client: FlaskClient) -> None:
    response = client.post(
        "/api/v1/contributions", json={"kind": "x", "title": "", "body": "", "theme": "x"}
    )

    assert list(fields(response.get_json())) == ["kind", "theme", "title", "body"]


@pytest.mark.parametrize(
    ("data", "content_type", "status"),
    [
        ("kind=idea", "application/x-www-form-urlencoded", 415),
        ("{not json", "application/json", 400),
        ('["a list"]', "application/json", 400),
    ],
)
def test_a_body_that_is_not_a_json_object_is_refused_as_a_problem(
    client: FlaskClient, db: Session, data: str, content_type: str, status: int
) -> None:
    response = client.post("/api/v1/contributions", data=data, content_type=content_type)

    assert response.status_code == status
    assert response.mimetype == "application/problem+json"
    assert count(db, Contribution) == 0


def test_me_too_is_201_once_then_409_for_the_same_person(
    app: Flask, client: FlaskClient, db: Session
) -> None:
    item = client.post("/api/v1/contributions", json=GOOD).get_json()
    neighbour = app.test_client()

    first = neighbour.post(f"/api/v1/contributions/{item['id']}/support")
    again = neighbour.post(f"/api/v1/contributions/{item['id']}/support")
    third_person = app.test_client().post(f"/api/v1/contributions/{item['id']}/support")

    assert first.status_code == 201
    assert first.get_json() == {"contribution_id": item["id"], "supporters": 1}
    assert again.status_code == 409
    assert again.get_json()["type"] == "urn:hubnet:problem:already-supported"
    assert third_person.get_json()["supporters"] == 2
    assert count(db, Support) == 2


def test_me_too_on_your_own_item_is_409(client: FlaskClient, db: Session) -> None:
    item = client.post("/api/v1/contributions", json=GOOD).get_json()

    response = client.post(f"/api/v1/contributions/{item['id']}/support")

    assert response.status_code == 409
    assert response.get_json()["type"] == "urn:hubnet:problem:own-contribution"
    assert count(db, Support) == 0


def test_me_too_on_an_unknown_item_is_a_404_problem(client: FlaskClient, db: Session) -> None:
    response = client.post("/api/v1/contributions/404/support")

    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"
    assert fields(response.get_json()) == {"id": "no contribution has this id"}
    assert count(db, Participant) == 0  # nothing stored for the failed attempt


def test_list_filters_pages_and_counts_supporters(
    app: Flask, client: FlaskClient, db: Session
) -> None:
    first = raise_item(db, person(db), theme="gp-access", kind="concern")
    raise_item(db, person(db), theme="dentistry", kind="concern")
    raise_item(db, person(db), theme="gp-access", kind="idea")
    db.commit()
    app.test_client().post(f"/api/v1/contributions/{first.id}/support")

    everything = client.get("/api/v1/contributions").get_json()
    gp_concerns = client.get("/api/v1/contributions?theme=gp-access&kind=concern").get_json()
    second_page = client.get("/api/v1/contributions?limit=2&offset=2").get_json()

    assert everything["total"] == 3
    assert [item["id"] for item in gp_concerns["items"]] == [first.id]
    assert gp_concerns["items"][0]["supporters"] == 1
    assert gp_concerns["total"] == 1
    assert (second_page["limit"], second_page["offset"], len(second_page["items"])) == (2, 2, 1)


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("kind=rant", "kind"),
        ("theme=buses", "theme"),
        ("limit=0", "limit"),
        ("offset=-1", "offset"),
    ],
)
def test_bad_list_filters_are_400_problems(client: FlaskClient, query: str, field: str) -> None:
    response = client.get(f"/api/v1/contributions?{query}")

    assert response.status_code == 400
    assert field in fields(response.get_json())


def test_one_item_and_an_unknown_item(client: FlaskClient) -> None:
    item = client.post("/api/v1/contributions", json=GOOD).get_json()

    assert client.get(f"/api/v1/contributions/{item['id']}").get_json() == item
    assert client.get("/api/v1/contributions/999").status_code == 404


def test_api_and_pages_share_one_person_per_cookie(client: FlaskClient, db: Session) -> None:
    item = client.post("/api/v1/contributions", json=GOOD).get_json()

    page = client.get(f"/contributions/{item['id']}").get_data(as_text=True)

    assert "You raised this" in page
    assert count(db, Participant) == 1


ANSWERS = {
    "age_band": "25-34",
    "ethnic_group": "mixed",
    "disability": "prefer-not-to-say",
    "unpaid_carer": "carer",
    "urban_rural": "rural",
}


def test_about_you_answers_are_saved_on_the_person_and_the_latest_win(
    client: FlaskClient, db: Session
) -> None:
    first = client.post("/api/v1/contributions", json={**GOOD, "about_you": ANSWERS})
    again = client.post(
        "/api/v1/contributions",
        json={**GOOD, "about_you": {"age_band": "35-44", "urban_rural": None}},
    )

    assert first.status_code == again.status_code == 201
    assert "about_you" not in str(first.get_json()) and "25-34" not in str(first.get_json())
    db.rollback()
    (someone,) = db.scalars(select(Participant)).all()
    assert someone.age_band == "35-44"  # the newest answer
    assert (someone.ethnic_group, someone.disability) == ("mixed", "prefer-not-to-say")
    assert (someone.unpaid_carer, someone.urban_rural) == ("carer", "rural")  # null keeps it


def test_a_bad_answer_stores_nothing_not_even_the_good_answers(
    client: FlaskClient, db: Session
) -> None:
    response = client.post(
        "/api/v1/contributions",
        json={**GOOD, "about_you": {**ANSWERS, "urban_rural": "suburban"}},
    )

    assert response.status_code == 400
    assert fields(response.get_json()) == {
        "about_you.urban_rural": "Say whether you live in a town or city or in the countryside, "
        "or ‘Prefer not to say’"
    }
    assert count(db, Participant) == 0
    assert count(db, Contribution) == 0


def test_quote_consent_is_false_unless_given(client: FlaskClient, db: Session) -> None:
    plain = client.post("/api/v1/contributions", json=GOOD).get_json()
    consented = client.post("/api/v1/contributions", json={**GOOD, "quote_consent": True})

    assert consented.status_code == 201
    db.rollback()
    assert db.get(Contribution, plain["id"]).quote_consent is False  # type: ignore[union-attr]
    assert db.get(Contribution, consented.get_json()["id"]).quote_consent is True  # type: ignore[union-attr]


def test_under_pre_moderation_an_item_waits_and_only_its_author_sees_it(
    app: Flask, client: FlaskClient, db: Session
) -> None:
    app.config["MODERATION"] = "pre"
    response = client.post("/api/v1/contributions", json=GOOD)
    item = response.get_json()
    neighbour = app.test_client()

    assert response.status_code == 201
    assert (item["status"], item["stage"]) == ("pending", "raised")
    assert client.get(f"/api/v1/contributions/{item['id']}").status_code == 200  # the author
    assert neighbour.get(f"/api/v1/contributions/{item['id']}").status_code == 404
    assert neighbour.get("/api/v1/contributions").get_json()["total"] == 0
    assert neighbour.post(f"/api/v1/contributions/{item['id']}/support").status_code == 404
    assert count(db, Support) == 0


def test_items_show_status_stage_and_ward(client: FlaskClient, db: Session) -> None:
    db.add(Ward(code="E05011234", name="Ancoats and Beswick"))
    db.commit()

    item = client.post("/api/v1/contributions", json={**GOOD, "ward": "E05011234"}).get_json()
    unknown = client.post("/api/v1/contributions", json={**GOOD, "ward": "E05999999"})

    assert (item["status"], item["stage"], item["ward"]) == ("published", "published", "E05011234")
    assert unknown.status_code == 400
    assert fields(unknown.get_json()) == {"ward": "Choose a ward from the list, or leave it out"}
    wards = client.get("/api/v1/wards").get_json()
    assert wards == {"items": [{"code": "E05011234", "name": "Ancoats and Beswick"}]}


def test_list_searches_title_and_text_and_filters_by_stage(client: FlaskClient) -> None:
    client.post("/api/v1/contributions", json=GOOD)
    client.post(
        "/api/v1/contributions",
        json={**GOOD, "title": "Dentists in Salford", "body": "No NHS dentist will take me on."},
    )

    def titles(query: str) -> set[str]:
        items = client.get(f"/api/v1/contributions?{query}").get_json()["items"]
        return {item["title"] for item in items}

    assert titles("q=evening") == {GOOD["title"]}
    assert titles("q=NHS+DENTIST") == {"Dentists in Salford"}  # every word, any case
    assert titles("q=100%25") == set()  # % is a character, not a wildcard
    assert titles("stage=published") == {GOOD["title"], "Dentists in Salford"}
    assert titles("stage=responded") == set()
    bad = client.get("/api/v1/contributions?stage=finished")
    assert bad.status_code == 400 and "stage" in fields(bad.get_json())


def test_comments_are_added_and_listed_without_who_wrote_them(
    app: Flask, client: FlaskClient, db: Session
) -> None:
    item = client.post("/api/v1/contributions", json=GOOD).get_json()
    neighbour = app.test_client()

    added = neighbour.post(
        f"/api/v1/contributions/{item['id']}/comments", json={"body": "Same at my surgery."}
    )
    empty = neighbour.post(f"/api/v1/contributions/{item['id']}/comments", json={"body": "  "})
    unknown = neighbour.post("/api/v1/contributions/999/comments", json={"body": "Hello there"})

    assert added.status_code == 201
    assert added.get_json()["status"] == "published"
    assert empty.status_code == 400 and fields(empty.get_json()) == {"body": "Enter your comment"}
    assert unknown.status_code == 404
    listed = client.get(f"/api/v1/contributions/{item['id']}/comments").get_json()["items"]
    assert [comment["body"] for comment in listed] == ["Same at my surgery."]
    assert "participant" not in str(listed)
    assert count(db, Comment) == 1


def test_under_pre_moderation_a_comment_waits(app: Flask, client: FlaskClient, db: Session) -> None:
    item = client.post("/api/v1/contributions", json=GOOD).get_json()
    app.config["MODERATION"] = "pre"

    added = client.post(f"/api/v1/contributions/{item['id']}/comments", json={"body": "Me too!"})

    assert added.get_json()["status"] == "pending"
    assert client.get(f"/api/v1/contributions/{item['id']}/comments").get_json()["items"] == []
