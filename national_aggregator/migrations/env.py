"""Alembic environment for the aggregator's database.

`hubnet.db.upgrade_database` passes an open connection in
`config.attributes["connection"]` so the upgrade runs inside its transaction;
the `alembic` command line passes only a URL.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from hubnet.db import make_engine
from national_aggregator.db import Base
from national_aggregator.ingest import models as _ingest_models  # noqa: F401  (tables for Base)
from national_aggregator.log import models as _log_models  # noqa: F401
from national_aggregator.registry import models as _registry_models  # noqa: F401

config = context.config


def run_migrations(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=Base.metadata)
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is None:
    engine = make_engine(config.get_main_option("sqlalchemy.url") or "")
    with engine.begin() as opened:
        run_migrations(opened)
    engine.dispose()
else:
    run_migrations(connection)
