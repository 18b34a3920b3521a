"""The quote review journey through the staff pages, with the Flask test client.

A resident agrees to be quoted; one moderator proposes and approves; the same
moderator cannot approve again; a second moderator approves; the quote is
then among `approved_quotes`, and withdrawing it takes it out.
"""

from __future__ import annotations

import re

from flask import Flask
from sqlalchemy.orm import Session

from hub.gather.models import Contribution
from hub.quotes.services import approved_quotes
from tests.hub.conftest import person, raise_item
from tests.hub.staff_helpers import form, page_token, staff_client

BODY = "Dr Patel rang me back on 07700 900123 the same day. Brilliant."


def consented(db: Session, body: str = BODY, *, consent: bool = True) -> Contribution:
    contribution = raise_item(db, person(db), title="Call back the same day")
    contribution.body = body
    contribution.quote_consent = consent
    db.commit()
    return contribution


def quote_links(page: str) -> list[str]:
    return re.findall(r'href="(/staff/quotes/\d+)"', page)


def test_two_different_moderators_approve_a_quote(app: Flask, db: Session) -> None:
    contribution = consented(db)
    ann, _ = staff_client(app, db, "moderator", "ann@example.org")
    bob, _ = staff_client(app, db, "moderator", "bob@example.org")

    listing = ann.get("/staff/quotes").get_data(as_text=True)
    assert "Call back the same day" in listing
    token = page_token(listing)
    proposed = ann.post(
        "/staff/quotes/propose", data={"csrf_token": token, "contribution_id": contribution.id}
    )
    assert proposed.status_code == 302
    review_path = proposed.headers["Location"]

    review = ann.get(review_path).get_data(as_text=True)
    assert BODY in review  # the original, beside …
    assert "Dr [name] rang me back on [phone number] the same day. Brilliant." in review
    assert "0 of 2" in review
    revision = re.search(r'name="revision" value="(\d+)"', review)
    assert revision

    first = ann.post(
        f"{review_path}/approve", data=form(ann, revision=revision[1]), follow_redirects=True
    )
    assert "It needs one more approval from a different member of staff" in first.get_data(
        as_text=True
    )
    assert approved_quotes(db) == []

    again_page = ann.get(review_path).get_data(as_text=True)
    assert "Approve these words" not in again_page
    assert "a different member of staff must approve it too" in again_page
    again = ann.post(
        f"{review_path}/approve", data=form(ann, revision=revision[1]), follow_redirects=True
    )
    assert "Not done: You have approved this quote" in again.get_data(as_text=True)
    db.rollback()
    assert approved_quotes(db) == []

    second = bob.post(
        f"{review_path}/approve", data=form(bob, revision=revision[1]), follow_redirects=True
    )
    assert "The quote can now be included in summaries" in second.get_data(as_text=True)
    db.rollback()
    [quote] = approved_quotes(db)
    assert quote.text == "Dr [name] rang me back on [phone number] the same day. Brilliant."

    withdrawn = bob.post(
        f"{review_path}/withdraw", data=form(bob, reason="Asked to"), follow_redirects=True
    )
    assert "Withdrawn" in withdrawn.get_data(as_text=True)
    db.rollback()
    assert approved_quotes(db) == []


def test_editing_shows_an_error_summary_for_empty_words(app: Flask, db: Session) -> None:
    consented(db)
    client, _ = staff_client(app, db, "moderator")
    client.post("/staff/quotes/propose", data=form(client, contribution_id=1))

    response = client.post("/staff/quotes/1/edit", data=form(client, text="   "))

    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "There is a problem" in page
    assert '<a href="#text">Enter the words of the quote</a>' in page
    assert 'id="text-error"' in page


def test_an_edit_through_the_page_is_scrubbed_and_needs_two_others(app: Flask, db: Session) -> None:
    consented(db)
    ann, _ = staff_client(app, db, "moderator")
    ann.post("/staff/quotes/propose", data=form(ann, contribution_id=1))

    ann.post("/staff/quotes/1/edit", data=form(ann, text="Call me on 07700 900123. Brilliant."))

    page = ann.get("/staff/quotes/1").get_data(as_text=True)
    assert "Call me on [phone number]. Brilliant." in page
    assert "You wrote these words, so two other members of staff must approve them" in page
    assert "Approve these words" not in page


def test_unconsented_contributions_are_not_offered_and_cannot_be_proposed(
    app: Flask, db: Session
) -> None:
    contribution = consented(db, "Private, do not share this please.", consent=False)
    client, _ = staff_client(app, db, "moderator")

    assert "Private, do not share" not in client.get("/staff/quotes").get_data(as_text=True)
    response = client.post(
        "/staff/quotes/propose", data=form(client, contribution_id=contribution.id),
        follow_redirects=True,
    )  # fmt: skip

    assert "Not proposed: The person who wrote this did not agree to be quoted" in (
        response.get_data(as_text=True)
    )
    assert quote_links(client.get("/staff/quotes").get_data(as_text=True)) == []


def test_quote_forms_need_the_csrf_token(app: Flask, db: Session) -> None:
    consented(db)
    client, _ = staff_client(app, db, "moderator")

    response = client.post("/staff/quotes/propose", data={"contribution_id": 1})

    assert response.status_code == 400
    assert quote_links(client.get("/staff/quotes").get_data(as_text=True)) == []


def test_quote_pages_have_captioned_tables_labelled_inputs_and_escape_text(
    app: Flask, db: Session
) -> None:
    consented(db, "<script>alert('x')</script> The nurses were kind.")
    client, _ = staff_client(app, db, "moderator")
    client.post("/staff/quotes/propose", data=form(client, contribution_id=1))

    for path in ("/staff/quotes", "/staff/quotes/1"):
        page = client.get(path).get_data(as_text=True)
        assert "<script>alert" not in page
        assert "&lt;script&gt;" in page
        assert page.count("<table") == page.count("<caption")
        ids = re.findall(
            r'<(?:input|select|textarea)(?![^>]*type="hidden")[^>]*\bid="([^"]+)"', page
        )
        for field_id in ids:
            assert f'<label for="{field_id}"' in page


def test_an_unknown_quote_is_not_found(app: Flask, db: Session) -> None:
    client, _ = staff_client(app, db, "moderator")

    assert client.get("/staff/quotes/99").status_code == 404
    assert client.post("/staff/quotes/99/approve", data=form(client)).status_code == 404
