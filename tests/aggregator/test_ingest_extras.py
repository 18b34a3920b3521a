"""The `representation` and `routing` blocks are copied into tables on ingest and by 0004.

Posted over HTTP as a hub sends them: the rows hold exactly the signed cells
and decimal strings; a summary without the blocks adds none; a refused one
adds nothing anywhere. Migration 0004 fills the same rows from the envelopes
of summaries accepted before it, and drops only its own tables going down.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, inspect, select, text

from hubnet.db import get_session
from national_aggregator.ingest.models import (
    SummaryRepresentation,
    SummaryRouting,
    SummaryRoutingType,
)
from tests.aggregator.conftest import RegisterHub, assert_problem, post, row_counts
from tests.aggregator.test_migrations import engine_and_url, fill_0001, migrate
from tests.aggregator.test_voices import MANCHESTER, released

__all__ = ["engine_and_url"]  # the fixture, shared with the migration tests

OCTOBER = (date(2026, 10, 1), date(2026, 10, 31))


def manchester() -> dict[str, Any]:
    return MANCHESTER.body()


def test_representation_and_routing_are_stored_with_the_summary(
    client: FlaskClient, register: RegisterHub, app: Flask
) -> None:
    hub = register()
    sent = manchester()

    assert post(client, hub.summary(body=sent)).status_code == 201

    with app.app_context():
        session = get_session()
        groups = session.scalars(
            select(SummaryRepresentation).order_by(SummaryRepresentation.category)
        ).all()
        assert [
            (row.hub_gss, (row.period_start, row.period_end), row.characteristic, row.category,
             row.population_share, row.ratio, row.lower, row.upper, row.flag)
            for row in groups
        ] == [
            ("E08000003", OCTOBER, "disability", "disabled", "0.200000", "0.5000", "0.2761",
             "0.8718", "under-represented"),
            ("E08000003", OCTOBER, "disability", "not-disabled", "0.800000", "1.1250", "1.0320",
             "1.1810", "over-represented"),
        ]  # fmt: skip
        routing = session.scalars(select(SummaryRouting)).one()
        assert (routing.window_start, routing.window_end) == (date(2025, 11, 1), OCTOBER[1])
        assert (routing.national_value, routing.national_suppressed) == (15, False)
        rows = {row.organisation_type: row for row in session.scalars(select(SummaryRoutingType))}
        assert sorted(rows) == sorted(sent["routing"]["by_organisation_type"])
        trust = rows["nhs-trust"]
        assert (trust.routed_value, trust.responded_value, trust.late_value) == (40, 30, 10)
        assert (trust.changes_value, trust.changes_suppressed) == (10, False)  # 12 rounded
        assert (trust.response_rate, trust.median_working_days) == ("0.75", "9.0")
        practice = rows["gp-practice"]
        assert (practice.changes_value, practice.changes_suppressed) == (None, True)  # 3
        assert (practice.response_rate, practice.median_working_days) == ("1.00", "4.0")
        icb = rows["icb"]
        assert (icb.routed_value, icb.response_rate, icb.median_working_days) == (0, None, None)


def test_a_summary_without_the_blocks_stores_no_rows_for_them(
    client: FlaskClient, register: RegisterHub, app: Flask
) -> None:
    hub = register()
    without_profile = released(100, {}, routing=None, population=None)
    assert without_profile.get("representation") is None

    assert post(client, hub.summary(body=without_profile)).status_code == 201

    counts = row_counts(app)
    assert counts["submission"] == 1
    assert counts["summary_representation"] == 0
    assert counts["summary_routing"] == counts["summary_routing_type"] == 0


def test_a_refused_summary_stores_no_representation_or_routing(
    client: FlaskClient, register: RegisterHub, app: Flask
) -> None:
    hub = register()
    tampered = manchester()
    tampered["representation"]["groups"]["disability"]["disabled"]["ratio"] = "0.9000"
    before = row_counts(app)

    assert_problem(
        post(client, hub.sign(hub.statement(body=tampered))),
        422,
        "disclosure-violation",
        "body.representation.groups",
    )
    assert row_counts(app) == before


def rows_of(engine: Engine, table: str, order: str) -> list[tuple[Any, ...]]:
    with engine.connect() as connection:
        result = connection.execute(text(f"SELECT * FROM {table} ORDER BY {order}"))
        return [tuple(row) for row in result]


def test_0004_fills_the_tables_from_the_envelopes_and_drops_only_them_going_down(
    engine_and_url: tuple[Engine, str],
) -> None:
    engine, url = engine_and_url
    migrate(engine, url, "0001")
    fill_0001(engine, manchester())
    migrate(engine, url, "0003")
    assert "summary_representation" not in inspect(engine).get_table_names()

    migrate(engine, url, "0004")

    representation = rows_of(engine, "summary_representation", "category")
    columns = [c["name"] for c in inspect(engine).get_columns("summary_representation")]
    as_dicts = [dict(zip(columns, row, strict=True)) for row in representation]
    assert [(r["submission_id"], r["category"], r["ratio"], r["flag"]) for r in as_dicts] == [
        ("s-1", "disabled", "0.5000", "under-represented"),
        ("s-1", "not-disabled", "1.1250", "over-represented"),
    ]
    assert len(rows_of(engine, "summary_routing", "submission_id")) == 1
    assert len(rows_of(engine, "summary_routing_type", "organisation_type")) == 6
    before = {
        table: rows_of(engine, table, "submission_id")
        for table in ("summary_representation", "summary_routing")
    }

    migrate(engine, url, "0003", down=True)

    tables = set(inspect(engine).get_table_names())
    assert not tables & {"summary_representation", "summary_routing", "summary_routing_type"}
    assert {"submission", "summary_theme", "summary_breakdown_cell"} <= tables
    migrate(engine, url, "head")  # up again: the same rows, from the same bytes
    assert {
        table: rows_of(engine, table, "submission_id")
        for table in ("summary_representation", "summary_routing")
    } == before


def test_0004_leaves_a_summary_without_the_blocks_without_rows(
    engine_and_url: tuple[Engine, str],
) -> None:
    engine, url = engine_and_url
    migrate(engine, url, "0001")
    fill_0001(engine)  # a body from before either block existed

    migrate(engine, url, "head")

    for table in ("summary_representation", "summary_routing", "summary_routing_type"):
        assert rows_of(engine, table, "submission_id") == []
