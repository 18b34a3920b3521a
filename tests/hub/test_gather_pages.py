"""The public pages: raise, browse, "me too", with no JavaScript and CSRF on every POST."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hub.gather.models import Contribution, Participant, Support
from tests.hub.conftest import person, raise_item

GOOD = {
    "kind": "concern",
    "theme": "gp-access",
    "title": "Cannot get a GP appointment",
    "body": "I ring at 8am every day and the appointments are gone by 8.15.",
}


def csrf_token(client: FlaskClient, path: str = "/raise") -> str:
    page = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert match, "the form carries a CSRF token"
    return match[1]


def count(db: Session, model: type) -> int:
    db.rollback()  # see what the app committed
    return db.scalar(select(func.count()).select_from(model)) or 0


def test_home_page_says_what_happens_to_what_you_say(client: FlaskClient) -> None:
    page = client.get("/").get_data(as_text=True)

    assert '<html lang="en-GB">' in page
    assert "Manchester" in page
    assert "What happens to what you say" in page
    assert "fewer than 8" in page


def test_every_raise_form_input_has_a_label(client: FlaskClient) -> None:
    page = client.get("/raise").get_data(as_text=True)

    ids = re.findall(r'<(?:input|select|textarea)[^>]*\bid="([^"]+)"', page)
    # four kinds, theme, title, body; about you: 8 + 5 + 2 + 2 + 2 answers, each with
    # "prefer not to say"; the quote consent box
    assert len(ids) == 4 + 3 + (8 + 5 + 2 + 2 + 2 + 5) + 1
    for field_id in ids:
        assert f'<label for="{field_id}"' in page


def test_raising_through_the_form_stores_it_and_shows_it(client: FlaskClient, db: Session) -> None:
    response = client.post("/raise", data={**GOOD, "csrf_token": csrf_token(client)})

    assert response.status_code == 302
    item_page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Cannot get a GP appointment" in item_page
    assert "Your concern is now on the hub" in item_page
    assert count(db, Contribution) == 1


@pytest.mark.parametrize(
    ("field", "value", "message", "anchor"),
    [
        ("kind", "", "Choose an idea, a concern, a question or an experience", "kind-idea"),
        ("kind", "rant", "Choose an idea, a concern, a question or an experience", "kind-idea"),
        ("theme", "", "Choose a theme", "theme"),
        ("theme", "no-such-theme", "Choose a theme from the list", "theme"),
        ("title", "Hi", "Title must be 5 to 120 characters (yours has 2)", "title"),
        ("title", "x" * 121, "Title must be 5 to 120 characters (yours has 121)", "title"),
        ("title", "    ", "Enter a title", "title"),
        ("body", "", "Describe your idea, concern, question or experience", "body"),
        ("body", "Too short", "Use 10 to 5,000 characters", "body"),
        ("body", "y" * 5001, "(yours has 5,001)", "body"),
    ],
)
def test_a_bad_field_shows_the_form_again_with_a_linked_error_and_stores_nothing(
    client: FlaskClient, db: Session, field: str, value: str, message: str, anchor: str
) -> None:
    response = client.post("/raise", data={**GOOD, field: value, "csrf_token": csrf_token(client)})

    page = response.get_data(as_text=True).replace("&#34;", '"')
    assert response.status_code == 400
    assert "<title>Error: Raise something" in page
    summary = page.split('class="error-summary"')[1].split("</div>")[0]
    assert f'<a href="#{anchor}">' in summary
    assert message in summary
    assert f'id="{field}-error"' in page
    assert count(db, Contribution) == 0
    assert count(db, Participant) == 0


def test_what_the_person_typed_is_kept_when_the_form_comes_back(client: FlaskClient) -> None:
    response = client.post("/raise", data={**GOOD, "title": "Hi", "csrf_token": csrf_token(client)})

    page = response.get_data(as_text=True)
    assert "I ring at 8am every day" in page
    assert 'value="concern" checked>' in page
    assert '<option value="gp-access" selected>' in page


def test_a_form_without_the_sessions_csrf_token_is_refused(
    client: FlaskClient, db: Session
) -> None:
    csrf_token(client)  # the session has a token, but the form does not carry it

    missing = client.post("/raise", data=GOOD)
    forged = client.post("/raise", data={**GOOD, "csrf_token": "guessed"})

    for response in (missing, forged):
        assert response.status_code == 400
        assert "Your form could not be sent" in response.get_data(as_text=True)
    assert count(db, Contribution) == 0


def test_another_sessions_token_does_not_work(app: Flask, client: FlaskClient) -> None:
    token = csrf_token(client)

    response = app.test_client().post("/raise", data={**GOOD, "csrf_token": token})

    assert response.status_code == 400


def test_me_too_counts_once_per_person(app: Flask, client: FlaskClient, db: Session) -> None:
    client.post("/raise", data={**GOOD, "csrf_token": csrf_token(client)})
    item = "/contributions/1"
    neighbour = app.test_client()
    token = csrf_token(neighbour, item)

    first = neighbour.post(f"{item}/support", data={"csrf_token": token})
    second = neighbour.post(f"{item}/support", data={"csrf_token": token})  # pressed twice

    assert first.status_code == second.status_code == 302
    page = neighbour.get(item).get_data(as_text=True)
    assert "You have already said “me too” to this" in page
    assert "<strong>1</strong>\n    person has said “me too”" in page
    assert count(db, Support) == 1


def test_the_person_who_raised_it_cannot_also_say_me_too(client: FlaskClient, db: Session) -> None:
    client.post("/raise", data={**GOOD, "csrf_token": csrf_token(client)})

    page = client.get("/contributions/1").get_data(as_text=True)
    assert "You raised this, so it already counts as yours" in page
    assert 'action="/contributions/1/support"' not in page

    client.post("/contributions/1/support", data={"csrf_token": csrf_token(client)})
    assert count(db, Support) == 0


def test_support_form_without_csrf_token_is_refused(
    app: Flask, client: FlaskClient, db: Session
) -> None:
    client.post("/raise", data={**GOOD, "csrf_token": csrf_token(client)})

    response = app.test_client().post("/contributions/1/support")

    assert response.status_code == 400
    assert count(db, Support) == 0


def test_unknown_item_is_a_friendly_404(client: FlaskClient) -> None:
    response = client.get("/contributions/999")

    assert response.status_code == 404
    assert "Page not found" in response.get_data(as_text=True)


def test_list_filters_by_theme_and_kind(client: FlaskClient, db: Session) -> None:
    raise_item(db, person(db), theme="gp-access", kind="concern", title="GP concern here")
    raise_item(db, person(db), theme="gp-access", kind="idea", title="GP idea here")
    raise_item(db, person(db), theme="dentistry", kind="concern", title="Dentist concern")
    db.commit()

    def titles(query: str) -> set[str]:
        page = client.get(f"/contributions{query}").get_data(as_text=True)
        return set(re.findall(r'<h3><a href="/contributions/\d+">([^<]+)</a>', page))

    assert titles("") == {"GP concern here", "GP idea here", "Dentist concern"}
    assert titles("?theme=gp-access") == {"GP concern here", "GP idea here"}
    assert titles("?kind=concern") == {"GP concern here", "Dentist concern"}
    assert titles("?theme=gp-access&kind=idea") == {"GP idea here"}
    assert titles("?theme=no-such&kind=nonsense") == titles("")  # unknown filters are ignored


def test_list_pages_through_many_items(client: FlaskClient, db: Session) -> None:
    someone = person(db)
    for number in range(25):
        raise_item(db, someone, title=f"Item number {number:02d}")
    db.commit()

    first = client.get("/contributions").get_data(as_text=True)
    second = client.get("/contributions?page=2").get_data(as_text=True)

    assert "25 items, page 1 of 2" in first
    assert first.count('class="card"') == 20
    assert second.count('class="card"') == 5
    assert 'rel="next"' in first
    assert 'rel="prev"' in second


def test_the_form_asks_about_you_in_fieldsets_and_explains_quote_sharing(
    client: FlaskClient,
) -> None:
    page = client.get("/raise").get_data(as_text=True)

    assert page.count("<fieldset") == 1 + 5 + 1  # kind, five about-you questions, consent
    assert "About you (optional)" in page
    assert page.count(">Prefer not to say</label>") == 5
    assert 'value="not-stated"' not in page  # what the hub publishes, not an answer
    for words in ("two members of the hub's staff", "national team", "never have your name"):
        assert words in page
    assert '<input type="checkbox" id="quote_consent" name="quote_consent" value="yes">' in page


def test_answers_and_consent_from_the_form_are_stored(client: FlaskClient, db: Session) -> None:
    answers = {"age_band": "65-74", "ethnic_group": "white", "disability": "disabled"}
    data = {**GOOD, **answers, "quote_consent": "yes", "csrf_token": csrf_token(client)}

    response = client.post("/raise", data=data)

    assert response.status_code == 302
    db.rollback()
    (someone,) = db.scalars(select(Participant)).all()
    assert (someone.age_band, someone.ethnic_group, someone.disability) == (
        "65-74",
        "white",
        "disabled",
    )
    assert someone.unpaid_carer is None and someone.urban_rural is None  # not answered
    (item,) = db.scalars(select(Contribution)).all()
    assert item.quote_consent is True


def test_a_made_up_answer_shows_the_form_again_with_the_question_named(
    client: FlaskClient, db: Session
) -> None:
    data = {**GOOD, "urban_rural": "moon", "csrf_token": csrf_token(client)}

    response = client.post("/raise", data=data)

    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'href="#urban_rural-urban"' in page  # the error summary links to the question
    assert "Say whether you live in a town or city or in the countryside" in page
    assert 'aria-describedby="about_you.urban_rural-hint about_you.urban_rural-error"' in page
    assert count(db, Contribution) == 0
