"""The national ranking by region, the Borda count over hubs' own rankings, and the trend.

Worked by hand for three hubs and 26 themes (taxonomy national/1), October 2026:

    hub          region       population  published people (every other theme 0)
    Metropolis   London        1,000,000  gp-access 500, dentistry 10
    Ashby        North West      200,000  dentistry 20, gp-access 10
    Brampton     North West      100,000  dentistry 30, mental-health suppressed (1-7)
    Carlow       North West       50,000  (no summary for October: missing, not zero)

Borda: in each hub a theme scores 1 for each theme it beats and 1/2 for each tie; with n = 26
each hub gives out 26 x 25 / 2 = 325 points. A suppressed cell sorts above 0, below any
published count.

    Metropolis: gp 25 (beats 25), dentistry 24, the 24 zeros 23/2 = 11.5 each
    Ashby:      dentistry 25, gp 24, the 24 zeros 11.5 each
    Brampton:   dentistry 25, mental-health 24 (beats the 24 zeros), the 24 zeros
                (gp among them) 11.5 each

    dentistry  24 + 25 + 25     = 74    Borda rank 1   (total 60,  rank 2 by people)
    gp-access  25 + 24 + 11.5   = 60.5  Borda rank 2   (total 510, rank 1 by people)
    mental-h.  11.5 + 11.5 + 24 = 47    Borda rank 3   (total 0, bounds 1 to 7)
    the other 23 themes: 34.5 each, sharing Borda rank 4

So Metropolis's 500 people put gp-access first by people, but in the Borda count it is one
hub of three, and dentistry (first in two hubs, second in the third) comes first.

September 2026 (the previous period of the same length): Metropolis gp-access 400 and
mental-health 20; Ashby gp-access 10. Totals: gp-access 410 (rank 1), mental-health 20
(rank 2); dentistry 0, so in October it is new.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from flask.testing import FlaskClient

from federation.periods import Period
from national_aggregator.priorities.services import Priority, _with_trend, previous_period
from tests.aggregator.conftest import RegisterHub, assert_problem, post

SEPTEMBER = Period.month(2026, 9)


@pytest.fixture
def hubs(client: FlaskClient, register: RegisterHub) -> FlaskClient:
    metropolis = register("E09000001", "Metropolis", "London", 1_000_000)
    ashby = register("E08000001", "Ashby", "North West", 200_000)
    brampton = register("E08000002", "Brampton", "North West", 100_000)
    register("E08000004", "Carlow", "North West", 50_000)
    sent = [
        metropolis.summary({"gp-access": 400, "mental-health": 20}, period=SEPTEMBER),
        ashby.summary({"gp-access": 10}, period=SEPTEMBER),
        metropolis.summary({"gp-access": 500, "dentistry": 10}),
        ashby.summary({"dentistry": 20, "gp-access": 10}),
        brampton.summary({"dentistry": 30, "mental-health": None}),
    ]
    for envelope in sent:
        assert post(client, envelope).status_code == 201
    return client


def rows(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {row["code"]: row for row in document["priorities"]}


def test_borda_counts_every_hub_once_so_a_big_hub_cannot_dominate(hubs: FlaskClient) -> None:
    document = hubs.get("/api/v1/priorities?period=2026-10").get_json()
    by_code = rows(document)

    dentistry, gp, mental = by_code["dentistry"], by_code["gp-access"], by_code["mental-health"]
    assert (gp["rank"], gp["total"]) == (1, 510)  # by people, Metropolis decides
    assert (dentistry["rank"], dentistry["total"]) == (2, 60)
    assert (dentistry["borda_rank"], dentistry["borda_points"]) == (1, "74.0")
    assert (gp["borda_rank"], gp["borda_points"]) == (2, "60.5")
    assert (mental["borda_rank"], mental["borda_points"]) == (3, "47.0")
    others = [
        row
        for code, row in by_code.items()
        if code not in {"dentistry", "gp-access", "mental-health"}
    ]
    assert {(row["borda_rank"], row["borda_points"]) for row in others} == {(4, "34.5")}
    assert len(others) == 23
    assert document["borda_max"] == 75  # 3 hubs x 25 themes beaten
    total_points = sum(Decimal(row["borda_points"]) for row in document["priorities"])
    assert total_points == 3 * 325  # every hub gives out the same points
    assert "Borda" in document["borda"] and "half a point" in document["borda"]


def test_suppressed_cells_give_bounds_not_zero(hubs: FlaskClient) -> None:
    mental = rows(hubs.get("/api/v1/priorities?period=2026-10").get_json())["mental-health"]

    assert (mental["total"], mental["lower"], mental["upper"]) == (0, 1, 7)
    assert (mental["hubs_suppressed"], mental["top5_hubs"]) == (1, 0)


def test_the_trend_compares_with_the_previous_period_of_the_same_length(hubs: FlaskClient) -> None:
    document = hubs.get("/api/v1/priorities?period=2026-10").get_json()
    by_code = rows(document)

    assert document["previous_period"] == {
        "start": "2026-09-01", "end": "2026-09-30", "label": "2026-09",
    }  # fmt: skip
    assert [hub["name"] for hub in document["previous_hubs_reporting"]] == ["Ashby", "Metropolis"]
    gp = by_code["gp-access"]
    assert (gp["previous_total"], gp["previous_rank"], gp["change_total"], gp["change_rank"]) == (
        410, 1, 100, 0,
    )  # fmt: skip
    assert gp["movement"] == "same"
    dentistry = by_code["dentistry"]
    assert (dentistry["movement"], dentistry["previous_total"], dentistry["previous_rank"]) == (
        "new", 0, None,
    )  # fmt: skip
    assert (dentistry["change_total"], dentistry["change_rank"]) == (60, None)
    mental = by_code["mental-health"]
    assert (mental["previous_total"], mental["previous_rank"], mental["change_total"]) == (
        20,
        2,
        -20,
    )
    assert mental["movement"] == "down" and mental["change_rank"] == 2 - mental["rank"]
    funding = by_code["funding"]  # raised in neither period: not new, no rank change
    assert (funding["movement"], funding["previous_rank"], funding["change_total"]) == (
        "same",
        None,
        0,
    )


def test_without_a_previous_period_there_is_nothing_to_compare(hubs: FlaskClient) -> None:
    document = hubs.get("/api/v1/priorities?period=2026-09").get_json()

    assert document["previous_period"]["label"] == "2026-08"
    assert document["previous_hubs_reporting"] == []
    assert {row["movement"] for row in document["priorities"]} == {None}
    assert {row["previous_total"] for row in document["priorities"]} == {None}


def test_a_region_counts_only_its_hubs_and_names_its_missing_ones(hubs: FlaskClient) -> None:
    document = hubs.get("/api/v1/priorities?period=2026-10&region=North+West").get_json()
    by_code = rows(document)

    assert document["region"] == "North West"
    assert [hub["name"] for hub in document["hubs_reporting"]] == ["Ashby", "Brampton"]
    assert [hub["name"] for hub in document["hubs_missing"]] == ["Carlow"]  # missing, not 0
    dentistry, gp = by_code["dentistry"], by_code["gp-access"]
    assert (dentistry["rank"], dentistry["total"], dentistry["rate_per_100k"]) == (1, 50, "16.7")
    # 50 per 300,000 residents of the two hubs reporting (Carlow's 50,000 not counted)
    assert (dentistry["borda_rank"], dentistry["borda_points"]) == (1, "50.0")
    assert document["borda_max"] == 50
    # In September only Ashby reported in the North West: gp-access 10, first.
    assert (gp["rank"], gp["previous_rank"], gp["movement"], gp["change_rank"]) == (
        2,
        1,
        "down",
        -1,
    )
    assert dentistry["movement"] == "new"


def test_a_region_with_no_registered_hub_is_a_400_problem(hubs: FlaskClient) -> None:
    response = hubs.get("/api/v1/priorities?region=Atlantis")

    problem = assert_problem(response, 400, "validation-error", "region")
    assert "North West" in problem["detail"]


def test_the_page_shows_the_borda_method_both_rankings_and_the_trend(hubs: FlaskClient) -> None:
    page = hubs.get("/priorities?period=2026-10").get_data(as_text=True)

    assert "Borda count" in page and "half a point" in page
    assert 'id="borda-caption"' in page and "Borda points (of 75)" in page
    assert "Compared with 2026-09" in page
    assert '<strong class="nhsuk-tag nhsuk-tag--blue">New</strong>' in page  # dentistry
    assert "Same place (+100 people)" in page  # gp-access
    assert page.count('role="img"') == 2  # the bar chart and the trend chart
    assert "<style" not in page and " style=" not in page and "<script" not in page


def test_the_page_for_a_region_selects_it_and_a_bad_one_is_a_400_page(hubs: FlaskClient) -> None:
    page = hubs.get("/priorities?period=2026-10&region=North+West").get_data(as_text=True)
    assert '<option value="North West" selected>' in page
    assert "No summary for 2026-10 from:" in page and "Carlow" in page

    response = hubs.get("/priorities?region=Atlantis")
    assert response.status_code == 400
    bad = response.get_data(as_text=True)
    assert "That region could not be found" in bad and '<a href="#region">' in bad


@pytest.mark.parametrize(
    ("period", "before"),
    [
        ("2026-10", "2026-09"),
        ("2026-01", "2025-12"),
        ("2026-03-01/2026-03-31", "2026-02"),  # a whole month however it is named
        ("2026-Q1", "2025-10-01/2025-12-31"),  # a quarter: the quarter before
        ("2026-W02", "2026-W01"),  # 5 to 11 January: the 7 days before, 29 Dec to 4 Jan
        ("2026-10-01/2026-10-15", "2026-09-16/2026-09-30"),  # 15 days: the 15 before
        ("2026-01-01/2026-12-31", "2025-01-01/2025-12-31"),  # a year: the year before
    ],
)
def test_the_previous_period_has_the_same_length(period: str, before: str) -> None:
    assert previous_period(Period.parse(period)) == Period.parse(before)


def _row(code: str, rank: int, total: int, upper: int | None = None) -> Priority:
    upper = total if upper is None else upper
    return Priority(rank, code, code, total, total, upper, 1, 0, Decimal(0), 0, 0)


def test_a_theme_raised_only_through_a_suppressed_cell_before_is_not_new() -> None:
    before = [_row("a", 1, 20), _row("b", 2, 0, upper=7)]  # b: suppressed, raised by 1 to 7
    now = [_row("b", 1, 30), _row("a", 2, 10)]

    trended = {row.code: row for row in _with_trend(now, before)}

    assert (trended["b"].movement, trended["b"].change_rank, trended["b"].change_total) == (
        "up", 1, 30,
    )  # fmt: skip
    assert (trended["a"].movement, trended["a"].change_rank) == ("down", -1)
