"""The `routing` and `representation` blocks of `summary/1`, with figures worked by hand.

Routing counts items through the count rule; its rates come from the published
cells only. Representation is worked out from the published breakdown of
everyone who took part and public population shares; the aggregator recomputes
it, so a block made from true counts is refused.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from federation.disclosure.engine import Population, protect
from federation.disclosure.invariants import check_release
from federation.disclosure.representation import (
    groups_from_release,
    population_shares,
    wilson_interval,
)
from federation.disclosure.routing import RoutingCounts, TypeCounts, routing_block, window
from federation.disclosure.rules import DEFAULT_RULE
from federation.errors import DisclosureViolation
from tests.aggregator.bodies import raw_counts

SUPPRESSED = {"value": None, "suppressed": True}


def published(value: int) -> dict[str, Any]:
    return {"value": value, "suppressed": False}


ROUTING = RoutingCounts(
    start=date(2025, 11, 1),
    end=date(2026, 10, 31),
    national=12,
    by_type={
        # 23 routed, 17 answered (median 6.5 working days), 3 late, 9 changes
        "nhs-trust": TypeCounts(23, 17, 3, 9, 6.5),
        # 40 routed, 30 answered, 10 late: every cell published, so the rate is 30/40
        "council-department": TypeCounts(40, 30, 10, 12, 11.0),
        # 5 routed and answered: too few for any figure
        "gp-practice": TypeCounts(5, 5, 0, 1, 3.0),
    },
)


def test_the_window_is_the_year_up_to_the_period_end() -> None:
    assert window(date(2026, 10, 31)) == (date(2025, 11, 1), date(2026, 10, 31))


def test_routing_cells_follow_the_count_rule_and_rates_use_published_cells() -> None:
    block = routing_block(ROUTING, DEFAULT_RULE)

    assert block["window"] == {"start": "2025-11-01", "end": "2026-10-31"}
    assert block["national"] == published(10)  # 12 rounded to the nearest 5
    trust = block["by_organisation_type"]["nhs-trust"]
    assert [trust[name] for name in ("routed", "responded", "late", "changes")] == [
        published(25), published(15), SUPPRESSED, published(10)
    ]  # fmt: skip
    assert trust["response_rate"] is None  # the late cell is suppressed: no rate
    assert trust["median_working_days"] == "6.5"  # 17 answers: at least k
    council = block["by_organisation_type"]["council-department"]
    assert council["response_rate"] == "0.75"  # 30 / (30 + 10)
    assert council["median_working_days"] == "11.0"
    practice = block["by_organisation_type"]["gp-practice"]
    assert practice["routed"] == SUPPRESSED and practice["responded"] == SUPPRESSED
    assert practice["median_working_days"] is None  # 5 answers describe 5 cases
    healthwatch = block["by_organisation_type"]["healthwatch"]  # nothing routed there
    assert healthwatch["routed"] == published(0) and healthwatch["response_rate"] is None


def test_counts_that_cannot_be_true_are_refused() -> None:
    with pytest.raises(ValueError, match="do not add up"):
        RoutingCounts(date(2025, 11, 1), date(2026, 10, 31), by_type={"icb": TypeCounts(3, 4)})
    with pytest.raises(ValueError, match="unknown organisation types"):
        RoutingCounts(date(2025, 11, 1), date(2026, 10, 31), by_type={"pharmacy": TypeCounts()})


def test_population_shares_leave_out_not_stated_and_empty_characteristics() -> None:
    shares = population_shares(
        {"disability": {"disabled": 20, "not-disabled": 80, "not-stated": 7}, "urban_rural": {}}
    )

    assert shares == {"disability": {"disabled": "0.200000", "not-disabled": "0.800000"}}


def test_a_published_table_gives_the_ratio_and_the_wilson_interval() -> None:
    # 10 of the 100 who answered are disabled; a fifth of the area is: ratio (10/100)/0.2
    table = {"cells": {"disabled": published(10), "not-disabled": published(90),
                       "not-stated": published(20)}}  # fmt: skip
    groups = groups_from_release(
        {"disability": table}, {"disability": {"disabled": "0.2", "not-disabled": "0.8"}}, 10
    )

    # Wilson 95% for 10/100 is 0.0552–0.1744 (textbook value); divided by 0.2
    assert wilson_interval(10, 100) == pytest.approx((0.05523, 0.17437), abs=1e-5)
    assert groups["disability"]["disabled"] == {
        "ratio": "0.5000", "lower": "0.2761", "upper": "0.8718", "flag": "under-represented"
    }  # fmt: skip
    assert groups["disability"]["not-disabled"]["ratio"] == "1.1250"  # 0.9 / 0.8


def test_a_suppressed_cell_gives_a_range_that_holds_whatever_it_hides() -> None:
    # carers suppressed (1..9), 50 not carers: x in 1..9, N in 51..59
    table = {"cells": {"carer": SUPPRESSED, "not-carer": published(50),
                       "not-stated": published(10)}}  # fmt: skip
    groups = groups_from_release(
        {"unpaid_carer": table}, {"unpaid_carer": {"carer": "0.1", "not-carer": "0.9"}}, 10
    )

    carer = groups["unpaid_carer"]["carer"]
    assert carer["ratio"] is None  # x / N is not known
    # lower at 1 of 51, upper at 9 of 59, each divided by 0.1
    assert carer["lower"] == f"{wilson_interval(1, 51)[0] / 0.1:.4f}" == "0.0347"
    assert carer["upper"] == f"{wilson_interval(9, 59)[1] / 0.1:.4f}" == "2.6518"
    assert carer["flag"] == "in line"  # not clearly below 1 once suppression is allowed for


def test_a_withheld_table_and_too_few_answers_claim_nothing() -> None:
    shares = {"disability": {"disabled": "0.2", "not-disabled": "0.8"},
              "urban_rural": {"urban": "0.9", "rural": "0.1"}}  # fmt: skip
    breakdown = {
        "disability": {"withheld": True},
        "urban_rural": {"cells": {"urban": published(10), "rural": published(0),
                                  "not-stated": published(0)}},
    }  # fmt: skip
    groups = groups_from_release(breakdown, shares, 10)

    assert groups["disability"]["disabled"] == {
        "ratio": None, "lower": None, "upper": None, "flag": "withheld"
    }  # fmt: skip
    assert groups["urban_rural"]["rural"]["flag"] == "too few answers"  # 10 answers < 20


def _release(**extras: Any) -> dict[str, Any]:
    return protect(raw_counts({"gp-access": 120, "dentistry": 60}), **extras).body


POPULATION = Population(
    {"disability": {"disabled": 30, "not-disabled": 70}, "age_band": {"16-24": 10, "65-74": 5}},
    "Census 2021, illustrative",
)


def test_the_engine_adds_both_blocks_and_its_own_check_passes() -> None:
    body = _release(routing=ROUTING, population=POPULATION)

    assert body["methods"]["routing"] == "sdc-count"
    assert body["routing"]["national"] == published(10)
    block = body["representation"]
    assert block["source"] == "Census 2021, illustrative"
    assert set(block["shares"]) == {"age_band", "disability"}
    # recomputed from the published breakdowns.all only
    assert block["groups"] == groups_from_release(body["breakdowns"]["all"], block["shares"], 10)
    check_release(body)


def test_without_a_profile_representation_is_null() -> None:
    assert _release(routing=ROUTING)["representation"] is None
    assert "routing" not in _release()  # a body from an earlier build is still valid


def test_a_ratio_not_from_the_published_cells_is_refused() -> None:
    body = _release(routing=ROUTING, population=POPULATION)
    body["representation"]["groups"]["disability"]["disabled"]["ratio"] = "0.4321"

    with pytest.raises(DisclosureViolation) as refused:
        check_release(body)
    assert refused.value.field == "body.representation.groups"


def test_shares_that_do_not_add_up_are_refused() -> None:
    body = _release(routing=ROUTING, population=POPULATION)
    body["representation"]["shares"]["disability"]["disabled"] = "0.900000"

    with pytest.raises(DisclosureViolation, match="add up"):
        check_release(body)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"response_rate": "0.99"}, "body.routing.by_organisation_type.icb.response_rate"),
        ({"median_working_days": "4.0"},
         "body.routing.by_organisation_type.icb.median_working_days"),
        ({"routed": published(3)}, "body.routing.by_organisation_type.icb.routed"),
    ],
    ids=["rate-not-from-cells", "median-of-nothing", "small-count"],
)  # fmt: skip
def test_a_routing_figure_that_breaks_the_rules_is_refused(
    change: dict[str, Any], field: str
) -> None:
    body = _release(routing=ROUTING)
    body["routing"]["by_organisation_type"]["icb"].update(change)

    with pytest.raises(DisclosureViolation) as refused:
        check_release(body)
    assert refused.value.field == field
