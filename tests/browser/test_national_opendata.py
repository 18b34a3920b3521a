"""The open data pages in Chromium: /data and /data/dictionary axe-clean, with and without
JavaScript, and a CSV download that is the file the link names.

(tests/browser/test_axe_every_page.py plans the hub app's pages only; the aggregator's
pages are checked in their own browser tests, as test_national_voices.py does.)
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import Browser, Page
from werkzeug.serving import make_server

from federation.keys import generate_key_pair
from hubnet.db import upgrade_database
from national_aggregator import create_app
from national_aggregator.db import MIGRATIONS
from national_aggregator.opendata.services import TABLES
from tests.aggregator.conftest import AUDIENCE
from tests.aggregator.test_voices import post_the_hubs
from tests.browser.axe import check_axe, check_axe_without_javascript, screenshot
from tests.browser.test_national_voices import _registrar
from tests.conftest import DatabaseFactory


@pytest.fixture
def aggregator(tmp_path: Path, make_database_url: DatabaseFactory) -> Iterator[str]:
    """The URL of an aggregator holding the five hubs' summaries for 2026-10."""
    instance = tmp_path / "aggregator"
    generate_key_pair(instance / "log-key.pem", instance / "log-key.pub")
    url = make_database_url("opendata_browser")
    upgrade_database(url, MIGRATIONS)
    app: Flask = create_app(
        {"TESTING": True, "INSTANCE_PATH": str(instance), "DATABASE_URL": url,
         "AGGREGATOR_ID": AUDIENCE, "SECRET_KEY": "test",
         "SUBMISSION_RATE_LIMIT": "100000 per minute"}
    )  # fmt: skip
    post_the_hubs(app.test_client(), _registrar(app))
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        app.extensions["hubnet.engine"].dispose()


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
