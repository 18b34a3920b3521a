"""The /data page, the CSV and JSON downloads, the data dictionary, and `/api/v1/data`."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, jsonify, render_template, request, url_for
from marshmallow import ValidationError
from sqlalchemy.orm import Session

from hubnet.db import get_session
from hubnet.problems import problem, validation_problem
from national_aggregator.opendata.services import (
    LICENCE,
    LICENCE_URL,
    SUPPRESSION,
    TYPES,
    Table,
    UnknownTable,
    dictionary_json,
    download_name,
    table_csv,
    table_data,
    table_json,
    table_named,
    tables,
)
from national_aggregator.priorities.schemas import PrioritiesQuerySchema, check_region
from national_aggregator.priorities.services import latest_period, regions, reported_periods

blueprint = Blueprint("opendata", __name__)


def _query(session: Session) -> dict[str, Any]:
    """`?period=&region=` read and checked as the priorities read them; raises ValidationError."""
    arguments = request.args.to_dict()
    if arguments.get("region") == "":  # the form's "All regions"
        del arguments["region"]
    query: dict[str, Any] = PrioritiesQuerySchema().load(arguments)
    check_region(query, regions(session))
    return query


def _urls(table: Table, external: bool = False) -> dict[str, str]:
    return {
        "csv": url_for("opendata.download_csv", name=table.name, _external=external),
        "json": url_for("opendata.download_json", name=table.name, _external=external),
        "api": url_for("opendata.table_api", name=table.name, _external=external),
    }


def _unknown_table(name: str) -> Response:
    names = ", ".join(table.name for table in tables())
    return problem(404, "not-found", "Not Found", f"no published table is called {name!r}; "
                   f"tables: {names}")  # fmt: skip


def _table_document(name: str) -> tuple[Table, Any] | Response:
    """The table and its data for the query string, or the problem to answer with."""
    try:
        table = table_named(name)
    except UnknownTable:
        return _unknown_table(name)
    session = get_session()
    try:
        query = _query(session)
    except ValidationError as exc:
        return validation_problem(exc.messages_dict)
    return table, table_data(session, table, query.get("period"), query.get("region"))


def _in_column_order(document: dict[str, Any]) -> Response:
    """JSON with each row's keys in the table's column order (jsonify would sort them)."""
    return Response(current_app.json.dumps(document, sort_keys=False), mimetype="application/json")


def _dictionary_url() -> str:
    return url_for("opendata.dictionary_json_file", _external=True)


@blueprint.get("/data/<name>.csv")
def download_csv(name: str) -> Response:
    """One table as CSV for `?period=&region=` (a header row, UTF-8)."""
    answer = _table_document(name)
    if isinstance(answer, Response):
        return answer
    table, data = answer
    response = Response(table_csv(table, data), content_type="text/csv; charset=utf-8")
    filename = download_name(table, data, "csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@blueprint.get("/data/<name>.json")
def download_json(name: str) -> Response:
    """One table as a JSON file for `?period=&region=`."""
    answer = _table_document(name)
    if isinstance(answer, Response):
        return answer
    table, data = answer
    response = _in_column_order(table_json(table, data, _dictionary_url()))
    filename = download_name(table, data, "json")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@blueprint.get("/api/v1/data/<name>")
def table_api(name: str) -> Response:
    """One published table as JSON for `?period=&region=` (the same as /data/<name>.json)."""
    answer = _table_document(name)
    if isinstance(answer, Response):
        return answer
    table, data = answer
    return _in_column_order(table_json(table, data, _dictionary_url()))


@blueprint.get("/api/v1/data")
def dictionary_api() -> Response:
    """Every published table and the dictionary of its columns."""
    return jsonify(dictionary_json(lambda table: _urls(table, external=True)))


@blueprint.get("/data/dictionary.json")
def dictionary_json_file() -> Response:
    """The data dictionary as JSON (the same as `GET /api/v1/data`)."""
    return jsonify(dictionary_json(lambda table: _urls(table, external=True)))


@blueprint.get("/data/dictionary")
def dictionary_page() -> str:
    """Every column of every table: type, unit, meaning, and when it is empty."""
    return render_template(
        "opendata/dictionary.html",
        tables=tables(),
        types=TYPES,
        suppression=SUPPRESSION,
        licence=LICENCE,
        licence_url=LICENCE_URL,
    )


@blueprint.get("/data")
def data_page() -> Any:
    """Every published national table with CSV and JSON downloads for a period and region."""
    session = get_session()
    context = {
        "periods": reported_periods(session),
        "regions": regions(session),
        "asked_period": request.args.get("period", ""),
        "asked_region": request.args.get("region", ""),
        "tables": tables(),
        "licence": LICENCE,
        "licence_url": LICENCE_URL,
    }
    try:
        query = _query(session)
    except ValidationError as exc:
        messages = exc.messages_dict
        errors = [
            (field, " ".join(str(text) for text in messages[field]))
            for field in ("period", "region")
            if field in messages
        ]
        return render_template("opendata/data.html", errors=errors, period=None, **context), 400
    period = query.get("period") or latest_period(session)
    region = query.get("region")
    arguments = {"period": None if period is None else period.label, "region": region}
    arguments = {key: value for key, value in arguments.items() if value}
    context["asked_period"] = arguments.get("period", "")
    return render_template(
        "opendata/data.html", errors=[], period=period, region=region, arguments=arguments,
        **context,
    )  # fmt: skip
