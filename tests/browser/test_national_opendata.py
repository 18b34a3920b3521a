"""The open data pages in Chromium: /data and /data/dictionary axe-clean, with and without
JavaScript, and a CSV download that is the file the link names.

(tests/browser/test_axe_every_page.py plans the hub app's pages only; the aggregator's
pages are checked in their own browser tests, as test_national_voices.py does.)
"""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Browser, Page

from national_aggregator.opendata.services import TABLES
from tests.browser.axe import check_axe, check_axe_without_javascript, screenshot
from tests.browser.test_national_voices import aggregator

__all__ = ["aggregator"]  # the fixture: an aggregator URL with five hubs' October releases


def test_open_data_pages_are_axe_clean(aggregator: str, browser: Browser) -> None:
    context = browser.new_context(locale="en-GB", accept_downloads=True)
    page: Page = context.new_page()
    try:
        page.goto(aggregator + "/")
        page.get_by_role("link", name="Open data", exact=True).click()
        page.wait_for_load_state()
        assert page.locator("h1").inner_text() == "Open data, 2026-10"
        check_axe(page)
        screenshot(page, "national-open-data")

        page.select_option("#region", "North West")
        page.get_by_role("button", name="Show").click()
        page.wait_for_load_state()
        assert page.locator("h1").inner_text() == "Open data, 2026-10, North West"
        check_axe(page)
        with page.expect_download() as download:
            page.locator('a[aria-describedby="table-priorities"]', has_text="CSV").click()
        assert download.value.suggested_filename == (
            "hubnet-priorities-2026-10-01-to-2026-10-31-north-west.csv"
        )
        first = Path(download.value.path()).read_text(encoding="utf-8").splitlines()[0]
        assert first == ",".join(TABLES[0].column_names)

        page.goto(aggregator + "/data?period=2026-13")
        assert page.get_by_role("alert").is_visible()
        check_axe(page)

        page.goto(aggregator + "/data/dictionary")
        assert page.locator("h1").inner_text() == "Data dictionary"
        check_axe(page)
        screenshot(page, "national-data-dictionary")
    finally:
        context.close()


def test_open_data_pages_without_javascript(aggregator: str, browser: Browser) -> None:
    context = browser.new_context(locale="en-GB", java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto(aggregator + "/data")
        page.select_option("#region", "South West")
        page.get_by_role("button", name="Show").click()
        page.wait_for_load_state()
        assert "region=South+West" in page.url
        check_axe_without_javascript(page)
        page.goto(aggregator + "/data/dictionary")
        check_axe_without_javascript(page)
    finally:
        context.close()
