"""The priorities query string, and the JSON form of the national ranking."""

from __future__ import annotations

from typing import Any

from marshmallow import EXCLUDE, Schema, ValidationError, fields

from federation.periods import Period
from national_aggregator.priorities.services import NationalPriorities
from national_aggregator.registry.models import Hub


class PeriodField(fields.Field[Period]):
    """A period named as `federation.periods.Period.parse` reads it (2026-10, 2026-Q4 …)."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Period:
        try:
            return Period.parse(str(value))
        except ValueError as exc:
            raise ValidationError(str(exc)) from exc


class PrioritiesQuerySchema(Schema):
    class Meta:
        unknown = EXCLUDE  # links may carry tracking parameters; only `period` matters

    period = PeriodField(load_default=None)


def _hub(hub: Hub) -> dict[str, str]:
    return {"gss": hub.gss, "name": hub.name, "region": hub.region}


def priorities_json(result: NationalPriorities, ranking: str) -> dict[str, Any]:
    """The document `GET /api/v1/priorities` returns."""
    period = result.period
    return {
        "period": None if period is None else {**period.as_json(), "label": period.label},
        "taxonomy": result.taxonomy,
        "ranking": ranking,
        "hubs_reporting": [_hub(hub) for hub in result.hubs_reporting],
        "hubs_missing": [_hub(hub) for hub in result.hubs_missing],
        "priorities": [
            {
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
            }
            for row in result.priorities
        ],
    }
