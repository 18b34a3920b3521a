"""Every published national table as rows of plain values, with a dictionary of its columns.

Each table is a `Table` in `TABLES`: its columns (name, type, unit, meaning,
and when a cell is empty) and a function that builds its rows from the
feature that publishes the figures (`priorities.services`,
`voices.services`), never from SQL of its own, so a download always agrees
with the page it comes from. The data dictionary is generated from the same
`Column`s, and `table_data` refuses a row whose keys are not exactly the
table's columns, so the dictionary cannot drift from the downloads.

To publish another table (board responses, say), append one `Table` to
`TABLES`; the /data page, the CSV and JSON downloads, `/api/v1/data/<table>`
and the dictionary pick it up. A table that does not depend on a period or
region sets `by_period=False`.

Values are plain: int, str, None, or Decimal (a decimal number, written as a
string in JSON and as digits in CSV, never a float). None is an empty CSV
cell and JSON null; what it means is each column's `empty_when`.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from federation.disclosure.routing import COUNTS
from federation.periods import Period
from federation.taxonomy import CURRENT_VERSION, load_taxonomy
from national_aggregator.priorities.services import (
    HubCell,
    _hub_cells,
    national_priorities,
)
from national_aggregator.registry.models import Hub
from national_aggregator.voices.services import (
    FLAG_ORDER,
    CountTotal,
    hidden_voices,
    national_routing,
)

LICENCE = "Open Government Licence v3.0"
LICENCE_URL = "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/"
TYPES = {
    "integer": "a whole number",
    "string": "text",
    "date": "a date, YYYY-MM-DD",
    "decimal": "a decimal number, written as a string in JSON (never a float)",
}
NEVER = "never"


@dataclass(frozen=True)
class Column:
    """One column of a published table: its dictionary entry."""

    name: str
    type: str  # a key of TYPES
    unit: str  # what one of it counts ("people", "hubs") or "none" for names and codes
    meaning: str
    empty_when: str = NEVER  # when the cell is empty in CSV and null in JSON


@dataclass(frozen=True)
class TableData:
    """A table's rows for one period and region."""

    period: Period | None  # None: no hub has sent a summary yet (or the table has no period)
    region: str | None  # None: all of England
    rows: list[dict[str, Any]]


Builder = Callable[[Session, Period | None, str | None], TableData]


@dataclass(frozen=True)
class Table:
    """A published national table: what /data lists and downloads."""

    name: str  # in URLs: /data/<name>.csv, /data/<name>.json, /api/v1/data/<name>
    title: str
    description: str
    source: str  # the page whose figures these are, as a path
    columns: tuple[Column, ...]
    build: Builder = field(repr=False)
    by_period: bool = True  # takes ?period= and ?region=

    @property
    def column_names(self) -> list[str]:
        return [column.name for column in self.columns]


class UnknownTable(KeyError):
    """No published table has this name."""


# --- columns shared by the tables ----------------------------------------------------------

PERIOD_COLUMNS = (
    Column("period_start", "date", "none", "first day of the reporting period (inclusive)"),
    Column("period_end", "date", "none", "last day of the reporting period (inclusive)"),
    Column(
        "region",
        "string",
        "none",
        "the region the figures are limited to, as hubs are registered",
        empty_when="the figures cover all of England",
    ),
)


def _hub_columns(prefix: str = "hub") -> tuple[Column, ...]:
    return (
        Column(f"{prefix}_gss", "string", "none", "the hub's area: its ONS GSS code"),
        Column(f"{prefix}_name", "string", "none", "the hub's name"),
        Column(f"{prefix}_region", "string", "none", "the region the hub is registered in"),
    )


def _where(period: Period | None, region: str | None) -> dict[str, Any]:
    return {
        "period_start": None if period is None else period.start.isoformat(),
        "period_end": None if period is None else period.end.isoformat(),
        "region": region,
    }


def _hub(hub: Hub, prefix: str = "hub") -> dict[str, Any]:
    return {f"{prefix}_gss": hub.gss, f"{prefix}_name": hub.name, f"{prefix}_region": hub.region}


# --- priorities ----------------------------------------------------------------------------

NO_TREND = "no hub reported the previous period of the same length"
PRIORITY_COLUMNS = (
    *PERIOD_COLUMNS,
    Column("rank", "integer", "place", "place by total people (1 is the most; ties by code)"),
    Column("code", "string", "none", "the national theme code (taxonomy national/1)"),
    Column("name", "string", "none", "the national theme's name"),
    Column(
        "total",
        "integer",
        "people",
        "the sum of the reporting hubs' published counts of distinct people who raised or "
        "supported something in the theme (each rounded to 5; a suppressed count adds 0)",
    ),
    Column(
        "lower",
        "integer",
        "people",
        "lower bound of the true total: total plus 1 for each suppressed hub cell",
    ),
    Column(
        "upper",
        "integer",
        "people",
        "upper bound of the true total: total plus k-1 (7 by default) for each suppressed cell",
    ),
    Column("hubs_reporting", "integer", "hubs", "hubs whose summary has a cell for the theme"),
    Column("hubs_suppressed", "integer", "hubs", "hubs whose cell for the theme was suppressed"),
    Column(
        "rate_per_100k",
        "decimal",
        "people per 100,000 residents",
        "total per 100,000 residents of the hubs reporting the period, one decimal place",
    ),
    Column("top5_hubs", "integer", "hubs", "hubs where the theme is in their own top 5"),
    Column(
        "contributions",
        "integer",
        "items",
        "items raised: the sum of the published (rounded, per-person capped) cells",
    ),
    Column(
        "borda_points",
        "decimal",
        "points",
        "Borda points over the hubs' own rankings (every hub has the same say), one place",
    ),
    Column("borda_rank", "integer", "place", "place by borda_points; equal points share it"),
    Column(
        "previous_total",
        "integer",
        "people",
        "total in the previous period of the same length",
        empty_when=NO_TREND,
    ),
    Column(
        "previous_rank",
        "integer",
        "place",
        "rank in the previous period",
        empty_when=NO_TREND + ", or nobody raised the theme then",
    ),
    Column("change_total", "integer", "people", "total - previous_total", empty_when=NO_TREND),
    Column(
        "change_rank",
        "integer",
        "places",
        "previous_rank - rank: positive when the theme moved up",
        empty_when="previous_rank is empty",
    ),
    Column(
        "movement",
        "string",
        "none",
        "up, down or same by rank; new when nobody raised the theme in the previous period",
        empty_when=NO_TREND,
    ),
)


def priorities_table(session: Session, period: Period | None, region: str | None) -> TableData:
    """The national ranking (`national_priorities`), one row per theme, in rank order."""
    result = national_priorities(session, period, region)
    where = _where(result.period, region)
    rows = [
        {
            **where,
            "rank": row.rank,
            "code": row.code,
            "name": row.name,
            "total": row.total,
            "lower": row.lower,
            "upper": row.upper,
            "hubs_reporting": row.hubs_reporting,
            "hubs_suppressed": row.hubs_suppressed,
            "rate_per_100k": row.rate_per_100k,
            "top5_hubs": row.top5_hubs,
            "contributions": row.contributions,
            "borda_points": row.borda_points.quantize(Decimal("0.1")),
            "borda_rank": row.borda_rank,
            "previous_total": row.previous_total,
            "previous_rank": row.previous_rank,
            "change_total": row.change_total,
            "change_rank": row.change_rank,
            "movement": row.movement,
        }
        for row in result.priorities
    ]
    return TableData(result.period, region, rows)


# --- each theme in each hub ----------------------------------------------------------------

NOT_PUBLISHED = "status is suppressed or missing"
THEME_HUB_COLUMNS = (
    *PERIOD_COLUMNS,
    Column("theme_code", "string", "none", "the national theme code"),
    Column("theme_name", "string", "none", "the national theme's name"),
    *_hub_columns(),
    Column(
        "status",
        "string",
        "none",
        "published (a count), suppressed (1 to k-1 people, hidden) or missing (the hub sent "
        "no summary for the period: missing, never zero)",
    ),
    Column(
        "people",
        "integer",
        "people",
        "the hub's published count of distinct people in the theme, rounded to 5",
        empty_when=NOT_PUBLISHED,
    ),
    Column(
        "people_lower",
        "integer",
        "people",
        "lower bound of the true count: people if published, 1 if suppressed",
        empty_when="status is missing",
    ),
    Column(
        "people_upper",
        "integer",
        "people",
        "upper bound of the true count: people if published, k-1 (7 by default) if suppressed",
        empty_when="status is missing",
    ),
    Column(
        "place",
        "integer",
        "place",
        "the theme's place in the hub's own ranking by count (ties share a place)",
        empty_when="status is missing",
    ),
    Column(
        "themes",
        "integer",
        "themes",
        "how many themes the hub's ranking has",
        empty_when="status is missing",
    ),
)


def _cell_row(code: str, name: str, cell: HubCell) -> dict[str, Any]:
    published = cell.status == "published"
    suppressed = cell.status == "suppressed"
    return {
        "theme_code": code,
        "theme_name": name,
        **_hub(cell.hub),
        "status": cell.status,
        "people": cell.people if published else None,
        "people_lower": cell.lower if published or suppressed else None,
        "people_upper": cell.upper if published or suppressed else None,
        "place": cell.place,
        "themes": cell.themes,
    }


def theme_hubs_table(session: Session, period: Period | None, region: str | None) -> TableData:
    """Each theme's cell in each expected hub, as `/priorities/themes/<code>` lists them."""
    national = national_priorities(session, period, region)
    if national.period is None:
        return TableData(None, region, [])
    where = _where(national.period, region)
    taxonomy = load_taxonomy(CURRENT_VERSION)
    rows: list[dict[str, Any]] = []
    for code in taxonomy.codes:
        cells = _hub_cells(session, code, national.period, region)
        cells.extend(
            HubCell(hub, "missing", None, None, None, None) for hub in national.hubs_missing
        )
        cells.sort(key=lambda cell: (cell.hub.name, cell.hub.gss))
        rows.extend({**where, **_cell_row(code, taxonomy.name_of(code), cell)} for cell in cells)
    return TableData(national.period, region, rows)


# --- hubs reporting and missing ------------------------------------------------------------

HUB_COLUMNS = (
    *PERIOD_COLUMNS,
    *_hub_columns(),
    Column("population", "integer", "residents", "the hub area's resident population"),
    Column(
        "status",
        "string",
        "none",
        "reported (sent at least one summary for a period inside this one) or missing "
        "(registered, not revoked, sent none: never counted as zero)",
    ),
)


def hubs_table(session: Session, period: Period | None, region: str | None) -> TableData:
    """The hubs that reported the period and those missing, as the priorities page lists them."""
    result = national_priorities(session, period, region)
    where = _where(result.period, region)
    rows = [
        {**where, **_hub(hub), "population": hub.population, "status": status}
        for status, hubs in (("reported", result.hubs_reporting), ("missing", result.hubs_missing))
        for hub in hubs
    ]
    return TableData(result.period, region, rows)


# --- hidden voices -------------------------------------------------------------------------


def flag_column(flag: str) -> str:
    """`under-represented` → `hubs_under_represented`."""
    return "hubs_" + re.sub(r"[^a-z]+", "_", flag).strip("_")


NO_RATIO = "no reporting hub published a ratio for the group (a cell of its table was suppressed)"
GROUP_COLUMNS = (
    *PERIOD_COLUMNS,
    Column("characteristic", "string", "none", "age band, ethnic group, disability … (code)"),
    Column("category", "string", "none", "the group within the characteristic (code)"),
    Column("label", "string", "none", "the characteristic and group in words"),
    *(
        Column(flag_column(flag), "integer", "hubs", f"reporting hubs that flag the group {flag}")
        for flag in FLAG_ORDER
    ),
    Column(
        "hubs_not_covered",
        "integer",
        "hubs",
        "hubs with a population profile that does not cover this characteristic",
    ),
    Column("hubs_with_ratio", "integer", "hubs", "hubs that published a ratio for the group"),
    Column(
        "median_ratio",
        "decimal",
        "ratio",
        "the median of the hubs' ratios (share of people taking part / share of the area's "
        "population; 1 is in proportion), four places",
        empty_when=NO_RATIO,
    ),
    Column(
        "under_rank",
        "integer",
        "place",
        "place among the groups under-represented in most places (1: flagged by most hubs)",
        empty_when="no hub flags the group under-represented",
    ),
)


def hidden_voices_table(session: Session, period: Period | None, region: str | None) -> TableData:
    """Each group across hubs (`hidden_voices`), in catalogue order."""
    result = hidden_voices(session, period, region)
    where = _where(result.period, region)
    under = {
        (group.characteristic, group.category): place
        for place, group in enumerate(result.most_under, start=1)
    }
    rows = [
        {
            **where,
            "characteristic": group.characteristic,
            "category": group.category,
            "label": f"{group.characteristic_label}: {group.category_label}",
            **{flag_column(flag): group.flags[flag] for flag in FLAG_ORDER},
            "hubs_not_covered": group.not_covered,
            "hubs_with_ratio": group.hubs_with_ratio,
            "median_ratio": group.median_ratio,
            "under_rank": under.get((group.characteristic, group.category)),
        }
        for group in result.groups
    ]
    return TableData(result.period, region, rows)


DOING_WELL_COLUMNS = (
    *PERIOD_COLUMNS,
    Column("characteristic", "string", "none", "the characteristic (code)"),
    Column("category", "string", "none", "the group (code)"),
    Column("label", "string", "none", "the characteristic and group in words"),
    *_hub_columns(),
    Column(
        "ratio",
        "decimal",
        "ratio",
        "the hub's published representation ratio for the group, four places",
        empty_when="the hub published bounds but no ratio (a cell of its table was suppressed)",
    ),
    Column("lower", "decimal", "ratio", "lower end of the hub's 95% interval (at least 1 here)"),
    Column("upper", "decimal", "ratio", "upper end of the hub's 95% interval"),
    Column("flag", "string", "none", f"the hub's flag for the group ({', '.join(FLAG_ORDER)})"),
)


def doing_well_table(session: Session, period: Period | None, region: str | None) -> TableData:
    """Hubs doing well with a group: the lower end of their interval at least 1."""
    result = hidden_voices(session, period, region)
    where = _where(result.period, region)
    rows = [
        {
            **where,
            "characteristic": group.characteristic,
            "category": group.category,
            "label": f"{group.characteristic_label}: {group.category_label}",
            **_hub(figures.hub),
            "ratio": figures.ratio,
            "lower": figures.lower,
            "upper": figures.upper,
            "flag": figures.flag,
        }
        for group in result.groups
        for figures in group.doing_well
    ]
    return TableData(result.period, region, rows)


# --- routing -------------------------------------------------------------------------------

WINDOW_COLUMNS = (
    Column("window_start", "date", "none", "first day of the 365 days the routing covers"),
    Column("window_end", "date", "none", "last day of the window: the period's last day"),
)


def _count_columns(name: str, unit: str, what: str) -> tuple[Column, ...]:
    return (
        Column(
            f"{name}_total",
            "integer",
            unit,
            f"{what}: the sum of the hubs' published cells (suppressed cells add 0)",
        ),
        Column(f"{name}_lower", "integer", unit, f"{name}_total plus 1 per suppressed cell"),
        Column(f"{name}_upper", "integer", unit, f"{name}_total plus k-1 per suppressed cell"),
        Column(f"{name}_hubs_suppressed", "integer", "hubs", f"hubs whose {name} cell was hidden"),
    )


COUNT_MEANINGS = {
    "routed": "items routed to an organisation of this type",
    "responded": "routed items answered",
    "late": "routed items past their deadline without an answer",
    "changes": "answers that led to a change (planned or made)",
}
ROUTING_COLUMNS = (
    *PERIOD_COLUMNS,
    *WINDOW_COLUMNS,
    Column("organisation_type", "string", "none", "council-department, icb, nhs-trust …"),
    *(column for name in COUNTS for column in _count_columns(name, "items", COUNT_MEANINGS[name])),
    Column(
        "response_rate",
        "decimal",
        "proportion",
        "responded / (responded + late) over the hubs that published a rate, two places",
        empty_when="no hub published a response rate for the type",
    ),
    Column("response_rate_hubs", "integer", "hubs", "hubs that published a response rate"),
    Column(
        "median_working_days",
        "decimal",
        "working days",
        "the median of the hubs' published median working days to respond, one place",
        empty_when="no hub published a median (each needs at least k answers)",
    ),
    Column("median_hubs", "integer", "hubs", "hubs that published a median"),
)


def _counts(name: str, total: CountTotal) -> dict[str, int]:
    return {
        f"{name}_total": total.total,
        f"{name}_lower": total.lower,
        f"{name}_upper": total.upper,
        f"{name}_hubs_suppressed": total.hubs_suppressed,
    }


def routing_table(session: Session, period: Period | None, region: str | None) -> TableData:
    """Items routed to local organisations and their answers, by organisation type."""
    result = national_routing(session, period, region)
    if result.window is None or result.national is None:
        return TableData(result.period, region, [])
    where = _where(result.period, region)
    window = {
        "window_start": result.window[0].isoformat(),
        "window_end": result.window[1].isoformat(),
    }
    rows = [
        {
            **where,
            **window,
            "organisation_type": row.organisation_type,
            **{
                key: value
                for name in COUNTS
                for key, value in _counts(name, row.counts[name]).items()
            },
            "response_rate": row.response_rate,
            "response_rate_hubs": row.response_rate_hubs,
            "median_working_days": row.median_working_days,
            "median_hubs": row.median_hubs,
        }
        for row in result.by_type
    ]
    return TableData(result.period, region, rows)


NO_ROUTING = "no reporting hub sent routing figures for the period"
ROUTING_NATIONAL_COLUMNS = (
    *PERIOD_COLUMNS,
    Column(
        "window_start", "date", "none", "first day of the 365 days covered", empty_when=NO_ROUTING
    ),
    Column("window_end", "date", "none", "last day of the window", empty_when=NO_ROUTING),
    Column("hubs_with_routing", "integer", "hubs", "reporting hubs that sent routing figures"),
    Column(
        "hubs_without_routing", "integer", "hubs", "reporting hubs that sent no routing figures"
    ),
    Column("hubs_missing", "integer", "hubs", "expected hubs that sent no summary"),
    *(
        Column(column.name, column.type, column.unit, column.meaning, empty_when=NO_ROUTING)
        for column in _count_columns(
            "national", "items", "items triaged as national candidates in the window"
        )
    ),
)


def routing_national_table(
    session: Session, period: Period | None, region: str | None
) -> TableData:
    """One row: how many hubs sent routing figures, and the national candidates they counted."""
    result = national_routing(session, period, region)
    if result.period is None:
        return TableData(None, region, [])
    national = (
        _counts("national", result.national)
        if result.national is not None
        else dict.fromkeys(
            ("national_total", "national_lower", "national_upper", "national_hubs_suppressed")
        )
    )
    row = {
        **_where(result.period, region),
        "window_start": None if result.national is None or result.window is None
        else result.window[0].isoformat(),
        "window_end": None if result.national is None or result.window is None
        else result.window[1].isoformat(),
        "hubs_with_routing": len(result.hubs_with_routing),
        "hubs_without_routing": len(result.hubs_without_routing),
        "hubs_missing": len(result.hubs_missing),
        **national,
    }  # fmt: skip
    return TableData(result.period, region, [row])


# --- the registry --------------------------------------------------------------------------

# Every published national table, in the order /data lists them. Add a table with one entry.
TABLES: list[Table] = [
    Table(
        "priorities",
        "National priorities",
        "Each national theme's total people, bounds where hubs suppressed a cell, rate per "
        "100,000 residents, breadth (top-5 hubs), Borda rank and trend.",
        "/priorities",
        PRIORITY_COLUMNS,
        priorities_table,
    ),
    Table(
        "theme-hubs",
        "Each theme in each hub",
        "Every hub's published cell for every theme: a count, suppressed (with its bounds) or "
        "missing, and the theme's place in the hub's own ranking.",
        "/priorities",  # each theme's row links its page, /priorities/themes/<code>
        THEME_HUB_COLUMNS,
        theme_hubs_table,
    ),
    Table(
        "hubs",
        "Hubs reporting and missing",
        "Every expected hub: whether it sent a summary for the period, with its population.",
        "/priorities",
        HUB_COLUMNS,
        hubs_table,
    ),
    Table(
        "hidden-voices",
        "Hidden voices: each group across hubs",
        "For each group: how many hubs flag it under-represented, in line or over-represented, "
        "and the median representation ratio.",
        "/hidden-voices",
        GROUP_COLUMNS,
        hidden_voices_table,
    ),
    Table(
        "hidden-voices-doing-well",
        "Hidden voices: hubs doing well with a group",
        "Each hub whose representation ratio for a group is clearly at least 1, with its ratio "
        "and interval, so others can learn from it.",
        "/hidden-voices",
        DOING_WELL_COLUMNS,
        doing_well_table,
    ),
    Table(
        "routing",
        "Routing to local organisations",
        "Items routed to councils, ICBs, trusts, GP practices and Healthwatch, answered, late "
        "and leading to a change, by organisation type, with bounds.",
        "/api/v1/routing",
        ROUTING_COLUMNS,
        routing_table,
    ),
    Table(
        "routing-national",
        "Routing: hubs counted and national candidates",
        "How many hubs sent routing figures, and the items they triaged as national candidates.",
        "/api/v1/routing",
        ROUTING_NATIONAL_COLUMNS,
        routing_national_table,
    ),
]


def table_named(name: str) -> Table:
    """The published table called `name`; raises UnknownTable."""
    for table in TABLES:
        if table.name == name:
            return table
    raise UnknownTable(name)


def table_data(
    session: Session, table: Table, period: Period | None, region: str | None
) -> TableData:
    """The table's rows; raises ValueError if a row's keys are not exactly its columns."""
    data = table.build(session, period, region)
    names = table.column_names
    for row in data.rows:
        if list(row) != names:
            extra = sorted(set(row) - set(names))
            absent = sorted(set(names) - set(row))
            raise ValueError(
                f"table {table.name}: a row does not match its columns "
                f"(not in the dictionary: {extra}; missing: {absent}; or out of order)"
            )
    return data


def json_value(value: Any) -> Any:
    """A cell for JSON: Decimal as its string, everything else as it is."""
    return str(value) if isinstance(value, Decimal) else value


def csv_value(value: Any) -> str:
    """A cell for CSV: empty for None, decimals as written."""
    return "" if value is None else str(value)


def table_csv(table: Table, data: TableData) -> str:
    """The table as CSV: a header row of the column names, then one row per record."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(table.column_names)
    for row in data.rows:
        writer.writerow([csv_value(row[name]) for name in table.column_names])
    return out.getvalue()


def table_json(table: Table, data: TableData, dictionary_url: str) -> dict[str, Any]:
    """The table as a JSON document: what it is, its period and region, columns and rows."""
    period = data.period
    return {
        "table": table.name,
        "title": table.title,
        "description": table.description,
        "period": None if period is None else {**period.as_json(), "label": period.label},
        "region": data.region,
        "licence": LICENCE,
        "licence_url": LICENCE_URL,
        "dictionary": dictionary_url,
        "columns": table.column_names,
        "rows": [{key: json_value(value) for key, value in row.items()} for row in data.rows],
    }


def download_name(table: Table, data: TableData, extension: str) -> str:
    """`hubnet-priorities-2026-10-north-west.csv`: ASCII, no slashes."""
    parts = ["hubnet", table.name]
    if data.period is not None:
        parts.append(f"{data.period.start.isoformat()}-to-{data.period.end.isoformat()}")
    if data.region:
        parts.append(re.sub(r"[^a-z0-9]+", "-", data.region.lower()).strip("-") or "region")
    return "-".join(parts) + "." + extension


SUPPRESSION = (
    "Hubs publish counts of distinct people, never lists of people. A count of 1 to k-1 "
    "(k is 8 by default, so 1 to 7) is suppressed: it is an empty cell in CSV and null in "
    "JSON, with a status column saying suppressed where a table has one; 0 stays 0; every "
    "other count is rounded to the nearest 5. National totals are built from the published, "
    "rounded cells: a suppressed cell adds 0 to a total, 1 to its lower bound and k-1 to its "
    "upper bound, so the true figure lies between the columns ending _lower (or lower) and "
    "_upper (or upper). A hub that sent no summary for the period is missing, never counted "
    "as zero."
)


def dictionary_json(urls: Callable[[Table], dict[str, str]]) -> dict[str, Any]:
    """Every column of every table: type, unit, meaning and when it is empty."""
    return {
        "licence": LICENCE,
        "licence_url": LICENCE_URL,
        "suppression": SUPPRESSION,
        "types": dict(TYPES),
        "tables": [
            {
                "name": table.name,
                "title": table.title,
                "description": table.description,
                "source": table.source,
                "by_period": table.by_period,
                **urls(table),
                "columns": [
                    {
                        "name": column.name,
                        "type": column.type,
                        "unit": column.unit,
                        "meaning": column.meaning,
                        "empty_when": column.empty_when,
                    }
                    for column in table.columns
                ],
            }
            for table in TABLES
        ],
    }


def tables() -> Sequence[Table]:
    """The published tables, in the order /data lists them."""
    return tuple(TABLES)
