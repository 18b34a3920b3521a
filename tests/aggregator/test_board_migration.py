"""Migration 0006 (board responses) on a database that already holds data, both databases."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, inspect, text
from sqlalchemy.exc import IntegrityError

from hubnet.db import make_engine
from tests.aggregator.test_migrations import migrate
from tests.conftest import DatabaseFactory

DAY = datetime(2027, 1, 14, tzinfo=UTC).replace(tzinfo=None)


@pytest.fixture
def engine_and_url(make_database_url: DatabaseFactory) -> Iterator[tuple[Engine, str]]:
    url = make_database_url("migrate_board")
    engine = make_engine(url)
    yield engine, url
    engine.dispose()


def fill_0005(engine: Engine) -> None:
    """A hub, its key event in the log, and a staff account: what 0006 must keep."""
    with engine.begin() as connection:
        connection.execute(
            text("INSERT INTO hub (gss, name, region, population, registered_at) "
                 "VALUES ('E08000003', 'Manchester', 'North West', 551938, :day)"), {"day": DAY},
        )  # fmt: skip
        connection.execute(
            text("INSERT INTO key_event (id, event, hub_gss, at, envelope) "
                 "VALUES (1, 'hub-registered', 'E08000003', :day, :env)"),
            {"day": DAY, "env": b"key event envelope"},
        )  # fmt: skip
        connection.execute(
            text("INSERT INTO log_leaf (\"index\", leaf_hash, kind, key_event_id, appended_at) "
                 "VALUES (0, :hash, 'key-event', 1, :day)"), {"hash": b"h" * 32, "day": DAY},
        )  # fmt: skip
        connection.execute(
            text("INSERT INTO staff_user (id, email, name, role, password_hash, active, "
                 "created_at) VALUES (1, 'sec@example.org', 'Sec', 'board-secretary', '!', "
                 "true, :day)"), {"day": DAY},
        )  # fmt: skip


def add_board_leaf(engine: Engine) -> None:
    with engine.begin() as connection:
        connection.execute(
            text("INSERT INTO board_statement (id, response_id, version, theme, decision, "
                 "progress, due, meeting, period_start, period_end, at, envelope, "
                 "payload_sha256, recorded_by) VALUES (1, 'r', 1, 'gp-access', 'accepted', "
                 "'on-track', '2027-06-30', '2027-01-14', '2026-10-01', '2026-12-31', :day, "
                 ":env, :sha, 1)"), {"day": DAY, "env": b"board envelope", "sha": "0" * 64},
        )  # fmt: skip
        connection.execute(
            text("INSERT INTO log_leaf (\"index\", leaf_hash, kind, board_statement_id, "
                 "appended_at) VALUES (1, :hash, 'board', 1, :day)"),
            {"hash": b"b" * 32, "day": DAY},
        )  # fmt: skip


def test_0006_keeps_every_row_and_adds_board_leaves(engine_and_url: tuple[Engine, str]) -> None:
    engine, url = engine_and_url
    migrate(engine, url, "0005")
    fill_0005(engine)

    migrate(engine, url, "0006")

    columns = {column["name"] for column in inspect(engine).get_columns("hub")}
    assert "notify_url" in columns
    with engine.connect() as connection:
        assert connection.execute(text("SELECT gss, notify_url FROM hub")).all() == [
            ("E08000003", None)
        ]
        assert connection.execute(text("SELECT kind, key_event_id FROM log_leaf")).all() == [
            ("key-event", 1)
        ]
    add_board_leaf(engine)  # the new kind and foreign key work
    with pytest.raises(IntegrityError), engine.begin() as connection:
        connection.execute(
            text("INSERT INTO log_leaf (\"index\", leaf_hash, kind, appended_at) "
                 "VALUES (2, :hash, 'bogus', :day)"), {"hash": b"x" * 32, "day": DAY},
        )  # fmt: skip
    with pytest.raises(IntegrityError), engine.begin() as connection:  # one leaf per statement
        connection.execute(
            text("INSERT INTO log_leaf (\"index\", leaf_hash, kind, board_statement_id, "
                 "appended_at) VALUES (2, :hash, 'board', 1, :day)"),
            {"hash": b"x" * 32, "day": DAY},
        )  # fmt: skip


def test_downgrading_0006_is_refused_while_the_log_holds_board_statements(
    engine_and_url: tuple[Engine, str],
) -> None:
    engine, url = engine_and_url
    migrate(engine, url, "0005")
    fill_0005(engine)
    migrate(engine, url, "0006")
    add_board_leaf(engine)

    with pytest.raises(RuntimeError, match="board statements"):
        migrate(engine, url, "0005", down=True)


def test_downgrading_0006_without_board_statements_gives_back_0005(
    engine_and_url: tuple[Engine, str],
) -> None:
    engine, url = engine_and_url
    migrate(engine, url, "0005")
    fill_0005(engine)
    migrate(engine, url, "0006")

    migrate(engine, url, "0005", down=True)

    tables = set(inspect(engine).get_table_names())
    assert "board_statement" not in tables and "board_notification" not in tables
    assert "notify_url" not in {c["name"] for c in inspect(engine).get_columns("hub")}
    with engine.connect() as connection:
        assert connection.execute(text("SELECT COUNT(*) FROM log_leaf")).scalar() == 1
    migrate(engine, url, "0006")  # and up again
