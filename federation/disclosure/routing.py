"""Routing statistics in a release: where a hub's items went and how organisations answered.

The `routing` block of `summary/1` (DESIGN.md §6, docs/protocol.md). It counts
*items* and organisations' answers, not people, but its counts still go
through the count rule (`protect_count`: 0 stays 0, 1..k-1 suppressed, the
rest rounded), because an item routed to a GP practice was raised by someone.

The figures are a snapshot at the end of the release's period over the items
routed in the year up to it (`window`: the 365 days ending on the period's
last day), as on the hub's own `/organisations` page:

- `national`: items triaged as national candidates in the window.
- per organisation type (every type, in `ORGANISATION_TYPES` order):
  `routed`, `responded` (answered, closing with a reason included), `late`
  (unanswered past the deadline), `changes` (responses that planned or made
  a change); `response_rate` = responded ÷ (responded + late) from the
  *published* cells, two places, null when either is suppressed or both are
  0; `median_working_days` from routing to response (one place), published
  only when the responded cell is published and at least k (a median of
  fewer answers would describe a handful of cases).

With differential privacy on, these counts are not noised (the method says
`sdc-count`): the ε covers the tables of people (participation, themes,
breakdowns); docs/privacy.md says so. `check_block` is the aggregator's
re-check of the derived figures.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from types import MappingProxyType
from typing import Any

from federation.disclosure.rules import DisclosureRule, protect_count
from federation.errors import DisclosureViolation

ORGANISATION_TYPES = (
    "council-department",
    "icb",
    "nhs-trust",
    "gp-practice",
    "healthwatch",
    "other",
)
COUNTS = ("routed", "responded", "late", "changes")
WINDOW_DAYS = 365
METHOD = "sdc-count"


def window(period_end: date) -> tuple[date, date]:
    """The 365 days ending on the period's last day, both ends included."""
    return period_end - timedelta(days=WINDOW_DAYS - 1), period_end


@dataclass(frozen=True)
class TypeCounts:
    """True figures for one organisation type (items, not people)."""

    routed: int = 0
    responded: int = 0
    late: int = 0
    changes: int = 0
    median_working_days: float | None = None


@dataclass(frozen=True)
class RoutingCounts:
    """True routing figures for a release's window; a missing type means none routed."""

    start: date
    end: date
    national: int = 0
    by_type: Mapping[str, TypeCounts] = field(default_factory=lambda: MappingProxyType({}))

    def __post_init__(self) -> None:
        unknown = sorted(set(self.by_type) - set(ORGANISATION_TYPES))
        if unknown:
            raise ValueError(f"unknown organisation types {unknown}")
        for kind, counts in self.by_type.items():
            numbers = [getattr(counts, name) for name in COUNTS]
            if any(not isinstance(n, int) or n < 0 for n in numbers):
                raise ValueError(f"{kind}: counts must be whole numbers >= 0, got {numbers}")
            if counts.responded + counts.late > counts.routed or counts.changes > counts.responded:
                raise ValueError(f"{kind}: the counts do not add up: {counts}")
        if self.national < 0:
            raise ValueError("national must be >= 0")


def response_rate(responded: Mapping[str, Any], late: Mapping[str, Any]) -> str | None:
    """responded ÷ (responded + late) from two published cells, or None."""
    if responded["suppressed"] or late["suppressed"]:
        return None
    due = responded["value"] + late["value"]
    return None if due == 0 else f"{responded['value'] / due:.2f}"


def routing_block(counts: RoutingCounts, rule: DisclosureRule, cell: Any = None) -> dict[str, Any]:
    """The block for these true figures. `cell(path, true)` makes each count cell (the
    engine passes one that records its decision for the preview); default: the count rule."""

    def default(_path: str, true: int) -> dict[str, Any]:
        return protect_count(true, rule).as_json()

    make = cell or default
    rows: dict[str, Any] = {}
    for kind in ORGANISATION_TYPES:
        true = counts.by_type.get(kind, TypeCounts())
        row: dict[str, Any] = {
            name: make(f"routing.by_organisation_type.{kind}.{name}", getattr(true, name))
            for name in COUNTS
        }
        row["response_rate"] = response_rate(row["responded"], row["late"])
        shown = not row["responded"]["suppressed"] and true.responded >= rule.k
        median = true.median_working_days if shown else None
        row["median_working_days"] = None if median is None else f"{median:.1f}"
        rows[kind] = row
    return {
        "window": {"start": counts.start.isoformat(), "end": counts.end.isoformat()},
        "national": make("routing.national", counts.national),
        "by_organisation_type": rows,
    }


def check_block(body: Mapping[str, Any], period_end: str | None = None) -> None:
    """DisclosureViolation unless the derived figures follow from the block's own cells.

    The cells themselves are checked with every other cell (k, rounding).
    """
    block = body.get("routing")
    if block is None:
        return
    where = "body.routing"
    start, end = block["window"]["start"], block["window"]["end"]
    if (date.fromisoformat(end) - date.fromisoformat(start)).days != WINDOW_DAYS - 1:
        raise DisclosureViolation(
            f"the routing window must be {WINDOW_DAYS} days", field=f"{where}.window"
        )
    if period_end is not None and end != period_end:
        raise DisclosureViolation(
            f"the routing window must end on the period's last day ({period_end})",
            field=f"{where}.window.end",
        )
    k = body["disclosure"]["k"]
    for kind, row in block["by_organisation_type"].items():
        path = f"{where}.by_organisation_type.{kind}"
        if row["response_rate"] != response_rate(row["responded"], row["late"]):
            raise DisclosureViolation(
                "response_rate must be responded ÷ (responded + late) from the published cells",
                field=f"{path}.response_rate",
            )
        responded = row["responded"]
        if row["median_working_days"] is not None and (
            responded["suppressed"] or responded["value"] < k
        ):
            raise DisclosureViolation(
                f"a median of fewer than {k} responses must not be published",
                field=f"{path}.median_working_days",
            )
