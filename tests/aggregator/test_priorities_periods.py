"""Priorities for a month, quarter or year made of each hub's shorter summaries.

A period's figures add up, per hub, the latest summary for each period inside
it; every hub-level figure (suppressed or not, its own ranking, its top 5,
population) is worked out on the hub's sums, not per summary.
"""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from federation.periods import Period
from hubnet.db import get_session
from national_aggregator.log.models import LogLeaf
from national_aggregator.priorities.services import national_priorities, reported_periods
from tests.aggregator.conftest import RegisterHub, SigningHub, assert_problem, post

W02, W03, W04 = (Period.parse(f"2025-W{week:02d}") for week in (2, 3, 4))  # all in January
W20 = Period.parse("2025-W20")  # May
JANUARY = Period.month(2025, 1)
Q1 = Period.parse("2025-Q1")
YEAR = Period.parse("2025-01-01/2025-12-31")
POPULATION = {"Ambridge": 100_000, "Borchester": 200_000, "Camberwick": 300_000, "Dale": 400_000}


def send(
    client: FlaskClient, hub: SigningHub, people: dict[str, int | None], period: Period
) -> None:
    response = post(client, hub.summary(people, period=period))
    assert response.status_code == 201, response.get_json()


@pytest.fixture
def hubs(client: FlaskClient, register: RegisterHub) -> dict[str, SigningHub]:
    """Ambridge and Borchester (North West) send weeks of January 2025, Ambridge re-sending
    one; Camberwick (London) one January week and one May week; Dale (South West) the three
    months of 2025-Q1; Borchester one week of December 2024."""
    made = {
        "Ambridge": register("E06000001", "Ambridge", "North West", POPULATION["Ambridge"]),
        "Borchester": register("E06000002", "Borchester", "North West", POPULATION["Borchester"]),
        "Camberwick": register("E06000003", "Camberwick", "London", POPULATION["Camberwick"]),
        "Dale": register("E06000004", "Dale", "South West", POPULATION["Dale"]),
    }
    ambridge, borchester, camberwick, dale = made.values()
    twenties = {code: 20 for code in ("cancer", "dementia", "pharmacy", "maternity", "funding")}
    send(client, ambridge, {**twenties, "gp-access": 10, "dentistry": None}, W02)
    send(client, ambridge, {"gp-access": 20, "dentistry": None}, W03)  # re-sent below
    send(client, ambridge, {"gp-access": 10, "mental-health": 15}, W04)
    send(client, ambridge, {"gp-access": 30, "dentistry": None}, W03)  # replaces the first W03
    send(client, borchester, {"dentistry": 40, "gp-access": 10}, W02)
    send(client, borchester, {"dentistry": 10, "gp-access": None}, W03)
    send(client, borchester, {"gp-access": 100}, Period.parse("2024-W50"))
    send(client, camberwick, {"mental-health": 25}, W02)
    send(client, camberwick, {"funding": 50}, W20)
    for month in (1, 2, 3):
        send(client, dale, {"gp-access": 10}, Period.month(2025, month))
    return made


def api(client: FlaskClient, period: str, region: str | None = None) -> dict[str, Any]:
    query = f"period={period}" + (f"&region={region}" if region else "")
    response = client.get(f"/api/v1/priorities?{query}")
    assert response.status_code == 200, response.get_json()
    document: dict[str, Any] = response.get_json()
    return document


def rows(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {row["code"]: row for row in document["priorities"]}


def coverage(document: dict[str, Any]) -> dict[str, tuple[int, int, bool]]:
    names = {hub["gss"]: hub["name"] for hub in document["hubs_reporting"]}
    return {
        names[item["gss"]]: (item["periods_used"], item["days_covered"], item["partial"])
        for item in document["hubs_coverage"]
    }


def test_a_month_of_weekly_summaries_adds_up_each_hubs_weeks(
    hubs: dict[str, SigningHub], client: FlaskClient
) -> None:
    document = api(client, "2025-01", "North West")
    by_code = rows(document)
    gp, dentistry, pharmacy = by_code["gp-access"], by_code["dentistry"], by_code["pharmacy"]

    # Ambridge 10 + 30 (the re-sent week 3, not the first 20) + 10; Borchester 10 + a
    # suppressed cell (1 to 7).
    assert (gp["rank"], gp["total"], gp["lower"], gp["upper"]) == (1, 60, 61, 67)
    assert (gp["hubs_reporting"], gp["hubs_suppressed"], gp["contributions"]) == (2, 1, 60)
    # Ambridge suppressed dentistry in two weeks: one hub suppressed, two cells in the bounds.
    assert (dentistry["total"], dentistry["lower"], dentistry["upper"]) == (50, 52, 64)
    assert dentistry["hubs_suppressed"] == 1
    # Population counted once per hub (300,000), not once per summary.
    assert gp["rate_per_100k"] == "20.0"
    assert dentistry["rate_per_100k"] == "16.7"
    # Top 5 by each hub's sums: Ambridge's gp-access (50) is first though it was 6th in week 2,
    # and its pharmacy (20, tied with four themes earlier by code) is 6th.
    assert gp["top5_hubs"] == 2
    assert pharmacy["top5_hubs"] == 0
    assert by_code["cancer"]["top5_hubs"] == 1
    # Borda over the hubs' sums (26 themes): gp-access is first in Ambridge (25 points) and
    # second in Borchester (10 published + 1 suppressed cell, below dentistry's 50: 24).
    assert gp["borda_points"] == "49.0"
    # Dentistry: Ambridge's two suppressed cells (at least 2) beat its 18 themes at 0; first
    # in Borchester (25).
    assert dentistry["borda_points"] == "43.0"
    assert (gp["borda_rank"], dentistry["borda_rank"]) == (1, 2)
    assert document["borda_max"] == 2 * 25
    assert document["period_days"] == 31
    assert coverage(document) == {"Ambridge": (3, 21, True), "Borchester": (2, 14, True)}
    assert "counts in both" in document["ranking"]


def test_one_themes_hub_cells_and_region_totals_are_the_hubs_sums(
    hubs: dict[str, SigningHub], client: FlaskClient
) -> None:
    response = client.get("/api/v1/priorities/themes/dentistry?period=2025-01&region=North+West")
    document = response.get_json()

    cells = {cell["name"]: cell for cell in document["hubs"]}
    ambridge, borchester = cells["Ambridge"], cells["Borchester"]
    # Ambridge: 0 published in week 4, two suppressed cells (1 to 7 each).
    assert ambridge["status"] == "suppressed"
    assert (ambridge["people"], ambridge["lower"], ambridge["upper"]) == (0, 2, 14)
    assert ambridge["suppressed_range"] == {"lower": 2, "upper": 14}
    assert ambridge["periods_used"] == 3
    assert (borchester["status"], borchester["people"], borchester["place"]) == (
        "published", 50, 1,
    )  # fmt: skip
    # Ambridge ranks dentistry 8th: after gp-access, the five 20s and mental-health's 15.
    assert (ambridge["place"], ambridge["themes"]) == (8, 26)
    assert document["regions"] == [
        {
            "region": "North West",
            "total": 50,
            "lower": 52,
            "upper": 64,
            "hubs_reporting": 2,
            "hubs_suppressed": 1,
            "hubs_missing": 0,
            "rate_per_100k": "16.7",
        }
    ]


def test_a_quarter_counts_a_hubs_quarter_summary_instead_of_the_months_inside_it(
    hubs: dict[str, SigningHub], client: FlaskClient
) -> None:
    before = api(client, "2025-Q1", "South West")
    assert rows(before)["gp-access"]["total"] == 30  # January + February + March
    assert coverage(before) == {"Dale": (3, 90, False)}

    send(client, hubs["Dale"], {"gp-access": 25}, Q1)

    after = api(client, "2025-Q1", "South West")
    assert rows(after)["gp-access"]["total"] == 25  # never 55: the months lie inside it
    assert coverage(after) == {"Dale": (1, 90, False)}
    # A month on its own still counts the month's summary.
    assert rows(api(client, "2025-02", "South West"))["gp-access"]["total"] == 10


def test_a_year_counts_every_hub_once_and_compares_with_the_previous_year(
    hubs: dict[str, SigningHub], client: FlaskClient
) -> None:
    document = api(client, "2025")

    assert document["period"]["start"] == "2025-01-01"
    assert document["period"]["end"] == "2025-12-31"
    assert [hub["name"] for hub in document["hubs_reporting"]] == [
        "Ambridge", "Borchester", "Camberwick", "Dale",
    ]  # fmt: skip
    assert coverage(document) == {
        "Ambridge": (3, 21, True),
        "Borchester": (2, 14, True),  # its December 2024 week is not inside 2025
        "Camberwick": (2, 14, True),
        "Dale": (3, 90, True),
    }
    by_code = rows(document)
    gp, funding = by_code["gp-access"], by_code["funding"]
    assert (gp["rank"], gp["total"]) == (1, 90)  # 50 + 10 + 30
    assert gp["rate_per_100k"] == "9.0"  # 90 per 1,000,000 residents
    assert (funding["rank"], funding["total"]) == (2, 70)  # Ambridge 20 + Camberwick's May 50
    # The previous period of a year is the year before: only Borchester's December week.
    assert document["previous_period"]["start"] == "2024-01-01"
    assert document["previous_period"]["end"] == "2024-12-31"
    assert [hub["name"] for hub in document["previous_hubs_reporting"]] == ["Borchester"]
    assert (gp["previous_total"], gp["change_total"], gp["movement"]) == (100, -10, "same")
    assert funding["movement"] == "new"


def test_the_year_page_lists_the_summaries_used_and_offers_years_and_quarters(
    hubs: dict[str, SigningHub], client: FlaskClient, app: Flask
) -> None:
    response = client.get("/priorities?period=2025&region=North+West")
    page = response.get_data(as_text=True)

    assert response.status_code == 200
    assert "<h1>National priorities, 2025, North West</h1>" in page
    assert "Summaries used from each hub" in page
    assert "21 of 365 (partial)" in page
    assert "counted in both" in page
    for value in ("2025", "2025-Q1", "2025-01", "2024", "2024-Q4", "2024-12"):
        assert f'<option value="{value}"' in page, value
    assert '<option value="2025" selected>' in page
    with app.app_context():
        periods = reported_periods(get_session(), containing=True)
        exact = reported_periods(get_session())
    assert YEAR in periods and Q1 in periods and JANUARY in periods
    assert YEAR not in exact and W02 in exact
    assert periods == sorted(periods, key=lambda period: (period.end, period.start), reverse=True)


def test_as_of_a_log_size_leaves_out_later_summaries(
    hubs: dict[str, SigningHub], client: FlaskClient, app: Flask
) -> None:
    with app.app_context():
        size = get_session().scalar(select(func.count()).select_from(LogLeaf))
    send(client, hubs["Ambridge"], {"gp-access": 100}, W04)  # re-sends week 4 after `size`

    with app.app_context():
        session = get_session()
        then = national_priorities(session, JANUARY, "North West", before_log_index=size)
        now = national_priorities(session, JANUARY, "North West")
    assert {row.code: row.total for row in then.priorities}["gp-access"] == 60
    assert {row.code: row.total for row in now.priorities}["gp-access"] == 150  # 10+30+100+10
    assert then.coverage["E06000001"].periods_used == now.coverage["E06000001"].periods_used == 3


@pytest.mark.parametrize("period", ["0000", "20255", "2025-Q5"])
def test_a_period_that_cannot_be_read_is_a_400_naming_it(
    hubs: dict[str, SigningHub], client: FlaskClient, period: str
) -> None:
    response = client.get(f"/api/v1/priorities?period={period}")

    assert_problem(response, 400, "validation-error", "period")
