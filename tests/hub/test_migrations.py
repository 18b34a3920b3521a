"""The migrations build exactly the models' schema, and downgrade cleanly."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

import hub.audit.models
import hub.gather.models
import hub.outbox.models
import hub.themes.models  # noqa: F401  (registers the tables)
from hub.db import MIGRATIONS, Base
from hubnet.db import alembic_config, make_engine, upgrade_database
from tests.conftest import DatabaseFactory


def test_migrated_schema_matches_the_models(database_url: str) -> None:
    engine = make_engine(database_url)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, Base.metadata)
    engine.dispose()

    assert differences == []


def test_downgrade_to_nothing_and_upgrade_again(make_database_url: DatabaseFactory) -> None:
    url = make_database_url("roundtrip")
    upgrade_database(url, MIGRATIONS)
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            config = alembic_config(url, MIGRATIONS)
            config.attributes["connection"] = connection
            command.downgrade(config, "base")
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    finally:
        engine.dispose()

    upgrade_database(url, MIGRATIONS)
