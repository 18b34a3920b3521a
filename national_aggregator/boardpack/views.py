"""The board pack: a form to choose one, and the pack as HTML, PDF, CSV and JSON."""

from __future__ import annotations

import mimetypes
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Flask,
    Response,
    current_app,
    redirect,
    render_template,
    request,
    url_for,
)
from marshmallow import ValidationError
from sqlalchemy.orm import Session

from federation.canonical import canonical_json
from federation.periods import Period
from hubnet.db import get_session
from hubnet.problems import protocol_problem, validation_problem
from national_aggregator.boardpack.schemas import (
    CSV_TABLES,
    PackQuerySchema,
    pack_csv,
    query_period,
)
from national_aggregator.boardpack.services import PackQueryError, PackRequest, build_pack
from national_aggregator.log import log_signer
from national_aggregator.log.services import CheckpointNotFound, log_size
from national_aggregator.priorities.services import regions, reported_periods

blueprint = Blueprint(
    "boardpack", __name__, static_folder="static", static_url_path="/static/boardpack"
)
FIELDS = ("size", "period", "period_start", "period_end", "region", "meeting")


def _arguments() -> dict[str, str]:
    """The query string, with an empty region (the form's "All regions") as no region."""
    arguments = request.args.to_dict()
    if arguments.get("region") == "":
        del arguments["region"]
    return arguments


def _pack(session: Session, size: int) -> dict[str, Any]:
    """The pack named by the path and query; raises ValidationError, PackQueryError or
    CheckpointNotFound."""
    query: dict[str, Any] = PackQuerySchema().load(_arguments())
    wanted = PackRequest(size, query_period(query), query.get("region"), query["meeting"])
    return build_pack(session, wanted, log_signer())


def _problem_for(error: Exception) -> Response:
    if isinstance(error, ValidationError):
        return validation_problem(error.messages_dict)
    if isinstance(error, PackQueryError):
        return validation_problem({error.field: [error.reason]})
    assert isinstance(error, CheckpointNotFound)
    return protocol_problem(error)


def _api(size: int) -> Response:
    try:
        pack = _pack(get_session(), size)
    except (ValidationError, PackQueryError, CheckpointNotFound) as exc:
        return _problem_for(exc)
    return Response(canonical_json(pack), mimetype="application/json")


@blueprint.get("/api/v1/board/pack/<int:size>")
def pack_api(size: int) -> Response:
    """The canonical board pack built from the log checkpoint of `size`, as JSON."""
    return _api(size)


@blueprint.get("/board/pack/<int:size>.json")
def pack_json(size: int) -> Response:
    """The same document as the API, as a file to keep beside the printed pack."""
    response = _api(size)
    if response.status_code == 200:
        response.headers["Content-Disposition"] = f'attachment; filename="board-pack-{size}.json"'
    return response


@blueprint.get("/board/pack/<int:size>/<table>.csv")
def pack_csv_table(size: int, table: str) -> Response:
    """One table of the pack (priorities, commitments or submissions) as CSV."""
    if table not in CSV_TABLES:
        return validation_problem({"table": [f"must be one of: {', '.join(CSV_TABLES)}"]})
    try:
        pack = _pack(get_session(), size)
    except (ValidationError, PackQueryError, CheckpointNotFound) as exc:
        return _problem_for(exc)
    response = Response(pack_csv(pack, table).encode("utf-8"), mimetype="text/csv")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="board-pack-{size}-{table}.csv"'
    )
    return response


def _links(size: int) -> dict[str, str]:
    """The pack's other formats, with the same query."""
    arguments = {key: value for key, value in _arguments().items() if key in FIELDS}
    links = {
        "html": url_for("boardpack.pack_html", size=size, **arguments),
        "pdf": url_for("boardpack.pack_pdf", size=size, **arguments),
        "json": url_for("boardpack.pack_json", size=size, **arguments),
    }
    for table in CSV_TABLES:
        links[table] = url_for("boardpack.pack_csv_table", size=size, table=table, **arguments)
    return links


def _render_pack(size: int, *, for_pdf: bool) -> tuple[str, int]:
    session = get_session()
    try:
        pack = _pack(session, size)
    except CheckpointNotFound:
        latest = log_size(session)
        return render_template("boardpack/not_found.html", size=size, latest=latest), 404
    except (ValidationError, PackQueryError) as exc:
        errors = (
            [(exc.field, exc.reason)]
            if isinstance(exc, PackQueryError)
            else _messages(exc.messages_dict)
        )
        return _form(session, errors, status=400)
    return render_template(
        "boardpack/pack.html", pack=pack, links=_links(size), for_pdf=for_pdf
    ), 200


@blueprint.get("/board/pack/<int:size>.html")
def pack_html(size: int) -> tuple[str, int]:
    """The printable pack: priorities, evidence, hidden voices, commitments, method, checkpoint."""
    return _render_pack(size, for_pdf=False)


@blueprint.get("/board/pack/<int:size>.pdf")
def pack_pdf(size: int) -> Any:
    """The same pack as PDF, rendered from the printable HTML by WeasyPrint."""
    html, status = _render_pack(size, for_pdf=True)
    if status != 200:
        return html, status
    try:
        from weasyprint import HTML  # imported here: loading Pango is slow, and only PDFs need it
    except (OSError, ImportError):  # the server lacks the Pango libraries WeasyPrint loads
        current_app.logger.exception("the board pack PDF needs Pango")
        return (
            "The PDF cannot be made on this server: WeasyPrint needs the Pango libraries "
            "(Debian and Ubuntu: apt-get install libpango-1.0-0 libpangoft2-1.0-0). "
            "The HTML pack prints to PDF from any browser in the meantime.",
            503,
            {"Content-Type": "text/plain; charset=utf-8"},
        )

    fetcher = _static_fetcher(current_app._get_current_object())  # type: ignore[attr-defined]
    pdf = HTML(string=html, base_url=request.url_root, url_fetcher=fetcher).write_pdf()
    response = Response(pdf, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'attachment; filename="board-pack-{size}.pdf"'
    return response


def _static_fetcher(app: Flask) -> Any:
    """WeasyPrint's fetcher: this app's own static files, read from disk; nothing else.

    The PDF is rendered inside a request, so it must not make HTTP requests to
    itself (or, from a crafted page, to anywhere else).
    """
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    folders: list[tuple[str, Path]] = []
    for rule in app.url_map.iter_rules():
        name, _, last = rule.endpoint.rpartition(".")
        owner = app.blueprints.get(name) if name else app
        folder = getattr(owner, "static_folder", None)
        if last == "static" and folder is not None:
            folders.append((rule.rule.removesuffix("<path:filename>"), Path(folder).resolve()))

    class StaticFetcher(URLFetcher):  # type: ignore[misc]
        def fetch(self, url: str, headers: Any = None) -> Any:
            path = urlsplit(url).path
            for prefix, root in folders:
                if path.startswith(prefix):
                    target = (root / path[len(prefix) :]).resolve()
                    if target.is_relative_to(root) and target.is_file():
                        kind = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
                        return URLFetcherResponse(url, target.read_bytes(), {"Content-Type": kind})
            raise ValueError(f"the PDF may only use this app's static files, not {url}")

    return StaticFetcher()


# The form ----------------------------------------------------------------------------------


def _messages(messages: dict[str, Any]) -> list[tuple[str, str]]:
    return [
        (field, " ".join(str(text) for text in messages[field]))
        for field in FIELDS
        if field in messages
    ]


def _form(session: Session, errors: list[tuple[str, str]], *, status: int = 200) -> tuple[str, int]:
    latest = log_size(session)
    asked = request.args
    return (
        render_template(
            "boardpack/form.html",
            errors=errors,
            error_fields={field for field, _ in errors},
            latest=latest,
            periods=reported_periods(session),
            regions=regions(session),
            asked_size=asked.get("size", str(latest)),
            asked_period=asked.get("period", "")
            or (
                f"{asked['period_start']}/{asked['period_end']}"
                if asked.get("period_start") and asked.get("period_end")
                else ""
            ),
            asked_region=asked.get("region", ""),
            asked_meeting=asked.get("meeting", ""),
        ),
        status,
    )


@blueprint.get("/board/pack")
def pack_form() -> Any:
    """Choose a pack (checkpoint, period, region, meeting); submitting opens it."""
    session = get_session()
    if "size" not in request.args:
        return _form(session, [])
    arguments = _arguments()
    errors: list[tuple[str, str]] = []
    size_text = arguments.pop("size", "").strip()
    if not size_text.isdigit() or len(size_text) > 16:
        errors.append(("size", "Enter the checkpoint size as a whole number, such as 42"))
    period_text = arguments.pop("period", "").strip()
    if period_text:
        try:
            period = Period.parse(period_text)
        except ValueError as exc:
            errors.append(("period", str(exc)))
        else:
            arguments["period_start"] = period.start.isoformat()
            arguments["period_end"] = period.end.isoformat()
    try:
        PackQuerySchema().load(arguments)
    except ValidationError as exc:
        errors += _messages(exc.messages_dict)
    if not arguments.get("meeting") and not any(field == "meeting" for field, _ in errors):
        errors.append(("meeting", "Enter the date of the board meeting"))
    if errors:
        return _form(session, errors, status=400)
    size, latest = int(size_text), log_size(session)
    if size > latest:
        message = f"The log has issued no checkpoint of size {size}: it has {latest} entries"
        return _form(session, [("size", message)], status=400)
    keep = {key: value for key, value in arguments.items() if key in FIELDS}
    return redirect(url_for("boardpack.pack_html", size=size, **keep), code=303)
