"""Hidden voices and routing across hubs, for one period and optionally one region.

Built from the rows ingest copies out of each hub's latest accepted summary
for exactly the period asked for (the same choice as the priorities,
`priorities.services.chosen_submissions`):

- Representation: for each group (characteristic, category) of the national
  catalogue, how many hubs' published figures flag it under-represented, in
  line, over-represented, too few answers, withheld or none in the
  population; the median ratio across the hubs that published one; the
  groups under-represented in most places; and the hubs doing well with a
  group (the lower end of their interval at least 1, so clearly not
  under-represented) for others to learn from. A hub that sent no summary is
  missing, a hub that sent one without a population profile is listed as
  such, and a profile that does not cover a characteristic is counted apart:
  none of them is ever counted as zero or as "in line".
- Routing: each organisation type's items routed, responded, late and with
  a change, summed over the hubs' published cells, with bounds for
  suppressed cells as the priorities have.

Decimals are the hubs' signed strings, read as `Decimal`; nothing here is a
float, so the figures are the same on every database.

`hidden_voices` can be asked "as of" a log size N (`before_log_index=N`), as
the priorities can: only summaries at log leaf indexes below N count, and the
hubs expected are those registered and not revoked below N (the board pack).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from federation.disclosure import DEFAULT_RULE
from federation.disclosure.characteristics import CHARACTERISTICS, NOT_STATED
from federation.disclosure.representation import (
    IN_LINE,
    NONE_IN_POPULATION,
    OVER,
    TOO_FEW,
    UNDER,
    WITHHELD,
)
from federation.disclosure.routing import COUNTS, ORGANISATION_TYPES, window
from federation.periods import Period
from national_aggregator.ingest.models import (
    Submission,
    SummaryRepresentation,
    SummaryRouting,
    SummaryRoutingType,
)
from national_aggregator.priorities.services import (
    _chosen_submissions,
    _expected_hubs,
    latest_period,
)
from national_aggregator.registry.models import Hub

FOUR_PLACES = Decimal("0.0001")
ONE = Decimal(1)
FLAG_ORDER = (UNDER, IN_LINE, OVER, TOO_FEW, WITHHELD, NONE_IN_POPULATION)

METHOD = (
    "Each hub's figures are its own published ones: a group's share of the people who "
    "answered (from the hub's published breakdown of everyone who took part, not stated left "
    "out) divided by its share of the area's population (Census 2021), with a 95% Wilson "
    "interval that allows for suppressed cells. A hub flags a group under-represented when "
    "the whole interval is below 1, over-represented when it is above 1, and makes no claim "
    "with fewer than 20 answers. Across hubs: the count of hubs with each flag; the median "
    "ratio of the hubs that published a ratio (none is published when a cell of the table is "
    "suppressed), the middle two averaged, four places; groups under-represented in most "
    "places are those flagged under-represented by the most hubs (ties: lower median ratio "
    "first, then catalogue order). A hub does well with a group when the lower end of its "
    "interval is at least 1 with at least 20 answers. Hubs without a summary for the period, "
    "or without a population profile, are listed, never counted as zero."
)
ROUTING_METHOD = (
    "Items (not people) routed to local organisations in the 365 days up to the period's "
    "last day, and their answers, by organisation type: the sum of each reporting hub's "
    "published cells (0 kept, 1 to k-1 suppressed, the rest rounded to 5; suppressed cells "
    "count 0). lower and upper add 1 to k-1 items for each suppressed cell. response_rate is "
    "responded / (responded + late) summed over the hubs that published a response rate "
    "(both cells published, some answers due), two places. median_working_days is the median "
    "of the hubs' published medians (published only behind at least k answers), one place."
)


class UnknownRegion(ValueError):
    """No hub is registered in the region asked for."""

    def __init__(self, region: str, known: list[str]) -> None:
        listed = ", ".join(known) or "none yet"
        super().__init__(f"no hub is registered in region {region!r}; regions: {listed}")
        self.region = region
        self.known = known


@dataclass(frozen=True)
class HubFigures:
    """One hub's published figures for one group."""

    hub: Hub
    ratio: Decimal | None
    lower: Decimal | None
    upper: Decimal | None
    flag: str


@dataclass(frozen=True)
class GroupAcrossHubs:
    characteristic: str
    characteristic_label: str
    category: str
    category_label: str
    flags: dict[str, int]  # every flag of FLAG_ORDER → hubs with it
    not_covered: int  # hubs with a profile that does not cover this characteristic
    hubs_with_ratio: int
    median_ratio: Decimal | None
    doing_well: list[HubFigures]  # lower ≥ 1 with enough answers: highest lower bound first

    @property
    def under(self) -> int:
        return self.flags[UNDER]

    @property
    def hubs_with_figures(self) -> int:
        """Hubs whose profile covers the group (whatever their flag)."""
        return sum(self.flags.values())


@dataclass(frozen=True)
class NationalVoices:
    period: Period | None  # None until any hub has sent a summary
    region: str | None
    hubs_with_profile: list[Hub]
    hubs_without_profile: list[Hub]  # sent a summary for the period, representation null
    hubs_missing: list[Hub]  # sent no summary for the period
    groups: list[GroupAcrossHubs]  # catalogue order
    most_under: list[GroupAcrossHubs]  # flagged under-represented by at least one hub


@dataclass(frozen=True)
class CountTotal:
    """A count summed over hubs' published cells, with what suppressed cells may hide."""

    total: int
    lower: int
    upper: int
    hubs_suppressed: int


@dataclass(frozen=True)
class RoutingByType:
    organisation_type: str
    counts: dict[str, CountTotal]  # routed, responded, late, changes
    response_rate: Decimal | None
    response_rate_hubs: int  # hubs that published a rate (both cells published, some due)
    median_working_days: Decimal | None  # the median of the hubs' published medians
    median_hubs: int


@dataclass(frozen=True)
class NationalRouting:
    period: Period | None
    region: str | None
    window: tuple[date, date] | None
    hubs_with_routing: list[Hub]
    hubs_without_routing: list[Hub]  # sent a summary for the period without the block
    hubs_missing: list[Hub]
    national: CountTotal | None
    by_type: list[RoutingByType]  # ORGANISATION_TYPES order


def regions(session: Session) -> list[str]:
    """Every region a registered hub (revoked or not: its summaries still count) is in, A to Z."""
    return list(session.scalars(select(Hub.region).distinct().order_by(Hub.region)))


@dataclass(frozen=True)
class _Reporting:
    period: Period
    chosen: Select[tuple[str]]
    reporting: list[Hub]
    missing: list[Hub]


def _reporting(
    session: Session, period: Period, region: str | None, before_log_index: int | None = None
) -> _Reporting:
    """The chosen submissions (in the region), the hubs that sent them, and those missing."""
    chosen = _chosen_submissions(period, before_log_index=before_log_index)
    if region is not None:
        chosen = chosen.where(Submission.hub_gss.in_(select(Hub.gss).where(Hub.region == region)))
    expected = (
        _expected(session, region)
        if before_log_index is None
        else _expected_hubs(session, region, before_log_index)
    )
    reporting = list(
        session.scalars(
            select(Hub)
            .join(Submission, Submission.hub_gss == Hub.gss)
            .where(Submission.submission_id.in_(chosen))
            .order_by(Hub.name, Hub.gss)
        )
    )
    missing = [hub for hub in expected if hub not in reporting]
    return _Reporting(period, chosen, reporting, missing)


def _expected(session: Session, region: str | None) -> list[Hub]:
    """The registered, unrevoked hubs (of the region), by name."""
    query = select(Hub).where(Hub.revoked_at.is_(None)).order_by(Hub.name, Hub.gss)
    if region is not None:
        query = query.where(Hub.region == region)
    return list(session.scalars(query))


def _check_region(session: Session, region: str | None) -> None:
    if region is not None and region not in (known := regions(session)):
        raise UnknownRegion(region, known)


def _decimal(text: str | None) -> Decimal | None:
    return None if text is None else Decimal(text)


def median(values: list[Decimal], places: Decimal = FOUR_PLACES) -> Decimal | None:
    """The middle value (the mean of the middle two), rounded half up; None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    middle = len(ordered) // 2
    value = ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2
    return value.quantize(places, rounding=ROUND_HALF_UP)


def hidden_voices(
    session: Session,
    period: Period | None,
    region: str | None = None,
    *,
    before_log_index: int | None = None,
) -> NationalVoices:
    """Representation across hubs for `period` (None: the latest any hub has sent); with
    `before_log_index`, as the log stood at that size (see the module doc).

    Raises UnknownRegion when no hub is registered in `region`.
    """
    as_of = before_log_index
    _check_region(session, region)
    period = period or latest_period(session, before_log_index=as_of)
    if period is None:
        expected = (
            _expected(session, region) if as_of is None else _expected_hubs(session, region, as_of)
        )
        return NationalVoices(None, region, [], [], expected, [], [])
    place = _reporting(session, period, region, as_of)
    rows = session.execute(
        select(SummaryRepresentation, Hub)
        .join(Hub, Hub.gss == SummaryRepresentation.hub_gss)
        .where(SummaryRepresentation.submission_id.in_(place.chosen))
    ).all()
    by_group: dict[tuple[str, str], list[HubFigures]] = {}
    covered: dict[str, set[str]] = {}  # characteristic → hubs whose profile covers it
    for row, hub in rows:
        by_group.setdefault((row.characteristic, row.category), []).append(
            HubFigures(hub, _decimal(row.ratio), _decimal(row.lower), _decimal(row.upper), row.flag)
        )
        covered.setdefault(row.characteristic, set()).add(hub.gss)
    with_profile_gss = {gss for hubs in covered.values() for gss in hubs}
    with_profile = [hub for hub in place.reporting if hub.gss in with_profile_gss]
    without_profile = [hub for hub in place.reporting if hub.gss not in with_profile_gss]
    groups = [
        _group(
            code,
            category,
            by_group.get((code, category), []),
            len(with_profile) - len(covered.get(code, set())),
        )
        for code, characteristic in CHARACTERISTICS.items()
        for category in characteristic.codes
        if category != NOT_STATED
    ]
    catalogue = {(g.characteristic, g.category): i for i, g in enumerate(groups)}
    most_under = sorted(
        (group for group in groups if group.under),
        key=lambda g: (
            -g.under,
            g.median_ratio is None,
            g.median_ratio or 0,
            catalogue[(g.characteristic, g.category)],
        ),
    )
    return NationalVoices(
        period, region, with_profile, without_profile, place.missing, groups, most_under
    )


def _group(
    code: str, category: str, figures: list[HubFigures], not_covered: int
) -> GroupAcrossHubs:
    characteristic = CHARACTERISTICS[code]
    counted = Counter(figure.flag for figure in figures)
    ratios = [figure.ratio for figure in figures if figure.ratio is not None]
    well = sorted(
        (
            figure
            for figure in figures
            if figure.lower is not None and figure.lower >= ONE and figure.flag != TOO_FEW
        ),
        key=lambda figure: (-(figure.lower or 0), figure.hub.name, figure.hub.gss),
    )
    return GroupAcrossHubs(
        characteristic=code,
        characteristic_label=characteristic.label,
        category=category,
        category_label=characteristic.label_of(category),
        flags={flag: counted.get(flag, 0) for flag in FLAG_ORDER},
        not_covered=not_covered,
        hubs_with_ratio=len(ratios),
        median_ratio=median(ratios),
        doing_well=well,
    )


def national_routing(
    session: Session, period: Period | None, region: str | None = None
) -> NationalRouting:
    """Routing totals by organisation type for `period` (None: the latest any hub has sent).

    Raises UnknownRegion when no hub is registered in `region`.
    """
    _check_region(session, region)
    period = period or latest_period(session)
    if period is None:
        return NationalRouting(None, region, None, [], [], _expected(session, region), None, [])
    place = _reporting(session, period, region)
    blocks = session.execute(
        select(SummaryRouting, Submission.disclosure_k)
        .join(Submission, Submission.submission_id == SummaryRouting.submission_id)
        .where(SummaryRouting.submission_id.in_(place.chosen))
    ).all()
    with_routing_gss = {block.hub_gss for block, _ in blocks}
    with_routing = [hub for hub in place.reporting if hub.gss in with_routing_gss]
    without = [hub for hub in place.reporting if hub.gss not in with_routing_gss]
    national = _total([(block.national_value, block.national_suppressed, k) for block, k in blocks])
    rows = session.execute(
        select(SummaryRoutingType, Submission.disclosure_k)
        .join(Submission, Submission.submission_id == SummaryRoutingType.submission_id)
        .where(SummaryRoutingType.submission_id.in_(place.chosen))
    ).all()
    by_kind: dict[str, list[tuple[SummaryRoutingType, int]]] = {}
    for row, k in rows:
        by_kind.setdefault(row.organisation_type, []).append((row, k))
    by_type = [_routing_type(kind, by_kind.get(kind, [])) for kind in ORGANISATION_TYPES]
    return NationalRouting(
        period,
        region,
        window(period.end),
        with_routing,
        without,
        place.missing,
        national if blocks else None,
        by_type,
    )


def _total(cells: list[tuple[int | None, bool, int | None]]) -> CountTotal:
    """Published cells (value, suppressed, the hub's k) summed, with bounds."""
    total = sum(value or 0 for value, suppressed, _ in cells if not suppressed)
    hidden = [k or DEFAULT_RULE.k for _, suppressed, k in cells if suppressed]
    return CountTotal(
        total=total,
        lower=total + len(hidden),
        upper=total + sum(k - 1 for k in hidden),
        hubs_suppressed=len(hidden),
    )


def _routing_type(kind: str, rows: list[tuple[SummaryRoutingType, int]]) -> RoutingByType:
    counts = {
        name: _total(
            [
                (getattr(row, f"{name}_value"), getattr(row, f"{name}_suppressed"), k)
                for row, k in rows
            ]
        )
        for name in COUNTS
    }
    rated = [row for row, _ in rows if row.response_rate is not None]
    responded = sum(row.responded_value or 0 for row in rated)
    due = responded + sum(row.late_value or 0 for row in rated)
    rate = (
        None
        if due == 0
        else (Decimal(responded) / Decimal(due)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    )
    medians = [Decimal(row.median_working_days) for row, _ in rows if row.median_working_days]
    return RoutingByType(
        organisation_type=kind,
        counts=counts,
        response_rate=rate,
        response_rate_hubs=len(rated),
        median_working_days=median(medians, Decimal("0.1")),
        median_hubs=len(medians),
    )
