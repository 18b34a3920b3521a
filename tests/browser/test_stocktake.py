"""The Stocktake in Chromium: a late action, a stalled one with its reason, and the pack.

A facilitator adds an action whose due date has passed and stalls another,
giving the reason, through the staff pages; the public Stocktake and the
printable pack both show the first as late and the second with its reason,
and the pack printed has no navigation and starts each section on a new page.
This module's own actions are made with the hub's services in the served
hub's database (a done one with a dated update). Each page is checked with axe.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect

from hub import create_app
from hub.routing.services import england_today
from hub.staff.models import StaffUser
from hub.stocktake import services
from hubnet.db import get_session
from tests.browser.axe import check_axe, screenshot
from tests.browser.conftest import Hub
from tests.browser.seed import email_of

StaffPage = Callable[[str], Page]


@dataclass
class Actions:
    to_stall_id: int
    to_stall: str
    done: str
    tail: str


@pytest.fixture(scope="module")
def actions(served_hub: Hub) -> Actions:
    """An action to stall (due next month) and a done one with its dated update."""
    tail = uuid.uuid4().hex[:6]
    today = england_today()
    app = create_app({"INSTANCE_PATH": str(served_hub.instance)})
    try:
        with app.app_context():
            db = get_session()
            facilitator = db.query(StaffUser).filter_by(email=email_of("facilitator")).one()
            to_stall = services.add_action(
                db,
                facilitator,
                title=f"Open a Saturday clinic in Ardwick {tail}",
                owner="Primary Care Director",
                due_on=today + timedelta(days=30),
                source="other",
            )
            done = services.add_action(
                db,
                facilitator,
                title=f"Fix the lift at the health centre {tail}",
                owner="Estates manager",
                due_on=today - timedelta(days=3),
                source="other",
            )
            services.add_update(
                db,
                facilitator,
                done,
                status="done",
                note="The lift works again.",
                written_on=today - timedelta(days=2),
            )
            made = Actions(to_stall.id, to_stall.title, done.title, tail)
            db.commit()
            return made
    finally:
        app.extensions["hubnet.engine"].dispose()


def step(page: Page, name: str) -> None:
    check_axe(page)
    screenshot(page, name)


def in_section(page: Page, heading_id: str, title: str) -> None:
    section = page.locator("section", has=page.locator(f"#{heading_id}"))
    expect(section.get_by_role("heading", name=title)).to_be_visible()


def test_a_late_action_and_a_stall_with_its_reason_on_the_stocktake_and_pack(
    served_hub: Hub, staff_page: StaffPage, actions: Actions, anonymous_page: Page
) -> None:
    hub = served_hub
    today = england_today()
    overdue = today - timedelta(days=14)
    late_title = f"Publish respite care waiting times {actions.tail}"
    reason = f"The building's lease fell through {actions.tail}."

    # A facilitator adds an action that was due a fortnight ago.
    staff = staff_page("facilitator")
    staff.goto(hub.url + "/staff/stocktake")
    step(staff, "stocktake-staff-list")
    staff.get_by_role("button", name="Add an action").click()
    staff.get_by_role("button", name="Add the action").click()  # empty: the summary says why
    expect(staff.get_by_role("alert")).to_contain_text("Enter what will be done")
    step(staff, "stocktake-new-error")
    staff.get_by_label("What will be done").fill(late_title)
    staff.get_by_label("Who owns it").fill("Director of Adult Social Care")
    staff.locator("#due_on-day").fill(str(overdue.day))
    staff.locator("#due_on-month").fill(str(overdue.month))
    staff.locator("#due_on-year").fill(str(overdue.year))
    staff.get_by_role("button", name="Add the action").click()
    expect(staff.locator("main")).to_contain_text(f"Added “{late_title}” to the Stocktake.")
    expect(staff.locator("main")).to_contain_text("Late")
    step(staff, "stocktake-action")

    # The staff list flags it late.
    staff.goto(hub.url + "/staff/stocktake")
    row = staff.locator("tr", has=staff.get_by_role("link", name=late_title))
    expect(row).to_contain_text("Late")
    expect(row).to_contain_text("Director of Adult Social Care")

    # Another action stalls: the reason is required, then kept.
    staff.goto(f"{hub.url}/staff/stocktake/{actions.to_stall_id}")
    staff.get_by_label("Stalled").check()
    staff.get_by_role("button", name="Add the update").click()
    expect(staff.get_by_role("alert")).to_contain_text("Say why it has stalled")
    staff.get_by_label("Stalled").check()
    staff.get_by_label("What has happened").fill(reason)
    staff.get_by_role("button", name="Add the update").click()
    expect(staff.locator("main")).to_contain_text("is stalled")
    expect(staff.locator("main")).to_contain_text(reason)
    step(staff, "stocktake-stalled")

    # Everyone sees it on the Stocktake: late, stalled and why, what changed.
    visitor = anonymous_page
    visitor.goto(hub.url + "/stocktake")
    in_section(visitor, "late", late_title)
    late_section = visitor.locator("section", has=visitor.locator("#late"))
    expect(late_section.locator(".nhsuk-tag", has_text="Late").first).to_be_visible()
    in_section(visitor, "stalled", actions.to_stall)
    stalled_section = visitor.locator("section", has=visitor.locator("#stalled"))
    expect(stalled_section).to_contain_text(f"Why it stalled: {reason}")
    in_section(visitor, "changed", actions.done)
    expect(visitor.locator("section", has=visitor.locator("#changed"))).to_contain_text(
        "The lift works again."
    )
    step(visitor, "stocktake-public")

    # The pack shows the same, dated the day it was made, and prints without navigation.
    visitor.get_by_role("link", name="The Stocktake pack to print for the next meeting").click()
    made_on = f"Made on {today.day} {today:%B %Y}"
    expect(visitor.locator("main")).to_contain_text(made_on)
    in_section(visitor, "late", late_title)
    in_section(visitor, "stalled", actions.to_stall)
    expect(visitor.locator("section", has=visitor.locator("#stalled"))).to_contain_text(reason)
    step(visitor, "stocktake-pack")

    visitor.emulate_media(media="print")
    expect(visitor.locator("header.nhsuk-header")).to_be_hidden()
    expect(visitor.locator("footer.nhsuk-footer")).to_be_hidden()
    expect(visitor.locator("main")).to_contain_text(made_on)
    breaks = visitor.locator("section.hub-stocktake-section").evaluate_all(
        "sections => sections.map(s => getComputedStyle(s).breakBefore)"
    )
    assert breaks == ["page"] * 4
    pdf = visitor.pdf(format="A4")
    pages = re.findall(rb"/Type\s*/Page(?!s)", pdf)
    assert len(pages) >= 5  # the title page and figures, then each of the 4 sections on its own
    screenshot(visitor, "stocktake-pack-print")
