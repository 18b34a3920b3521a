"""The national board pages in Chromium: axe-clean, and the board secretary's forms work
without JavaScript.

The aggregator is the real app on a fresh, migrated database, served on a free
port of 127.0.0.1 from a thread (werkzeug). Its board responses are recorded
with the service the staff form uses; the secretary's journey goes through the
real forms.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import Browser, Page, expect
from werkzeug.serving import make_server

from federation.keys import generate_key_pair
from hubnet.db import get_session, upgrade_database
from national_aggregator import create_app
from national_aggregator.db import MIGRATIONS
from national_aggregator.staff.models import Role
from national_aggregator.staff.services import add_staff
from tests.aggregator.board_support import record, update
from tests.browser.axe import check_axe, check_axe_without_javascript, screenshot
from tests.conftest import DatabaseFactory

PASSWORD = "correct horse battery"


@dataclass(frozen=True)
class Aggregator:
    url: str
    response_id: str


@pytest.fixture
def aggregator(tmp_path: Path, make_database_url: DatabaseFactory) -> Iterator[Aggregator]:
    instance = tmp_path / "aggregator"
    generate_key_pair(instance / "log-key.pem", instance / "log-key.pub")
    url = make_database_url("board_browser")
    upgrade_database(url, MIGRATIONS)
    app: Flask = create_app(
        {"TESTING": True, "INSTANCE_PATH": str(instance), "DATABASE_URL": url,
         "AGGREGATOR_ID": "hubnet-browser", "SECRET_KEY": "test"}
    )  # fmt: skip
    late = record(app, due=date(2020, 1, 1))
    update(app, late.statement.response_id, update_text="Funding was delayed.",
           progress="stalled", reason="Funding was delayed to next year.")  # fmt: skip
    record(app, theme="cancer", decision="under-consideration", commitment=None, progress=None,
           owner="National Cancer Director", due=date(2027, 3, 31))  # fmt: skip
    record(app, theme="dentistry", decision="not-accepted", commitment=None, progress=None,
           due=None, owner=None, reason="Dental contracts are for the DHSC.")  # fmt: skip
    with app.app_context():
        add_staff(get_session(), email="sec@example.org", name="Sec",
                  role=Role.BOARD_SECRETARY, password=PASSWORD)  # fmt: skip
        get_session().commit()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Aggregator(f"http://127.0.0.1:{server.server_port}", late.statement.response_id)
    finally:
        server.shutdown()
        thread.join(timeout=10)
        app.extensions["hubnet.engine"].dispose()


def test_the_public_board_pages_are_axe_clean(aggregator: Aggregator, browser: Browser) -> None:
    context = browser.new_context(locale="en-GB")
    page: Page = context.new_page()
    try:
        for path, heading, name in [
            ("/board", "What the board said", "national-board"),
            (f"/board/responses/{aggregator.response_id}", "GP access", "national-board-response"),
            ("/stocktake", "National Stocktake", "national-stocktake"),
        ]:
            page.goto(aggregator.url + path)
            assert heading.lower() in page.locator("h1").inner_text().lower()
            check_axe(page)
            screenshot(page, name)
        page.goto(aggregator.url + "/board/responses/unknown")
        check_axe(page)
    finally:
        context.close()


def test_the_board_secretary_records_and_updates_without_javascript(
    aggregator: Aggregator, browser: Browser
) -> None:
    context = browser.new_context(locale="en-GB", java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto(aggregator.url + "/staff/login")
        page.fill("#email", "sec@example.org")
        page.fill("#password", PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.goto(aggregator.url + "/staff/board/")
        check_axe_without_javascript(page)
        page.goto(aggregator.url + "/staff/board/responses/new")
        check_axe_without_javascript(page)

        page.get_by_role("button", name="Sign and publish the response").click()
        expect(page.get_by_role("alert")).to_be_visible()  # the error summary
        check_axe_without_javascript(page)

        page.select_option("#theme", "maternity")
        page.fill("#period", "2026-Q4")
        page.fill("#meeting", "2027-01-14")
        page.get_by_role("radio", name="Accepted", exact=True).check()
        page.fill("#response", "Maternity units will publish waiting times.")
        page.fill("#commitment", "Every unit publishes its waits monthly.")
        page.fill("#owner", "Chief Midwifery Officer")
        page.fill("#due", "2027-12-31")
        page.get_by_role("radio", name="On track", exact=True).check()
        page.get_by_role("button", name="Sign and publish the response").click()
        expect(page.locator("h1")).to_contain_text("Maternity")
        expect(page.get_by_role("status")).to_be_visible()

        page.goto(aggregator.url + f"/staff/board/responses/{aggregator.response_id}/update")
        check_axe_without_javascript(page)
        page.fill("#update", "Work restarted in April.")
        page.get_by_role("radio", name="On track", exact=True).check()
        page.fill("#reason", "")
        page.get_by_role("button", name="Sign and publish the update").click()
        # The click returns once the next page commits, before it has loaded: expect waits.
        expect(page.locator("main")).to_contain_text("Work restarted in April.")
        check_axe_without_javascript(page)
    finally:
        context.close()
