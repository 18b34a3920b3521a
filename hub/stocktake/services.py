"""Stocktake: agreed actions, their owners and dated updates. Never commits.

Every function that writes takes the session and the acting staff member,
checks what it is asked (raising `StocktakeError`, whose `field` names the
form field and whose message a person can act on, before anything is
written), writes its line in the staff audit log and flushes. The view owns
the transaction.

Who may do what (admins may do everything):

- facilitators add actions and update any action;
- a responder linked to an organisation (`hub.routing.services.organisation_of`)
  adds and updates that organisation's actions only;
- moderators (and everyone else) only read them.

Days are England's (`hub.routing.services.england_today`). An action is late
when it has a due date before today and is not done; a stalled action keeps
the reason it stalled (the note of the update that stalled it) until it moves on.

A routed item's planned change becomes an action of its own (`track_routing`,
called by `hub.routing.services` when a response with a change is recorded):
its owner is the organisation it was routed to, and it is done when the
change is marked made.

API:

- `add_action(db, by, *, title, owner, due_on, description=None, source="assembly",
  organisation=None, routing=None) -> Action`
- `add_update(db, by, action, *, status, note, written_on=None, today=None) -> ActionUpdate`
- `set_plan(db, by, action, *, owner, due_on) -> None` (owner and due date)
- `list_actions(db, *, organisation=None, status=None, source=None) -> list[Action]`
- `may_update(db, staff, action) -> bool`
- `late(action, today) -> bool`
- `track_routing(db, routing, by) -> Action | None`
- `board(db, today, *, public=False) -> Board` (the page's and the pack's sections)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.db import utcnow
from hub.gather.models import Status
from hub.routing.models import Organisation, Outcome, Routing
from hub.routing.services import england_today, organisation_of
from hub.staff.audit import record_action
from hub.staff.models import Role, StaffUser
from hub.stocktake.models import Action, ActionSource, ActionStatus, ActionUpdate

TITLE_LENGTH = 200
OWNER_LENGTH = 160
TEXT_LENGTH = 2000
STATUS_WORDS = {
    ActionStatus.PLANNED: "Planned",
    ActionStatus.IN_PROGRESS: "In progress",
    ActionStatus.DONE: "Done",
    ActionStatus.STALLED: "Stalled",
}
SOURCE_WORDS = {
    ActionSource.ASSEMBLY: "Citizens' Assembly",
    ActionSource.ROUTING: "Routed item",
    ActionSource.OTHER: "Other",
}
EDITORS = (Role.FACILITATOR.value, Role.RESPONDER.value)


class StocktakeError(ValueError):
    """A Stocktake step that cannot be taken as asked; `field` is the form field it is about."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def _target(action: Action) -> str:
    return f"action:{action.id}"


def _text(value: str | None, field: str, limit: int, required: str | None = None) -> str | None:
    text = (value or "").strip()
    if not text:
        if required:
            raise StocktakeError(field, required)
        return None
    if len(text) > limit:
        raise StocktakeError(field, f"Use {limit:,} characters or fewer (yours has {len(text):,})")
    return text


def _check_editor(db: Session, by: StaffUser, organisation_id: int | None, doing: str) -> None:
    """Admins and facilitators act on any action; a responder only on their organisation's."""
    if not by.may(*EDITORS):
        raise StocktakeError("", f"Your role ({by.role.value}) cannot {doing}")
    if by.role is not Role.RESPONDER:
        return
    theirs = organisation_of(db, by)
    if theirs is None:
        raise StocktakeError(
            "", "Your account is not linked to an organisation: ask an admin to link it"
        )
    if organisation_id != theirs.id:
        raise StocktakeError("", f"You can only {doing} for {theirs.name}")


def may_update(db: Session, staff: StaffUser, action: Action) -> bool:
    """Whether this member of staff may update the action (and change its owner or due date)."""
    try:
        _check_editor(db, staff, action.organisation_id, "update actions")
    except StocktakeError:
        return False
    return True


def late(action: Action, today: date) -> bool:
    """Due before `today` and not done."""
    if action.due_on is None or action.status is ActionStatus.DONE:
        return False
    return action.due_on < today


# -- actions -------------------------------------------------------------------------------


def add_action(
    db: Session,
    by: StaffUser,
    *,
    title: str,
    owner: str,
    due_on: date | None,
    description: str | None = None,
    source: str = "assembly",
    organisation: Organisation | None = None,
    routing: Routing | None = None,
) -> Action:
    """Record an agreed action with its named owner (a person or a role) and due date.

    A responder's action belongs to their organisation (given or not); nobody
    else's organisation may be named. A routing has at most one action.
    """
    if source not in {s.value for s in ActionSource}:
        raise StocktakeError("source", "Choose where the action came from")
    if by.role is Role.RESPONDER and organisation is None:
        organisation = organisation_of(db, by)
    _check_editor(db, by, None if organisation is None else organisation.id, doing="add actions")
    clean_title = _text(title, "title", TITLE_LENGTH, required="Enter what will be done")
    clean_owner = _text(
        owner,
        "owner",
        OWNER_LENGTH,
        required="Enter who owns it: a named person or role, like Director of Adult Social Care",
    )
    clean_description = _text(description, "description", TEXT_LENGTH)
    assert clean_title is not None and clean_owner is not None
    if due_on is not None and not isinstance(due_on, date):
        raise StocktakeError("due_on", "Enter the due date as a real date, like 27 3 2027")
    if routing is not None:
        taken = db.scalar(select(Action).where(Action.routing_id == routing.id))
        if taken is not None:
            raise StocktakeError("", f"This routed item is already tracked as “{taken.title}”")
    now = utcnow()
    action = Action(
        source=ActionSource(source),
        title=clean_title,
        description=clean_description,
        owner=clean_owner,
        organisation_id=None if organisation is None else organisation.id,
        routing_id=None if routing is None else routing.id,
        due_on=due_on,
        status=ActionStatus.PLANNED,
        created_at=now,
        created_by_id=by.id,
        updated_at=now,
    )
    db.add(action)
    db.flush()
    detail = f"{clean_title}; owner {clean_owner}"
    if due_on is not None:
        detail += f"; due {due_on.isoformat()}"
    record_action(db, by, "action-added", _target(action), detail)
    return action


def add_update(
    db: Session,
    by: StaffUser,
    action: Action,
    *,
    status: str,
    note: str,
    written_on: date | None = None,
    today: date | None = None,
) -> ActionUpdate:
    """Add a dated update (the day in England, today unless given) and move the action's status.

    Every update says what happened (`note`); for "stalled" the note is the
    reason it stalled, which the Stocktake shows until the action moves on.
    An update cannot be dated after today.
    """
    _check_editor(db, by, action.organisation_id, doing="update actions")
    try:
        chosen = ActionStatus(status)
    except ValueError:
        raise StocktakeError("status", "Choose planned, in progress, done or stalled") from None
    text = _text(
        note,
        "note",
        TEXT_LENGTH,
        required=(
            "Say why it has stalled: the Stocktake shows the reason"
            if chosen is ActionStatus.STALLED
            else "Say what has happened since the last update"
        ),
    )
    assert text is not None
    day = today or england_today()
    written = written_on or day
    if written > day:
        raise StocktakeError("written_on", "An update cannot be dated in the future")
    update = ActionUpdate(
        action_id=action.id, written_on=written, status=chosen, note=text, by_id=by.id
    )
    db.add(update)
    action.status = chosen
    action.stalled_reason = text if chosen is ActionStatus.STALLED else None
    action.updated_at = utcnow()
    db.flush()
    db.expire(action, ["updates"])
    record_action(db, by, "action-updated", _target(action), f"{chosen.value}; {written}")
    return update


def set_plan(
    db: Session, by: StaffUser, action: Action, *, owner: str, due_on: date | None
) -> None:
    """Change who owns an action and when it is due (None: no date agreed)."""
    _check_editor(db, by, action.organisation_id, doing="update actions")
    clean_owner = _text(
        owner,
        "owner",
        OWNER_LENGTH,
        required="Enter who owns it: a named person or role, like Director of Adult Social Care",
    )
    assert clean_owner is not None
    if clean_owner == action.owner and due_on == action.due_on:
        raise StocktakeError("owner", "Nothing changed: change the owner or the due date")
    action.owner = clean_owner
    action.due_on = due_on
    action.updated_at = utcnow()
    db.flush()
    due = "none" if due_on is None else due_on.isoformat()
    record_action(db, by, "action-plan-set", _target(action), f"owner {clean_owner}; due {due}")


def list_actions(
    db: Session,
    *,
    organisation: Organisation | None = None,
    status: ActionStatus | None = None,
    source: ActionSource | None = None,
    limit: int = 1000,
) -> list[Action]:
    """Actions, earliest due date first (those with no date last), then oldest first."""
    query = select(Action)
    if organisation is not None:
        query = query.where(Action.organisation_id == organisation.id)
    if status is not None:
        query = query.where(Action.status == status)
    if source is not None:
        query = query.where(Action.source == source)
    query = query.order_by(Action.due_on.is_(None), Action.due_on, Action.id).limit(limit)
    return list(db.scalars(query))


def last_update(action: Action) -> ActionUpdate | None:
    """The latest dated update (by date written, then by when it was added)."""
    return action.updates[-1] if action.updates else None


# -- routed items --------------------------------------------------------------------------


def _routing_action(db: Session, routing: Routing) -> Action | None:
    return db.scalar(select(Action).where(Action.routing_id == routing.id))


def track_routing(db: Session, routing: Routing, by: StaffUser) -> Action | None:
    """Track a routed item's change: planned becomes an action, made marks it done.

    Called when the organisation records a response or a change. Other outcomes
    (responded, closed) are not actions and are left alone. The action's owner
    is the organisation, its title the item's, its description the change; a
    routed change has no agreed date (staff can set one on the action).
    Nothing is checked about `by` here: the routing service already did.
    """
    if routing.outcome not in (Outcome.CHANGE_PLANNED, Outcome.CHANGE_MADE):
        return None
    organisation = routing.organisation
    assert organisation is not None
    description = routing.change_description
    action = _routing_action(db, routing)
    now = utcnow()
    today = england_today()
    if action is None:
        action = Action(
            source=ActionSource.ROUTING,
            title=routing.contribution.title[:TITLE_LENGTH],
            description=description,
            owner=organisation.name[:OWNER_LENGTH],
            organisation_id=organisation.id,
            routing_id=routing.id,
            due_on=None,
            status=ActionStatus.PLANNED,
            created_at=now,
            created_by_id=by.id,
            updated_at=now,
        )
        db.add(action)
        db.flush()
        record_action(
            db, by, "action-added", _target(action), f"from routed item {routing.contribution_id}"
        )
    else:
        action.description = description
    if routing.outcome is Outcome.CHANGE_MADE:
        status, note = ActionStatus.DONE, f"Change made: {description}"
    else:
        status, note = ActionStatus.PLANNED, f"Change planned: {description}"
    if action.status is status and action.updates and action.updates[-1].note == note:
        return action  # already recorded
    db.add(
        ActionUpdate(action_id=action.id, written_on=today, status=status, note=note, by_id=by.id)
    )
    action.status = status
    action.stalled_reason = None
    action.updated_at = now
    db.flush()
    db.expire(action, ["updates"])
    record_action(db, by, "action-updated", _target(action), f"{status.value}; {today}")
    return action


# -- the Stocktake ---------------------------------------------------------------------------


@dataclass
class Board:
    """The Stocktake's sections, as the page and the printed pack both show them.

    Each action is in exactly one section: done; stalled (late or not, with its
    reason); late (not done or stalled, due before today); on track (the rest).
    """

    today: date
    done: list[Action] = field(default_factory=list)
    on_track: list[Action] = field(default_factory=list)
    late: list[Action] = field(default_factory=list)
    stalled: list[Action] = field(default_factory=list)

    @property
    def total(self) -> int:
        return len(self.done) + len(self.on_track) + len(self.late) + len(self.stalled)


def _on_show(action: Action) -> bool:
    """A routed item's action is public only while the item is (its title is the item's)."""
    if action.routing_id is None:
        return True
    routing = action.routing
    assert routing is not None
    item = routing.contribution
    return item.status is Status.PUBLISHED and item.hidden_at is None


def board(db: Session, today: date, *, public: bool = False) -> Board:
    """Every action sorted into the Stocktake's sections as of `today` (a day in England).

    `public` leaves out actions from routed items no longer on show.
    """
    result = Board(today=today)
    for action in list_actions(db):
        if public and not _on_show(action):
            continue
        if action.status is ActionStatus.DONE:
            result.done.append(action)
        elif action.status is ActionStatus.STALLED:
            result.stalled.append(action)
        elif late(action, today):
            result.late.append(action)
        else:
            result.on_track.append(action)
    result.done.sort(key=lambda a: (a.updated_at, a.id), reverse=True)
    return result
