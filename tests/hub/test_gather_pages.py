"""The public pages: home, browse and search, an item with "me too" and its timeline, values,
about; with no JavaScript and CSRF on every POST. (The raise journey: test_gather_raise_journey.)"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hub.gather.events import record_event
from hub.gather.models import Stage, Support
from hub.gather.moderation import hide_after_reports
from hub.gather.services import support_contribution
from hub.gather.values import VALUES
from tests.hub.conftest import person, raise_item
from tests.hub.gather_helpers import csrf_token


def count(db: Session, model: type) -> int:
    db.rollback()  # see what the app committed
    return db.scalar(select(func.count()).select_from(model)) or 0


def titles(client: FlaskClient, query: str = "") -> list[str]:
    page = client.get(f"/contributions{query}").get_data(as_text=True)
    return re.findall(r'<a class="nhsuk-card__link" href="/contributions/\d+">([^<]+)</a>', page)


def test_home_page_says_what_happens_to_what_you_say(client: FlaskClient) -> None:
    page = client.get("/").get_data(as_text=True)

    assert '<html lang="en-GB">' in page
    assert "Manchester" in page
    assert "What happens to what you say" in page
    assert "fewer than 8" in page
    assert 'href="/raise"' in page
    assert page.count("<h1") == 1


def test_home_page_shows_top_issues_by_supporters_and_recent_public_responses(
    client: FlaskClient, db: Session
) -> None:
    quiet = raise_item(db, person(db), title="A quiet concern")
    loud = raise_item(db, person(db), title="A loud concern")
    for _ in range(3):
        support_contribution(db, contribution_id=loud.id, participant=person(db))
    record_event(db, loud, "status", stage=Stage.RESPONDED, note="The practice now opens at 7am.")
    record_event(db, quiet, "status", note="Staff-only note about a caller", public=False)
    db.commit()

    page = client.get("/").get_data(as_text=True)

    top = page.split("Top issues")[1].split("Recent responses")[0]
    assert top.index("A loud concern") < top.index("A quiet concern")
    responses = page.split("Recent responses")[1]
    assert "The practice now opens at 7am." in responses
    assert "Staff-only note" not in page


def test_list_filters_by_theme_kind_and_stage(client: FlaskClient, db: Session) -> None:
    raise_item(db, person(db), theme="gp-access", kind="concern", title="GP concern here")
    idea = raise_item(db, person(db), theme="gp-access", kind="idea", title="GP idea here")
    raise_item(db, person(db), theme="dentistry", kind="concern", title="Dentist concern")
    record_event(db, idea, "status", stage=Stage.CHANGE_PLANNED, note="Evening clinics from May.")
    db.commit()

    assert set(titles(client)) == {"GP concern here", "GP idea here", "Dentist concern"}
    assert set(titles(client, "?theme=gp-access")) == {"GP concern here", "GP idea here"}
    assert set(titles(client, "?kind=concern")) == {"GP concern here", "Dentist concern"}
    assert titles(client, "?theme=gp-access&kind=idea") == ["GP idea here"]
    assert titles(client, "?stage=change-planned") == ["GP idea here"]
    assert set(titles(client, "?theme=no-such&kind=nonsense&stage=x")) == set(titles(client))


def test_search_looks_in_title_and_text_and_says_how_many(client: FlaskClient, db: Session) -> None:
    raise_item(db, person(db), title="Cannot get an appointment")  # text: "I ring at 8am…"
    raise_item(db, person(db), title="Dentist waiting list")
    db.commit()

    assert titles(client, "?q=dentist") == ["Dentist waiting list"]
    assert len(titles(client, "?q=RING+8am")) == 2  # every word, in the text, any case
    page = client.get("/contributions?q=nothing-like-this").get_data(as_text=True)
    assert "0 results for “nothing-like-this”" in page
    assert "Nothing matches" in page


def test_list_pages_through_many_items(client: FlaskClient, db: Session) -> None:
    someone = person(db)
    for number in range(25):
        raise_item(db, someone, title=f"Item number {number:02d}")
    db.commit()

    first = client.get("/contributions").get_data(as_text=True)
    second = client.get("/contributions?page=2&kind=concern").get_data(as_text=True)

    assert "25 results, page 1 of 2" in first
    assert len(titles(client)) == 20
    assert len(titles(client, "?page=2")) == 5
    assert 'href="/contributions?page=2"' in first
    assert 'href="/contributions?page=1&amp;kind=concern"' in second  # filters kept


def test_only_published_items_that_are_not_hidden_are_listed(
    client: FlaskClient, db: Session
) -> None:
    raise_item(db, person(db), title="Published concern")
    raise_item(db, person(db), title="Waiting concern", publish=False)
    hidden = raise_item(db, person(db), title="Reported concern")
    hide_after_reports(db, hidden)
    db.commit()

    assert titles(client) == ["Published concern"]
    assert client.get(f"/contributions/{hidden.id}").status_code == 404


def test_me_too_counts_once_per_person(app: Flask, db: Session) -> None:
    item = raise_item(db, person(db))
    db.commit()
    path = f"/contributions/{item.id}"
    neighbour = app.test_client()
    token = csrf_token(neighbour, path)

    first = neighbour.post(f"{path}/support", data={"csrf_token": token})
    second = neighbour.post(f"{path}/support", data={"csrf_token": token})  # pressed twice

    assert first.status_code == second.status_code == 302
    page = neighbour.get(path).get_data(as_text=True)
    assert "You have already said “me too” to this" in page
    assert re.search(r"<strong>1</strong>\s+person has said “me too”", page)
    assert count(db, Support) == 1


def test_support_form_without_csrf_token_is_refused(app: Flask, db: Session) -> None:
    item = raise_item(db, person(db))
    db.commit()

    response = app.test_client().post(f"/contributions/{item.id}/support")

    assert response.status_code == 400
    assert count(db, Support) == 0


def test_unknown_item_is_a_friendly_404(client: FlaskClient) -> None:
    response = client.get("/contributions/999")

    assert response.status_code == 404
    assert "Page not found" in response.get_data(as_text=True)


def test_the_timeline_shows_public_steps_with_dates_and_notes(
    client: FlaskClient, db: Session
) -> None:
    item = raise_item(db, person(db), at=datetime(2026, 10, 15, 12, tzinfo=UTC))
    record_event(db, item, "status", stage=Stage.ROUTED, note="Sent to the GP federation.")
    record_event(db, item, "edited", public=False)
    record_event(db, item, "status", note="Internal: caller rang twice", public=False)
    db.commit()

    page = client.get(f"/contributions/{item.id}").get_data(as_text=True)
    progress = page.split('id="progress"')[1].split('id="comments"')[0]

    assert progress.index("Raised") < progress.index("Published")
    assert progress.index("Published") < progress.index("Passed to the people who can act on it")
    assert "15 October 2026" in progress
    assert "Sent to the GP federation." in progress
    assert "Internal" not in page and "Edited" not in progress


def test_values_page_lists_the_values_and_the_moderation_rules(client: FlaskClient) -> None:
    page = client.get("/values").get_data(as_text=True)

    for value in VALUES:
        assert value.title in page
    assert "The rules moderators apply" in page
    assert "When 3 people" in page  # REPORTS_TO_HIDE
    assert "reads everything before it is shown" in page  # MODERATION = "pre"


def test_about_page_says_what_happens_to_what_you_say(client: FlaskClient) -> None:
    page = client.get("/about").get_data(as_text=True)

    assert "<h1>What happens to what you say</h1>" in page
    assert "Your words and who you are never leave the hub" in page
