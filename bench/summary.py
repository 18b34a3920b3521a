"""How long does `build_summary` take on a big hub, and what does it cost over raw SQL?

Builds a hub database with 1,000,000 contributions (and as many "me too"
supports) spread over a year, then times:

- `build_summary(session, period)`: the SQL aggregates, the disclosure rule,
  and the schema check, as `hubnet hub push` runs it;
- the same GROUP BY queries written by hand as plain SQL on the same database
  (what the database alone costs);

for one month and for the whole year, and prints both, their ratio, and the
peak Python memory of `build_summary` (tracemalloc) and of the process.

Usage: python bench/summary.py [--rows 1000000] [--database-url URL] [--repeat 3]
(default: a SQLite file in a temporary folder; pass a PostgreSQL URL to an
empty database to measure PostgreSQL).
"""

from __future__ import annotations

import argparse
import random
import resource
import tempfile
import time
import tracemalloc
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import bindparam, insert, select, text
from sqlalchemy.orm import Session

from federation.periods import Period
from hub.db import MIGRATIONS, UTCDateTime
from hub.gather.models import Contribution, Participant, Support
from hub.summary.services import build_summary, period_bounds
from hub.themes.models import LocalTheme
from hubnet.db import make_engine, upgrade_database

YEAR = Period(date(2025, 1, 1), date(2025, 12, 31))
MONTH = Period.month(2025, 6)
KINDS = ("idea", "concern", "question", "experience")
CHUNK = 20_000

RAW_QUERIES = {
    "people overall": "SELECT count(DISTINCT person) FROM acts",
    "people by act": "SELECT act, count(DISTINCT person) FROM acts GROUP BY act",
    "people by theme": "SELECT code, count(DISTINCT person) FROM acts GROUP BY code",
    "people by theme and act": (
        "SELECT code, act, count(DISTINCT person) FROM acts GROUP BY code, act"
    ),
    "raisers by theme and kind": (
        "SELECT code, kind, count(DISTINCT person) FROM acts WHERE act = 'raised' "
        "GROUP BY code, kind"
    ),
}
ACTS = """
WITH acts AS (
  SELECT t.national_code AS code, c.participant_id AS person, 'raised' AS act, c.kind AS kind
  FROM contributions c JOIN local_themes t ON c.theme_id = t.id
  WHERE c.created_at >= :start AND c.created_at < :end
  UNION ALL
  SELECT t.national_code, s.participant_id, 'supported', NULL
  FROM supports s JOIN contributions c ON s.contribution_id = c.id
  JOIN local_themes t ON c.theme_id = t.id
  WHERE s.created_at >= :start AND s.created_at < :end
)
"""


def populate(session: Session, rows: int, seed: int = 7) -> None:
    """`rows` contributions and `rows` supports by `rows // 3` people, over YEAR."""
    rng = random.Random(seed)
    theme_ids = session.scalars(select(LocalTheme.id)).all()
    people = [uuid.UUID(int=rng.getrandbits(128), version=4).hex for _ in range(max(rows // 3, 10))]
    start = datetime.combine(YEAR.start, datetime.min.time(), tzinfo=UTC)
    seconds = int((YEAR.end - YEAR.start + timedelta(days=1)).total_seconds())

    def moment() -> datetime:
        return start + timedelta(seconds=rng.randrange(seconds))

    for offset in range(0, len(people), CHUNK):
        session.execute(
            insert(Participant),
            [{"id": p, "created_at": start} for p in people[offset : offset + CHUNK]],
        )
    for offset in range(0, rows, CHUNK):
        session.execute(
            insert(Contribution),
            [
                {
                    "id": offset + n + 1,
                    "participant_id": rng.choice(people),
                    "kind": rng.choice(KINDS),
                    "title": "Benchmark contribution",
                    "body": "Synthetic text for the summary benchmark.",
                    "theme_id": rng.choice(theme_ids),
                    "created_at": moment(),
                }
                for n in range(min(CHUNK, rows - offset))
            ],
        )
    # supports: distinct (contribution, person) pairs
    seen: set[tuple[int, str]] = set()
    while len(seen) < rows:
        seen.add((rng.randrange(1, rows + 1), rng.choice(people)))
    pairs = sorted(seen)
    for offset in range(0, rows, CHUNK):
        session.execute(
            insert(Support),
            [
                {"contribution_id": cid, "participant_id": pid, "created_at": moment()}
                for cid, pid in pairs[offset : offset + CHUNK]
            ],
        )
    session.commit()


def best_of(repeat: int, work: Callable[[], object]) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return min(times)


def raw_group_bys(session: Session, period: Period) -> None:
    start, end = period_bounds(period)
    for sql in RAW_QUERIES.values():
        query = text(ACTS + sql).bindparams(
            bindparam("start", type_=UTCDateTime), bindparam("end", type_=UTCDateTime)
        )
        session.execute(query, {"start": start, "end": end}).all()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--database-url")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder:
        url = args.database_url or f"sqlite:///{Path(folder) / 'bench-hub.sqlite3'}"
        upgrade_database(url, MIGRATIONS)
        engine = make_engine(url)
        print(
            f"database: {engine.url.render_as_string(hide_password=True)} ({engine.dialect.name})"
        )
        with Session(engine) as session:
            started = time.perf_counter()
            populate(session, args.rows)
            print(
                f"loaded {args.rows:,} contributions and {args.rows:,} supports by "
                f"{max(args.rows // 3, 10):,} people in {time.perf_counter() - started:.1f} s"
            )
            print(f"\n{'period':<24} {'build_summary':>14} {'raw GROUP BYs':>14} {'ratio':>7}")
            for label, period in [("one month (2025-06)", MONTH), ("whole year (2025)", YEAR)]:
                build_summary(session, period)  # warm the database's cache for both
                raw = best_of(args.repeat, lambda p=period: raw_group_bys(session, p))
                full = best_of(args.repeat, lambda p=period: build_summary(session, p))
                print(f"{label:<24} {full:>12.3f} s {raw:>12.3f} s {full / raw:>6.2f}x")
            tracemalloc.start()
            build_summary(session, YEAR)
            _current, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
        engine.dispose()
    print(
        f"\npeak Python memory in build_summary (whole year): {peak / 1024:.0f} KiB (tracemalloc)"
    )
    print(
        "peak resident memory of this process (including loading the data): "
        f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB"
    )
    print(f"(times are the best of {args.repeat} runs)")


if __name__ == "__main__":
    main()
