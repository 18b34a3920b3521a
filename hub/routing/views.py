"""Pages for triage and routing: staff triage, organisations, responses, and the public figures.

Who may use what (admins may use everything):

- moderators: `/staff/routing` (items waiting for triage, and routed ones with
  their deadlines) and `/staff/routing/<item>` (national or local, which
  organisation, responder and how many working days);
- moderators see `/staff/organisations`; admins add organisations there and link
  a responder to the organisation they answer for;
- responders: `/staff/responses`, their organisation's routed items (unanswered
  first), and `/staff/responses/<routing>` to publish the response and its
  outcome and later mark the change made. Another organisation's item is "not
  found" to them.

Public: `/you-said-we-did` (items whose response led to a change) and
`/organisations` (each organisation's response rate, median working days to
respond and share of responses that led to a change, as of today in England).

Every form posts with the CSRF token; success redirects back with a message, a
mistake shows the form again (400) with the mistake named beside the field
(`RoutingError.field`) and nothing stored.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, flash, redirect, render_template, url_for
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response as BaseResponse

from hub.gather.events import timeline
from hub.gather.models import Contribution, Status
from hub.routing import services
from hub.routing.calendar import DEFAULT_RESPONSE_DAYS
from hub.routing.models import Decision, Organisation, OrganisationKind, Outcome, Routing
from hub.routing.services import KIND_WORDS, RoutingError, england_today
from hub.routing.stats import routing_stats
from hub.staff.auth import form_values, not_found, signed_in_staff, staff_required
from hub.staff.models import Role, StaffUser
from hub.staff.services import list_staff
from hubnet.db import get_session

staff_pages = Blueprint("routing", __name__, url_prefix="/staff")
public_pages = Blueprint("routing_public", __name__)

MODERATORS = (Role.MODERATOR.value,)
ADMINS = (Role.ADMIN.value,)
RESPONDERS = (Role.RESPONDER.value,)

OUTCOME_WORDS = {
    "responded": "Responded",
    "change-planned": "Change planned",
    "change-made": "Change made",
    "closed": "Closed with a reason",
}
OUTCOME_OPTIONS = [
    {"value": "responded", "text": "Responded", "hint": "The answer is the response below."},
    {
        "value": "change-planned",
        "text": "Change planned",
        "hint": "Something will change because of it: describe the change.",
    },
    {
        "value": "change-made",
        "text": "Change made",
        "hint": "Something has changed because of it: describe the change.",
    },
    {
        "value": "closed",
        "text": "Closed with a reason",
        "hint": "Nothing more will happen: say why.",
    },
]
DECISION_OPTIONS = [
    {
        "value": Decision.NATIONAL.value,
        "text": "National: goes into the national summary as a candidate",
    },
    {"value": Decision.LOCAL.value, "text": "Local: pass it to an organisation"},
]
WAITING_LIMIT = 200


def _errors(error: RoutingError) -> dict[str, list[str]]:
    return {error.field or "form": [str(error)]}


def _labels() -> dict[str, Any]:
    return {
        "outcome_words": OUTCOME_WORDS,
        "kind_words": KIND_WORDS,
        "today": england_today(),
    }


# -- triage ---------------------------------------------------------------------------------


def _waiting(db: Session) -> list[Contribution]:
    """Published items on show that nobody has triaged yet, oldest first."""
    query = (
        select(Contribution)
        .outerjoin(Routing, Routing.contribution_id == Contribution.id)
        .where(
            Contribution.status == Status.PUBLISHED,
            Contribution.hidden_at.is_(None),
            Routing.id.is_(None),
        )
        .order_by(Contribution.created_at, Contribution.id)
        .limit(WAITING_LIMIT)
    )
    return list(db.scalars(query))


@staff_pages.get("/routing")
@staff_required(*MODERATORS)
def triage_list() -> str:
    """Items waiting for triage, and routed items with their organisation and deadline."""
    db = get_session()
    routed = services.list_routings(db, decision=Decision.LOCAL)
    national = services.list_routings(db, decision=Decision.NATIONAL, limit=100)
    return render_template(
        "routing/triage_list.html",
        waiting=_waiting(db),
        routed=routed,
        national=national,
        **_labels(),
    )


def _responder_options(db: Session) -> list[tuple[str, str]]:
    options = [("", "No one named yet")]
    for staff in list_staff(db):
        if staff.active and staff.role is Role.RESPONDER:
            theirs = services.organisation_of(db, staff)
            where = theirs.name if theirs is not None else "not linked to an organisation"
            options.append((str(staff.id), f"{staff.name} ({where})"))
    return options


def _triage_page(
    contribution: Contribution,
    errors: dict[str, list[str]] | None = None,
    values: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    db = get_session()
    organisations = services.list_organisations(db)
    page = render_template(
        "routing/triage.html",
        c=contribution,
        routing=services.routing_of(db, contribution),
        events=timeline(db, contribution, public_only=False),
        decision_options=DECISION_OPTIONS,
        organisation_options=[("", "Choose an organisation")]
        + [(str(o.id), f"{o.name} ({KIND_WORDS[o.kind]})") for o in organisations],
        responder_options=_responder_options(db),
        default_days=DEFAULT_RESPONSE_DAYS,
        errors=errors or {},
        values=values or {},
        **_labels(),
    )
    return Response(page, status=status)


@staff_pages.get("/routing/<int:contribution_id>")
@staff_required(*MODERATORS)
def triage_page(contribution_id: int) -> Response:
    """One item: how it was triaged, its history, and the triage form."""
    contribution = get_session().get(Contribution, contribution_id)
    if contribution is None:
        return not_found()
    return _triage_page(contribution)


def _whole_number(text: str, field: str, message: str) -> int:
    try:
        return int(text.strip())
    except ValueError:
        raise RoutingError(field, message) from None


def _triage(db: Session, contribution: Contribution, form: dict[str, str], me: StaffUser) -> str:
    decision = form.get("decision", "")
    if decision == Decision.NATIONAL.value:
        services.triage_national(db, contribution, me)
        return "Marked as a national candidate: it goes into the national summary."
    if decision != Decision.LOCAL.value:
        raise RoutingError("decision", "Choose national or local")
    organisation_id = form.get("organisation", "")
    organisation = db.get(Organisation, int(organisation_id)) if organisation_id.isdigit() else None
    responder_id = form.get("responder", "")
    responder = db.get(StaffUser, int(responder_id)) if responder_id.isdigit() else None
    if responder_id and responder is None:
        raise RoutingError("responder", "Choose a responder from the list")
    days_text = form.get("days", "").strip() or str(DEFAULT_RESPONSE_DAYS)
    days = _whole_number(days_text, "days", "Enter the number of working days as a whole number")
    routing = services.route(db, contribution, organisation, responder, me, days=days)
    assert routing.organisation is not None and routing.deadline is not None
    return (
        f"Passed to {routing.organisation.name}, "
        f"to respond by {routing.deadline.day} {routing.deadline:%B %Y}."
    )


@staff_pages.post("/routing/<int:contribution_id>")
@staff_required(*MODERATORS)
def triage_submit(contribution_id: int) -> BaseResponse:
    """Triage an item: national, or routed to an organisation."""
    db = get_session()
    contribution = db.get(Contribution, contribution_id)
    if contribution is None:
        return not_found()
    form = form_values()
    try:
        message = _triage(db, contribution, form, signed_in_staff())
    except RoutingError as error:
        db.rollback()
        contribution = db.get(Contribution, contribution_id)
        assert contribution is not None
        return _triage_page(contribution, _errors(error), form, 400)
    db.commit()
    flash(message)
    return redirect(url_for("routing.triage_page", contribution_id=contribution_id))


# -- organisations --------------------------------------------------------------------------


def _organisations_page(
    errors: dict[str, list[str]] | None = None,
    values: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    db = get_session()
    organisations = services.list_organisations(db, active_only=False)
    responders = [s for s in list_staff(db) if s.active and s.role is Role.RESPONDER]
    page = render_template(
        "routing/organisations.html",
        organisations=organisations,
        responders=[(s, services.organisation_of(db, s)) for s in responders],
        kind_options=[("", "Choose a kind")] + [(k.value, KIND_WORDS[k]) for k in OrganisationKind],
        responder_options=[("", "Choose a responder")]
        + [(str(s.id), f"{s.name} ({s.email})") for s in responders],
        link_options=[("", "Choose an organisation")]
        + [(str(o.id), o.name) for o in organisations if o.active]
        + [("none", "None: unlink them")],
        may_change=signed_in_staff().may(*ADMINS),
        errors=errors or {},
        values=values or {},
        **_labels(),
    )
    return Response(page, status=status)


@staff_pages.get("/organisations")
@staff_required(*MODERATORS)
def organisations() -> Response:
    """The organisations items can be routed to, and who answers for each."""
    return _organisations_page()


def _organisation_action(action: str) -> BaseResponse:
    db = get_session()
    form = form_values()
    me = signed_in_staff()
    try:
        if action == "add":
            added = services.add_organisation(
                db, me, form.get("name", ""), form.get("kind", ""),
                form.get("ods_code"), form.get("email"),
            )  # fmt: skip
            message = f"Added {added.name}."
        else:
            staff_id = form.get("staff", "")
            staff = db.get(StaffUser, int(staff_id)) if staff_id.isdigit() else None
            if staff is None:
                raise RoutingError("staff", "Choose the responder to link")
            choice = form.get("organisation", "")
            organisation = db.get(Organisation, int(choice)) if choice.isdigit() else None
            if organisation is None and choice != "none":
                raise RoutingError("organisation", "Choose the organisation they answer for")
            services.link_staff(db, staff, organisation, me)
            message = (
                f"{staff.name} now answers for {organisation.name}."
                if organisation is not None
                else f"{staff.name} no longer answers for an organisation."
            )
    except RoutingError as error:
        db.rollback()
        return _organisations_page(_errors(error), form, 400)
    db.commit()
    flash(message)
    return redirect(url_for("routing.organisations"))


@staff_pages.post("/organisations")
@staff_required(*ADMINS)
def organisation_add() -> BaseResponse:
    """Add an organisation (name, kind, ODS code, email for reminders)."""
    return _organisation_action("add")


@staff_pages.post("/organisations/link")
@staff_required(*ADMINS)
def organisation_link() -> BaseResponse:
    """Link a responder to the organisation they answer for (or unlink them)."""
    return _organisation_action("link")


# -- responses ------------------------------------------------------------------------------


def _mine(db: Session, me: StaffUser) -> tuple[Organisation | None, list[Routing]]:
    """The organisation I answer for and its routed items (an admin: every routed item)."""
    organisation = services.organisation_of(db, me)
    if me.role is Role.ADMIN:
        routings = services.list_routings(db, decision=Decision.LOCAL)
    elif organisation is None:
        routings = []
    else:
        routings = services.list_routings(db, organisation=organisation, decision=Decision.LOCAL)
    routings.sort(key=lambda r: (r.answered, r.deadline is None, r.deadline, r.id))
    return organisation, routings


@staff_pages.get("/responses")
@staff_required(*RESPONDERS)
def responses() -> str:
    """Items routed to my organisation: unanswered first, earliest deadline first."""
    me = signed_in_staff()
    organisation, routings = _mine(get_session(), me)
    return render_template(
        "routing/responses.html",
        organisation=organisation,
        is_admin=me.role is Role.ADMIN,
        routings=routings,
        **_labels(),
    )


def _routing_for(db: Session, routing_id: int, me: StaffUser) -> Routing | None:
    """The routed item, if it is one this member of staff answers (None: not found)."""
    routing = db.get(Routing, routing_id)
    if routing is None or routing.decision is not Decision.LOCAL:
        return None
    if me.role is Role.ADMIN:
        return routing
    organisation = services.organisation_of(db, me)
    if organisation is None or organisation.id != routing.organisation_id:
        return None
    return routing


def _response_page(
    routing: Routing,
    errors: dict[str, list[str]] | None = None,
    values: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    db = get_session()
    change_options = []
    if routing.outcome is Outcome.RESPONDED:
        change_options.append(("change-planned", "Change planned"))
    if routing.outcome in (Outcome.RESPONDED, Outcome.CHANGE_PLANNED):
        change_options.append(("change-made", "Change made"))
    page = render_template(
        "routing/response.html",
        routing=routing,
        c=routing.contribution,
        events=timeline(db, routing.contribution),
        outcome_options=OUTCOME_OPTIONS,
        change_options=change_options,
        errors=errors or {},
        values=values or {},
        **_labels(),
    )
    return Response(page, status=status)


@staff_pages.get("/responses/<int:routing_id>")
@staff_required(*RESPONDERS)
def response_page(routing_id: int) -> Response:
    """One routed item: what was raised, and the response form (or the response given)."""
    routing = _routing_for(get_session(), routing_id, signed_in_staff())
    if routing is None:
        return not_found()
    return _response_page(routing)


def _response_action(routing_id: int, action: str) -> BaseResponse:
    db = get_session()
    me = signed_in_staff()
    routing = _routing_for(db, routing_id, me)
    if routing is None:
        return not_found()
    form = form_values()
    try:
        if action == "respond":
            services.respond(
                db, routing, me, form.get("text"), form.get("outcome", ""),
                change_description=form.get("change_description"),
                closed_reason=form.get("closed_reason"),
            )  # fmt: skip
            message = "Response published: it is on the item's page and followers are told."
        else:
            services.mark_change(
                db, routing, me, form.get("outcome", ""), form.get("change_description")
            )
            message = "Change recorded: it is on the item's page and followers are told."
    except RoutingError as error:
        db.rollback()
        routing = _routing_for(db, routing_id, me)
        assert routing is not None
        return _response_page(routing, _errors(error), form, 400)
    db.commit()
    flash(message)
    return redirect(url_for("routing.response_page", routing_id=routing_id))


@staff_pages.post("/responses/<int:routing_id>")
@staff_required(*RESPONDERS)
def response_submit(routing_id: int) -> BaseResponse:
    """Publish the organisation's response and its outcome."""
    return _response_action(routing_id, "respond")


@staff_pages.post("/responses/<int:routing_id>/change")
@staff_required(*RESPONDERS)
def change_submit(routing_id: int) -> BaseResponse:
    """Record a change after the response: planned, or made."""
    return _response_action(routing_id, "change")


# -- public pages ---------------------------------------------------------------------------


@public_pages.get("/you-said-we-did")
def you_said_we_did() -> str:
    """What changed because people spoke up, latest first."""
    return render_template(
        "routing/you_said_we_did.html",
        routings=services.you_said_we_did(get_session()),
        **_labels(),
    )


def percent(share: float | None) -> str:
    """A share as a whole percentage ("67%"), or "Not yet" when there is none."""
    return "Not yet" if share is None else f"{round(share * 100)}%"


def working_days(value: float | None) -> str:
    """A median number of working days ("7", "7.5"), or "Not yet"."""
    if value is None:
        return "Not yet"
    return f"{value:g}"


@public_pages.get("/organisations")
def organisations_page() -> str:
    """Each organisation's response figures, as of today in England."""
    db = get_session()
    today = england_today()
    figures = routing_stats(services.routed_items(db), as_of=today)
    rows = [
        (organisation, figures.by_organisation[str(organisation.id)])
        for organisation in services.list_organisations(db, active_only=False)
        if str(organisation.id) in figures.by_organisation
    ]
    return render_template(
        "routing/organisations_public.html",
        rows=rows,
        percent=percent,
        working_days=working_days,
        **_labels(),
    )
