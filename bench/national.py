"""How fast are the national priorities over 400 hubs and three years of weekly summaries?

Builds an aggregator database with `--hubs` (400) hubs in the nine English
regions, each sending a summary every week for `--years` (3) years (400 × 52
× 3 = 62,400 summaries, 26 theme rows each), then times `--runs` (50) runs of:

- the priorities page, `GET /priorities?period=&region=`, through the Flask
  test client (the real view: every query, the trend over six periods, both
  SVG charts and the template rendered);
- the priorities API, `GET /api/v1/priorities?period=&region=`, the same way;
- one hand-written SQL query computing the same figures for every theme
  (total, lower and upper bounds, hubs reporting and suppressed, items,
  top-5 breadth, Borda points, and the population for the rate), run through
  the same engine;

after one warm-up of each, interleaved, and prints p50 and p95 of each and the
ratios page / raw SQL and API / raw SQL. It checks the raw SQL's figures are
the API's (so the comparison is like for like) and stops if they are not.

The period is the last calendar year of the data (default: 2025, whose 51 ISO
weeks from 2025-W02 lie inside it; 2025-W01 starts in 2024) and the region the
first one (North East, about 1/9 of the hubs). The priorities add up, per hub,
the latest summary for each period inside the one asked for
(docs/national-team.md §6), so a year is each hub's 51 weeks summed per theme,
then ranked; `--period 2025-W52` measures one week.

The shortcut: hubs are registered through the registry's own
`register_hub` (a logged key event each), but summaries are not posted over
HTTP (62,400 signed envelopes through ingest would take hours and measure
ingest, which bench/ingest.py does). Their rows are written in bulk: each
summary's theme rows come from ingest's own storage function
(`national_aggregator.ingest.services._store_cells`, the code that stores an
accepted summary's cells, fed a real `summary/1` theme list with counts
protected by `federation.disclosure.protect_count`, so suppressed cells and
rounding are what hubs publish), and each `submission` row has the columns
ingest's `_store` sets, except that `envelope` and `receipt` are empty and
summaries are not log leaves: the priorities never read them. Breakdown,
quote, representation and routing tables stay empty (the priorities do not
read them either).

Usage: python bench/national.py [--hubs 400] [--years 3] [--runs 50]
       [--database-url URL] [--keep] [--period 2025] [--region "North East"]
(default: a SQLite file in a temporary folder; pass an empty PostgreSQL
database's URL to measure PostgreSQL. Without --keep the SQLite folder is
deleted, or every table of the PostgreSQL database dropped, at the end.)
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import shutil
import statistics
import tempfile
import time
import uuid
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from urllib.parse import urlencode

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import MetaData, insert, text
from sqlalchemy.engine import Engine

from federation.disclosure import DEFAULT_RULE, protect_count
from federation.keys import generate_key_pair, key_id
from federation.periods import Period
from federation.statement import KINDS
from federation.taxonomy import load_taxonomy
from hubnet.db import make_engine, upgrade_database
from national_aggregator import create_app
from national_aggregator.db import MIGRATIONS
from national_aggregator.ingest.models import Submission
from national_aggregator.ingest.services import _store_cells
from national_aggregator.priorities.schemas import parse_period, period_name

REGIONS = (
    "North East",
    "North West",
    "Yorkshire and The Humber",
    "East Midlands",
    "West Midlands",
    "East of England",
    "London",
    "South East",
    "South West",
)
FIRST_GSS = 6_000_001  # E06000001 onwards
LAST_YEAR = 2025  # the weekly data ends in this year's last ISO week (2023-2025 have 52)
WEEKS_PER_YEAR = 52
AUDIENCE = "hubnet-bench-national"

# The hand-written query, under the priorities' rules for a period made of several summaries:
# per hub and distinct period inside the one asked for (in the region), the latest summary,
# less any whose period lies inside another of the hub's summaries there; each hub's cells
# summed per theme; each hub's own ranking of its sums (Borda and top 5); one row per theme.
RAW_SQL = """
WITH latest AS (
    SELECT s.hub_gss, s.period_start, s.period_end, max(s.seq) AS seq
    FROM submission s JOIN hub h ON h.gss = s.hub_gss
    WHERE s.kind = 'summary' AND s.period_start >= :start AND s.period_end <= :end
      AND h.region = :region
    GROUP BY s.hub_gss, s.period_start, s.period_end
), chosen AS (
    SELECT s.submission_id, s.hub_gss, s.disclosure_k
    FROM submission s
    JOIN latest l ON l.hub_gss = s.hub_gss AND l.seq = s.seq
    WHERE NOT EXISTS (
        SELECT 1 FROM submission w
        WHERE w.hub_gss = l.hub_gss AND w.kind = 'summary'
          AND w.period_start >= :start AND w.period_end <= :end
          AND w.period_start <= l.period_start AND w.period_end >= l.period_end
          AND (w.period_start < l.period_start OR w.period_end > l.period_end)
    )
), sums AS (
    SELECT c.hub_gss, t.theme_code,
           coalesce(sum(t.people_value), 0) AS people,
           sum(CASE WHEN t.people_suppressed THEN 1 ELSE 0 END) AS hidden,
           sum(CASE WHEN t.people_suppressed THEN c.disclosure_k - 1 ELSE 0 END) AS hidden_max,
           coalesce(sum(t.contributions_value), 0) AS contributions
    FROM summary_theme t JOIN chosen c ON c.submission_id = t.submission_id
    GROUP BY c.hub_gss, t.theme_code
), placed AS (
    SELECT sums.*,
           rank() OVER (PARTITION BY hub_gss ORDER BY people + hidden DESC) AS place,
           count(*) OVER (PARTITION BY hub_gss, people + hidden) AS tied,
           count(*) OVER (PARTITION BY hub_gss) AS ballot,
           row_number() OVER (
               PARTITION BY hub_gss, CASE WHEN people > 0 THEN 1 ELSE 0 END
               ORDER BY people DESC, theme_code
           ) AS top_place
    FROM sums
)
SELECT theme_code,
       count(*) AS hubs_reporting,
       sum(people) AS total,
       sum(CASE WHEN hidden > 0 THEN 1 ELSE 0 END) AS hubs_suppressed,
       sum(hidden) AS hidden,
       sum(hidden_max) AS hidden_max,
       sum(contributions) AS contributions,
       sum(CASE WHEN people > 0 AND top_place <= 5 THEN 1 ELSE 0 END) AS top5_hubs,
       sum(2 * ballot - 2 * place - tied + 1) AS borda_doubled,
       (SELECT sum(h.population) FROM hub h
        WHERE h.gss IN (SELECT hub_gss FROM chosen)) AS population,
       (SELECT count(*) FROM chosen) AS summaries
FROM placed
GROUP BY theme_code
ORDER BY total DESC, theme_code
"""


class _Collected:
    """Stands in for the session `_store_cells` writes to: keeps each table's rows."""

    def __init__(self) -> None:
        self.rows: dict[Any, list[dict[str, Any]]] = defaultdict(list)

    def execute(self, statement: Any, rows: list[dict[str, Any]]) -> None:
        self.rows[statement.table].extend(rows)


def themes_body(rng: random.Random, weights: dict[str, float], size: float) -> dict[str, Any]:
    """A `summary/1` body's themes (what `_store_cells` reads): protected counts of people."""
    zero = {"value": 0, "suppressed": False}
    themes = []
    for code, weight in weights.items():
        true = int(rng.expovariate(1 / (size * weight))) if weight else 0
        people = protect_count(true, DEFAULT_RULE).as_json()
        contributions = protect_count(true + true // 2, DEFAULT_RULE).as_json()
        themes.append(
            {
                "code": code,
                "people": people,
                "contributors": people,
                "supporters": dict(zero),
                "contributions": contributions,
                "by_kind": {kind: dict(zero) for kind in KINDS},
            }
        )
    return {"themes": themes, "breakdowns": {}, "quotes": []}


def build(database_url: str, instance: Path, hub_count: int, years: int) -> dict[str, Any]:
    """Register the hubs and write every weekly summary; figures about the build."""
    from hubnet.db import get_session
    from national_aggregator.db import utcnow
    from national_aggregator.log import log_signer
    from national_aggregator.registry.schemas import NewHub
    from national_aggregator.registry.services import register_hub

    rng = random.Random(7)
    started = time.perf_counter()
    app = _app(database_url, instance)
    hubs = []
    with app.app_context():
        session = get_session()
        for number in range(hub_count):
            gss = f"E{FIRST_GSS + number:08d}"
            key = Ed25519PrivateKey.generate()
            new = NewHub(
                gss=gss,
                name=f"Bench hub {number:03d}",
                region=REGIONS[number % len(REGIONS)],
                population=rng.randrange(80_000, 1_200_000),
            )
            register_hub(session, new, key.public_key(), utcnow(), signer=log_signer())
            hubs.append((new, key_id(key.public_key())))
            if number % 50 == 49:
                session.commit()
        session.commit()
    app.extensions["hubnet.engine"].dispose()
    registered = time.perf_counter() - started

    codes = load_taxonomy().codes
    first = date.fromisocalendar(LAST_YEAR - years + 1, 1, 1)
    weeks = [Period(first + timedelta(weeks=n), first + timedelta(weeks=n, days=6))
             for n in range(WEEKS_PER_YEAR * years)]  # fmt: skip
    # Each hub has its own taste in themes and a size, so its ranking is its own.
    profiles = [
        ({code: rng.random() ** 3 for code in codes}, new.population / 40_000) for new, _ in hubs
    ]
    engine = make_engine(database_url)
    summaries = theme_rows = 0
    with engine.begin() as connection:
        if engine.dialect.name == "sqlite":
            connection.execute(text("PRAGMA synchronous = OFF"))
    for seq, week in enumerate(weeks, start=1):
        submissions, collected = [], _Collected()
        created = datetime.combine(week.end + timedelta(days=1), datetime.min.time(), UTC)
        for (new, keyid), (weights, size) in zip(hubs, profiles, strict=True):
            submission_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
            submissions.append(
                {
                    "submission_id": submission_id,
                    "hub_gss": new.gss,
                    "seq": seq,
                    "keyid": keyid,
                    "kind": "summary",
                    "schema": "summary/1",
                    "period_start": week.start,
                    "period_end": week.end,
                    "created": created,
                    "received_at": created + timedelta(minutes=5),
                    "disclosure_k": DEFAULT_RULE.k,
                    "mechanism": "none",
                    "epsilon": None,
                    "payload_sha256": hashlib.sha256(submission_id.encode()).hexdigest(),
                    "envelope": b"",
                    "receipt": b"",
                }
            )
            statement = SimpleNamespace(
                body=themes_body(rng, weights, size),
                submission_id=submission_id,
                hub_id=new.gss,
                period=week,
            )
            _store_cells(collected, statement)  # type: ignore[arg-type]
        with engine.begin() as connection:
            connection.execute(insert(Submission), submissions)
            for table, rows in collected.rows.items():
                connection.execute(insert(table), rows)
                theme_rows += len(rows)
        summaries += len(submissions)
        if seq % WEEKS_PER_YEAR == 0:
            print(f"  {summaries:,} summaries written ({time.perf_counter() - started:.0f} s)")
    if engine.dialect.name == "postgresql":
        with engine.begin() as connection:  # what autovacuum would have done by now
            connection.execute(text("ANALYZE"))
    engine.dispose()
    return {
        "hubs": hub_count,
        "summaries": summaries,
        "theme_rows": theme_rows,
        "register_seconds": registered,
        "seconds": time.perf_counter() - started,
        "last_week": weeks[-1],
    }


def _app(database_url: str, instance: Path) -> Any:
    return create_app(
        {
            "TESTING": True,
            "INSTANCE_PATH": str(instance),
            "DATABASE_URL": database_url,
            "AGGREGATOR_ID": AUDIENCE,
            "SECRET_KEY": "bench",
        }
    )


def raw_figures(engine: Engine, period: Period, region: str) -> list[Any]:
    with engine.connect() as connection:
        return list(
            connection.execute(
                text(RAW_SQL), {"start": period.start, "end": period.end, "region": region}
            ).all()
        )


def check_agreement(rows: list[Any], api: dict[str, Any]) -> None:
    """Stop unless the raw SQL gives the API's figures for every theme."""
    by_code = {row["code"]: row for row in api["priorities"]}
    if len(rows) != len(by_code):
        raise SystemExit(f"raw SQL has {len(rows)} themes, the API {len(by_code)}")
    used = sum(hub["periods_used"] for hub in api["hubs_coverage"])
    if rows and rows[0].summaries != used:
        raise SystemExit(f"raw SQL adds up {rows[0].summaries} summaries, the API {used}")
    for rank, row in enumerate(rows, start=1):
        theirs = by_code[row.theme_code]
        rate = (Decimal(row.total) * 100_000 / Decimal(row.population)).quantize(
            Decimal("0.1"), rounding=ROUND_HALF_UP
        )
        mine = {
            "rank": rank,
            "total": row.total,
            "lower": row.total + row.hidden,
            "upper": row.total + row.hidden_max,
            "hubs_reporting": row.hubs_reporting,
            "hubs_suppressed": int(row.hubs_suppressed),
            "contributions": row.contributions,
            "top5_hubs": row.top5_hubs,
            "borda_points": str((Decimal(row.borda_doubled) / 2).quantize(Decimal("0.1"))),
            "rate_per_100k": str(rate),
        }
        differ = {key: (value, theirs[key]) for key, value in mine.items() if theirs[key] != value}
        if differ:
            raise SystemExit(f"raw SQL and the API differ on {row.theme_code}: {differ}")


def _percentile(values: list[float], percent: int) -> float:
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[percent - 1]


def measure(
    database_url: str, instance: Path, period: Period, region: str, runs: int
) -> dict[str, list[float]]:
    """Seconds per run of the page, the API and the raw SQL, interleaved, after a warm-up."""
    app = _app(database_url, instance)
    client = app.test_client()
    query = urlencode({"period": period_name(period), "region": region})
    engine = app.extensions["hubnet.engine"]

    def page() -> None:
        response = client.get(f"/priorities?{query}")
        if response.status_code != 200:
            raise SystemExit(f"/priorities answered {response.status_code}")

    def api() -> None:
        response = client.get(f"/api/v1/priorities?{query}")
        if response.status_code != 200:
            raise SystemExit(f"/api/v1/priorities answered {response.status_code}")

    def raw() -> None:
        raw_figures(engine, period, region)

    document = client.get(f"/api/v1/priorities?{query}").get_json()
    if not document["hubs_reporting"]:
        raise SystemExit(f"no hub reported {period.label} in {region}: nothing to measure")
    check_agreement(raw_figures(engine, period, region), document)
    timed: dict[str, Callable[[], None]] = {"page": page, "api": api, "raw": raw}
    seconds: dict[str, list[float]] = {name: [] for name in timed}
    for run in range(runs + 1):
        for name, call in timed.items():
            started = time.perf_counter()
            call()
            if run:  # run 0 warms the caches
                seconds[name].append(time.perf_counter() - started)
    seconds["hubs"] = [float(len(document["hubs_reporting"]))]
    seconds["summaries"] = [float(sum(hub["periods_used"] for hub in document["hubs_coverage"]))]
    engine.dispose()
    return seconds


def _drop_everything(database_url: str) -> None:
    engine = make_engine(database_url)
    metadata = MetaData()
    metadata.reflect(engine)
    metadata.drop_all(engine)
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hubs", type=int, default=400)
    parser.add_argument("--years", type=int, default=3)
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--database-url", help="an empty PostgreSQL database (default: SQLite)")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument(
        "--period", help="the period to ask for (default: the last calendar year of the data)"
    )
    parser.add_argument("--region", default=REGIONS[0])
    args = parser.parse_args()
    if args.hubs < 1 or args.years < 1 or args.runs < 1:
        parser.error("--hubs, --years and --runs must be at least 1")
    if args.region not in REGIONS[: args.hubs]:
        parser.error(f"--region must be one the hubs are in: {', '.join(REGIONS[: args.hubs])}")
    folder = Path(tempfile.mkdtemp(prefix="hubnet-bench-national-"))
    instance = folder / "instance"
    generate_key_pair(instance / "log-key.pem", instance / "log-key.pub")
    database_url = args.database_url or f"sqlite:///{folder / 'aggregator.sqlite3'}"
    database = "PostgreSQL" if database_url.startswith("postgresql") else "SQLite"
    print(f"hubnet national priorities benchmark ({database})")
    try:
        upgrade_database(database_url, MIGRATIONS)
        print(
            f"building: {args.hubs} hubs in {min(args.hubs, 9)} regions, "
            f"{args.years} years of weekly summaries"
        )
        built = build(database_url, instance, args.hubs, args.years)
        print(
            f"  built {built['summaries']:,} summaries ({built['theme_rows']:,} theme rows) "
            f"in {built['seconds']:.1f} s (registering the hubs: {built['register_seconds']:.1f} s)"
        )
        if not args.database_url:
            size = (folder / "aggregator.sqlite3").stat().st_size
            print(f"  database file: {size / 1e6:.0f} MB")
        last = built["last_week"].end.year
        period = parse_period(args.period) if args.period else parse_period(str(last))
        seconds = measure(database_url, instance, period, args.region, args.runs)
        hubs = int(seconds.pop("hubs")[0])
        used = int(seconds.pop("summaries")[0])
        print(
            f"\npriorities for {period_name(period)} ({(period.end - period.start).days + 1} "
            f"days; {used:,} weekly summaries added up) in {args.region} "
            f"({hubs} hubs reporting), {args.runs} runs after one warm-up:"
        )
        labels = {
            "page": "priorities page  GET /priorities (HTML)",
            "api": "priorities API   GET /api/v1/priorities",
            "raw": "raw SQL          one aggregate query",
        }
        print(f"  {'':42} {'p50 ms':>9} {'p95 ms':>9}")
        p95 = {}
        for name, label in labels.items():
            p50, p95[name] = (_percentile(seconds[name], p) * 1000 for p in (50, 95))
            print(f"  {label:42} {p50:9.1f} {p95[name]:9.1f}")
        print("  (the raw SQL's figures were checked equal to the API's for every theme)")
        load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
        print(f"  (load average while measuring: {load} on {os.cpu_count()} CPUs)")
        print(f"ratio page / raw SQL (p95): {p95['page'] / p95['raw']:.1f}x")
        print(f"ratio API / raw SQL (p95): {p95['api'] / p95['raw']:.1f}x")
    finally:
        if args.keep:
            print(f"kept: {database_url} (instance {instance})")
        else:
            if args.database_url:
                _drop_everything(args.database_url)
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
