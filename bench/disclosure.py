"""What does the disclosure-control engine cost on a big hub, next to the SQL aggregates?

Builds a hub database with 1,000,000 contributions and 1,000,000 "me too"
supports by 333,333 people (bench/summary.py's loader, which gives
most people "about you" answers), then, for one month and for the whole year, times:

- the SQL aggregates alone: `count_raw`, every COUNT(DISTINCT …) the release
  needs, including all five one-way breakdowns for the hub and for each of the
  26 national themes;
- the engine alone: `protect` on those counts (suppression, rounding,
  breakdown thresholds, complementary suppression checked by the attacker's
  solver, the schema and invariant checks), without and with differential
  privacy (OpenDP's geometric mechanism on every cell);
- and the ratio (SQL + engine) / SQL: what disclosure control adds to the
  queries a release needs anyway.

Usage: python bench/disclosure.py [--rows 1000000] [--database-url URL] [--repeat 3]
       [--year-repeat 1]
(default: a SQLite file in a temporary folder; pass a PostgreSQL URL to an
empty database to measure PostgreSQL).
"""

from __future__ import annotations

import sys
import time
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from summary import MONTH, YEAR, arguments, best_of, loaded_hub  # bench/summary.py's loader

from federation.disclosure import DEFAULT_RULE, DisclosureRule
from federation.disclosure.dp import PrivacySpec, cell_count, sensitivity
from federation.disclosure.engine import protect
from federation.disclosure.ledger import budget_block, new_entry
from federation.disclosure.solver import hidden_cells
from hub.summary.services import count_raw


def private_spec(rule: DisclosureRule) -> PrivacySpec:
    """ε = 1 per release, three themes per person, with a one-entry budget ledger."""
    spec = PrivacySpec(epsilon=Decimal("1"), max_themes_per_person=3)
    bound = sensitivity(rule, spec)
    entry = new_entry(
        None,
        created="2026-01-01T00:00:00Z",
        year=2026,
        release="2025-01-01/2025-12-31",
        epsilon=spec.epsilon,
        mechanism="geometric",
        sensitivity=bound,
        cells=cell_count(),
    )
    return replace(spec, budget=budget_block([entry], 2026, Decimal("12"), bound))


def main() -> None:
    args = arguments(__doc__, year_repeat=True)
    rule = DEFAULT_RULE
    private = private_spec(rule)
    with loaded_hub(args.rows, args.database_url) as session:
        print(
            f"\n{'period':<22} {'SQL aggregates':>15} {'engine':>9} {'engine+DP':>10} "
            f"{'(SQL+engine)/SQL':>17}"
        )
        for label, period, repeat in [
            ("one month (2025-06)", MONTH, args.repeat),
            ("whole year (2025)", YEAR, args.year_repeat),
        ]:
            sql = best_of(repeat, lambda p=period: count_raw(session, p, rule))
            raw = count_raw(session, period, rule)
            engine_only = best_of(args.repeat, lambda r=raw: protect(r, rule))
            started = time.perf_counter()
            dp_raw = count_raw(session, period, rule, max_themes_per_person=3)
            dp_sql = time.perf_counter() - started
            with_dp = best_of(args.repeat, lambda r=dp_raw: protect(r, rule, privacy=private))
            print(
                f"{label:<22} {sql:>13.3f} s {engine_only:>7.3f} s {with_dp:>8.3f} s "
                f"{(sql + engine_only) / sql:>16.4f}x"
            )
            release = protect(raw, rule)
            suppressed = sum(1 for d in release.decisions if d.suppressed)
            hidden = hidden_cells(release.body)
            print(
                f"{'':<22} {len(release.decisions):,} decisions, {suppressed:,} suppressed, "
                f"{len(hidden):,} hidden breakdown cells checked by the solver; "
                f"the SQL with the DP theme cap took {dp_sql:.3f} s"
            )
    print(
        f"\n(best of {args.repeat} runs, {args.year_repeat} for the year's SQL; the ratio is "
        "what the engine adds to the SQL a release needs anyway)"
    )


if __name__ == "__main__":
    main()
