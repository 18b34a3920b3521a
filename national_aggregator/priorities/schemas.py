"""The priorities query string, and the JSON form of the national ranking.

`PrioritiesSchema` documents `priorities_json`'s output in the OpenAPI document.
"""

from __future__ import annotations

from typing import Any

from marshmallow import EXCLUDE, Schema, ValidationError, fields

from federation.periods import Period
from national_aggregator.priorities.services import NationalPriorities
from national_aggregator.registry.models import Hub

# What a period looks like; Period.parse decides whether it is a real one (2026-13 is not).
PERIOD_PATTERN = (
    r"^[0-9]{4}-([0-9]{2}|Q[1-4]|W[0-9]{2}|[0-9]{2}-[0-9]{2}/[0-9]{4}-[0-9]{2}-[0-9]{2})$"
)


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

    period = PeriodField(
        metadata={
            "description": "2026-10 (a month), 2026-Q4, 2026-W44 or 2026-10-01/2026-10-31; "
            "absent: the latest period any hub has sent",
            "pattern": PERIOD_PATTERN,
            "example": "2026-10",
        }
    )


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
                "contributions": row.contributions,
            }
            for row in result.priorities
        ],
    }


class ReportingPeriodSchema(Schema):
    start = fields.String(required=True, metadata={"description": "YYYY-MM-DD, inclusive"})
    end = fields.String(required=True, metadata={"description": "YYYY-MM-DD, inclusive"})
    label = fields.String(required=True, metadata={"description": "e.g. 2026-10 or 2026-Q4"})


class HubRefSchema(Schema):
    gss = fields.String(required=True)
    name = fields.String(required=True)
    region = fields.String(required=True)


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


class PrioritiesSchema(Schema):
    period = fields.Nested(ReportingPeriodSchema, required=True, allow_none=True)
    taxonomy = fields.String(required=True)
    ranking = fields.String(required=True, metadata={"description": "how themes are ranked"})
    hubs_reporting = fields.List(fields.Nested(HubRefSchema), required=True)
    hubs_missing = fields.List(fields.Nested(HubRefSchema), required=True)
    priorities = fields.List(fields.Nested(PrioritySchema), required=True)
