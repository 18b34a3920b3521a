"""Public status updates: moderators and responders move a published item along its stages.

Each update is a public event on the item's timeline (with its note), sends
`contribution_changed` (followers are emailed), and is in the audit log.
Closing needs a reason; a response needs its words.
"""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.gather.events import contribution_changed, timeline
from hub.gather.models import Contribution
from hub.staff.models import StaffAction
from tests.hub.conftest import person, raise_item
from tests.hub.staff_helpers import form, staff_client


def actions(db: Session, action: str) -> list[StaffAction]:
    db.rollback()
    return list(db.scalars(select(StaffAction).where(StaffAction.action == action)))


@pytest.fixture
def item(db: Session) -> Contribution:
    found = raise_item(db, person(db), title="Parking at the surgery", publish=True)
    db.commit()
    return found


@pytest.mark.parametrize("role", ["responder", "moderator", "admin"])
def test_a_status_update_goes_on_the_public_timeline(
    app: Flask, db: Session, item: Contribution, role: str
) -> None:
    client, me = staff_client(app, db, role)
    sent: list[dict[str, Any]] = []

    def receiver(sender: object, **kwargs: Any) -> None:
        sent.append(kwargs)

    listing = client.get("/staff/updates").get_data(as_text=True)
    assert f'href="/staff/updates/{item.id}"' in listing
    with contribution_changed.connected_to(receiver):
        response = client.post(
            f"/staff/updates/{item.id}",
            data=form(client, stage="change-planned", note="New bays <b>open</b> in March."),
        )

    assert response.status_code == 302
    db.rollback()
    found = db.get(Contribution, item.id)
    assert found is not None and found.stage.value == "change-planned"
    event = timeline(db, found)[-1]
    assert (event.kind, event.note, event.public, event.staff_id) == (
        "status",
        "New bays <b>open</b> in March.",
        True,
        me.id,
    )
    assert [s["event"].id for s in sent] == [event.id]
    [entry] = actions(db, "stage-changed")
    assert (entry.staff_id, entry.target, entry.detail) == (
        me.id,
        f"contribution:{item.id}",
        "change-planned",
    )
    public = app.test_client().get(f"/contributions/{item.id}").get_data(as_text=True)
    assert "New bays &lt;b&gt;open&lt;/b&gt; in March." in public


@pytest.mark.parametrize(
    ("stage", "note", "anchor", "message"),
    [
        ("closed", "", "note", "Enter the reason it is closed"),
        ("responded", "  ", "note", "Enter the response people will read"),
        ("", "Something", "stage", "Choose what has happened"),
        ("published", "Something", "stage", "Choose what has happened"),
        ("routed", "x" * 2001, "note", "2,000 characters or fewer"),
    ],
)
def test_a_bad_update_is_refused_and_nothing_moves(
    app: Flask, db: Session, item: Contribution, stage: str, note: str, anchor: str, message: str
) -> None:
    client, _ = staff_client(app, db, "responder")

    response = client.post(f"/staff/updates/{item.id}", data=form(client, stage=stage, note=note))

    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert f'<a href="#{anchor}">' in page and message in page
    db.rollback()
    assert db.get(Contribution, item.id).stage.value == "published"  # type: ignore[union-attr]
    assert actions(db, "stage-changed") == []


def test_closing_with_a_reason_and_routing_without_a_note(
    app: Flask, db: Session, item: Contribution
) -> None:
    client, _ = staff_client(app, db, "responder")

    routed = client.post(f"/staff/updates/{item.id}", data=form(client, stage="routed"))
    closed = client.post(
        f"/staff/updates/{item.id}",
        data=form(client, stage="closed", note="The car park belongs to a private firm."),
    )

    assert (routed.status_code, closed.status_code) == (302, 302)
    db.rollback()
    found = db.get(Contribution, item.id)
    assert found is not None
    assert [(e.stage.value if e.stage else None, e.note) for e in timeline(db, found)][-2:] == [
        ("routed", None),
        ("closed", "The car park belongs to a private firm."),
    ]


def test_an_item_not_published_cannot_be_updated(app: Flask, db: Session) -> None:
    waiting = raise_item(db, person(db), publish=False)
    db.commit()
    client, _ = staff_client(app, db, "moderator")

    page = client.get(f"/staff/updates/{waiting.id}").get_data(as_text=True)
    response = client.post(f"/staff/updates/{waiting.id}", data=form(client, stage="routed"))

    assert "Only a published item can have status updates" in page
    assert response.status_code == 400
    assert actions(db, "stage-changed") == []


def test_facilitators_cannot_update_status(app: Flask, db: Session, item: Contribution) -> None:
    client, _ = staff_client(app, db, "facilitator")

    assert client.get("/staff/updates").status_code == 403
    assert client.get(f"/staff/updates/{item.id}").status_code == 403
    response = client.post(f"/staff/updates/{item.id}", data=form(client, stage="routed"))
    assert response.status_code == 403
    db.rollback()
    assert db.get(Contribution, item.id).stage.value == "published"  # type: ignore[union-attr]


def test_the_list_filters_by_stage_and_words(app: Flask, db: Session, item: Contribution) -> None:
    other = raise_item(db, person(db), title="Waiting lists", publish=True)
    db.commit()
    client, _ = staff_client(app, db, "responder")
    client.post(f"/staff/updates/{other.id}", data=form(client, stage="routed"))

    routed = client.get("/staff/updates?stage=routed").get_data(as_text=True)
    parking = client.get("/staff/updates?q=parking").get_data(as_text=True)

    assert "Waiting lists" in routed and "Parking at the surgery" not in routed
    assert "Parking at the surgery" in parking and "Waiting lists" not in parking
