"""Raising something through the question pages: one question a page, check your answers,
send, and a confirmation with the private link; without JavaScript, CSRF on every POST."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hub.db import utcnow
from hub.gather.models import Contribution, Participant, RaiseDraft, Status, Ward
from tests.hub.gather_helpers import (
    ANSWERS,
    answer,
    csrf_token,
    fill_draft,
    raise_through_pages,
)

KIND = "Choose an idea, a concern, a question or an experience"


def count(db: Session, model: type) -> int:
    db.rollback()
    return db.scalar(select(func.count()).select_from(model)) or 0


def error_summary(page: str) -> str:
    return page.split('class="nhsuk-error-summary"')[1].split("</ul>")[0]


def test_the_start_page_lists_the_questions_and_starts_the_journey(client: FlaskClient) -> None:
    page = client.get("/raise").get_data(as_text=True)

    assert "<h1>Raise something</h1>" in page
    assert "About you (optional)" in page
    assert "Where is it about" not in page  # this hub has no wards
    assert 'href="/raise/kind"' in page


def test_each_question_page_asks_one_question_as_its_heading(client: FlaskClient) -> None:
    fill_draft(client)
    for step, heading in [
        ("kind", "What would you like to raise?"),
        ("theme", "What is it about?"),
        ("details", "Tell us about it"),
        ("values", "Our values"),
        ("consent", "May we share a quote from it?"),
    ]:
        page = client.get(f"/raise/{step}").get_data(as_text=True)
        assert page.count("<h1") == 1, step
        assert re.search(rf"<h1[^>]*>\s*{re.escape(heading)}", page), step
        assert 'class="nhsuk-back-link"' in page
        ids = re.findall(r'<(?:input|select|textarea)[^>]*\bid="([^"]+)"', page)
        for field_id in ids:
            assert f'for="{field_id}"' in page, (step, field_id)


def test_the_whole_journey_stores_the_item_and_shows_what_happens_next(
    app: Flask, client: FlaskClient, db: Session
) -> None:
    response = raise_through_pages(client)

    assert response.status_code == 302
    assert response.headers["Location"].endswith("/raise/done")
    page = client.get("/raise/done").get_data(as_text=True)
    assert "Thank you: your concern has been sent" in page
    assert "A moderator will read it" in page
    link = re.search(r'href="(http://localhost/your-part/[A-Za-z0-9_-]{43})"', page)
    assert link, "the confirmation shows the private link"
    assert client.get("/raise/done").status_code == 302  # shown once only
    db.rollback()
    (item,) = db.scalars(select(Contribution)).all()
    assert (item.kind.value, item.theme.slug, item.title) == (
        "concern",
        "gp-access",
        "Cannot get a GP appointment",
    )
    assert item.status is Status.PENDING
    assert item.quote_consent is False
    # a new journey starts empty
    assert 'value="concern" checked' not in client.get("/raise/kind").get_data(as_text=True)


def test_under_post_moderation_the_item_is_on_show_at_once(
    app: Flask, client: FlaskClient, db: Session
) -> None:
    app.config["MODERATION"] = "post"

    raise_through_pages(client)

    page = client.get("/raise/done").get_data(as_text=True)
    assert "on the hub now" in page
    item = db.scalars(select(Contribution)).one()
    assert item.status is Status.PUBLISHED
    assert "Cannot get a GP appointment" in app.test_client().get("/contributions").get_data(
        as_text=True
    )


def test_the_author_sees_their_pending_item_and_nobody_else_does(
    app: Flask, client: FlaskClient, db: Session
) -> None:
    raise_through_pages(client)
    item = db.scalars(select(Contribution)).one()

    mine = client.get(f"/contributions/{item.id}").get_data(as_text=True)
    theirs = app.test_client().get(f"/contributions/{item.id}")

    assert "Waiting for moderation" in mine
    assert theirs.status_code == 404


@pytest.mark.parametrize(
    ("step", "data", "message", "anchor"),
    [
        ("kind", {}, KIND, "kind"),
        ("kind", {"kind": "rant"}, KIND, "kind"),
        ("theme", {}, "Choose a theme", "theme"),
        ("theme", {"theme": "no-such-theme"}, "Choose a theme from the list", "theme"),
        ("details", {"title": "Hi", "body": "x" * 20}, "Title must be 5 to 120", "title"),
        ("details", {"title": "   ", "body": "x" * 20}, "Enter a title", "title"),
        ("details", {"title": "A fine title", "body": "Too short"}, "Use 10 to 5,000", "body"),
        ("details", {"title": "A fine title", "body": "y" * 5001}, "(yours has 5,001)", "body"),
        ("values", {}, "Confirm that what you send keeps to the values", "values"),
        ("about-you", {"urban_rural": "moon"}, "Say whether you live in a town", "urban_rural"),
        ("consent", {}, "Choose yes or no", "quote_consent"),
    ],
)  # fmt: skip
def test_a_bad_answer_shows_the_question_again_with_a_linked_error(
    client: FlaskClient, step: str, data: dict[str, str], message: str, anchor: str
) -> None:
    fill_draft(client)  # every earlier question answered

    response = answer(client, step, data)

    page = response.get_data(as_text=True).replace("&#34;", '"')
    assert response.status_code == 400
    assert "<title>Error: " in page
    summary = error_summary(page)
    assert f'<a href="#{anchor}">' in summary
    assert message in summary
    assert f'id="{anchor}-error"' in page
    assert f'id="{anchor}"' in page  # the link has somewhere to go


def test_what_the_person_typed_is_kept_when_the_question_comes_back(client: FlaskClient) -> None:
    fill_draft(client)

    page = answer(client, "details", {"title": "Hi", "body": "My surgery never answers."})

    text = page.get_data(as_text=True)
    assert 'value="Hi"' in text
    assert "My surgery never answers.</textarea>" in text


def test_a_later_question_sends_you_back_to_the_first_unanswered_one(client: FlaskClient) -> None:
    answer(client, "kind", ANSWERS["kind"])

    response = client.get("/raise/consent")
    check = client.get("/raise/check")

    assert response.status_code == 302
    assert response.headers["Location"].endswith("/raise/theme")
    assert check.headers["Location"].endswith("/raise/theme")


def test_check_your_answers_shows_everything_with_change_links(client: FlaskClient) -> None:
    fill_draft(
        client,
        {"about-you": {"age_band": "65-74", "disability": "prefer-not-to-say"},
         "consent": {"quote_consent": "yes"}},
    )  # fmt: skip

    page = client.get("/raise/check").get_data(as_text=True)

    assert "Check your answers before sending" in page
    for shown in ("A concern", "GP access", "Cannot get a GP appointment", "65 to 74",
                  "Prefer not to say", "Yes"):  # fmt: skip
        assert shown in page, shown
    for step in ("kind", "theme", "details", "values", "about-you", "consent"):
        assert f'href="/raise/{step}?change=1"' in page


def test_changing_an_answer_returns_to_check_your_answers(client: FlaskClient) -> None:
    fill_draft(client)
    token = csrf_token(client, "/raise/theme?change=1")

    response = client.post(
        "/raise/theme?change=1", data={"theme": "dentistry", "csrf_token": token}
    )

    assert response.headers["Location"].endswith("/raise/check")
    assert "Dentistry" in client.get("/raise/check").get_data(as_text=True)


def test_about_you_and_consent_from_the_pages_are_stored(client: FlaskClient, db: Session) -> None:
    raise_through_pages(
        client,
        {"about-you": {"age_band": "65-74", "ethnic_group": "white", "disability": "disabled"},
         "consent": {"quote_consent": "yes"}},
    )  # fmt: skip

    db.rollback()
    someone = db.scalars(select(Participant)).one()
    assert (someone.age_band, someone.ethnic_group, someone.disability) == (
        "65-74",
        "white",
        "disabled",
    )
    assert someone.unpaid_carer is None and someone.urban_rural is None  # not answered
    assert db.scalars(select(Contribution)).one().quote_consent is True


def test_the_about_you_page_offers_prefer_not_to_say_for_each_question(
    client: FlaskClient,
) -> None:
    fill_draft(client)

    page = client.get("/raise/about-you").get_data(as_text=True)

    assert page.count("<fieldset") == 5
    assert page.count(">Prefer not to say</label>") == 5
    assert 'value="not-stated"' not in page  # what the hub publishes, not an answer


def test_the_consent_page_explains_quote_sharing(client: FlaskClient) -> None:
    fill_draft(client)

    page = client.get("/raise/consent").get_data(as_text=True)

    for words in ("two members of the hub’s staff", "national team", "never have your name"):
        assert words.lower() in page.lower()


def test_the_ward_question_is_asked_only_when_the_hub_has_wards(
    client: FlaskClient, db: Session
) -> None:
    db.add(Ward(code="E05011234", name="Ancoats and Beswick"))
    db.commit()

    page = client.get("/raise").get_data(as_text=True)
    raise_through_pages(client, {"ward": {"ward": "E05011234"}})

    assert "Where is it about" in page
    db.rollback()
    assert db.scalars(select(Contribution)).one().ward_code == "E05011234"


def test_an_unknown_ward_is_refused(client: FlaskClient, db: Session) -> None:
    db.add(Ward(code="E05011234", name="Ancoats and Beswick"))
    db.commit()
    fill_draft(client)

    response = answer(client, "ward", {"ward": "E05999999"})

    assert response.status_code == 400
    assert "Choose a ward from the list" in response.get_data(as_text=True)


def test_forms_without_the_sessions_csrf_token_are_refused(
    app: Flask, client: FlaskClient, db: Session
) -> None:
    fill_draft(client)
    other_token = csrf_token(app.test_client())

    missing = client.post("/raise/check")
    forged = client.post("/raise/check", data={"csrf_token": "guessed"})
    another_sessions = client.post("/raise/check", data={"csrf_token": other_token})

    for response in (missing, forged, another_sessions):
        assert response.status_code == 400
        assert "Your form could not be sent" in response.get_data(as_text=True)
    assert count(db, Contribution) == 0


def test_nothing_is_stored_until_send(client: FlaskClient, db: Session) -> None:
    fill_draft(client)

    assert count(db, Contribution) == 0
    assert count(db, Participant) == 0


def test_a_long_description_is_kept_on_the_server_not_in_the_cookie(
    client: FlaskClient, db: Session
) -> None:
    body = "Every word of this matters to me. " * 140  # 4,760 characters: more than a cookie

    raise_through_pages(client, {"details": {"title": "A long story", "body": body}})

    db.rollback()
    assert db.scalars(select(Contribution)).one().body == body.strip()
    assert count(db, RaiseDraft) == 0  # sent: the draft is gone


def test_a_draft_left_for_a_day_is_forgotten_and_deleted(client: FlaskClient, db: Session) -> None:
    fill_draft(client)
    db.rollback()
    stale = db.scalars(select(RaiseDraft)).one()
    stale.updated_at = utcnow() - timedelta(days=2)
    db.commit()

    response = client.get("/raise/check")
    answer(client, "kind", ANSWERS["kind"])  # saving any draft deletes the stale ones

    assert response.headers["Location"].endswith("/raise/kind")
    db.rollback()
    (fresh,) = db.scalars(select(RaiseDraft)).all()
    assert fresh.id != stale.id
