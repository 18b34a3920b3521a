"""Hidden voices and routing nationally, from real released bodies of several hubs.

Each hub's body is made by the hub's own engine (`federation.disclosure.engine.protect`)
from true counts, a population profile and routing figures, signed and posted over
HTTP. The figures below are worked out by hand from those counts:

| hub (region) | profile: disabled share | all: disabled / not-disabled | routing |
| --- | --- | --- | --- |
| Manchester (North West) | 20 / 100 = 0.2 | 10 / 90 | yes |
| Leeds (Yorkshire and The Humber) | 0.2 | 40 / 60 | yes |
| Cornwall (South West) | 25 / 100 = 0.25, and unpaid carers 0.1 | 15 / 45 (carers 10 / 50) | yes |
| Salford (North West) | 0.2 | 10 / 90 | no block |
| Bradford (Yorkshire and The Humber) | none: representation null | | no block |
| Liverpool (North West) | registered, sent nothing | | |

Ratios (share of answers ÷ share of population): disabled 0.1 / 0.2 = 0.5 in
Manchester and Salford, 0.4 / 0.2 = 2 in Leeds, 0.25 / 0.25 = 1 in Cornwall; not
disabled 0.9 / 0.8 = 1.125, 0.6 / 0.8 = 0.75, 0.75 / 0.75 = 1.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from federation.disclosure.engine import Population, protect
from federation.disclosure.routing import RoutingCounts, TypeCounts
from tests.aggregator.bodies import raw_counts
from tests.aggregator.conftest import RegisterHub, assert_problem, post, row_counts


def routed(national: int = 0, **by_type: TypeCounts) -> RoutingCounts:
    """Routing figures for the 365 days up to 31 October 2026 (the window of 2026-10);
    `nhs_trust=TypeCounts(…)` is the nhs-trust row."""
    kinds = {kind.replace("_", "-"): counts for kind, counts in by_type.items()}
    return RoutingCounts(date(2025, 11, 1), date(2026, 10, 31), national, kinds)


def released(
    participants: int,
    tables: Mapping[str, Mapping[str, int]],
    *,
    population: Mapping[str, Mapping[str, int]] | None = None,
    routing: RoutingCounts | None = None,
) -> dict[str, Any]:
    """What a hub's engine publishes: `participants` people (all on gp-access), with these
    tables of everyone who took part, this population profile and these routing figures."""
    raw = raw_counts({"gp-access": participants})
    every = {**raw.breakdowns["all"], **tables}
    raw = dataclasses.replace(raw, breakdowns={**raw.breakdowns, "all": every})
    profile = None if population is None else Population(population, "Census 2021 (test)")
    return dict(protect(raw, routing=routing, population=profile).body)


def disability(disabled: int, not_disabled: int) -> dict[str, dict[str, int]]:
    return {"disability": {"disabled": disabled, "not-disabled": not_disabled}}


@dataclass(frozen=True)
class HubRelease:
    """One hub's true figures for 2026-10: what `released` makes its body from."""

    participants: int
    tables: Mapping[str, Mapping[str, int]]
    population: Mapping[str, Mapping[str, int]] | None = None
    routing: RoutingCounts | None = None

    def body(self) -> dict[str, Any]:
        return released(
            self.participants, self.tables, population=self.population, routing=self.routing
        )


MANCHESTER = HubRelease(
    100,
    disability(10, 90),
    disability(20, 80),
    routed(
        15,
        nhs_trust=TypeCounts(40, 30, 10, 12, 9.0),  # changes 12 → 10
        gp_practice=TypeCounts(12, 12, 0, 3, 4.0),  # routed 12 → 10, changes 3 suppressed
    ),
)
LEEDS = HubRelease(
    100,
    disability(40, 60),
    disability(20, 80),
    routed(3, nhs_trust=TypeCounts(20, 5, 15, 0)),  # national 3 and responded 5 suppressed
)
CORNWALL = HubRelease(
    60,
    {**disability(15, 45), "unpaid_carer": {"carer": 10, "not-carer": 50}},
    {**disability(25, 75), "unpaid_carer": {"carer": 10, "not-carer": 90}},
    routed(gp_practice=TypeCounts(25, 20, 5, 9, 6.5)),  # late 5 suppressed, changes 9 → 10
)
SALFORD = HubRelease(100, disability(10, 90), disability(20, 80))  # no routing block
BRADFORD = HubRelease(100, disability(10, 90))  # no profile, no routing

HUBS = (
    ("E08000003", "Manchester", "North West", MANCHESTER),
    ("E08000035", "Leeds", "Yorkshire and The Humber", LEEDS),
    ("E06000052", "Cornwall", "South West", CORNWALL),
    ("E08000006", "Salford", "North West", SALFORD),
    ("E08000032", "Bradford", "Yorkshire and The Humber", BRADFORD),
)


def post_the_hubs(client: FlaskClient, register: RegisterHub) -> None:
    """Register every hub of the table above (and Liverpool) and post each one's release."""
    for gss, name, region, figures in HUBS:
        hub = register(gss=gss, name=name, region=region, population=500_000)
        response = post(client, hub.summary(body=figures.body()))
        assert response.status_code == 201, response.data
    register(gss="E08000012", name="Liverpool", region="North West", population=486_100)


def names(hubs: list[dict[str, str]]) -> list[str]:
    return [hub["name"] for hub in hubs]


def group(document: dict[str, Any], characteristic: str, category: str) -> dict[str, Any]:
    found: dict[str, Any] = next(
        row
        for row in document["groups"]
        if (row["characteristic"], row["category"]) == (characteristic, category)
    )
    return found


NO_HUBS = {
    "under-represented": 0,
    "in line": 0,
    "over-represented": 0,
    "too few answers": 0,
    "withheld": 0,
    "none in the population": 0,
}


def test_hidden_voices_counts_each_hubs_flag_and_the_median_ratio(
    client: FlaskClient, register: RegisterHub
) -> None:
    post_the_hubs(client, register)

    document = client.get("/api/v1/hidden-voices?period=2026-10").get_json()

    assert document["period"] == {"start": "2026-10-01", "end": "2026-10-31", "label": "2026-10"}
    assert document["region"] is None
    assert names(document["hubs_with_profile"]) == ["Cornwall", "Leeds", "Manchester", "Salford"]
    assert names(document["hubs_without_profile"]) == ["Bradford"]
    assert names(document["hubs_missing"]) == ["Liverpool"]
    disabled = group(document, "disability", "disabled")
    assert disabled["hubs"] == {
        **NO_HUBS, "under-represented": 2, "in line": 1, "over-represented": 1,
    }  # fmt: skip
    assert disabled["hubs_not_covered"] == 0
    assert disabled["hubs_with_ratio"] == 4
    assert disabled["median_ratio"] == "0.7500"  # of 0.5, 0.5, 1, 2: (0.5 + 1) / 2
    assert [(well["hub"]["name"], well["lower"]) for well in disabled["doing_well"]] == [
        ("Leeds", "1.5470")
    ]
    not_disabled = group(document, "disability", "not-disabled")
    assert not_disabled["hubs"] == {
        **NO_HUBS, "under-represented": 1, "in line": 1, "over-represented": 2,
    }  # fmt: skip
    assert not_disabled["median_ratio"] == "1.0625"  # of 0.75, 1, 1.125, 1.125: (1 + 1.125) / 2
    # Manchester and Salford have the same lower bound: by name.
    assert [(well["hub"]["name"], well["ratio"]) for well in not_disabled["doing_well"]] == [
        ("Manchester", "1.1250"),
        ("Salford", "1.1250"),
    ]


def test_a_characteristic_outside_a_hubs_profile_is_not_counted_as_in_line(
    client: FlaskClient, register: RegisterHub
) -> None:
    post_the_hubs(client, register)

    document = client.get("/api/v1/hidden-voices?period=2026-10").get_json()

    carer = group(document, "unpaid_carer", "carer")
    assert carer["hubs"] == {**NO_HUBS, "in line": 1}  # Cornwall: 10 / 60 ÷ 0.1 = 1.6667
    assert carer["hubs_not_covered"] == 3  # Leeds, Manchester, Salford have no carer figures
    assert carer["median_ratio"] == "1.6667"
    assert carer["doing_well"] == []  # its interval starts at 0.9313: not clearly at least 1
    age = group(document, "age_band", "16-24")
    assert age["hubs"] == NO_HUBS and age["hubs_not_covered"] == 4
    assert age["median_ratio"] is None
    assert [row["label"] for row in document["groups"][:2]] == [
        "Age band: Under 16",
        "Age band: 16 to 24",
    ]  # catalogue order, not stated left out
    assert not any(row["category"] == "not-stated" for row in document["groups"])


def test_groups_under_represented_in_most_places_come_first(
    client: FlaskClient, register: RegisterHub
) -> None:
    post_the_hubs(client, register)

    document = client.get("/api/v1/hidden-voices").get_json()  # the latest period: 2026-10

    assert document["most_under_represented"] == [
        {"characteristic": "disability", "category": "disabled", "hubs_under": 2,
         "hubs_with_figures": 4, "median_ratio": "0.7500"},
        {"characteristic": "disability", "category": "not-disabled", "hubs_under": 1,
         "hubs_with_figures": 4, "median_ratio": "1.0625"},
    ]  # fmt: skip


def test_one_region_counts_only_its_hubs(client: FlaskClient, register: RegisterHub) -> None:
    post_the_hubs(client, register)

    document = client.get("/api/v1/hidden-voices?period=2026-10&region=North+West").get_json()

    assert document["region"] == "North West"
    assert names(document["hubs_with_profile"]) == ["Manchester", "Salford"]
    assert document["hubs_without_profile"] == []
    assert names(document["hubs_missing"]) == ["Liverpool"]
    disabled = group(document, "disability", "disabled")
    assert disabled["hubs"] == {**NO_HUBS, "under-represented": 2}
    assert disabled["median_ratio"] == "0.5000"


def test_a_later_resend_of_the_period_replaces_the_earlier_one(
    client: FlaskClient, register: RegisterHub
) -> None:
    hub = register(population=500_000)
    first = released(100, disability(10, 90), population=disability(20, 80))
    assert post(client, hub.summary(body=first)).status_code == 201
    again = released(100, disability(20, 80), population=disability(20, 80))  # 0.2 / 0.2 = 1
    assert post(client, hub.summary(body=again)).status_code == 201

    document = client.get("/api/v1/hidden-voices?period=2026-10").get_json()

    disabled = group(document, "disability", "disabled")
    assert disabled["hubs"] == {**NO_HUBS, "in line": 1}
    assert disabled["median_ratio"] == "1.0000"


def test_no_summary_yet_lists_every_hub_as_missing(
    client: FlaskClient, register: RegisterHub
) -> None:
    register()

    document = client.get("/api/v1/hidden-voices").get_json()

    assert document["period"] is None
    assert names(document["hubs_missing"]) == ["Manchester"]
    assert document["groups"] == [] and document["most_under_represented"] == []


def test_a_summary_without_the_blocks_is_a_hub_without_a_profile(
    client: FlaskClient, register: RegisterHub
) -> None:
    hub = register()
    assert post(client, hub.summary({"gp-access": 20})).status_code == 201

    voices_document = client.get("/api/v1/hidden-voices").get_json()
    routing_document = client.get("/api/v1/routing").get_json()

    assert names(voices_document["hubs_without_profile"]) == ["Manchester"]
    assert voices_document["hubs_with_profile"] == []
    assert all(row["hubs"] == NO_HUBS for row in voices_document["groups"])
    assert names(routing_document["hubs_without_routing"]) == ["Manchester"]
    assert routing_document["national"] is None


def test_routing_totals_by_organisation_type_with_bounds_for_suppressed_cells(
    client: FlaskClient, register: RegisterHub
) -> None:
    post_the_hubs(client, register)

    document = client.get("/api/v1/routing?period=2026-10").get_json()

    assert document["window"] == {"start": "2025-11-01", "end": "2026-10-31"}
    assert names(document["hubs_with_routing"]) == ["Cornwall", "Leeds", "Manchester"]
    assert names(document["hubs_without_routing"]) == ["Bradford", "Salford"]
    assert names(document["hubs_missing"]) == ["Liverpool"]
    # 15 + 0, and Leeds's suppressed 3 hides 1 to 7
    assert document["national"] == {"total": 15, "lower": 16, "upper": 22, "hubs_suppressed": 1}
    rows = {row["organisation_type"]: row for row in document["by_organisation_type"]}
    assert list(rows) == [
        "council-department", "icb", "nhs-trust", "gp-practice", "healthwatch", "other",
    ]  # fmt: skip
    trust = rows["nhs-trust"]
    assert trust["routed"] == {"total": 60, "lower": 60, "upper": 60, "hubs_suppressed": 0}
    assert trust["responded"] == {"total": 30, "lower": 31, "upper": 37, "hubs_suppressed": 1}
    assert trust["late"]["total"] == 25 and trust["changes"]["total"] == 10
    # Only Manchester published a rate (Leeds's responded is suppressed): 30 / (30 + 10)
    assert (trust["response_rate"], trust["response_rate_hubs"]) == ("0.75", 1)
    assert (trust["median_working_days"], trust["median_hubs"]) == ("9.0", 1)
    practice = rows["gp-practice"]
    assert practice["routed"]["total"] == 35  # 10 + 25
    assert practice["responded"]["total"] == 30  # 10 + 20
    assert practice["late"] == {"total": 0, "lower": 1, "upper": 7, "hubs_suppressed": 1}
    assert practice["changes"] == {"total": 10, "lower": 11, "upper": 17, "hubs_suppressed": 1}
    assert (practice["response_rate"], practice["response_rate_hubs"]) == ("1.00", 1)
    assert practice["median_working_days"] == "5.3"  # (4.0 + 6.5) / 2 = 5.25, half up
    icb = rows["icb"]
    assert icb["routed"]["total"] == 0 and icb["response_rate"] is None


def test_routing_for_one_region(client: FlaskClient, register: RegisterHub) -> None:
    post_the_hubs(client, register)

    document = client.get("/api/v1/routing?period=2026-10&region=Yorkshire+and+The+Humber")

    body = document.get_json()
    assert names(body["hubs_with_routing"]) == ["Leeds"]
    assert names(body["hubs_without_routing"]) == ["Bradford"]
    assert body["national"] == {"total": 0, "lower": 1, "upper": 7, "hubs_suppressed": 1}


@pytest.mark.parametrize("path", ["/api/v1/hidden-voices", "/api/v1/routing"])
def test_a_bad_period_or_an_unknown_region_is_a_problem(
    client: FlaskClient, register: RegisterHub, path: str
) -> None:
    register()
    assert_problem(client.get(f"{path}?period=2026-13"), 400, "validation-error", "period")
    problem = assert_problem(
        client.get(f"{path}?region=Atlantis"), 400, "validation-error", "region"
    )
    assert "North West" in problem["detail"]  # names the regions there are
    assert_problem(client.get(f"{path}?region="), 400, "validation-error", "region")


def test_the_page_shows_the_tables_the_chart_and_who_is_missing(
    client: FlaskClient, register: RegisterHub
) -> None:
    post_the_hubs(client, register)

    response = client.get("/hidden-voices?period=2026-10&region=")

    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Hidden voices, 2026-10" in page
    assert "Sent a summary without a population profile" in page and "Bradford" in page
    assert "Liverpool" in page
    assert '<svg role="img"' in page and "Disability (Equality Act 2010): Disabled: 2 of 4." in page
    assert "Manchester (North West): ratio 1.1250, 1.0320 to 1.1810" in page
    assert client.get("/hidden-voices?period=2026-10&region=").data == response.data  # stable


def test_the_page_explains_a_bad_period_with_a_400_and_stores_nothing(
    client: FlaskClient, register: RegisterHub, app: Flask
) -> None:
    register()
    before = row_counts(app)

    response = client.get("/hidden-voices?period=someday")

    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "There is a problem" in page and "cannot read period" in page
    assert client.get("/hidden-voices?region=Atlantis").status_code == 400
    assert row_counts(app) == before


def test_a_page_before_any_summary(client: FlaskClient, register: RegisterHub) -> None:
    register()
    response = client.get("/hidden-voices")
    assert response.status_code == 200
    assert "No hub has sent a summary yet." in response.get_data(as_text=True)
