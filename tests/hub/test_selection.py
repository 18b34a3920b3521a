"""Maximin selection of a citizens' panel: quotas, fairness against brute force, the seeded draw."""

from __future__ import annotations

import itertools
import json
import random
from collections import Counter
from collections.abc import Sequence

import pytest
from scipy.optimize import linprog

from hub.assembly.selection import (
    Distribution,
    Infeasible,
    Quota,
    Volunteer,
    draw,
    find_distribution,
    quotas_from_profile,
    select_panel,
)


def person(id: str, **features: str) -> Volunteer:
    return Volunteer(id, features)


def meets(panel: Sequence[str], pool: Sequence[Volunteer], quotas: Sequence[Quota]) -> bool:
    members = [v for v in pool if v.id in set(panel)]
    return all(q.minimum <= sum(q.admits(v) for v in members) <= q.maximum for q in quotas)


def feasible_panels(
    pool: Sequence[Volunteer], quotas: Sequence[Quota], n: int
) -> list[tuple[str, ...]]:
    ids = sorted(v.id for v in pool)
    return [p for p in itertools.combinations(ids, n) if meets(p, pool, quotas)]


def brute_force_maximin(pool: Sequence[Volunteer], panels: list[tuple[str, ...]]) -> float:
    """max z s.t. every volunteer on some feasible panel has probability >= z, over ALL panels."""
    reachable = sorted({i for p in panels for i in p})
    k = len(panels)
    a_ub = [[-(i in p) for p in panels] + [1] for i in reachable]
    result = linprog(
        [0] * k + [-1],
        A_ub=a_ub,
        b_ub=[0] * len(reachable),
        A_eq=[[1] * k + [0]],
        b_eq=[1],
        bounds=[(0, None)] * k + [(None, None)],
        method="highs",
    )
    assert result.status == 0
    return float(-result.fun)


def synthetic_pool(size: int, seed: int) -> list[Volunteer]:
    rng = random.Random(seed)
    return [
        person(
            f"v{i:03d}",
            age_band=rng.choices(["16-24", "25-44", "45-64", "65-plus"], [1, 3, 3, 2])[0],
            ethnic_group=rng.choices(["asian", "black", "white", "other"], [1, 1, 6, 1])[0],
            disability=rng.choices(["disabled", "not-disabled"], [1, 3])[0],
            urban_rural=rng.choices(["urban", "rural"], [4, 1])[0],
        )
        for i in range(size)
    ]


PROFILE = {
    "age_band": {"16-24": 0.14, "25-44": 0.33, "45-64": 0.31, "65-plus": 0.22},
    "ethnic_group": {"asian": 0.09, "black": 0.04, "white": 0.81, "other": 0.06},
    "disability": {"disabled": 0.18, "not-disabled": 0.82},
    "urban_rural": {"urban": 0.82, "rural": 0.18},
}

# Five volunteers, n = 2, exactly one A and one B, at most one Y. The feasible panels are
# a1b1, a1b2, a1b3 and a2b1. Uniform over them gives a2, b2 and b3 only 1/4. Maximin:
# a2 is only on a2b1, so p(a2b1) = q; b2 and b3 share a1b2 and a1b3, at most (1 - q)/2 each;
# min(q, (1 - q)/2) is largest at q = 1/3, so everyone gets at least 1/3 (a1 gets 2/3).
SKEWED = [
    person("a1", g="A", h="X"),
    person("a2", g="A", h="Y"),
    person("b1", g="B", h="X"),
    person("b2", g="B", h="Y"),
    person("b3", g="B", h="Y"),
]
SKEWED_QUOTAS = [Quota("g", "A", 1, 1), Quota("g", "B", 1, 1), Quota("h", "Y", 0, 1)]


def test_every_panel_in_the_support_meets_the_quotas_and_probabilities_add_up() -> None:
    pool = synthetic_pool(60, seed=3)
    quotas = quotas_from_profile(PROFILE, 8, oversample={("ethnic_group", "black"): 2.0})
    result = find_distribution(pool, quotas, 8)
    assert result.panels
    for panel in result.panels:
        assert len(panel) == 8 == len(set(panel))
        assert meets(panel, pool, quotas)
    assert sum(result.panel_probabilities) == pytest.approx(1, abs=1e-9)
    assert all(p >= 1e-9 for p in result.panel_probabilities)
    assert sum(result.probabilities.values()) == pytest.approx(8, abs=1e-9)
    assert set(result.probabilities) == {v.id for v in pool}
    assert result.minimum == min(
        p for i, p in result.probabilities.items() if i not in result.unreachable
    )


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_minimum_probability_equals_brute_force_maximin_over_every_feasible_panel(
    seed: int,
) -> None:
    rng = random.Random(seed)
    pool = [person(f"p{i}", g=rng.choice("ABC"), h=rng.choices("XY", [3, 1])[0]) for i in range(10)]
    quotas = [
        Quota("g", "A", 1, 2),
        Quota("g", "B", 1, 2),
        Quota("g", "C", 0, 1),
        Quota("h", "Y", 1, 1),
    ]
    panels = feasible_panels(pool, quotas, 4)
    assert panels  # these five seeds give pools with 15 to 45 feasible panels
    expected = brute_force_maximin(pool, panels)
    result = find_distribution(pool, quotas, 4)
    assert result.minimum == pytest.approx(expected, abs=1e-6)
    reachable = {i for p in panels for i in p}
    assert set(result.unreachable) == {v.id for v in pool} - reachable
    for volunteer_id in reachable:
        assert result.probabilities[volunteer_id] >= expected - 1e-6
    assert all(p in panels for p in result.panels)


def test_one_of_each_of_two_pairs_gives_everyone_one_half() -> None:
    pool = [person("a1", g="A"), person("a2", g="A"), person("b1", g="B"), person("b2", g="B")]
    result = find_distribution(pool, [Quota("g", "A", 1, 1), Quota("g", "B", 1, 1)], 2)
    assert result.probabilities == pytest.approx(dict.fromkeys(["a1", "a2", "b1", "b2"], 0.5))
    assert result.minimum == pytest.approx(0.5)
    assert result.unreachable == ()


def test_maximin_lifts_the_minimum_above_uniform_over_feasible_panels() -> None:
    panels = feasible_panels(SKEWED, SKEWED_QUOTAS, 2)
    assert panels == [("a1", "b1"), ("a1", "b2"), ("a1", "b3"), ("a2", "b1")]
    uniform = Counter(i for p in panels for i in p)
    assert min(uniform.values()) / len(panels) == 0.25
    result = find_distribution(SKEWED, SKEWED_QUOTAS, 2)
    assert result.minimum == pytest.approx(1 / 3, abs=1e-7)
    assert result.probabilities == pytest.approx(
        {"a1": 2 / 3, "a2": 1 / 3, "b1": 1 / 3, "b2": 1 / 3, "b3": 1 / 3}, abs=1e-7
    )
    assert ("a1", "b1") not in result.panels  # the only maximin lottery never uses it


def test_the_distribution_is_the_same_every_run_and_whatever_the_input_order() -> None:
    pool = synthetic_pool(40, seed=7)
    quotas = quotas_from_profile(PROFILE, 6)
    first = find_distribution(pool, quotas, 6)
    shuffled = list(pool)
    random.Random(1).shuffle(shuffled)
    second = find_distribution(shuffled, list(reversed(quotas)), 6)
    assert first.panels == second.panels
    assert first.panel_probabilities == second.panel_probabilities
    assert dict(first.probabilities) == dict(second.probabilities)
    assert list(first.panels) == sorted(first.panels)


def test_draw_maps_the_hashed_seed_onto_cumulative_probabilities_in_sorted_order() -> None:
    # Sorted panels (a,b) 0.25, (a,c) 0.5, (b,c) 0.25: cumulative 0.25, 0.75, 1.
    # SHA-256("s3") starts 41242b9fae56fad4: top 53 bits / 2**53 = 0.2545 -> (a,c);
    # "s0" starts ec18eac8…: 0.9223 -> (b,c). Panels given out of order on purpose.
    distribution = Distribution(
        panels=(("b", "c"), ("a", "c"), ("a", "b")),
        panel_probabilities=(0.25, 0.5, 0.25),
        probabilities={"a": 0.75, "b": 0.5, "c": 0.75},
        minimum=0.5,
        unreachable=(),
    )
    assert draw(distribution, "s3") == frozenset({"a", "c"})
    assert draw(distribution, "s0") == frozenset({"b", "c"})


def test_draw_is_reproducible_and_its_frequencies_match_the_probabilities() -> None:
    pool = synthetic_pool(30, seed=11)
    quotas = quotas_from_profile(PROFILE, 5)
    result = find_distribution(pool, quotas, 5)
    assert draw(result, "jury-2026-03") == draw(result, "jury-2026-03")
    counts: Counter[str] = Counter()
    seeds = 4000
    for k in range(seeds):
        panel = draw(result, f"s{k}")
        assert tuple(sorted(panel)) in result.panels
        counts.update(panel)
    # 0.03 is about four standard errors of a frequency over 4,000 draws at p = 1/2.
    for volunteer_id, probability in result.probabilities.items():
        assert counts[volunteer_id] / seeds == pytest.approx(probability, abs=0.03)


def test_a_minimum_above_the_pool_names_the_category() -> None:
    pool = [person("a1", g="A"), person("b1", g="B"), person("b2", g="B")]
    with pytest.raises(Infeasible, match=r"g=A needs at least 2 but the pool has 1"):
        find_distribution(pool, [Quota("g", "A", 2, 2)], 2)


def test_minimums_summing_above_the_panel_are_named() -> None:
    pool = [person(f"{c}{i}", g=c) for c in "AB" for i in range(3)]
    with pytest.raises(Infeasible, match=r"g: the minimums \(A 2, B 2\) sum to 4, more than"):
        find_distribution(pool, [Quota("g", "A", 2, 3), Quota("g", "B", 2, 3)], 3)


def test_maximums_summing_below_the_panel_are_named() -> None:
    pool = [person(f"{c}{i}", g=c) for c in "AB" for i in range(3)]
    with pytest.raises(Infeasible, match=r"g: the maximums \(A 1, B 1\) allow at most 2"):
        find_distribution(pool, [Quota("g", "A", 0, 1), Quota("g", "B", 0, 1)], 3)


def test_quotas_that_clash_only_together_get_the_general_message() -> None:
    # Both A volunteers are X: "two X" forces two A, against "exactly one A".
    pool = [
        person("a1", g="A", h="X"),
        person("a2", g="A", h="X"),
        person("b1", g="B", h="Y"),
        person("b2", g="B", h="Y"),
    ]
    with pytest.raises(Infeasible, match="cannot all be met together"):
        find_distribution(pool, [Quota("g", "A", 1, 1), Quota("h", "X", 2, 2)], 2)


def test_quotas_from_profile_rounds_to_targets_that_sum_to_the_panel() -> None:
    quotas = quotas_from_profile({"age": {"young": 0.5, "mid": 0.3, "old": 0.2}}, 10)
    assert quotas == [
        Quota("age", "mid", 2, 4),
        Quota("age", "old", 1, 3),
        Quota("age", "young", 4, 6),
    ]
    # Percentages work too; thirds of 10 are 3.33 each: the free seat goes to the code first.
    thirds = quotas_from_profile({"g": {"c": 33, "b": 33, "a": 33}}, 10, slack=0)
    assert [(q.category, q.minimum) for q in thirds] == [("a", 4), ("b", 3), ("c", 3)]
    # Quarters of 2: round() would give 0 each; largest remainder gives exactly 2 seats.
    quarters = quotas_from_profile({"g": dict.fromkeys("abcd", 0.25)}, 2, slack=1)
    assert sum(q.minimum for q in quarters) <= 2 <= sum(q.maximum for q in quarters)
    assert [(q.minimum, q.maximum) for q in quarters] == [(0, 2), (0, 2), (0, 1), (0, 1)]


def test_oversampling_raises_a_seldom_heard_target_and_takes_seats_from_the_rest() -> None:
    profile = {"ethnic_group": {"black": 0.05, "white": 0.95}}
    plain = quotas_from_profile(profile, 40, slack=0)
    assert [(q.category, q.minimum) for q in plain] == [("black", 2), ("white", 38)]
    boosted = quotas_from_profile(profile, 40, oversample={("ethnic_group", "black"): 1.5})
    # black: 0.05 x 40 x 1.5 = 3 seats (2..4 with slack 1); white: the other 37 (36..38).
    assert boosted == [
        Quota("ethnic_group", "black", 2, 4),
        Quota("ethnic_group", "white", 36, 38),
    ]
    with pytest.raises(ValueError, match="not in the profile"):
        quotas_from_profile(profile, 40, oversample={("ethnic_group", "asian"): 2.0})


def test_a_volunteer_who_fits_no_panel_has_probability_zero_and_is_listed() -> None:
    pool = [*SKEWED, person("z1", g="A", h="Z")]
    quotas = [*SKEWED_QUOTAS, Quota("h", "Z", 0, 0)]
    result = find_distribution(pool, quotas, 2)
    assert result.unreachable == ("z1",)
    assert result.probabilities["z1"] == 0
    assert result.minimum == pytest.approx(1 / 3, abs=1e-7)  # maximin over the others


def test_select_panel_reports_quotas_make_up_and_probabilities_as_json() -> None:
    report = select_panel(SKEWED, SKEWED_QUOTAS, 2, "published-seed-2026")
    assert report.panel in {("a1", "b2"), ("a1", "b3"), ("a2", "b1")}
    assert report == select_panel(list(reversed(SKEWED)), SKEWED_QUOTAS, 2, "published-seed-2026")
    data = json.loads(json.dumps(report.as_dict()))
    assert data["seed"] == "published-seed-2026"
    assert data["panel"] == list(report.panel)
    assert data["support_size"] == 3
    assert data["minimum_probability"] == pytest.approx(1 / 3)
    assert "Nature 596" in data["method"]
    by_category = {(q["characteristic"], q["category"]): q for q in data["quotas"]}
    assert by_category[("g", "A")]["in_pool"] == 2
    assert by_category[("g", "A")]["in_panel"] == 1
    assert by_category[("h", "Y")]["in_pool"] == 3
    panel_y = sum(v.features["h"] == "Y" for v in SKEWED if v.id in report.panel)
    assert by_category[("h", "Y")]["in_panel"] == panel_y


def test_repeated_ids_and_impossible_quotas_are_refused() -> None:
    with pytest.raises(ValueError, match="repeated: a1"):
        find_distribution([person("a1", g="A"), person("a1", g="B")], [], 1)
    with pytest.raises(ValueError, match="minimum <= maximum"):
        Quota("g", "A", 3, 2)
