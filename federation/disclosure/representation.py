"""Representation in a release: each group's share of participants ÷ its share of the area.

The `representation` block of `summary/1` (DESIGN.md §6, docs/protocol.md) is
made from two things only, so it adds nothing to what the release discloses:

- the hub's *published* breakdown of everyone who took part, `breakdowns.all`
  (already suppressed, rounded and complementary-suppressed, or noised), and
- the area's population shares, which are public Census figures, not people.

It is post-processing of the published numbers, so the aggregator recomputes
it with this same function and refuses a release whose block differs
(`check_block`): a hub cannot slip a ratio worked out from its true counts
into the national picture.

For each characteristic the profile covers, and each stated category c (not
"not stated": those who did not say are left out, as on the hub's own page):

- x is c's published cell; N, the stated total, is the sum of the published
  stated cells. A suppressed cell is only known to lie in 1..threshold-1
  (`small_breakdown - 1`), so x and N become ranges.
- `ratio` = (x / N) / s, where s is c's population share; null when any cell
  of the table is suppressed (then x / N is not known).
- `lower`, `upper`: the Wilson 95% interval for x / N, divided by s, taken at
  the ends of the ranges so that it holds whatever the suppressed cells hide:
  lower at the least x with the most others, upper at the most x with the
  fewest others (Wilson bounds rise with x and fall with the others).
- `flag`: "under-represented" when upper < 1, "over-represented" when
  lower > 1, "in line" otherwise; "too few answers" when N could be under
  `MIN_ANSWERS`; "none in the population" when s = 0; "withheld" when the
  published table is withheld (then every figure is null).

Rounding is not widened into the ranges: published cells are rounded to 5, so
each is within 2 of the true count; the interval is of the published shares,
which is what a national reader has. Numbers are decimal strings with four
places (shares six), so the block is byte-identical wherever it is made.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from federation.disclosure.characteristics import CHARACTERISTICS, NOT_STATED
from federation.errors import DisclosureViolation

Z_95 = 1.959964  # the standard normal's 97.5th percentile: a two-sided 95% interval
MIN_ANSWERS = 20  # below this many stated answers to a question, no flag is claimed
SOURCE_LENGTH = 200

UNDER = "under-represented"
OVER = "over-represented"
IN_LINE = "in line"
TOO_FEW = "too few answers"
WITHHELD = "withheld"
NONE_IN_POPULATION = "none in the population"
FLAGS = (UNDER, OVER, IN_LINE, TOO_FEW, WITHHELD, NONE_IN_POPULATION)


def wilson_interval(x: int, n: int, z: float = Z_95) -> tuple[float, float]:
    """The Wilson score interval for a proportion x / n (n > 0), clipped to [0, 1].

    centre = (p + z²/2n) / (1 + z²/n);
    half-width = z / (1 + z²/n) · √(p(1 − p)/n + z²/4n²).
    """
    if n <= 0 or not 0 <= x <= n:
        raise ValueError(f"need 0 <= x <= n and n > 0, got x={x}, n={n}")
    p = x / n
    z2 = z * z
    denominator = 1 + z2 / n
    centre = (p + z2 / (2 * n)) / denominator
    half = z / denominator * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n))
    # at x = 0 (x = n) the lower (upper) bound is exactly 0 (1): say so, not 2.8e-17
    lower = 0.0 if x == 0 else max(0.0, centre - half)
    upper = 1.0 if x == n else min(1.0, centre + half)
    return lower, upper


def _fixed(value: float | None, places: int = 4) -> str | None:
    return None if value is None else f"{value:.{places}f}"


def population_shares(counts: Mapping[str, Mapping[str, int]]) -> dict[str, dict[str, str]]:
    """Each stated category's share of its characteristic (six places), catalogue order.

    `counts` is {characteristic: {category: people}} from a population profile;
    a characteristic with no people is left out, a not-stated count is ignored.
    """
    shares: dict[str, dict[str, str]] = {}
    for code, characteristic in CHARACTERISTICS.items():
        given = counts.get(code)
        if not given:
            continue
        stated = [category for category in characteristic.codes if category != NOT_STATED]
        total = sum(given.get(category, 0) for category in stated)
        if total <= 0:
            continue
        shares[code] = {category: f"{given.get(category, 0) / total:.6f}" for category in stated}
    return shares


def _group(
    x: tuple[int, int], others: tuple[int, int], share: float, exact: bool
) -> dict[str, Any]:
    empty = {"ratio": None, "lower": None, "upper": None}
    if share == 0:
        return {**empty, "flag": NONE_IN_POPULATION}
    least_n = x[0] + others[0]
    if x[1] + others[0] == 0:
        return {**empty, "flag": TOO_FEW}
    lower = wilson_interval(x[0], x[0] + others[1])[0] / share if x[0] + others[1] > 0 else 0.0
    upper = wilson_interval(x[1], x[1] + others[0])[1] / share
    ratio = x[0] / least_n / share if exact and least_n else None
    if least_n < MIN_ANSWERS:
        flag = TOO_FEW
    elif upper < 1:
        flag = UNDER
    elif lower > 1:
        flag = OVER
    else:
        flag = IN_LINE
    return {"ratio": _fixed(ratio), "lower": _fixed(lower), "upper": _fixed(upper), "flag": flag}


def groups_from_release(
    breakdown_all: Mapping[str, Any],
    shares: Mapping[str, Mapping[str, str]],
    small_breakdown: int,
) -> dict[str, dict[str, dict[str, Any]]]:
    """The `groups` part of the block from `breakdowns.all` and the population shares."""
    groups: dict[str, dict[str, dict[str, Any]]] = {}
    for code, by_category in shares.items():
        table = breakdown_all.get(code, {"withheld": True})
        if "cells" not in table:
            groups[code] = {
                category: {"ratio": None, "lower": None, "upper": None, "flag": WITHHELD}
                for category in by_category
            }
            continue
        ranges: dict[str, tuple[int, int]] = {}
        for category in by_category:
            cell = table["cells"][category]
            if cell["suppressed"]:
                ranges[category] = (1, small_breakdown - 1)
            else:
                ranges[category] = (cell["value"], cell["value"])
        exact = all(low == high for low, high in ranges.values())
        groups[code] = {}
        for category, share in by_category.items():
            others = (
                sum(low for other, (low, _) in ranges.items() if other != category),
                sum(high for other, (_, high) in ranges.items() if other != category),
            )
            groups[code][category] = _group(ranges[category], others, float(share), exact)
    return groups


def representation_block(
    body: Mapping[str, Any], counts: Mapping[str, Mapping[str, int]], source: str
) -> dict[str, Any] | None:
    """The block for a finished body (with `breakdowns`), or None without population figures."""
    shares = population_shares(counts)
    if not shares:
        return None
    small = body["disclosure"]["breakdown_threshold"]
    return {
        "source": source[:SOURCE_LENGTH],
        "shares": shares,
        "groups": groups_from_release(body["breakdowns"]["all"], shares, small),
    }


def check_block(body: Mapping[str, Any]) -> None:
    """DisclosureViolation unless `representation` follows from the published cells and shares."""
    block = body.get("representation")
    if block is None:
        return
    field = "body.representation"
    for code, by_category in block["shares"].items():
        if code not in CHARACTERISTICS:
            raise DisclosureViolation(f"{code!r} is not a characteristic", field=f"{field}.shares")
        stated = [c for c in CHARACTERISTICS[code].codes if c != NOT_STATED]
        if sorted(by_category) != sorted(stated):
            raise DisclosureViolation(
                f"the shares of {code} must give every stated category once",
                field=f"{field}.shares.{code}",
            )
        total = sum(float(share) for share in by_category.values())
        if abs(total - 1) > 1e-4:
            raise DisclosureViolation(
                f"the shares of {code} add up to {total:.6f}, not 1",
                field=f"{field}.shares.{code}",
            )
    expected = groups_from_release(
        body["breakdowns"]["all"], block["shares"], body["disclosure"]["breakdown_threshold"]
    )
    if block["groups"] != expected:
        raise DisclosureViolation(
            "the representation figures do not follow from the published breakdown of "
            "everyone who took part (breakdowns.all) and the population shares",
            field=f"{field}.groups",
        )
