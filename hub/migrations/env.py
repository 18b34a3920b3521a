"""Alembic environment for the hub.

`hubnet.db.upgrade_database` hands over an open connection in
`config.attributes["connection"]` (so tests and `hubnet hub migrate` run in
one transaction); the `alembic` command line gives a URL instead.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

# Importing each feature's models registers its tables on Base.metadata.
import hub.assembly.models
import hub.audit.models
import hub.discover.models
import hub.gather.models
import hub.outbox.models
import hub.panels.models
import hub.routing.models
import hub.stocktake.models
import hub.themes.models  # noqa: F401
from hub.db import Base
from hubnet.db import make_engine


def run_migrations(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=True,  # SQLite needs table rebuilds for most ALTERs
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        run_migrations(connection)
        return
    engine = make_engine(context.config.get_main_option("sqlalchemy.url") or "")
    try:
        with engine.connect() as new_connection:
            run_migrations(new_connection)
    finally:
        engine.dispose()


if context.is_offline_mode():
    raise SystemExit("hub migrations run online only: use `hubnet hub migrate`")
run_online()
