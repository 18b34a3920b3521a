"""National priorities as JSON for tools and as a page for people."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify, render_template, request
from marshmallow import ValidationError

from hubnet.db import get_session
from hubnet.problems import validation_problem
from national_aggregator.priorities.schemas import PrioritiesQuerySchema, priorities_json
from national_aggregator.priorities.services import RANKING, national_priorities, reported_periods

blueprint = Blueprint("priorities", __name__)


@blueprint.get("/api/v1/priorities")
def priorities_api() -> Response:
    """The national ranking for `?period=` (default: the latest period any hub has sent)."""
    try:
        query = PrioritiesQuerySchema().load(request.args)
    except ValidationError as exc:
        return validation_problem(exc.messages_dict)
    result = national_priorities(get_session(), query.get("period"))
    return jsonify(priorities_json(result, RANKING))


@blueprint.get("/priorities")
def priorities_page() -> Any:
    """The national ranking as an accessible HTML table, with a period selector."""
    session = get_session()
    periods = reported_periods(session)
    try:
        query = PrioritiesQuerySchema().load(request.args)
    except ValidationError as exc:
        messages = exc.messages_dict.get("period", ["is not a period"])
        page = render_template(
            "priorities.html", error=" ".join(messages), result=None, periods=periods, asked=""
        )
        return page, 400
    result = national_priorities(session, query.get("period"))
    return render_template(
        "priorities.html",
        error=None,
        result=result,
        periods=periods,
        asked=result.period.label if result.period else "",
        ranking=RANKING,
    )
