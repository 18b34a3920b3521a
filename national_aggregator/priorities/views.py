"""National priorities, and one theme across hubs and regions: JSON for tools, pages for people."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify, render_template, request
from markupsafe import Markup
from marshmallow import ValidationError
from sqlalchemy.orm import Session

from federation.taxonomy import CURRENT_VERSION, load_taxonomy
from hubnet.db import get_session
from hubnet.problems import problem, validation_problem
from national_aggregator.priorities.charts import (
    Bar,
    Point,
    Series,
    bar_chart,
    line_chart,
    period_label_lines,
)
from national_aggregator.priorities.schemas import (
    PrioritiesQuerySchema,
    check_region,
    period_name,
    priorities_json,
    theme_json,
)
from national_aggregator.priorities.services import (
    BORDA,
    COVERAGE,
    RANKING,
    TREND,
    NationalPriorities,
    PeriodTotals,
    ThemeDetail,
    history_periods,
    national_priorities,
    period_totals,
    regions,
    reported_periods,
    theme_detail,
)

blueprint = Blueprint("priorities", __name__)
TREND_THEMES = 5  # lines in the national trend chart: more are hard to tell apart
# `{{ period | period_name }}`: 2026, 2026-Q4, 2026-10 or start/end (what `?period=` reads)
blueprint.add_app_template_filter(period_name, "period_name")


def _query(session: Session) -> dict[str, Any]:
    """`?period=&region=` read and checked; raises ValidationError naming the field."""
    query: dict[str, Any] = PrioritiesQuerySchema().load(request.args)
    check_region(query, regions(session))
    return query


def _theme_name(code: str) -> str | None:
    try:
        return load_taxonomy(CURRENT_VERSION).name_of(code)
    except KeyError:
        return None


@blueprint.get("/api/v1/priorities")
def priorities_api() -> Response:
    """The national ranking for `?period=` (default: the latest period any hub has sent)."""
    session = get_session()
    try:
        query = _query(session)
    except ValidationError as exc:
        return validation_problem(exc.messages_dict)
    result = national_priorities(session, query.get("period"), query.get("region"))
    return jsonify(priorities_json(result, RANKING))


@blueprint.get("/api/v1/priorities/themes/<code>")
def theme_api(code: str) -> Response:
    """One theme for `?period=&region=`: each hub's cell, each region's total, trend, quotes."""
    if _theme_name(code) is None:
        return problem(
            404, "not-found", "Not Found", f"{code!r} is not a theme code in {CURRENT_VERSION}"
        )
    session = get_session()
    try:
        query = _query(session)
    except ValidationError as exc:
        return validation_problem(exc.messages_dict)
    detail = theme_detail(session, code, query.get("period"), query.get("region"))
    return jsonify(theme_json(detail))


def _page_error(template: str, exc: ValidationError, **context: Any) -> tuple[str, int]:
    messages = exc.messages_dict
    errors = [
        (field, " ".join(str(text) for text in messages[field]))
        for field in ("period", "region")
        if field in messages
    ]
    return render_template(template, errors=errors, result=None, **context), 400


def _selector(session: Session) -> dict[str, Any]:
    return {
        "periods": reported_periods(session, containing=True),
        "regions": regions(session),
        "asked_period": request.args.get("period", ""),
        "asked_region": request.args.get("region", ""),
    }


@blueprint.get("/priorities")
def priorities_page() -> Any:
    """The national ranking for a period and region: charts, tables, trend and method."""
    session = get_session()
    selector = _selector(session)
    try:
        query = _query(session)
    except ValidationError as exc:
        return _page_error("priorities.html", exc, **selector)
    result = national_priorities(session, query.get("period"), query.get("region"))
    if result.period is not None:
        selector["asked_period"] = period_name(result.period)
    history = (
        period_totals(session, history_periods(result.period), result.region)
        if result.period
        else []
    )
    return render_template(
        "priorities.html",
        errors=[],
        result=result,
        ranking=RANKING,
        borda=BORDA,
        trend=TREND,
        coverage=COVERAGE,
        history=history,
        trend_rows=_trend_rows(result),
        bars=_bars_chart(result),
        trend_chart=_national_trend_chart(result, history),
        **selector,
    )


@blueprint.get("/priorities/themes/<code>")
def theme_page(code: str) -> Any:
    """One theme across hubs and regions, its trend and its consented quotes."""
    name = _theme_name(code)
    if name is None:
        return render_template("priorities_theme_not_found.html", code=code), 404
    session = get_session()
    selector = _selector(session)
    try:
        query = _query(session)
    except ValidationError as exc:
        return _page_error("priorities_theme.html", exc, code=code, name=name, **selector)
    detail = theme_detail(session, code, query.get("period"), query.get("region"))
    if detail.national.period is not None:
        selector["asked_period"] = period_name(detail.national.period)
    return render_template(
        "priorities_theme.html",
        errors=[],
        code=code,
        name=name,
        detail=detail,
        result=detail.national,
        borda=BORDA,
        trend=TREND,
        coverage=COVERAGE,
        chart=_theme_trend_chart(detail),
        **selector,
    )


def _where(result: NationalPriorities) -> str:
    return f"in {result.region}" if result.region else "across England"


def _trend_rows(result: NationalPriorities) -> list[Any]:
    """The themes raised in the period (the ones in the bar chart), in rank order."""
    return [row for row in result.priorities if row.raised]


def _bars_chart(result: NationalPriorities) -> Markup | None:
    rows = _trend_rows(result)
    if result.period is None or not rows:
        return None
    top = rows[0]
    description = (
        f"{len(rows)} themes raised {_where(result)} in {result.period.label}, by total people. "
        f"Highest: {top.name}, {top.total}"
        + ("" if top.lower == top.upper == top.total else f" ({top.lower} to {top.upper})")
        + ". The table after the chart gives every figure."
    )
    return bar_chart(
        [Bar(row.name, row.total, row.lower, row.upper) for row in rows],
        chart_id="priorities-chart",
        title=f"People raising each theme {_where(result)}, {result.period.label}",
        description=description,
    )


def _national_trend_chart(result: NationalPriorities, history: list[PeriodTotals]) -> Markup | None:
    rows = _trend_rows(result)[:TREND_THEMES]
    if result.period is None or not rows:
        return None
    series = [Series(row.name, [_point(point, row.code) for point in history]) for row in rows]
    first, last = history[0].period.label, history[-1].period.label
    return line_chart(
        [period_label_lines(point.period.label) for point in history],
        series,
        chart_id="trend-chart",
        title=f"Trend of the top {len(rows)} themes {_where(result)}, {first} to {last}",
        description=(
            f"Total people for each of the {len(rows)} themes with the most people in "
            f"{last}, in each of the {len(history)} periods of the same length up to it. "
            "A gap means no hub reported that period. The table after the chart gives "
            "every figure."
        ),
    )


def _point(point: PeriodTotals, code: str) -> Point | None:
    if point.hubs_reporting == 0:
        return None
    total, lower, upper = point.totals.get(code, (0, 0, 0))
    return Point(total, lower, upper)


def _theme_trend_chart(detail: ThemeDetail) -> Markup | None:
    national = detail.national
    if national.period is None or not detail.history:
        return None
    history = detail.history
    first, last = history[0].period.label, history[-1].period.label
    return line_chart(
        [period_label_lines(point.period.label) for point in history],
        [Series(detail.name, [_point(point, detail.code) for point in history])],
        chart_id="theme-trend-chart",
        title=f"{detail.name}: people {_where(national)}, {first} to {last}",
        description=(
            f"Total people raising {detail.name} in each of {len(history)} periods of the "
            "same length, with a whisker over the range where hubs suppressed small counts. "
            "A gap means no hub reported that period. The table after the chart gives "
            "every figure."
        ),
    )
