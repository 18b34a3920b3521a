"""One real hub, a local SMTP sink, and Chromium, for the browser tests.

The hub is set up and served the way a council would (`hubnet hub init`,
`hubnet hub staff add`, `hubnet hub serve`) on a free port of 127.0.0.1, once for
the whole session, over plain http:// (so its cookies are not marked Secure). Its
mail goes to a local SMTP sink. Chromium is Debian's (`/usr/bin/chromium`); where
it is missing every browser test is skipped, saying so.

Fixtures: `served_hub` (the served hub: url, instance, staff accounts, seeded ids, mail),
`browser` (from tests/conftest.py), `anonymous_page` (a fresh context) and
`staff_page(role)` (a context signed in as that role). Helpers `check_axe` and
`screenshot` are in axe.py.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from playwright.sync_api import Browser, BrowserContext, Page

from federation.keys import save_public_key
from hubnet.config import write_toml
from tests.browser.mailsink import MailSink
from tests.browser.seed import PASSWORD, RESIDENT, add_staff, email_of, seed
from tests.conftest import CHROMIUM, NO_CHROMIUM
from tests.e2e.network import Server, hubnet

HERE = Path(__file__).parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test in this folder is a browser test (`-m "not browser"` leaves them out)."""
    for item in items:
        if HERE in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.browser)


@dataclass
class Hub:
    server: Server
    staff: dict[str, str]  # role → email; every account's password is PASSWORD
    ids: dict[str, Any]  # URL parameter name → a seeded row's id
    mail: MailSink

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def instance(self) -> Path:
        return self.server.instance


def _add_settings(instance: Path, settings: dict[str, Any]) -> None:
    config = instance / "hub.toml"
    with config.open("rb") as handle:
        current = tomllib.load(handle)
    write_toml(config, {**current, **settings}, header="hub for the browser tests")


@pytest.fixture(scope="session")
def served_hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hub]:
    if not CHROMIUM.exists():
        pytest.skip(NO_CHROMIUM)  # before spending half a minute setting up a hub
    root = tmp_path_factory.mktemp("browser-hub")
    instance = root / "hub"
    aggregator_key = root / "aggregator.pub"
    save_public_key(Ed25519PrivateKey.generate().public_key(), aggregator_key)
    server = Server("hub", instance, database_url=f"sqlite:///{instance / 'hub.sqlite3'}")
    hubnet(
        "hub", "init", "--instance", str(instance), "--gss", "E08000003",
        "--name", "Manchester", "--region", "North West", "--population", "551938",
        "--aggregator-url", "http://127.0.0.1:9", "--aggregator-id", "hubnet-browser-tests",
        "--aggregator-public-key", str(aggregator_key), "--database-url", server.database_url,
    )  # fmt: skip
    mail = MailSink(root / "mail")
    _add_settings(
        instance,
        {
            "SESSION_COOKIE_SECURE": False,  # served over http://127.0.0.1
            # The journeys raise and sign in more often than one person would; the limits
            # themselves are tested in tests/hub/test_security.py.
            "RATE_LIMITS_ENABLED": False,
            "PUBLIC_URL": server.url,
            "SMTP_HOST": mail.host,
            "SMTP_PORT": mail.port,
            "SMTP_STARTTLS": False,
            "MAIL_FROM": "hub@hub.example.org",
        },
    )
    staff = add_staff(instance)
    ids = seed(instance)
    mail.start()
    try:
        server.start(probe="/")
        yield Hub(server, staff, ids, mail)
    finally:
        server.stop()
        mail.stop()


@pytest.fixture
def anonymous_page(browser: Browser) -> Iterator[Page]:
    """A page in a new context: a first-time visitor with no cookies."""
    context = browser.new_context(locale="en-GB")
    yield context.new_page()
    context.close()


def sign_in(page: Page, hub: Hub, who: str) -> None:
    """Sign in through the real form: a staff role, or "resident" (a resident's account)."""
    form = "/account/sign-in" if who == RESIDENT else "/staff/login"
    page.goto(hub.url + form)
    page.locator("#email").fill(email_of(who))
    page.locator("#password").fill(PASSWORD)
    page.locator("#password").press("Enter")
    page.wait_for_load_state()
    assert form not in page.url, f"signing in as {who} failed at {page.url}"


@pytest.fixture(scope="session")
def staff_states() -> dict[str, Any]:
    """Each role's signed-in cookies, made once (signing in hashes a password)."""
    return {}


@pytest.fixture
def staff_page(
    browser: Browser, served_hub: Hub, staff_states: dict[str, Any]
) -> Iterator[Callable[[str], Page]]:
    """`staff_page("admin")`: a page in a new context signed in as that role (or "resident")."""
    contexts: list[BrowserContext] = []

    def make(role: str) -> Page:
        context = browser.new_context(locale="en-GB", storage_state=staff_states.get(role))
        contexts.append(context)
        page = context.new_page()
        if role not in staff_states:
            sign_in(page, served_hub, role)
            staff_states[role] = context.storage_state()
        return page

    yield make
    for context in contexts:
        context.close()
