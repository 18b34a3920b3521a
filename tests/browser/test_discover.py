"""Discover in Chromium: a facilitator adds a group, residents find it on "Take part", and the
coverage gap it fills is gone from the gaps table. Each page is checked with axe.

The served hub has two wards (tests/browser/seed.py): Ancoats and Beswick (E05011234) and
Ardwick (E05011235). This module lists one group of its own in Ancoats and Beswick for
people aged 75 and over, so Ardwick and people of mixed ethnic groups start as gaps.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from playwright.sync_api import Page, expect

from hub import create_app
from hub.discover import services
from hub.discover.directory import DirectoryEntry
from hub.voices.profile import demo_profile
from hub.voices.store import save_profile
from hubnet.db import get_session
from tests.browser.axe import check_axe, screenshot
from tests.browser.conftest import Hub

StaffPage = Callable[[str], Page]
ARDWICK = "Ardwick (E05011235)"
MIXED = "Mixed or Multiple ethnic groups (Ethnic group (ONS 2021 high-level groups))"
LISTED = DirectoryEntry(
    id="2c9b8a7d-6e5f-4a3b-9c2d-1e0f9a8b7c61",
    name="Ancoats Older People's Forum",
    kind="vcse",
    how_to_join="Come to the lunch club on Wednesdays.",
    wards=("E05011234",),
    reaches=(("age_band", "75-plus"),),
)


@pytest.fixture(scope="module")
def listed(served_hub: Hub) -> DirectoryEntry:
    """One group of this module's own, added through the services as an operator would."""
    app = create_app({"INSTANCE_PATH": str(served_hub.instance)})
    try:
        with app.app_context():
            db = get_session()
            services.import_entries(db, None, [LISTED], source="the browser tests")
            db.commit()
    finally:
        app.extensions["hubnet.engine"].dispose()
    return LISTED


def gap_row(page: Page, label: str) -> str:
    return page.locator("tr", has=page.locator("th", has_text=label)).inner_text()


def test_a_facilitator_adds_a_group_that_closes_a_gap(
    served_hub: Hub, listed: DirectoryEntry, staff_page: StaffPage, anonymous_page: Page
) -> None:
    save_profile(served_hub.instance, demo_profile("E08000003"), datetime.now(UTC))
    name = f"Ardwick Community Health Voices {uuid.uuid4().hex[:6]}"
    staff = staff_page("facilitator")

    staff.goto(served_hub.url + "/staff/discover/gaps")
    assert "Gap: none" in gap_row(staff, ARDWICK)
    assert "Gap: none" in gap_row(staff, MIXED)
    assert listed.name in gap_row(staff, "Ancoats and Beswick")
    check_axe(staff)

    staff.goto(served_hub.url + "/staff/discover")
    staff.get_by_role("button", name="Add a group").click()
    staff.get_by_role("button", name="Add the group").click()  # nothing filled in
    expect(staff.locator(".nhsuk-error-summary")).to_contain_text("Enter the group's name")
    check_axe(staff)

    staff.get_by_label("Name", exact=True).fill(name)
    staff.get_by_label("Voluntary and community organisation").check()
    staff.get_by_label("How to join (optional)").fill("Come to the community centre on Mondays.")
    staff.get_by_label("Email (optional)").fill("voices@ardwick.example.org")
    staff.get_by_label("Mixed or Multiple ethnic groups").check()
    staff.get_by_label(ARDWICK).check()
    staff.get_by_label("Other topics (optional)").fill("sickle cell, diabetes")
    staff.get_by_role("button", name="Add the group").click()
    expect(staff.locator(".nhsuk-notification-banner")).to_contain_text(f"Added {name}")
    check_axe(staff)
    screenshot(staff, "discover-staff-list")

    resident = anonymous_page
    resident.goto(served_hub.url + "/take-part")
    expect(resident.get_by_role("heading", name=name)).to_be_visible()
    resident.get_by_label("Ward").select_option(label="Ardwick")
    resident.get_by_role("button", name="Show groups").click()
    expect(resident.get_by_role("heading", name=name)).to_be_visible()
    expect(resident.get_by_role("heading", name=listed.name)).to_have_count(0)
    expect(resident.locator("main")).to_contain_text("Come to the community centre on Mondays.")
    check_axe(resident)
    screenshot(resident, "discover-take-part")

    staff.goto(served_hub.url + "/staff/discover/gaps")
    assert "Gap: none" not in gap_row(staff, ARDWICK)
    assert name in gap_row(staff, ARDWICK)
    assert name in gap_row(staff, MIXED)
    check_axe(staff)
    screenshot(staff, "discover-gaps")


def test_the_import_and_remove_pages_are_axe_clean(
    served_hub: Hub, listed: DirectoryEntry, staff_page: StaffPage
) -> None:
    staff = staff_page("facilitator")

    staff.goto(served_hub.url + "/staff/discover/import")
    staff.get_by_role("button", name="Import", exact=True).click()  # no file chosen
    expect(staff.locator(".nhsuk-error-summary")).to_contain_text("choose a file to import")
    check_axe(staff)

    staff.goto(served_hub.url + f"/staff/discover/{listed.id}/remove")
    expect(staff.get_by_role("heading", level=1)).to_contain_text(listed.name)
    check_axe(staff)
