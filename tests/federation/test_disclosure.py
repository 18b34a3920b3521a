"""Small-number suppression, rounding, and the aggregator's re-check of received cells."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from federation.disclosure import DEFAULT_RULE, Cell, DisclosureRule, check_cells, protect_count
from federation.disclosure.rules import check_cell_values, iter_cells
from federation.errors import DisclosureViolation, SchemaViolation

BodyFactory = Callable[[], dict[str, Any]]


@pytest.mark.parametrize(
    ("count", "cell"),
    [
        (0, Cell(0)),
        (1, Cell(None, suppressed=True)),
        (7, Cell(None, suppressed=True)),
        (8, Cell(10)),
        (10, Cell(10)),
        (12, Cell(10)),
        (13, Cell(15)),
        (17, Cell(15)),
        (18, Cell(20)),
        (1000, Cell(1000)),
        (1002, Cell(1000)),
        (1003, Cell(1005)),
    ],
)
def test_default_rule_boundaries(count: int, cell: Cell) -> None:
    assert protect_count(count) == cell


def test_every_published_count_is_safe() -> None:
    for count in range(0, 500):
        cell = protect_count(count)
        if cell.suppressed:
            assert cell.value is None and 1 <= count <= 7
        else:
            assert cell.value is not None
            assert cell.value == 0 or (cell.value >= 10 and cell.value % 5 == 0)
            assert abs(cell.value - count) <= 2


def test_negative_counts_are_a_bug() -> None:
    with pytest.raises(ValueError):
        protect_count(-1)


def test_a_stricter_rule() -> None:
    rule = DisclosureRule(name="council-strict/1", k=10, rounding_base=10)
    assert protect_count(9, rule) == Cell(None, suppressed=True)
    assert protect_count(10, rule) == Cell(10)
    assert protect_count(14, rule) == Cell(10)
    assert protect_count(15, rule) == Cell(20)  # halves round up
    assert rule.as_json() == {
        "rule_set": "council-strict/1",
        "unit": "person",
        "k": 10,
        "rounding_base": 10,
        "breakdown_threshold": 10,
        "contribution_cap": 3,
        "quote_threshold": 10,
        "mechanism": "none",
        "epsilon": None,
        "budget": None,
    }


@pytest.mark.parametrize(("k", "base"), [(7, 5), (8, 3), (8, 7), (5, 10), (8, 0)])
def test_a_looser_rule_is_refused(k: int, base: int) -> None:
    with pytest.raises(ValueError, match="stricter"):
        DisclosureRule(k=k, rounding_base=base)


@pytest.mark.parametrize(
    "changes",
    [
        {"breakdown_threshold": 9},
        {"contribution_cap": 4},  # a larger cap lets one person move the count more: looser
        {"contribution_cap": 0},
        {"quote_threshold": 5},
    ],
)
def test_looser_breakdown_cap_or_quote_rules_are_refused(changes: dict[str, int]) -> None:
    with pytest.raises(ValueError, match="stricter"):
        DisclosureRule(**changes)


@pytest.mark.parametrize("name", ["k", "rounding_base", "breakdown_threshold", "quote_threshold"])
def test_absurd_rule_numbers_are_refused(name: str) -> None:
    # 5 * 10**15 is "stricter", but would make the receiver's solver walk 10**15 margins.
    with pytest.raises(ValueError, match="mistakes"):
        DisclosureRule(**{name: 5 * 10**15})


def test_stricter_breakdown_cap_and_quote_rules_are_allowed() -> None:
    rule = DisclosureRule(breakdown_threshold=20, contribution_cap=1, quote_threshold=25, k=12)
    assert rule.small_breakdown == 20
    assert DisclosureRule(k=12).small_breakdown == 12  # k applies to breakdown cells too


def test_cell_json_and_bounds() -> None:
    assert Cell(None, suppressed=True).as_json() == {"value": None, "suppressed": True}
    assert Cell(None, suppressed=True).bounds == (1, 7)
    assert Cell(15).bounds == (15, 15)
    assert Cell(0).as_json() == {"value": 0, "suppressed": False}


def test_iter_cells_names_paths(valid_body: BodyFactory) -> None:
    paths = [path for path, _ in iter_cells(valid_body())]
    assert "body.participation.participants" in paths
    assert "body.themes[gp-access].people" in paths
    assert "body.themes[other].by_kind.experience" in paths
    assert "body.themes[other].contributions" in paths
    assert "body.breakdowns[all].age_band[25-34]" in paths
    breakdown_cells = sum(
        len(table["cells"])
        for tables in valid_body()["breakdowns"].values()
        for table in tables.values()
        if "cells" in table
    )
    assert breakdown_cells > 0
    assert len(paths) == 3 + 26 * 8 + breakdown_cells


def test_a_protected_body_passes(valid_body: BodyFactory) -> None:
    check_cells(valid_body())


@pytest.mark.parametrize(
    ("cell", "reason"),
    [
        ({"value": 1, "suppressed": False}, "must be suppressed"),
        ({"value": 7, "suppressed": False}, "must be suppressed"),
        ({"value": 12, "suppressed": False}, "not a multiple of 5"),
        ({"value": 13, "suppressed": False}, "not a multiple of 5"),
        ({"value": -5, "suppressed": False}, "negative"),
        ({"value": 5, "suppressed": True}, "carries value"),
        ({"value": None, "suppressed": False}, "not marked suppressed"),
        ({"value": 10, "suppressed": 1}, "true or false"),
        ({"value": True, "suppressed": False}, "whole number"),
    ],
)
def test_failures_name_the_cell(cell: dict[str, Any], reason: str, valid_body: BodyFactory) -> None:
    body = valid_body()
    body["themes"][4]["by_kind"]["question"] = cell
    with pytest.raises(DisclosureViolation, match=reason) as caught:
        check_cell_values(body, DEFAULT_RULE)
    assert caught.value.field == "body.themes[adult-social-care].by_kind.question"
    assert caught.value.status == 422
    # The full re-check refuses it too (some, like a negative, already at the schema).
    with pytest.raises((DisclosureViolation, SchemaViolation)) as whole:
        check_cells(body)
    assert whole.value.field is not None
    assert whole.value.field.startswith("body.themes[")


@pytest.mark.parametrize("count", [0, 10, 15, 1000])
def test_allowed_values(count: int, valid_body: BodyFactory) -> None:
    body = valid_body()
    body["participation"]["supporters"] = {"value": count, "suppressed": False}
    check_cells(body)


def test_participation_cells_are_checked(valid_body: BodyFactory) -> None:
    body = valid_body()
    body["participation"]["supporters"] = {"value": 3, "suppressed": False}
    with pytest.raises(DisclosureViolation) as caught:
        check_cells(body)
    assert caught.value.field == "body.participation.supporters"


def test_cells_are_checked_against_the_declared_stricter_rule(valid_body: BodyFactory) -> None:
    body = valid_body()
    body["disclosure"] = DisclosureRule(name="strict/1", k=10, rounding_base=10).as_json()
    body["participation"]["supporters"] = {"value": 15, "suppressed": False}
    with pytest.raises(DisclosureViolation, match="multiple of 10"):
        check_cells(body)


@pytest.mark.parametrize(
    "declared",
    [
        {**DEFAULT_RULE.as_json(), "k": 5},
        {**DEFAULT_RULE.as_json(), "rounding_base": 1},
        {"rule_set": "none"},
        "hubnet-sdc/1",
        None,
    ],
)
def test_a_looser_or_missing_declared_rule_is_refused(
    declared: Any, valid_body: BodyFactory
) -> None:
    body = valid_body()
    body["disclosure"] = declared
    with pytest.raises(DisclosureViolation) as caught:
        check_cells(body)
    assert caught.value.field == "body.disclosure"


def test_percentages_come_only_from_published_rounded_cells() -> None:
    """ "Percentages from rounded values only; none where the numerator is suppressed"."""
    from decimal import Decimal

    from federation.disclosure import percentage

    def cell(value: int | None) -> dict[str, object]:
        return {"value": value, "suppressed": value is None}

    assert percentage(cell(15), cell(40)) == Decimal("37.5")
    assert percentage(cell(10), cell(30)) == Decimal("33.3")
    assert percentage(cell(0), cell(30)) == Decimal("0.0")
    assert percentage(cell(None), cell(30)) is None  # suppressed numerator
    assert percentage(cell(10), cell(None)) is None  # suppressed denominator
    assert percentage(cell(0), cell(0)) is None  # no share of nobody
    # A true count never reaches it: the engine's published 10 for a true 12 gives 10/30.
    assert percentage(protect_count(12).as_json(), protect_count(30).as_json()) == Decimal("33.3")
