"""A Citizens' Assembly recorded in Chromium, from the jury's choice to the public outcomes.

This module seeds what an Assembly starts from with the hub's own services in the
served hub's database: 60 volunteers in the pool, a jury of 12 drawn fairly from
them (`hub.panels.services.draw_panel`, the demo area's illustrative profile) and
three published items people said "me too" to. Then a facilitator, through the
pages: shortlists the items, records the jury's choice, sets up the meeting whose
agenda is that choice, ticks who attended, records a senior manager's reply, the
panel members' confirmation and an agreed action. Once published, the public
meeting page shows the action with its owner and due date and how many panel
members attended (never who), and the issue pack prints one issue per page with
no navigation. Each page is checked with axe.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

import pytest
from playwright.sync_api import Page, expect

from hub import create_app
from hub.gather.models import ABOUT_YOU
from hub.gather.services import (
    add_comment,
    get_or_create_participant,
    raise_contribution,
    support_contribution,
)
from hub.panels.services import add_volunteer, draw_panel, panel_members, selection_profile
from hub.routing.services import ENGLAND, england_today
from hub.staff.models import StaffUser
from hub.voices.profile import demo_profile
from hubnet.db import get_session
from tests.browser.axe import check_axe, screenshot
from tests.browser.conftest import Hub
from tests.browser.seed import email_of

StaffPage = Callable[[str], Page]
ITEMS = [
    ("concern", "gp-access", "Evening GP appointments for shift workers", 9),
    ("idea", "transport-access", "A bus from the estate to the hospital", 7),
    ("experience", "dentistry", "No NHS dentist taking new patients", 5),
]


@dataclass
class Seeded:
    tail: str
    draw_title: str
    titles: list[str]
    member_names: list[str]


@pytest.fixture(scope="module")
def seeded(served_hub: Hub) -> Seeded:
    """A drawn jury of 12 and three published items with 9, 7 and 5 "me too"s today."""
    tail = uuid.uuid4().hex[:6]
    today = england_today()
    noon = datetime.combine(today, time(12), tzinfo=ENGLAND).astimezone(UTC)
    app = create_app({"INSTANCE_PATH": str(served_hub.instance)})
    try:
        with app.app_context():
            db = get_session()
            facilitator = db.query(StaffUser).filter_by(email=email_of("facilitator")).one()
            profile = demo_profile("E08000003")
            shares = selection_profile(profile)
            rng = random.Random(7)  # the same pool every run
            for number in range(60):
                answers = {
                    question: rng.choices(list(shares[question]), list(shares[question].values()))[
                        0
                    ]
                    for question in ABOUT_YOU
                }
                add_volunteer(
                    db,
                    name=f"Volunteer {number} {tail}",
                    email=f"volunteer{number}-{tail}@example.org",
                    phone=None,
                    ward_code=None,
                    about_you=answers,
                    support_needs=None,
                    consent=True,
                )
            draw = draw_panel(
                db,
                facilitator,
                title=f"Citizens' Jury {tail}",
                purpose="jury",
                panel_size=12,
                seed=f"assembly-browser-{tail}",
                profile=profile,
            )
            names = [m.display_name for m in panel_members(db, draw.id)]
            titles = []
            for kind, theme, title, people in ITEMS:
                item = raise_contribution(
                    db,
                    participant=get_or_create_participant(db, None),
                    kind=kind,
                    title=f"{title} {tail}",
                    body=f"What people told us about: {title.lower()}.",
                    theme_slug=theme,
                    publish=True,
                    created_at=noon - timedelta(days=10),
                )
                for _ in range(people):
                    support_contribution(
                        db,
                        contribution_id=item.id,
                        participant=get_or_create_participant(db, None),
                        created_at=noon,
                    )
                titles.append(item.title)
            add_comment(
                db,
                contribution=item,
                participant=get_or_create_participant(db, None),
                body=f"The nearest one is 12 miles away {tail}",
                publish=True,
            )
            made = Seeded(tail, draw.title, titles, names)
            db.commit()
            return made
    finally:
        app.extensions["hubnet.engine"].dispose()


def step(page: Page, name: str) -> None:
    check_axe(page)
    screenshot(page, name)


def fill_date(page: Page, field: str, day: object) -> None:
    page.locator(f"#{field}-day").fill(str(day.day))  # type: ignore[attr-defined]
    page.locator(f"#{field}-month").fill(str(day.month))  # type: ignore[attr-defined]
    page.locator(f"#{field}-year").fill(str(day.year))  # type: ignore[attr-defined]


def test_a_facilitator_records_an_assembly_and_everyone_sees_its_outcomes(
    served_hub: Hub, staff_page: StaffPage, seeded: Seeded, anonymous_page: Page
) -> None:
    hub = served_hub
    today = england_today()
    evening, bus, dentist = seeded.titles
    due = today + timedelta(days=90)

    # The jury's shortlist: the items most supported this month.
    staff = staff_page("facilitator")
    staff.goto(hub.url + "/staff/assembly")
    step(staff, "assembly-staff-index")
    staff.get_by_role("button", name="Start a jury's shortlist").click()
    staff.get_by_role("button", name="Start the shortlist").click()  # empty: the summary says why
    expect(staff.get_by_role("alert")).to_contain_text("Enter a title for the jury")
    step(staff, "assembly-jury-new-error")
    staff.get_by_label("Title").fill(f"Autumn jury {seeded.tail}")
    staff.get_by_label("Panel drawn for the jury").select_option(label=seeded.draw_title)
    fill_date(staff, "period_start", today - timedelta(days=30))
    fill_date(staff, "period_end", today)
    staff.get_by_label("Most items on the shortlist").fill("5")
    staff.get_by_role("button", name="Start the shortlist").click()
    expect(staff.locator("main")).to_contain_text("Jury started")
    for title in seeded.titles:
        staff.get_by_role("checkbox", name=title, exact=True).check()
    step(staff, "assembly-jury-candidates")
    staff.get_by_role("button", name="Save the shortlist").click()
    shortlist = staff.locator("table", has=staff.get_by_role("columnheader", name="Rank"))
    expect(shortlist.locator("tbody tr").first).to_contain_text(evening)
    expect(shortlist.locator("tbody tr").first).to_contain_text("9")

    # The jury chose two of them, each for a reason.
    choice = staff.locator("form", has=staff.get_by_role("button", name="Record the choice"))
    choice.get_by_role("checkbox", name=f"1. {evening}").check()
    choice.get_by_role("checkbox", name=f"3. {dentist}").check()
    choice.get_by_label(f"The jury's reason for choosing “{evening}”").fill(
        "Shift workers cannot see a GP at all"
    )
    choice.get_by_label(f"The jury's reason for choosing “{dentist}”").fill(
        "Children are going without check-ups"
    )
    fill_date(staff, "chosen_on", today - timedelta(days=7))
    staff.get_by_role("button", name="Record the choice").click()
    expect(staff.locator("main")).to_contain_text("The jury's choice is recorded")
    step(staff, "assembly-jury-chosen")

    # The meeting takes its agenda from the choice.
    staff.goto(hub.url + "/staff/assembly")
    staff.get_by_role("button", name="Set up a meeting").click()
    step(staff, "assembly-meeting-new")
    staff.get_by_label("Title").fill(f"Citizens' Assembly {seeded.tail}")
    fill_date(staff, "held_on", today - timedelta(days=1))
    staff.get_by_label("Where").fill("Town Hall, Albert Square")
    staff.get_by_label("Agenda from the jury's choice").select_option(
        label=f"Autumn jury {seeded.tail} (2 chosen)"
    )
    staff.get_by_role("button", name="Set up the meeting").click()
    expect(staff.locator("main")).to_contain_text("Meeting set up.")
    agenda = staff.locator("table", has=staff.get_by_role("columnheader", name="Item"))
    expect(agenda.locator("tbody tr")).to_have_count(2)
    expect(agenda.locator("tbody tr").nth(0)).to_contain_text(evening)
    expect(agenda.locator("tbody tr").nth(1)).to_contain_text(dentist)
    expect(agenda).not_to_contain_text(bus)  # shortlisted, not chosen
    step(staff, "assembly-meeting")
    meeting_url = staff.url

    # Who attended: 9 of the 12 panel members, a facilitator, a senior manager.
    staff.get_by_role("link", name="Record attendance").click()
    for name in seeded.member_names[:9]:
        staff.get_by_role("checkbox", name=name, exact=True).check()
    staff.get_by_role("checkbox", name="Facilitator Tester (facilitator)").check()
    staff.get_by_role("button", name="Save attendance").click()
    expect(staff.locator("#attendance")).to_contain_text("9 of 12 panel members attended")
    staff.get_by_label("Name", exact=True).fill(f"Dr Ada Lane {seeded.tail}")
    staff.get_by_label("Role", exact=True).fill("Medical Director")
    staff.get_by_label("Organisation", exact=True).fill("NHS Greater Manchester")
    staff.get_by_role("button", name="Add the senior manager").click()
    expect(staff.locator("main")).to_contain_text(f"Added Dr Ada Lane {seeded.tail}.")
    step(staff, "assembly-attendance")

    # The reply in the room, the panel members' confirmation, an agreed action.
    staff.goto(meeting_url)
    staff.get_by_role("link", name=evening).click()
    staff.get_by_label("Who replied").select_option(
        label=f"Dr Ada Lane {seeded.tail}, Medical Director, NHS Greater Manchester"
    )
    staff.get_by_label("The reply, as given in the room").fill(
        "Two practices will open until 8pm on weekdays from the spring."
    )
    staff.get_by_role("button", name="Record the reply").click()
    expect(staff.locator("main")).to_contain_text("Reply recorded.")
    staff.locator("summary", has_text="Record the panel members' confirmation").click()
    staff.get_by_label("How many said it matches the discussion").fill("8")
    staff.get_by_label("How many disagreed").fill("1")
    staff.get_by_label("What those who disagreed said").fill("Two practices is too few")
    staff.get_by_role("button", name="Record the confirmation").click()
    expect(staff.locator("main")).to_contain_text("Confirmation recorded.")
    staff.get_by_role("button", name="Agree the action").click()  # empty: the summary says why
    expect(staff.get_by_role("alert")).to_contain_text("Enter what will be done")
    step(staff, "assembly-outcome-error")
    staff.get_by_label("What will be done").fill(f"Open two practices until 8pm {seeded.tail}")
    staff.get_by_label("Who owns it").fill("Director of Primary Care")
    fill_date(staff, "due_on", due)
    staff.get_by_role("button", name="Agree the action").click()
    expect(staff.locator("main")).to_contain_text("is on the Stocktake")
    step(staff, "assembly-item")

    staff.goto(meeting_url)
    staff.get_by_role("button", name="Publish the meeting").click()
    expect(staff.locator("main")).to_contain_text("Published")

    # Everyone sees the outcome with its owner and due date; no panel member is named.
    visitor = anonymous_page
    visitor.goto(hub.url + "/assembly")
    step(visitor, "assembly-public-list")
    visitor.get_by_role("link", name=f"Citizens' Assembly {seeded.tail}").click()
    main = visitor.locator("main")
    expect(main).to_contain_text("9 of 12 panel members attended")
    expect(main).to_contain_text("Two practices will open until 8pm on weekdays")
    expect(main).to_contain_text("8 of 9 panel members who confirmed said it matches")
    outcome = main.locator("tr", has_text=f"Open two practices until 8pm {seeded.tail}")
    expect(outcome).to_contain_text("Director of Primary Care")
    expect(outcome).to_contain_text(f"{due.day} {due:%B %Y}")
    expect(outcome).to_contain_text("Planned")
    text = main.inner_text()
    assert not [name for name in seeded.member_names if name in text]
    step(visitor, "assembly-public-meeting")

    # The issue pack: one issue per printed page, no navigation.
    visitor.get_by_role("link", name="The issue pack, to read or print").click()
    expect(visitor.locator("main")).to_contain_text(f"Issue 1: {evening}")
    expect(visitor.locator("main")).to_contain_text("9 people said “me too”")
    expect(visitor.locator("main")).to_contain_text(
        f"The nearest one is 12 miles away {seeded.tail}"
    )
    step(visitor, "assembly-pack")
    visitor.emulate_media(media="print")
    expect(visitor.locator("header.nhsuk-header")).to_be_hidden()
    expect(visitor.locator("footer.nhsuk-footer")).to_be_hidden()
    expect(visitor.locator(".nhsuk-back-link")).to_be_hidden()
    breaks = visitor.locator("section.hub-pack__issue").evaluate_all(
        "sections => sections.map(s => getComputedStyle(s).breakBefore)"
    )
    assert breaks == ["page", "page"]
    assert visitor.pdf(format="A4").startswith(b"%PDF")
    screenshot(visitor, "assembly-pack-print")
