"""The attacker's view of a release: which true values each hidden cell may still hold.

Built ONLY from what is published (the body), never from the true counts, so
that it sees exactly what a reader sees. The engine runs it on each draft
table and suppresses further until it passes; the aggregator can run it
again on receipt (`invariants.check_release`).

What the attacker knows (the model):

- The rule (k, rounding base, breakdown threshold) is public.
- A published 0 is exact. A published count `v` came from rounding to the
  nearest multiple of `b` with halves up, so the true count is in
  `v - b//2 .. v + b - 1 - b//2` (8..12 for a published 10 with b = 5), and it
  is at least k (smaller counts are never published as numbers). A published
  breakdown cell is at least the breakdown threshold too.
- A suppressed count cell (participants, a theme's people) is 1..k-1: those
  cells are only ever suppressed by the primary rule. A suppressed breakdown
  cell is only known to be at least 1 (0 is published as 0): the attacker
  does not know whether it was suppressed as small (1..threshold-1) or as a
  complementary cell (threshold or more), so it is bounded only by the margin.
- Every breakdown table that is present says its scope's margin is at least
  the breakdown threshold, and that no category holds everyone (all-or-none
  tables are withheld): every cell is at most margin - 1.
- For each scope (the whole hub, or one theme) and characteristic, the
  categories (not-stated included) sum exactly to the margin: participants
  for scope "all", the theme's people otherwise. The five tables of a scope
  share that one margin.

The feasible set is exact for this model. Within one table, given the margin
M, a cell with bounds [lo, hi] among cells whose bounds sum to L..H can take
exactly `max(lo, M - (H - hi)) .. min(hi, M - (L - lo))` (the other cells
absorb any value in between one unit at a time), provided L <= M <= H. The
five tables of a scope are independent given M (any set of one-way margins
with the same total is realised by some population), so the solver walks
every M the margin cell allows (at most a rounding base's worth of values),
keeps those feasible in every present table, and unions the per-M intervals.
The brute-force solver in the tests (itertools.product) checks this.

Leaves out (limits, stated in docs/privacy.md): inequalities between scopes
(a theme's 25-34 cell is at most the whole hub's 25-34 cell; a theme's people
at most the participants) and between count cells (contributors <= people),
and reasoning about the engine's own choices (which cell it picked as the
complementary one). The engine's extra classical rule (at least two
suppressed cells in any table that has one) is the margin of safety for
those. Noisy (differential privacy) releases are not modelled: their
published numbers are not the true ones rounded.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from federation.disclosure.rules import DisclosureRule, declared_rule

# (lower, upper) bounds of one cell's true value; upper None = "bounded only by the margin".
Bounds = tuple[int, int | None]


@dataclass(frozen=True)
class Feasible:
    """A set of whole numbers held as sorted, disjoint, inclusive intervals."""

    intervals: tuple[tuple[int, int], ...] = ()

    @classmethod
    def of(cls, pairs: Iterable[tuple[int, int]]) -> Feasible:
        merged: list[tuple[int, int]] = []
        for lo, hi in sorted(pair for pair in pairs if pair[0] <= pair[1]):
            if merged and lo <= merged[-1][1] + 1:
                merged[-1] = (merged[-1][0], max(merged[-1][1], hi))
            else:
                merged.append((lo, hi))
        return cls(tuple(merged))

    @property
    def size(self) -> int:
        return sum(hi - lo + 1 for lo, hi in self.intervals)

    def count_in(self, lo: int, hi: int) -> int:
        """How many feasible values lie in lo..hi."""
        return sum(max(0, min(hi, b) - max(lo, a) + 1) for a, b in self.intervals)

    def __contains__(self, value: object) -> bool:
        return isinstance(value, int) and any(a <= value <= b for a, b in self.intervals)

    def __iter__(self) -> Iterator[int]:
        for lo, hi in self.intervals:
            yield from range(lo, hi + 1)

    def __str__(self) -> str:
        return ", ".join(f"{a}" if a == b else f"{a}–{b}" for a, b in self.intervals) or "none"


@dataclass(frozen=True)
class ScopeSolution:
    """Feasible true values of a scope's margin and of every cell of its present tables."""

    margin: Feasible
    cells: Mapping[tuple[str, str], Feasible] = field(default_factory=dict)


def published_bounds(value: int | None, rule: DisclosureRule, *, minimum: int) -> Bounds:
    """True values a published cell may hide: None (suppressed) is 1.., 0 is 0, v is its interval.

    `minimum` is the smallest true value ever published as a number (k for a
    count, the breakdown threshold for a breakdown cell).
    """
    if value is None:
        return (1, None)
    if value == 0:
        return (0, 0)
    half = rule.rounding_base // 2
    return (max(value - half, minimum), value + rule.rounding_base - 1 - half)


def margin_bounds(value: int | None, rule: DisclosureRule, *, has_tables: bool) -> tuple[int, int]:
    """True values a scope's margin cell may hide; a present table says it is >= the threshold."""
    lo, hi = published_bounds(value, rule, minimum=rule.k)
    if hi is None:  # a suppressed count cell is only ever a primary suppression
        hi = rule.k - 1
    if has_tables:
        lo = max(lo, rule.breakdown_threshold)
    return lo, hi


def solve_scope(
    margin: tuple[int, int], tables: Mapping[str, Mapping[str, Bounds]]
) -> ScopeSolution:
    """Exact feasible sets for one scope: each table's cells sum to the shared margin.

    `tables` maps characteristic -> category -> bounds, for the present
    tables only. Every cell of a present table is at most margin - 1.
    """
    margins: list[int] = []
    ranges: dict[tuple[str, str], list[tuple[int, int]]] = {
        (name, category): [] for name, cells in tables.items() for category in cells
    }
    for total in range(margin[0], margin[1] + 1):
        found: list[tuple[tuple[str, str], tuple[int, int]]] = []
        for name, cells in tables.items():
            lows = {category: lo for category, (lo, _) in cells.items()}
            highs = {
                category: min(total if hi is None else hi, total - 1)
                for category, (_, hi) in cells.items()
            }
            low_sum, high_sum = sum(lows.values()), sum(highs.values())
            if any(lows[c] > highs[c] for c in cells) or not low_sum <= total <= high_sum:
                break
            for category in cells:
                lo, hi = lows[category], highs[category]
                span = (max(lo, total - (high_sum - hi)), min(hi, total - (low_sum - lo)))
                found.append(((name, category), span))
        else:
            margins.append(total)
            for key, span in found:
                ranges[key].append(span)
    return ScopeSolution(
        margin=Feasible.of((m, m) for m in margins),
        cells={key: Feasible.of(spans) for key, spans in ranges.items()},
    )


def _margin_value(body: Mapping[str, Any], scope: str) -> int | None:
    if scope == "all":
        value: int | None = body["participation"]["participants"]["value"]
        return value
    for row in body["themes"]:
        if row["code"] == scope:
            people: int | None = row["people"]["value"]
            return people
    raise KeyError(f"no theme row for breakdown scope {scope!r}")


def attack(body: Mapping[str, Any]) -> dict[str, ScopeSolution]:
    """The attacker's solution for every scope with at least one present table.

    `body` must already match the summary/1 schema. Scopes whose margin and
    tables contradict each other (no feasible value) get empty sets: the
    caller treats an empty set as a broken release.
    """
    rule = declared_rule(body)
    result: dict[str, ScopeSolution] = {}
    for scope, tables in body["breakdowns"].items():
        present = {
            name: {
                category: published_bounds(cell["value"], rule, minimum=rule.small_breakdown)
                for category, cell in table["cells"].items()
            }
            for name, table in tables.items()
            if "cells" in table
        }
        if not present:
            continue
        margin = margin_bounds(_margin_value(body, scope), rule, has_tables=True)
        result[scope] = solve_scope(margin, present)
    return result


def hidden_cells(body: Mapping[str, Any]) -> dict[str, Feasible]:
    """Feasible true values of every suppressed breakdown cell, by path (`breakdowns[s].c[cat]`)."""
    hidden: dict[str, Feasible] = {}
    for scope, solution in attack(body).items():
        for (name, category), feasible in solution.cells.items():
            if body["breakdowns"][scope][name]["cells"][category]["suppressed"]:
                hidden[f"breakdowns[{scope}].{name}[{category}]"] = feasible
    return hidden


def count_bounds(value: int | None, rule: DisclosureRule) -> tuple[int, int]:
    """True values a published count cell may hide (a suppressed count is 1..k-1)."""
    lo, hi = published_bounds(value, rule, minimum=rule.k)
    return (lo, rule.k - 1 if hi is None else hi)


def difference(old: tuple[int, int], new: tuple[int, int], *, nested: bool = True) -> Feasible:
    """Feasible true change new - old, given each one's feasible interval.

    `nested`: the new period contains the old one (a year to date after a
    month), so the change cannot be negative. Exact: any d in the interval
    has some old with old in its range and old + d in new's.
    """
    lo, hi = new[0] - old[1], new[1] - old[0]
    if nested:
        lo = max(lo, 0)
    return Feasible.of([(lo, hi)])


def change_between(
    old_value: int | None, new_value: int | None, rule: DisclosureRule, *, nested: bool = True
) -> Feasible:
    """What two releases of the same count cell reveal about the change between them."""
    return difference(count_bounds(old_value, rule), count_bounds(new_value, rule), nested=nested)
