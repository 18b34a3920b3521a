"""National priorities for one period and, optionally, one region, computed with SQL aggregates.

A period's figures add up, per hub, its summaries for periods inside it
(`summaries_within`): for each distinct period of a hub's summaries lying
within the one asked for, the latest accepted summary counts (a re-sent period
replaces the earlier one), and a summary whose period lies inside another of
the same hub's summaries inside it (a month beside its weeks, a quarter beside
its months) is left out, so nested periods never count a day twice (two that
overlap without either containing the other, a week across a month's end
beside that month, both count: hubs send one kind of period). A hub's
cells are summed per theme across those summaries; every hub-level figure (its
own ranking, its top 5, whether it suppressed a count) is worked out on those
sums. Summaries carry no identities, so a person active in two sub-periods
counts in both. A hub whose summaries cover only part of the period still
reports; `NationalPriorities.coverage` says how many summaries and days of
each hub were used. For one summary per hub for exactly the period, this is
that summary's figures. Totals are built from the published (rounded) cells,
so the aggregator never needs, and never sees, a raw count.

Two rankings are given. `rank` orders themes by total people, so a hub with
many participants moves it most. `borda_rank` combines each reporting hub's
own ranking of the themes with a Borda count, so every hub has the same say
whatever its size (see BORDA). The trend compares each theme with the
previous period of the same length (`previous_period`), counted the same way.

Every query can be asked "as of" a log size N (`before_log_index=N`): then only
summaries whose log leaf index is below N count, and the hubs expected to
report are those registered, and not revoked, by key events below N. That is
what the board pack uses, so a pack citing checkpoint N says the same thing
however much the log has grown since.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import ColumnElement, Select, Subquery, and_, case, exists, func, or_, select
from sqlalchemy.orm import Session, aliased

from federation.periods import Period
from federation.taxonomy import CURRENT_VERSION, load_taxonomy
from national_aggregator.ingest.models import Submission, SummaryQuote, SummaryTheme
from national_aggregator.log.models import LogLeaf
from national_aggregator.registry.models import Hub, KeyEvent, KeyEventKind

RANKING = (
    "Themes ranked by total people: the sum of each reporting hub's published count of "
    "distinct people (rounded to 5; suppressed cells count 0), ties by theme code. lower and "
    "upper add 1 to k-1 people (1 to 7 under the default rule) for each suppressed cell; "
    "rate_per_100k is the total per 100,000 residents of the hubs reporting (each hub's "
    "population counted once); top5_hubs counts the hubs where the theme is in their own top "
    "5. contributions is the sum of the published (rounded, per-person capped) counts of items "
    "raised; suppressed cells count 0. A period's figures add up each hub's summaries for "
    "periods inside it (the latest for each; a summary inside another of the hub's summaries "
    "is left out) and every hub-level figure uses the hub's sums. Summaries carry no "
    "identities, so a person active in two of those periods (two weeks of a year) counts in "
    "both: over a longer period the totals count people once per period they took part in, "
    "not distinct people."
)
COVERAGE = (
    "A hub reports a period when it sent at least one summary for a period inside it; "
    "periods_used is how many of its summaries were added up and days_covered how many days "
    "of the period they cover. A hub whose summaries cover only part of the period (partial) "
    "still counts, with what it sent; the days it did not cover are missing, not zero. A "
    "hub's cells are summed over its summaries; summaries carry no identities, so a person "
    "active in two of them is counted in both."
)
BORDA = (
    "borda_rank combines the hubs' own rankings with a Borda count, so that every reporting "
    "hub has the same say whatever its size. Each hub ranks every theme by its published "
    "count of people; a suppressed cell ranks below every published non-zero count and above "
    "zero (its true count is 1 to k-1, every published non-zero count is at least k). A theme "
    "scores 1 point for each theme it beats in that hub's ranking and half a point for each "
    "theme it ties with, so each hub gives out the same number of points (n(n-1)/2 for n "
    "themes). borda_points is the sum over the reporting hubs; themes with equal points share "
    "a borda_rank (1, 2, 2, 4). Over a period made of several of a hub's summaries, the hub "
    "ranks the themes by its summed published count plus 1 for each suppressed cell (the "
    "least the cells can hold), which for one summary is the order above."
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
class HubCoverage:
    """How much of the period a reporting hub's summaries cover."""

    periods_used: int  # the hub's summaries added up
    days_covered: int  # days of the period they cover (each summary's length, summed)
    days: int  # days in the period

    @property
    def partial(self) -> bool:
        return self.days_covered < self.days


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
    coverage: dict[str, HubCoverage] = field(default_factory=dict)  # hub gss → its coverage

    @property
    def hubs_partial(self) -> list[Hub]:
        """The reporting hubs whose summaries cover only part of the period."""
        return [
            hub
            for hub in self.hubs_reporting
            if hub.gss in self.coverage and self.coverage[hub.gss].partial
        ]

    @property
    def summed(self) -> bool:
        """Some hub's figures add up more than one summary."""
        return any(item.periods_used > 1 for item in self.coverage.values())

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
    """One hub's cell for a theme: its published cells for the period, summed."""

    hub: Hub
    # "published" (every cell published), "suppressed" (at least one cell suppressed) or
    # "missing" (no summary for the period)
    status: str
    people: int | None  # the published cells' sum; None when none was published
    suppressed_max: int | None  # the suppressed cells hide suppressed_cells to this many people
    place: int | None  # the theme's place in the hub's own ranking (ties share a place)
    themes: int | None  # how many themes that ranking has
    suppressed_cells: int = 0
    periods_used: int | None = None  # the hub's summaries added up; None when missing

    @property
    def lower(self) -> int:
        return (self.people or 0) + self.suppressed_cells

    @property
    def upper(self) -> int:
        return (self.people or 0) + (self.suppressed_max or 0)


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


def latest_period(session: Session, *, before_log_index: int | None = None) -> Period | None:
    """The period of the most recent summary any hub has sent (latest end, then shortest);
    with `before_log_index`, of the summaries the log held at that size."""
    conditions = [Submission.kind == "summary"]
    if before_log_index is not None:
        conditions.append(Submission.submission_id.in_(logged_before(before_log_index)))
    row = session.execute(
        select(Submission.period_start, Submission.period_end)
        .where(*conditions)
        .order_by(Submission.period_end.desc(), Submission.period_start.desc())
        .limit(1)
    ).first()
    return None if row is None else Period(row.period_start, row.period_end)


def reported_periods(session: Session, *, containing: bool = False) -> list[Period]:
    """Every period any hub has sent a summary for, newest first (latest end, then shortest);
    with `containing`, also each calendar month, quarter and year that contains one (what the
    priorities can add up: `summaries_within`)."""
    rows = session.execute(
        select(Submission.period_start, Submission.period_end)
        .where(Submission.kind == "summary")
        .distinct()
    ).all()
    periods = {Period(row.period_start, row.period_end) for row in rows}
    if containing:
        periods |= {wider for period in list(periods) for wider in _calendar_periods(period)}
    return sorted(periods, key=lambda period: (period.end, period.start), reverse=True)


def _calendar_periods(period: Period) -> list[Period]:
    """The calendar month, quarter and year `period` lies inside (those it fits in)."""
    start, end = period.start, period.end
    wider = []
    if (start.year, start.month) == (end.year, end.month):
        wider.append(Period.month(start.year, start.month))
    quarter = (start.month - 1) // 3
    if start.year == end.year and quarter == (end.month - 1) // 3:
        wider.append(
            Period(
                date(start.year, 3 * quarter + 1, 1), Period.month(start.year, 3 * quarter + 3).end
            )
        )
    if start.year == end.year:
        wider.append(Period(date(start.year, 1, 1), date(start.year, 12, 31)))
    return wider


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


def logged_before(size: int) -> Select[tuple[str | None]]:
    """The submission ids of the statements at log leaf indexes below `size`."""
    return select(LogLeaf.submission_id).where(
        LogLeaf.index < size, LogLeaf.submission_id.is_not(None)
    )


def chosen_submissions(
    period: Period, region: str | None = None, *, before_log_index: int | None = None
) -> Select[tuple[str]]:
    """Each hub's latest accepted summary for exactly `period` (from hubs in `region`);
    with `before_log_index`, the latest among those the log held at that size."""
    conditions = [
        Submission.kind == "summary",
        Submission.period_start == period.start,
        Submission.period_end == period.end,
    ]
    if before_log_index is not None:
        conditions.append(Submission.submission_id.in_(logged_before(before_log_index)))
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


def summaries_within(
    period: Period, region: str | None = None, *, before_log_index: int | None = None
) -> Select[tuple[str]]:
    """The summaries the priorities add up for `period` (from hubs in `region`): for each hub
    and each distinct period of its accepted summaries inside `period` (start and end within
    it), the latest; less any whose period lies inside another of the same hub's summaries
    inside `period`. With `before_log_index`, among those the log held at that size."""
    conditions = _inside(Submission, period, before_log_index)
    if region is not None:
        conditions.append(Submission.hub_gss.in_(select(Hub.gss).where(Hub.region == region)))
    latest = (
        select(
            Submission.hub_gss,
            Submission.period_start,
            Submission.period_end,
            func.max(Submission.seq).label("seq"),
        )
        .where(*conditions)
        .group_by(Submission.hub_gss, Submission.period_start, Submission.period_end)
        .subquery()
    )
    wider = aliased(Submission)
    inside_wider = exists().where(
        wider.hub_gss == latest.c.hub_gss,
        *_inside(wider, period, before_log_index),
        wider.period_start <= latest.c.period_start,
        wider.period_end >= latest.c.period_end,
        or_(wider.period_start < latest.c.period_start, wider.period_end > latest.c.period_end),
    )
    return (
        select(Submission.submission_id)
        .join(latest, and_(Submission.hub_gss == latest.c.hub_gss, Submission.seq == latest.c.seq))
        .where(~inside_wider)
    )


def _inside(
    model: type[Submission], period: Period, before_log_index: int | None
) -> list[ColumnElement[bool]]:
    """`model` (Submission or an alias) is a summary inside `period`, logged below the size."""
    conditions = [
        model.kind == "summary",
        model.period_start >= period.start,
        model.period_end <= period.end,
    ]
    if before_log_index is not None:
        conditions.append(model.submission_id.in_(logged_before(before_log_index)))
    return conditions


def _hub_events_before(event: KeyEventKind, size: int | None) -> Select[tuple[str]]:
    """The hubs with a key event of this kind in the log (at leaf indexes below `size`)."""
    query = (
        select(KeyEvent.hub_gss)
        .join(LogLeaf, LogLeaf.key_event_id == KeyEvent.id)
        .where(KeyEvent.event == event)
    )
    return query if size is None else query.where(LogLeaf.index < size)


def _expected_hubs(
    session: Session, region: str | None, before_log_index: int | None = None
) -> list[Hub]:
    """The hubs expected to report: registered, not revoked, in `region` if one is given.

    With `before_log_index`, as the log stood at that size: registered by a key event
    below it (or before key events were logged at all), and not revoked by one below it.
    """
    query = select(Hub).order_by(Hub.name, Hub.gss)
    if before_log_index is None:
        query = query.where(Hub.revoked_at.is_(None))
    else:
        registered = KeyEventKind.HUB_REGISTERED
        query = query.where(
            or_(
                Hub.gss.in_(_hub_events_before(registered, before_log_index)),
                Hub.gss.not_in(_hub_events_before(registered, None)),
            ),
            Hub.gss.not_in(_hub_events_before(KeyEventKind.HUB_REVOKED, before_log_index)),
        )
    if region is not None:
        query = query.where(Hub.region == region)
    return list(session.scalars(query))


def _reporting_hubs(
    session: Session, chosen: Select[tuple[str]], period: Period
) -> tuple[list[Hub], dict[str, HubCoverage]]:
    """The hubs with a chosen summary, by name, and how much of `period` each covers."""
    days = (period.end - period.start).days + 1
    used = (
        select(
            Submission.hub_gss,
            func.count().label("periods"),
            func.sum(_days(session)).label("days"),
        )
        .where(Submission.submission_id.in_(chosen))
        .group_by(Submission.hub_gss)
        .subquery()
    )
    rows = session.execute(
        select(Hub, used.c.periods, used.c.days)
        .join(used, used.c.hub_gss == Hub.gss)
        .order_by(Hub.name, Hub.gss)
    ).all()
    coverage = {
        hub.gss: HubCoverage(int(periods), min(round(float(covered)), days), days)
        for hub, periods, covered in rows
    }
    return [hub for hub, _, _ in rows], coverage


def _days(session: Session) -> ColumnElement[float]:
    """A summary's length in days, both ends included, in the session's SQL dialect."""
    if session.get_bind().dialect.name == "sqlite":
        return func.julianday(Submission.period_end) - func.julianday(Submission.period_start) + 1
    return Submission.period_end - Submission.period_start + 1  # type: ignore[return-value]


def national_priorities(
    session: Session,
    period: Period | None,
    region: str | None = None,
    *,
    before_log_index: int | None = None,
) -> NationalPriorities:
    """Rank the national themes for `period` (None: the latest period any hub has sent),
    over the hubs in `region` (None: all), with the trend against the previous period;
    with `before_log_index`, as the log stood at that size (see the module doc)."""
    as_of = before_log_index
    period = period or latest_period(session, before_log_index=as_of)
    expected = _expected_hubs(session, region, as_of)
    if period is None:
        return NationalPriorities(None, CURRENT_VERSION, [], expected, [], region=region)
    reporting, coverage, rows = _ranking(session, period, region, as_of)
    missing = [hub for hub in expected if hub not in reporting]
    before = previous_period(period)
    reported_before, _, rows_before = _ranking(session, before, region, as_of)
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
        coverage=coverage,
    )


def _ranking(
    session: Session, period: Period, region: str | None, before_log_index: int | None = None
) -> tuple[list[Hub], dict[str, HubCoverage], list[Priority]]:
    chosen = summaries_within(period, region, before_log_index=before_log_index)
    reporting, coverage = _reporting_hubs(session, chosen, period)
    population = sum(hub.population for hub in reporting)
    return reporting, coverage, _ranked(session, chosen, population)


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


def _hub_sums(chosen: Select[tuple[str]]) -> Subquery:
    """Per hub and theme, its chosen summaries' cells added up: `people` (published, summed),
    `published` (cells published), `hidden` (cells suppressed), `hidden_max` (their k-1
    summed), `contributions` (published, summed)."""
    suppressed = SummaryTheme.people_suppressed
    return (
        select(
            Submission.hub_gss,
            SummaryTheme.theme_code,
            func.coalesce(func.sum(SummaryTheme.people_value), 0).label("people"),
            func.count(SummaryTheme.people_value).label("published"),
            func.sum(case((suppressed, 1), else_=0)).label("hidden"),
            func.sum(case((suppressed, Submission.disclosure_k - 1), else_=0)).label("hidden_max"),
            func.coalesce(func.sum(SummaryTheme.contributions_value), 0).label("contributions"),
        )
        .join(Submission, Submission.submission_id == SummaryTheme.submission_id)
        .where(SummaryTheme.submission_id.in_(chosen))
        .group_by(Submission.hub_gss, SummaryTheme.theme_code)
        .subquery()
    )


def _ranked(session: Session, chosen: Select[tuple[str]], population: int) -> list[Priority]:
    """Every theme's figures in one query over the hubs' sums and their own rankings."""
    sums = _hub_sums(chosen)
    top_place = (
        func.row_number()
        .over(
            partition_by=(sums.c.hub_gss, case((sums.c.people > 0, 1), else_=0)),
            order_by=(sums.c.people.desc(), sums.c.theme_code),
        )
        .label("top_place")
    )
    placed = (
        _hub_places(sums)
        .add_columns(
            sums.c.people, sums.c.hidden, sums.c.hidden_max, sums.c.contributions, top_place
        )
        .subquery()
    )
    # Borda: with n themes, place p (1 + the themes above) and t themes sharing the key, a
    # theme beats n - p - t + 1 themes and ties with t - 1: twice its points are
    # 2(n - p - t + 1) + (t - 1) = 2n - 2p - t + 1 (whole numbers: a tie is half a point).
    doubled = 2 * placed.c.ballot - 2 * placed.c.place - placed.c.tied + 1
    # Top 5: by published people summed, ties by code; no published people is never in it.
    in_top5 = and_(placed.c.people > 0, placed.c.top_place <= TOP)
    totals = session.execute(
        select(
            placed.c.theme_code,
            func.count().label("hubs_reporting"),
            func.coalesce(func.sum(placed.c.people), 0).label("total"),
            func.sum(case((placed.c.hidden > 0, 1), else_=0)).label("hubs_suppressed"),
            func.coalesce(func.sum(placed.c.hidden), 0).label("hidden"),
            func.coalesce(func.sum(placed.c.hidden_max), 0).label("hidden_max"),
            func.coalesce(func.sum(placed.c.contributions), 0).label("contributions"),
            func.sum(case((in_top5, 1), else_=0)).label("top5_hubs"),
            func.sum(doubled).label("borda_doubled"),
        ).group_by(placed.c.theme_code)
    ).all()
    borda = {row.theme_code: int(row.borda_doubled) for row in totals}
    borda_ranks = _competition_ranks(borda)
    taxonomy = load_taxonomy(CURRENT_VERSION)
    ordered = sorted(totals, key=lambda row: (-row.total, row.theme_code))
    return [
        Priority(
            rank=rank,
            code=row.theme_code,
            name=taxonomy.name_of(row.theme_code),
            total=int(row.total),
            lower=int(row.total + row.hidden),
            upper=int(row.total + row.hidden_max),
            hubs_reporting=row.hubs_reporting,
            hubs_suppressed=int(row.hubs_suppressed),
            rate_per_100k=_per_100k(int(row.total), population),
            top5_hubs=int(row.top5_hubs),
            contributions=int(row.contributions),
            borda_points=Decimal(borda[row.theme_code]) / 2,
            borda_rank=borda_ranks[row.theme_code],
        )
        for rank, row in enumerate(ordered, start=1)
    ]


def _hub_places(sums: Subquery) -> Select[tuple[str, str, int, int, int]]:
    """Per hub and theme: its place in the hub's own ranking (1 + the themes with a higher
    key), how many themes share its key (itself included), and the ballot size.

    The key is the least the hub's cells can hold: the published sum plus 1 for each
    suppressed cell. For one summary that is its published count, and 1 for a suppressed
    cell (SUPPRESSED_SORT_KEY): above 0, below any published count."""
    key = sums.c.people + SUPPRESSED_SORT_KEY * sums.c.hidden
    return select(
        sums.c.hub_gss,
        sums.c.theme_code,
        func.rank().over(partition_by=sums.c.hub_gss, order_by=key.desc()).label("place"),
        func.count().over(partition_by=(sums.c.hub_gss, key)).label("tied"),
        func.count().over(partition_by=sums.c.hub_gss).label("ballot"),
    )


def _competition_ranks(points: dict[str, int]) -> dict[str, int]:
    """Rank 1 for the most points; equal points share a rank and the next rank skips."""
    ranks: dict[str, int] = {}
    ordered = sorted(points.items(), key=lambda item: (-item[1], item[0]))
    for position, (code, value) in enumerate(ordered, start=1):
        previous = ordered[position - 2] if position > 1 else None
        ranks[code] = ranks[previous[0]] if previous and previous[1] == value else position
    return ranks


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
    session: Session,
    periods: Sequence[Period],
    region: str | None = None,
    *,
    before_log_index: int | None = None,
) -> list[PeriodTotals]:
    """Each period's hubs reporting and every theme's total with bounds, in the order given,
    counted as `national_priorities` counts them."""
    history = []
    for period in periods:
        chosen = summaries_within(period, region, before_log_index=before_log_index)
        hubs = (
            session.scalar(
                select(func.count(func.distinct(Submission.hub_gss))).where(
                    Submission.submission_id.in_(chosen)
                )
            )
            or 0
        )
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
    session: Session,
    code: str,
    period: Period | None,
    region: str | None = None,
    *,
    before_log_index: int | None = None,
) -> ThemeDetail:
    """One theme across hubs and regions, its trend and its consented quotes (as the log
    stood at size `before_log_index`, when given).

    Raises KeyError for a code that is not in the current taxonomy.
    """
    as_of = before_log_index
    name = load_taxonomy(CURRENT_VERSION).name_of(code)
    national = national_priorities(session, period, region, before_log_index=as_of)
    if national.period is None:
        return ThemeDetail(code, name, national, None, [], [], [], [])
    period = national.period
    priority = next((row for row in national.priorities if row.code == code), None)
    cells = _hub_cells(session, code, period, region, as_of)
    for hub in national.hubs_missing:
        cells.append(HubCell(hub, "missing", None, None, None, None))
    cells.sort(key=lambda cell: (cell.hub.name, cell.hub.gss))
    history = period_totals(session, history_periods(period), region, before_log_index=as_of)
    return ThemeDetail(
        code,
        name,
        national,
        priority,
        cells,
        _region_totals(cells),
        history,
        _quotes(session, code, period, region, as_of),
    )


def _hub_cells(
    session: Session,
    code: str,
    period: Period,
    region: str | None,
    before_log_index: int | None = None,
) -> list[HubCell]:
    """Each reporting hub's cells for the theme, summed over its summaries for `period`."""
    chosen = summaries_within(period, region, before_log_index=before_log_index)
    sums = _hub_sums(chosen)
    places = _hub_places(sums).subquery()
    used = (
        select(Submission.hub_gss, func.count().label("periods"))
        .where(Submission.submission_id.in_(chosen))
        .group_by(Submission.hub_gss)
        .subquery()
    )
    rows = session.execute(
        select(
            Hub,
            sums.c.people,
            sums.c.published,
            sums.c.hidden,
            sums.c.hidden_max,
            places.c.place,
            places.c.ballot,
            used.c.periods,
        )
        .join(Hub, Hub.gss == sums.c.hub_gss)
        .join(
            places,
            and_(places.c.hub_gss == sums.c.hub_gss, places.c.theme_code == sums.c.theme_code),
        )
        .join(used, used.c.hub_gss == sums.c.hub_gss)
        .where(sums.c.theme_code == code)
    ).all()
    return [
        HubCell(
            hub=hub,
            status="suppressed" if hidden else "published",
            people=int(people) if published else None,
            suppressed_max=int(hidden_max) if hidden else None,
            place=place,
            themes=ballot,
            suppressed_cells=int(hidden),
            periods_used=periods,
        )
        for hub, people, published, hidden, hidden_max, place, ballot, periods in rows
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
                lower=total + sum(cell.suppressed_cells for cell in hidden),
                upper=total + sum(cell.suppressed_max or 0 for cell in hidden),
                hubs_reporting=len(reported),
                hubs_suppressed=len(hidden),
                hubs_missing=len(by_region[region]) - len(reported),
                rate_per_100k=_per_100k(total, population) if reported else None,
            )
        )
    return totals


def _quotes(
    session: Session,
    code: str,
    period: Period,
    region: str | None,
    before_log_index: int | None = None,
) -> list[ThemeQuote]:
    """The consented quotes for the theme in the hubs' summaries for `period`, by hub, then
    oldest summary first, then order."""
    chosen = summaries_within(period, region, before_log_index=before_log_index)
    rows = session.execute(
        select(Hub, SummaryQuote.text)
        .join(Hub, Hub.gss == SummaryQuote.hub_gss)
        .where(
            SummaryQuote.submission_id.in_(chosen),
            SummaryQuote.theme_code == code,
        )
        .order_by(Hub.name, Hub.gss, SummaryQuote.period_start, SummaryQuote.position)
    ).all()
    return [ThemeQuote(hub, text) for hub, text in rows]
