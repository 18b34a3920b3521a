"""Migration 0004 on a database with people in it: nothing assumed, and it downgrades cleanly."""

from __future__ import annotations

from alembic import command
from sqlalchemy import inspect, text

from hub.db import MIGRATIONS
from hubnet.db import alembic_config, make_engine
from tests.conftest import DatabaseFactory

CONTRIBUTION = """
INSERT INTO contributions (participant_id, kind, title, body, theme_id, created_at)
VALUES (:who, 'idea', 'A title', 'A longer body', :theme, '2026-10-02 12:00:00')
"""


def _migrate(url: str, action: str, revision: str) -> None:
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            config = alembic_config(url, MIGRATIONS)
            config.attributes["connection"] = connection
            getattr(command, action)(config, revision)
    finally:
        engine.dispose()


def test_0004_adds_empty_answers_and_no_consent_then_downgrades(
    make_database_url: DatabaseFactory,
) -> None:
    url = make_database_url("m0004")
    _migrate(url, "upgrade", "0003")
    engine = make_engine(url)
    with engine.begin() as connection:
        connection.execute(
            text("INSERT INTO participants (id, created_at) VALUES (:id, '2026-10-01 12:00:00')"),
            {"id": "a" * 32},
        )
        theme = connection.execute(text("SELECT id FROM local_themes LIMIT 1")).scalar_one()
        connection.execute(
            text(CONTRIBUTION),
            {"who": "a" * 32, "theme": theme},
        )
    engine.dispose()

    _migrate(url, "upgrade", "0004")
    engine = make_engine(url)
    with engine.connect() as connection:
        answers = connection.execute(
            text(
                "SELECT age_band, ethnic_group, disability, unpaid_carer, urban_rural"
                " FROM participants"
            )
        ).one()
        consent = connection.execute(text("SELECT quote_consent FROM contributions")).scalar_one()
    tables = set(inspect(engine).get_table_names())
    engine.dispose()
    assert tuple(answers) == (None,) * 5  # never answered: published as not-stated
    assert consent in (False, 0)  # consent is never assumed for words written before
    assert {"releases", "privacy_ledger"} <= tables

    _migrate(url, "downgrade", "0003")
    engine = make_engine(url)
    inspector = inspect(engine)
    assert not {"releases", "privacy_ledger"} & set(inspector.get_table_names())
    assert "age_band" not in {c["name"] for c in inspector.get_columns("participants")}
    assert "quote_consent" not in {c["name"] for c in inspector.get_columns("contributions")}
    engine.dispose()
