"""Migration 0002 on a database that already holds 0001's data, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from alembic import command
from sqlalchemy import Engine, inspect, text

from hubnet.db import alembic_config, make_engine
from national_aggregator.db import MIGRATIONS
from tests.conftest import DatabaseFactory


@pytest.fixture
def engine_and_url(make_database_url: DatabaseFactory) -> Iterator[tuple[Engine, str]]:
    url = make_database_url("migrate")
    engine = make_engine(url)
    yield engine, url
    engine.dispose()


def migrate(engine: Engine, url: str, revision: str, *, down: bool = False) -> None:
    with engine.begin() as connection:
        config = alembic_config(url, MIGRATIONS)
        config.attributes["connection"] = connection
        (command.downgrade if down else command.upgrade)(config, revision)


def fill_0001(engine: Engine) -> None:
    """A hub with two keys, an accepted summary, its theme row and its log leaf."""
    day = datetime(2026, 10, 1, tzinfo=UTC).replace(tzinfo=None)
    with engine.begin() as connection:
        connection.execute(
            text("INSERT INTO hub VALUES ('E08000003', 'Manchester', 'North West', 551938, "
                 ":day, NULL)"), {"day": day},
        )  # fmt: skip
        for keyid, added in (("first-key", day), ("second-key", day.replace(day=2))):
            connection.execute(
                text("INSERT INTO hub_key VALUES (:keyid, 'E08000003', 'PEM', :added, NULL)"),
                {"keyid": keyid, "added": added},
            )
        connection.execute(
            text("INSERT INTO submission VALUES ('s-1', 'E08000003', 1, 'first-key', 'summary', "
                 "'summary/1', '2026-10-01', '2026-10-31', :day, :day, 8, 'ab', :env, :rec)"),
            {"day": day, "env": b"envelope", "rec": b"receipt"},
        )  # fmt: skip
        connection.execute(
            text("INSERT INTO summary_theme VALUES ('s-1', 'gp-access', 'E08000003', "
                 "'2026-10-01', '2026-10-31', 5, false, 5, false, 0, false)"),
        )  # fmt: skip
        connection.execute(
            text("INSERT INTO log_leaf VALUES (0, :hash, 'statement', 's-1', :day)"),
            {"hash": b"h" * 32, "day": day},
        )


def test_upgrading_keeps_every_row_and_marks_how_each_key_came(
    engine_and_url: tuple[Engine, str],
) -> None:
    engine, url = engine_and_url
    migrate(engine, url, "0001")
    fill_0001(engine)

    migrate(engine, url, "head")

    with engine.connect() as connection:
        keys = connection.execute(
            text("SELECT keyid, added_via, log_index, expires_at FROM hub_key ORDER BY keyid")
        ).all()
        assert [tuple(row) for row in keys] == [
            ("first-key", "registration", None, None),
            ("second-key", "operator", None, None),
        ]
        assert connection.execute(text("SELECT submission_id, disclosure_k FROM submission")).all()
        leaf = connection.execute(text("SELECT kind, submission_id, key_event_id FROM log_leaf"))
        assert [tuple(row) for row in leaf] == [("statement", "s-1", None)]
        assert connection.execute(text("SELECT COUNT(*) FROM summary_theme")).scalar_one() == 1
    assert {"key_event", "cosignature"} <= set(inspect(engine).get_table_names())


def test_downgrading_is_refused_once_the_log_holds_key_events(
    engine_and_url: tuple[Engine, str],
) -> None:
    engine, url = engine_and_url
    migrate(engine, url, "0001")
    fill_0001(engine)
    migrate(engine, url, "head")
    with engine.begin() as connection:
        connection.execute(
            text("INSERT INTO key_event (event, hub_gss, keyid, reason, at, envelope) VALUES "
                 "('key-revoked', 'E08000003', 'first-key', 'lost', :at, :env)"),
            {"at": datetime(2026, 11, 1), "env": b"event"},
        )  # fmt: skip

    with pytest.raises(RuntimeError, match="cannot downgrade below 0002"):
        migrate(engine, url, "0001", down=True)


def test_downgrading_a_log_without_key_events_gives_back_0001(
    engine_and_url: tuple[Engine, str],
) -> None:
    engine, url = engine_and_url
    migrate(engine, url, "0001")
    fill_0001(engine)
    migrate(engine, url, "head")

    migrate(engine, url, "0001", down=True)

    with engine.connect() as connection:
        assert connection.execute(text("SELECT COUNT(*) FROM hub_key")).scalar_one() == 2
        assert connection.execute(text("SELECT COUNT(*) FROM log_leaf")).scalar_one() == 1
    tables = set(inspect(engine).get_table_names())
    assert "key_event" not in tables and "cosignature" not in tables
    assert "added_via" not in {column["name"] for column in inspect(engine).get_columns("hub_key")}
