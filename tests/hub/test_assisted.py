"""Assisted digital: staff enter what someone said on paper, by phone, at an event or by email.

The channel and the person's consent are recorded; "about you" is optional;
a facilitator's entry waits for a moderator (under pre-moderation), a
moderator's is published at once; the person gets a private link.
"""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.gather.models import Contribution, Participant, Status
from hub.staff.models import StaffAction
from tests.hub.staff_helpers import form, staff_client

ENTRY = {
    "channel": "phone",
    "consent": "yes",
    "kind": "experience",
    "theme": "gp-access",
    "title": "Phoned about my mum's care",
    "body": "Mum waited three weeks for a home visit after leaving hospital.",
}


def actions(db: Session, action: str) -> list[StaffAction]:
    db.rollback()
    return list(db.scalars(select(StaffAction).where(StaffAction.action == action)))


def items(db: Session) -> list[Contribution]:
    db.rollback()
    return list(db.scalars(select(Contribution).order_by(Contribution.id)))


def enter(client: FlaskClient, **changes: Any) -> Any:
    return client.post("/staff/assisted", data=form(client, **{**ENTRY, **changes}))


def test_the_form_asks_for_the_channel_and_consent_with_labelled_fields(
    app: Flask, db: Session
) -> None:
    client, _ = staff_client(app, db, "facilitator")

    page = client.get("/staff/assisted").get_data(as_text=True)

    for text in (
        "By phone",
        "On paper",
        "At an event",
        "By email",
        "They agreed to what they said",
    ):
        assert text in page
    assert "Online" not in page  # staff do not enter online items
    for field in ("title", "body", "theme", "about_age_band"):
        assert f'<label class="nhsuk-label" for="{field}"' in page


def test_a_facilitators_entry_records_the_channel_and_waits_for_a_moderator(
    app: Flask, db: Session
) -> None:
    client, me = staff_client(app, db, "facilitator")

    response = enter(client, about_age_band="65-74", quote_consent="yes")

    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "It is waiting for a moderator." in page
    assert "/your-part/" in page
    [item] = items(db)
    assert (item.channel.value, item.status, item.quote_consent) == ("phone", Status.PENDING, True)
    participant = db.get(Participant, item.participant_id)
    assert participant is not None and participant.age_band == "65-74"
    assert participant.ethnic_group is None  # not asked
    [entry] = actions(db, "assisted-entry")
    assert (entry.staff_id, entry.target) == (me.id, f"contribution:{item.id}")
    assert "channel phone" in entry.detail and "consent to publish confirmed" in entry.detail
    assert "quote consent yes" in entry.detail
    assert "mum" not in entry.detail.lower()


def test_a_moderators_entry_is_published_at_once(app: Flask, db: Session) -> None:
    client, _ = staff_client(app, db, "moderator")

    response = enter(client, channel="event")

    assert "It is published." in response.get_data(as_text=True)
    [item] = items(db)
    assert (item.channel.value, item.status, item.public) == ("event", Status.PUBLISHED, True)


def test_without_consent_nothing_is_stored_and_every_mistake_is_named(
    app: Flask, db: Session
) -> None:
    client, _ = staff_client(app, db, "facilitator")

    response = enter(client, consent="", title="", channel="")

    assert response.status_code == 400
    page = response.get_data(as_text=True)
    for anchor in ("channel", "consent", "title"):
        assert f'<a href="#{anchor}">' in page, anchor
    assert (
        page.index('href="#channel"') < page.index('href="#consent"') < page.index('href="#title"')
    )
    assert items(db) == [] and actions(db, "assisted-entry") == []
    assert "Mum waited three weeks" in page  # what was typed is kept


@pytest.mark.parametrize(
    ("changes", "anchor"),
    [
        ({"channel": "online"}, "channel"),
        ({"theme": "no-such-theme"}, "theme"),
        ({"body": "short"}, "body"),
        ({"about_ethnic_group": "martian"}, "about_ethnic_group"),
        ({"kind": "rant"}, "kind"),
    ],
)
def test_bad_entries_store_nothing(
    app: Flask, db: Session, changes: dict[str, str], anchor: str
) -> None:
    client, _ = staff_client(app, db, "facilitator")

    response = enter(client, **changes)

    assert response.status_code == 400
    assert f'<a href="#{anchor}">' in response.get_data(as_text=True)
    assert items(db) == []
    db.rollback()
    assert list(db.scalars(select(Participant))) == []


def test_another_item_from_the_same_person_keeps_them_one_person(app: Flask, db: Session) -> None:
    client, _ = staff_client(app, db, "facilitator")
    first = enter(client)
    assert "Enter another from the same person" in first.get_data(as_text=True)

    form_page = client.get("/staff/assisted?same_person=1").get_data(as_text=True)
    assert 'name="same_person" value="1"' in form_page
    second = enter(client, same_person="1", title="Second thing they said")
    third = enter(client, title="Someone else entirely")

    assert "/your-part/" not in second.get_data(as_text=True)  # their first link still works
    assert "/your-part/" in third.get_data(as_text=True)
    one, two, three = items(db)
    assert one.participant_id == two.participant_id != three.participant_id


@pytest.mark.parametrize("role", ["responder"])
def test_responders_cannot_enter_items(app: Flask, db: Session, role: str) -> None:
    client, _ = staff_client(app, db, role)

    assert client.get("/staff/assisted").status_code == 403
    assert enter(client).status_code == 403
    assert items(db) == []


def test_under_post_moderation_a_facilitators_entry_is_published_too(
    app: Flask, db: Session
) -> None:
    app.config["MODERATION"] = "post"
    client, _ = staff_client(app, db, "facilitator")

    assert "published straight away" in client.get("/staff/assisted").get_data(as_text=True)
    enter(client, channel="paper")

    [item] = items(db)
    assert (item.channel.value, item.status) == ("paper", Status.PUBLISHED)
