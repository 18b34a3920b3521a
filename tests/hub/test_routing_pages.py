"""Triage and routing pages: staff triage and route, responders answer, the public sees it.

Through the Flask test client, as staff and residents use the pages: a form with
a mistake comes back 400 with the error summary and stores nothing; what a
responder publishes reaches the item's public timeline and "You said, we did";
the organisations page shows figures worked out by hand below.
"""

from __future__ import annotations

from datetime import date

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hub.gather.models import Contribution, ContributionEvent
from hub.routing import services
from hub.routing.models import Decision, Organisation, Outcome, Routing
from hub.staff.models import StaffUser
from tests.hub.conftest import person, raise_item
from tests.hub.staff_helpers import form, login, make_staff, staff_client


@pytest.fixture
def admin(db: Session) -> StaffUser:
    return make_staff(db, "admin@example.org", "admin")


@pytest.fixture
def trust(db: Session, admin: StaffUser) -> Organisation:
    found = services.add_organisation(
        db, admin, "Manchester University NHS Foundation Trust", "nhs-trust", "R0A"
    )
    db.commit()
    return found


@pytest.fixture
def practice(db: Session, admin: StaffUser) -> Organisation:
    found = services.add_organisation(db, admin, "Ardwick Surgery", "gp-practice", "P84001")
    db.commit()
    return found


@pytest.fixture
def item(db: Session) -> Contribution:
    found = raise_item(db, person(db), title="Parking at the hospital", publish=True)
    db.commit()
    return found


def responder_client(
    app: Flask, db: Session, admin: StaffUser, organisation: Organisation, email: str
) -> tuple[FlaskClient, StaffUser]:
    staff = make_staff(db, email, "responder")
    services.link_staff(db, staff, organisation, admin)
    db.commit()
    client = app.test_client()
    login(client, email)
    return client, staff


def routing_of(db: Session, item: Contribution) -> Routing | None:
    db.rollback()
    return db.scalar(select(Routing).where(Routing.contribution_id == item.id))


def events(db: Session, item: Contribution) -> int:
    db.rollback()
    query = select(func.count()).where(ContributionEvent.contribution_id == item.id)
    return int(db.scalar(query) or 0)


def test_triage_an_item_as_national(app: Flask, db: Session, item: Contribution) -> None:
    client, me = staff_client(app, db, "moderator")
    listing = client.get("/staff/routing").get_data(as_text=True)
    assert f'href="/staff/routing/{item.id}"' in listing
    assert "National: goes into the national summary as a candidate" in client.get(
        f"/staff/routing/{item.id}"
    ).get_data(as_text=True)

    response = client.post(f"/staff/routing/{item.id}", data=form(client, decision="national"))

    assert response.status_code == 302
    routing = routing_of(db, item)
    assert routing is not None
    assert (routing.decision, routing.organisation_id, routing.routed_by_id) == (
        Decision.NATIONAL,
        None,
        me.id,
    )
    page = client.get(f"/staff/routing/{item.id}").get_data(as_text=True)
    assert "A national candidate" in page
    listing = client.get("/staff/routing").get_data(as_text=True)
    assert "Every published item has been triaged." in listing


def test_route_an_item_to_an_organisation(
    app: Flask, db: Session, item: Contribution, trust: Organisation, admin: StaffUser
) -> None:
    _, pat = responder_client(app, db, admin, trust, "pat@trust.example.org")
    client, _ = staff_client(app, db, "moderator")

    response = client.post(
        f"/staff/routing/{item.id}",
        data=form(client, decision="local", organisation=str(trust.id), responder=str(pat.id)),
    )

    assert response.status_code == 302
    routing = routing_of(db, item)
    assert routing is not None and routing.deadline is not None
    assert (routing.decision, routing.organisation_id, routing.responder_id) == (
        Decision.LOCAL,
        trust.id,
        pat.id,
    )
    assert routing.deadline == services.add_working_days(routing.routed_on, 20)
    public = app.test_client().get(f"/contributions/{item.id}").get_data(as_text=True)
    assert "Passed to Manchester University NHS Foundation Trust" in public
    found = db.get(Contribution, item.id)
    assert found is not None and found.stage.value == "routed"
    listing = client.get("/staff/routing").get_data(as_text=True)
    assert "Manchester University NHS Foundation Trust" in listing and pat.name in listing


def test_routing_without_an_organisation_is_refused_and_nothing_is_stored(
    app: Flask, db: Session, item: Contribution, trust: Organisation
) -> None:
    client, _ = staff_client(app, db, "moderator")
    before = events(db, item)

    response = client.post(
        f"/staff/routing/{item.id}", data=form(client, decision="local", organisation="")
    )

    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "There is a problem" in page
    assert '<a href="#organisation">Choose the organisation that should respond</a>' in page
    assert routing_of(db, item) is None
    assert events(db, item) == before


def test_a_responder_of_another_organisation_cannot_see_or_answer(
    app: Flask,
    db: Session,
    item: Contribution,
    trust: Organisation,
    practice: Organisation,
    admin: StaffUser,
) -> None:
    services.route(db, item, trust, None, admin)
    db.commit()
    routing = routing_of(db, item)
    assert routing is not None
    other, _ = responder_client(app, db, admin, practice, "sam@surgery.example.org")

    assert "Parking at the hospital" not in other.get("/staff/responses").get_data(as_text=True)
    assert other.get(f"/staff/responses/{routing.id}").status_code == 404
    response = other.post(
        f"/staff/responses/{routing.id}",
        data=form(other, text="Not ours to answer.", outcome="responded"),
    )
    assert response.status_code == 404
    routing = routing_of(db, item)
    assert routing is not None and routing.outcome is None
    moderator, _ = staff_client(app, db, "moderator")
    assert moderator.get(f"/staff/responses/{routing.id}").status_code == 403


def test_respond_with_a_change_planned_then_made_reaches_the_public(
    app: Flask, db: Session, item: Contribution, trust: Organisation, admin: StaffUser
) -> None:
    services.route(db, item, trust, None, admin)
    db.commit()
    routing = routing_of(db, item)
    assert routing is not None
    client, pat = responder_client(app, db, admin, trust, "pat@trust.example.org")
    listing = client.get("/staff/responses").get_data(as_text=True)
    assert f'href="/staff/responses/{routing.id}"' in listing

    response = client.post(
        f"/staff/responses/{routing.id}",
        data=form(
            client,
            text="Thank you: we agree the car park is too small.",
            outcome="change-planned",
            change_description="Forty more spaces on the staff car park from March.",
        ),
    )
    assert response.status_code == 302
    page = client.get(f"/staff/responses/{routing.id}").get_data(as_text=True)
    assert "Mark change made" in page

    response = client.post(
        f"/staff/responses/{routing.id}/change",
        data=form(client, outcome="change-made", change_description="Forty new spaces opened."),
    )

    assert response.status_code == 302
    routing = routing_of(db, item)
    assert routing is not None
    assert (routing.outcome, routing.change_description, routing.responded_by_id) == (
        Outcome.CHANGE_MADE,
        "Forty new spaces opened.",
        pat.id,
    )
    public = app.test_client()
    timeline = public.get(f"/contributions/{item.id}").get_data(as_text=True)
    assert "Thank you: we agree the car park is too small." in timeline
    assert "Change planned: Forty more spaces on the staff car park from March." in timeline
    assert "Change made: Forty new spaces opened." in timeline
    said = public.get("/you-said-we-did").get_data(as_text=True)
    assert f'href="/contributions/{item.id}">Parking at the hospital</a>' in said
    assert "Change made by Manchester University NHS Foundation Trust" in said
    assert "Forty new spaces opened." in said
    assert 'href="/you-said-we-did"' in said  # in the navigation


def test_a_change_without_its_description_is_refused_and_nothing_is_stored(
    app: Flask, db: Session, item: Contribution, trust: Organisation, admin: StaffUser
) -> None:
    services.route(db, item, trust, None, admin)
    db.commit()
    routing = routing_of(db, item)
    assert routing is not None
    client, _ = responder_client(app, db, admin, trust, "pat@trust.example.org")
    before = events(db, item)

    response = client.post(
        f"/staff/responses/{routing.id}",
        data=form(client, text="We will look at it.", outcome="change-planned"),
    )

    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "There is a problem" in page
    assert '<a href="#change_description">Say what the change is' in page
    assert "We will look at it." in page  # what they typed is kept
    routing = routing_of(db, item)
    assert routing is not None and routing.outcome is None and routing.response is None
    assert events(db, item) == before
    assert "Parking at the hospital" not in app.test_client().get("/you-said-we-did").get_data(
        as_text=True
    )


def test_organisations_are_added_and_responders_linked_by_an_admin(
    app: Flask, db: Session, admin: StaffUser
) -> None:
    client = app.test_client()
    login(client, admin.email)
    responder = make_staff(db, "pat@trust.example.org", "responder", name="Pat Lee")

    response = client.post(
        "/staff/organisations",
        data=form(client, name="Central ICB", kind="icb", ods_code="15e", email=""),
    )
    assert response.status_code == 302
    db.rollback()
    icb = db.scalar(select(Organisation).where(Organisation.name == "Central ICB"))
    assert icb is not None and icb.ods_code == "15E"
    response = client.post(
        "/staff/organisations/link",
        data=form(client, staff=str(responder.id), organisation=str(icb.id)),
    )
    assert response.status_code == 302
    db.rollback()
    theirs = services.organisation_of(db, responder)
    assert theirs is not None and theirs.id == icb.id
    assert "Pat Lee: answers for Central ICB" in client.get("/staff/organisations").get_data(
        as_text=True
    )

    response = client.post(
        "/staff/organisations", data=form(client, name="", kind="icb", ods_code="", email="")
    )
    assert response.status_code == 400
    assert '<a href="#name">Enter the organisation&#39;s name</a>' in response.get_data(
        as_text=True
    )

    moderator, _ = staff_client(app, db, "moderator")
    page = moderator.get("/staff/organisations").get_data(as_text=True)
    assert "Central ICB" in page and "Add the organisation" not in page
    assert moderator.post("/staff/organisations", data=form(moderator, name="X")).status_code == 403


def test_organisation_figures_are_worked_out_as_by_hand(
    app: Flask, db: Session, trust: Organisation, practice: Organisation, admin: StaffUser
) -> None:
    # The trust: three items routed on Monday 6 January 2025 (due 3 February 2025).
    # Answered Wednesday 8 January (2 working days, "responded") and Monday 20 January
    # (10 working days, "change-planned"); the third is unanswered and long late.
    # Response rate 2 / (2 + 1) = 67%; median (2 + 10) / 2 = 6 working days;
    # led to a change 1 / 2 = 50%.
    monday = date(2025, 1, 6)
    items = [raise_item(db, person(db), title=f"Item {n}", publish=True) for n in range(3)]
    routings = [services.route(db, c, trust, None, admin, today=monday) for c in items]
    services.respond(db, routings[0], admin, "We have answered.", "responded",
                     today=date(2025, 1, 8))  # fmt: skip
    services.respond(db, routings[1], admin, "We will change it.", "change-planned",
                     change_description="A new ramp.", today=date(2025, 1, 20))  # fmt: skip
    # The practice: one item routed today, within its deadline: no figures yet.
    services.route(db, raise_item(db, person(db), title="Item 4", publish=True), practice,
                   None, admin)  # fmt: skip
    db.commit()

    page = app.test_client().get("/organisations").get_data(as_text=True)

    assert "<caption" in page and "Responses by organisation" in page
    cells = page.split("Manchester University NHS Foundation Trust</th>", 1)[1].split("</tr>")[0]
    assert [c.split(">")[-1] for c in cells.split("</td>")[:-1]] == [
        "3",  # routed
        "2",  # answered
        "1",  # late
        "67%",
        "6",
        "50%",
    ]
    cells = page.split("Ardwick Surgery</th>", 1)[1].split("</tr>")[0]
    assert [c.split(">")[-1] for c in cells.split("</td>")[:-1]] == [
        "1",
        "0",
        "0",
        "Not yet",
        "Not yet",
        "Not yet",
    ]


def test_late_items_are_marked_and_unanswered_come_first_for_the_responder(
    app: Flask, db: Session, trust: Organisation, admin: StaffUser
) -> None:
    answered, late, fresh = (
        raise_item(db, person(db), title=title, publish=True)
        for title in ("Answered item", "Late item", "Fresh item")
    )
    first = services.route(db, answered, trust, None, admin, today=date(2025, 1, 6))
    services.respond(db, first, admin, "Done.", "responded", today=date(2025, 1, 7))
    services.route(db, late, trust, None, admin, today=date(2025, 1, 6))  # due 3 Feb 2025
    services.route(db, fresh, trust, None, admin)  # due 20 working days from today
    db.commit()
    client, _ = responder_client(app, db, admin, trust, "pat@trust.example.org")

    page = client.get("/staff/responses").get_data(as_text=True)

    order = [page.index(title) for title in ("Late item", "Fresh item", "Answered item")]
    assert order == sorted(order)
    rows = {
        title: page.split(title, 1)[1].split("</tr>", 1)[0]
        for title in ("Late item", "Fresh item", "Answered item")
    }
    assert "3 February 2025" in rows["Late item"] and "Late" in rows["Late item"]
    assert "Late" not in rows["Fresh item"] and "Waiting" in rows["Fresh item"]
    assert "Late" not in rows["Answered item"] and "Responded" in rows["Answered item"]
    moderator, _ = staff_client(app, db, "moderator")
    listing = moderator.get("/staff/routing").get_data(as_text=True)
    assert "Late" in listing.split("Late item", 1)[1].split("</tr>", 1)[0]
