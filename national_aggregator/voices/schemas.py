"""The hidden-voices and routing query strings, and their JSON documents.

`HiddenVoicesSchema` and `NationalRoutingSchema` document the output of
`hidden_voices_json` and `routing_json` in the OpenAPI document; decimals
travel as strings, as the hubs signed them.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from marshmallow import EXCLUDE, Schema, fields, validate

from national_aggregator.priorities.schemas import (
    PERIOD_PATTERN,
    HubRefSchema,
    PeriodField,
    ReportingPeriodSchema,
)
from national_aggregator.registry.models import Hub
from national_aggregator.voices.services import (
    FLAG_ORDER,
    METHOD,
    ROUTING_METHOD,
    CountTotal,
    GroupAcrossHubs,
    HubFigures,
    NationalRouting,
    NationalVoices,
)


class VoicesQuerySchema(Schema):
    class Meta:
        unknown = EXCLUDE  # links may carry tracking parameters

    period = PeriodField(
        metadata={
            "description": "2026-10 (a month), 2026-Q4, 2026-W44 or 2026-10-01/2026-10-31; "
            "absent: the latest period any hub has sent",
            "pattern": PERIOD_PATTERN,
            "example": "2026-10",
        }
    )
    region = fields.String(
        validate=validate.Length(min=1, max=100),
        metadata={
            "description": "only the hubs of this region (as registered, e.g. North West); "
            "absent: every region",
            "example": "North West",
        },
    )


def _text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _hub(hub: Hub) -> dict[str, str]:
    return {"gss": hub.gss, "name": hub.name, "region": hub.region}


def _period(result: NationalVoices | NationalRouting) -> dict[str, str] | None:
    period = result.period
    return None if period is None else {**period.as_json(), "label": period.label}


def _figures(figures: HubFigures) -> dict[str, Any]:
    return {
        "hub": _hub(figures.hub),
        "ratio": _text(figures.ratio),
        "lower": _text(figures.lower),
        "upper": _text(figures.upper),
        "flag": figures.flag,
    }


def _group(group: GroupAcrossHubs) -> dict[str, Any]:
    return {
        "characteristic": group.characteristic,
        "category": group.category,
        "label": f"{group.characteristic_label}: {group.category_label}",
        "hubs": dict(group.flags),
        "hubs_not_covered": group.not_covered,
        "hubs_with_ratio": group.hubs_with_ratio,
        "median_ratio": _text(group.median_ratio),
        "doing_well": [_figures(figures) for figures in group.doing_well],
    }


def hidden_voices_json(result: NationalVoices) -> dict[str, Any]:
    """The document `GET /api/v1/hidden-voices` returns."""
    return {
        "period": _period(result),
        "region": result.region,
        "method": METHOD,
        "hubs_with_profile": [_hub(hub) for hub in result.hubs_with_profile],
        "hubs_without_profile": [_hub(hub) for hub in result.hubs_without_profile],
        "hubs_missing": [_hub(hub) for hub in result.hubs_missing],
        "groups": [_group(group) for group in result.groups],
        "most_under_represented": [
            {
                "characteristic": group.characteristic,
                "category": group.category,
                "hubs_under": group.under,
                "hubs_with_figures": group.hubs_with_figures,
                "median_ratio": _text(group.median_ratio),
            }
            for group in result.most_under
        ],
    }


def _count(total: CountTotal) -> dict[str, int]:
    return {
        "total": total.total,
        "lower": total.lower,
        "upper": total.upper,
        "hubs_suppressed": total.hubs_suppressed,
    }


def routing_json(result: NationalRouting) -> dict[str, Any]:
    """The document `GET /api/v1/routing` returns."""
    return {
        "period": _period(result),
        "region": result.region,
        "method": ROUTING_METHOD,
        "window": None
        if result.window is None
        else {"start": result.window[0].isoformat(), "end": result.window[1].isoformat()},
        "hubs_with_routing": [_hub(hub) for hub in result.hubs_with_routing],
        "hubs_without_routing": [_hub(hub) for hub in result.hubs_without_routing],
        "hubs_missing": [_hub(hub) for hub in result.hubs_missing],
        "national": None if result.national is None else _count(result.national),
        "by_organisation_type": [
            {
                "organisation_type": row.organisation_type,
                **{name: _count(total) for name, total in row.counts.items()},
                "response_rate": _text(row.response_rate),
                "response_rate_hubs": row.response_rate_hubs,
                "median_working_days": _text(row.median_working_days),
                "median_hubs": row.median_hubs,
            }
            for row in result.by_type
        ],
    }


# --- OpenAPI ------------------------------------------------------------------------------

DECIMAL = {"description": "a decimal string, four places", "example": "0.8123"}


class HubFiguresSchema(Schema):
    hub = fields.Nested(HubRefSchema, required=True)
    ratio = fields.String(required=True, allow_none=True, metadata=DECIMAL)
    lower = fields.String(required=True, allow_none=True, metadata=DECIMAL)
    upper = fields.String(required=True, allow_none=True, metadata=DECIMAL)
    flag = fields.String(required=True, validate=validate.OneOf(FLAG_ORDER))


class GroupSchema(Schema):
    characteristic = fields.String(required=True, metadata={"example": "disability"})
    category = fields.String(required=True, metadata={"example": "disabled"})
    label = fields.String(required=True)
    hubs = fields.Dict(
        keys=fields.String(validate=validate.OneOf(FLAG_ORDER)),
        values=fields.Integer(),
        required=True,
        metadata={"description": "flag → reporting hubs whose published figures carry it"},
    )
    hubs_not_covered = fields.Integer(
        required=True,
        metadata={"description": "hubs with a profile that does not cover this characteristic"},
    )
    hubs_with_ratio = fields.Integer(required=True)
    median_ratio = fields.String(required=True, allow_none=True, metadata=DECIMAL)
    doing_well = fields.List(
        fields.Nested(HubFiguresSchema),
        required=True,
        metadata={"description": "hubs whose lower bound is at least 1, highest first"},
    )


class MostUnderSchema(Schema):
    characteristic = fields.String(required=True)
    category = fields.String(required=True)
    hubs_under = fields.Integer(required=True)
    hubs_with_figures = fields.Integer(required=True)
    median_ratio = fields.String(required=True, allow_none=True, metadata=DECIMAL)


class HiddenVoicesSchema(Schema):
    period = fields.Nested(ReportingPeriodSchema, required=True, allow_none=True)
    region = fields.String(required=True, allow_none=True)
    method = fields.String(required=True)
    hubs_with_profile = fields.List(fields.Nested(HubRefSchema), required=True)
    hubs_without_profile = fields.List(
        fields.Nested(HubRefSchema),
        required=True,
        metadata={"description": "sent a summary for the period with no population profile"},
    )
    hubs_missing = fields.List(
        fields.Nested(HubRefSchema),
        required=True,
        metadata={"description": "sent no summary for the period: missing, not zero"},
    )
    groups = fields.List(fields.Nested(GroupSchema), required=True)
    most_under_represented = fields.List(fields.Nested(MostUnderSchema), required=True)


class CountTotalSchema(Schema):
    total = fields.Integer(required=True)
    lower = fields.Integer(required=True)
    upper = fields.Integer(required=True)
    hubs_suppressed = fields.Integer(required=True)


class WindowSchema(Schema):
    start = fields.String(required=True, metadata={"description": "YYYY-MM-DD, inclusive"})
    end = fields.String(required=True, metadata={"description": "YYYY-MM-DD, inclusive"})


class RoutingTypeSchema(Schema):
    organisation_type = fields.String(required=True, metadata={"example": "nhs-trust"})
    routed = fields.Nested(CountTotalSchema, required=True)
    responded = fields.Nested(CountTotalSchema, required=True)
    late = fields.Nested(CountTotalSchema, required=True)
    changes = fields.Nested(CountTotalSchema, required=True)
    response_rate = fields.String(required=True, allow_none=True, metadata={"example": "0.75"})
    response_rate_hubs = fields.Integer(required=True)
    median_working_days = fields.String(required=True, allow_none=True, metadata={"example": "6.5"})
    median_hubs = fields.Integer(required=True)


class NationalRoutingSchema(Schema):
    period = fields.Nested(ReportingPeriodSchema, required=True, allow_none=True)
    region = fields.String(required=True, allow_none=True)
    method = fields.String(required=True)
    window = fields.Nested(WindowSchema, required=True, allow_none=True)
    hubs_with_routing = fields.List(fields.Nested(HubRefSchema), required=True)
    hubs_without_routing = fields.List(fields.Nested(HubRefSchema), required=True)
    hubs_missing = fields.List(fields.Nested(HubRefSchema), required=True)
    national = fields.Nested(CountTotalSchema, required=True, allow_none=True)
    by_organisation_type = fields.List(fields.Nested(RoutingTypeSchema), required=True)
