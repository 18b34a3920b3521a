"""Stocktake services: actions, dated updates, lateness, and routed changes tracked.

Lateness and the Stocktake's sections are worked out against a fixed "today"
(Wednesday 10 March 2027), so the figures below are hand-checked.
"""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hub.gather.models import Contribution
from hub.routing import services as routing
from hub.routing.models import Organisation, Routing
from hub.staff.models import StaffAction, StaffUser
from hub.stocktake import services
from hub.stocktake.models import Action, ActionSource, ActionStatus, ActionUpdate
from hub.stocktake.services import StocktakeError
from tests.hub.conftest import person, raise_item
from tests.hub.staff_helpers import make_staff

TODAY = date(2027, 3, 10)


@pytest.fixture
def admin(db: Session) -> StaffUser:
    return make_staff(db, "admin@example.org", "admin")


@pytest.fixture
def facilitator(db: Session) -> StaffUser:
    return make_staff(db, "fay@example.org", "facilitator")


@pytest.fixture
def moderator(db: Session) -> StaffUser:
    return make_staff(db, "mo@example.org", "moderator")


@pytest.fixture
def council(db: Session, admin: StaffUser) -> Organisation:
    found = routing.add_organisation(db, admin, "Adult Social Care", "council-department")
    db.commit()
    return found


@pytest.fixture
def trust(db: Session, admin: StaffUser) -> Organisation:
    found = routing.add_organisation(db, admin, "City NHS Trust", "nhs-trust", "R0A")
    db.commit()
    return found


def responder_for(
    db: Session, admin: StaffUser, organisation: Organisation, email: str
) -> StaffUser:
    staff = make_staff(db, email, "responder")
    routing.link_staff(db, staff, organisation, admin)
    db.commit()
    return staff


def count(db: Session, model: type) -> int:
    return int(db.scalar(select(func.count()).select_from(model)) or 0)


def audit_actions(db: Session) -> list[str]:
    return list(db.scalars(select(StaffAction.action).order_by(StaffAction.id)))


def action(
    db: Session, by: StaffUser, title: str = "Open the Saturday clinic", **kwargs: object
) -> Action:
    fields: dict[str, object] = {"owner": "Director of Adult Social Care", "due_on": None}
    fields.update(kwargs)
    made = services.add_action(db, by, title=title, **fields)  # type: ignore[arg-type]
    db.commit()
    return made


# -- adding actions ---------------------------------------------------------------------------


def test_a_facilitator_adds_an_agreed_action_with_an_owner_and_due_date(
    db: Session, facilitator: StaffUser, council: Organisation
) -> None:
    made = services.add_action(
        db,
        facilitator,
        title="  Publish the respite care waiting times  ",
        owner="Director of Adult Social Care",
        due_on=date(2027, 4, 30),
        description="Monthly, on the council's website.",
        organisation=council,
    )
    db.commit()

    assert (made.source, made.status, made.title, made.owner, made.due_on) == (
        ActionSource.ASSEMBLY,
        ActionStatus.PLANNED,
        "Publish the respite care waiting times",
        "Director of Adult Social Care",
        date(2027, 4, 30),
    )
    assert (made.organisation_id, made.routing_id, made.created_by_id) == (
        council.id,
        None,
        facilitator.id,
    )
    assert made.updates == []
    assert audit_actions(db)[-1] == "action-added"


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"title": "   "}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"owner": ""}, "owner"),
        ({"owner": "x" * 161}, "owner"),
        ({"description": "x" * 2001}, "description"),
        ({"source": "routing-slip"}, "source"),
    ],
)
def test_a_mistake_in_an_action_is_named_and_nothing_is_stored(
    db: Session, facilitator: StaffUser, fields: dict[str, str], field: str
) -> None:
    values: dict[str, object] = {"title": "Open the clinic", "owner": "Clinic lead", "due_on": None}
    values.update(fields)
    before = len(audit_actions(db))

    with pytest.raises(StocktakeError) as raised:
        services.add_action(db, facilitator, **values)  # type: ignore[arg-type]

    assert raised.value.field == field
    db.rollback()
    assert count(db, Action) == 0
    assert len(audit_actions(db)) == before


def test_moderators_read_the_stocktake_but_add_nothing(db: Session, moderator: StaffUser) -> None:
    with pytest.raises(StocktakeError, match="moderator"):
        services.add_action(db, moderator, title="A", owner="B", due_on=None)
    assert count(db, Action) == 0


def test_a_responders_action_belongs_to_their_organisation_only(
    db: Session, admin: StaffUser, council: Organisation, trust: Organisation
) -> None:
    sam = responder_for(db, admin, council, "sam@council.example.org")
    unlinked = make_staff(db, "una@example.org", "responder")

    mine = action(db, sam, source="other")
    assert mine.organisation_id == council.id

    with pytest.raises(StocktakeError, match="Adult Social Care"):
        services.add_action(db, sam, title="A", owner="B", due_on=None, organisation=trust)
    with pytest.raises(StocktakeError, match="not linked"):
        services.add_action(db, unlinked, title="A", owner="B", due_on=None)
    db.rollback()
    assert count(db, Action) == 1


# -- updates ------------------------------------------------------------------------------------


def test_dated_updates_move_the_status_and_a_stall_keeps_its_reason(
    db: Session, facilitator: StaffUser
) -> None:
    made = action(db, facilitator)

    services.add_update(
        db, facilitator, made, status="in-progress", note="Staff recruited.",
        written_on=date(2027, 2, 1), today=TODAY,
    )  # fmt: skip
    services.add_update(
        db, facilitator, made, status="stalled", note="  The lease on the building fell through. ",
        written_on=date(2027, 3, 1), today=TODAY,
    )  # fmt: skip
    db.commit()
    assert made.status is ActionStatus.STALLED
    assert made.stalled_reason == "The lease on the building fell through."

    services.add_update(
        db, facilitator, made, status="done", note="Opened on 9 March.", today=TODAY,
        written_on=TODAY,
    )  # fmt: skip
    db.commit()

    assert made.status is ActionStatus.DONE
    assert made.stalled_reason is None  # it moved on
    assert [(u.written_on, u.status, u.note) for u in made.updates] == [
        (date(2027, 2, 1), ActionStatus.IN_PROGRESS, "Staff recruited."),
        (date(2027, 3, 1), ActionStatus.STALLED, "The lease on the building fell through."),
        (TODAY, ActionStatus.DONE, "Opened on 9 March."),
    ]
    assert services.last_update(made) == made.updates[-1]
    assert audit_actions(db)[-3:] == ["action-updated"] * 3


@pytest.mark.parametrize(
    ("status", "note", "written_on", "field", "message"),
    [
        ("stalled", "  ", None, "note", "Say why it has stalled"),
        ("done", "", None, "note", "Say what has happened"),
        ("finished", "Done it", None, "status", "Choose planned"),
        ("done", "x" * 2001, None, "note", "2,000 characters"),
        ("done", "Done it", date(2027, 3, 11), "written_on", "future"),
    ],
)
def test_an_update_with_a_mistake_is_refused_and_nothing_changes(
    db: Session,
    facilitator: StaffUser,
    status: str,
    note: str,
    written_on: date | None,
    field: str,
    message: str,
) -> None:
    made = action(db, facilitator)

    with pytest.raises(StocktakeError, match=message) as raised:
        services.add_update(
            db, facilitator, made, status=status, note=note, written_on=written_on, today=TODAY
        )

    assert raised.value.field == field
    db.rollback()
    assert count(db, ActionUpdate) == 0
    assert db.get(Action, made.id).status is ActionStatus.PLANNED  # type: ignore[union-attr]


def test_responders_update_only_their_organisations_actions(
    db: Session,
    admin: StaffUser,
    facilitator: StaffUser,
    council: Organisation,
    trust: Organisation,
) -> None:
    sam = responder_for(db, admin, council, "sam@council.example.org")
    theirs = action(db, facilitator, organisation=trust)
    ours = action(db, facilitator, "Ours", organisation=council)
    nobodys = action(db, facilitator, "Nobody's")
    moderator = make_staff(db, "mo@example.org", "moderator")

    assert services.may_update(db, sam, ours)
    assert not services.may_update(db, sam, theirs)
    assert not services.may_update(db, sam, nobodys)
    assert not services.may_update(db, moderator, ours)
    assert services.may_update(db, facilitator, theirs) and services.may_update(db, admin, ours)

    with pytest.raises(StocktakeError, match="Adult Social Care"):
        services.add_update(db, sam, theirs, status="done", note="Done", today=TODAY)
    services.add_update(db, sam, ours, status="in-progress", note="Started", today=TODAY)
    db.commit()
    assert count(db, ActionUpdate) == 1


def test_set_plan_changes_owner_and_due_date(db: Session, facilitator: StaffUser) -> None:
    made = action(db, facilitator, due_on=date(2027, 3, 1))

    services.set_plan(db, facilitator, made, owner="Chief Nurse", due_on=date(2027, 6, 30))
    db.commit()
    assert (made.owner, made.due_on) == ("Chief Nurse", date(2027, 6, 30))
    assert audit_actions(db)[-1] == "action-plan-set"

    with pytest.raises(StocktakeError) as raised:
        services.set_plan(db, facilitator, made, owner=" ", due_on=None)
    assert raised.value.field == "owner"
    db.rollback()
    assert db.get(Action, made.id).owner == "Chief Nurse"  # type: ignore[union-attr]


# -- lateness and the Stocktake's sections ----------------------------------------------------


def test_late_means_due_before_today_and_not_done(db: Session, facilitator: StaffUser) -> None:
    yesterday = action(db, facilitator, "Due yesterday", due_on=date(2027, 3, 9))
    today = action(db, facilitator, "Due today", due_on=TODAY)
    undated = action(db, facilitator, "No date")
    done = action(db, facilitator, "Done late", due_on=date(2027, 1, 4))
    services.add_update(db, facilitator, done, status="done", note="Done.", today=TODAY)

    assert services.late(yesterday, TODAY)
    assert not services.late(today, TODAY)  # due today is not late yet
    assert services.late(today, date(2027, 3, 11))
    assert not services.late(undated, TODAY)
    assert not services.late(done, TODAY)


def test_the_board_puts_each_action_in_one_section(db: Session, facilitator: StaffUser) -> None:
    late_one = action(db, facilitator, "Late", due_on=date(2027, 3, 9))
    on_track = action(db, facilitator, "On track", due_on=date(2027, 3, 31))
    undated = action(db, facilitator, "Undated")
    stalled = action(db, facilitator, "Stalled and overdue", due_on=date(2027, 2, 1))
    done = action(db, facilitator, "Done", due_on=date(2027, 2, 1))
    services.add_update(db, facilitator, stalled, status="stalled", note="No money.", today=TODAY)
    services.add_update(db, facilitator, done, status="done", note="Done.", today=TODAY)
    services.add_update(db, facilitator, on_track, status="in-progress", note="Go", today=TODAY)
    db.commit()

    board = services.board(db, TODAY)

    assert [a.title for a in board.done] == [done.title]
    assert [a.title for a in board.stalled] == [stalled.title]
    assert [a.title for a in board.late] == [late_one.title]
    assert [a.title for a in board.on_track] == [on_track.title, undated.title]
    assert board.total == 5
    # A week earlier the late one was on track.
    earlier = services.board(db, date(2027, 3, 3))
    assert (len(earlier.late), len(earlier.on_track)) == (0, 3)


# -- routed items -----------------------------------------------------------------------------


@pytest.fixture
def routed(db: Session, admin: StaffUser, trust: Organisation) -> Routing:
    item = raise_item(db, person(db), title="No hearing loop at the clinic", publish=True)
    found = routing.route(db, item, trust, None, admin)
    db.commit()
    return found


def test_a_planned_change_is_tracked_and_done_when_made(
    db: Session, admin: StaffUser, trust: Organisation, routed: Routing
) -> None:
    pat = responder_for(db, admin, trust, "pat@trust.example.org")

    routing.respond(
        db, routed, pat, "Thank you.", "change-planned", change_description="Fit a hearing loop."
    )
    db.commit()

    tracked = db.scalar(select(Action).where(Action.routing_id == routed.id))
    assert tracked is not None
    assert (tracked.source, tracked.status, tracked.title, tracked.owner) == (
        ActionSource.ROUTING,
        ActionStatus.PLANNED,
        "No hearing loop at the clinic",
        "City NHS Trust",
    )
    assert (tracked.organisation_id, tracked.description, tracked.due_on) == (
        trust.id,
        "Fit a hearing loop.",
        None,
    )
    assert [u.note for u in tracked.updates] == ["Change planned: Fit a hearing loop."]
    assert services.may_update(db, pat, tracked)  # the trust's responder updates it

    routing.mark_change(db, routed, pat, "change-made", "A hearing loop is fitted at reception.")
    db.commit()

    assert count(db, Action) == 1  # one action per routing
    db.refresh(tracked)
    assert tracked.status is ActionStatus.DONE
    assert tracked.description == "A hearing loop is fitted at reception."
    assert [u.status for u in tracked.updates] == [ActionStatus.PLANNED, ActionStatus.DONE]
    assert tracked.updates[-1].note == "Change made: A hearing loop is fitted at reception."


def test_a_change_made_at_once_is_done_and_plain_answers_are_not_actions(
    db: Session, admin: StaffUser, trust: Organisation, routed: Routing
) -> None:
    other = routing.route(
        db, raise_item(db, person(db), title="Rude receptionist", publish=True), trust, None, admin
    )
    db.commit()

    routing.respond(db, other, admin, "We are sorry; we spoke to the team.", "responded")
    db.commit()
    assert count(db, Action) == 0

    routing.respond(db, routed, admin, "Done.", "change-made", change_description="Loop fitted.")
    db.commit()
    tracked = db.scalar(select(Action).where(Action.routing_id == routed.id))
    assert tracked is not None and tracked.status is ActionStatus.DONE
    assert [u.note for u in tracked.updates] == ["Change made: Loop fitted."]

    # "responded" then a planned change later: tracked from the change on.
    routing.mark_change(db, other, admin, "change-planned", "Customer care training.")
    db.commit()
    assert count(db, Action) == 2


def test_a_routed_action_leaves_the_public_board_when_its_item_is_hidden(
    db: Session, admin: StaffUser, routed: Routing
) -> None:
    routing.respond(db, routed, admin, "Yes.", "change-planned", change_description="Loop.")
    db.commit()
    assert len(services.board(db, TODAY, public=True).on_track) == 1

    item = db.get(Contribution, routed.contribution_id)
    assert item is not None
    item.hidden_at = item.published_at
    db.commit()

    assert services.board(db, TODAY, public=True).total == 0
    assert services.board(db, TODAY).total == 1  # staff still see it


# -- the demo ------------------------------------------------------------------------------------


def test_the_demo_stocktake_has_every_section(
    db: Session, admin: StaffUser, facilitator: StaffUser, routed: Routing
) -> None:
    from hub.stocktake.demo import seed_demo

    routing.respond(db, routed, admin, "Yes.", "change-planned", change_description="Loop.")
    seed_demo(db, staff={"admin": admin, "facilitator": facilitator}, today=TODAY)
    db.commit()

    board = services.board(db, TODAY, public=True)
    assert (len(board.done), len(board.on_track), len(board.late), len(board.stalled)) == (
        1,
        1,
        1,
        1,
    )
    assert board.stalled[0].stalled_reason is not None
    tracked = board.on_track[0]
    assert tracked.routing_id == routed.id
    assert (tracked.status, tracked.due_on) == (ActionStatus.IN_PROGRESS, date(2027, 4, 24))
