"""National priorities for one period, computed with SQL aggregates over the theme cells.

For each hub the latest accepted summary whose period is exactly the one
asked for counts; earlier re-sends of that period are superseded. Totals are
built from the published (rounded) cells, so the aggregator never needs, and
never sees, a raw count.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import Select, and_, case, func, select
from sqlalchemy.orm import Session

from federation.periods import Period
from federation.taxonomy import CURRENT_VERSION, load_taxonomy
from national_aggregator.ingest.models import Submission, SummaryTheme
from national_aggregator.registry.models import Hub

RANKING = (
    "Themes ranked by total people: the sum of each reporting hub's published count of "
    "distinct people (rounded to 5; suppressed cells count 0), ties by theme code. lower and "
    "upper add 1 to k-1 people (1 to 7 under the default rule) for each suppressed cell; "
    "rate_per_100k is the total per 100,000 residents of the hubs reporting; top5_hubs counts "
    "the hubs where the theme is in their own top 5. contributions is the sum of the published "
    "(rounded, per-person capped) counts of items raised; suppressed cells count 0."
)
TOP = 5


@dataclass(frozen=True)
class Priority:
    rank: int
    code: str
    name: str
    total: int
    lower: int
    upper: int
    hubs_reporting: int
    hubs_suppressed: int
    rate_per_100k: Decimal
    top5_hubs: int
    contributions: int  # items raised, from the published cells (suppressed and absent count 0)


@dataclass(frozen=True)
class NationalPriorities:
    period: Period | None  # None until any hub has sent a summary
    taxonomy: str
    hubs_reporting: list[Hub]
    hubs_missing: list[Hub]
    priorities: list[Priority]


def latest_period(session: Session) -> Period | None:
    """The period of the most recent summary any hub has sent (latest end, then shortest)."""
    row = session.execute(
        select(Submission.period_start, Submission.period_end)
        .where(Submission.kind == "summary")
        .order_by(Submission.period_end.desc(), Submission.period_start.desc())
        .limit(1)
    ).first()
    return None if row is None else Period(row.period_start, row.period_end)


def reported_periods(session: Session) -> list[Period]:
    """Every period any hub has sent a summary for, newest first."""
    rows = session.execute(
        select(Submission.period_start, Submission.period_end)
        .where(Submission.kind == "summary")
        .distinct()
        .order_by(Submission.period_end.desc(), Submission.period_start.desc())
    ).all()
    return [Period(row.period_start, row.period_end) for row in rows]


def _chosen_submissions(period: Period) -> Select[tuple[str]]:
    """Each hub's latest accepted summary for exactly `period`."""
    latest = (
        select(Submission.hub_gss, func.max(Submission.seq).label("seq"))
        .where(
            Submission.kind == "summary",
            Submission.period_start == period.start,
            Submission.period_end == period.end,
        )
        .group_by(Submission.hub_gss)
        .subquery()
    )
    return select(Submission.submission_id).join(
        latest, and_(Submission.hub_gss == latest.c.hub_gss, Submission.seq == latest.c.seq)
    )


def national_priorities(session: Session, period: Period | None) -> NationalPriorities:
    """Rank the national themes for `period` (None: the latest period any hub has sent)."""
    period = period or latest_period(session)
    expected = list(session.scalars(select(Hub).where(Hub.revoked_at.is_(None)).order_by(Hub.name)))
    if period is None:
        return NationalPriorities(None, CURRENT_VERSION, [], expected, [])
    chosen = _chosen_submissions(period)
    reporting = list(
        session.scalars(
            select(Hub)
            .join(Submission, Submission.hub_gss == Hub.gss)
            .where(Submission.submission_id.in_(chosen))
            .order_by(Hub.name)
        )
    )
    missing = [hub for hub in expected if hub not in reporting]
    population = sum(hub.population for hub in reporting)
    return NationalPriorities(
        period, CURRENT_VERSION, reporting, missing, _ranked(session, chosen, population)
    )


def _ranked(session: Session, chosen: Select[tuple[str]], population: int) -> list[Priority]:
    suppressed = SummaryTheme.people_suppressed
    totals = session.execute(
        select(
            SummaryTheme.theme_code,
            func.count().label("hubs_reporting"),
            func.coalesce(func.sum(SummaryTheme.people_value), 0).label("total"),
            func.sum(case((suppressed, 1), else_=0)).label("hubs_suppressed"),
            func.sum(case((suppressed, Submission.disclosure_k - 1), else_=0)).label("hidden_max"),
            func.coalesce(func.sum(SummaryTheme.contributions_value), 0).label("contributions"),
        )
        .join(Submission, Submission.submission_id == SummaryTheme.submission_id)
        .where(SummaryTheme.submission_id.in_(chosen))
        .group_by(SummaryTheme.theme_code)
    ).all()
    top5 = _top5_counts(session, chosen)
    taxonomy = load_taxonomy(CURRENT_VERSION)
    ordered = sorted(totals, key=lambda row: (-row.total, row.theme_code))
    return [
        Priority(
            rank=rank,
            code=row.theme_code,
            name=taxonomy.name_of(row.theme_code),
            total=row.total,
            lower=row.total + row.hubs_suppressed,
            upper=row.total + row.hidden_max,
            hubs_reporting=row.hubs_reporting,
            hubs_suppressed=row.hubs_suppressed,
            rate_per_100k=_per_100k(row.total, population),
            top5_hubs=top5.get(row.theme_code, 0),
            contributions=row.contributions,
        )
        for rank, row in enumerate(ordered, start=1)
    ]


def _top5_counts(session: Session, chosen: Select[tuple[str]]) -> dict[str, int]:
    """Theme code → hubs with the theme in their own top 5 (zero and suppressed never are)."""
    place = (
        func.row_number()
        .over(
            partition_by=SummaryTheme.submission_id,
            order_by=(SummaryTheme.people_value.desc(), SummaryTheme.theme_code),
        )
        .label("place")
    )
    ranked = (
        select(SummaryTheme.theme_code, place)
        .where(SummaryTheme.submission_id.in_(chosen), SummaryTheme.people_value > 0)
        .subquery()
    )
    rows = session.execute(
        select(ranked.c.theme_code, func.count())
        .where(ranked.c.place <= TOP)
        .group_by(ranked.c.theme_code)
    ).all()
    return {code: count for code, count in rows}


def _per_100k(total: int, population: int) -> Decimal:
    return (Decimal(total) * 100_000 / Decimal(population)).quantize(
        Decimal("0.1"), rounding=ROUND_HALF_UP
    )
