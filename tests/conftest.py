"""Fixtures every test package shares: a fresh, real database per test, and one Chromium.

By default each test gets its own SQLite file. With HUBNET_TEST_DATABASE_URL
set to a PostgreSQL server URL (as `.ci/run` does), each test gets its own
freshly created PostgreSQL database on that server, dropped afterwards, so the
suite exercises the production database with the same isolation.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, sync_playwright
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

DatabaseFactory = Callable[[str], str]

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
NO_CHROMIUM = "Chromium is not installed (apt-get install chromium); `make test` installs it"


def _postgres_admin_url() -> str | None:
    url = os.environ.get("HUBNET_TEST_DATABASE_URL", "").strip()
    return url or None


@pytest.fixture
def make_database_url(tmp_path: Path) -> Iterator[DatabaseFactory]:
    """Call with a short name; returns the URL of a new, empty database."""
    admin = _postgres_admin_url()
    created: list[str] = []

    def make(name: str) -> str:
        if admin is None:
            return f"sqlite:///{tmp_path / f'{name}.sqlite3'}"
        database = f"hubnet_t_{name}_{uuid.uuid4().hex[:10]}"
        engine = create_engine(_psycopg(admin), isolation_level="AUTOCOMMIT")
        with engine.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{database}"'))
        engine.dispose()
        created.append(database)
        return (
            make_url(_psycopg(admin)).set(database=database).render_as_string(hide_password=False)
        )

    yield make

    if admin is not None and created:
        engine = create_engine(_psycopg(admin), isolation_level="AUTOCOMMIT")
        with engine.connect() as connection:
            for database in created:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
        engine.dispose()


def _psycopg(url: str) -> str:
    if url.startswith("postgresql://"):
        return "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return url


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Debian's Chromium, headless, started once for the whole run.

    One Playwright driver per run: Playwright's sync API refuses to start a second
    driver while another is open in the same thread, so every browser test
    (tests/browser and tests/e2e) shares this one.
    """
    if not CHROMIUM.exists():
        pytest.skip(NO_CHROMIUM)
    with sync_playwright() as driver:
        launched = driver.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS)
        yield launched
        launched.close()
