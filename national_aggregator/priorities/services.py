"""National priorities for one period and, optionally, one region, computed with SQL aggregates.

For each hub the latest accepted summary whose period is exactly the one
asked for counts; earlier re-sends of that period are superseded. Totals are
built from the published (rounded) cells, so the aggregator never needs, and
never sees, a raw count.

Two rankings are given. `rank` orders themes by total people, so a hub with
many participants moves it most. `borda_rank` combines each reporting hub's
own ranking of the themes with a Borda count, so every hub has the same say
whatever its size (see BORDA). The trend compares each theme with the
previous period of the same length (`previous_period`), counted the same way.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import ColumnElement, Select, and_, case, func, select
from sqlalchemy.orm import Session

from federation.periods import Period
from federation.taxonomy import CURRENT_VERSION, load_taxonomy
from national_aggregator.ingest.models import Submission, SummaryQuote, SummaryTheme
from national_aggregator.registry.models import Hub

RANKING = (
    "Themes ranked by total people: the sum of each reporting hub's published count of "
    "distinct people (rounded to 5; suppressed cells count 0), ties by theme code. lower and "
    "upper add 1 to k-1 people (1 to 7 under the default rule) for each suppressed cell; "
    "rate_per_100k is the total per 100,000 residents of the hubs reporting; top5_hubs counts "
    "the hubs where the theme is in their own top 5. contributions is the sum of the published "
    "(rounded, per-person capped) counts of items raised; suppressed cells count 0."
)
BORDA = (
    "borda_rank combines the hubs' own rankings with a Borda count, so that every reporting "
    "hub has the same say whatever its size. Each hub ranks every theme by its published "
    "count of people; a suppressed cell ranks below every published non-zero count and above "
    "zero (its true count is 1 to k-1, every published non-zero count is at least k). A theme "
    "scores 1 point for each theme it beats in that hub's ranking and half a point for each "
    "theme it ties with, so each hub gives out the same number of points (n(n-1)/2 for n "
    "themes). borda_points is the sum over the reporting hubs; themes with equal points share "
    "a borda_rank (1, 2, 2, 4)."
)
TREND = (
    "The trend compares each theme with the previous period of the same length (the previous "
    "month, quarter or run of whole months; otherwise the same number of days just before), "
    "counted the same way over the hubs that reported then. A theme is new when nobody raised "
    "it then (no hub published a count above 0 or a suppressed count); movement is up, down "
    "or same by rank; change_rank is positive when the theme moved up."
)
TOP = 5
HISTORY = 6  # periods in a trend chart: this one and up to 5 before it
# Where a suppressed cell sorts in a hub's own ranking: above 0, below any published count.
SUPPRESSED_SORT_KEY = 1


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
    borda_points: Decimal = Decimal(0)
    borda_rank: int = 0
    # Against the previous period of the same length; all None when no hub reported then.
    previous_total: int | None = None
    previous_rank: int | None = None
    change_total: int | None = None
    change_rank: int | None = None  # positive: moved up
    movement: str | None = None  # "new", "up", "down", "same"; None: nothing to compare

    @property
    def raised(self) -> bool:
        """Someone raised it: a published count above 0 or a suppressed one."""
        return self.upper > 0


@dataclass(frozen=True)
class NationalPriorities:
    period: Period | None  # None until any hub has sent a summary
    taxonomy: str
    hubs_reporting: list[Hub]
    hubs_missing: list[Hub]
    priorities: list[Priority]
    region: str | None = None  # None: all of England
    previous: Period | None = None
    previous_hubs_reporting: list[Hub] | None = None
    borda_max: int = 0  # the points of a theme first in every reporting hub's ranking

    @property
    def by_borda(self) -> list[Priority]:
        return sorted(self.priorities, key=lambda row: (row.borda_rank, row.code))


@dataclass(frozen=True)
class PeriodTotals:
    """One period's figures for a trend: hubs that reported, and each theme's total and bounds."""

    period: Period
    hubs_reporting: int
    totals: dict[str, tuple[int, int, int]]  # code → (total, lower, upper)


@dataclass(frozen=True)
class HubCell:
    """One hub's published cell for a theme."""

    hub: Hub
    status: str  # "published", "suppressed" or "missing" (no summary for the period)
    people: int | None  # None unless published
    suppressed_max: int | None  # k-1: a suppressed cell hides 1 to this many people
    place: int | None  # the theme's place in the hub's own ranking (ties share a place)
    themes: int | None  # how many themes that ranking has


@dataclass(frozen=True)
class RegionTotal:
    region: str
    total: int
    lower: int
    upper: int
    hubs_reporting: int
    hubs_suppressed: int
    hubs_missing: int
    rate_per_100k: Decimal | None  # None when no hub in the region reported


@dataclass(frozen=True)
class ThemeQuote:
    hub: Hub
    text: str


@dataclass(frozen=True)
class ThemeDetail:
    code: str
    name: str
    national: NationalPriorities  # the whole ranking the theme's row comes from
    priority: Priority | None  # None when no hub reported the period
    hubs: list[HubCell]
    regions: list[RegionTotal]
    history: list[PeriodTotals]  # oldest first
    quotes: list[ThemeQuote]


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


def regions(session: Session) -> list[str]:
    """Every region a registered hub (revoked or not) is in, A to Z."""
    return list(session.scalars(select(Hub.region).distinct().order_by(Hub.region)))


def previous_period(period: Period) -> Period:
    """The period of the same length just before: the previous month, quarter or run of
    whole months; any other range (an ISO week, a fortnight) moves back by its length in days."""
    after = period.end + timedelta(days=1)
    if period.start.day == 1 and after.day == 1:
        months = _month_index(after) - _month_index(period.start)
        return Period(_month_start(_month_index(period.start) - months), period.start - _DAY)
    days = (period.end - period.start).days + 1
    return Period(period.start - timedelta(days=days), period.start - _DAY)


_DAY = timedelta(days=1)


def _month_index(day: date) -> int:
    return day.year * 12 + day.month - 1


def _month_start(index: int) -> date:
    return date(index // 12, index % 12 + 1, 1)


def chosen_submissions(period: Period, region: str | None = None) -> Select[tuple[str]]:
    """Each hub's latest accepted summary for exactly `period` (from hubs in `region`)."""
    conditions = [
        Submission.kind == "summary",
        Submission.period_start == period.start,
        Submission.period_end == period.end,
    ]
    if region is not None:
        conditions.append(Submission.hub_gss.in_(select(Hub.gss).where(Hub.region == region)))
    latest = (
        select(Submission.hub_gss, func.max(Submission.seq).label("seq"))
        .where(*conditions)
        .group_by(Submission.hub_gss)
        .subquery()
    )
    return select(Submission.submission_id).join(
        latest, and_(Submission.hub_gss == latest.c.hub_gss, Submission.seq == latest.c.seq)
    )


_chosen_submissions = chosen_submissions  # the name other features first imported


def _expected_hubs(session: Session, region: str | None) -> list[Hub]:
    """The hubs expected to report: registered, not revoked, in `region` if one is given."""
    query = select(Hub).where(Hub.revoked_at.is_(None)).order_by(Hub.name, Hub.gss)
    if region is not None:
        query = query.where(Hub.region == region)
    return list(session.scalars(query))


def _reporting_hubs(session: Session, chosen: Select[tuple[str]]) -> list[Hub]:
    return list(
        session.scalars(
            select(Hub)
            .join(Submission, Submission.hub_gss == Hub.gss)
            .where(Submission.submission_id.in_(chosen))
            .order_by(Hub.name, Hub.gss)
        )
    )


def national_priorities(
    session: Session, period: Period | None, region: str | None = None
) -> NationalPriorities:
    """Rank the national themes for `period` (None: the latest period any hub has sent),
    over the hubs in `region` (None: all), with the trend against the previous period."""
    period = period or latest_period(session)
    expected = _expected_hubs(session, region)
    if period is None:
        return NationalPriorities(None, CURRENT_VERSION, [], expected, [], region=region)
    reporting, rows = _ranking(session, period, region)
    missing = [hub for hub in expected if hub not in reporting]
    before = previous_period(period)
    reported_before, rows_before = _ranking(session, before, region)
    themes = len(rows)
    return NationalPriorities(
        period,
        CURRENT_VERSION,
        reporting,
        missing,
        _with_trend(rows, rows_before if reported_before else None),
        region=region,
        previous=before,
        previous_hubs_reporting=reported_before,
        borda_max=len(reporting) * max(themes - 1, 0),
    )


def _ranking(
    session: Session, period: Period, region: str | None
) -> tuple[list[Hub], list[Priority]]:
    chosen = chosen_submissions(period, region)
    reporting = _reporting_hubs(session, chosen)
    population = sum(hub.population for hub in reporting)
    return reporting, _ranked(session, chosen, population)


def _with_trend(rows: list[Priority], before: list[Priority] | None) -> list[Priority]:
    """`rows` with the change since `before` (None: no hub reported the previous period)."""
    if before is None:
        return rows
    earlier = {row.code: row for row in before}
    trended = []
    for row in rows:
        old = earlier.get(row.code)
        if old is None or not old.raised:
            movement = "new" if row.raised else "same"
            trended.append(
                replace(
                    row,
                    previous_total=0 if old is None else old.total,
                    previous_rank=None,
                    change_total=row.total - (0 if old is None else old.total),
                    change_rank=None,
                    movement=movement,
                )
            )
            continue
        change_rank = old.rank - row.rank
        movement = "up" if change_rank > 0 else "down" if change_rank < 0 else "same"
        trended.append(
            replace(
                row,
                previous_total=old.total,
                previous_rank=old.rank,
                change_total=row.total - old.total,
                change_rank=change_rank,
                movement=movement,
            )
        )
    return trended


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
    borda = _borda_points(session, chosen)
    borda_ranks = _competition_ranks(borda)
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
            borda_points=Decimal(borda.get(row.theme_code, 0)) / 2,
            borda_rank=borda_ranks.get(row.theme_code, len(ordered)),
        )
        for rank, row in enumerate(ordered, start=1)
    ]


def _sort_key() -> ColumnElement[int]:
    """A cell's key in its hub's own ranking: the published count; suppressed just above 0."""
    return case(
        (SummaryTheme.people_suppressed, SUPPRESSED_SORT_KEY),
        else_=func.coalesce(SummaryTheme.people_value, 0),
    )


def _hub_places(chosen: Select[tuple[str]]) -> Select[tuple[str, str, int, int, int]]:
    """Per chosen summary and theme: its place in the hub's own ranking (1 + the themes with a
    higher count), how many themes share its count (itself included), and the ballot size."""
    key = _sort_key()
    return select(
        SummaryTheme.submission_id,
        SummaryTheme.theme_code,
        func.rank()
        .over(partition_by=SummaryTheme.submission_id, order_by=key.desc())
        .label("place"),
        func.count().over(partition_by=(SummaryTheme.submission_id, key)).label("tied"),
        func.count().over(partition_by=SummaryTheme.submission_id).label("ballot"),
    ).where(SummaryTheme.submission_id.in_(chosen))


def _borda_points(session: Session, chosen: Select[tuple[str]]) -> dict[str, int]:
    """Theme code → twice its Borda points (whole numbers: a tie is worth half a point).

    With n themes, place p (1 + the themes above) and t themes sharing the count: the theme
    beats n - p - t + 1 themes and ties with t - 1, so twice its points are
    2(n - p - t + 1) + (t - 1) = 2n - 2p - t + 1.
    """
    places = _hub_places(chosen).subquery()
    doubled = 2 * places.c.ballot - 2 * places.c.place - places.c.tied + 1
    rows = session.execute(
        select(places.c.theme_code, func.sum(doubled)).group_by(places.c.theme_code)
    ).all()
    return {code: int(points) for code, points in rows}


def _competition_ranks(points: dict[str, int]) -> dict[str, int]:
    """Rank 1 for the most points; equal points share a rank and the next rank skips."""
    ranks: dict[str, int] = {}
    ordered = sorted(points.items(), key=lambda item: (-item[1], item[0]))
    for position, (code, value) in enumerate(ordered, start=1):
        previous = ordered[position - 2] if position > 1 else None
        ranks[code] = ranks[previous[0]] if previous and previous[1] == value else position
    return ranks


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
    if population <= 0:
        return Decimal("0.0")
    return (Decimal(total) * 100_000 / Decimal(population)).quantize(
        Decimal("0.1"), rounding=ROUND_HALF_UP
    )


# --- trends over several periods ---------------------------------------------------------


def history_periods(period: Period, count: int = HISTORY) -> list[Period]:
    """`period` and the `count` - 1 periods of the same length before it, oldest first."""
    periods = [period]
    while len(periods) < count:
        periods.append(previous_period(periods[-1]))
    return periods[::-1]


def period_totals(
    session: Session, periods: Sequence[Period], region: str | None = None
) -> list[PeriodTotals]:
    """Each period's hubs reporting and every theme's total with bounds, in the order given."""
    history = []
    for period in periods:
        chosen = chosen_submissions(period, region)
        hubs = session.scalar(select(func.count()).select_from(chosen.subquery())) or 0
        suppressed = SummaryTheme.people_suppressed
        rows = session.execute(
            select(
                SummaryTheme.theme_code,
                func.coalesce(func.sum(SummaryTheme.people_value), 0),
                func.sum(case((suppressed, 1), else_=0)),
                func.sum(case((suppressed, Submission.disclosure_k - 1), else_=0)),
            )
            .join(Submission, Submission.submission_id == SummaryTheme.submission_id)
            .where(SummaryTheme.submission_id.in_(chosen))
            .group_by(SummaryTheme.theme_code)
        ).all()
        totals = {
            code: (int(total), int(total + count), int(total + hidden))
            for code, total, count, hidden in rows
        }
        history.append(PeriodTotals(period, hubs, totals))
    return history


# --- one theme ---------------------------------------------------------------------------


def theme_detail(
    session: Session, code: str, period: Period | None, region: str | None = None
) -> ThemeDetail:
    """One theme across hubs and regions, its trend and its consented quotes.

    Raises KeyError for a code that is not in the current taxonomy.
    """
    name = load_taxonomy(CURRENT_VERSION).name_of(code)
    national = national_priorities(session, period, region)
    if national.period is None:
        return ThemeDetail(code, name, national, None, [], [], [], [])
    period = national.period
    priority = next((row for row in national.priorities if row.code == code), None)
    cells = _hub_cells(session, code, period, region)
    for hub in national.hubs_missing:
        cells.append(HubCell(hub, "missing", None, None, None, None))
    cells.sort(key=lambda cell: (cell.hub.name, cell.hub.gss))
    history = period_totals(session, history_periods(period), region)
    return ThemeDetail(
        code,
        name,
        national,
        priority,
        cells,
        _region_totals(cells),
        history,
        _quotes(session, code, period, region),
    )


def _hub_cells(session: Session, code: str, period: Period, region: str | None) -> list[HubCell]:
    chosen = chosen_submissions(period, region)
    places = _hub_places(chosen).subquery()
    rows = session.execute(
        select(
            Hub,
            SummaryTheme.people_value,
            SummaryTheme.people_suppressed,
            Submission.disclosure_k,
            places.c.place,
            places.c.ballot,
        )
        .join(Submission, Submission.submission_id == SummaryTheme.submission_id)
        .join(Hub, Hub.gss == Submission.hub_gss)
        .join(
            places,
            and_(
                places.c.submission_id == SummaryTheme.submission_id,
                places.c.theme_code == SummaryTheme.theme_code,
            ),
        )
        .where(SummaryTheme.submission_id.in_(chosen), SummaryTheme.theme_code == code)
    ).all()
    return [
        HubCell(
            hub=hub,
            status="suppressed" if suppressed else "published",
            people=None if suppressed else value,
            suppressed_max=(k or 0) - 1 if suppressed else None,
            place=place,
            themes=ballot,
        )
        for hub, value, suppressed, k, place, ballot in rows
    ]


def _region_totals(cells: list[HubCell]) -> list[RegionTotal]:
    by_region: dict[str, list[HubCell]] = {}
    for cell in cells:
        by_region.setdefault(cell.hub.region, []).append(cell)
    totals = []
    for region in sorted(by_region):
        reported = [cell for cell in by_region[region] if cell.status != "missing"]
        total = sum(cell.people or 0 for cell in reported)
        hidden = [cell for cell in reported if cell.status == "suppressed"]
        population = sum(cell.hub.population for cell in reported)
        totals.append(
            RegionTotal(
                region=region,
                total=total,
                lower=total + len(hidden),
                upper=total + sum(cell.suppressed_max or 0 for cell in hidden),
                hubs_reporting=len(reported),
                hubs_suppressed=len(hidden),
                hubs_missing=len(by_region[region]) - len(reported),
                rate_per_100k=_per_100k(total, population) if reported else None,
            )
        )
    return totals


def _quotes(session: Session, code: str, period: Period, region: str | None) -> list[ThemeQuote]:
    """The consented quotes for the theme in the hubs' chosen summaries, by hub then order."""
    rows = session.execute(
        select(Hub, SummaryQuote.text)
        .join(Hub, Hub.gss == SummaryQuote.hub_gss)
        .where(
            SummaryQuote.submission_id.in_(chosen_submissions(period, region)),
            SummaryQuote.theme_code == code,
        )
        .order_by(Hub.name, Hub.gss, SummaryQuote.position)
    ).all()
    return [ThemeQuote(hub, text) for hub, text in rows]
