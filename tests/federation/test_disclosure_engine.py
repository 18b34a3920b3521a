"""The disclosure engine: characteristics, true-count validation, protect(), decisions, quotes,
the aggregator's invariants (each one naming the cell) and the differential-privacy path."""

from __future__ import annotations

import copy
from decimal import Decimal
from typing import Any

import pytest

from federation.disclosure import (
    CHARACTERISTICS,
    DEFAULT_RULE,
    NOT_STATED,
    REASONS,
    DisclosureRule,
    Quote,
    RawCounts,
    ThemeCounts,
    check_release,
    protect,
)
from federation.disclosure.characteristics import stored_to_category
from federation.disclosure.rules import iter_cells
from federation.errors import DisclosureViolation
from federation.statement import validate_body
from tests.federation.disclosure_support import make_raw

BIG = {"gp-access": 120, "dentistry": 45, "cancer": 9, "pharmacy": 3}


def release_for(**changes: Any) -> Any:
    return protect(make_raw(300, BIG, seed=11), **changes)


def row(body: dict[str, Any], code: str) -> dict[str, Any]:
    return next(r for r in body["themes"] if r["code"] == code)


def test_characteristics_are_the_contract() -> None:
    assert list(CHARACTERISTICS) == [
        "age_band",
        "ethnic_group",
        "disability",
        "unpaid_carer",
        "urban_rural",
    ]
    assert CHARACTERISTICS["age_band"].codes[0] == "under-16"
    assert CHARACTERISTICS["ethnic_group"].codes == (
        "asian",
        "black",
        "mixed",
        "white",
        "other",
        NOT_STATED,
    )
    for characteristic in CHARACTERISTICS.values():
        assert characteristic.codes[-1] == NOT_STATED
        assert all(category.label for category in characteristic.categories)
        assert "prefer-not-to-say" in characteristic.stored_values
        assert NOT_STATED not in characteristic.stored_values
    assert stored_to_category(None) == NOT_STATED
    assert stored_to_category("prefer-not-to-say") == NOT_STATED
    assert stored_to_category("rural") == "rural"


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (RawCounts(participants=-1), "negative"),
        (RawCounts(participants=10, themes={"potholes": ThemeCounts()}), "not a theme"),
        (
            RawCounts(
                participants=10,
                breakdowns={"all": {"age_band": {"25-34": 10}, "religion": {"x": 10}}},
            ),
            "not a published characteristic",
        ),
        (RawCounts(participants=10, breakdowns={"all": {"age_band": {"30s": 10}}}), "category"),
        (RawCounts(participants=10, breakdowns={"all": {"age_band": {"25-34": 9}}}), "sums to 9"),
        (RawCounts(participants=10), "sums to 0"),  # missing tables are zeros
        (
            RawCounts(
                participants=2,
                themes={"gp-access": ThemeCounts(people=2, contributors=2, contributions=7)},
            ),
            "the cap",
        ),
        (RawCounts(themes={"gp-access": ThemeCounts(people=1, contributors=2)}), "among"),
    ],
)
def test_impossible_counts_are_refused(raw: RawCounts, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        protect(raw)


def test_a_release_passes_the_schema_and_the_invariants_and_is_deterministic() -> None:
    first, second = release_for(), release_for()
    validate_body("summary/1", first.body)
    check_release(first.body)
    assert first == second
    assert first.body["disclosure"] == DEFAULT_RULE.as_json()
    assert first.body["methods"] == {
        "participation": "sdc-count",
        "themes": "sdc-count",
        "breakdowns": "sdc-breakdown",
        "quotes": "consented-scrubbed-two-reviewers",
    }


def test_one_decision_per_cell_withheld_table_and_quote() -> None:
    quotes = [Quote("gp-access", "b"), Quote("gp-access", "a"), Quote("pharmacy", "small")]
    release = release_for(quotes=quotes)
    cells = list(iter_cells(release.body))
    withheld = [
        f"breakdowns[{scope}].{name}"
        for scope, tables in release.body["breakdowns"].items()
        for name, table in tables.items()
        if table == {"withheld": True}
    ]
    paths = [d.path for d in release.decisions]
    assert len(paths) == len(set(paths)) == len(cells) + len(withheld) + len(quotes)
    assert {path.removeprefix("body.") for path, _ in cells} | set(withheld) <= set(paths)
    for decision in release.decisions:
        assert decision.reason in REASONS
        assert decision.note
    by_path = {d.path: d for d in release.decisions}
    assert by_path["themes[pharmacy].people"].note == "3 people: counts of 1–7 are suppressed"
    assert by_path["breakdowns[cancer].age_band"].reason == "under-threshold"
    assert by_path["quotes[0]"].reason == "quote-included"
    assert by_path["quotes[pharmacy]"].reason == "quote-small-theme"


def test_contributions_are_suppressed_when_few_people_raised_them() -> None:
    raw = RawCounts(
        participants=6,
        contributors=5,
        themes={"gp-access": ThemeCounts(people=6, contributors=5, supporters=1, contributions=15)},
        breakdowns={
            scope: {name: {NOT_STATED: 6} for name in CHARACTERISTICS}
            for scope in ("all", "gp-access")
        },
    )
    release = protect(raw)
    assert row(release.body, "gp-access")["contributions"] == {"value": None, "suppressed": True}
    decision = next(d for d in release.decisions if d.path.endswith("contributions"))
    assert decision.reason == "few-contributors" and decision.true_value == 15


def test_under_threshold_and_all_or_none_tables_are_withheld() -> None:
    raw = make_raw(
        300,
        {"gp-access": 9, "dentistry": 40},
        breakdowns={"dentistry": {"urban_rural": {"urban": 40}}},
    )
    body = protect(raw).body
    assert row(body, "gp-access")["people"] == {"value": 10, "suppressed": False}
    assert all(t == {"withheld": True} for t in body["breakdowns"]["gp-access"].values())
    assert body["breakdowns"]["dentistry"]["urban_rural"] == {"withheld": True}
    assert "cells" in body["breakdowns"]["dentistry"]["age_band"]


def test_quotes_only_from_large_themes_sorted_with_theme_and_text_only() -> None:
    quotes = [
        Quote("gp-access", "Waited three weeks."),
        Quote("dentistry", "No NHS dentist taking patients."),
        Quote("gp-access", "App kept crashing."),
        Quote("pharmacy", "From a tiny theme."),
    ]
    raw = make_raw(300, BIG, seed=11)
    body = protect(raw, quotes=quotes).body
    expected = sorted(
        (q for q in quotes if raw.theme(q.theme).contributors >= 10),
        key=lambda q: (q.theme, q.text),
    )
    assert body["quotes"] == [{"theme": q.theme, "text": q.text} for q in expected]
    assert all(set(quote) == {"theme", "text"} for quote in body["quotes"])
    assert not any(q["theme"] == "pharmacy" for q in body["quotes"])
    with pytest.raises(ValueError, match="national theme"):
        protect(raw, quotes=[Quote("potholes", "x")])


def test_a_stricter_rule_is_applied_and_declared() -> None:
    rule = DisclosureRule(name="strict/1", k=10, rounding_base=10, breakdown_threshold=20)
    body = protect(make_raw(300, BIG, seed=11), rule).body
    check_release(body)
    assert body["disclosure"]["breakdown_threshold"] == 20
    for path, cell in iter_cells(body):
        assert cell["value"] is None or cell["value"] % 10 == 0, path
        if path.startswith("body.breakdowns["):
            assert cell["value"] is None or cell["value"] in (0,) or cell["value"] >= 20


# The invariants, each naming the cell.


@pytest.fixture
def body() -> dict[str, Any]:
    result: dict[str, Any] = copy.deepcopy(release_for(quotes=[Quote("gp-access", "Fine.")]).body)
    return result


def first_table(body: dict[str, Any], scope: str = "gp-access") -> tuple[str, dict[str, Any]]:
    for name, table in body["breakdowns"][scope].items():
        if "cells" in table:
            return name, table["cells"]
    raise AssertionError("no table")


def violation(body: dict[str, Any]) -> DisclosureViolation:
    with pytest.raises(DisclosureViolation) as caught:
        check_release(body)
    assert caught.value.status == 422
    return caught.value


def test_invariant_1_small_breakdown_cell(body: dict[str, Any]) -> None:
    name, cells = first_table(body)
    category = next(iter(cells))
    cells[category] = {"value": 9, "suppressed": False}  # >= k but under the threshold
    error = violation(body)
    assert error.field == f"body.breakdowns[gp-access].{name}[{category}]"
    assert "1–9" in error.detail


def test_invariant_2_off_the_grid(body: dict[str, Any]) -> None:
    name, cells = first_table(body, "all")
    category = list(cells)[-1]
    cells[category] = {"value": 12, "suppressed": False}
    error = violation(body)
    assert error.field == f"body.breakdowns[all].{name}[{category}]"
    assert "multiple of 5" in error.detail


def test_invariant_3_table_under_a_suppressed_margin(body: dict[str, Any]) -> None:
    body["breakdowns"]["pharmacy"]["disability"] = {
        "cells": {c: {"value": 0, "suppressed": False} for c in CHARACTERISTICS["disability"].codes}
    }
    assert violation(body).field == "body.breakdowns[pharmacy].disability"


def test_invariant_3_a_hidden_cell_the_release_pins(body: dict[str, Any]) -> None:
    for name in CHARACTERISTICS:
        body["breakdowns"]["gp-access"][name] = {"withheld": True}
    body["breakdowns"]["gp-access"]["disability"] = {
        "cells": {
            "disabled": {"value": None, "suppressed": True},
            "not-disabled": {"value": 0, "suppressed": False},
            "not-stated": {"value": 0, "suppressed": False},
        }
    }  # the hidden cell would be everyone: no value is consistent with the release
    error = violation(body)
    assert error.field == "body.breakdowns[gp-access].disability[disabled]"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"epsilon": "0.5"}, "body.disclosure.epsilon"),
        (
            {
                "budget": {
                    "year": 2026,
                    "yearly_cap": "1",
                    "spent": "0.5",
                    "sensitivity": 3,
                    "ledger_head": "0" * 64,
                }
            },
            "body.disclosure.budget",
        ),
        ({"mechanism": "geometric", "epsilon": "0.5"}, "body.disclosure.budget"),
        ({"mechanism": "geometric", "epsilon": "0"}, "body.disclosure.epsilon"),
        ({"mechanism": "geometric", "epsilon": None}, "body.disclosure.epsilon"),
    ],
)
def test_invariant_4_budget_declared(
    body: dict[str, Any], changes: dict[str, Any], field: str
) -> None:
    body["disclosure"].update(changes)
    assert violation(body).field == field


def test_invariant_4_spent_past_the_cap_and_methods(body: dict[str, Any]) -> None:
    budget = {
        "year": 2026,
        "yearly_cap": "1",
        "spent": "1.5",
        "sensitivity": 3,
        "ledger_head": "a" * 64,
    }
    body["disclosure"].update(mechanism="geometric", epsilon="0.5", budget=budget)
    assert violation(body).field == "body.disclosure.budget.spent"
    budget["spent"] = "1"
    assert violation(body).field == "body.methods.participation"  # still labelled sdc only
    body["disclosure"].update(mechanism="none", epsilon=None, budget=None)
    body["methods"]["themes"] = "geometric+sdc-count"
    assert violation(body).field == "body.methods.themes"


@pytest.mark.parametrize(
    "changes",
    [{"k": 5}, {"breakdown_threshold": 5}, {"contribution_cap": 10}, {"quote_threshold": 2}],
)
def test_invariant_5_looser_rule(body: dict[str, Any], changes: dict[str, int]) -> None:
    body["disclosure"].update(changes)
    error = violation(body)
    assert error.field == "body.disclosure"
    assert "looser" in error.detail


def test_invariant_6_quote_from_a_small_theme(body: dict[str, Any]) -> None:
    body["quotes"].append({"theme": "pharmacy", "text": "Only three of us."})
    error = violation(body)
    assert error.field == "body.quotes[1]"


def test_invariant_6_quote_with_an_identifier(body: dict[str, Any]) -> None:
    body["quotes"][0]["text"] = "Call me on 07700 900123 or email jo@example.org"
    error = violation(body)
    assert error.field == "body.quotes[0].text"
    assert "07700" not in error.detail  # the error does not repeat the identifier


def test_protect_refuses_a_quote_the_scrub_still_flags() -> None:
    with pytest.raises(DisclosureViolation) as caught:
        release_for(quotes=[Quote("gp-access", "My NHS number is 943 476 5919")])
    assert caught.value.field == "body.quotes[0].text"


# The differential-privacy path.


def test_dp_release_is_noised_then_protected() -> None:
    from federation.disclosure.dp import PrivacySpec

    budget = {
        "year": 2026,
        "yearly_cap": "12",
        "spent": "1",
        "sensitivity": 53,
        "ledger_head": "b" * 64,
    }
    spec = PrivacySpec(epsilon=Decimal("1"), max_themes_per_person=3, budget=budget)
    release = release_for(privacy=spec)
    body = release.body
    check_release(body)
    assert body["disclosure"]["mechanism"] == "geometric"
    assert body["disclosure"]["epsilon"] == "1"
    assert body["disclosure"]["budget"] == budget
    assert body["methods"]["breakdowns"] == "geometric+sdc-breakdown"
    assert any(d.reason == "noise-added" for d in release.decisions)
    for path, cell in iter_cells(body):
        value = cell["value"]
        assert value is None or value == 0 or (value >= 10 and value % 5 == 0), path


def test_dp_post_processing_clamps_negative_noise(monkeypatch: pytest.MonkeyPatch) -> None:
    """With a stand-in for the noise (all counts pushed down by 20), nothing negative leaves."""
    import federation.disclosure.dp as dp

    def minus_twenty(raw: RawCounts, spec: Any, rule: DisclosureRule) -> RawCounts:
        def theme(t: ThemeCounts) -> ThemeCounts:
            return ThemeCounts(
                t.people - 20,
                t.contributors - 20,
                t.supporters - 20,
                t.contributions - 20,
                {k: t.kind(k) - 20 for k in ("idea", "concern", "question", "experience")},
            )

        return RawCounts(
            participants=raw.participants - 20,
            contributors=raw.contributors - 20,
            supporters=raw.supporters - 20,
            themes={code: theme(t) for code, t in raw.themes.items()},
            breakdowns={
                s: {n: {c: v - 20 for c, v in cells.items()} for n, cells in tables.items()}
                for s, tables in raw.breakdowns.items()
            },
        )

    monkeypatch.setattr(dp, "add_noise", minus_twenty)
    budget = {
        "year": 2026,
        "yearly_cap": "2",
        "spent": "1",
        "sensitivity": 5,
        "ledger_head": "c" * 64,
    }
    spec = dp.PrivacySpec(epsilon=Decimal("1"), budget=budget)
    body = release_for(privacy=spec).body
    check_release(body)
    assert row(body, "dentistry")["people"] == {"value": 25, "suppressed": False}  # 45 - 20
    assert row(body, "pharmacy")["people"] == {"value": 0, "suppressed": False}  # clamped
