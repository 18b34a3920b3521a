"""Stocktake pages: staff track actions, the public sees what changed, what is late and why.

Through the Flask test client, as staff and residents use the pages. "Today"
is fixed at Wednesday 10 March 2027 (England) so lateness is hand-checked; a
form with a mistake comes back 400 with the error summary and stores nothing.
"""

from __future__ import annotations

import re
from datetime import date

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hub.routing import services as routing
from hub.routing.models import Organisation, Routing
from hub.staff.models import StaffUser
from hub.stocktake import services, views
from hub.stocktake.models import Action, ActionSource, ActionStatus, ActionUpdate
from tests.hub.conftest import person, raise_item
from tests.hub.staff_helpers import form, login, make_staff, staff_client

TODAY = date(2027, 3, 10)


@pytest.fixture(autouse=True)
def fixed_today(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(views, "england_today", lambda: TODAY)
    monkeypatch.setattr(services, "england_today", lambda: TODAY)


@pytest.fixture
def admin(db: Session) -> StaffUser:
    return make_staff(db, "admin@example.org", "admin")


@pytest.fixture
def council(db: Session, admin: StaffUser) -> Organisation:
    found = routing.add_organisation(db, admin, "Adult Social Care", "council-department")
    db.commit()
    return found


@pytest.fixture
def trust(db: Session, admin: StaffUser) -> Organisation:
    found = routing.add_organisation(db, admin, "City NHS Trust", "nhs-trust", "R0A")
    db.commit()
    return found


def responder_client(
    app: Flask, db: Session, admin: StaffUser, organisation: Organisation, email: str
) -> tuple[FlaskClient, StaffUser]:
    staff = make_staff(db, email, "responder")
    routing.link_staff(db, staff, organisation, admin)
    db.commit()
    client = app.test_client()
    login(client, email)
    return client, staff


def add(db: Session, by: StaffUser, title: str, **kwargs: object) -> Action:
    fields: dict[str, object] = {"owner": "Director of Adult Social Care", "due_on": None}
    fields.update(kwargs)
    made = services.add_action(db, by, title=title, **fields)  # type: ignore[arg-type]
    db.commit()
    return made


def count(db: Session, model: type) -> int:
    db.rollback()
    return int(db.scalar(select(func.count()).select_from(model)) or 0)


def text(client: FlaskClient, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.get_data(as_text=True)


def section(page: str, heading_id: str) -> str:
    """The HTML of one Stocktake section (from its heading to the next section)."""
    match = re.search(rf'<h2 id="{heading_id}">(.*?)</section>', page, re.S)
    assert match, heading_id
    return match[1]


# -- staff pages -------------------------------------------------------------------------------


def test_a_facilitator_adds_an_action_with_a_due_date(app: Flask, db: Session) -> None:
    client, me = staff_client(app, db, "facilitator")
    assert "Add an action" in text(client, "/staff/stocktake")
    assert 'name="due_on-day"' in text(client, "/staff/stocktake/new")

    response = client.post(
        "/staff/stocktake/new",
        data=form(
            client,
            title="Publish respite waiting times",
            owner="Director of Adult Social Care",
            **{"due_on-day": "30", "due_on-month": "4", "due_on-year": "2027"},
            description="Monthly.",
        ),
    )

    assert response.status_code == 302
    db.rollback()
    made = db.scalar(select(Action))
    assert made is not None
    assert (made.source, made.title, made.owner, made.due_on, made.created_by_id) == (
        ActionSource.OTHER,
        "Publish respite waiting times",
        "Director of Adult Social Care",
        date(2027, 4, 30),
        me.id,
    )
    assert response.headers["Location"].endswith(f"/staff/stocktake/{made.id}")
    page = text(client, f"/staff/stocktake/{made.id}")
    assert "Added “Publish respite waiting times” to the Stocktake." in page
    assert "30 April 2027" in page


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"title": ""}, "Enter what will be done"),
        ({"owner": " "}, "Enter who owns it"),
        ({"due_on-day": "31", "due_on-month": "2", "due_on-year": "2027"}, "Enter a real date"),
        ({"due_on-day": "3", "due_on-month": "", "due_on-year": "2027"}, "as numbers"),
        ({"due_on-day": "3", "due_on-month": "4", "due_on-year": "27"}, "4 digits"),
        ({"organisation": "999"}, "Choose an organisation from the list"),
    ],
)
def test_a_mistake_in_a_new_action_is_shown_and_nothing_is_stored(
    app: Flask, db: Session, fields: dict[str, str], message: str
) -> None:
    client, _ = staff_client(app, db, "facilitator")
    data = {"title": "Open a clinic", "owner": "Clinic lead", **fields}

    response = client.post("/staff/stocktake/new", data=form(client, **data))

    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "There is a problem" in page and message in page
    assert 'value="Clinic lead"' in page or fields.get("owner") == " "  # what was typed stays
    assert count(db, Action) == 0


def test_the_staff_list_flags_late_actions(app: Flask, db: Session) -> None:
    client, me = staff_client(app, db, "facilitator")
    add(db, me, "Due yesterday", due_on=date(2027, 3, 9))
    add(db, me, "Due today", due_on=TODAY)
    done = add(db, me, "Done after its date", due_on=date(2027, 1, 4))
    services.add_update(db, me, done, status="done", note="Opened.", written_on=date(2027, 3, 2))
    db.commit()

    page = text(client, "/staff/stocktake")

    rows = re.findall(r"<tr class=\"nhsuk-table__row\">(.*?)</tr>", page, re.S)[1:]
    late = [row for row in rows if ">Late<" in row]
    assert len(late) == 1 and "Due yesterday" in late[0]
    done_row = next(row for row in rows if "Done after its date" in row)
    assert "2 March 2027" in done_row  # its last update


def test_a_stalled_update_needs_its_reason(app: Flask, db: Session) -> None:
    client, me = staff_client(app, db, "facilitator")
    made = add(db, me, "Open a Saturday clinic", due_on=date(2027, 5, 1))
    url = f"/staff/stocktake/{made.id}/update"

    response = client.post(url, data=form(client, status="stalled", note=""))
    assert response.status_code == 400
    assert "Say why it has stalled" in response.get_data(as_text=True)
    assert count(db, ActionUpdate) == 0

    response = client.post(url, data=form(client, status="stalled", note="No building yet."))
    assert response.status_code == 302
    db.rollback()
    stalled = db.get(Action, made.id)
    assert stalled is not None
    assert (stalled.status, stalled.stalled_reason) == (ActionStatus.STALLED, "No building yet.")
    page = text(client, f"/staff/stocktake/{made.id}")
    assert "Why it stalled" in page and "10 March 2027" in page


def test_owner_and_due_date_are_changed_on_the_action_page(app: Flask, db: Session) -> None:
    client, me = staff_client(app, db, "facilitator")
    made = add(db, me, "Open a Saturday clinic")
    url = f"/staff/stocktake/{made.id}/plan"

    bad = client.post(url, data=form(client, owner="Chief Nurse", **{"due_on-day": "40"}))
    assert bad.status_code == 400
    assert 'value="Chief Nurse"' in bad.get_data(as_text=True)

    good = client.post(
        url,
        data=form(
            client,
            owner="Chief Nurse",
            **{"due_on-day": "1", "due_on-month": "6", "due_on-year": "2027"},
        ),
    )
    assert good.status_code == 302
    db.rollback()
    changed = db.get(Action, made.id)
    assert changed is not None and (changed.owner, changed.due_on) == (
        "Chief Nurse",
        date(2027, 6, 1),
    )


def test_moderators_see_the_stocktake_but_change_nothing(app: Flask, db: Session) -> None:
    facilitator = make_staff(db, "fay@example.org", "facilitator")
    made = add(db, facilitator, "Open a Saturday clinic")
    client, _ = staff_client(app, db, "moderator")

    assert "Open a Saturday clinic" in text(client, "/staff/stocktake")
    page = text(client, f"/staff/stocktake/{made.id}")
    assert "Add an update" not in page
    assert client.get("/staff/stocktake/new").status_code == 403
    update = client.post(
        f"/staff/stocktake/{made.id}/update", data=form(client, status="done", note="x")
    )
    assert update.status_code == 403
    assert count(db, ActionUpdate) == 0


def test_a_responder_updates_only_their_organisations_actions(
    app: Flask, db: Session, admin: StaffUser, council: Organisation, trust: Organisation
) -> None:
    ours = add(db, admin, "Ours", organisation=council)
    theirs = add(db, admin, "Theirs", organisation=trust)
    client, _ = responder_client(app, db, admin, council, "sam@council.example.org")

    assert "Add an update" in text(client, f"/staff/stocktake/{ours.id}")
    assert "Only City NHS Trust's responders" in text(client, f"/staff/stocktake/{theirs.id}")
    refused = client.post(
        f"/staff/stocktake/{theirs.id}/update", data=form(client, status="done", note="Done")
    )
    assert refused.status_code == 403
    accepted = client.post(
        f"/staff/stocktake/{ours.id}/update", data=form(client, status="in-progress", note="Go")
    )
    assert accepted.status_code == 302

    # A responder's new action is their organisation's, whatever the form says.
    client.post(
        "/staff/stocktake/new",
        data=form(client, title="Ours too", owner="Head of care", organisation=str(trust.id)),
    )
    db.rollback()
    added = db.scalar(select(Action).where(Action.title == "Ours too"))
    assert added is not None and added.organisation_id == council.id
    assert count(db, ActionUpdate) == 1


def test_an_unknown_action_is_not_found_and_signed_out_visitors_sign_in(
    app: Flask, db: Session, client: FlaskClient
) -> None:
    assert client.get("/staff/stocktake").status_code == 302
    staff, _ = staff_client(app, db, "facilitator")
    assert staff.get("/staff/stocktake/999").status_code == 404
    assert staff.post("/staff/stocktake/999/update", data=form(staff)).status_code == 404


# -- public pages --------------------------------------------------------------------------------


def test_the_public_stocktake_and_pack_show_the_same_sections(
    app: Flask, db: Session, client: FlaskClient
) -> None:
    me = make_staff(db, "fay@example.org", "facilitator")
    add(db, me, "Publish waiting times", due_on=date(2027, 3, 1))  # late by 9 days
    add(db, me, "Extend opening hours", due_on=date(2027, 4, 1))  # on track
    stalled = add(db, me, "Open a Saturday clinic", due_on=date(2027, 2, 1))
    done = add(db, me, "Fix the lift", owner="Estates manager")
    services.add_update(
        db, me, stalled, status="stalled", note="The lease fell through.",
        written_on=date(2027, 3, 3),
    )  # fmt: skip
    services.add_update(
        db, me, done, status="done", note="The lift works again.", written_on=date(2027, 3, 8)
    )
    db.commit()

    for url in ("/stocktake", "/stocktake/pack"):
        page = text(client, url)
        assert "Publish waiting times" in section(page, "late")
        assert "Late" in section(page, "late")
        assert "Extend opening hours" in section(page, "on-track")
        stalled_part = section(page, "stalled")
        assert "Open a Saturday clinic" in stalled_part
        assert "Why it stalled:</strong> The lease fell through." in stalled_part
        assert '<time datetime="2027-03-03">3 March 2027</time>' in stalled_part
        changed = section(page, "changed")
        assert "Fix the lift" in changed and "The lift works again." in changed
        assert "Owner: Estates manager." in changed
        figures = re.findall(
            r'scope="row">([^<]+)</th>\s*<td[^>]*>(\d+)</td>', page
        )  # the figures table
        assert figures == [
            ("Changed (done)", "1"),
            ("On track", "1"),
            ("Late", "1"),
            ("Stalled", "1"),
            ("All actions", "4"),
        ]

    pack = text(client, "/stocktake/pack")
    assert 'Made on <time datetime="2027-03-10">10 March 2027</time>' in pack
    # printed with the hub's print stylesheet, each section on a new page
    assert pack.count('class="hub-print-page hub-stocktake-section"') >= 4
    link = re.search(r'href="([^"]*print\.css[^"]*)" media="print"', pack)
    assert link is not None
    css = client.get(link[1])
    assert css.status_code == 200 and b".hub-print-page" in css.data
    assert b"page-break-before" in css.data


def test_a_planned_change_on_a_routed_item_reaches_the_stocktake_and_is_done_when_made(
    app: Flask, db: Session, client: FlaskClient, admin: StaffUser, trust: Organisation
) -> None:
    item = raise_item(db, person(db), title="No hearing loop at the clinic", publish=True)
    routed = routing.route(db, item, trust, None, admin)
    db.commit()
    responder, _ = responder_client(app, db, admin, trust, "pat@trust.example.org")
    url = f"/staff/responses/{routed.id}"

    planned = responder.post(
        url,
        data=form(
            responder,
            text="Thank you for telling us.",
            outcome="change-planned",
            change_description="We will fit a hearing loop at reception.",
        ),
    )
    assert planned.status_code == 302

    page = text(client, "/stocktake")
    on_track = section(page, "on-track")
    assert "No hearing loop at the clinic" in on_track
    assert "Owner: City NHS Trust." in on_track
    assert "We will fit a hearing loop at reception." in on_track
    staff_list = text(responder, "/staff/stocktake")
    assert "No hearing loop at the clinic" in staff_list and "Routed item" in staff_list

    made = responder.post(
        f"{url}/change",
        data=form(responder, outcome="change-made", change_description="A hearing loop is fitted."),
    )
    assert made.status_code == 302

    page = text(client, "/stocktake")
    assert "No hearing loop at the clinic" in section(page, "changed")
    assert "No hearing loop at the clinic" not in section(page, "on-track")
    db.rollback()
    tracked = db.scalar(select(Action).where(Action.routing_id == routed.id))
    assert tracked is not None and tracked.status is ActionStatus.DONE
    assert count(db, Routing) == 1 and count(db, Action) == 1
