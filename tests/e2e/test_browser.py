"""A resident uses a hub's pages in a real browser (Debian's Chromium), with
JavaScript switched off, and the national team reads the priorities page."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser

from tests.e2e.conftest import Network
from tests.e2e.network import backdate, hubnet, last_full_month, raise_as_new_person

pytestmark = pytest.mark.e2e


def test_a_resident_raises_an_issue_and_a_neighbour_says_me_too(
    browser: Browser, network: Network
) -> None:
    hub = network.hubs["E06000052"].url  # served with MODERATION = "post": on show at once
    resident = browser.new_context(java_script_enabled=False).new_page()

    resident.goto(f"{hub}/raise")
    resident.get_by_role("button", name="Start now").click()  # a link styled as a button
    # one question per page (NHS.UK question pages); an unanswered question says what to do
    resident.get_by_role("button", name="Continue").click()
    summary = resident.get_by_role("alert")
    assert "There is a problem" in summary.inner_text()
    # each message links to its field, as the NHS.UK error summary does
    summary.get_by_role(
        "link", name="Choose an idea, a concern, a question or an experience"
    ).click()
    assert resident.url.endswith("#kind")

    resident.get_by_label("A concern").check()
    resident.get_by_role("button", name="Continue").click()
    resident.get_by_label("Dentistry").check()
    resident.get_by_role("button", name="Continue").click()
    resident.get_by_label("Title").fill("No NHS dentist taking patients near Bodmin")
    resident.get_by_label("Tell us more").fill("I have been on a waiting list for three years.")
    resident.get_by_role("button", name="Continue").click()
    resident.get_by_label("I agree to keep to the values").check()
    resident.get_by_role("button", name="Continue").click()
    assert "About you (optional)" in resident.get_by_role("heading", level=1).inner_text()
    resident.get_by_role("button", name="Continue").click()  # every question may be left out
    resident.get_by_label("No, keep my words on this hub").check()
    resident.get_by_role("button", name="Continue").click()

    assert resident.get_by_role("heading", level=1).inner_text() == (
        "Check your answers before sending"
    )
    assert "No NHS dentist taking patients near Bodmin" in resident.content()
    resident.get_by_role("button", name="Send").click()

    assert "has been sent" in resident.get_by_role("heading", level=1).inner_text()
    assert "/your-part/" in resident.locator("#private-link ~ div a").inner_text()
    resident.get_by_role("link", name="on the hub now").click()
    assert resident.get_by_role("heading", level=1).inner_text() == (
        "No NHS dentist taking patients near Bodmin"
    )
    item_url = resident.url
    assert "You raised this" in resident.content()

    neighbour = browser.new_context(java_script_enabled=False).new_page()
    neighbour.goto(item_url)
    neighbour.get_by_role("button", name="Me too").click()
    neighbour.wait_for_load_state()  # the click returns once the next page commits
    assert neighbour.locator("#supporters").inner_text() == "1 person has said “me too”."
    assert "You have said “me too” to this" in neighbour.content()


def test_the_national_priorities_page_reads_as_a_table(browser: Browser, network: Network) -> None:
    manchester = network.hubs["E08000003"]
    for _ in range(8):
        raise_as_new_person(manchester.url, "mental-health")
    period = last_full_month()
    backdate(manchester, period)
    hubnet("hub", "push", "--instance", str(manchester.instance), "--period", period.label)
    page = browser.new_context(java_script_enabled=False).new_page()

    page.goto(f"{network.aggregator.url}/priorities?period={period.label}")

    assert page.locator("html").get_attribute("lang") == "en-GB"
    table = page.get_by_role("table", name="Themes ranked by people raising or supporting them")
    assert table.locator("caption").is_visible()
    first_row = table.locator("tbody tr").first.inner_text()
    assert "Mental health" in first_row
    assert "10" in first_row.split()  # 8 people, rounded to the nearest 5
    assert "Cornwall" in page.get_by_text("No summary").inner_text()
