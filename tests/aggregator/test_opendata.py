"""Open data: every published table as CSV and JSON, agreeing with the pages' figures.

The seeded set: five hubs (test_voices.HUBS) each send a September 2026 summary
with chosen theme cells (some suppressed) and then their October release from the
hub's engine (representation and routing blocks); Liverpool is registered and
sends nothing, so it is missing in both periods.
"""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from federation.periods import Period
from federation.taxonomy import load_taxonomy
from hubnet.db import get_session
from national_aggregator.opendata.services import (
    PERIOD_COLUMNS,
    TABLES,
    TYPES,
    Column,
    Table,
    TableData,
    table_data,
)
from tests.aggregator.conftest import RegisterHub, assert_problem, post, summary_body
from tests.aggregator.test_voices import HUBS

SEPTEMBER = {
    # people per theme; None: suppressed (1 to 7 people)
    "E08000003": {"gp-access": 40, "mental-health": None, "dentistry": 10},
    "E08000035": {"gp-access": 15, "mental-health": 30, "dentistry": None},
    "E06000052": {"gp-access": None, "mental-health": 20, "cancer": 10},
    "E08000006": {"gp-access": 10, "dentistry": None},
    "E08000032": {"mental-health": 45, "gp-access": None},
}


@pytest.fixture
def seeded(client: FlaskClient, register: RegisterHub) -> None:
    for gss, name, region, figures in HUBS:
        hub = register(gss=gss, name=name, region=region, population=500_000)
        september = hub.summary(body=summary_body(SEPTEMBER[gss]), period=Period.month(2026, 9))
        assert post(client, september).status_code == 201
        assert post(client, hub.summary(body=figures.body())).status_code == 201
    register(gss="E08000012", name="Liverpool", region="North West", population=486_100)


def rows_of(client: FlaskClient, table: str, query: str) -> list[dict[str, Any]]:
    """The table's JSON rows, after checking the CSV and /api/v1/data say exactly the same."""
    as_json = client.get(f"/data/{table}.json?{query}")
    assert as_json.status_code == 200, as_json.data
    document = as_json.get_json()
    assert client.get(f"/api/v1/data/{table}?{query}").get_json() == document
    assert document["licence"] == "Open Government Licence v3.0"
    as_csv = client.get(f"/data/{table}.csv?{query}")
    assert as_csv.status_code == 200
    assert as_csv.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert as_csv.headers["Content-Disposition"].startswith('attachment; filename="hubnet-')
    reader = csv.reader(io.StringIO(as_csv.data.decode("utf-8")))
    header, *records = list(reader)
    assert header == document["columns"]
    expected = [
        ["" if row[name] is None else str(row[name]) for name in header] for row in document["rows"]
    ]
    assert records == expected
    for row in document["rows"]:
        assert list(row) == header  # stable column order in JSON too
    rows: list[dict[str, Any]] = document["rows"]
    return rows


def pick(row: dict[str, Any], *names: str) -> dict[str, Any]:
    return {name: row[name] for name in names}


PRIORITY_FIELDS = (
    "rank", "code", "name", "total", "lower", "upper", "hubs_reporting", "hubs_suppressed",
    "rate_per_100k", "top5_hubs", "contributions", "borda_points", "borda_rank",
    "previous_total", "previous_rank", "change_total", "change_rank", "movement",
)  # fmt: skip


@pytest.mark.parametrize(
    "query", ["period=2026-09", "period=2026-10", "period=2026-09&region=North+West"]
)
def test_priorities_table_is_the_priorities_ranking(
    client: FlaskClient, seeded: None, query: str
) -> None:
    api = client.get(f"/api/v1/priorities?{query}").get_json()

    rows = rows_of(client, "priorities", query)

    assert [pick(row, *PRIORITY_FIELDS) for row in rows] == [
        pick(row, *PRIORITY_FIELDS) for row in api["priorities"]
    ]
    assert {(row["period_start"], row["period_end"], row["region"]) for row in rows} == {
        (api["period"]["start"], api["period"]["end"], api["region"])
    }
    page = client.get(f"/priorities?{query}").data.decode()
    for row in rows[:5]:
        assert f"{row['lower']} to {row['upper']}" in page


def test_priorities_bounds_show_what_suppressed_cells_hide(
    client: FlaskClient, seeded: None
) -> None:
    rows = {row["code"]: row for row in rows_of(client, "priorities", "period=2026-09")}

    # gp-access: 40 + 15 + 10 published, Cornwall and Bradford suppressed (1 to 7 each).
    assert pick(rows["gp-access"], "total", "lower", "upper", "hubs_suppressed") == {
        "total": 65, "lower": 67, "upper": 79, "hubs_suppressed": 2,
    }  # fmt: skip
    assert rows["gp-access"]["previous_total"] is None  # nobody reported August
    csv_text = client.get("/data/priorities.csv?period=2026-09").data.decode()
    assert ",65,67,79,5,2," in csv_text
    first = next(csv.DictReader(io.StringIO(csv_text)))
    assert first["previous_total"] == "" and first["movement"] == ""


def test_theme_hubs_table_is_each_themes_page(client: FlaskClient, seeded: None) -> None:
    rows = rows_of(client, "theme-hubs", "period=2026-09")

    for code in load_taxonomy().codes:
        api = client.get(f"/api/v1/priorities/themes/{code}?period=2026-09").get_json()
        mine = [row for row in rows if row["theme_code"] == code]
        assert [row["hub_gss"] for row in mine] == [hub["gss"] for hub in api["hubs"]]
        for row, hub in zip(mine, api["hubs"], strict=True):
            assert row["status"] == hub["status"]
            assert row["people"] == hub["people"]
            assert (row["place"], row["themes"]) == (hub["place"], hub["themes"])
            bounds = hub["suppressed_range"]
            if hub["status"] == "suppressed":
                assert (row["people_lower"], row["people_upper"]) == (1, bounds["upper"])
            elif hub["status"] == "published":
                assert row["people_lower"] == row["people_upper"] == hub["people"]
            else:
                assert row["people_lower"] is row["people_upper"] is None


def test_a_suppressed_cell_is_empty_in_csv_and_null_in_json(
    client: FlaskClient, seeded: None
) -> None:
    rows = rows_of(client, "theme-hubs", "period=2026-09")
    cornwall = next(
        row for row in rows if (row["theme_code"], row["hub_name"]) == ("gp-access", "Cornwall")
    )
    liverpool = next(
        row for row in rows if (row["theme_code"], row["hub_name"]) == ("gp-access", "Liverpool")
    )

    assert pick(cornwall, "status", "people", "people_lower", "people_upper") == {
        "status": "suppressed", "people": None, "people_lower": 1, "people_upper": 7,
    }  # fmt: skip
    assert pick(liverpool, "status", "people", "people_lower", "place") == {
        "status": "missing", "people": None, "people_lower": None, "place": None,
    }  # fmt: skip
    records = csv.DictReader(
        io.StringIO(client.get("/data/theme-hubs.csv?period=2026-09").data.decode())
    )
    record = next(
        r for r in records if (r["theme_code"], r["hub_name"]) == ("gp-access", "Cornwall")
    )
    assert (record["people"], record["people_lower"], record["people_upper"]) == ("", "1", "7")


def test_hubs_table_lists_reporting_and_missing_hubs(client: FlaskClient, seeded: None) -> None:
    api = client.get("/api/v1/priorities?period=2026-10&region=North+West").get_json()

    rows = rows_of(client, "hubs", "period=2026-10&region=North+West")

    assert [(row["hub_name"], row["status"]) for row in rows] == [
        *((hub["name"], "reported") for hub in api["hubs_reporting"]),
        *((hub["name"], "missing") for hub in api["hubs_missing"]),
    ]
    assert ("Liverpool", "missing") in [(row["hub_name"], row["status"]) for row in rows]
    assert {row["population"] for row in rows} == {500_000, 486_100}


def test_hidden_voices_tables_are_the_hidden_voices_figures(
    client: FlaskClient, seeded: None
) -> None:
    api = client.get("/api/v1/hidden-voices?period=2026-10").get_json()

    groups = rows_of(client, "hidden-voices", "period=2026-10")
    well = rows_of(client, "hidden-voices-doing-well", "period=2026-10")

    assert len(groups) == len(api["groups"])
    for row, group in zip(groups, api["groups"], strict=True):
        assert (row["characteristic"], row["category"], row["label"]) == (
            group["characteristic"], group["category"], group["label"],
        )  # fmt: skip
        assert row["hubs_under_represented"] == group["hubs"]["under-represented"]
        assert row["hubs_in_line"] == group["hubs"]["in line"]
        assert row["hubs_over_represented"] == group["hubs"]["over-represented"]
        assert row["hubs_not_covered"] == group["hubs_not_covered"]
        assert row["median_ratio"] == group["median_ratio"]
    under = [(row["characteristic"], row["category"]) for row in sorted(
        (row for row in groups if row["under_rank"] is not None), key=lambda row: row["under_rank"]
    )]  # fmt: skip
    assert under == [(g["characteristic"], g["category"]) for g in api["most_under_represented"]]
    assert [(row["category"], row["hub_name"], row["lower"]) for row in well] == [
        (group["category"], figures["hub"]["name"], figures["lower"])
        for group in api["groups"]
        for figures in group["doing_well"]
    ]
    assert ("disabled", "Leeds", "1.5470") in [
        (row["category"], row["hub_name"], row["lower"]) for row in well
    ]


def test_routing_tables_are_the_routing_totals(client: FlaskClient, seeded: None) -> None:
    api = client.get("/api/v1/routing?period=2026-10").get_json()

    rows = rows_of(client, "routing", "period=2026-10")
    (national,) = rows_of(client, "routing-national", "period=2026-10")

    assert [row["organisation_type"] for row in rows] == [
        row["organisation_type"] for row in api["by_organisation_type"]
    ]
    for row, kind in zip(rows, api["by_organisation_type"], strict=True):
        for name in ("routed", "responded", "late", "changes"):
            assert pick(row, *(f"{name}_{part}" for part in ("total", "lower", "upper"))) == {
                f"{name}_{part}": kind[name][part] for part in ("total", "lower", "upper")
            }
        assert row["response_rate"] == kind["response_rate"]
        assert row["median_working_days"] == kind["median_working_days"]
        assert (row["window_start"], row["window_end"]) == (
            api["window"]["start"], api["window"]["end"],
        )  # fmt: skip
    assert pick(national, "national_total", "national_lower", "national_upper") == {
        "national_total": api["national"]["total"],
        "national_lower": api["national"]["lower"],
        "national_upper": api["national"]["upper"],
    }
    assert national["hubs_with_routing"] == len(api["hubs_with_routing"]) == 3
    assert national["hubs_missing"] == 1


def test_routing_national_row_is_empty_where_no_hub_sent_routing(
    client: FlaskClient, seeded: None
) -> None:
    (row,) = rows_of(client, "routing-national", "period=2026-09")

    assert row["hubs_with_routing"] == 0 and row["hubs_without_routing"] == 5
    assert row["national_total"] is None and row["window_start"] is None
    assert rows_of(client, "routing", "period=2026-09") == []


def test_without_a_period_the_tables_are_the_latest_one(client: FlaskClient, seeded: None) -> None:
    document = client.get("/data/priorities.json").get_json()

    assert document["period"]["label"] == "2026-10"
    response = client.get("/data/priorities.csv?region=South+West")
    disposition = response.headers["Content-Disposition"]
    assert disposition == (
        'attachment; filename="hubnet-priorities-2026-10-01-to-2026-10-31-south-west.csv"'
    )


def test_before_any_summary_every_table_is_empty(client: FlaskClient) -> None:
    for table in TABLES:
        document = client.get(f"/api/v1/data/{table.name}").get_json()
        assert document["rows"] == [] and document["period"] is None, table.name
        lines = client.get(f"/data/{table.name}.csv").data.decode().splitlines()
        assert lines == [",".join(table.column_names)], table.name
    assert client.get("/data").status_code == 200


# --- the dictionary ------------------------------------------------------------------------


def test_the_dictionary_lists_every_column_of_every_table(client: FlaskClient) -> None:
    document = client.get("/data/dictionary.json").get_json()

    assert client.get("/api/v1/data").get_json() == document
    assert [table["name"] for table in document["tables"]] == [table.name for table in TABLES]
    for entry, table in zip(document["tables"], TABLES, strict=True):
        assert [column["name"] for column in entry["columns"]] == table.column_names
        for column in entry["columns"]:
            assert column["type"] in TYPES, column
            assert column["unit"] and column["meaning"] and column["empty_when"], column
        assert entry["csv"].endswith(f"/data/{table.name}.csv")
    assert "empty cell in CSV and null in JSON" in document["suppression"]
    page = client.get("/data/dictionary").data.decode()
    for table in TABLES:
        assert f'id="dictionary-{table.name}"' in page
        for name in table.column_names:
            assert f"<code>{name}</code>" in page


def test_every_row_of_every_table_has_exactly_its_dictionary_columns(
    app: Flask, seeded: None
) -> None:
    """table_data checks each row's keys against the table's Columns; run it on real data."""
    with app.app_context():
        session = get_session()
        for table in TABLES:
            table_data(session, table, Period.month(2026, 9), "North West")
            data = table_data(session, table, Period.month(2026, 10), None)
            assert data.rows, table.name  # October has a row in every table


def test_a_column_with_no_dictionary_entry_is_refused(app: Flask, seeded: None) -> None:
    def build(session: Any, period: Period | None, region: str | None) -> TableData:
        return TableData(period, region, [{"period_start": "x", "period_end": "y",
                                           "region": None, "undocumented": 1}])  # fmt: skip

    table = Table("bad", "Bad", "A table with an undocumented column", "/", PERIOD_COLUMNS, build)
    with app.app_context(), pytest.raises(ValueError, match="undocumented"):
        table_data(get_session(), table, None, None)


def test_column_types_are_what_the_dictionary_says(client: FlaskClient, seeded: None) -> None:
    for table in TABLES:
        rows = client.get(f"/api/v1/data/{table.name}?period=2026-10").get_json()["rows"]
        for row in rows:
            for column in table.columns:
                value = row[column.name]
                if value is None:
                    assert column.empty_when != "never", (table.name, column.name)
                    continue
                assert _fits(column, value), (table.name, column.name, value)


def _fits(column: Column, value: Any) -> bool:
    if column.type == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if column.type == "decimal":
        return isinstance(value, str) and Decimal(value) == Decimal(value)
    if column.type == "date":
        return isinstance(value, str) and len(value) == 10 and value[4] == "-"
    return isinstance(value, str)


# --- the page and errors -------------------------------------------------------------------


def test_the_data_page_links_every_download_with_its_period_and_region(
    client: FlaskClient, seeded: None
) -> None:
    page = client.get("/data?period=2026-09&region=North+West")

    assert page.status_code == 200
    html = page.data.decode()
    for table in TABLES:
        for extension in ("csv", "json"):
            assert (
                f'href="/data/{table.name}.{extension}?period=2026-09&amp;region=North+West"'
                in html
            ), (table.name, extension)
    assert "Open Government Licence v3.0" in html
    assert 'href="/data/dictionary"' in html
    assert 'href="/data"' in client.get("/priorities").data.decode()  # in the navigation
    latest = client.get("/data").data.decode()
    assert 'href="/data/priorities.csv?period=2026-10"' in latest  # pinned to what it shows


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/data/priorities.csv?period=2026-13", "period"),
        ("/data/priorities.json?period=last-week", "period"),
        ("/api/v1/data/hubs?region=Atlantis", "region"),
        ("/data/routing.csv?region=Atlantis", "region"),
    ],
)
def test_a_bad_query_is_a_400_problem(
    client: FlaskClient, seeded: None, path: str, field: str
) -> None:
    assert_problem(client.get(path), 400, "validation-error", field)


def test_an_unknown_table_is_a_404_problem(client: FlaskClient) -> None:
    for path in ("/data/people.csv", "/data/people.json", "/api/v1/data/people"):
        response: TestResponse = client.get(path)
        assert_problem(response, 404, "not-found", None)
        assert "priorities" in response.get_json()["detail"]


def test_the_data_page_explains_a_bad_query(client: FlaskClient, seeded: None) -> None:
    response = client.get("/data?period=2026-13")

    assert response.status_code == 400
    html = response.data.decode()
    assert "There is a problem" in html and "That period could not be read" in html
    assert ".csv" not in html  # no downloads for a period that does not exist
