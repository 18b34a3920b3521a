"""Disclosure control: what numbers may leave a hub (DESIGN.md §5).

This package is where the full engine will live (breakdowns, complementary
suppression, differential privacy, the budget ledger). Today it holds the
first rule: the unit is a distinct person, counts 1–7 are suppressed, 0 stays
0, every other count is rounded to the nearest 5. `protect_count` applies it
on the hub; `check_cells` re-checks a received summary on the aggregator.
"""

from federation.disclosure.rules import (
    DEFAULT_RULE,
    Cell,
    DisclosureRule,
    check_cells,
    protect_count,
)

__all__ = ["DEFAULT_RULE", "Cell", "DisclosureRule", "check_cells", "protect_count"]
