"""Small-number suppression and rounding of person counts.

NHS England's HES practice and OpenSAFELY's output rules: a count of 1–7
people is suppressed, 0 stays 0 (an empty cell discloses nothing about a
person), and every other count is rounded to the nearest multiple of 5 (halves
round up: 8 → 10, 12 → 10, 13 → 15). Totals must be built from rounded cells,
never from raw counts. A hub may be stricter (a higher threshold or a larger
rounding base), never looser. `DisclosureRule` also carries the breakdown,
contribution-cap and quote thresholds the engine (`engine.protect`) applies,
and `check_cell_values` is the per-cell half of the aggregator's re-check
(`invariants.check_release` does the rest). Leaves out: tables, complementary
suppression and noise (engine.py, solver.py, dp.py).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from federation.errors import DisclosureViolation


@dataclass(frozen=True)
class DisclosureRule:
    """A published rule set; a hub may change a number only to make it stricter.

    `k`: counts of 1..k-1 people are suppressed. `rounding_base`: every other
    count is rounded to a multiple of it. `breakdown_threshold`: no breakdown
    table for a scope of fewer people, and no breakdown cell of 1..threshold-1.
    `contribution_cap`: items one person raises in a theme count at most this
    many times (stricter when SMALLER: one loud person moves the count less).
    `quote_threshold`: quotes only from themes with at least this many
    contributors.
    """

    name: str = "hubnet-sdc/1"
    k: int = 8
    rounding_base: int = 5
    breakdown_threshold: int = 10
    contribution_cap: int = 3
    quote_threshold: int = 10

    def __post_init__(self) -> None:
        if self.k < DEFAULT_K or self.rounding_base < DEFAULT_BASE or self.rounding_base % 5:
            raise ValueError(
                "a hub may only make the rule stricter: k >= 8 and a rounding base that is a "
                "multiple of 5"
            )
        if self.breakdown_threshold < DEFAULT_BREAKDOWN_THRESHOLD:
            raise ValueError("a hub may only make the rule stricter: breakdown_threshold >= 10")
        if not 1 <= self.contribution_cap <= DEFAULT_CONTRIBUTION_CAP:
            raise ValueError("a hub may only make the rule stricter: contribution_cap 1 to 3")
        if self.quote_threshold < DEFAULT_QUOTE_THRESHOLD:
            raise ValueError("a hub may only make the rule stricter: quote_threshold >= 10")
        # A rule hiding every count under a thousand publishes nothing a hub could use, so a
        # bigger number is a mistake; the cap also bounds the attacker solver's work on receipt.
        if max(self.k, self.rounding_base, self.breakdown_threshold, self.quote_threshold) > (
            MAX_RULE_NUMBER
        ):
            raise ValueError(f"rule numbers above {MAX_RULE_NUMBER} are refused as mistakes")

    @property
    def small_breakdown(self) -> int:
        """Breakdown cells below this are suppressed (the count rule's k applies there too)."""
        return max(self.k, self.breakdown_threshold)

    def round(self, count: int) -> int:
        """Round to the nearest multiple of the base, halves up (8 -> 10, 12 -> 10, 13 -> 15)."""
        base = self.rounding_base
        return ((count + base // 2) // base) * base

    def as_json(self) -> dict[str, Any]:
        """The body's `disclosure` block; protect() fills mechanism, epsilon and budget."""
        return {
            "rule_set": self.name,
            "unit": "person",
            "k": self.k,
            "rounding_base": self.rounding_base,
            "breakdown_threshold": self.breakdown_threshold,
            "contribution_cap": self.contribution_cap,
            "quote_threshold": self.quote_threshold,
            "mechanism": "none",
            "epsilon": None,
            "budget": None,
        }


DEFAULT_K = 8
DEFAULT_BASE = 5
DEFAULT_BREAKDOWN_THRESHOLD = 10
DEFAULT_CONTRIBUTION_CAP = 3
DEFAULT_QUOTE_THRESHOLD = 10
MAX_RULE_NUMBER = 1000
DEFAULT_RULE = DisclosureRule()


@dataclass(frozen=True)
class Cell:
    """A published count: a value, or suppressed (value None)."""

    value: int | None
    suppressed: bool = False

    def as_json(self) -> dict[str, Any]:
        return {"value": self.value, "suppressed": self.suppressed}

    @property
    def bounds(self) -> tuple[int, int]:
        """The range of true counts a suppressed cell may hide (1 to k-1 under the default rule).

        A published cell is taken at its value: rounding error is not counted
        here (a rounded 10 may be any true count from 8 to 12).
        """
        if self.suppressed:
            return (1, DEFAULT_K - 1)
        assert self.value is not None
        return (self.value, self.value)


def percentage(numerator: Mapping[str, Any], denominator: Mapping[str, Any]) -> Decimal | None:
    """A share as a percentage (one decimal place) of two PUBLISHED cells, or None.

    Only ever from published, rounded values (never true counts), and none
    where the numerator or denominator is suppressed or the denominator is 0:
    a percentage of a suppressed count would undo the suppression.
    """
    top, bottom = numerator.get("value"), denominator.get("value")
    if numerator.get("suppressed") or denominator.get("suppressed"):
        return None
    if not isinstance(top, int) or not isinstance(bottom, int) or bottom <= 0:
        return None
    return (Decimal(100) * top / bottom).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def protect_count(count: int, rule: DisclosureRule = DEFAULT_RULE) -> Cell:
    """Apply the rule to a true count of distinct people."""
    if count < 0:
        raise ValueError(f"a count of people cannot be negative ({count})")
    if count == 0:
        return Cell(0)
    if count < rule.k:
        return Cell(None, suppressed=True)
    return Cell(rule.round(count))


def iter_cells(value: Any, path: str = "body") -> Iterator[tuple[str, Mapping[str, Any]]]:
    """Every cell (`{"value": …, "suppressed": …}`) in a JSON body, with its path.

    Paths name rows by theme code and breakdown cells by scope and category:
    `body.themes[gp-access].people`, `body.breakdowns[gp-access].age_band[25-34]`.
    """
    if isinstance(value, Mapping):
        if set(value) == {"value", "suppressed"}:
            yield path, value
            return
        if set(value) == {"cells"} and isinstance(value["cells"], Mapping):
            for key in sorted(value["cells"]):
                yield from iter_cells(value["cells"][key], f"{path}[{key}]")
            return
        for key in sorted(value):
            child = f"{path}[{key}]" if path == "body.breakdowns" else f"{path}.{key}"
            yield from iter_cells(value[key], child)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            label = item.get("code", index) if isinstance(item, Mapping) else index
            yield from iter_cells(item, f"{path}[{label}]")


def declared_rule(body: Mapping[str, Any]) -> DisclosureRule:
    """The rule a body declares; DisclosureViolation if it is missing or looser than the default."""
    declared = body.get("disclosure")
    if not isinstance(declared, Mapping):
        raise DisclosureViolation("the body declares no disclosure rule", field="body.disclosure")
    try:
        numbers = {name: declared.get(name, 0) for name in _NUMBERS}
        for name, number in numbers.items():
            if not isinstance(number, int) or isinstance(number, bool):
                raise TypeError(f"{name} must be a whole number")
        return DisclosureRule(name=str(declared.get("rule_set", "")), **numbers)
    except (ValueError, TypeError) as exc:
        raise DisclosureViolation(
            f"declared disclosure rule is looser than hubnet's minimum: {exc}",
            field="body.disclosure",
        ) from exc


_NUMBERS = ("k", "rounding_base", "breakdown_threshold", "contribution_cap", "quote_threshold")


def check_cell_values(body: Mapping[str, Any], rule: DisclosureRule) -> None:
    """Invariants 1 and 2 on every cell: no 1..k-1 (1..threshold-1 in a breakdown), on the grid.

    Also refuses a suppressed cell that still carries a value, a value that
    is not marked suppressed yet missing, and negative counts. Raises
    DisclosureViolation naming the first bad cell.
    """
    for path, cell in iter_cells(body):
        value, suppressed = cell["value"], cell["suppressed"]
        if not isinstance(suppressed, bool) or not (
            value is None or (isinstance(value, int) and not isinstance(value, bool))
        ):
            raise DisclosureViolation(
                f"{path} must be a whole number (or null) with suppressed true or false",
                field=path,
            )
        if suppressed:
            if value is not None:
                raise DisclosureViolation(
                    f"{path} is suppressed but carries value {value}", field=path
                )
            continue
        if value is None:
            raise DisclosureViolation(
                f"{path} has no value but is not marked suppressed", field=path
            )
        if value < 0:
            raise DisclosureViolation(f"{path} publishes a negative count {value}", field=path)
        if 0 < value < rule.k:
            raise DisclosureViolation(
                f"{path} publishes {value}: counts 1–{rule.k - 1} must be suppressed", field=path
            )
        if path.startswith("body.breakdowns[") and 0 < value < rule.small_breakdown:
            raise DisclosureViolation(
                f"{path} publishes {value}: breakdown cells of 1–{rule.small_breakdown - 1} "
                "must be suppressed",
                field=path,
            )
        if value % rule.rounding_base:
            raise DisclosureViolation(
                f"{path} publishes {value}, not a multiple of {rule.rounding_base}", field=path
            )
