"""Disclosure control: what numbers may leave a hub (DESIGN.md §5).

The hub hands the engine its true counts (`tables.RawCounts`, SQL aggregates
of distinct people) and `engine.protect` returns the `summary/1` body that may
leave, with a decision per cell for the release preview: small counts
suppressed, others rounded, one-way breakdowns with complementary suppression
proved by an exact attacker (`solver`), consented quotes from large themes,
and optionally geometric noise (`dp`). `invariants.check_release` is the
aggregator's re-check on receipt (`check_cells` skips re-validating the schema).
`protect_count` is the single-count rule on its own.
"""

from federation.disclosure.characteristics import CHARACTERISTICS, NOT_STATED
from federation.disclosure.engine import (
    CATALOGUE,
    REASONS,
    CrossTabulationRefused,
    Decision,
    ProtectedRelease,
    TableSpec,
    protect,
    table_spec,
)
from federation.disclosure.invariants import check_cells, check_release
from federation.disclosure.rules import (
    DEFAULT_RULE,
    Cell,
    DisclosureRule,
    percentage,
    protect_count,
)
from federation.disclosure.tables import Quote, RawCounts, ThemeCounts

__all__ = [
    "CATALOGUE",
    "CHARACTERISTICS",
    "DEFAULT_RULE",
    "NOT_STATED",
    "REASONS",
    "Cell",
    "CrossTabulationRefused",
    "Decision",
    "DisclosureRule",
    "ProtectedRelease",
    "Quote",
    "RawCounts",
    "TableSpec",
    "ThemeCounts",
    "check_cells",
    "check_release",
    "percentage",
    "protect",
    "protect_count",
    "table_spec",
]
