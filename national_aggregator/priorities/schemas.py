"""The priorities query string, and the JSON forms of the national ranking and of one theme.

`PrioritiesSchema` and `ThemeDetailSchema` document `priorities_json`'s and
`theme_json`'s output in the OpenAPI document.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import Any

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate

from federation.periods import Period
from national_aggregator.priorities.services import (
    BORDA,
    COVERAGE,
    RANKING,
    TREND,
    NationalPriorities,
    PeriodTotals,
    Priority,
    ThemeDetail,
)
from national_aggregator.registry.models import Hub

# What a period looks like; Period.parse decides whether it is a real one (2026-13 is not).
PERIOD_PATTERN = (
    r"^[0-9]{4}(-([0-9]{2}|Q[1-4]|W[0-9]{2}|[0-9]{2}-[0-9]{2}/[0-9]{4}-[0-9]{2}-[0-9]{2}))?$"
)


def parse_period(text: str) -> Period:
    """`2026` (a calendar year), or what `federation.periods.Period.parse` reads (2026-10,
    2026-Q4, 2026-W44, 2026-10-01/2026-10-31). Raises ValueError naming the forms."""
    text = text.strip()
    if re.fullmatch(r"\d{4}", text):
        year = int(text)
        if year < 1:
            raise ValueError(f"cannot read period {text!r}: there is no year 0")
        return Period(date(year, 1, 1), date(year, 12, 31))
    try:
        return Period.parse(text)
    except ValueError as exc:
        raise ValueError(f"{exc} (or 2026 for a whole year)") from exc


def period_name(period: Period) -> str:
    """The shortest name `parse_period` reads back: 2026, 2026-Q4, 2026-10 or start/end."""
    start, end = period.start, period.end
    if (start.month, start.day, end.month, end.day) == (1, 1, 12, 31) and start.year == end.year:
        return str(start.year)
    if start.day == 1 and start.month % 3 == 1 and start.year == end.year:
        quarter = Period.parse(f"{start.year}-Q{(start.month + 2) // 3}")
        if quarter == period:
            return f"{start.year}-Q{(start.month + 2) // 3}"
    return period.label


class PeriodField(fields.Field[Period]):
    """A period named as `parse_period` reads it (2026, 2026-Q4, 2026-10 …)."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Period:
        try:
            return parse_period(str(value))
        except ValueError as exc:
            raise ValidationError(str(exc)) from exc


class PrioritiesQuerySchema(Schema):
    class Meta:
        unknown = EXCLUDE  # links may carry tracking parameters; only these matter

    period = PeriodField(
        metadata={
            "description": "2026 (a year), 2026-Q4, 2026-10 (a month), 2026-W44 or "
            "2026-10-01/2026-10-31: each hub's summaries for periods inside it are added up; "
            "absent: the latest period any hub has sent",
            "pattern": PERIOD_PATTERN,
            "example": "2026-10",
        }
    )
    region = fields.String(
        validate=validate.Length(min=1, max=100),
        metadata={
            "description": "only the hubs registered in this region (as `GET /api/v1/hubs` "
            "names it); absent: all of England. A region no hub is registered in is a 400",
            "example": "North West",
        },
    )


def check_region(query: dict[str, Any], known: list[str]) -> None:
    """Raise a ValidationError naming `region` unless it is absent or a registered hub's."""
    region = query.get("region")
    if region is not None and region not in known:
        choices = ", ".join(known) or "none yet"
        raise ValidationError(
            {"region": [f"no registered hub is in region {region!r}; regions: {choices}"]}
        )


def _hub(hub: Hub) -> dict[str, str]:
    return {"gss": hub.gss, "name": hub.name, "region": hub.region}


def _coverage(result: NationalPriorities) -> list[dict[str, Any]]:
    """Each reporting hub's summaries used, in `hubs_reporting` order."""
    return [
        {
            "gss": hub.gss,
            "periods_used": result.coverage[hub.gss].periods_used,
            "days_covered": result.coverage[hub.gss].days_covered,
            "partial": result.coverage[hub.gss].partial,
        }
        for hub in result.hubs_reporting
        if hub.gss in result.coverage
    ]


def _days(period: Period | None) -> int | None:
    return None if period is None else (period.end - period.start).days + 1


def _period(period: Any) -> dict[str, str] | None:
    return None if period is None else {**period.as_json(), "label": period.label}


def _priority(row: Priority) -> dict[str, Any]:
    return {
        "rank": row.rank,
        "code": row.code,
        "name": row.name,
        "total": row.total,
        "lower": row.lower,
        "upper": row.upper,
        "hubs_reporting": row.hubs_reporting,
        "hubs_suppressed": row.hubs_suppressed,
        "rate_per_100k": str(row.rate_per_100k),
        "top5_hubs": row.top5_hubs,
        "contributions": row.contributions,
        "borda_points": str(row.borda_points.quantize(Decimal("0.1"))),
        "borda_rank": row.borda_rank,
        "previous_total": row.previous_total,
        "previous_rank": row.previous_rank,
        "change_total": row.change_total,
        "change_rank": row.change_rank,
        "movement": row.movement,
    }


def priorities_json(result: NationalPriorities, ranking: str = RANKING) -> dict[str, Any]:
    """The document `GET /api/v1/priorities` returns."""
    previous = result.previous_hubs_reporting
    return {
        "period": _period(result.period),
        "region": result.region,
        "taxonomy": result.taxonomy,
        "ranking": ranking,
        "borda": BORDA,
        "trend": TREND,
        "borda_max": result.borda_max,
        "coverage": COVERAGE,
        "period_days": _days(result.period),
        "hubs_coverage": _coverage(result),
        "hubs_reporting": [_hub(hub) for hub in result.hubs_reporting],
        "hubs_missing": [_hub(hub) for hub in result.hubs_missing],
        "previous_period": _period(result.previous),
        "previous_hubs_reporting": None if previous is None else [_hub(hub) for hub in previous],
        "priorities": [_priority(row) for row in result.priorities],
    }


def _history(point: PeriodTotals, code: str) -> dict[str, Any]:
    total, lower, upper = point.totals.get(code, (0, 0, 0))
    reported = point.hubs_reporting > 0
    return {
        "period": _period(point.period),
        "hubs_reporting": point.hubs_reporting,
        "total": total if reported else None,
        "lower": lower if reported else None,
        "upper": upper if reported else None,
    }


def theme_json(detail: ThemeDetail) -> dict[str, Any]:
    """The document `GET /api/v1/priorities/themes/<code>` returns."""
    national = detail.national
    return {
        "period": _period(national.period),
        "region": national.region,
        "taxonomy": national.taxonomy,
        "code": detail.code,
        "name": detail.name,
        "ranking": RANKING,
        "borda": BORDA,
        "trend": TREND,
        "coverage": COVERAGE,
        "priority": None if detail.priority is None else _priority(detail.priority),
        "hubs": [
            {
                **_hub(cell.hub),
                "status": cell.status,
                "people": cell.people,
                "suppressed_range": None
                if cell.suppressed_max is None
                else {"lower": cell.suppressed_cells, "upper": cell.suppressed_max},
                "lower": None if cell.status == "missing" else cell.lower,
                "upper": None if cell.status == "missing" else cell.upper,
                "place": cell.place,
                "themes": cell.themes,
                "periods_used": cell.periods_used,
            }
            for cell in detail.hubs
        ],
        "regions": [
            {
                "region": total.region,
                "total": total.total,
                "lower": total.lower,
                "upper": total.upper,
                "hubs_reporting": total.hubs_reporting,
                "hubs_suppressed": total.hubs_suppressed,
                "hubs_missing": total.hubs_missing,
                "rate_per_100k": None if total.rate_per_100k is None else str(total.rate_per_100k),
            }
            for total in detail.regions
        ],
        "history": [_history(point, detail.code) for point in detail.history],
        "quotes": [{"hub": _hub(quote.hub), "text": quote.text} for quote in detail.quotes],
    }


class ReportingPeriodSchema(Schema):
    start = fields.String(required=True, metadata={"description": "YYYY-MM-DD, inclusive"})
    end = fields.String(required=True, metadata={"description": "YYYY-MM-DD, inclusive"})
    label = fields.String(required=True, metadata={"description": "e.g. 2026-10 or 2026-Q4"})


class HubRefSchema(Schema):
    gss = fields.String(required=True)
    name = fields.String(required=True)
    region = fields.String(required=True)


class HubCoverageSchema(Schema):
    gss = fields.String(required=True)
    periods_used = fields.Integer(
        required=True,
        metadata={"description": "how many of the hub's summaries inside the period were added up"},
    )
    days_covered = fields.Integer(
        required=True,
        metadata={"description": "days of the period those summaries cover"},
    )
    is_partial = fields.Boolean(
        required=True,
        data_key="partial",
        metadata={"description": "true when they cover only part of the period (see coverage)"},
    )


class PrioritySchema(Schema):
    rank = fields.Integer(required=True)
    code = fields.String(required=True)
    name = fields.String(required=True)
    total = fields.Integer(required=True)
    lower = fields.Integer(required=True)
    upper = fields.Integer(required=True)
    hubs_reporting = fields.Integer(required=True)
    hubs_suppressed = fields.Integer(required=True)
    rate_per_100k = fields.String(required=True, metadata={"description": "one decimal place"})
    top5_hubs = fields.Integer(required=True)
    contributions = fields.Integer(
        required=True,
        metadata={"description": "items raised: the sum of the published contributions cells"},
    )
    borda_points = fields.String(
        required=True,
        metadata={"description": "Borda points over the hubs' own rankings (see `borda`)"},
    )
    borda_rank = fields.Integer(
        required=True, metadata={"description": "by borda_points; equal points share a rank"}
    )
    previous_total = fields.Integer(
        required=True,
        allow_none=True,
        metadata={"description": "total in previous_period; null when no hub reported it"},
    )
    previous_rank = fields.Integer(
        required=True,
        allow_none=True,
        metadata={"description": "rank in previous_period; null when new or nothing to compare"},
    )
    change_total = fields.Integer(required=True, allow_none=True)
    change_rank = fields.Integer(
        required=True, allow_none=True, metadata={"description": "positive: moved up"}
    )
    movement = fields.String(
        required=True,
        allow_none=True,
        validate=validate.OneOf(["new", "up", "down", "same"]),
        metadata={"description": "new, up, down or same; null: nothing to compare with"},
    )


class PrioritiesSchema(Schema):
    period = fields.Nested(ReportingPeriodSchema, required=True, allow_none=True)
    region = fields.String(
        required=True, allow_none=True, metadata={"description": "null: all of England"}
    )
    taxonomy = fields.String(required=True)
    ranking = fields.String(required=True, metadata={"description": "how themes are ranked"})
    borda = fields.String(required=True, metadata={"description": "how borda_rank is worked out"})
    trend = fields.String(required=True, metadata={"description": "how the trend is worked out"})
    borda_max = fields.Integer(
        required=True,
        metadata={"description": "the points of a theme first in every reporting hub"},
    )
    coverage = fields.String(
        required=True, metadata={"description": "which summaries are added up for a period"}
    )
    period_days = fields.Integer(
        required=True, allow_none=True, metadata={"description": "days in the period"}
    )
    hubs_coverage = fields.List(
        fields.Nested(HubCoverageSchema),
        required=True,
        metadata={
            "description": "each reporting hub's summaries used, as hubs_reporting lists them"
        },
    )
    hubs_reporting = fields.List(fields.Nested(HubRefSchema), required=True)
    hubs_missing = fields.List(
        fields.Nested(HubRefSchema),
        required=True,
        metadata={"description": "expected hubs with no summary for the period: missing, not 0"},
    )
    previous_period = fields.Nested(ReportingPeriodSchema, required=True, allow_none=True)
    previous_hubs_reporting = fields.List(
        fields.Nested(HubRefSchema), required=True, allow_none=True
    )
    priorities = fields.List(fields.Nested(PrioritySchema), required=True)


class SuppressedRangeSchema(Schema):
    lower = fields.Integer(required=True)
    upper = fields.Integer(required=True)


class ThemeHubSchema(Schema):
    gss = fields.String(required=True)
    name = fields.String(required=True)
    region = fields.String(required=True)
    status = fields.String(
        required=True,
        validate=validate.OneOf(["published", "suppressed", "missing"]),
        metadata={
            "description": "published: every cell published; suppressed: at least one cell "
            "suppressed; missing: the hub sent no summary for the period"
        },
    )
    people = fields.Integer(
        required=True,
        allow_none=True,
        metadata={"description": "the hub's published cells for the period, summed; null: none"},
    )
    suppressed_range = fields.Nested(
        SuppressedRangeSchema,
        required=True,
        allow_none=True,
        metadata={"description": "what the hub's suppressed cells hide: 1 to k-1 each, summed"},
    )
    lower = fields.Integer(
        required=True, allow_none=True, metadata={"description": "null: missing"}
    )
    upper = fields.Integer(
        required=True, allow_none=True, metadata={"description": "null: missing"}
    )
    periods_used = fields.Integer(
        required=True,
        allow_none=True,
        metadata={"description": "the hub's summaries added up; null: missing"},
    )
    place = fields.Integer(
        required=True,
        allow_none=True,
        metadata={"description": "the theme's place in the hub's own ranking (ties share)"},
    )
    themes = fields.Integer(required=True, allow_none=True)


class ThemeRegionSchema(Schema):
    region = fields.String(required=True)
    total = fields.Integer(required=True)
    lower = fields.Integer(required=True)
    upper = fields.Integer(required=True)
    hubs_reporting = fields.Integer(required=True)
    hubs_suppressed = fields.Integer(required=True)
    hubs_missing = fields.Integer(required=True)
    rate_per_100k = fields.String(required=True, allow_none=True)


class ThemeHistorySchema(Schema):
    period = fields.Nested(ReportingPeriodSchema, required=True)
    hubs_reporting = fields.Integer(required=True)
    total = fields.Integer(
        required=True, allow_none=True, metadata={"description": "null: no hub reported"}
    )
    lower = fields.Integer(required=True, allow_none=True)
    upper = fields.Integer(required=True, allow_none=True)


class ThemeQuoteSchema(Schema):
    hub = fields.Nested(HubRefSchema, required=True)
    text = fields.String(required=True)


class ThemeDetailSchema(Schema):
    period = fields.Nested(ReportingPeriodSchema, required=True, allow_none=True)
    region = fields.String(required=True, allow_none=True)
    taxonomy = fields.String(required=True)
    code = fields.String(required=True)
    name = fields.String(required=True)
    ranking = fields.String(required=True)
    borda = fields.String(required=True)
    trend = fields.String(required=True)
    coverage = fields.String(required=True)
    priority = fields.Nested(PrioritySchema, required=True, allow_none=True)
    hubs = fields.List(fields.Nested(ThemeHubSchema), required=True)
    regions = fields.List(fields.Nested(ThemeRegionSchema), required=True)
    history = fields.List(
        fields.Nested(ThemeHistorySchema),
        required=True,
        metadata={"description": "this period and up to 5 of the same length before, oldest first"},
    )
    quotes = fields.List(fields.Nested(ThemeQuoteSchema), required=True)
