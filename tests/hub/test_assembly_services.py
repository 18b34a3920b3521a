"""Jury shortlists and choices, Assembly meetings, attendance, replies and outcomes (services).

Figures are worked by hand from the data each test builds: which "me too"s fall
in a jury's period (days in England: 1 June 2026 starts at 23:00 UTC on 31 May,
British Summer Time), how many panel members attended, what the Stocktake holds.
A refused step raises `AssemblyError` naming the field before anything is written.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hub.assembly import services
from hub.assembly.models import AgendaItem, AssemblyOutcome, Jury, Meeting, Reply, ShortlistItem
from hub.assembly.services import AssemblyError
from hub.gather.models import Contribution
from hub.panels.models import PanelDraw
from hub.panels.services import panel_members
from hub.staff.models import StaffAction, StaffUser
from hub.stocktake.models import Action, ActionSource, ActionStatus
from tests.hub.assembly_helpers import jury_draw, supported
from tests.hub.conftest import person, raise_item
from tests.hub.staff_helpers import make_staff

JUNE = (date(2026, 6, 1), date(2026, 6, 30))
IN_JUNE = datetime(2026, 6, 10, 12, tzinfo=UTC)
IN_MAY = datetime(2026, 5, 10, 12, tzinfo=UTC)


@pytest.fixture
def facilitator(db: Session) -> StaffUser:
    return make_staff(db, "fay@example.org", "facilitator", name="Fay Facilitator")


@pytest.fixture
def draw(db: Session, facilitator: StaffUser) -> PanelDraw:
    found = jury_draw(db, facilitator, members=12, reserves=2)
    db.commit()
    return found


def item(db: Session, title: str, *, publish: bool = True) -> Contribution:
    return raise_item(db, person(db), title=title, publish=publish)


def count(db: Session, model: type) -> int:
    return int(db.scalar(select(func.count()).select_from(model)) or 0)


def audit(db: Session, action: str) -> list[StaffAction]:
    return list(db.scalars(select(StaffAction).where(StaffAction.action == action)))


def june_jury(db: Session, me: StaffUser, draw: PanelDraw | None, size: int = 3) -> Jury:
    return services.create_jury(
        db,
        me,
        title="June jury",
        period_start=JUNE[0],
        period_end=JUNE[1],
        draw_id=None if draw is None else draw.id,
        shortlist_size=size,
    )


# -- the shortlist --------------------------------------------------------------------------


def test_candidates_are_ranked_by_support_in_the_period(db: Session) -> None:
    parking = item(db, "Parking at the hospital")
    waits = item(db, "Waiting times for hips")
    quiet = item(db, "Nobody supported this")
    hidden = item(db, "Hidden after reports")
    pending = item(db, "Waiting for a moderator", publish=False)
    supported(db, parking, 3, at=IN_JUNE)
    supported(db, parking, 5, at=IN_MAY)  # outside the period: counts only in all
    supported(db, waits, 4, at=IN_JUNE)
    supported(db, hidden, 10, at=IN_JUNE)
    hidden.hidden_at = IN_JUNE
    # 23:30 UTC on 31 May is 00:30 on 1 June in England (BST): inside the period.
    supported(db, quiet, 1, at=datetime(2026, 5, 31, 23, 30, tzinfo=UTC))
    # 23:30 UTC on 30 June is 00:30 on 1 July in England: outside it.
    supported(db, quiet, 2, at=datetime(2026, 6, 30, 23, 30, tzinfo=UTC))

    ranked = services.ranked_candidates(db, *JUNE)

    assert [(c.contribution.title, c.support, c.total_support) for c in ranked] == [
        ("Waiting times for hips", 4, 4),
        ("Parking at the hospital", 3, 8),
        ("Nobody supported this", 1, 3),
    ]
    assert pending.id not in {c.contribution.id for c in ranked}


def test_ties_go_to_the_item_raised_first(db: Session) -> None:
    later = raise_item(db, person(db), title="Later item", at=datetime(2026, 5, 2, tzinfo=UTC))
    earlier = raise_item(db, person(db), title="Earlier item", at=datetime(2026, 5, 1, tzinfo=UTC))
    supported(db, later, 2, at=IN_JUNE)
    supported(db, earlier, 2, at=IN_JUNE)

    assert [c.contribution.title for c in services.ranked_candidates(db, *JUNE)] == [
        "Earlier item",
        "Later item",
    ]


def test_shortlist_keeps_rank_and_support_at_the_time(
    db: Session, facilitator: StaffUser, draw: PanelDraw
) -> None:
    a, b, c = item(db, "Item A"), item(db, "Item B"), item(db, "Item C")
    supported(db, a, 1, at=IN_JUNE)
    supported(db, b, 5, at=IN_JUNE)
    supported(db, c, 3, at=IN_JUNE)
    jury = june_jury(db, facilitator, draw)

    shortlist = services.set_shortlist(db, jury, facilitator, [a.id, b.id])  # ticked in any order
    supported(db, a, 9, at=IN_JUNE)  # later support does not rewrite the shortlist

    assert [(e.rank, e.contribution.title, e.support) for e in shortlist] == [
        (1, "Item B", 5),
        (2, "Item A", 1),
    ]
    db.expire_all()
    stored = db.scalars(select(ShortlistItem).order_by(ShortlistItem.rank)).all()
    assert [(e.rank, e.contribution_id, e.support, e.chosen) for e in stored] == [
        (1, b.id, 5, False),
        (2, a.id, 1, False),
    ]
    assert len(audit(db, "jury-shortlisted")) == 1


def test_shortlist_over_the_size_is_refused_and_nothing_stored(
    db: Session, facilitator: StaffUser
) -> None:
    items = [item(db, f"Item {n}") for n in range(4)]
    jury = june_jury(db, facilitator, None, size=3)

    with pytest.raises(AssemblyError) as refused:
        services.set_shortlist(db, jury, facilitator, [i.id for i in items])

    assert refused.value.field == "contributions"
    assert "up to 3" in str(refused.value)
    assert count(db, ShortlistItem) == 0


def test_a_hidden_item_cannot_be_shortlisted(db: Session, facilitator: StaffUser) -> None:
    hidden = item(db, "Hidden item")
    hidden.hidden_at = IN_JUNE
    jury = june_jury(db, facilitator, None)

    with pytest.raises(AssemblyError) as refused:
        services.set_shortlist(db, jury, facilitator, [hidden.id])

    assert refused.value.field == "contributions"
    assert count(db, ShortlistItem) == 0


def test_a_jury_links_only_a_draw_made_for_a_jury(db: Session, facilitator: StaffUser) -> None:
    assembly_draw = jury_draw(db, facilitator, members=2, purpose="assembly", first_number=50)

    with pytest.raises(AssemblyError) as refused:
        june_jury(db, facilitator, assembly_draw)

    assert refused.value.field == "draw"
    assert count(db, Jury) == 0


def test_a_period_ending_before_it_starts_is_refused(db: Session, facilitator: StaffUser) -> None:
    with pytest.raises(AssemblyError) as refused:
        services.create_jury(
            db, facilitator, title="Backwards", period_start=JUNE[1], period_end=JUNE[0]
        )
    assert refused.value.field == "period_end"
    assert count(db, Jury) == 0


# -- the jury's choice ----------------------------------------------------------------------


def shortlisted_jury(
    db: Session, me: StaffUser, draw: PanelDraw | None
) -> tuple[Jury, list[ShortlistItem]]:
    a, b, c = item(db, "Parking"), item(db, "Waiting times"), item(db, "Pharmacy hours")
    supported(db, a, 2, at=IN_JUNE)
    supported(db, b, 6, at=IN_JUNE)
    supported(db, c, 4, at=IN_JUNE)
    jury = june_jury(db, me, draw)
    return jury, services.set_shortlist(db, jury, me, [a.id, b.id, c.id])


def test_record_the_jurys_choice_with_reasons(
    db: Session, facilitator: StaffUser, draw: PanelDraw
) -> None:
    jury, (waits, pharmacy, parking) = shortlisted_jury(db, facilitator, draw)

    chosen = services.record_choice(
        db,
        jury,
        facilitator,
        {parking.id: "Everyone has a story about it", waits.id: " Affects the most people "},
        date(2026, 7, 4),
    )

    assert [(e.contribution.title, e.reason) for e in chosen] == [
        ("Waiting times", "Affects the most people"),
        ("Parking", "Everyone has a story about it"),
    ]
    assert pharmacy.chosen is False and pharmacy.reason is None
    assert jury.chosen_on == date(2026, 7, 4)
    assert len(audit(db, "jury-choice-recorded")) == 1
    with pytest.raises(AssemblyError):  # the shortlist is fixed once the jury chose
        services.set_shortlist(db, jury, facilitator, [parking.contribution_id])


def test_a_choice_without_its_reason_is_refused_and_nothing_stored(
    db: Session, facilitator: StaffUser
) -> None:
    jury, (waits, _, parking) = shortlisted_jury(db, facilitator, None)

    with pytest.raises(AssemblyError) as refused:
        services.record_choice(
            db, jury, facilitator, {waits.id: "Most people", parking.id: "  "}, date(2026, 7, 4)
        )

    assert refused.value.field == f"reason-{parking.id}"
    assert "Parking" in str(refused.value)
    assert jury.chosen_on is None
    assert not any(e.chosen for e in jury.shortlist)


def test_a_choice_needs_its_day(db: Session, facilitator: StaffUser) -> None:
    jury, (waits, _, _) = shortlisted_jury(db, facilitator, None)
    with pytest.raises(AssemblyError) as refused:
        services.record_choice(db, jury, facilitator, {waits.id: "Most people"}, None)
    assert refused.value.field == "chosen_on"
    assert not waits.chosen


# -- meetings -------------------------------------------------------------------------------


def chosen_jury(db: Session, me: StaffUser, draw: PanelDraw | None) -> Jury:
    jury, (waits, _, parking) = shortlisted_jury(db, me, draw)
    services.record_choice(
        db, jury, me, {waits.id: "Most people", parking.id: "Stories"}, date(2026, 7, 4)
    )
    return jury


def meeting_for(db: Session, me: StaffUser, draw: PanelDraw | None) -> Meeting:
    jury = chosen_jury(db, me, draw)
    return services.create_meeting(
        db, me, title="July Assembly", held_on=date(2026, 7, 20), place="Town Hall", jury_id=jury.id
    )


def test_the_agenda_is_the_jurys_choice_in_rank_order(
    db: Session, facilitator: StaffUser, draw: PanelDraw
) -> None:
    meeting = meeting_for(db, facilitator, draw)

    assert [(i.position, i.title) for i in meeting.agenda] == [
        (1, "Waiting times"),
        (2, "Parking"),
    ]
    assert all(i.contribution_id is not None for i in meeting.agenda)
    assert len(audit(db, "meeting-created")) == 1


def test_a_jury_that_has_not_chosen_gives_no_agenda(db: Session, facilitator: StaffUser) -> None:
    jury, _ = shortlisted_jury(db, facilitator, None)
    with pytest.raises(AssemblyError) as refused:
        services.create_meeting(
            db,
            facilitator,
            title="Too soon",
            held_on=date(2026, 7, 1),
            place="Hall",
            jury_id=jury.id,
        )
    assert refused.value.field == "jury"
    assert count(db, Meeting) == 0


def test_reorder_remove_and_add_agenda_items(
    db: Session, facilitator: StaffUser, draw: PanelDraw
) -> None:
    meeting = meeting_for(db, facilitator, draw)
    waits, parking = meeting.agenda

    free = services.add_agenda_item(db, meeting, facilitator, "Any other business", "Room hire")
    services.move_agenda_item(db, parking, facilitator, "up")
    assert [(i.position, i.title) for i in meeting.agenda] == [
        (1, "Parking"),
        (2, "Waiting times"),
        (3, "Any other business"),
    ]
    with pytest.raises(AssemblyError):
        services.move_agenda_item(db, parking, facilitator, "up")  # already first
    services.remove_agenda_item(db, waits, facilitator)

    assert [(i.position, i.title, i.description) for i in meeting.agenda] == [
        (1, "Parking", None),
        (2, "Any other business", "Room hire"),
    ]
    assert free.contribution_id is None


# -- attendance, replies, confirmation ------------------------------------------------------


def attended(db: Session, meeting: Meeting, me: StaffUser, how_many: int) -> list[int]:
    members = services.panel_of(db, meeting)
    ids = [m.id for m in members[:how_many]]
    services.set_attendance(db, meeting, me, ids, [me.id])
    return ids


def test_attendance_counts_panel_members_of_the_draw(
    db: Session, facilitator: StaffUser, draw: PanelDraw
) -> None:
    meeting = meeting_for(db, facilitator, draw)
    members = panel_members(db, draw.id)  # 12 panel members, then 2 reserves
    ids = [m.id for m in members[:8]] + [members[12].id]  # 8 members and the first reserve

    services.set_attendance(db, meeting, facilitator, ids, [facilitator.id])
    services.add_senior_manager(
        db, meeting, facilitator, "Dr Ada Lane", "Medical Director", "Manchester ICB"
    )

    counts = services.attendance_counts(db, meeting)
    assert (counts.panel_attended, counts.panel_size, counts.reserves_attended) == (9, 12, 1)
    assert (counts.senior_managers, counts.facilitators) == (1, 1)
    # Ticking again replaces the earlier ticks.
    services.set_attendance(db, meeting, facilitator, ids[:3], [])
    counts = services.attendance_counts(db, meeting)
    assert (counts.panel_attended, counts.facilitators, counts.senior_managers) == (3, 0, 1)
    assert len(audit(db, "attendance-recorded")) == 2


def test_someone_outside_the_panel_cannot_be_ticked(
    db: Session, facilitator: StaffUser, draw: PanelDraw
) -> None:
    meeting = meeting_for(db, facilitator, draw)
    other = jury_draw(db, facilitator, members=1, first_number=90)
    outsider = panel_members(db, other.id)[0]

    with pytest.raises(AssemblyError) as refused:
        services.set_attendance(db, meeting, facilitator, [outsider.id], [])

    assert refused.value.field == "panel_members"
    assert services.attendance_counts(db, meeting).panel_attended == 0


def test_reply_and_its_confirmation(db: Session, facilitator: StaffUser, draw: PanelDraw) -> None:
    meeting = meeting_for(db, facilitator, draw)
    attended(db, meeting, facilitator, 9)
    ada = services.add_senior_manager(
        db, meeting, facilitator, "Dr Ada Lane", "Medical Director", "Manchester ICB"
    )
    waits = meeting.agenda[0]

    reply = services.record_reply(db, waits, facilitator, ada.id, "We will open Saturday clinics.")
    services.record_confirmation(db, reply, facilitator, "7", "2", "Saturdays do not help carers")

    db.expire_all()
    stored = db.get(Reply, reply.id)
    assert stored is not None
    assert (stored.attendee.name, stored.text, stored.agreed, stored.disagreed, stored.notes) == (
        "Dr Ada Lane",
        "We will open Saturday clinics.",
        7,
        2,
        "Saturdays do not help carers",
    )
    assert len(audit(db, "reply-recorded")) == len(audit(db, "reply-confirmation")) == 1


@pytest.mark.parametrize(
    ("agreed", "disagreed", "notes", "field"),
    [
        ("8", "2", "Too slow", "agreed"),  # 10 confirmations, only 9 attended
        ("7", "2", "", "notes"),  # disagreement needs the notes
        ("", "", "", "agreed"),  # nothing counted
        ("seven", "0", "", "agreed"),
        ("3", "-1", "", "disagreed"),
    ],
)
def test_a_confirmation_that_does_not_add_up_is_refused(
    db: Session,
    facilitator: StaffUser,
    draw: PanelDraw,
    agreed: str,
    disagreed: str,
    notes: str,
    field: str,
) -> None:
    meeting = meeting_for(db, facilitator, draw)
    attended(db, meeting, facilitator, 9)
    ada = services.add_senior_manager(db, meeting, facilitator, "Ada", "Director", "ICB")
    reply = services.record_reply(db, meeting.agenda[0], facilitator, ada.id, "An answer")

    with pytest.raises(AssemblyError) as refused:
        services.record_confirmation(db, reply, facilitator, agreed, disagreed, notes)

    assert refused.value.field == field
    assert (reply.agreed, reply.disagreed, reply.confirmed_at) == (None, None, None)


def test_a_reply_needs_a_senior_manager_of_the_meeting(
    db: Session, facilitator: StaffUser, draw: PanelDraw
) -> None:
    meeting = meeting_for(db, facilitator, draw)
    with pytest.raises(AssemblyError) as refused:
        services.record_reply(db, meeting.agenda[0], facilitator, None, "An answer")
    assert refused.value.field == "attendee"
    assert count(db, Reply) == 0


def test_fewer_ticks_than_a_recorded_confirmation_are_refused(
    db: Session, facilitator: StaffUser, draw: PanelDraw
) -> None:
    meeting = meeting_for(db, facilitator, draw)
    ids = attended(db, meeting, facilitator, 9)
    ada = services.add_senior_manager(db, meeting, facilitator, "Ada", "Director", "ICB")
    reply = services.record_reply(db, meeting.agenda[0], facilitator, ada.id, "An answer")
    services.record_confirmation(db, reply, facilitator, 8, 0, None)

    with pytest.raises(AssemblyError) as refused:
        services.set_attendance(db, meeting, facilitator, ids[:5], [])

    assert refused.value.field == "panel_members"
    assert services.attendance_counts(db, meeting).panel_attended == 9


# -- outcomes -------------------------------------------------------------------------------


def test_an_outcome_is_a_stocktake_action_with_owner_and_date(
    db: Session, facilitator: StaffUser, draw: PanelDraw
) -> None:
    meeting = meeting_for(db, facilitator, draw)
    parking = meeting.agenda[1]

    outcome = services.add_outcome(
        db,
        parking,
        facilitator,
        title="Free parking for carers",
        owner="Director of Estates",
        due_on=date(2026, 10, 1),
    )

    db.expire_all()
    action = db.get(Action, outcome.action_id)
    assert action is not None
    assert (action.source, action.title, action.owner, action.due_on, action.status) == (
        ActionSource.ASSEMBLY,
        "Free parking for carers",
        "Director of Estates",
        date(2026, 10, 1),
        ActionStatus.PLANNED,
    )
    linked = db.get(AssemblyOutcome, action.id)
    assert linked is not None
    assert (linked.meeting_id, linked.agenda_item_id) == (meeting.id, parking.id)
    assert [o.action.title for o in services.outcomes_of(db, meeting)] == [
        "Free parking for carers"
    ]
    assert len(audit(db, "outcome-added")) == 1
    with pytest.raises(AssemblyError):  # an item with agreed actions stays on the agenda
        services.remove_agenda_item(db, parking, facilitator)


@pytest.mark.parametrize(
    ("title", "owner", "due_on", "field"),
    [
        ("", "Director of Estates", date(2026, 10, 1), "title"),
        ("Free parking", " ", date(2026, 10, 1), "owner"),
        ("Free parking", "Director of Estates", None, "due_on"),
        ("x" * 201, "Director of Estates", date(2026, 10, 1), "title"),
    ],
)
def test_an_outcome_with_a_mistake_stores_nothing(
    db: Session,
    facilitator: StaffUser,
    draw: PanelDraw,
    title: str,
    owner: str,
    due_on: date | None,
    field: str,
) -> None:
    meeting = meeting_for(db, facilitator, draw)

    with pytest.raises(AssemblyError) as refused:
        services.add_outcome(
            db, meeting.agenda[0], facilitator, title=title, owner=owner, due_on=due_on
        )

    assert refused.value.field == field
    assert count(db, Action) == count(db, AssemblyOutcome) == 0


def test_publish_needs_an_agenda(db: Session, facilitator: StaffUser) -> None:
    empty = services.create_meeting(
        db, facilitator, title="Empty", held_on=date(2026, 7, 1), place="Hall"
    )
    with pytest.raises(AssemblyError):
        services.publish_meeting(db, empty, facilitator)
    services.add_agenda_item(db, empty, facilitator, "Open questions", None)
    services.publish_meeting(db, empty, facilitator)
    assert [m.title for m in services.list_meetings(db, published_only=True)] == ["Empty"]


def test_moderators_cannot_change_anything(db: Session, facilitator: StaffUser) -> None:
    moderator = make_staff(db, "mo@example.org", "moderator")
    with pytest.raises(AssemblyError):
        services.create_jury(db, moderator, title="No", period_start=JUNE[0], period_end=JUNE[1])
    meeting = services.create_meeting(
        db, facilitator, title="Mine", held_on=date(2026, 7, 1), place="Hall"
    )
    with pytest.raises(AssemblyError):
        services.add_agenda_item(db, meeting, moderator, "Sneaky", None)
    assert count(db, Jury) == 0 and count(db, AgendaItem) == 0


def test_the_issue_pack_carries_each_items_support_and_comments(
    db: Session, facilitator: StaffUser, draw: PanelDraw
) -> None:
    from hub.gather.services import add_comment

    meeting = meeting_for(db, facilitator, draw)
    waits = meeting.agenda[0].contribution
    assert waits is not None
    add_comment(
        db, contribution=waits, participant=person(db), body="Mine took a year", publish=True
    )
    add_comment(db, contribution=waits, participant=person(db), body="Not checked yet")
    services.add_agenda_item(db, meeting, facilitator, "Free item", "About the room")

    pack = services.issue_pack(db, meeting)

    assert [(p.item.title, p.support) for p in pack] == [
        ("Waiting times", 6),
        ("Parking", 2),
        ("Free item", 0),
    ]
    assert [c.body for c in pack[0].comments] == ["Mine took a year"]
    assert pack[0].routing is None and pack[2].contribution is None


# -- the demo -------------------------------------------------------------------------------


def test_the_demo_records_a_past_assembly_with_a_late_action(
    db: Session, facilitator: StaffUser, draw: PanelDraw
) -> None:
    from hub.assembly.demo import seed_demo
    from hub.stocktake.services import late

    for n, people in enumerate([8, 6, 5, 3, 2, 1]):
        supported(db, item(db, f"Demo item {n}"), people, at=IN_JUNE)
    today = date(2026, 8, 1)

    seed_demo(db, draw=draw, staff=facilitator, today=today)
    seed_demo(db, draw=draw, staff=facilitator, today=today)  # a second run adds nothing

    (jury,) = services.list_juries(db)
    assert [(e.contribution.title, e.support, e.chosen) for e in jury.shortlist] == [
        ("Demo item 0", 8, True),
        ("Demo item 1", 6, True),
        ("Demo item 2", 5, True),
        ("Demo item 3", 3, False),
        ("Demo item 4", 2, False),
    ]
    (meeting,) = services.list_meetings(db, published_only=True)
    assert meeting.held_on == date(2026, 7, 11)  # three weeks before today
    counts = services.attendance_counts(db, meeting)
    assert (counts.panel_attended, counts.panel_size, counts.senior_managers) == (9, 12, 2)
    assert all(reply.confirmed for item in meeting.agenda for reply in item.replies)
    outcomes = services.outcomes_of(db, meeting)
    assert len(outcomes) == 3
    assert [late(o.action, today) for o in outcomes] == [True, False, False]
