"""Jury and Assembly pages: facilitators record, moderators read, the public sees the record.

Through the Flask test client, as staff use the pages: every form posts with the
CSRF token; a mistake comes back 400 with the error summary and stores nothing;
the public meeting page shows the agreed actions with owners and dates and says
how many panel members attended, never who.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hub.assembly import services
from hub.assembly.models import AgendaItem, Attendee, Jury, Meeting, Reply, ShortlistItem
from hub.gather.models import Contribution, Ward
from hub.gather.services import add_comment
from hub.panels.models import PanelDraw
from hub.panels.services import panel_members
from hub.routing import services as routing
from hub.staff.models import StaffAction, StaffUser
from hub.stocktake.models import Action
from tests.hub.assembly_helpers import jury_draw, supported
from tests.hub.conftest import person, raise_item
from tests.hub.staff_helpers import form, make_staff, staff_client

IN_JUNE = datetime(2026, 6, 10, 12, tzinfo=UTC)


def day(field: str, value: date) -> dict[str, str]:
    return {
        f"{field}-day": str(value.day),
        f"{field}-month": str(value.month),
        f"{field}-year": str(value.year),
    }


def count(db: Session, model: type) -> int:
    db.rollback()
    return int(db.scalar(select(func.count()).select_from(model)) or 0)


def text(response: object) -> str:
    return response.get_data(as_text=True)  # type: ignore[attr-defined,no-any-return]


@pytest.fixture
def lead(db: Session) -> StaffUser:
    return make_staff(db, "lead@example.org", "facilitator", name="Lee Lead")


@pytest.fixture
def draw(db: Session, lead: StaffUser) -> PanelDraw:
    found = jury_draw(db, lead, members=12)
    db.commit()
    return found


@pytest.fixture
def items(db: Session) -> list[Contribution]:
    """Three published items: 6, 4 and 2 "me too"s in June; a fourth nobody supported."""
    made = []
    for title, people in [("Waiting times", 6), ("Pharmacy hours", 4), ("Parking costs", 2)]:
        found = raise_item(db, person(db), title=title)
        supported(db, found, people, at=IN_JUNE)
        made.append(found)
    made.append(raise_item(db, person(db), title="Quiet item"))
    db.commit()
    return made


@pytest.fixture
def facilitator(app: Flask, db: Session) -> FlaskClient:
    client, _ = staff_client(app, db, "facilitator", "fay@example.org")
    return client


def make_jury(client: FlaskClient, draw: PanelDraw | None) -> int:
    response = client.post(
        "/staff/assembly/juries",
        data=form(
            client,
            title="June jury",
            draw="" if draw is None else str(draw.id),
            shortlist_size="3",
            **day("period_start", date(2026, 6, 1)),
            **day("period_end", date(2026, 6, 30)),
        ),
    )
    assert response.status_code == 302, text(response)
    match = re.search(r"/juries/(\d+)$", response.headers["Location"])
    assert match
    return int(match[1])


def chosen_meeting(
    client: FlaskClient, db: Session, draw: PanelDraw | None, items: list[Contribution]
) -> int:
    """Through the pages: jury, shortlist of three, choice of two, a meeting from it."""
    jury_id = make_jury(client, draw)
    waits, pharmacy, parking, _ = items
    response = client.post(
        f"/staff/assembly/juries/{jury_id}/shortlist",
        data=form(client, contributions=[str(parking.id), str(waits.id), str(pharmacy.id)]),
    )
    assert response.status_code == 302, text(response)
    entries = {e.contribution_id: e.id for e in db.scalars(select(ShortlistItem))}
    response = client.post(
        f"/staff/assembly/juries/{jury_id}/choice",
        data=form(
            client,
            chosen=[str(entries[waits.id]), str(entries[parking.id])],
            **{
                f"reason-{entries[waits.id]}": "It affects the most people",
                f"reason-{entries[parking.id]}": "Carers pay the most",
            },
            **day("chosen_on", date(2026, 7, 4)),
        ),
    )
    assert response.status_code == 302, text(response)
    response = client.post(
        "/staff/assembly/meetings",
        data=form(
            client,
            title="July Assembly",
            place="Town Hall, Albert Square",
            jury=str(jury_id),
            **day("held_on", date(2026, 7, 20)),
        ),
    )
    assert response.status_code == 302, text(response)
    match = re.search(r"/meetings/(\d+)$", response.headers["Location"])
    assert match
    return int(match[1])


def test_the_shortlist_page_ranks_items_by_support_in_the_period(
    facilitator: FlaskClient, draw: PanelDraw, items: list[Contribution]
) -> None:
    jury_id = make_jury(facilitator, draw)

    page = text(facilitator.get(f"/staff/assembly/juries/{jury_id}"))

    titles = re.findall(
        r'class="nhsuk-label nhsuk-checkboxes__label" for="contributions[^"]*">([^<]+)<', page
    )
    assert titles == ["Waiting times", "Pharmacy hours", "Parking costs", "Quiet item"]
    assert "6 people said “me too” in the period (6 in all) · Concern in GP access" in page
    assert "Citizens&#39; Jury, spring 2026" in page  # the linked draw


def test_a_facilitator_records_an_assembly_and_the_public_sees_it(
    app: Flask,
    db: Session,
    facilitator: FlaskClient,
    draw: PanelDraw,
    items: list[Contribution],
) -> None:
    meeting_id = chosen_meeting(facilitator, db, draw, items)
    base = f"/staff/assembly/meetings/{meeting_id}"
    page = text(facilitator.get(base))
    assert page.index("Waiting times") < page.index("Parking costs")
    assert "Pharmacy hours" not in page  # shortlisted, not chosen

    members = panel_members(db, draw.id)
    response = facilitator.post(
        f"{base}/attendance",
        data=form(facilitator, panel_members=[str(m.id) for m in members[:9]]),
    )
    assert response.status_code == 302, text(response)
    response = facilitator.post(
        f"{base}/managers",
        data=form(
            facilitator, name="Dr Ada Lane", role="Medical Director", organisation="Manchester ICB"
        ),
    )
    assert response.status_code == 302, text(response)
    staff_view = text(facilitator.get(f"{base}/attendance"))
    assert "Member 1" in staff_view and "9 of 12 panel members attended" in staff_view

    db.rollback()
    meeting = db.get(Meeting, meeting_id)
    assert meeting is not None
    waits_item = meeting.agenda[0]
    ada = db.scalar(select(Attendee).where(Attendee.name == "Dr Ada Lane"))
    assert ada is not None
    item_url = f"{base}/items/{waits_item.id}"
    response = facilitator.post(
        f"{item_url}/replies",
        data=form(facilitator, attendee=str(ada.id), text="We will open Saturday clinics."),
    )
    assert response.status_code == 302, text(response)
    reply = db.scalar(select(Reply))
    assert reply is not None
    response = facilitator.post(
        f"{item_url}/replies/{reply.id}/confirmation",
        data=form(facilitator, agreed="8", disagreed="1", notes="Saturdays do not suit carers"),
    )
    assert response.status_code == 302, text(response)
    response = facilitator.post(
        f"{item_url}/outcomes",
        data=form(
            facilitator,
            title="Open Saturday clinics in two practices",
            owner="Director of Primary Care",
            **day("due_on", date(2026, 12, 1)),
        ),
    )
    assert response.status_code == 302, text(response)
    action = db.scalar(select(Action))
    assert action is not None
    assert (action.owner, action.due_on, action.source.value) == (
        "Director of Primary Care",
        date(2026, 12, 1),
        "assembly",
    )

    public = app.test_client()
    assert public.get(f"/assembly/meetings/{meeting_id}").status_code == 404  # not yet published
    response = facilitator.post(f"{base}/publish", data=form(facilitator))
    assert response.status_code == 302, text(response)

    listing = text(public.get("/assembly"))
    assert f'href="/assembly/meetings/{meeting_id}"' in listing
    page = text(public.get(f"/assembly/meetings/{meeting_id}"))
    assert "9 of 12 panel members attended" in page
    assert "Dr Ada Lane, Medical Director, Manchester ICB" in page
    assert "We will open Saturday clinics." in page
    assert "8 of 9 panel members who confirmed said it matches the discussion; 1 disagreed" in page
    assert "Saturdays do not suit carers" in page
    assert "Open Saturday clinics in two practices" in page
    assert "Director of Primary Care" in page
    assert '<time datetime="2026-12-01">1 December 2026</time>' in page
    assert "Planned" in page
    assert "It affects the most people" in page  # the jury's reason
    for member in members:
        assert member.display_name not in page  # "Member 1" … never in public
        assert member.number not in page
    assert "Lee Lead" not in page and "Fay" not in page  # nor staff


def test_the_issue_pack_prints_each_item(
    app: Flask,
    db: Session,
    facilitator: FlaskClient,
    lead: StaffUser,
    draw: PanelDraw,
    items: list[Contribution],
) -> None:
    waits = items[0]
    db.add(Ward(code="E05011234", name="Ardwick"))
    waits.ward_code = "E05011234"
    add_comment(
        db, contribution=waits, participant=person(db), body="Eleven months for me", publish=True
    )
    add_comment(db, contribution=waits, participant=person(db), body="Unmoderated words")
    admin = make_staff(db, "admin@example.org", "admin")
    trust = routing.add_organisation(db, admin, "Manchester University NHS FT", "nhs-trust", "R0A")
    routing.route(db, waits, trust, None, admin, today=date(2026, 6, 15))
    db.commit()
    meeting_id = chosen_meeting(facilitator, db, draw, items)

    page = text(facilitator.get(f"/staff/assembly/meetings/{meeting_id}/pack"))

    assert "print.css" in page and 'media="print"' in page
    assert page.count('class="hub-print-page hub-pack__issue"') == 2
    assert "Issue 1: Waiting times" in page and "Issue 2: Parking costs" in page
    assert "6 people said “me too”" in page
    assert "Eleven months for me" in page and "Unmoderated words" not in page
    assert "Routed to Manchester University NHS FT" in page
    assert '<dd class="nhsuk-summary-list__value">Concern</dd>' in page
    assert '<dd class="nhsuk-summary-list__value">GP access</dd>' in page
    assert '<dd class="nhsuk-summary-list__value">Ardwick</dd>' in page
    assert app.test_client().get(f"/assembly/meetings/{meeting_id}/pack").status_code == 404
    css = app.test_client().get("/static/print.css")
    assert css.status_code == 200 and b"page-break-before: always" in css.data
    css.close()


def test_moderators_read_but_cannot_change(
    app: Flask, db: Session, facilitator: FlaskClient, draw: PanelDraw, items: list[Contribution]
) -> None:
    meeting_id = chosen_meeting(facilitator, db, draw, items)
    moderator, _ = staff_client(app, db, "moderator")
    base = f"/staff/assembly/meetings/{meeting_id}"

    for url in ["/staff/assembly", base, f"{base}/attendance", f"{base}/pack"]:
        response = moderator.get(url)
        assert response.status_code == 200, url
        assert "Publish the meeting" not in text(response)
    assert moderator.get("/staff/assembly/juries/new").status_code == 403
    response = moderator.post(f"{base}/agenda", data=form(moderator, title="Sneaky item"))
    assert response.status_code == 403
    response = moderator.post(f"{base}/publish", data=form(moderator))
    assert response.status_code == 403
    assert count(db, AgendaItem) == 2
    responder, _ = staff_client(app, db, "responder")
    assert responder.get("/staff/assembly").status_code == 403


def test_an_outcome_without_an_owner_is_refused_and_nothing_stored(
    db: Session, facilitator: FlaskClient, draw: PanelDraw, items: list[Contribution]
) -> None:
    meeting_id = chosen_meeting(facilitator, db, draw, items)
    db.rollback()
    item = db.scalar(select(AgendaItem).where(AgendaItem.meeting_id == meeting_id))
    assert item is not None
    actions_before = count(db, StaffAction)

    response = facilitator.post(
        f"/staff/assembly/meetings/{meeting_id}/items/{item.id}/outcomes",
        data=form(facilitator, title="Open clinics", owner="", **day("due_on", date(2026, 12, 1))),
    )

    assert response.status_code == 400
    page = text(response)
    assert "There is a problem" in page
    assert 'href="#owner"' in page and "Enter who owns it" in page
    assert 'value="Open clinics"' in page  # what was typed is kept
    assert count(db, Action) == 0
    assert count(db, StaffAction) == actions_before


def test_a_bad_date_is_refused_and_nothing_stored(facilitator: FlaskClient, db: Session) -> None:
    response = facilitator.post(
        "/staff/assembly/meetings",
        data=form(
            facilitator,
            title="Assembly",
            place="Hall",
            **{"held_on-day": "31", "held_on-month": "2", "held_on-year": "2027"},
        ),
    )

    assert response.status_code == 400
    page = text(response)
    assert 'href="#held_on-day"' in page and "must be a real date" in page
    assert count(db, Meeting) == 0


def test_a_choice_without_a_reason_is_refused_and_nothing_stored(
    db: Session, facilitator: FlaskClient, draw: PanelDraw, items: list[Contribution]
) -> None:
    jury_id = make_jury(facilitator, draw)
    facilitator.post(
        f"/staff/assembly/juries/{jury_id}/shortlist",
        data=form(facilitator, contributions=[str(items[0].id)]),
    )
    entry = db.scalar(select(ShortlistItem))
    assert entry is not None

    response = facilitator.post(
        f"/staff/assembly/juries/{jury_id}/choice",
        data=form(facilitator, chosen=[str(entry.id)], **day("chosen_on", date(2026, 7, 4))),
    )

    assert response.status_code == 400
    assert f'href="#reason-{entry.id}"' in text(response)
    db.rollback()
    jury = db.get(Jury, jury_id)
    assert jury is not None and jury.chosen_on is None and not jury.shortlist[0].chosen


def test_a_confirmation_over_the_attendance_is_refused(
    db: Session, facilitator: FlaskClient, draw: PanelDraw, items: list[Contribution]
) -> None:
    meeting_id = chosen_meeting(facilitator, db, draw, items)
    base = f"/staff/assembly/meetings/{meeting_id}"
    members = panel_members(db, draw.id)
    facilitator.post(
        f"{base}/attendance", data=form(facilitator, panel_members=[str(members[0].id)])
    )
    facilitator.post(
        f"{base}/managers", data=form(facilitator, name="Ada", role="Director", organisation="ICB")
    )
    db.rollback()
    item = db.scalar(select(AgendaItem).where(AgendaItem.meeting_id == meeting_id))
    ada = db.scalar(select(Attendee).where(Attendee.name == "Ada"))
    assert item is not None and ada is not None
    facilitator.post(
        f"{base}/items/{item.id}/replies",
        data=form(facilitator, attendee=str(ada.id), text="An answer"),
    )
    reply = db.scalar(select(Reply))
    assert reply is not None

    response = facilitator.post(
        f"{base}/items/{item.id}/replies/{reply.id}/confirmation",
        data=form(facilitator, agreed="2", disagreed="0"),
    )

    assert response.status_code == 400
    page = text(response)
    assert f'href="#agreed-{reply.id}"' in page and "Only 1 panel members attended" in page
    db.rollback()
    stored = db.get(Reply, reply.id)
    assert stored is not None and stored.confirmed_at is None


def test_reorder_and_remove_agenda_items(
    db: Session, facilitator: FlaskClient, draw: PanelDraw, items: list[Contribution]
) -> None:
    meeting_id = chosen_meeting(facilitator, db, draw, items)
    base = f"/staff/assembly/meetings/{meeting_id}"
    db.rollback()
    waits, parking = db.scalars(
        select(AgendaItem).where(AgendaItem.meeting_id == meeting_id).order_by(AgendaItem.position)
    ).all()

    assert (
        facilitator.post(
            f"{base}/agenda/{parking.id}/move", data=form(facilitator, direction="up")
        ).status_code
        == 302
    )
    assert (
        facilitator.post(
            f"{base}/agenda", data=form(facilitator, title="Any other business")
        ).status_code
        == 302
    )
    assert (
        facilitator.post(f"{base}/agenda/{waits.id}/remove", data=form(facilitator)).status_code
        == 302
    )

    assert "Removed “Waiting times” from the agenda." in text(facilitator.get(base))
    page = text(facilitator.get(base))
    assert page.index("Parking costs") < page.index("Any other business")
    assert "Waiting times" not in page
    db.rollback()
    meeting = db.get(Meeting, meeting_id)
    assert meeting is not None
    assert [(i.position, i.title) for i in meeting.agenda] == [
        (1, "Parking costs"),
        (2, "Any other business"),
    ]


def test_a_form_without_the_csrf_token_is_refused(
    db: Session, facilitator: FlaskClient, lead: StaffUser
) -> None:
    meeting = services.create_meeting(
        db, lead, title="Assembly", held_on=date(2026, 7, 1), place="Hall"
    )
    db.commit()

    response = facilitator.post(
        f"/staff/assembly/meetings/{meeting.id}/agenda", data={"title": "No token"}
    )

    assert response.status_code == 400
    assert count(db, AgendaItem) == 0


def test_unknown_and_unpublished_meetings_are_not_found(
    app: Flask, facilitator: FlaskClient
) -> None:
    public = app.test_client()
    assert public.get("/assembly/meetings/999").status_code == 404
    assert public.get("/assembly/meetings/999/pack").status_code == 404
    assert facilitator.get("/staff/assembly/meetings/999").status_code == 404
    assert facilitator.get("/staff/assembly/juries/999").status_code == 404
    assert "No Assembly meetings have been published yet." in text(public.get("/assembly"))


# -- who may use each staff address ---------------------------------------------------------

VIEW = {"admin", "moderator", "facilitator"}
CHANGE = {"admin", "facilitator"}
RULES = {
    ("GET", "/staff/assembly"): VIEW,
    ("GET", "/staff/assembly/juries/new"): CHANGE,
    ("POST", "/staff/assembly/juries"): CHANGE,
    ("GET", "/staff/assembly/juries/<int:jury_id>"): VIEW,
    ("POST", "/staff/assembly/juries/<int:jury_id>/shortlist"): CHANGE,
    ("POST", "/staff/assembly/juries/<int:jury_id>/choice"): CHANGE,
    ("GET", "/staff/assembly/meetings/new"): CHANGE,
    ("POST", "/staff/assembly/meetings"): CHANGE,
    ("GET", "/staff/assembly/meetings/<int:meeting_id>"): VIEW,
    ("POST", "/staff/assembly/meetings/<int:meeting_id>/agenda"): CHANGE,
    ("POST", "/staff/assembly/meetings/<int:meeting_id>/agenda/<int:item_id>/move"): CHANGE,
    ("POST", "/staff/assembly/meetings/<int:meeting_id>/agenda/<int:item_id>/remove"): CHANGE,
    ("POST", "/staff/assembly/meetings/<int:meeting_id>/publish"): CHANGE,
    ("GET", "/staff/assembly/meetings/<int:meeting_id>/attendance"): VIEW,
    ("POST", "/staff/assembly/meetings/<int:meeting_id>/attendance"): CHANGE,
    ("POST", "/staff/assembly/meetings/<int:meeting_id>/managers"): CHANGE,
    ("POST", "/staff/assembly/meetings/<int:meeting_id>/managers/<int:attendee_id>/remove"): CHANGE,
    ("GET", "/staff/assembly/meetings/<int:meeting_id>/items/<int:item_id>"): VIEW,
    ("POST", "/staff/assembly/meetings/<int:meeting_id>/items/<int:item_id>/replies"): CHANGE,
    (
        "POST",
        "/staff/assembly/meetings/<int:meeting_id>/items/<int:item_id>/replies/<int:reply_id>"
        "/confirmation",
    ): CHANGE,
    ("POST", "/staff/assembly/meetings/<int:meeting_id>/items/<int:item_id>/outcomes"): CHANGE,
    ("GET", "/staff/assembly/meetings/<int:meeting_id>/pack"): VIEW,
}


def test_every_staff_address_is_listed(app: Flask) -> None:
    found = {
        (method, rule.rule)
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/staff/assembly")
        for method in (rule.methods or set()) - {"HEAD", "OPTIONS"}
    }
    assert found == set(RULES)


@pytest.mark.parametrize("role", ["admin", "moderator", "facilitator", "responder"])
def test_each_role_reaches_exactly_its_addresses(
    app: Flask, db: Session, lead: StaffUser, role: str
) -> None:
    meeting = services.create_meeting(
        db, lead, title="Assembly", held_on=date(2026, 7, 1), place="Hall"
    )
    item = services.add_agenda_item(db, meeting, lead, "Any other business", None)
    manager = services.add_senior_manager(db, meeting, lead, "Ada", "Director", "ICB")
    reply = services.record_reply(db, item, lead, manager.id, "An answer")
    jury = services.create_jury(
        db, lead, title="Jury", period_start=date(2026, 6, 1), period_end=date(2026, 6, 30)
    )
    db.commit()
    ids = {
        "jury_id": jury.id,
        "meeting_id": meeting.id,
        "item_id": item.id,
        "attendee_id": manager.id,
        "reply_id": reply.id,
    }
    client, _ = staff_client(app, db, role)

    for (method, rule), roles in RULES.items():
        path = re.sub(r"<int:(\w+)>", lambda m: str(ids[m[1]]), rule)
        response = client.get(path) if method == "GET" else client.post(path, data=form(client))
        if role in roles:
            assert response.status_code in (200, 302, 400), f"{role} {method} {path}"
            assert "/staff/login" not in response.headers.get("Location", "")
        else:
            assert response.status_code == 403, f"{role} {method} {path}"
