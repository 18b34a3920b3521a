"""Migrations 0002 and 0003 on databases that already hold data, on SQLite and PostgreSQL."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from alembic import command
from sqlalchemy import Engine, inspect, text

from hubnet.db import alembic_config, make_engine
from national_aggregator.db import MIGRATIONS
from tests.aggregator.bodies import summary_body
from tests.conftest import DatabaseFactory

OLD_BODY: dict[str, Any] = {
    "taxonomy": "national/1",
    "disclosure": {"rule_set": "hubnet-sdc/1", "unit": "person", "k": 8, "rounding_base": 5,
                   "epsilon": None},
    "participation": {"participants": {"value": 5, "suppressed": False}},
    "themes": [{"code": "gp-access", "people": {"value": 5, "suppressed": False}}],
}  # fmt: skip
"""The parts of a summary body from before revision 0003 that the migration reads."""


def envelope_of(body: dict[str, Any]) -> bytes:
    """An envelope as the aggregator stores it (unsigned: a migration never checks signatures)."""
    statement = {"kind": "summary", "schema": "summary/1", "body": body}
    payload = base64.b64encode(json.dumps(statement).encode()).decode()
    return json.dumps({"payloadType": "x", "payload": payload, "signatures": []}).encode()


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


def fill_0001(engine: Engine, body: dict[str, Any] = OLD_BODY) -> None:
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
            {"day": day, "env": envelope_of(body), "rec": b"receipt"},
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


def test_0003_fills_mechanism_and_leaves_older_summaries_without_contributions(
    engine_and_url: tuple[Engine, str],
) -> None:
    engine, url = engine_and_url
    migrate(engine, url, "0001")
    fill_0001(engine)
    migrate(engine, url, "0002")

    migrate(engine, url, "0003")

    with engine.connect() as connection:
        submission = connection.execute(text("SELECT mechanism, epsilon FROM submission")).one()
        assert tuple(submission) == ("none", None)
        theme = connection.execute(
            text("SELECT people_value, contributions_value, contributions_suppressed "
                 "FROM summary_theme")
        ).one()  # fmt: skip
        assert tuple(theme) == (5, None, None)  # no contributions cell was ever published
        for table in ("summary_breakdown_cell", "summary_withheld_table", "summary_quote"):
            assert connection.execute(text(f"SELECT COUNT(*) FROM {table}")).scalar_one() == 0


def test_0003_fills_breakdowns_withheld_tables_and_quotes_from_the_envelopes(
    engine_and_url: tuple[Engine, str],
) -> None:
    """Down then up again loses nothing: the tables are rebuilt from the stored bytes."""
    engine, url = engine_and_url
    body = summary_body({"gp-access": 5})
    body["disclosure"].update(mechanism="geometric", epsilon="0.5")
    body["breakdowns"]["gp-access"]["disability"] = {
        "cells": {
            "disabled": {"value": 10, "suppressed": False},
            "not-disabled": {"value": None, "suppressed": True},
            "not-stated": {"value": 0, "suppressed": False},
        }
    }
    body["quotes"] = [{"theme": "gp-access", "text": "The phone line opens at 8."}]
    migrate(engine, url, "0001")
    fill_0001(engine, body)
    migrate(engine, url, "head")
    migrate(engine, url, "0002", down=True)
    assert "summary_quote" not in inspect(engine).get_table_names()

    migrate(engine, url, "head")

    with engine.connect() as connection:
        submission = connection.execute(text("SELECT mechanism, epsilon FROM submission")).one()
        assert tuple(submission) == ("geometric", "0.5")
        theme = connection.execute(
            text("SELECT contributions_value, contributions_suppressed FROM summary_theme")
        ).one()
        assert tuple(theme) == (5, False)
        cells = connection.execute(
            text("SELECT scope, characteristic, category, value, suppressed "
                 "FROM summary_breakdown_cell ORDER BY category")
        ).all()  # fmt: skip
        assert [tuple(row) for row in cells] == [
            ("gp-access", "disability", "disabled", 10, False),
            ("gp-access", "disability", "not-disabled", None, True),
            ("gp-access", "disability", "not-stated", 0, False),
        ]
        withheld = connection.execute(
            text("SELECT COUNT(*) FROM summary_withheld_table")
        ).scalar_one()
        assert withheld == 27 * 5 - 1  # every scope's five tables but the one published
        quote = connection.execute(
            text("SELECT position, theme_code, text FROM summary_quote")
        ).one()
        assert tuple(quote) == (0, "gp-access", "The phone line opens at 8.")


def test_downgrading_0003_keeps_the_summaries_and_drops_only_its_own_tables_and_columns(
    engine_and_url: tuple[Engine, str],
) -> None:
    engine, url = engine_and_url
    migrate(engine, url, "0001")
    fill_0001(engine)
    migrate(engine, url, "head")

    migrate(engine, url, "0002", down=True)

    tables = set(inspect(engine).get_table_names())
    assert not tables & {"summary_breakdown_cell", "summary_withheld_table", "summary_quote"}
    assert {"key_event", "cosignature", "summary_theme"} <= tables
    assert not {"mechanism", "epsilon"} & {
        column["name"] for column in inspect(engine).get_columns("submission")
    }
    assert not {"contributions_value", "contributions_suppressed"} & {
        column["name"] for column in inspect(engine).get_columns("summary_theme")
    }
    with engine.connect() as connection:
        assert connection.execute(text("SELECT COUNT(*) FROM submission")).scalar_one() == 1
        assert connection.execute(text("SELECT COUNT(*) FROM summary_theme")).scalar_one() == 1
