"""Triage and routing: organisations, routing items to them, their responses. Never commits.

Every function takes the session and the acting staff member, checks what it
is asked (raising `RoutingError`, whose `field` names the form field and whose
message a person can act on, before anything is written), writes its line in
the staff audit log (`hub.staff.audit.record_action`) and flushes. The view
owns the transaction.

Who may do what:

- moderators and admins add organisations, triage items (national or local)
  and route them; admins link a responder to their organisation;
- a responder linked to an organisation answers that organisation's items
  only; admins answer any. Other staff do not answer routed items.

Moving an item's public stage (routed, responded, change planned, change made,
closed) goes through `hub.gather.events.record_event`, the path staff status
updates use, so it is on the item's public timeline and followers are emailed
(`hub.residents.notify`). Response texts, change descriptions and closing
reasons are public notes; they are not copied into the audit log.

Days are England's (`england_today`): the response deadline is
`calendar.add_working_days(routed_on, days)`, 20 working days by default.

API:

- `add_organisation(db, me, name, kind, ods_code=None, email=None) -> Organisation`
- `list_organisations(db, *, active_only=True) -> list[Organisation]`
- `set_organisation_active(db, organisation, active, me)`
- `link_staff(db, staff, organisation | None, me)`; `organisation_of(db, staff)`
- `routing_of(db, contribution) -> Routing | None`; `list_routings(db, …)`
- `triage_national(db, contribution, me) -> Routing`
- `route(db, contribution, organisation, responder, me, days=20, today=None) -> Routing`
- `respond(db, routing, me, text, outcome, change_description=None, closed_reason=None,
  today=None)`
- `mark_change(db, routing, me, outcome, description)`
- `due_reminders(db, today, days_before=5) -> list[Routing]`; `mark_reminded(db, routing)`
- `routed_items(db) -> list[RoutedItem]` (for `hub.routing.stats.routing_stats`)
- `you_said_we_did(db, limit=50) -> list[Routing]`
"""

from __future__ import annotations

import re
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hub.db import utcnow
from hub.gather.events import record_event
from hub.gather.models import Contribution, Stage, Status
from hub.routing.calendar import DEFAULT_RESPONSE_DAYS, add_working_days, working_days_between
from hub.routing.models import (
    Decision,
    Organisation,
    OrganisationKind,
    OrganisationStaff,
    Outcome,
    Routing,
)
from hub.routing.stats import RoutedItem
from hub.staff.audit import record_action
from hub.staff.models import Role, StaffUser

ENGLAND = ZoneInfo("Europe/London")
NAME_LENGTH = 160
RESPONSE_LENGTH = 2000
DESCRIPTION_LENGTH = 1000
ODS_CODE = re.compile(r"[A-Z0-9]{3,9}")
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
CHANGE_OUTCOMES = (Outcome.CHANGE_PLANNED, Outcome.CHANGE_MADE)
KIND_WORDS = {
    OrganisationKind.COUNCIL_DEPARTMENT: "council department",
    OrganisationKind.ICB: "integrated care board",
    OrganisationKind.NHS_TRUST: "NHS trust",
    OrganisationKind.GP_PRACTICE: "GP practice",
    OrganisationKind.HEALTHWATCH: "Healthwatch",
    OrganisationKind.OTHER: "other",
}


class RoutingError(ValueError):
    """A routing step that cannot be taken as asked; `field` is the form field it is about."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def england_today() -> date:
    """Today's date in England (deadlines and reminders count England's working days)."""
    return datetime.now(ENGLAND).date()


def _day_of(moment: datetime) -> date:
    return moment.astimezone(ENGLAND).date()


def _long_date(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


def _target(contribution: Contribution) -> str:
    return f"contribution:{contribution.id}"


def _text(value: str | None, field: str, limit: int, required: str | None = None) -> str | None:
    text = (value or "").strip()
    if not text:
        if required:
            raise RoutingError(field, required)
        return None
    if len(text) > limit:
        raise RoutingError(field, f"Use {limit:,} characters or fewer (yours has {len(text):,})")
    return text


def _require(me: StaffUser, *roles: str, doing: str) -> None:
    if not me.may(*roles):
        raise RoutingError("", f"Your role ({me.role.value}) cannot {doing}")


# -- organisations -------------------------------------------------------------------------


def add_organisation(
    db: Session,
    me: StaffUser,
    name: str,
    kind: str,
    ods_code: str | None = None,
    email: str | None = None,
) -> Organisation:
    """Add an organisation items can be routed to (moderators and admins).

    `ods_code` is upper-cased and must be 3 to 9 letters or digits (an NHS ODS
    code such as "R0A" or "P84001"); names and ODS codes are unique in the hub.
    """
    _require(me, Role.MODERATOR, doing="add organisations")
    clean_name = _text(name, "name", NAME_LENGTH, required="Enter the organisation's name")
    assert clean_name is not None
    if kind not in {k.value for k in OrganisationKind}:
        raise RoutingError("kind", "Choose what kind of organisation it is")
    code = (ods_code or "").strip().upper() or None
    if code is not None and not ODS_CODE.fullmatch(code):
        raise RoutingError(
            "ods_code",
            "Enter an ODS code of 3 to 9 letters and digits, like R0A or P84001, or leave it empty",
        )
    address = (email or "").strip().lower() or None
    if address is not None and (len(address) > 254 or not EMAIL.fullmatch(address)):
        raise RoutingError(
            "email", "Enter an email address like team@example.org, or leave it empty"
        )
    taken = db.scalar(
        select(Organisation).where(func.lower(Organisation.name) == clean_name.lower())
    )
    if taken is not None:
        raise RoutingError("name", f"There is already an organisation called {taken.name}")
    if code is not None:
        same_code = db.scalar(select(Organisation).where(Organisation.ods_code == code))
        if same_code is not None:
            raise RoutingError("ods_code", f"{same_code.name} already has the ODS code {code}")
    organisation = Organisation(
        name=clean_name, kind=OrganisationKind(kind), ods_code=code, email=address, active=True
    )
    db.add(organisation)
    db.flush()
    record_action(
        db,
        me,
        "organisation-added",
        f"organisation:{organisation.id}",
        f"{clean_name} ({KIND_WORDS[organisation.kind]}{', ODS ' + code if code else ''})",
    )
    return organisation


def list_organisations(db: Session, *, active_only: bool = True) -> list[Organisation]:
    """Organisations by name (only those items may still be routed to, unless asked)."""
    query = select(Organisation)
    if active_only:
        query = query.where(Organisation.active.is_(True))
    return list(db.scalars(query.order_by(func.lower(Organisation.name), Organisation.id)))


def set_organisation_active(
    db: Session, organisation: Organisation, active: bool, me: StaffUser
) -> None:
    """Stop (or resume) routing new items to an organisation; what it was sent stays."""
    _require(me, Role.MODERATOR, doing="change organisations")
    if organisation.active is active:
        return
    organisation.active = active
    db.flush()
    record_action(
        db,
        me,
        "organisation-activated" if active else "organisation-deactivated",
        f"organisation:{organisation.id}",
        organisation.name,
    )


def organisation_of(db: Session, staff: StaffUser) -> Organisation | None:
    """The organisation a staff member answers for, if they are linked to one."""
    link = db.get(OrganisationStaff, staff.id)
    return None if link is None else link.organisation


def link_staff(
    db: Session, staff: StaffUser, organisation: Organisation | None, me: StaffUser
) -> None:
    """Link a responder to the organisation they answer for (None unlinks); admins only."""
    _require(me, Role.ADMIN, doing="link staff to organisations")
    link = db.get(OrganisationStaff, staff.id)
    if organisation is None:
        if link is None:
            return
        db.delete(link)
        detail = "none"
    else:
        if staff.role is not Role.RESPONDER:
            raise RoutingError(
                "organisation",
                f"Only responders answer for an organisation ({staff.name} is not one)",
            )
        if link is None:
            link = OrganisationStaff(staff_id=staff.id, organisation_id=organisation.id)
            db.add(link)
        elif link.organisation_id == organisation.id:
            return
        link.organisation_id = organisation.id
        detail = organisation.name
    db.flush()
    if organisation is not None:
        db.expire(link, ["organisation"])
    record_action(db, me, "staff-organisation-set", f"staff:{staff.id}", detail)


# -- triage and routing --------------------------------------------------------------------


def routing_of(db: Session, contribution: Contribution) -> Routing | None:
    return db.scalar(select(Routing).where(Routing.contribution_id == contribution.id))


def list_routings(
    db: Session,
    *,
    organisation: Organisation | None = None,
    decision: Decision | None = None,
    unanswered_only: bool = False,
    limit: int = 500,
) -> list[Routing]:
    """Triaged items, earliest deadline first (national ones, which have none, last)."""
    query = select(Routing)
    if organisation is not None:
        query = query.where(Routing.organisation_id == organisation.id)
    if decision is not None:
        query = query.where(Routing.decision == decision)
    if unanswered_only:
        query = query.where(Routing.outcome.is_(None))
    query = query.order_by(Routing.deadline.is_(None), Routing.deadline, Routing.id)
    return list(db.scalars(query.limit(limit)))


def _check_triageable(contribution: Contribution) -> None:
    if contribution.status is not Status.PUBLISHED:
        raise RoutingError("", "Only a published item can be triaged and routed")
    if contribution.hidden_at is not None:
        raise RoutingError(
            "", "This item is hidden after reports: a moderator must restore it before routing"
        )


def _check_not_answered(routing: Routing | None) -> None:
    if routing is not None and routing.outcome is not None:
        who = routing.organisation.name if routing.organisation else "the organisation"
        day = _long_date(routing.responded_on) if routing.responded_on else "an earlier date"
        raise RoutingError(
            "organisation",
            f"{who} already responded on {day}: an answered item cannot be triaged again",
        )


def triage_national(db: Session, contribution: Contribution, me: StaffUser) -> Routing:
    """Mark an item as a national candidate (it goes into the summary; no local organisation).

    An item routed locally but not yet answered may be moved to national; the
    public timeline says so. The public stage is left as it is.
    """
    _require(me, Role.MODERATOR, doing="triage items")
    _check_triageable(contribution)
    routing = routing_of(db, contribution)
    _check_not_answered(routing)
    if routing is not None and routing.decision is Decision.NATIONAL:
        raise RoutingError("decision", "This item is already a national candidate")
    today = england_today()
    previous = routing.organisation if routing is not None else None
    if routing is None:
        routing = Routing(contribution_id=contribution.id, routed_by_id=me.id)
        db.add(routing)
    routing.decision = Decision.NATIONAL
    routing.organisation_id = routing.responder_id = None
    routing.deadline = routing.reminded_at = None
    routing.routed_at = utcnow()
    routing.routed_on = today
    routing.routed_by_id = me.id
    db.flush()
    db.refresh(routing)
    if previous is not None:
        record_event(
            db,
            contribution,
            "status",
            stage=Stage.ROUTED,
            note=f"Passed to the national team as a national issue, instead of {previous.name}.",
            public=True,
            staff=me,
        )
    record_action(
        db,
        me,
        "item-triaged-national",
        _target(contribution),
        f"was routed to {previous.name}" if previous is not None else "",
    )
    return routing


def _check_responder(db: Session, responder: StaffUser | None, organisation: Organisation) -> None:
    if responder is None:
        return
    if not responder.active or responder.role is not Role.RESPONDER:
        raise RoutingError(
            "responder", f"{responder.name} is not an active responder: choose someone who is"
        )
    theirs = organisation_of(db, responder)
    if theirs is not None and theirs.id != organisation.id:
        raise RoutingError(
            "responder",
            f"{responder.name} answers for {theirs.name}, not {organisation.name}",
        )


def route(
    db: Session,
    contribution: Contribution,
    organisation: Organisation | None,
    responder: StaffUser | None,
    me: StaffUser,
    days: int = DEFAULT_RESPONSE_DAYS,
    today: date | None = None,
) -> Routing:
    """Route a published item to a local organisation, due `days` working days after today.

    The item's public stage becomes "routed" with a note naming the
    organisation and the deadline (followers are emailed). An item routed to
    another organisation (or triaged national) may be re-routed until it is
    answered, which starts a new deadline; the same organisation with another
    responder only changes the responder.
    """
    _require(me, Role.MODERATOR, doing="route items")
    _check_triageable(contribution)
    if organisation is None:
        raise RoutingError("organisation", "Choose the organisation that should respond")
    if not organisation.active:
        raise RoutingError(
            "organisation", f"{organisation.name} no longer takes routed items: choose another"
        )
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= 120:
        raise RoutingError("days", "Give the organisation between 1 and 120 working days")
    _check_responder(db, responder, organisation)
    routing = routing_of(db, contribution)
    _check_not_answered(routing)
    responder_id = None if responder is None else responder.id
    if (
        routing is not None
        and routing.decision is Decision.LOCAL
        and routing.organisation_id == organisation.id
    ):
        if routing.responder_id == responder_id:
            raise RoutingError(
                "organisation", f"This item is already routed to {organisation.name}"
            )
        routing.responder_id = responder_id
        db.flush()
        record_action(
            db,
            me,
            "routing-responder-set",
            _target(contribution),
            responder.name if responder is not None else "none",
        )
        return routing

    day = today or england_today()
    deadline = add_working_days(day, days)
    previous = routing.organisation if routing is not None else None
    was_national = routing is not None and routing.decision is Decision.NATIONAL
    if routing is None:
        routing = Routing(contribution_id=contribution.id, routed_by_id=me.id)
        db.add(routing)
    routing.decision = Decision.LOCAL
    routing.organisation_id = organisation.id
    routing.responder_id = responder_id
    routing.routed_at = utcnow()
    routing.routed_on = day
    routing.deadline = deadline
    routing.reminded_at = None
    routing.routed_by_id = me.id
    db.flush()
    db.refresh(routing)
    note = f"Passed to {organisation.name}, who are asked to respond by {_long_date(deadline)}."
    record_event(db, contribution, "status", stage=Stage.ROUTED, note=note, public=True, staff=me)
    detail = f"{organisation.name}; due {deadline.isoformat()}"
    if responder is not None:
        detail += f"; responder {responder.name}"
    if previous is not None:
        detail += f"; was routed to {previous.name}"
    elif was_national:
        detail += "; was a national candidate"
    record_action(
        db,
        me,
        "item-rerouted" if previous is not None else "item-routed",
        _target(contribution),
        detail,
    )
    return routing


# -- responses -----------------------------------------------------------------------------


def _check_may_answer(db: Session, routing: Routing, me: StaffUser) -> None:
    if routing.decision is not Decision.LOCAL or routing.organisation is None:
        raise RoutingError(
            "", "This item is a national candidate: no local organisation answers it"
        )
    if me.may(Role.ADMIN):
        return
    if not me.may(Role.RESPONDER):
        raise RoutingError(
            "", "Only the organisation's responders, or an admin, can answer routed items"
        )
    theirs = organisation_of(db, me)
    if theirs is None:
        raise RoutingError(
            "",
            f"Your account is not linked to {routing.organisation.name}: ask an admin to link it",
        )
    if theirs.id != routing.organisation_id:
        raise RoutingError(
            "",
            f"You answer for {theirs.name}; this item was routed to {routing.organisation.name}",
        )


def _change_text(outcome: Outcome, description: str) -> str:
    label = "Change planned" if outcome is Outcome.CHANGE_PLANNED else "Change made"
    return f"{label}: {description}"


def _track_change(db: Session, routing: Routing, me: StaffUser) -> None:
    """A change planned or made is tracked on the Stocktake (`hub.stocktake`)."""
    from hub.stocktake.services import track_routing  # here: it imports this module

    track_routing(db, routing, me)


def respond(
    db: Session,
    routing: Routing,
    me: StaffUser,
    text: str | None,
    outcome: str,
    change_description: str | None = None,
    closed_reason: str | None = None,
    today: date | None = None,
) -> None:
    """Publish the organisation's response to a routed item, with its outcome.

    "change-planned" and "change-made" need the change described; "closed"
    needs the reason (an item is never closed silently), and its response text
    may then be left empty. The item's public stage becomes the outcome with
    the response (and the change or reason) as its public note.
    """
    _check_may_answer(db, routing, me)
    if routing.outcome is not None:
        raise RoutingError(
            "text", "This item already has a response: record a later change with “mark change”"
        )
    try:
        chosen = Outcome(outcome)
    except ValueError:
        raise RoutingError(
            "outcome", "Choose responded, change planned, change made or closed"
        ) from None
    response = _text(
        text,
        "text",
        RESPONSE_LENGTH,
        required=None if chosen is Outcome.CLOSED else "Enter the response people will read",
    )
    description = reason = None
    if chosen in CHANGE_OUTCOMES:
        description = _text(
            change_description,
            "change_description",
            DESCRIPTION_LENGTH,
            required="Say what the change is, so people can see what their words led to",
        )
    if chosen is Outcome.CLOSED:
        reason = _text(
            closed_reason,
            "closed_reason",
            DESCRIPTION_LENGTH,
            required="Say why it is closed: items are never closed without a reason",
        )
    day = today or england_today()
    if day < routing.routed_on:
        raise RoutingError("", "A response cannot be dated before the item was routed")
    contribution = routing.contribution
    now = utcnow()
    routing.response = response
    routing.outcome = chosen
    routing.responded_at = now
    routing.responded_on = day
    routing.responded_by_id = me.id
    routing.change_description = description
    routing.changed_at = now if description is not None else None
    routing.closed_reason = reason
    db.flush()
    parts = [part for part in (response,) if part]
    if description is not None:
        parts.append(_change_text(chosen, description))
    if reason is not None:
        parts.append(f"Why it is closed: {reason}")
    record_event(
        db,
        contribution,
        "status",
        stage=Stage(chosen.value),
        note="\n\n".join(parts),
        public=True,
        staff=me,
    )
    assert routing.organisation is not None
    record_action(
        db,
        me,
        "routing-responded",
        _target(contribution),
        f"{chosen.value}; for {routing.organisation.name}",
    )
    _track_change(db, routing, me)


def mark_change(
    db: Session, routing: Routing, me: StaffUser, outcome: str, description: str | None
) -> None:
    """Record a change after the response: planned (after "responded"), or made.

    "change-made" may follow "responded" or "change-planned"; a closed item or
    one whose change is already made cannot be changed again.
    """
    _check_may_answer(db, routing, me)
    if routing.outcome is None:
        raise RoutingError("outcome", "Respond to the item first, then record the change")
    if routing.outcome is Outcome.CLOSED:
        raise RoutingError("outcome", "This item was closed with a reason: it cannot be changed")
    if routing.outcome is Outcome.CHANGE_MADE:
        raise RoutingError("outcome", "The change for this item is already marked as made")
    if outcome not in {o.value for o in CHANGE_OUTCOMES}:
        raise RoutingError("outcome", "Choose change planned or change made")
    chosen = Outcome(outcome)
    if chosen is routing.outcome:
        raise RoutingError("outcome", "The change is already planned: mark it made once it is")
    text = _text(
        description,
        "change_description",
        DESCRIPTION_LENGTH,
        required="Say what the change is, so people can see what their words led to",
    )
    assert text is not None
    routing.outcome = chosen
    routing.change_description = text
    routing.changed_at = utcnow()
    db.flush()
    record_event(
        db,
        routing.contribution,
        "status",
        stage=Stage(chosen.value),
        note=_change_text(chosen, text),
        public=True,
        staff=me,
    )
    assert routing.organisation is not None
    record_action(
        db,
        me,
        "routing-change-marked",
        _target(routing.contribution),
        f"{chosen.value}; for {routing.organisation.name}",
    )
    _track_change(db, routing, me)


# -- reminders -----------------------------------------------------------------------------


def due_reminders(db: Session, today: date, days_before: int = 5) -> list[Routing]:
    """Unanswered routed items due within `days_before` working days (or late), not yet
    reminded today; earliest deadline first."""
    query = (
        select(Routing)
        .where(
            Routing.decision == Decision.LOCAL,
            Routing.outcome.is_(None),
            Routing.deadline.is_not(None),
        )
        .order_by(Routing.deadline, Routing.id)
    )
    due = []
    for routing in db.scalars(query):
        deadline = routing.deadline
        assert deadline is not None
        if deadline > today and working_days_between(today, deadline) > days_before:
            continue
        if routing.reminded_at is not None and _day_of(routing.reminded_at) == today:
            continue
        if not routing.contribution.public:
            continue
        due.append(routing)
    return due


def mark_reminded(db: Session, routing: Routing, at: datetime | None = None) -> None:
    """Note that a reminder was sent (by the reminders command, so no staff member acts)."""
    routing.reminded_at = at or utcnow()
    db.flush()
    record_action(
        db,
        None,
        "routing-reminded",
        _target(routing.contribution),
        "" if routing.deadline is None else f"due {routing.deadline.isoformat()}",
    )


# -- public figures ------------------------------------------------------------------------


def routed_items(db: Session) -> list[RoutedItem]:
    """Every locally routed item still published, as `hub.routing.stats` takes them."""
    query = (
        select(Routing)
        .join(Contribution, Contribution.id == Routing.contribution_id)
        .where(Routing.decision == Decision.LOCAL, Contribution.status == Status.PUBLISHED)
        .order_by(Routing.id)
    )
    items = []
    for routing in db.scalars(query):
        organisation = routing.organisation
        assert organisation is not None and routing.deadline is not None
        items.append(
            RoutedItem(
                organisation_id=str(organisation.id),
                organisation_type=organisation.kind.value,
                routed_on=routing.routed_on,
                responded_on=routing.responded_on,
                outcome=None if routing.outcome is None else routing.outcome.value,
                deadline=routing.deadline,
                reference=str(routing.contribution_id),
            )
        )
    return items


def you_said_we_did(db: Session, limit: int = 50) -> list[Routing]:
    """Public items whose response led to a change (planned or made), latest change first."""
    query = (
        select(Routing)
        .join(Contribution, Contribution.id == Routing.contribution_id)
        .where(
            Routing.outcome.in_(CHANGE_OUTCOMES),
            Contribution.status == Status.PUBLISHED,
            Contribution.hidden_at.is_(None),
        )
        .order_by(func.coalesce(Routing.changed_at, Routing.responded_at).desc(), Routing.id.desc())
        .limit(limit)
    )
    return list(db.scalars(query))
