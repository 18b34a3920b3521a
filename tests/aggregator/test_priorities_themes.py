"""One theme across hubs and regions: each hub's cell, region totals, its trend and its quotes.

October 2026, dentistry: Metropolis (London) 10, Ashby (North West) 20, Brampton (North
West) 30 with a consented quote, Carlow (North West) sent nothing. North West: 20 + 30 = 50
from 2 of its 3 hubs, 50 per 300,000 residents = 16.7 per 100,000.
"""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from federation.periods import Period
from tests.aggregator.bodies import released_body
from tests.aggregator.conftest import RegisterHub, assert_problem, post

QUOTE = "I waited eleven months for an NHS dentist and in the end paid privately."


@pytest.fixture
def hubs(client: FlaskClient, register: RegisterHub) -> FlaskClient:
    metropolis = register("E09000001", "Metropolis", "London", 1_000_000)
    ashby = register("E08000001", "Ashby", "North West", 200_000)
    brampton = register("E08000002", "Brampton", "North West", 100_000)
    register("E08000004", "Carlow", "North West", 50_000)
    brampton_body = released_body(
        {"dentistry": 30, "mental-health": 3}, quotes=[("dentistry", QUOTE)]
    )
    sent = [
        metropolis.summary({"dentistry": 15}, period=Period.month(2026, 9)),
        metropolis.summary({"gp-access": 500, "dentistry": 10}),
        ashby.summary({"dentistry": 20, "gp-access": 10}),
        brampton.summary(body=brampton_body),
    ]
    for envelope in sent:
        assert post(client, envelope).status_code == 201, envelope
    return client


def test_each_hub_is_published_suppressed_or_did_not_report(hubs: FlaskClient) -> None:
    document = hubs.get("/api/v1/priorities/themes/mental-health?period=2026-10").get_json()

    cells = {hub["name"]: hub for hub in document["hubs"]}
    assert list(cells) == ["Ashby", "Brampton", "Carlow", "Metropolis"]
    assert cells["Brampton"]["status"] == "suppressed"
    assert cells["Brampton"]["people"] is None
    assert cells["Brampton"]["suppressed_range"] == {"lower": 1, "upper": 7}
    assert (cells["Brampton"]["place"], cells["Brampton"]["themes"]) == (2, 26)
    assert (cells["Carlow"]["status"], cells["Carlow"]["people"], cells["Carlow"]["place"]) == (
        "missing", None, None,
    )  # fmt: skip
    assert (cells["Ashby"]["status"], cells["Ashby"]["people"]) == ("published", 0)
    assert (cells["Ashby"]["place"], cells["Ashby"]["themes"]) == (3, 26)  # the zeros share 3rd


def test_regions_total_their_hubs_and_count_the_missing(hubs: FlaskClient) -> None:
    document = hubs.get("/api/v1/priorities/themes/dentistry?period=2026-10").get_json()

    assert document["name"] == "Dentistry"
    regions = {region["region"]: region for region in document["regions"]}
    assert regions["North West"] == {
        "region": "North West", "total": 50, "lower": 50, "upper": 50, "hubs_reporting": 2,
        "hubs_suppressed": 0, "hubs_missing": 1, "rate_per_100k": "16.7",
    }  # fmt: skip
    assert (regions["London"]["total"], regions["London"]["hubs_missing"]) == (10, 0)
    assert document["priority"]["total"] == 60
    places = {hub["name"]: hub["place"] for hub in document["hubs"]}
    assert places == {"Ashby": 1, "Brampton": 1, "Carlow": None, "Metropolis": 2}


def test_the_history_shows_periods_without_reports_as_missing(hubs: FlaskClient) -> None:
    history = hubs.get("/api/v1/priorities/themes/dentistry?period=2026-10").get_json()["history"]

    assert [point["period"]["label"] for point in history] == [
        "2026-05", "2026-06", "2026-07", "2026-08", "2026-09", "2026-10",
    ]  # fmt: skip
    assert [point["total"] for point in history] == [None, None, None, None, 15, 60]
    assert [point["hubs_reporting"] for point in history] == [0, 0, 0, 0, 1, 3]


def test_the_consented_quotes_come_with_their_hub(hubs: FlaskClient) -> None:
    document = hubs.get("/api/v1/priorities/themes/dentistry?period=2026-10").get_json()

    assert document["quotes"] == [
        {"hub": {"gss": "E08000002", "name": "Brampton", "region": "North West"}, "text": QUOTE}
    ]
    other = hubs.get("/api/v1/priorities/themes/gp-access?period=2026-10").get_json()
    assert other["quotes"] == []


def test_a_region_narrows_the_hubs_and_the_quotes(hubs: FlaskClient) -> None:
    document = hubs.get(
        "/api/v1/priorities/themes/dentistry?period=2026-10&region=London"
    ).get_json()

    assert [hub["name"] for hub in document["hubs"]] == ["Metropolis"]
    assert [region["region"] for region in document["regions"]] == ["London"]
    assert document["quotes"] == []
    assert document["priority"]["total"] == 10


def test_an_unknown_theme_is_a_404(hubs: FlaskClient) -> None:
    assert_problem(hubs.get("/api/v1/priorities/themes/nothing"), 404, "not-found", None)
    page = hubs.get("/priorities/themes/<b>nothing")
    assert page.status_code == 404
    text = page.get_data(as_text=True)
    assert "There is no national theme called “&lt;b&gt;nothing”" in text
    assert 'href="/priorities"' in text


def test_a_bad_period_is_a_400(hubs: FlaskClient) -> None:
    response = hubs.get("/api/v1/priorities/themes/dentistry?period=2026-13")

    assert_problem(response, 400, "validation-error", "period")
    assert hubs.get("/priorities/themes/dentistry?period=2026-13").status_code == 400


def test_the_page_has_the_chart_tables_and_quote(hubs: FlaskClient) -> None:
    response = hubs.get("/priorities/themes/mental-health?period=2026-10")
    page = response.get_data(as_text=True)

    assert response.status_code == 200
    assert "suppressed (1–7)" in page and "did not report" in page
    assert page.count('role="img"') == 1 and 'id="trend-caption"' in page
    assert "No reports" in page  # periods nobody reported, in the trend table
    dentistry = hubs.get("/priorities/themes/dentistry?period=2026-10").get_data(as_text=True)
    assert "From Brampton" in dentistry and "paid privately" in dentistry
    assert "<style" not in page and " style=" not in page and "<script" not in page


def test_before_any_summary_the_theme_page_says_so(client: FlaskClient) -> None:
    page = client.get("/priorities/themes/dentistry").get_data(as_text=True)
    document = client.get("/api/v1/priorities/themes/dentistry").get_json()

    assert "No hub has sent a summary yet." in page
    assert document["period"] is None and document["hubs"] == [] and document["priority"] is None
