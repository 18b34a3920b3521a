"""Adversarial tests for the disclosure engine (issue 4, tests 1–5 and 10).

Each one attacks the published body the way a reader could, and fails if the
protection breaks: the brute-force attacker (`disclosure_support`, built with
itertools.product or explicit sets, sharing no reasoning with
`federation.disclosure.solver`) must never pin a hidden cell.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from federation.disclosure import (
    DEFAULT_RULE,
    CrossTabulationRefused,
    RawCounts,
    check_release,
    protect,
    table_spec,
)
from federation.disclosure.solver import (
    attack,
    change_between,
    hidden_cells,
    margin_bounds,
    published_bounds,
    solve_scope,
)
from federation.errors import SchemaViolation
from federation.statement import validate_body
from tests.federation.disclosure_support import (
    CODES,
    _feasible_in_table,
    brute_force_scope,
    make_raw,
    publishes_as,
)

SETTINGS = settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
ROOT = Path(__file__).resolve().parents[2]


def one_theme(people: int, **tables: dict[str, int]) -> RawCounts:
    """True counts with `people` in gp-access (and 200 participants); tables override breakdowns."""
    participants = max(200, people)
    return make_raw(
        participants, {"gp-access": people}, seed=people, breakdowns={"gp-access": tables}
    )


def cell_of(body: dict[str, Any], code: str, name: str = "people") -> dict[str, Any]:
    row = next(row for row in body["themes"] if row["code"] == code)
    cell: dict[str, Any] = row[name]
    return cell


# 1. A theme with 3 people gives suppressed, never 3 and never 0; 8 gives 10; 0 gives 0.


@pytest.mark.parametrize(
    ("people", "expected"),
    [
        (3, {"value": None, "suppressed": True}),
        (1, {"value": None, "suppressed": True}),
        (7, {"value": None, "suppressed": True}),
        (8, {"value": 10, "suppressed": False}),
        (0, {"value": 0, "suppressed": False}),
    ],
)
def test_1_small_theme_counts(people: int, expected: dict[str, Any]) -> None:
    release = protect(one_theme(people))
    assert cell_of(release.body, "gp-access") == expected
    decision = next(d for d in release.decisions if d.path == "themes[gp-access].people")
    assert decision.true_value == people
    if people == 3:
        assert decision.reason == "small-count"
        assert decision.note == "3 people: counts of 1–7 are suppressed"
        # the breakdowns of a 3-person theme are withheld, not shown as zeros
        assert all(
            t == {"withheld": True} for t in release.body["breakdowns"]["gp-access"].values()
        )
    for row in release.body["themes"]:  # no cell anywhere publishes 1..7
        for key in ("people", "contributors", "supporters", "contributions"):
            assert row[key]["value"] is None or row[key]["value"] == 0 or row[key]["value"] >= 10


# 2. A row with one suppressed cell and a published total: an exhaustive solver over every
#    published number leaves the hidden cell more than one value.


def test_2_one_small_cell_and_a_published_total() -> None:
    # 34 people: 4 disabled (small), 30 not disabled, 0 not stated. Published alone, the
    # total (35) minus the other cell (30) would give the hidden 4 away, up to rounding.
    raw = one_theme(34, disability={"disabled": 4, "not-disabled": 30, "not-stated": 0})
    body = protect(raw).body
    table = body["breakdowns"]["gp-access"]["disability"]
    assert table != {"withheld": True}
    cells = table["cells"]
    assert cells["disabled"] == {"value": None, "suppressed": True}
    suppressed = [category for category, cell in cells.items() if cell["suppressed"]]
    assert len(suppressed) >= 2, "the classical rule: a second cell is suppressed"
    # Exhaustive attacker, itertools.product over every assignment of the row.
    total_cell = cell_of(body, "gp-access")
    rule = DEFAULT_RULE
    seen: set[int] = set()
    for margin in range(0, 60):
        if margin < rule.breakdown_threshold or not publishes_as(
            margin, total_cell["value"], rule, rule.k
        ):
            continue
        choices = [
            [v for v in range(margin) if publishes_as(v, cell["value"], rule, 10)]
            for cell in cells.values()
        ]
        result = _feasible_in_table(choices, margin, product=True)
        if result is not None:
            seen |= result[list(cells).index("disabled")]
    assert 4 in seen
    assert len(seen & set(range(1, 10))) >= 2, seen
    assert set(hidden_cells(body)["breakdowns[gp-access].disability[disabled]"]) == seen


def test_2_without_complementary_suppression_the_cell_would_be_pinned() -> None:
    """The attack is real: the same row with only the small cell hidden leaves one value."""
    rule = DEFAULT_RULE
    assert margin_bounds(25, rule, has_tables=True) == (23, 27)  # what rounding leaves
    # Suppose the total were known exactly (say, by differencing two releases):
    solution = solve_scope(
        (25, 25),
        {
            "disability": {
                "disabled": published_bounds(None, rule, minimum=10),
                "not-disabled": (21, 21),
                "not-stated": (0, 0),
            }
        },
    )
    assert list(solution.cells[("disability", "disabled")]) == [4]


# 3. Overlapping tables (theme total and its age breakdown, and the other four tables sharing
#    the same total) cannot pin a hidden cell.


def test_3_overlapping_tables_in_one_scope() -> None:
    people = 13  # published 15: 13..17, and >= 10 because tables are present
    raw = one_theme(
        people,
        age_band={"25-34": 9, "35-44": 4},
        ethnic_group={"white": 10, "asian": 3},
        disability={"disabled": 2, "not-disabled": 11},
        unpaid_carer={"carer": 1, "not-carer": 12},
        urban_rural={"urban": 6, "rural": 7},
    )
    release = protect(raw)
    body = release.body
    check_release(body)
    brute = brute_force_scope(body, "gp-access", product=True)
    solved = attack(body)["gp-access"]
    assert brute, "some cells are hidden"
    for (name, category), values in brute.items():
        assert set(solved.cells[(name, category)]) == values
        assert len(values) >= 2, (name, category, values)
        true = raw.breakdown("gp-access", name)[category]
        assert true in values
        if 1 <= true < DEFAULT_RULE.breakdown_threshold:
            assert len(values & set(range(1, 10))) >= 2
    # the age table cannot be published at all as 9/4 against a total of 15: both hidden
    age = body["breakdowns"]["gp-access"]["age_band"]
    assert age == {"withheld": True} or age["cells"]["35-44"]["suppressed"]


# 4. Period differencing: two releases of nested periods never reveal a change of 1..7 people.


@SETTINGS
@given(old=st.integers(0, 300), change=st.integers(1, 7))
def test_4_period_differencing_at_the_engine(old: int, change: int) -> None:
    new = old + change
    first = protect(one_theme(old)).body
    second = protect(one_theme(new)).body
    for name in ("people",):
        before, after = cell_of(first, "gp-access", name), cell_of(second, "gp-access", name)
        feasible = change_between(before["value"], after["value"], DEFAULT_RULE, nested=True)
        assert change in feasible
        assert feasible.size > 1, (old, new, before, after, feasible)


def test_4_differencing_of_participants() -> None:
    """Every pair of whole-hub totals 0..47 apart by 1..7 (one engine run per total)."""
    published = {
        count: protect(make_raw(count, {})).body["participation"]["participants"]["value"]
        for count in range(0, 48)
    }
    for old in range(0, 41):
        for change in range(1, 8):
            feasible = change_between(published[old], published[old + change], DEFAULT_RULE)
            assert feasible.size > 1 and change in feasible, (old, change, feasible)


# 5. Theme × age × ethnicity, or any ad hoc filter, is refused: by the engine's API and by the
#    schema.


@pytest.mark.parametrize(
    ("args", "filters"),
    [
        (("gp-access", "age_band", "ethnic_group"), None),
        (("all", "age_band", "ethnic_group", "disability"), None),
        (("gp-access",), None),
        (("gp-access", "age_band"), {"disability": "disabled"}),
        (("gp-access", "age_band"), {"period": "2026-10-03"}),
        (("gp-access", "postcode"), None),
        (("potholes", "age_band"), None),
    ],
)
def test_5_cross_tabs_and_filters_are_refused_by_the_engine(
    args: tuple[str, ...], filters: dict[str, str] | None
) -> None:
    with pytest.raises(CrossTabulationRefused) as caught:
        table_spec(*args, filters=filters)
    assert caught.value.status == 422


def test_5_the_catalogue_is_one_way_only() -> None:
    assert table_spec("gp-access", "age_band").characteristic == "age_band"


@pytest.mark.parametrize(
    ("edit", "field"),
    [
        (
            lambda b: b["breakdowns"]["gp-access"].__setitem__(
                "age_band×ethnic_group", {"withheld": True}
            ),
            "body.breakdowns.gp-access.age_band×ethnic_group",
        ),
        (
            lambda b: b["breakdowns"]["gp-access"]["age_band"].__setitem__(
                "cells",
                {"25-34": {"white": {"value": 10, "suppressed": False}}},
            ),
            "body.breakdowns.gp-access.age_band.cells",
        ),
        (
            lambda b: b["breakdowns"]["gp-access"]["age_band"].__setitem__(
                "filter", {"disability": "disabled"}
            ),
            "body.breakdowns.gp-access.age_band",
        ),
        (
            lambda b: b["breakdowns"].__setitem__("gp-access/disabled", {}),
            "body.breakdowns.gp-access/disabled",
        ),
        (
            lambda b: b["quotes"].append({"theme": "gp-access", "text": "hi", "age_band": "16-24"}),
            "body.quotes[0].age_band",
        ),
    ],
)
def test_5_cross_tabs_are_refused_by_the_schema(edit: Any, field: str) -> None:
    body = protect(one_theme(60)).body
    edit(body)
    with pytest.raises(SchemaViolation) as caught:
        validate_body("summary/1", body)
    assert caught.value.field is not None
    assert caught.value.field.startswith(field), caught.value.field
    with pytest.raises(SchemaViolation):
        check_release(body)


# 10. The engine runs with sockets blocked.

OFFLINE_SCRIPT = textwrap.dedent(
    """
    import socket

    try:
        socket.create_connection(("1.1.1.1", 53), timeout=2)
    except OSError:
        pass
    else:
        raise SystemExit("the network is reachable: this run proves nothing")

    from federation.disclosure import Quote, check_release, protect
    from federation.disclosure.solver import hidden_cells
    from tests.federation.disclosure_support import make_raw

    raw = make_raw(500, {"gp-access": 120, "dentistry": 40, "cancer": 9}, seed=3)
    quote = Quote("gp-access", "The phone line is engaged every morning at 8.")
    release = protect(raw, quotes=[quote])
    check_release(release.body)
    assert release.body["quotes"] == [{"theme": "gp-access", "text": quote.text}]
    assert hidden_cells(release.body)

    # The differential-privacy path (OpenDP's native library) and the quote scrub, offline too.
    from decimal import Decimal

    from federation.disclosure import DEFAULT_RULE
    from federation.disclosure.dp import PrivacySpec, cell_count, sensitivity
    from federation.disclosure.ledger import budget_block, new_entry
    from federation.disclosure.scrub import scrub

    spec = PrivacySpec(Decimal("1"))
    bound = sensitivity(DEFAULT_RULE, spec)
    entry = new_entry(
        None, created="2026-11-01T00:00:00Z", year=2026, release="2026-10-01/2026-10-31",
        epsilon=spec.epsilon, mechanism="geometric", sensitivity=bound, cells=cell_count(),
    )
    budget = budget_block([entry], 2026, Decimal("12"), bound)
    noisy = protect(raw, privacy=PrivacySpec(Decimal("1"), budget=budget))
    check_release(noisy.body)
    assert noisy.body["disclosure"]["mechanism"] == "geometric"
    scrubbed = scrub("NHS 943 476 5919, Dr Patel", names=["Patel"]).text
    assert scrubbed == "NHS [NHS number], Dr [name]", scrubbed
    print("offline ok")
    """
)


def test_10_the_engine_runs_with_sockets_blocked(monkeypatch: pytest.MonkeyPatch) -> None:
    """Run protect (with a quote, and with DP), the scrub, the solver and the invariants offline.

    Preferred: a subprocess in a new network namespace (`unshare --net`, needs
    root), where no socket can reach anything. Otherwise, in this process with
    `socket.socket` replaced by one that raises.
    """
    unshare = subprocess.run(["unshare", "--net", "true"], capture_output=True, check=False)
    if unshare.returncode == 0:
        result = subprocess.run(
            ["unshare", "--net", sys.executable, "-c", OFFLINE_SCRIPT],
            capture_output=True,
            text=True,
            cwd=ROOT,
            env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
            check=False,
            timeout=60,
        )
        assert result.returncode == 0, result.stderr
        assert "offline ok" in result.stdout
        return
    import socket

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise OSError("sockets are blocked in this test")

    monkeypatch.setattr(socket, "socket", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    exec(compile(OFFLINE_SCRIPT, "offline", "exec"), {})


# Properties: random true counts -> protect -> the body passes the aggregator's checks, and the
# brute-force attacker finds more than one value for every suppressed breakdown cell.

small_tables = st.fixed_dictionaries(
    {
        "participants": st.integers(0, 40),
        "people": st.integers(0, 30),
        "seed": st.integers(0, 10_000),
        "skew": st.sampled_from([0.5, 1.0, 3.0, 8.0]),
    }
)


@SETTINGS
@given(case=small_tables)
def test_random_counts_are_protected(case: dict[str, Any]) -> None:
    people = min(case["people"], case["participants"])
    raw = make_raw(
        case["participants"],
        {"gp-access": people, "dentistry": people // 2},
        seed=case["seed"],
        skew=case["skew"],
    )
    release = protect(raw)
    check_release(release.body)
    for scope in ("all", "gp-access", "dentistry"):
        brute = brute_force_scope(release.body, scope, product=False)
        for (name, category), values in brute.items():
            true = raw.breakdown(scope, name)[category]
            assert true in values
            assert len(values) >= 2, (scope, name, category, values)
            decision = next(
                d for d in release.decisions if d.path == f"breakdowns[{scope}].{name}[{category}]"
            )
            if decision.reason == "small-breakdown-cell":
                assert len(values & set(range(1, 10))) >= 2


@SETTINGS
@given(case=small_tables, data=st.data())
def test_solver_agrees_with_brute_force(case: dict[str, Any], data: st.DataObject) -> None:
    """On random published bodies (suppression flags flipped at random), solver == brute force."""
    people = min(case["people"], case["participants"])
    raw = make_raw(case["participants"], {"gp-access": people}, seed=case["seed"])
    body = protect(raw).body
    for scope in ("all", "gp-access"):
        for table in body["breakdowns"][scope].values():
            for cell in table.get("cells", {}).values():
                if data.draw(st.booleans()):
                    cell["value"], cell["suppressed"] = None, True
        solved = attack(body).get(scope)
        brute = brute_force_scope(body, scope, product=False)
        for key, values in brute.items():
            assert solved is not None
            assert set(solved.cells[key]) == values, (scope, key)


def test_every_theme_code_has_breakdowns() -> None:
    body = protect(make_raw(50, {})).body
    assert set(body["breakdowns"]) == {"all", *CODES}
