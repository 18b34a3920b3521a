"""The moderation queue: publish, edit out personal details, reject with a value, reported items.

Moderators (and admins) only. Each decision is in the staff audit log, moves
the item's timeline, and a rejection names the value broken.
"""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.gather import moderation as decide
from hub.gather.events import timeline
from hub.gather.models import Comment, Contribution, ContributionEvent, Status
from hub.gather.services import add_comment
from hub.staff.models import StaffAction, StaffUser
from tests.hub.conftest import person, raise_item
from tests.hub.staff_helpers import ROLES, form, staff_client


def actions(db: Session, action: str) -> list[StaffAction]:
    db.rollback()
    return list(db.scalars(select(StaffAction).where(StaffAction.action == action)))


def fresh(db: Session, model: type, id_: int) -> object:
    db.rollback()
    return db.get(model, id_)


@pytest.fixture
def moderator(app: Flask, db: Session) -> tuple[FlaskClient, StaffUser]:
    return staff_client(app, db, "moderator", "mo@example.org")


@pytest.fixture
def pending(db: Session) -> Contribution:
    item = raise_item(db, person(db), title="Waiting <i>for</i> a GP", publish=False)
    db.commit()
    return item


def published_item(db: Session, title: str = "A published item") -> Contribution:
    item = raise_item(db, person(db), title=title, publish=True)
    db.commit()
    return item


def test_the_queue_shows_waiting_items_escaped_with_a_publish_button(
    moderator: tuple[FlaskClient, StaffUser], pending: Contribution
) -> None:
    client, _ = moderator

    page = client.get("/staff/moderation").get_data(as_text=True)

    assert "Items waiting (1)" in page
    assert "Waiting &lt;i&gt;for&lt;/i&gt; a GP" in page
    assert f'action="/staff/moderation/items/{pending.id}/publish"' in page
    assert "No comments are waiting." in page


def test_publishing_from_the_queue_puts_it_on_show(
    db: Session, moderator: tuple[FlaskClient, StaffUser], pending: Contribution
) -> None:
    client, me = moderator

    response = client.post(
        f"/staff/moderation/items/{pending.id}/publish", data=form(client, next="queue")
    )

    assert response.status_code == 302 and response.headers["Location"] == "/staff/moderation"
    item = fresh(db, Contribution, pending.id)
    assert isinstance(item, Contribution) and item.public and item.stage.value == "published"
    [entry] = actions(db, "contribution-published")
    assert (entry.staff_id, entry.target) == (me.id, f"contribution:{pending.id}")
    assert "Items waiting (0)" in client.get("/staff/moderation").get_data(as_text=True)


def test_rejecting_names_the_value_and_tells_the_author_privately(
    db: Session, moderator: tuple[FlaskClient, StaffUser], pending: Contribution
) -> None:
    client, me = moderator

    response = client.post(
        f"/staff/moderation/items/{pending.id}/reject",
        data=form(client, value="no-personal-details", note="Please leave out the doctor's name."),
    )

    assert response.status_code == 302
    item = fresh(db, Contribution, pending.id)
    assert isinstance(item, Contribution)
    assert (item.status, item.rejection_value) == (Status.REJECTED, "no-personal-details")
    [event] = [e for e in timeline(db, item, public_only=False) if e.kind == "rejected"]
    assert event.public is False and event.staff_id == me.id
    [entry] = actions(db, "contribution-rejected")
    assert entry.detail == "no-personal-details"
    assert "doctor" not in entry.detail


def test_rejecting_without_a_value_stores_nothing(
    db: Session, moderator: tuple[FlaskClient, StaffUser], pending: Contribution
) -> None:
    client, _ = moderator

    response = client.post(f"/staff/moderation/items/{pending.id}/reject", data=form(client))

    assert response.status_code == 400
    assert '<a href="#value">Choose the value or rule it breaks</a>' in response.get_data(
        as_text=True
    )
    item = fresh(db, Contribution, pending.id)
    assert isinstance(item, Contribution) and item.status is Status.PENDING
    assert actions(db, "contribution-rejected") == []


def test_editing_out_personal_details_keeps_only_the_new_words(
    db: Session, moderator: tuple[FlaskClient, StaffUser], pending: Contribution
) -> None:
    client, _ = moderator

    response = client.post(
        f"/staff/moderation/items/{pending.id}/edit",
        data=form(client, title="Waiting for a GP", body="I rang [name] at 8am and waited."),
    )

    assert response.status_code == 302
    item = fresh(db, Contribution, pending.id)
    assert isinstance(item, Contribution)
    assert (item.title, item.body) == ("Waiting for a GP", "I rang [name] at 8am and waited.")
    events = db.scalars(select(ContributionEvent).where(ContributionEvent.kind == "edited"))
    assert [(e.public, e.note) for e in events] == [(False, None)]
    assert len(actions(db, "contribution-edited")) == 1


def test_an_edit_the_raise_form_would_refuse_is_refused(
    db: Session, moderator: tuple[FlaskClient, StaffUser], pending: Contribution
) -> None:
    client, _ = moderator

    response = client.post(
        f"/staff/moderation/items/{pending.id}/edit", data=form(client, title="", body="short")
    )

    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert '<a href="#title">' in page and '<a href="#body">' in page
    item = fresh(db, Contribution, pending.id)
    assert isinstance(item, Contribution) and item.title == "Waiting <i>for</i> a GP"


def test_reported_items_are_listed_hidden_first_and_can_be_restored(
    db: Session, moderator: tuple[FlaskClient, StaffUser]
) -> None:
    client, me = moderator
    item = published_item(db, "Reported thing")
    for _ in range(3):
        decide.report(db, participant=person(db), target=item, reason="Names a nurse", hide_at=3)
    db.commit()
    assert item.hidden_at is not None

    queue = client.get("/staff/moderation").get_data(as_text=True)
    assert "Reported (1)" in queue and "Hidden" in queue
    page = client.get(f"/staff/moderation/items/{item.id}").get_data(as_text=True)
    assert "Open reports (3)" in page and "Names a nurse" in page

    client.post(f"/staff/moderation/items/{item.id}/restore", data=form(client))

    restored = fresh(db, Contribution, item.id)
    assert isinstance(restored, Contribution) and restored.public
    assert "Nothing has been reported." in client.get("/staff/moderation").get_data(as_text=True)
    assert [a.staff_id for a in actions(db, "restored")] == [me.id]


def test_removing_a_published_item_needs_a_value(
    db: Session, moderator: tuple[FlaskClient, StaffUser]
) -> None:
    client, _ = moderator
    item = published_item(db)

    refused = client.post(f"/staff/moderation/items/{item.id}/remove", data=form(client))
    assert refused.status_code == 400
    done = client.post(
        f"/staff/moderation/items/{item.id}/remove", data=form(client, remove_value="respect")
    )

    assert done.status_code == 302
    removed = fresh(db, Contribution, item.id)
    assert isinstance(removed, Contribution) and removed.status is Status.REMOVED
    assert [a.detail for a in actions(db, "removed")] == ["respect"]


def test_comments_are_published_edited_and_rejected(
    db: Session, moderator: tuple[FlaskClient, StaffUser]
) -> None:
    client, _ = moderator
    item = published_item(db)
    first = add_comment(db, contribution=item, participant=person(db), body="Same <b>here</b>.")
    second = add_comment(db, contribution=item, participant=person(db), body="Call 07700 900123")
    db.commit()

    queue = client.get("/staff/moderation").get_data(as_text=True)
    assert "Comments waiting (2)" in queue and "Same &lt;b&gt;here&lt;/b&gt;." in queue
    client.post(f"/staff/moderation/comments/{first.id}/publish", data=form(client))
    client.post(
        f"/staff/moderation/comments/{second.id}/edit", data=form(client, body="Call the surgery")
    )
    client.post(
        f"/staff/moderation/comments/{second.id}/reject",
        data=form(client, value="no-personal-details"),
    )

    one, two = fresh(db, Comment, first.id), fresh(db, Comment, second.id)
    assert isinstance(one, Comment) and isinstance(two, Comment)
    assert one.status is Status.PUBLISHED
    assert (two.status, two.body, two.rejection_value) == (
        Status.REJECTED,
        "Call the surgery",
        "no-personal-details",
    )
    assert [
        len(actions(db, a)) for a in ("comment-published", "comment-edited", "comment-rejected")
    ] == [1, 1, 1]


def test_criticality_is_staff_only_and_logged(
    app: Flask, db: Session, moderator: tuple[FlaskClient, StaffUser], pending: Contribution
) -> None:
    client, me = moderator

    client.post(
        f"/staff/moderation/items/{pending.id}/criticality", data=form(client, criticality="high")
    )

    page = client.get("/staff/moderation").get_data(as_text=True)
    assert "High criticality" in page
    [entry] = actions(db, "criticality-set")
    assert (entry.staff_id, entry.detail) == (me.id, "high")
    bad = client.post(
        f"/staff/moderation/items/{pending.id}/criticality", data=form(client, criticality="urgent")
    )
    assert bad.status_code == 400
    db.rollback()
    db.get(Contribution, pending.id).status = Status.PUBLISHED  # type: ignore[union-attr]
    db.commit()
    public = app.test_client().get(f"/contributions/{pending.id}").get_data(as_text=True)
    assert "criticality" not in public.lower()


def test_escalating_and_closing_a_safeguarding_concern(
    app: Flask, db: Session, moderator: tuple[FlaskClient, StaffUser], pending: Contribution
) -> None:
    client, me = moderator
    admin, _ = staff_client(app, db, "admin", "ad@example.org")

    empty = client.post(f"/staff/moderation/items/{pending.id}/escalate", data=form(client))
    assert empty.status_code == 400
    assert '<a href="#escalation_note">' in empty.get_data(as_text=True)
    client.post(
        f"/staff/moderation/items/{pending.id}/escalate",
        data=form(client, escalation_note="Says they are <not> safe at home"),
    )

    listing = admin.get("/staff/escalations").get_data(as_text=True)
    assert "Says they are &lt;not&gt; safe at home" in listing
    assert "1 open safeguarding escalation" in client.get("/staff/moderation").get_data(
        as_text=True
    )
    [entry] = actions(db, "safeguarding-escalated")
    assert entry.staff_id == me.id and "safe" not in entry.detail

    admin.post(
        f"/staff/moderation/items/{pending.id}/close-escalation",
        data=form(admin, closing_note="Adult social care told by phone"),
    )

    listing = admin.get("/staff/escalations").get_data(as_text=True)
    assert "There are no open escalations." in listing
    assert "Adult social care told by phone" in listing
    assert len(actions(db, "escalation-closed")) == 1


@pytest.mark.parametrize("role", ["facilitator", "responder"])
def test_other_roles_cannot_moderate(
    app: Flask, db: Session, role: str, pending: Contribution
) -> None:
    client, _ = staff_client(app, db, role)

    for path in (
        "/staff/moderation",
        f"/staff/moderation/items/{pending.id}",
        "/staff/escalations",
    ):
        assert client.get(path).status_code == 403, path
    for action, data in (
        ("publish", {}),
        ("reject", {"value": "respect"}),
        ("edit", {"title": "A new title", "body": "Some new words here."}),
        ("criticality", {"criticality": "high"}),
        ("escalate", {"escalation_note": "x"}),
    ):
        path = f"/staff/moderation/items/{pending.id}/{action}"
        assert client.post(path, data=form(client, **data)).status_code == 403, path
    item = fresh(db, Contribution, pending.id)
    assert isinstance(item, Contribution) and item.status is Status.PENDING
    assert actions(db, "contribution-published") == []


def test_admins_moderate_too(app: Flask, db: Session, pending: Contribution) -> None:
    client, _ = staff_client(app, db, "admin")

    assert client.get("/staff/moderation").status_code == 200
    assert (
        client.post(f"/staff/moderation/items/{pending.id}/publish", data=form(client)).status_code
        == 302
    )


def test_unknown_items_and_comments_are_not_found(
    moderator: tuple[FlaskClient, StaffUser],
) -> None:
    client, _ = moderator

    assert client.get("/staff/moderation/items/9999").status_code == 404
    assert client.get("/staff/moderation/comments/9999").status_code == 404
    assert client.post("/staff/moderation/items/9999/publish", data=form(client)).status_code == 404


@pytest.mark.parametrize("role", ROLES)
def test_the_staff_home_links_to_the_pages_the_role_may_use(
    app: Flask, db: Session, role: str
) -> None:
    client, _ = staff_client(app, db, role)

    page = client.get("/staff/").get_data(as_text=True)
    home = page[page.index("<main") :]

    expected = {
        "/staff/moderation": role in ("admin", "moderator"),
        "/staff/escalations": role in ("admin", "moderator"),
        "/staff/updates": role in ("admin", "moderator", "responder"),
        "/staff/assisted": role in ("admin", "moderator", "facilitator"),
        "/staff/themes": role == "admin",
        "/staff/users": role == "admin",
        "/staff/account": True,
    }
    for path, may in expected.items():
        assert (f'href="{path}"' in home) is may, (role, path)


def test_the_staff_home_says_what_waits_and_whether_email_is_sent(
    app: Flask, db: Session, pending: Contribution
) -> None:
    moderator, _ = staff_client(app, db, "moderator")
    admin, _ = staff_client(app, db, "admin")

    mine = " ".join(moderator.get("/staff/").get_data(as_text=True).split())
    theirs = " ".join(admin.get("/staff/").get_data(as_text=True).split())

    assert "Waiting now: 1 item, 0 comments, 0 reported." in mine
    assert "SMTP_HOST is not set" not in mine  # only admins are told about email
    assert "This hub cannot send email: SMTP_HOST is not set." in theirs
