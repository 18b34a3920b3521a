"""Pages for the Stocktake: staff track actions; everyone sees what changed and what did not.

Who may use what (admins may use everything):

- moderators, facilitators and responders: `/staff/stocktake` (every action,
  its status, owner, due date, last update, late ones flagged) and
  `/staff/stocktake/<id>` (its details and dated updates);
- facilitators update any action (a dated update with its status and note;
  its owner and due date) and add one (`/staff/stocktake/new`, source "other");
- responders do the same for their own organisation's actions only; another
  organisation's action shows no forms, and posting to it is forbidden (403).

Public: `/stocktake` (what changed, what is on track, what is late, what
stalled and why, each with its dated updates, as of today in England) and
`/stocktake/pack`, the same figures as a printable pack for the next meeting.

Every form posts with the CSRF token; success redirects back with a message, a
mistake shows the form again (400) with the mistake named beside the field
(`StocktakeError.field`) and nothing stored.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, Response, flash, redirect, render_template, url_for
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response as BaseResponse

from hub.routing.models import Organisation
from hub.routing.services import england_today, list_organisations, organisation_of
from hub.staff.auth import (
    forbidden,
    form_values,
    not_found,
    signed_in_staff,
    staff_required,
)
from hub.staff.models import Role
from hub.stocktake import services
from hub.stocktake.models import Action, ActionSource, ActionStatus
from hub.stocktake.services import SOURCE_WORDS, STATUS_WORDS, StocktakeError
from hubnet.db import get_session

staff_pages = Blueprint("stocktake", __name__, url_prefix="/staff")
public_pages = Blueprint("stocktake_public", __name__)

READERS = (Role.MODERATOR.value, Role.FACILITATOR.value, Role.RESPONDER.value)
EDITORS = (Role.FACILITATOR.value, Role.RESPONDER.value)

STATUS_COLOURS = {
    ActionStatus.PLANNED: "blue",
    ActionStatus.IN_PROGRESS: "aqua-green",
    ActionStatus.DONE: "green",
    ActionStatus.STALLED: "orange",
}
STATUS_OPTIONS = [
    {"value": ActionStatus.PLANNED.value, "text": "Planned", "hint": "Agreed, not started yet."},
    {"value": ActionStatus.IN_PROGRESS.value, "text": "In progress"},
    {"value": ActionStatus.DONE.value, "text": "Done", "hint": "Say what changed."},
    {
        "value": ActionStatus.STALLED.value,
        "text": "Stalled",
        "hint": "Say why: the public Stocktake shows the reason.",
    },
]
DATE_ANCHORS = {"due_on": "due_on-day", "status": "status", "form": "main-form"}


def _errors(error: StocktakeError) -> dict[str, list[str]]:
    return {error.field or "form": [str(error)]}


def _labels(today: date | None = None) -> dict[str, Any]:
    return {
        "status_words": STATUS_WORDS,
        "status_colours": STATUS_COLOURS,
        "source_words": SOURCE_WORDS,
        "today": today or england_today(),
        "late": services.late,
        "last_update": services.last_update,
        "anchors": DATE_ANCHORS,
    }


def parse_date(form: dict[str, str], name: str) -> date | None:
    """A date from the NHS.UK date input's three boxes (`<name>-day`, -month, -year).

    All three empty: no date. Anything else must be a real date with a 4-digit year.
    """
    parts = [form.get(f"{name}-{part}", "").strip() for part in ("day", "month", "year")]
    if not any(parts):
        return None
    if not all(part.isdigit() for part in parts):
        raise StocktakeError(name, "Enter the date as numbers: day, month and year, like 27 3 2027")
    day, month, year = (int(part) for part in parts)
    if len(parts[2]) != 4:
        raise StocktakeError(name, "Enter the year as 4 digits, like 2027")
    try:
        return date(year, month, day)
    except ValueError:
        raise StocktakeError(name, "Enter a real date, like 27 3 2027") from None


def _date_values(day: date | None, name: str = "due_on") -> dict[str, str]:
    if day is None:
        return {}
    return {
        f"{name}-day": str(day.day),
        f"{name}-month": str(day.month),
        f"{name}-year": str(day.year),
    }


# -- staff pages ----------------------------------------------------------------------------


@staff_pages.get("/stocktake")
@staff_required(*READERS)
def index() -> str:
    """Every action: status, owner, due date, last update; late ones flagged."""
    db = get_session()
    me = signed_in_staff()
    return render_template(
        "stocktake/index.html",
        actions=services.list_actions(db),
        may_add=me.may(*EDITORS) and (me.role is not Role.RESPONDER or organisation_of(db, me)),
        **_labels(),
    )


def _organisation_options(db: Session) -> list[tuple[str, str]]:
    return [("", "None: not one organisation's")] + [
        (str(o.id), o.name) for o in list_organisations(db)
    ]


def _new_page(
    errors: dict[str, list[str]] | None = None,
    values: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    db = get_session()
    me = signed_in_staff()
    page = render_template(
        "stocktake/new.html",
        mine=organisation_of(db, me) if me.role is Role.RESPONDER else None,
        organisation_options=_organisation_options(db),
        errors=errors or {},
        values=values or {},
        **_labels(),
    )
    return Response(page, status=status)


@staff_pages.get("/stocktake/new")
@staff_required(*EDITORS)
def new() -> Response:
    """The form for an action that did not come from an assembly or a routed item."""
    return _new_page()


@staff_pages.post("/stocktake/new")
@staff_required(*EDITORS)
def new_submit() -> BaseResponse:
    """Add an action (source "other"): what, who owns it, when it is due."""
    db = get_session()
    me = signed_in_staff()
    form = form_values()
    try:
        organisation = None
        if me.role is not Role.RESPONDER:
            choice = form.get("organisation", "")
            organisation = db.get(Organisation, int(choice)) if choice.isdigit() else None
            if choice and organisation is None:
                raise StocktakeError("organisation", "Choose an organisation from the list")
        action = services.add_action(
            db,
            me,
            title=form.get("title", ""),
            owner=form.get("owner", ""),
            due_on=parse_date(form, "due_on"),
            description=form.get("description"),
            source=ActionSource.OTHER.value,
            organisation=organisation,
        )
    except StocktakeError as error:
        db.rollback()
        return _new_page(_errors(error), form, 400)
    db.commit()
    flash(f"Added “{action.title}” to the Stocktake.")
    return redirect(url_for("stocktake.action_page", action_id=action.id))


def _action_page(
    action: Action,
    errors: dict[str, list[str]] | None = None,
    values: dict[str, str] | None = None,
    status: int = 200,
    which: str = "",
) -> Response:
    db = get_session()
    plan_values = {"owner": action.owner, **_date_values(action.due_on)}
    if which == "plan" and values is not None:
        plan_values = values
    page = render_template(
        "stocktake/action.html",
        action=action,
        may_update=services.may_update(db, signed_in_staff(), action),
        status_options=STATUS_OPTIONS,
        update_errors=errors if which == "update" else {},
        plan_errors=errors if which == "plan" else {},
        errors=errors or {},
        update_values=values if which == "update" and values is not None else {},
        plan_values=plan_values,
        **_labels(),
    )
    return Response(page, status=status)


@staff_pages.get("/stocktake/<int:action_id>")
@staff_required(*READERS)
def action_page(action_id: int) -> Response:
    """One action: its details, dated updates and (for those who may) the forms to update it."""
    action = get_session().get(Action, action_id)
    if action is None:
        return not_found()
    return _action_page(action)


def _action_post(action_id: int, which: str) -> BaseResponse:
    db = get_session()
    me = signed_in_staff()
    action = db.get(Action, action_id)
    if action is None:
        return not_found()
    if not services.may_update(db, me, action):
        return forbidden()
    form = form_values()
    try:
        if which == "update":
            services.add_update(
                db, me, action, status=form.get("status", ""), note=form.get("note", "")
            )
            message = f"Update added: “{action.title}” is {STATUS_WORDS[action.status].lower()}."
        else:
            services.set_plan(
                db, me, action, owner=form.get("owner", ""), due_on=parse_date(form, "due_on")
            )
            message = "Owner and due date saved."
    except StocktakeError as error:
        db.rollback()
        action = db.get(Action, action_id)
        assert action is not None
        return _action_page(action, _errors(error), form, 400, which)
    db.commit()
    flash(message)
    return redirect(url_for("stocktake.action_page", action_id=action_id))


@staff_pages.post("/stocktake/<int:action_id>/update")
@staff_required(*EDITORS)
def update_submit(action_id: int) -> BaseResponse:
    """Add a dated update (today in England) with the action's new status and a note."""
    return _action_post(action_id, "update")


@staff_pages.post("/stocktake/<int:action_id>/plan")
@staff_required(*EDITORS)
def plan_submit(action_id: int) -> BaseResponse:
    """Change the action's owner and due date."""
    return _action_post(action_id, "plan")


# -- public pages ---------------------------------------------------------------------------


def _public(template: str) -> str:
    today = england_today()
    return render_template(
        template, board=services.board(get_session(), today, public=True), **_labels(today)
    )


@public_pages.get("/stocktake")
def stocktake() -> str:
    """What changed, what is on track, what is late and what stalled and why, as of today."""
    return _public("stocktake/public.html")


@public_pages.get("/stocktake/pack")
def pack() -> str:
    """The same Stocktake as a printable pack for the next meeting, dated the day it was made."""
    return _public("stocktake/pack.html")
