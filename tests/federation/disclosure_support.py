"""Shared helpers for the disclosure tests: consistent true counts, and a brute-force attacker.

`make_raw` builds RawCounts whose breakdowns add up to their margins (as the
hub's SQL would). `brute_force_hidden` is the independent check on
`federation.disclosure.solver`: it enumerates, with itertools.product, every
assignment of true values to a scope's cells that is consistent with every
published number of the release, and reports which values each suppressed
cell can take. It is deliberately naive (no interval algebra), so it shares
no reasoning with the solver it checks; it is only run on small margins.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Mapping
from typing import Any

from federation.disclosure import CHARACTERISTICS, DEFAULT_RULE, DisclosureRule
from federation.disclosure.tables import KINDS, RawCounts, ThemeCounts
from federation.taxonomy import CURRENT_VERSION, load_taxonomy

CODES = load_taxonomy(CURRENT_VERSION).codes


def split(total: int, parts: int, rng: random.Random, *, skew: float = 1.0) -> list[int]:
    """`total` shared out at random among `parts` (some may be 0)."""
    weights = [rng.random() ** skew for _ in range(parts)]
    result = [0] * parts
    for _ in range(total):
        result[rng.choices(range(parts), weights)[0]] += 1
    return result


def tables_for(margin: int, rng: random.Random, *, skew: float = 1.0) -> dict[str, dict[str, int]]:
    return {
        name: dict(zip(ch.codes, split(margin, len(ch.codes), rng, skew=skew), strict=True))
        for name, ch in CHARACTERISTICS.items()
    }


def theme_counts(people: int, rng: random.Random) -> ThemeCounts:
    contributors = rng.randint((people + 1) // 2, people) if people else 0
    supporters = rng.randint(people - contributors, people)
    return ThemeCounts(
        people=people,
        contributors=contributors,
        supporters=supporters,
        contributions=rng.randint(contributors, contributors * DEFAULT_RULE.contribution_cap),
        by_kind={kind: rng.randint(0, contributors) for kind in KINDS},
    )


def make_raw(
    participants: int,
    themes: Mapping[str, int],
    *,
    seed: int = 0,
    skew: float = 1.0,
    breakdowns: Mapping[str, Mapping[str, Mapping[str, int]]] | None = None,
) -> RawCounts:
    """Consistent true counts: `themes` maps code -> people; other themes are empty.

    Breakdowns are random partitions of each margin unless given (given ones
    replace the random table for that scope and characteristic).
    """
    rng = random.Random(seed)
    theme_rows = {code: theme_counts(people, rng) for code, people in themes.items()}
    tables: dict[str, dict[str, dict[str, int]]] = {"all": tables_for(participants, rng, skew=skew)}
    for code, people in themes.items():
        tables[code] = tables_for(people, rng, skew=skew)
    for scope, given in (breakdowns or {}).items():
        for name, cells in given.items():
            tables.setdefault(scope, {})[name] = dict(cells)
    return RawCounts(
        participants=participants,
        contributors=participants // 2,
        supporters=participants // 3,
        themes=theme_rows,
        breakdowns=tables,
    )


def publishes_as(true: int, value: int | None, rule: DisclosureRule, minimum: int) -> bool:
    """Would a true count be shown as `value`? (None: suppressed, any true >= 1.)"""
    if value is None:
        return true >= 1
    if value == 0:
        return true == 0
    return true >= minimum and rule.round(true) == value


def _feasible_in_table(
    choices: list[list[int]], total: int, *, product: bool
) -> list[set[int]] | None:
    """For each cell, the values it takes in some assignment summing to `total` (None: none).

    `product`: enumerate every assignment with itertools.product (small
    tables only). Otherwise the same question by explicit sets of reachable
    partial sums (prefix and suffix), still with no interval reasoning.
    """
    found: list[set[int]] = [set() for _ in choices]
    if product:
        for values in itertools.product(*choices):
            if sum(values) == total:
                for position, value in enumerate(values):
                    found[position].add(value)
    else:
        prefix = [{0}]
        for options in choices:
            prefix.append({a + v for a in prefix[-1] for v in options if a + v <= total})
        suffix = [{0}]
        for options in reversed(choices):
            suffix.append({a + v for a in suffix[-1] for v in options if a + v <= total})
        suffix.reverse()
        for position, options in enumerate(choices):
            for value in options:
                rest = total - value
                if any(rest - a in suffix[position + 1] for a in prefix[position]):
                    found[position].add(value)
    return found if all(found) else None


def brute_force_scope(
    body: Mapping[str, Any], scope: str, *, product: bool = True
) -> dict[tuple[str, str], set[int]]:
    """Feasible values of every suppressed cell in `scope`, by exhaustive enumeration.

    Candidate values come from re-applying the rule (a true count t is a
    candidate for a published cell exactly when the engine would publish t
    as that cell), not from interval formulas. For every candidate margin
    (a value the margin cell would be published as, at least the breakdown
    threshold since tables are present), every assignment of the present
    tables' cells that sums to it, with no cell holding everyone, is
    enumerated; the tables share only the margin, so a margin is possible
    when every table has some assignment.
    """
    rule = DisclosureRule(
        **{name: body["disclosure"][name] for name in ("k", "rounding_base", "breakdown_threshold")}
    )
    margin_cell = (
        body["participation"]["participants"]
        if scope == "all"
        else next(row["people"] for row in body["themes"] if row["code"] == scope)
    )
    tables = {
        name: table["cells"]
        for name, table in body["breakdowns"][scope].items()
        if "cells" in table
    }
    small = rule.small_breakdown
    top = (margin_cell["value"] or rule.k) + rule.rounding_base
    feasible: dict[tuple[str, str], set[int]] = {
        (name, category): set()
        for name, cells in tables.items()
        for category, cell in cells.items()
        if cell["suppressed"]
    }
    for margin in range(0, top + 1):
        if margin_cell["suppressed"]:
            if not 1 <= margin < rule.k:
                continue
        elif not publishes_as(margin, margin_cell["value"], rule, rule.k):
            continue
        if tables and margin < rule.breakdown_threshold:
            continue
        per_table: dict[str, list[set[int]]] = {}
        for name, cells in tables.items():
            choices = [
                [v for v in range(0, margin) if publishes_as(v, cell["value"], rule, small)]
                for cell in cells.values()
            ]
            result = _feasible_in_table(choices, margin, product=product)
            if result is None:
                break
            per_table[name] = result
        else:
            for name, cells in tables.items():
                for position, category in enumerate(cells):
                    if (name, category) in feasible:
                        feasible[(name, category)] |= per_table[name][position]
    return feasible
