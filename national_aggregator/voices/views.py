"""Hidden voices as JSON and as a page; national routing totals as JSON."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify, render_template, request
from marshmallow import ValidationError

from hubnet.db import get_session
from hubnet.problems import validation_problem
from national_aggregator.priorities.services import reported_periods
from national_aggregator.voices.charts import under_represented_chart
from national_aggregator.voices.schemas import VoicesQuerySchema, hidden_voices_json, routing_json
from national_aggregator.voices.services import (
    FLAG_ORDER,
    METHOD,
    UnknownRegion,
    hidden_voices,
    national_routing,
    regions,
)

blueprint = Blueprint("voices", __name__)


def _page_arguments() -> dict[str, str]:
    """The query string, with an empty region (the form's "All regions") as no region."""
    arguments = request.args.to_dict()
    if arguments.get("region") == "":
        del arguments["region"]
    return arguments


def _region_problem(error: UnknownRegion) -> Response:
    return validation_problem({"region": [str(error)]})


@blueprint.get("/api/v1/hidden-voices")
def hidden_voices_api() -> Response:
    """Representation across hubs for `?period=` (default: the latest) and `?region=`."""
    try:
        query = VoicesQuerySchema().load(request.args)
        result = hidden_voices(get_session(), query.get("period"), query.get("region"))
    except ValidationError as exc:
        return validation_problem(exc.messages_dict)
    except UnknownRegion as exc:
        return _region_problem(exc)
    return jsonify(hidden_voices_json(result))


@blueprint.get("/api/v1/routing")
def routing_api() -> Response:
    """Items routed to local organisations and their answers, by organisation type."""
    try:
        query = VoicesQuerySchema().load(request.args)
        result = national_routing(get_session(), query.get("period"), query.get("region"))
    except ValidationError as exc:
        return validation_problem(exc.messages_dict)
    except UnknownRegion as exc:
        return _region_problem(exc)
    return jsonify(routing_json(result))


@blueprint.get("/hidden-voices")
def hidden_voices_page() -> Any:
    """Representation across hubs as accessible tables and a chart, with period and region."""
    session = get_session()
    choices = {"periods": reported_periods(session), "regions": regions(session)}
    asked_region = request.args.get("region", "")
    try:
        query = VoicesQuerySchema().load(_page_arguments())
        result = hidden_voices(session, query.get("period"), query.get("region"))
    except (ValidationError, UnknownRegion) as exc:
        if isinstance(exc, ValidationError):
            messages = exc.messages_dict
            error = " ".join(
                f"{'Period' if field == 'period' else 'Region'}: {' '.join(texts)}"
                for field, texts in sorted(messages.items())
            )
        else:
            error = str(exc).capitalize()
        page = render_template(
            "voices.html", error=error, result=None, asked="", asked_region=asked_region,
            **choices,
        )  # fmt: skip
        return page, 400
    return render_template(
        "voices.html",
        error=None,
        result=result,
        asked=result.period.label if result.period else "",
        asked_region=result.region or "",
        flags=FLAG_ORDER,
        method=METHOD,
        chart=under_represented_chart(result.most_under, len(result.hubs_with_profile)),
        **choices,
    )
