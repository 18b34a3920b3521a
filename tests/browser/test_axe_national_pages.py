"""Every HTML page of the national aggregator, public and staff, passes axe-core in Chromium.

The plan below names a visit for every GET route that answers HTML; a test
fails when a route is added without one, so no national page escapes the
check. Downloads (CSV, JSON, PDF, the Atom feed) are not pages and are listed
as such. The aggregator is the real app on a migrated database holding the
five hubs' summaries of tests/aggregator/test_voices.py and board responses
in every state, served from a thread on a free port.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import Browser
from werkzeug.serving import make_server

from federation.keys import generate_key_pair
from hubnet import totp
from hubnet.db import get_session, upgrade_database
from national_aggregator import create_app
from national_aggregator.db import MIGRATIONS
from national_aggregator.staff.models import Role
from national_aggregator.staff.services import (
    add_staff,
    confirm_totp,
    find_staff,
    issue_password_link,
    start_totp,
)
from tests.aggregator.board_support import record, update
from tests.aggregator.conftest import AUDIENCE
from tests.aggregator.test_voices import post_the_hubs
from tests.browser.axe import check_axe, screenshot
from tests.browser.test_national_voices import _registrar

PASSWORD = "a long national admin passphrase"
ADMIN = "admin@national.example"
NEWCOMER = "new@national.example"
WITH_CODE = "code@national.example"  # two-step sign-in on: signing in reaches the code page
SETTING_UP = "setup@national.example"  # presses "Set up two-step sign-in" (the QR code)
PERIOD = "2026-10"

# Not pages: files and feeds, checked by their own tests.
DOWNLOADS = {
    "/board/feed.atom",
    "/board/pack/<int:size>.json",
    "/board/pack/<int:size>.pdf",
    "/board/pack/<int:size>/<table>.csv",
    "/data/<name>.csv",
    "/data/<name>.json",
    "/data/dictionary.json",
}


@dataclass(frozen=True)
class Visit:
    name: str
    path: str  # may use {response_id}, {size}, {token}, {newcomer_id}
    signed_in: bool = False
    who: str = ADMIN  # whose password signs in (WITH_CODE stops at the code page)
    press: str = ""  # a button to press first, for a state only a form reaches


PLAN: dict[str, list[Visit]] = {
    "/": [Visit("home", "/")],
    "/priorities": [
        Visit("priorities", f"/priorities?period={PERIOD}"),
        Visit("priorities-region", f"/priorities?period={PERIOD}&region=North+West"),
        Visit("priorities-bad-period", "/priorities?period=not-a-period"),
    ],
    "/priorities/themes/<code>": [
        Visit("theme", f"/priorities/themes/mental-health?period={PERIOD}"),
        Visit("theme-unknown", "/priorities/themes/no-such-theme"),
    ],
    "/hidden-voices": [Visit("hidden-voices", f"/hidden-voices?period={PERIOD}")],
    "/data": [Visit("data", f"/data?period={PERIOD}")],
    "/data/dictionary": [Visit("data-dictionary", "/data/dictionary")],
    "/board": [Visit("board", "/board")],
    "/board/responses/<response_id>": [
        Visit("board-response", "/board/responses/{response_id}"),
        Visit("board-response-unknown", "/board/responses/unknown"),
    ],
    "/stocktake": [Visit("stocktake", "/stocktake")],
    "/board/pack": [Visit("board-pack-form", "/board/pack")],
    "/board/pack/<int:size>.html": [
        Visit("board-pack", "/board/pack/{size}.html?meeting=2026-11-19"),
    ],
    "/staff/login": [Visit("staff-login", "/staff/login")],
    "/staff/set-password/<token>": [Visit("staff-set-password", "/staff/set-password/{token}")],
    "/staff/": [Visit("staff-home", "/staff/", signed_in=True)],
    "/staff/account": [
        Visit("staff-account", "/staff/account", signed_in=True),
        Visit(
            "staff-account-totp-set-up",
            "/staff/account",
            signed_in=True,
            who=SETTING_UP,
            press="Set up two-step sign-in",
        ),
    ],
    "/staff/actions": [Visit("staff-actions", "/staff/actions", signed_in=True)],
    "/staff/login/code": [
        Visit("staff-login-code", "/staff/login/code", signed_in=True, who=WITH_CODE)
    ],
    "/staff/users": [Visit("staff-users", "/staff/users", signed_in=True)],
    "/staff/users/new": [Visit("staff-user-new", "/staff/users/new", signed_in=True)],
    "/staff/users/<int:staff_id>": [
        Visit("staff-user", "/staff/users/{newcomer_id}", signed_in=True),
        Visit("staff-user-unknown", "/staff/users/9999", signed_in=True),
    ],
    "/staff/board/": [Visit("staff-board", "/staff/board/", signed_in=True)],
    "/staff/board/responses/new": [
        Visit("staff-board-new", "/staff/board/responses/new", signed_in=True)
    ],
    "/staff/board/responses/<response_id>/update": [
        Visit("staff-board-update", "/staff/board/responses/{response_id}/update", signed_in=True)
    ],
}
VISITS = [visit for visits in PLAN.values() for visit in visits]


@dataclass(frozen=True)
class Served:
    app: Flask
    url: str
    values: dict[str, str]


def _html_routes(app: Flask) -> set[str]:
    return {
        rule.rule
        for rule in app.url_map.iter_rules()
        if "GET" in (rule.methods or ())
        and not rule.rule.startswith("/api/")
        and not rule.endpoint.endswith("static")
    } - DOWNLOADS


@pytest.fixture(scope="module")
def served(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Served]:
    """One aggregator for every visit (the pages only read)."""
    folder = tmp_path_factory.mktemp("national-axe")
    instance = folder / "aggregator"
    generate_key_pair(instance / "log-key.pem", instance / "log-key.pub")
    url = _migrated(folder)
    app: Flask = create_app(
        {"TESTING": True, "INSTANCE_PATH": str(instance), "DATABASE_URL": url,
         "AGGREGATOR_ID": AUDIENCE, "SECRET_KEY": "test",
         "SUBMISSION_RATE_LIMIT": "100000 per minute"}
    )  # fmt: skip
    post_the_hubs(app.test_client(), _registrar(app))
    late = record(app, due=date(2020, 1, 1))
    update(app, late.statement.response_id, update_text="Funding was delayed.",
           progress="stalled", reason="Funding was delayed to next year.")  # fmt: skip
    record(app, theme="dentistry", decision="not-accepted", commitment=None, progress=None,
           due=None, owner=None, reason="Dental contracts are for the DHSC.")  # fmt: skip
    with app.app_context():
        session = get_session()
        add_staff(session, email=ADMIN, name="Admin", role=Role.ADMIN, password=PASSWORD)
        add_staff(session, email=NEWCOMER, name="New", role=Role.ANALYST, password=None)
        newcomer = find_staff(session, NEWCOMER)
        token = issue_password_link(session, newcomer, by=None)
        with_code = add_staff(session, email=WITH_CODE, name="Code", role=Role.ANALYST,
                              password=PASSWORD)  # fmt: skip
        add_staff(session, email=SETTING_UP, name="Setup", role=Role.ANALYST, password=PASSWORD)
        secret = start_totp(session, with_code, secret_key="test")
        confirm_totp(session, with_code, totp.code_at(secret, time.time()), secret_key="test")
        session.commit()
        newcomer_id = str(newcomer.id)
        size = app.test_client().get("/api/v1/log/checkpoint").get_json()["size"]
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        values = {"response_id": late.statement.response_id, "size": str(size), "token": token,
                  "newcomer_id": newcomer_id}  # fmt: skip
        yield Served(app, f"http://127.0.0.1:{server.server_port}", values)
    finally:
        server.shutdown()
        thread.join(timeout=10)
        app.extensions["hubnet.engine"].dispose()


def _migrated(folder: Path) -> str:
    """A migrated SQLite file for the module: the pages only read, so one database serves
    every visit (the per-test factory cannot serve a module fixture)."""
    url = f"sqlite:///{folder / 'aggregator.sqlite3'}"
    upgrade_database(url, MIGRATIONS)
    return url


def test_every_national_page_is_planned(served: Served) -> None:
    assert _html_routes(served.app) == set(PLAN)


@pytest.mark.parametrize("visit", VISITS, ids=[visit.name for visit in VISITS])
def test_national_page_has_no_axe_violations(
    served: Served, browser: Browser, visit: Visit
) -> None:
    context = browser.new_context()
    try:
        page = context.new_page()
        if visit.signed_in:
            page.goto(served.url + "/staff/login")
            page.get_by_label("Email address").fill(visit.who)
            page.get_by_label("Password").fill(PASSWORD)
            page.get_by_role("button", name="Sign in").click()
            assert not page.url.endswith("/staff/login")
        page.goto(served.url + visit.path.format(**served.values))
        if visit.press:
            page.get_by_role("button", name=visit.press).click()
            page.wait_for_load_state()  # the click returns once the new page commits
        assert page.locator("h1").count() == 1, page.content()
        screenshot(page, f"national-{visit.name}")
        check_axe(page)
    finally:
        context.close()
