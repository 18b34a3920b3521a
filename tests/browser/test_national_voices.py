"""The national hidden-voices page in Chromium: axe-clean, readable without JavaScript.

The aggregator is the real app on a fresh, migrated database, served on a
free port of 127.0.0.1 from a thread (werkzeug), with real released bodies
from five hubs (tests/aggregator/test_voices.py) signed and posted to it.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import Browser, Page
from werkzeug.serving import make_server

from federation.keys import generate_key_pair, generate_private_key
from hubnet.db import get_session, upgrade_database
from national_aggregator import create_app
from national_aggregator.db import MIGRATIONS, utcnow
from national_aggregator.log import log_signer
from national_aggregator.registry.schemas import NewHub
from national_aggregator.registry.services import register_hub
from tests.aggregator.conftest import AUDIENCE, RegisterHub, SigningHub
from tests.aggregator.test_voices import post_the_hubs
from tests.browser.axe import check_axe, check_axe_without_javascript, screenshot
from tests.conftest import DatabaseFactory


@pytest.fixture
def aggregator(tmp_path: Path, make_database_url: DatabaseFactory) -> Iterator[str]:
    """The URL of an aggregator holding the five hubs' summaries for 2026-10."""
    instance = tmp_path / "aggregator"
    generate_key_pair(instance / "log-key.pem", instance / "log-key.pub")
    url = make_database_url("voices_browser")
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


def _registrar(app: Flask) -> RegisterHub:
    """Register a hub with a new key, as the aggregator tests' `register` fixture does."""

    def make(gss: str, name: str, region: str, population: int) -> SigningHub:
        private_key = generate_private_key()
        with app.app_context():
            session = get_session()
            new = NewHub(gss=gss, name=name, region=region, population=population)
            register_hub(session, new, private_key.public_key(), utcnow(), signer=log_signer())
            session.commit()
        return SigningHub(gss=gss, name=name, private_key=private_key)

    return make


def test_hidden_voices_page_is_axe_clean(aggregator: str, browser: Browser) -> None:
    context = browser.new_context(locale="en-GB")
    page: Page = context.new_page()
    try:
        page.goto(aggregator + "/hidden-voices?period=2026-10")
        assert page.locator("h1").inner_text() == "Hidden voices, 2026-10"
        assert page.get_by_role("img", name="Hubs flagging each group").is_visible()
        check_axe(page)
        screenshot(page, "national-hidden-voices")

        page.select_option("#region", "North West")
        page.get_by_role("button", name="Show").click()
        page.wait_for_load_state()
        assert page.locator("h1").inner_text() == "Hidden voices, 2026-10, North West"
        check_axe(page)

        page.goto(aggregator + "/hidden-voices?period=2026-13")
        assert page.get_by_role("alert").is_visible()
        check_axe(page)
    finally:
        context.close()


def test_hidden_voices_page_without_javascript(aggregator: str, browser: Browser) -> None:
    context = browser.new_context(locale="en-GB", java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto(aggregator + "/hidden-voices")
        page.select_option("#region", "South West")
        page.get_by_role("button", name="Show").click()
        page.wait_for_load_state()
        assert "region=South+West" in page.url
        assert page.get_by_role("cell", name="1", exact=True).first.is_visible()
        check_axe_without_javascript(page)
    finally:
        context.close()
