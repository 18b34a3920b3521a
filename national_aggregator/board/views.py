"""Board responses: the board secretary's pages, the public pages and feed, and the JSON API."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from marshmallow import ValidationError

from federation.board import DECISIONS, PROGRESS, BoardStatement
from federation.periods import Period
from federation.taxonomy import load_taxonomy
from hubnet.db import get_session
from hubnet.problems import problem, validation_problem
from national_aggregator.board.feed import atom_feed
from national_aggregator.board.schemas import StatementsQuerySchema, statement_json
from national_aggregator.board.services import (
    DECISION_TITLES,
    KEEP,
    PROGRESS_TITLES,
    USES,
    BoardInputError,
    LoggedStatement,
    UnknownResponse,
    add_update,
    deliver_notifications,
    latest_logged,
    record_response,
    response_history,
    statements_page,
)
from national_aggregator.db import utcnow
from national_aggregator.log import log_signer
from national_aggregator.log.services import log_size
from national_aggregator.staff import Role, signed_in_staff, staff_required

pages = Blueprint("board", __name__)
staff_pages = Blueprint("board_staff", __name__, url_prefix="/staff/board")
api = Blueprint("board_api", __name__, url_prefix="/api/v1/board")

Errors = dict[str, list[str]]
TEXT_FIELDS = ("response", "reason", "commitment", "owner", "update")


def _public_key() -> Any:
    return log_signer().private_key.public_key()


def _today() -> date:
    return utcnow().date()


def _titles() -> dict[str, Any]:
    return {
        "decision_titles": DECISION_TITLES,
        "progress_titles": PROGRESS_TITLES,
        "theme_name": load_taxonomy().name_of,
    }


# Public pages -------------------------------------------------------------------------------


@pages.get("/board")
def board_page() -> str:
    """What the board said: every response's current state."""
    responses = latest_logged(get_session(), _public_key())
    return render_template("board/board.html", responses=responses, today=_today(), **_titles())


@pages.get("/board/responses/<response_id>")
def response_page(response_id: str) -> Any:
    """One response: every version, with its date, update and place in the log."""
    try:
        versions = response_history(get_session(), response_id, _public_key())
    except UnknownResponse:
        return render_template("board/not_found.html"), 404
    return render_template(
        "board/response.html",
        log_size=log_size(get_session()),
        versions=versions,
        current=versions[-1],
        today=_today(),
        **_titles(),
    )


@dataclass(frozen=True)
class StocktakeGroup:
    key: str
    title: str
    description: str
    items: list[LoggedStatement]


def stocktake_groups(responses: list[LoggedStatement], today: date) -> list[StocktakeGroup]:
    """Commitments by state (late before on track), then what is still being decided."""
    groups = {
        "done": StocktakeGroup("done", "Done", "Commitments the board says are met.", []),
        "late": StocktakeGroup(
            "late", "Late", "The due date has passed and the commitment is not done.", []
        ),
        "stalled": StocktakeGroup(
            "stalled", "Stalled", "Work has stopped; the reason is the board's.", []
        ),
        "on-track": StocktakeGroup("on-track", "On track", "Under way and not yet due.", []),
        "not-started": StocktakeGroup(
            "not-started", "Not started", "Accepted, but work has not begun.", []
        ),
        "under-consideration": StocktakeGroup(
            "under-consideration",
            "Under consideration",
            "The board has not decided yet: who decides, and by when.",
            [],
        ),
    }
    for logged in responses:
        statement = logged.statement
        if statement.decision == "under-consideration":
            groups["under-consideration"].items.append(logged)
        elif statement.decision == "accepted":
            if statement.progress == "stalled":
                groups["stalled"].items.append(logged)
            elif statement.is_late(today):
                groups["late"].items.append(logged)
            else:
                groups[statement.progress or "not-started"].items.append(logged)
    order = ("done", "on-track", "late", "stalled", "not-started", "under-consideration")
    return [groups[key] for key in order]


@pages.get("/stocktake")
def stocktake_page() -> str:
    """The national Stocktake: every board commitment by state, and what is undecided."""
    today = _today()
    responses = latest_logged(get_session(), _public_key())
    return render_template(
        "board/stocktake.html",
        groups=stocktake_groups(responses, today),
        not_accepted=[r for r in responses if r.statement.decision == "not-accepted"],
        today=today,
        **_titles(),
    )


@pages.get("/board/feed.atom")
def feed() -> Response:
    """Every response and update, newest first, as an Atom feed."""
    body = atom_feed(get_session(), _public_key(), base=request.url_root)
    return Response(body, mimetype="application/atom+xml")


# JSON API -----------------------------------------------------------------------------------


@api.get("/statements")
def statements_api() -> Response:
    """Board statements after a log index, as the exact envelopes, for hubs to pull."""
    try:
        query = StatementsQuerySchema().load(request.args)
    except ValidationError as exc:
        return validation_problem(exc.messages_dict)
    return jsonify(statements_page(get_session(), after=query["after"], limit=query["limit"]))


@api.get("/responses")
def responses_api() -> Response:
    """The current state of every response, with `late` for today."""
    today = _today()
    responses = latest_logged(get_session(), _public_key())
    return jsonify(
        {
            "today": today.isoformat(),
            "responses": [statement_json(item, today) for item in responses],
        }
    )


@api.get("/responses/<response_id>")
def response_api(response_id: str) -> Response:
    """Every version of one response, oldest first."""
    today = _today()
    try:
        versions = response_history(get_session(), response_id, _public_key())
    except UnknownResponse as exc:
        return problem(404, "not-found", "No such board response", str(exc))
    listed = [statement_json(item, today) for item in versions]
    return jsonify(
        {
            "response_id": response_id,
            "today": today.isoformat(),
            "current": listed[-1],
            "versions": listed,
        }
    )


# Staff pages --------------------------------------------------------------------------------


def _form_text(form: Mapping[str, str], name: str) -> str | None:
    value = form.get(name, "").strip()
    return value or None


def _form_date(form: Mapping[str, str], name: str, errors: Errors, label: str) -> date | None:
    text = form.get(name, "").strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        errors.setdefault(name, []).append(f"{label} must be a date like 2027-06-30")
        return None


FIELD_LABELS = {
    "theme": "Priority",
    "period": "Period",
    "meeting": "Board meeting date",
    "decision": "Decision",
    "response": "What the board said",
    "reason": "Reason",
    "commitment": "Commitment",
    "owner": "Owner",
    "due": "Due date",
    "progress": "Progress",
    "update": "What changed",
    "statement": "Board statement",
    "at": "Time",
}


def _input_error(error: BoardInputError) -> Errors:
    label = FIELD_LABELS.get(error.field, error.field)
    return {error.field: [f"{label}: {error.message}"]}


def _after_write(message: str) -> None:
    """Commit, then try the pushes once; a failed push stays pending and never undoes the write."""
    session = get_session()
    session.commit()
    flash(message)
    try:
        deliver_notifications(session)
        session.commit()
    except Exception:  # the write is committed; `hubnet aggregator board notify` retries
        session.rollback()
        current_app.logger.exception("board: pushing to the hubs failed after the write")


def _form_page(template: str, status: int = 200, **context: Any) -> tuple[str, int]:
    context.setdefault("errors", {})
    context.setdefault("values", {})
    return (
        render_template(
            template,
            themes=load_taxonomy().themes,
            decisions=DECISIONS,
            progress_choices=PROGRESS,
            uses=USES,
            labels=FIELD_LABELS,
            **_titles(),
            **context,
        ),
        status,
    )


@staff_pages.get("/")
@staff_required(Role.BOARD_SECRETARY)
def responses() -> str:
    """Every response, with a link to add an update."""
    found = latest_logged(get_session(), _public_key())
    return render_template(
        "board/staff_responses.html", responses=found, today=_today(), **_titles()
    )


@staff_pages.get("/responses/new")
@staff_required(Role.BOARD_SECRETARY)
def new_response() -> tuple[str, int]:
    """The form recording the board's response to a priority."""
    return _form_page("board/staff_new.html")


@staff_pages.post("/responses/new")
@staff_required(Role.BOARD_SECRETARY)
def new_response_submit() -> Any:
    """Record, sign and log the response; the form again with what to fix."""
    form = request.form
    errors: Errors = {}
    period: Period | None = None
    period_text = form.get("period", "").strip()
    if not period_text:
        errors["period"] = ["Period: enter the period the priority is from, like 2026-Q4"]
    else:
        try:
            period = Period.parse(period_text)
        except ValueError as exc:
            errors["period"] = [f"Period: {exc}"]
    meeting = _form_date(form, "meeting", errors, "Board meeting date")
    if meeting is None and "meeting" not in errors:
        errors["meeting"] = ["Board meeting date: enter the date of the board meeting"]
    due = _form_date(form, "due", errors, "Due date")
    theme = form.get("theme", "").strip()
    decision = form.get("decision", "").strip()
    if not theme:
        errors["theme"] = ["Priority: choose the national theme the board answered"]
    if not decision:
        errors["decision"] = ["Decision: choose what the board decided"]
    if not errors:
        assert period is not None and meeting is not None
        try:
            logged = record_response(
                get_session(),
                log_signer(),
                theme=theme,
                period=period,
                meeting=meeting,
                decision=decision,
                response=form.get("response", ""),
                reason=_form_text(form, "reason"),
                commitment=_form_text(form, "commitment"),
                owner=_form_text(form, "owner"),
                due=due,
                progress=_form_text(form, "progress"),
                staff=signed_in_staff(),
            )
        except BoardInputError as exc:
            get_session().rollback()
            errors = _input_error(exc)
        else:
            _after_write(
                f"The board's response was signed and added to the log at index {logged.log_index}."
            )
            return redirect(
                url_for("board.response_page", response_id=logged.statement.response_id)
            )
    return _form_page("board/staff_new.html", 400, errors=errors, values=form)


def _current(response_id: str) -> LoggedStatement:
    try:
        return response_history(get_session(), response_id, _public_key())[-1]
    except UnknownResponse:
        abort(404)


def _values_of(statement: BoardStatement) -> dict[str, str]:
    return {
        "decision": statement.decision,
        "response": statement.response,
        "reason": statement.reason or "",
        "commitment": statement.commitment or "",
        "owner": statement.owner or "",
        "due": "" if statement.due is None else statement.due.isoformat(),
        "progress": statement.progress or "",
    }


@staff_pages.get("/responses/<response_id>/update")
@staff_required(Role.BOARD_SECRETARY)
def update_response(response_id: str) -> tuple[str, int]:
    """The form adding a dated update to a response (prefilled with its current state)."""
    current = _current(response_id)
    return _form_page(
        "board/staff_update.html", current=current, values=_values_of(current.statement)
    )


@staff_pages.post("/responses/<response_id>/update")
@staff_required(Role.BOARD_SECRETARY)
def update_response_submit(response_id: str) -> Any:
    """Sign and log the next version; the form again with what to fix."""
    current = _current(response_id)
    form = request.form
    errors: Errors = {}
    due = _form_date(form, "due", errors, "Due date")
    if not errors:
        try:
            decision = form.get("decision", "").strip() or current.statement.decision
            logged = add_update(
                get_session(),
                log_signer(),
                response_id,
                update_text=form.get("update", ""),
                decision=decision,
                response=form.get("response", "") if "response" in form else KEEP,
                reason=_form_text(form, "reason"),
                commitment=_form_text(form, "commitment"),
                owner=_form_text(form, "owner"),
                due=due,
                progress=_form_text(form, "progress"),
                staff=signed_in_staff(),
            )
        except BoardInputError as exc:
            get_session().rollback()
            errors = _input_error(exc)
        else:
            _after_write(
                f"Version {logged.statement.version} was signed and added to the log at "
                f"index {logged.log_index}."
            )
            return redirect(url_for("board.response_page", response_id=response_id))
    return _form_page("board/staff_update.html", 400, current=current, errors=errors, values=form)
