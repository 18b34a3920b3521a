"""Citizens' Jury draws in Chromium: a resident joins the pool, a facilitator draws a jury, and
anyone reads how it was drawn. Each page is checked with axe.

The module seeds 60 volunteers of its own into the served hub's pool with the hub's services
(answers shared out like the demo's, `hub.panels.demo.demo_answers`, for the demo area's
illustrative profile, which the test saves as the hub's profile, as tests/browser/test_discover.py
does). Other modules may add volunteers too; more volunteers never stop a panel being drawn.
"""

from __future__ import annotations

import random
import re
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import pytest
from playwright.sync_api import Browser, Page, expect

from hub import create_app
from hub.panels.demo import demo_answers
from hub.panels.services import add_volunteer
from hub.voices.profile import demo_profile
from hub.voices.store import save_profile
from hubnet.db import get_session
from tests.browser.axe import check_axe, check_axe_without_javascript, screenshot
from tests.browser.conftest import Hub

StaffPage = Callable[[str], Page]
GSS = "E08000003"


@pytest.fixture(scope="module")
def pool(served_hub: Hub) -> list[str]:
    """60 volunteers of this module's own; returns their names (never to be seen in public)."""
    profile = demo_profile(GSS)
    save_profile(served_hub.instance, profile, datetime.now(UTC))
    rng = random.Random("browser panels")
    tail = uuid.uuid4().hex[:6]
    names = []
    app = create_app({"INSTANCE_PATH": str(served_hub.instance)})
    try:
        with app.app_context():
            db = get_session()
            for i, answers in enumerate(demo_answers(profile, rng)):
                name = f"Pooled Tester{i} {tail}"
                add_volunteer(
                    db, name=name, email=f"pooled{i}.{tail}@example.org", phone=None,
                    ward_code=None, about_you=answers, support_needs=None, consent=True,
                )  # fmt: skip
                names.append(name)
            db.commit()
    finally:
        app.extensions["hubnet.engine"].dispose()
    return names


@pytest.fixture
def resident(browser: Browser) -> Iterator[Page]:
    """A visitor with JavaScript switched off: the volunteer form must work without it."""
    context = browser.new_context(locale="en-GB", java_script_enabled=False)
    yield context.new_page()
    context.close()


def test_a_resident_joins_the_pool_and_can_leave(served_hub: Hub, resident: Page) -> None:
    page = resident
    page.goto(served_hub.url + "/take-part/volunteer")
    expect(page.locator("h1")).to_have_text("Join the pool for Citizens' Juries and Assemblies")
    check_axe_without_javascript(page)

    page.get_by_role("button", name="Join the pool").click()  # nothing filled in
    summary = page.locator(".nhsuk-error-summary")
    expect(summary).to_contain_text("Enter your name")
    expect(summary).to_contain_text("Enter an email address or a phone number")
    expect(summary).to_contain_text("Confirm that you agree")
    check_axe_without_javascript(page)

    page.get_by_label("Your name").fill("Rosa Resident")
    page.get_by_label("Phone number").fill("07700 900123")
    page.get_by_label("Your ward (optional)").select_option(label="Ardwick")
    page.get_by_role("group", name="How old are you?").get_by_label("45 to 54").check()
    page.get_by_role("group", name="Are you disabled?").get_by_label("Prefer not to say").check()
    page.get_by_label("Is there anything you would need to take part?").fill("A hearing loop")
    page.get_by_label("I agree to the hub keeping these details").check()
    page.get_by_role("button", name="Join the pool").click()

    expect(page.locator("h1")).to_have_text("Thank you: you have joined the pool")
    number = page.locator(".nhsuk-card__description strong").inner_text()
    assert re.fullmatch(r"V-\d{4}", number)
    check_axe_without_javascript(page)
    screenshot(page, "panels-volunteered")

    page.locator("#withdraw-link ~ .nhsuk-inset-text a").click()
    expect(page.locator("h1")).to_contain_text("Leave the pool")
    check_axe_without_javascript(page)
    page.get_by_role("button", name="Leave the pool").click()
    expect(page.locator("h1")).to_have_text("You have left the pool")
    check_axe_without_javascript(page)


def test_a_facilitator_draws_a_jury_and_anyone_can_see_how(
    served_hub: Hub, pool: list[str], staff_page: StaffPage, anonymous_page: Page
) -> None:
    staff = staff_page("facilitator")
    staff.goto(served_hub.url + "/staff/panels")
    expect(staff.locator("main")).to_contain_text("volunteers in the pool")
    check_axe(staff)

    staff.get_by_role("button", name="Draw a panel").click()
    seed = staff.get_by_label("Seed")
    assert re.fullmatch(r"\d{4}-\d\d-\d\d-[0-9a-f]{8}", seed.input_value())  # a suggestion
    title = f"Citizens' Jury, spring 2027 {uuid.uuid4().hex[:6]}"
    staff.get_by_label("Title").fill(title)
    staff.get_by_label("Panel size").fill("500")
    staff.get_by_role("button", name="Draw the panel").click()  # more than the pool
    expect(staff.locator(".nhsuk-error-summary")).to_contain_text(
        "No panel of this size meets the quotas"
    )
    expect(staff.locator("#reasons")).to_contain_text("fewer than the panel of 500")
    check_axe(staff)

    staff.get_by_label("Panel size").fill("12")
    seed.fill("published in the March meeting papers")
    staff.get_by_label("Black, Black British, Black Welsh, Caribbean or African").check()
    staff.get_by_role("button", name="Draw the panel").click()
    expect(staff.locator(".nhsuk-notification-banner")).to_contain_text(f"Drawn: {title}")
    panel = staff.locator("table").first
    expect(panel.locator("caption")).to_have_text("The panel (12)")
    drawn_names = [name for name in pool if name in panel.inner_text()]
    assert drawn_names, "the staff page names who was drawn"
    check_axe(staff)
    screenshot(staff, "panels-drawn-staff")

    staff.get_by_role("link", name="The public report").click()
    report_url = staff.url
    public = anonymous_page
    public.goto(report_url)
    expect(public.locator("h1")).to_have_text(f"{title}: how it was drawn")
    main = public.locator("main")
    expect(main).to_contain_text("published in the March meeting papers")
    expect(main).to_contain_text("maximin method")
    quotas = public.locator("#quotas + table")
    black = quotas.locator("tr", has=public.locator("th", has_text="Black, Black British"))
    cells = black.locator("td").all_inner_texts()
    low, high = (int(n) for n in cells[0].split(" to "))
    assert low <= int(cells[1]) <= high and low >= 1  # oversampled: at least one seat
    chances = public.locator("#probabilities ~ table tbody tr")
    assert chances.count() >= 60
    numbers = [row.locator("th").inner_text() for row in chances.all()]
    assert numbers == sorted(numbers)
    minimum = public.locator("#minimum-probability").inner_text()
    assert float(minimum.split("%")[0]) > 0
    text = main.inner_text()
    assert not any(name in text for name in pool) and "@example.org" not in text
    check_axe(public)
    screenshot(public, "panels-report")

    public.get_by_role("link", name="All draws").click()
    expect(public.locator("main")).to_contain_text(title)
    check_axe(public)
    public.go_back()
    with public.expect_download() as download:
        public.get_by_role("link", name="Download this report as JSON").click()
    assert download.value.suggested_filename.endswith(".json")
