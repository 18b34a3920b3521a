"""The disclosure-control engine: true counts in, the `summary/1` body that may leave out.

`protect(raw, rule, quotes=…, privacy=…)` is a pure function (no database, no
network, no clock): the hub feeds it SQL aggregates (`tables.RawCounts`) and
gets back the body it will sign plus one `Decision` per cell, withheld table
and quote, for the release preview. Deterministic when `privacy` is None.

The steps, in order (DESIGN.md §5):

1. Count cells (participation, each theme's people, contributors,
   supporters, people raising each kind): 0 stays 0, 1..k-1 suppressed,
   others rounded to the base (halves up). `contributions` (items, each
   person capped at `contribution_cap` so one person cannot move it much) is
   suppressed whenever fewer than k people raised them, even if the items
   number more: 12 items from 4 people describe those 4.
2. Breakdowns, one characteristic at a time and only from the fixed catalogue
   (`table_spec` refuses anything else). A scope's five tables are withheld
   when its margin is under `breakdown_threshold` (under-threshold). A table
   is withheld when at most one category is non-zero (all-or-none: it would
   tell every reader that each person in the theme is, say, 75 or over).
   Cells of 1..threshold-1 are suppressed (small-breakdown-cell), others
   rounded.
3. Complementary suppression, table by table within a scope:
   a. The classical rule first: a table with exactly one suppressed cell also
      suppresses its smallest non-zero published cell. The exact check below
      would often pass without it, because the rounding of the margin and of
      the other cells already leaves the hidden cell a range of values; but
      that range can be as narrow as two values, and the solver does not
      model everything an attacker may combine (inequalities between a theme
      and the whole hub, the engine's own choices, other hubs' releases), so
      the second hidden cell is a cheap margin of safety. Its only exception
      would be a table whose other cells are all zeros, and that table is
      already withheld as all-or-none.
   b. Then the exact check (`solver.solve_scope`), from the published numbers
      only: every suppressed cell must keep more than one feasible true
      value, and a cell suppressed as small must keep at least two feasible
      values in 1..threshold-1 (else a reader learns its exact small count,
      or at least that it is 9, say). While some cell fails, its table
      suppresses its next-smallest non-zero published cell; a table with
      nothing left to suppress is withheld (reason complementary). All five
      tables of a scope are re-solved together each time, because they share
      the margin. Every step suppresses or withholds something, so the loop
      ends; it publishes nothing until the check passes.
4. Quotes: only from themes whose true contributors (and published
   contributors) reach `quote_threshold`; each carries only its theme and
   text; sorted by (theme, text) so the order says nothing about when.
5. Self-check: the body must pass `validate_body("summary/1")` and
   `invariants.check_release`, the same checks the aggregator runs.

With `privacy` (a `dp.PrivacySpec`), every count is first noised by
`federation.disclosure.dp.add_noise` (the geometric mechanism through OpenDP),
then clamped at 0, and all of the above runs on the noisy counts only, as
post-processing (so it costs no extra privacy). The exact check is skipped
there: a noisy count recovered exactly reveals only the noisy count, which
the ε already accounts for; the classical rule still applies. Quotes use the
true contributor count (quotes are not differentially private, and say so).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from federation.disclosure.characteristics import CHARACTERISTICS
from federation.disclosure.representation import representation_block
from federation.disclosure.routing import METHOD as ROUTING_METHOD
from federation.disclosure.routing import RoutingCounts, routing_block
from federation.disclosure.rules import DEFAULT_RULE, DisclosureRule, protect_count
from federation.disclosure.solver import margin_bounds, published_bounds, solve_scope
from federation.disclosure.tables import (
    ALL,
    KINDS,
    Quote,
    RawCounts,
    ThemeCounts,
    scopes,
    validate_raw,
)
from federation.errors import DisclosureViolation
from federation.taxonomy import CURRENT_VERSION, load_taxonomy

if TYPE_CHECKING:
    from federation.disclosure.dp import PrivacySpec

REASONS = (
    "zero",
    "rounded",
    "small-count",
    "small-breakdown-cell",
    "complementary",
    "all-or-none",
    "under-threshold",
    "few-contributors",
    "noise-added",
    "quote-included",
    "quote-small-theme",
)
METHODS = {
    "participation": "sdc-count",
    "themes": "sdc-count",
    "breakdowns": "sdc-breakdown",
    "quotes": "consented-scrubbed-two-reviewers",
}
DP_METHODS = {
    **METHODS,
    "participation": "geometric+sdc-count",
    "themes": "geometric+sdc-count",
    "breakdowns": "geometric+sdc-breakdown",
}


@dataclass(frozen=True)
class Decision:
    """What happened to one cell, withheld table or quote, for the release preview."""

    path: str
    true_value: int | None
    published: int | None
    suppressed: bool
    reason: str
    note: str

    def as_json(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "true_value": self.true_value,
            "published": self.published,
            "suppressed": self.suppressed,
            "reason": self.reason,
            "note": self.note,
        }


@dataclass(frozen=True)
class Population:
    """The area's population profile counts {characteristic: {category: people}} (public
    Census figures, not people's records) and a line saying where they come from."""

    counts: Mapping[str, Mapping[str, int]]
    source: str


@dataclass(frozen=True)
class ProtectedRelease:
    body: dict[str, Any]
    decisions: tuple[Decision, ...]


class CrossTabulationRefused(DisclosureViolation):
    """A table outside the fixed catalogue: a cross-tabulation, a filter, an unknown name."""

    slug = "cross-tabulation-refused"
    title = "Only one-way breakdowns from the fixed catalogue can be published"


@dataclass(frozen=True)
class TableSpec:
    scope: str  # "all" or a theme code
    characteristic: str


def table_spec(
    scope: str, *characteristics: str, filters: Mapping[str, Any] | None = None
) -> TableSpec:
    """The one table the engine can make for this request, or CrossTabulationRefused.

    Only one characteristic at a time, within one scope, with no filter: a
    theme × age × ethnicity table, or "age in this theme among disabled
    people", can single a person out, and no combination of one-way tables
    the engine makes lets anyone build one.
    """
    if filters:
        raise CrossTabulationRefused(
            f"ad hoc filters are never applied ({', '.join(sorted(filters))}): only the fixed "
            "one-way tables are published",
            field="filters",
        )
    if len(characteristics) != 1:
        raise CrossTabulationRefused(
            f"one characteristic at a time; asked for {len(characteristics)} "
            f"({' × '.join(characteristics) or 'none'})",
            field="characteristics",
        )
    if scope not in scopes():
        raise CrossTabulationRefused(f"{scope!r} is not 'all' or a theme code", field="scope")
    if characteristics[0] not in CHARACTERISTICS:
        raise CrossTabulationRefused(
            f"{characteristics[0]!r} is not one of {', '.join(CHARACTERISTICS)}",
            field="characteristics",
        )
    return TableSpec(scope, characteristics[0])


CATALOGUE: tuple[TableSpec, ...] = tuple(
    TableSpec(scope, name) for scope in scopes() for name in CHARACTERISTICS
)


def _people(count: int) -> str:
    return "1 person" if count == 1 else f"{count} people"


def _items(count: int) -> str:
    return "1 item" if count == 1 else f"{count} items"


@dataclass
class _Draft:
    """One breakdown cell while the engine decides it."""

    category: str
    true: int
    used: int  # the true count, or the noisy one with privacy
    reason: str
    published: int | None

    @property
    def suppressed(self) -> bool:
        return self.published is None


class _Release:
    def __init__(
        self,
        raw: RawCounts,
        counts: RawCounts,
        rule: DisclosureRule,
        privacy: PrivacySpec | None,
    ) -> None:
        self.raw, self.counts, self.rule, self.privacy = raw, counts, rule, privacy
        self.decisions: list[Decision] = []

    @property
    def noisy(self) -> bool:
        return self.privacy is not None

    def count(
        self, path: str, true: int, used: int, what: Callable[[int], str] = _people
    ) -> dict[str, Any]:
        """One count cell; `what` names the unit in the preview's note (people, or items)."""
        rule = self.rule
        cell = protect_count(used, rule)
        small = f"counts of 1–{rule.k - 1} are suppressed"
        if self.noisy:
            if cell.suppressed:
                reason, note = "small-count", f"{what(true)}; after noise, {small}"
            else:
                reason = "noise-added"
                note = (
                    f"{what(true)}: noise added (geometric, ε {self.epsilon}), clamped at 0 "
                    f"and rounded to the nearest {rule.rounding_base}: {cell.value}"
                )
        elif true == 0:
            reason, note = "zero", f"{what(0)}: 0 is published as it is"
        elif cell.suppressed:
            reason, note = "small-count", f"{what(true)}: {small}"
        else:
            reason = "rounded"
            note = f"{what(true)}: rounded to the nearest {rule.rounding_base}, {cell.value}"
        self.decisions.append(Decision(path, true, cell.value, cell.suppressed, reason, note))
        return cell.as_json()

    def item_count(self, path: str, true: int) -> dict[str, Any]:
        """A count of items that is never noised (the routing block), with its decision."""
        rule = self.rule
        cell = protect_count(true, rule)
        if true == 0:
            reason, note = "zero", "0 items: 0 is published as it is"
        elif cell.suppressed:
            reason, note = "small-count", f"{_items(true)}: counts of 1–{rule.k - 1} are suppressed"
        else:
            reason = "rounded"
            note = f"{_items(true)}: rounded to the nearest {rule.rounding_base}, {cell.value}"
        self.decisions.append(Decision(path, true, cell.value, cell.suppressed, reason, note))
        return cell.as_json()

    @property
    def epsilon(self) -> str:
        return "" if self.privacy is None else str(self.privacy.epsilon)

    def contributions(self, code: str, true: ThemeCounts, used: ThemeCounts) -> dict[str, Any]:
        path = f"themes[{code}].contributions"
        if used.contributors < self.rule.k and used.contributions > 0:
            note = (
                f"{true.contributions} items from {_people(true.contributors)}: suppressed "
                f"because fewer than {self.rule.k} people raised them"
            )
            self.decisions.append(
                Decision(path, true.contributions, None, True, "few-contributors", note)
            )
            return {"value": None, "suppressed": True}
        return self.count(path, true.contributions, used.contributions, _items)

    def theme_row(self, code: str) -> dict[str, Any]:
        true, used = self.raw.theme(code), self.counts.theme(code)
        where = f"themes[{code}]"
        row: dict[str, Any] = {"code": code}
        for name in ("people", "contributors", "supporters"):
            row[name] = self.count(f"{where}.{name}", getattr(true, name), getattr(used, name))
        row["contributions"] = self.contributions(code, true, used)
        row["by_kind"] = {
            kind: self.count(f"{where}.by_kind.{kind}", true.kind(kind), used.kind(kind))
            for kind in KINDS
        }
        return row

    def scope_tables(self, scope: str, margin_value: int | None) -> dict[str, Any]:
        rule = self.rule
        true_margin = self.raw.margin(scope)
        used_margin = self.counts.margin(scope)
        if (
            margin_value is None
            or used_margin < rule.breakdown_threshold
            or margin_value < rule.breakdown_threshold
        ):
            for name in CHARACTERISTICS:
                note = (
                    f"{_people(true_margin)} in this scope: no breakdown is published for fewer "
                    f"than {rule.breakdown_threshold}"
                )
                self.withheld(scope, name, true_margin, "under-threshold", note)
            return {name: {"withheld": True} for name in CHARACTERISTICS}
        drafts: dict[str, list[_Draft]] = {}
        tables: dict[str, Any] = {}
        for name in CHARACTERISTICS:
            true_cells = self.raw.breakdown(scope, name)
            used_cells = self.counts.breakdown(scope, name)
            if sum(1 for value in used_cells.values() if value > 0) <= 1:
                label = CHARACTERISTICS[name].label.lower()
                note = (
                    f"everyone in this scope is in one {label} category (or none): the table "
                    "would describe each of them, so it is withheld"
                )
                self.withheld(scope, name, true_margin, "all-or-none", note)
                tables[name] = {"withheld": True}
                continue
            drafts[name] = [
                self.first_draft(category, true_cells[category], used_cells[category])
                for category in CHARACTERISTICS[name].codes
            ]
        self.complement(scope, drafts, margin_value)
        for name in CHARACTERISTICS:
            if name in tables:
                continue
            if name not in drafts:
                note = (
                    "no choice of suppressed cells left every hidden cell more than one "
                    "possible value, so the table is withheld"
                )
                self.withheld(scope, name, true_margin, "complementary", note)
                tables[name] = {"withheld": True}
                continue
            cells = {}
            for draft in drafts[name]:
                path = f"breakdowns[{scope}].{name}[{draft.category}]"
                self.decisions.append(
                    Decision(
                        path,
                        draft.true,
                        draft.published,
                        draft.suppressed,
                        draft.reason,
                        self.cell_note(draft),
                    )
                )
                cells[draft.category] = {"value": draft.published, "suppressed": draft.suppressed}
            tables[name] = {"cells": cells}
        return tables

    def first_draft(self, category: str, true: int, used: int) -> _Draft:
        if used == 0:
            return _Draft(category, true, used, "noise-added" if self.noisy else "zero", 0)
        if used < self.rule.small_breakdown:
            return _Draft(category, true, used, "small-breakdown-cell", None)
        reason = "noise-added" if self.noisy else "rounded"
        return _Draft(category, true, used, reason, self.rule.round(used))

    def cell_note(self, draft: _Draft) -> str:
        rule = self.rule
        who = _people(draft.true)
        if draft.reason == "zero":
            return "0 people: 0 is published as it is"
        if draft.reason == "small-breakdown-cell":
            return f"{who}: breakdown cells of 1–{rule.small_breakdown - 1} are suppressed"
        if draft.reason == "complementary":
            return (
                f"{who}: suppressed as well, so that the smaller suppressed cells in this table "
                "cannot be worked out from its total"
            )
        if draft.reason == "noise-added":
            return (
                f"{who}: noise added (geometric, ε {self.epsilon}), clamped at 0 and rounded: "
                f"{draft.published}"
            )
        return f"{who}: rounded to the nearest {rule.rounding_base}, {draft.published}"

    def withheld(self, scope: str, name: str, margin: int, reason: str, note: str) -> None:
        path = f"breakdowns[{scope}].{name}"
        self.decisions.append(Decision(path, margin, None, True, reason, note))

    def complement(self, scope: str, drafts: dict[str, list[_Draft]], margin: int) -> None:
        """Suppress further (or withhold) until the attacker cannot pin any hidden cell."""
        for name in list(drafts):
            self.classical(drafts, name)
        if self.noisy:
            return
        rule = self.rule
        while drafts:
            present = {
                name: {
                    d.category: published_bounds(d.published, rule, minimum=rule.small_breakdown)
                    for d in cells
                }
                for name, cells in drafts.items()
            }
            solution = solve_scope(margin_bounds(margin, rule, has_tables=True), present)
            failing: str | None = None
            for name, cells in drafts.items():
                for draft in cells:
                    feasible = solution.cells[(name, draft.category)]
                    if draft.true not in feasible:  # the model must admit the truth
                        raise AssertionError(
                            f"solver excludes the true value of breakdowns[{scope}].{name}"
                            f"[{draft.category}]: {draft.true} not in {feasible}"
                        )
                    if not draft.suppressed:
                        continue
                    pinned = feasible.size < 2 or (
                        draft.reason == "small-breakdown-cell"
                        and feasible.count_in(1, rule.small_breakdown - 1) < 2
                    )
                    if pinned and failing is None:
                        failing = name
            if failing is None:
                return
            if not self.suppress_next(drafts[failing]):
                del drafts[failing]

    def classical(self, drafts: dict[str, list[_Draft]], name: str) -> None:
        """A table with one suppressed cell suppresses its next-smallest (or is withheld)."""
        cells = drafts[name]
        if sum(1 for d in cells if d.suppressed) == 1 and not self.suppress_next(cells):
            del drafts[name]

    @staticmethod
    def suppress_next(cells: list[_Draft]) -> bool:
        """Suppress the smallest non-zero published cell (category order breaks ties)."""
        candidates = [d for d in cells if not d.suppressed and d.used > 0]
        if not candidates:
            return False
        smallest = min(candidates, key=lambda d: d.used)  # min keeps the first of equals
        smallest.published, smallest.reason = None, "complementary"
        return True

    def quotes(self, quotes: Sequence[Quote], themes: Mapping[str, Any]) -> list[dict[str, str]]:
        threshold = self.rule.quote_threshold
        kept: list[Quote] = []
        for quote in quotes:
            if quote.theme not in themes:
                raise ValueError(f"quote theme {quote.theme!r} is not a national theme code")
            true = self.raw.theme(quote.theme).contributors
            published = themes[quote.theme]["contributors"]["value"]
            if true >= threshold and published is not None and published >= threshold:
                kept.append(quote)
            else:
                note = (
                    f"not sent: its theme has {_people(true)} who raised something; quotes "
                    f"leave only from themes with at least {threshold}"
                )
                path = f"quotes[{quote.theme}]"
                self.decisions.append(Decision(path, true, None, True, "quote-small-theme", note))
        kept.sort(key=lambda q: (q.theme, q.text))
        for index, quote in enumerate(kept):
            note = f"sent with its theme ({quote.theme}) only: no date or demographic"
            self.decisions.append(
                Decision(f"quotes[{index}]", None, None, False, "quote-included", note)
            )
        return [{"theme": quote.theme, "text": quote.text} for quote in kept]


def _clamped(noisy: RawCounts) -> RawCounts:
    """Noisy counts with every negative value set to 0 (post-processing: free under DP)."""

    def theme(counts: ThemeCounts) -> ThemeCounts:
        return ThemeCounts(
            people=max(0, counts.people),
            contributors=max(0, counts.contributors),
            supporters=max(0, counts.supporters),
            contributions=max(0, counts.contributions),
            by_kind={kind: max(0, counts.kind(kind)) for kind in KINDS},
        )

    return RawCounts(
        participants=max(0, noisy.participants),
        contributors=max(0, noisy.contributors),
        supporters=max(0, noisy.supporters),
        themes={code: theme(counts) for code, counts in noisy.themes.items()},
        breakdowns={
            scope: {
                name: {category: max(0, value) for category, value in cells.items()}
                for name, cells in tables.items()
            }
            for scope, tables in noisy.breakdowns.items()
        },
    )


def protect(
    raw: RawCounts,
    rule: DisclosureRule = DEFAULT_RULE,
    *,
    quotes: Sequence[Quote] = (),
    privacy: PrivacySpec | None = None,
    routing: RoutingCounts | None = None,
    population: Population | None = None,
) -> ProtectedRelease:
    """The body that may leave the hub for these true counts, and why each cell is what it is.

    Raises ValueError for counts that cannot be true counts of people (see
    `tables.validate_raw`) or a quote for an unknown theme, and
    DisclosureViolation if the finished body fails the aggregator's own
    checks (a quote text the scrub still finds an identifier in, say).

    With `routing` (true figures for the release's window) the body gets the
    `routing` block (federation/disclosure/routing.py, counted by the count
    rule, never noised); with `population` (the area's profile counts and
    where they come from) the `representation` block, worked out from the
    published `breakdowns.all` only (federation/disclosure/representation.py).
    Without them the blocks are left out (routing) or null (representation).
    """
    validate_raw(raw, contribution_cap=rule.contribution_cap)
    counts = raw
    if privacy is not None:
        from federation.disclosure.dp import add_noise

        counts = _clamped(add_noise(raw, privacy, rule))
    release = _Release(raw, counts, rule, privacy)
    participation = {
        name: release.count(f"participation.{name}", getattr(raw, name), getattr(counts, name))
        for name in ("participants", "contributors", "supporters")
    }
    codes = load_taxonomy(CURRENT_VERSION).codes
    rows = [release.theme_row(code) for code in codes]
    by_code = {row["code"]: row for row in rows}
    breakdowns = {
        scope: release.scope_tables(
            scope,
            participation["participants"]["value"]
            if scope == ALL
            else by_code[scope]["people"]["value"],
        )
        for scope in scopes()
    }
    published_quotes = release.quotes(quotes, by_code)
    disclosure = rule.as_json()
    if privacy is not None:
        disclosure["mechanism"] = "geometric"
        disclosure["epsilon"] = str(privacy.epsilon)
        disclosure["budget"] = None if privacy.budget is None else dict(privacy.budget)
    body: dict[str, Any] = {
        "taxonomy": CURRENT_VERSION,
        "disclosure": disclosure,
        "methods": dict(DP_METHODS if privacy is not None else METHODS),
        "participation": participation,
        "themes": rows,
        "breakdowns": breakdowns,
        "quotes": published_quotes,
    }
    if routing is not None:
        body["methods"]["routing"] = ROUTING_METHOD
        body["routing"] = routing_block(routing, rule, release.item_count)
    if routing is not None or population is not None:
        body["representation"] = (
            None
            if population is None
            else representation_block(body, population.counts, population.source)
        )
    from federation.disclosure.invariants import check_release

    check_release(body)
    return ProtectedRelease(body=body, decisions=tuple(release.decisions))
