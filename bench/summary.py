"""How long do a release's SQL aggregates take on a big hub, and what does the ORM cost?

Builds a hub database with 1,000,000 contributions (and as many "me too"
supports) spread over a year by 333,333 people, most of whom answered the
"about you" questions, then times:

- `count_raw(session, period, rule)`: every aggregate a release needs (distinct
  people per theme, act and kind, capped items per theme, and the five one-way
  breakdowns hub-wide and per theme), as the hub builds them with SQLAlchemy;
- the same aggregates written by hand as plain SQL on the same database
  (what the database alone costs);

for one month and for the whole year, and prints both, their ratio, and the
peak Python memory of `count_raw` (tracemalloc) and of the process.
bench/disclosure.py then times the disclosure engine on top of these counts.

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
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import bindparam, insert, select, text
from sqlalchemy.orm import Session

from federation.disclosure import DEFAULT_RULE
from federation.disclosure.characteristics import CHARACTERISTICS, NOT_STATED
from federation.periods import Period
from hub.db import MIGRATIONS, UTCDateTime
from hub.gather.models import Contribution, Participant, Support
from hub.summary.services import count_raw, period_bounds
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
    "items by theme, capped at 3 a person": (
        "SELECT code, sum(CASE WHEN n > 3 THEN 3 ELSE n END) FROM ("
        "SELECT code, person, count(*) AS n FROM acts WHERE act = 'raised' "
        "GROUP BY code, person) AS items GROUP BY code"
    ),
}
for _characteristic, _characteristic_info in CHARACTERISTICS.items():
    _known = ", ".join(f"'{c}'" for c in _characteristic_info.codes if c != NOT_STATED)
    _answered = (
        f"SELECT a.code, a.person, CASE WHEN p.{_characteristic} IN ({_known}) "
        f"THEN p.{_characteristic} ELSE '{NOT_STATED}' END AS category "
        "FROM (SELECT DISTINCT code, person FROM acts) AS a "
        "JOIN participants p ON p.id = a.person"
    )
    RAW_QUERIES[f"people by {_characteristic}"] = (
        f"SELECT category, count(DISTINCT person) FROM ({_answered}) AS x GROUP BY category"
    )
    RAW_QUERIES[f"people by theme and {_characteristic}"] = (
        f"SELECT code, category, count(DISTINCT person) FROM ({_answered}) AS x "
        "GROUP BY code, category"
    )
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


ANSWERED = 0.8  # share of people who answer each "about you" question


def about_you(rng: random.Random) -> dict[str, str | None]:
    """Random "about you" answers: most answered, a few prefer not to say, the rest blank."""

    def answer(characteristic: str) -> str | None:
        roll = rng.random()
        if roll < ANSWERED:
            codes = CHARACTERISTICS[characteristic].codes
            return rng.choice([code for code in codes if code != NOT_STATED])
        return "prefer-not-to-say" if roll < ANSWERED + 0.05 else None

    return {characteristic: answer(characteristic) for characteristic in CHARACTERISTICS}


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
            [
                {"id": p, "created_at": start, **about_you(rng)}
                for p in people[offset : offset + CHUNK]
            ],
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


def arguments(doc: str, *, year_repeat: bool = False) -> argparse.Namespace:
    """--rows, --database-url and --repeat, as both hub benchmarks take them."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--database-url")
    parser.add_argument("--repeat", type=int, default=3)
    if year_repeat:
        parser.add_argument(
            "--year-repeat", type=int, default=1, help="runs of the whole year's SQL (slow)"
        )
    return parser.parse_args()


@contextmanager
def loaded_hub(rows: int, database_url: str | None) -> Iterator[Session]:
    """A migrated hub database (a temporary SQLite file by default) filled by `populate`."""
    with tempfile.TemporaryDirectory() as folder:
        url = database_url or f"sqlite:///{Path(folder) / 'bench-hub.sqlite3'}"
        upgrade_database(url, MIGRATIONS)
        engine = make_engine(url)
        print(
            f"database: {engine.url.render_as_string(hide_password=True)} ({engine.dialect.name})"
        )
        with Session(engine) as session:
            started = time.perf_counter()
            populate(session, rows)
            print(
                f"loaded {rows:,} contributions and {rows:,} supports by "
                f"{max(rows // 3, 10):,} people (most with 'about you' answers) "
                f"in {time.perf_counter() - started:.1f} s"
            )
            yield session
        engine.dispose()


def main() -> None:
    args = arguments(__doc__)
    with loaded_hub(args.rows, args.database_url) as session:
        print(f"\n{'period':<24} {'count_raw':>14} {'raw GROUP BYs':>14} {'ratio':>7}")
        for label, period in [("one month (2025-06)", MONTH), ("whole year (2025)", YEAR)]:
            count_raw(session, period, DEFAULT_RULE)  # warm the database's cache for both
            raw = best_of(args.repeat, lambda p=period: raw_group_bys(session, p))
            full = best_of(args.repeat, lambda p=period: count_raw(session, p, DEFAULT_RULE))
            print(f"{label:<24} {full:>12.3f} s {raw:>12.3f} s {full / raw:>6.2f}x")
        tracemalloc.start()
        count_raw(session, YEAR, DEFAULT_RULE)
        _current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    print(f"\npeak Python memory in count_raw (whole year): {peak / 1024:.0f} KiB (tracemalloc)")
    print(
        "peak resident memory of this process (including loading the data): "
        f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB"
    )
    print(f"(times are the best of {args.repeat} runs)")


if __name__ == "__main__":
    main()
