"""Database plumbing shared by both apps: engines, a session per request, migrations.

SQLite is the embedded default (WAL, foreign keys on, a busy timeout so
gunicorn workers wait rather than fail); PostgreSQL is production. Each app
has its own Alembic migrations inside its package; `create_app` refuses to
start on a database that is not at the newest revision and names the command
that fixes it. Services take a session and never commit: the view (or CLI
command) owns the transaction.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask, g
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker


class DatabaseNotMigrated(RuntimeError):
    """The database is missing or behind the code's migrations."""


def make_engine(url: str) -> Engine:
    """An engine with the settings hubnet relies on for SQLite and PostgreSQL."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return create_engine(url, pool_pre_ping=True)


def alembic_config(url: str, migrations: Path) -> AlembicConfig:
    config = AlembicConfig()
    config.set_main_option("script_location", str(migrations))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade_database(url: str, migrations: Path) -> None:
    """Bring the database to the newest revision (creates it from empty)."""
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            config = alembic_config(url, migrations)
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
    finally:
        engine.dispose()


def check_migrated(engine: Engine, migrations: Path, *, fix: str) -> None:
    """Raise DatabaseNotMigrated, naming the fixing command, unless the database is at head."""
    script = ScriptDirectory.from_config(alembic_config(str(engine.url), migrations))
    head = script.get_current_head()
    with engine.connect() as connection:
        current = MigrationContext.configure(connection).get_current_revision()
    if current != head:
        where = engine.url.render_as_string(hide_password=True)
        state = "has no hubnet tables" if current is None else f"is at revision {current}"
        raise DatabaseNotMigrated(
            f"The database {where} {state}; this version of hubnet needs revision {head}. "
            f"Run: {fix}"
        )


def init_database(app: Flask, migrations: Path, *, fix: str) -> None:
    """Create the engine, check migrations, and close each request's session at teardown."""
    engine = make_engine(app.config["DATABASE_URL"])
    check_migrated(engine, migrations, fix=fix)
    engine.dispose()  # gunicorn preloads the app then forks: workers must not share connections
    app.extensions["hubnet.engine"] = engine
    app.extensions["hubnet.sessionmaker"] = sessionmaker(bind=engine, expire_on_commit=False)

    @app.teardown_appcontext
    def _close_session(_exc: BaseException | None) -> None:
        session: Session | None = g.pop("db_session", None)
        if session is not None:
            session.close()


def get_session() -> Session:
    """The session for the current request or app context (opened on first use)."""
    if "db_session" not in g:
        from flask import current_app

        g.db_session = current_app.extensions["hubnet.sessionmaker"]()
    session: Session = g.db_session
    return session
