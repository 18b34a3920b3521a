"""Fixtures every test package shares: a fresh, real database per test, and one Chromium.

By default each test gets its own SQLite file. With HUBNET_TEST_DATABASE_URL
set to a PostgreSQL server URL (as `.ci/run` does), each test gets its own
freshly created PostgreSQL database on that server, dropped afterwards, so the
suite exercises the production database with the same isolation.

Most tests want a database already at the newest migration
(`make_migrated_database_url`). Running every migration for every test cost
a tenth of a second on SQLite and a third on PostgreSQL, minutes over the
suite, so each run migrates one template per app and copies it: SQLite with
the backup API, PostgreSQL with `CREATE DATABASE … TEMPLATE`, both exact copies.
The migrations themselves are still run from empty by the migration tests.
"""

from __future__ import annotations

import os
import sqlite3
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, sync_playwright
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from hubnet.db import upgrade_database

DatabaseFactory = Callable[[str], str]
MigratedDatabaseFactory = Callable[[str, Path], str]

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


def _create_postgres_database(admin: str, name: str, *, template: str | None = None) -> str:
    """Create a database on the test server; returns its name."""
    database = f"hubnet_t_{name}_{uuid.uuid4().hex[:10]}"
    clause = "" if template is None else f' TEMPLATE "{template}"'
    engine = create_engine(_psycopg(admin), isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{database}"{clause}'))
    engine.dispose()
    return database


def _drop_postgres_databases(admin: str, databases: list[str]) -> None:
    engine = create_engine(_psycopg(admin), isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        for database in databases:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
    engine.dispose()


def _postgres_url(admin: str, database: str) -> str:
    return make_url(_psycopg(admin)).set(database=database).render_as_string(hide_password=False)


@pytest.fixture
def make_database_url(tmp_path: Path) -> Iterator[DatabaseFactory]:
    """Call with a short name; returns the URL of a new, empty database."""
    admin = _postgres_admin_url()
    created: list[str] = []

    def make(name: str) -> str:
        if admin is None:
            return f"sqlite:///{tmp_path / f'{name}.sqlite3'}"
        database = _create_postgres_database(admin, name)
        created.append(database)
        return _postgres_url(admin, database)

    yield make

    if admin is not None and created:
        _drop_postgres_databases(admin, created)


@pytest.fixture(scope="session")
def _migrated_templates(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[Path, str]]:
    """One database per migrations folder, migrated to head once per run (see the module doc)."""
    admin = _postgres_admin_url()
    templates: dict[Path, str] = {}
    yield templates
    if admin is not None and templates:
        _drop_postgres_databases(admin, list(templates.values()))


@pytest.fixture
def make_migrated_database_url(
    tmp_path: Path,
    tmp_path_factory: pytest.TempPathFactory,
    _migrated_templates: dict[Path, str],
) -> Iterator[MigratedDatabaseFactory]:
    """Call with a short name and an app's MIGRATIONS; returns a new database at head."""
    admin = _postgres_admin_url()
    created: list[str] = []

    def template_for(migrations: Path) -> str:
        if migrations not in _migrated_templates:
            if admin is None:
                folder = tmp_path_factory.mktemp("migrated")
                template = str(folder / f"{migrations.parent.name}.sqlite3")
                upgrade_database(f"sqlite:///{template}", migrations)
            else:
                template = _create_postgres_database(admin, "template")
                upgrade_database(_postgres_url(admin, template), migrations)
            _migrated_templates[migrations] = template
        return _migrated_templates[migrations]

    def make(name: str, migrations: Path) -> str:
        template = template_for(migrations)
        if admin is None:
            target = tmp_path / f"{name}.sqlite3"
            source, copy = sqlite3.connect(template), sqlite3.connect(target)
            try:
                source.backup(copy)
            finally:
                source.close()
                copy.close()
            return f"sqlite:///{target}"
        database = _create_postgres_database(admin, name, template=template)
        created.append(database)
        return _postgres_url(admin, database)

    yield make

    if admin is not None and created:
        _drop_postgres_databases(admin, created)


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
