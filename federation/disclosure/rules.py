"""Small-number suppression and rounding of person counts.

NHS England's HES practice and OpenSAFELY's output rules: a count of 1–7
people is suppressed, 0 stays 0 (an empty cell discloses nothing about a
person), and every other count is rounded to the nearest multiple of 5 (halves
round up: 8 → 10, 12 → 10, 13 → 15). Totals must be built from rounded cells,
never from raw counts. A hub may be stricter (a higher threshold or a larger
rounding base), never looser. Leaves out: breakdowns and complementary
suppression (a later issue builds them here).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from federation.errors import DisclosureViolation


@dataclass(frozen=True)
class DisclosureRule:
    """A published rule set: counts below `k` (but above 0) are suppressed; others rounded."""

    name: str = "hubnet-sdc/1"
    k: int = 8
    rounding_base: int = 5

    def __post_init__(self) -> None:
        if self.k < DEFAULT_K or self.rounding_base < DEFAULT_BASE or self.rounding_base % 5:
            raise ValueError(
                "a hub may only make the rule stricter: k >= 8 and a rounding base that is a "
                "multiple of 5"
            )

    def as_json(self) -> dict[str, Any]:
        return {
            "rule_set": self.name,
            "unit": "person",
            "k": self.k,
            "rounding_base": self.rounding_base,
            "epsilon": None,
        }


DEFAULT_K = 8
DEFAULT_BASE = 5
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


def protect_count(count: int, rule: DisclosureRule = DEFAULT_RULE) -> Cell:
    """Apply the rule to a true count of distinct people."""
    if count < 0:
        raise ValueError(f"a count of people cannot be negative ({count})")
    if count == 0:
        return Cell(0)
    if count < rule.k:
        return Cell(None, suppressed=True)
    base = rule.rounding_base
    return Cell(((count + base // 2) // base) * base)


def iter_cells(value: Any, path: str = "body") -> Iterator[tuple[str, Mapping[str, Any]]]:
    """Every cell (`{"value": …, "suppressed": …}`) in a JSON body, with its path."""
    if isinstance(value, Mapping):
        if set(value) == {"value", "suppressed"}:
            yield path, value
            return
        for key in sorted(value):
            yield from iter_cells(value[key], f"{path}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            label = item.get("code", index) if isinstance(item, Mapping) else index
            yield from iter_cells(item, f"{path}[{label}]")


def check_cells(body: Mapping[str, Any]) -> None:
    """Re-check every cell of a received body against the rule it declares.

    Raises DisclosureViolation naming the first cell that breaks it: a
    published 1..k-1, a value off the rounding grid, a suppressed cell that
    still carries a value, or a declared rule looser than the default.
    """
    declared = body.get("disclosure")
    if not isinstance(declared, Mapping):
        raise DisclosureViolation("the body declares no disclosure rule", field="body.disclosure")
    try:
        rule = DisclosureRule(
            name=str(declared.get("rule_set", "")),
            k=int(declared.get("k", 0)),
            rounding_base=int(declared.get("rounding_base", 0)),
        )
    except (ValueError, TypeError) as exc:
        raise DisclosureViolation(
            f"declared disclosure rule is looser than hubnet's minimum: {exc}",
            field="body.disclosure",
        ) from exc
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
        if value % rule.rounding_base:
            raise DisclosureViolation(
                f"{path} publishes {value}, not a multiple of {rule.rounding_base}", field=path
            )
