"""The board pack in Chromium: the form and the printable pack are axe-clean, work without
JavaScript, and print (Chromium's own PDF of the page, beside WeasyPrint's).

The aggregator is the real app on a fresh, migrated database, served on a free port of
127.0.0.1 from a thread (werkzeug), holding the five hubs' real releases of
tests/aggregator/test_voices.py. (The aggregator's pages are planned here rather than in
test_axe_every_page.py, which plans the hub's pages, as the other national pages are.)
"""

from __future__ import annotations

from playwright.sync_api import Browser

from tests.browser.axe import check_axe, check_axe_without_javascript, screenshot
from tests.browser.test_national_voices import aggregator

__all__ = ["aggregator"]  # the fixture: an aggregator URL with five hubs' October releases


def test_the_form_and_the_pack_are_axe_clean(aggregator: str, browser: Browser) -> None:
    context = browser.new_context(locale="en-GB")
    page = context.new_page()
    try:
        page.goto(aggregator + "/board/pack")
        assert page.locator("h1").inner_text() == "Board pack"
        check_axe(page)
        page.get_by_role("button", name="Build the pack").click()  # no meeting date yet
        page.wait_for_load_state()
        assert page.get_by_role("alert").is_visible()
        check_axe(page)
        page.select_option("#period", "2026-10")
        page.fill("#meeting", "2026-11-19")
        page.get_by_role("button", name="Build the pack").click()
        page.wait_for_load_state()
        assert "/board/pack/" in page.url and ".html?" in page.url
        assert "2026-11-19" in page.locator("h1").inner_text()
        check_axe(page)
        screenshot(page, "national-board-pack")
        page.emulate_media(media="print")
        assert not page.get_by_role("link", name="PDF").is_visible()
        assert page.pdf().startswith(b"%PDF")
    finally:
        context.close()


def test_the_pack_without_javascript(aggregator: str, browser: Browser) -> None:
    context = browser.new_context(locale="en-GB", java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto(aggregator + "/board/pack")
        page.select_option("#region", "North West")
        page.fill("#meeting", "2026-11-19")
        page.get_by_role("button", name="Build the pack").click()
        page.wait_for_load_state()
        assert "region=North+West" in page.url
        assert page.get_by_role("heading", name="1. Top priorities").is_visible()
        check_axe_without_javascript(page)
    finally:
        context.close()
