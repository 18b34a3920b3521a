"""National priorities: what the board reads, computed from hubs' published cells."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from federation.periods import Period
from hubnet.db import get_session
from national_aggregator.db import utcnow
from national_aggregator.log import log_signer
from national_aggregator.registry.services import revoke_hub
from tests.aggregator.conftest import RegisterHub, assert_problem, post

SEPTEMBER = Period.month(2026, 9)
OCTOBER_POPULATION = 551938 + 570305  # Manchester + Cornwall, the hubs reporting October


@pytest.fixture
def national(client: FlaskClient, register: RegisterHub, app: Flask) -> FlaskClient:
    """Manchester and Cornwall report October; Leeds only September; Westminster is revoked."""
    manchester = register("E08000003", "Manchester", "North West", 551938)
    cornwall = register("E06000052", "Cornwall", "South West", 570305)
    leeds = register("E08000035", "Leeds", "Yorkshire and The Humber", 811953)
    westminster = register("E09000033", "Westminster", "London", 204236)
    sent = [
        manchester.summary({"gp-access": 100}),  # superseded by the re-send below
        manchester.summary(
            {
                "gp-access": 40,
                "dentistry": None,
                "mental-health": 25,
                "dementia": 20,
                "pharmacy": 15,
                "cancer": 10,
                "maternity": 10,
            }
        ),
        cornwall.summary({"dentistry": 30, "gp-access": 20, "mental-health": None}),
        # Half of October is another period: it must not count towards October.
        cornwall.summary({"dentistry": 500}, period=Period.parse("2026-10-01/2026-10-15")),
        leeds.summary({"funding": 45}, period=SEPTEMBER),
        westminster.summary({"funding": 50}, period=SEPTEMBER),
    ]
    for envelope in sent:
        assert post(client, envelope).status_code == 201
    with app.app_context():
        revoke_hub(
            get_session(), westminster.gss, utcnow(), reason="left the network", signer=log_signer()
        )
        get_session().commit()
    return client


def rows_by_code(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {row["code"]: row for row in document["priorities"]}


def test_totals_bounds_rates_and_top5_come_from_the_published_cells(national: FlaskClient) -> None:
    document = national.get("/api/v1/priorities?period=2026-10").get_json()

    rows = rows_by_code(document)
    gp, dentistry, mental = rows["gp-access"], rows["dentistry"], rows["mental-health"]
    assert (gp["rank"], gp["total"], gp["lower"], gp["upper"]) == (1, 60, 60, 60)
    # Manchester's dentistry is suppressed: 0 in the total, 1 to 7 people in the bounds.
    assert (dentistry["rank"], dentistry["total"], dentistry["lower"], dentistry["upper"]) == (
        2, 30, 31, 37,
    )  # fmt: skip
    assert (mental["rank"], mental["total"], mental["lower"], mental["upper"]) == (3, 25, 26, 32)
    assert (dentistry["hubs_reporting"], dentistry["hubs_suppressed"]) == (2, 1)
    assert gp["rate_per_100k"] == "5.3"  # 60 per 1,122,243 residents
    assert dentistry["rate_per_100k"] == "2.7"
    assert rows["funding"]["rate_per_100k"] == "0.0"
    assert gp["name"] == "GP access"
    # The test bodies publish contributions equal to people: suppressed ones add nothing.
    assert (gp["contributions"], dentistry["contributions"]) == (60, 30)


def test_top5_counts_hubs_where_the_theme_is_in_their_own_top_5(national: FlaskClient) -> None:
    rows = rows_by_code(national.get("/api/v1/priorities?period=2026-10").get_json())

    assert rows["gp-access"]["top5_hubs"] == 2
    assert rows["dentistry"]["top5_hubs"] == 1  # Cornwall's 30; Manchester's is suppressed
    assert rows["mental-health"]["top5_hubs"] == 1
    # Manchester's 5th place is a tie at 10, broken by code: cancer before maternity.
    assert (rows["cancer"]["top5_hubs"], rows["maternity"]["top5_hubs"]) == (1, 0)
    assert rows["funding"]["top5_hubs"] == 0  # zero never counts


def test_ranking_is_by_total_then_code(national: FlaskClient) -> None:
    document = national.get("/api/v1/priorities?period=2026-10").get_json()

    codes = [row["code"] for row in document["priorities"]]
    assert codes[:7] == [
        "gp-access", "dentistry", "mental-health", "dementia", "pharmacy", "cancer", "maternity",
    ]  # fmt: skip
    assert codes[7:] == sorted(codes[7:])  # the zeros, by code
    assert [row["rank"] for row in document["priorities"]] == list(range(1, 27))
    assert document["ranking"]


def test_reporting_and_missing_hubs_for_the_period(national: FlaskClient) -> None:
    document = national.get("/api/v1/priorities?period=2026-10").get_json()

    assert document["period"] == {"start": "2026-10-01", "end": "2026-10-31", "label": "2026-10"}
    assert document["taxonomy"] == "national/1"
    assert document["hubs_reporting"] == [
        {"gss": "E06000052", "name": "Cornwall", "region": "South West"},
        {"gss": "E08000003", "name": "Manchester", "region": "North West"},
    ]
    # Leeds sent only September; revoked Westminster is not expected to report.
    assert document["hubs_missing"] == [
        {"gss": "E08000035", "name": "Leeds", "region": "Yorkshire and The Humber"}
    ]


def test_another_period_is_chosen_with_the_period_parameter(national: FlaskClient) -> None:
    document = national.get("/api/v1/priorities?period=2026-09").get_json()

    assert [hub["name"] for hub in document["hubs_reporting"]] == ["Leeds", "Westminster"]
    funding = rows_by_code(document)["funding"]
    assert (funding["rank"], funding["total"], funding["top5_hubs"]) == (1, 95, 2)
    assert funding["rate_per_100k"] == "9.3"  # 95 per 1,016,189 residents


def test_without_a_period_the_latest_period_any_hub_sent_is_used(national: FlaskClient) -> None:
    document = national.get("/api/v1/priorities").get_json()

    assert document["period"]["label"] == "2026-10"  # ends last; the half-month ends earlier


@pytest.mark.parametrize("period", ["2026-13", "last month", "2026-10-31/2026-10-01"])
def test_a_period_that_cannot_be_read_is_a_400_problem(client: FlaskClient, period: str) -> None:
    response = client.get("/api/v1/priorities", query_string={"period": period})

    assert_problem(response, 400, "validation-error", "period")


def test_before_any_summary_every_registered_hub_is_missing(
    client: FlaskClient, register: RegisterHub
) -> None:
    register()

    document = client.get("/api/v1/priorities").get_json()

    assert document["period"] is None
    assert document["priorities"] == []
    assert [hub["gss"] for hub in document["hubs_missing"]] == ["E08000003"]


def test_the_priorities_page_is_an_accessible_table_with_missing_hubs_named(
    national: FlaskClient,
) -> None:
    page = national.get("/priorities?period=2026-10").get_data(as_text=True)

    assert '<html lang="en-GB">' in page
    assert '<caption class="nhsuk-table__caption"' in page and 'scope="col">Rank</th>' in page
    assert re.search(
        r'scope="row"><a href="/priorities/themes/gp-access\?[^"]*">GP access</a>', page
    )
    assert re.search(r"No summary for 2026-10 from:\s+Leeds\.\s+Their numbers are missing", page)
    assert '<option value="2026-10" selected>' in page  # the selector works without JavaScript
    assert '<option value="2026-09">' in page


def test_the_priorities_page_explains_a_period_it_cannot_read(national: FlaskClient) -> None:
    response = national.get("/priorities?period=2026-13")

    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "That period could not be read" in page and '<a href="#period">' in page
    assert "<title>Error: " in page


def test_the_home_page_links_to_the_priorities(client: FlaskClient) -> None:
    page = client.get("/").get_data(as_text=True)

    assert 'href="/priorities"' in page
