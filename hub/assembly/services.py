"""Citizens' Jury and Assembly: shortlists, the jury's choice, meetings and outcomes. Never commits.

Every function that changes something takes the session and the acting staff
member, checks what it is asked (raising `AssemblyError`, whose `field` names
the form field and whose message a person can act on) before anything is
written, writes its line in the staff audit log (`hub.staff.audit.record_action`)
and flushes. The view owns the transaction. Facilitators and admins change
juries and meetings; moderators only read them (the views enforce that too).

The shortlist ranks published items on show by the "me too"s given in the
jury's period (days in England, both ends included), most first; ties go to
the item raised first. Staff pick up to the jury's `shortlist_size` of them.

Agreed actions are created through `hub.stocktake.services.add_action`
(source "assembly"), so the Stocktake tracks them with everything else, and are
linked to the meeting and agenda item in `assembly_outcomes`.

API (juries):

- `jury_draws(db)`: draws with purpose "jury" a jury may be linked to
- `create_jury(db, me, *, title, period_start, period_end, draw_id=None, shortlist_size=10)`
- `ranked_candidates(db, start, end, limit=50) -> list[Candidate]`
- `set_shortlist(db, jury, me, contribution_ids) -> list[ShortlistItem]`
- `record_choice(db, jury, me, reasons: {shortlist id: reason}, chosen_on)`

API (meetings):

- `create_meeting(db, me, *, title, held_on, place, jury_id=None) -> Meeting`
- `add_agenda_item`, `move_agenda_item`, `remove_agenda_item`
- `panel_of(db, meeting)`; `set_attendance(db, meeting, me, panel_member_ids, staff_ids)`;
  `add_senior_manager`; `remove_attendee`; `attendance_counts(db, meeting)`
- `record_reply(db, item, me, attendee_id, text)`;
  `record_confirmation(db, reply, me, agreed, disagreed, notes)`
- `add_outcome(db, item, me, *, title, owner, due_on, description=None) -> AssemblyOutcome`;
  `outcomes_of(db, meeting)`
- `publish_meeting(db, meeting, me)`; `list_meetings(db, published_only=False)`
- `issue_pack(db, meeting) -> list[PackIssue]`
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hub.assembly.models import (
    AgendaItem,
    AssemblyOutcome,
    Attendee,
    AttendeeKind,
    Jury,
    Meeting,
    Reply,
    ShortlistItem,
)
from hub.db import utcnow
from hub.gather.models import Comment, Contribution, Status, Support, Ward
from hub.gather.services import public_comments
from hub.panels.models import PanelDraw, PanelMember, Purpose
from hub.routing.models import Routing
from hub.routing.services import ENGLAND, routing_of
from hub.staff.audit import record_action
from hub.staff.models import Role, StaffUser
from hub.stocktake.services import StocktakeError, add_action

TITLE_LENGTH = 160
PLACE_LENGTH = 200
NAME_LENGTH = 120
ROLE_LENGTH = 160
TEXT_LENGTH = 4000
REASON_LENGTH = 2000
ACTION_TITLE_LENGTH = 200  # as hub.stocktake keeps them
OWNER_LENGTH = 160
DEFAULT_SHORTLIST_SIZE = 10
MAX_SHORTLIST_SIZE = 30
CANDIDATE_LIMIT = 50


class AssemblyError(ValueError):
    """A step that cannot be taken as asked; `field` is the form field it is about."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Candidate:
    """A published item and its "me too"s in the period (and in all, for context)."""

    contribution: Contribution
    support: int
    total_support: int


@dataclass(frozen=True)
class PackIssue:
    """What the issue pack prints for one agenda item."""

    item: AgendaItem
    contribution: Contribution | None
    ward: str | None
    support: int
    comments: list[Comment]
    routing: Routing | None


def _require(me: StaffUser) -> None:
    if not me.may(Role.FACILITATOR):
        raise AssemblyError("", f"Your role ({me.role.value}) cannot change juries or meetings")


def _text(value: str | None, field: str, limit: int, required: str | None = None) -> str | None:
    text = (value or "").strip()
    if not text:
        if required:
            raise AssemblyError(field, required)
        return None
    if len(text) > limit:
        raise AssemblyError(field, f"Use {limit:,} characters or fewer (yours has {len(text):,})")
    return text


def _long_date(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


def _england_midnight(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=ENGLAND)


# -- juries ---------------------------------------------------------------------------------


def jury_draws(db: Session) -> list[PanelDraw]:
    """The panel draws made for a jury (purpose "jury"), newest first."""
    from hub.panels.services import list_draws  # hub.panels imports hub.assembly.selection

    return [draw for draw in list_draws(db) if draw.purpose is Purpose.JURY]


def create_jury(
    db: Session,
    me: StaffUser,
    *,
    title: str,
    period_start: date | None,
    period_end: date | None,
    draw_id: int | None = None,
    shortlist_size: int = DEFAULT_SHORTLIST_SIZE,
) -> Jury:
    """Start a jury's work: its title, linked draw (purpose "jury") and the support period."""
    _require(me)
    clean = _text(title, "title", TITLE_LENGTH, required="Enter a title for the jury")
    assert clean is not None
    if draw_id is not None:
        draw = db.get(PanelDraw, draw_id)
        if draw is None or draw.purpose is not Purpose.JURY:
            raise AssemblyError("draw", "Choose a panel drawn for a jury, or none")
    if period_start is None:
        raise AssemblyError("period_start", "Enter the first day of the period")
    if period_end is None:
        raise AssemblyError("period_end", "Enter the last day of the period")
    if period_end < period_start:
        raise AssemblyError("period_end", "The last day must be on or after the first day")
    if isinstance(shortlist_size, bool) or not 1 <= shortlist_size <= MAX_SHORTLIST_SIZE:
        raise AssemblyError("shortlist_size", f"Shortlist between 1 and {MAX_SHORTLIST_SIZE} items")
    jury = Jury(
        title=clean,
        draw_id=draw_id,
        period_start=period_start,
        period_end=period_end,
        shortlist_size=shortlist_size,
        created_by_id=me.id,
    )
    db.add(jury)
    db.flush()
    record_action(
        db,
        me,
        "jury-created",
        f"jury:{jury.id}",
        f"{clean}; period {period_start.isoformat()} to {period_end.isoformat()}",
    )
    return jury


def list_juries(db: Session) -> list[Jury]:
    return list(db.scalars(select(Jury).order_by(Jury.created_at.desc(), Jury.id.desc())))


def ranked_candidates(
    db: Session, start: date, end: date, limit: int = CANDIDATE_LIMIT
) -> list[Candidate]:
    """Published items on show, most "me too"s given between `start` and `end` (England) first.

    Ties go to the item raised first. Items nobody supported in the period come
    last (they may still be shortlisted).
    """
    since = _england_midnight(start)
    before = _england_midnight(end + timedelta(days=1))
    in_period = (
        select(Support.contribution_id, func.count().label("n"))
        .where(Support.created_at >= since, Support.created_at < before)
        .group_by(Support.contribution_id)
        .subquery()
    )
    overall = (
        select(Support.contribution_id, func.count().label("n"))
        .group_by(Support.contribution_id)
        .subquery()
    )
    support = func.coalesce(in_period.c.n, 0)
    query = (
        select(Contribution, support, func.coalesce(overall.c.n, 0))
        .outerjoin(in_period, in_period.c.contribution_id == Contribution.id)
        .outerjoin(overall, overall.c.contribution_id == Contribution.id)
        .where(Contribution.status == Status.PUBLISHED, Contribution.hidden_at.is_(None))
        .order_by(support.desc(), Contribution.created_at, Contribution.id)
        .limit(limit)
    )
    return [Candidate(c, int(n), int(total)) for c, n, total in db.execute(query).all()]


def set_shortlist(
    db: Session, jury: Jury, me: StaffUser, contribution_ids: Iterable[int]
) -> list[ShortlistItem]:
    """Shortlist the chosen items (up to the jury's size), ranked by support in the period.

    Replaces an earlier shortlist; refused once the jury's choice is recorded.
    """
    _require(me)
    if jury.chosen_on is not None:
        raise AssemblyError(
            "contributions", "The jury has already chosen from this shortlist: it cannot change"
        )
    wanted = list(dict.fromkeys(contribution_ids))
    if not wanted:
        raise AssemblyError("contributions", "Choose at least one item for the shortlist")
    if len(wanted) > jury.shortlist_size:
        raise AssemblyError(
            "contributions",
            f"Choose up to {jury.shortlist_size} items (you chose {len(wanted)})",
        )
    ranked = ranked_candidates(db, jury.period_start, jury.period_end, limit=10_000)
    by_id = {candidate.contribution.id: candidate for candidate in ranked}
    if any(contribution_id not in by_id for contribution_id in wanted):
        raise AssemblyError(
            "contributions", "Choose published items from the list: one is no longer on show"
        )
    jury.shortlist.clear()
    db.flush()
    order = [candidate for candidate in ranked if candidate.contribution.id in set(wanted)]
    for rank, candidate in enumerate(order, start=1):
        jury.shortlist.append(
            ShortlistItem(
                contribution_id=candidate.contribution.id,
                rank=rank,
                support=candidate.support,
                chosen=False,
            )
        )
    db.flush()
    record_action(
        db,
        me,
        "jury-shortlisted",
        f"jury:{jury.id}",
        "items " + ", ".join(str(c.contribution.id) for c in order),
    )
    return list(jury.shortlist)


def record_choice(
    db: Session,
    jury: Jury,
    me: StaffUser,
    reasons: Mapping[int, str | None],
    chosen_on: date | None,
) -> list[ShortlistItem]:
    """Record which shortlisted items the jury chose (shortlist id → the jury's reason).

    Every chosen item needs its reason. Recording again replaces the earlier
    choice (meetings already made keep their agenda).
    """
    _require(me)
    if not jury.shortlist:
        raise AssemblyError("chosen", "Build the shortlist first")
    if not reasons:
        raise AssemblyError("chosen", "Choose at least one item the jury chose")
    entries = {entry.id: entry for entry in jury.shortlist}
    clean: dict[int, str] = {}
    for entry_id, reason in reasons.items():
        if entry_id not in entries:
            raise AssemblyError("chosen", "Choose items from this jury's shortlist")
        title = entries[entry_id].contribution.title
        text = _text(
            reason,
            f"reason-{entry_id}",
            REASON_LENGTH,
            required=f"Give the jury's reason for choosing “{title}”",
        )
        assert text is not None
        clean[entry_id] = text
    if chosen_on is None:
        raise AssemblyError("chosen_on", "Enter the day the jury chose")
    if chosen_on < jury.period_start:
        raise AssemblyError("chosen_on", "The jury cannot choose before the period starts")
    for entry in jury.shortlist:
        entry.chosen = entry.id in clean
        entry.reason = clean.get(entry.id)
    jury.chosen_on = chosen_on
    db.flush()
    record_action(
        db,
        me,
        "jury-choice-recorded",
        f"jury:{jury.id}",
        f"on {chosen_on.isoformat()}; items "
        + ", ".join(str(entries[i].contribution_id) for i in sorted(clean)),
    )
    return jury.chosen


# -- meetings and agenda --------------------------------------------------------------------


def create_meeting(
    db: Session,
    me: StaffUser,
    *,
    title: str,
    held_on: date | None,
    place: str,
    jury_id: int | None = None,
) -> Meeting:
    """A meeting; with a jury, its agenda is the jury's chosen items in rank order."""
    _require(me)
    clean_title = _text(title, "title", TITLE_LENGTH, required="Enter the meeting's title")
    if held_on is None:
        raise AssemblyError("held_on", "Enter the day of the meeting")
    clean_place = _text(place, "place", PLACE_LENGTH, required="Enter where the meeting is held")
    assert clean_title is not None and clean_place is not None
    jury = None
    if jury_id is not None:
        jury = db.get(Jury, jury_id)
        if jury is None:
            raise AssemblyError("jury", "Choose a jury from the list, or none")
        if not jury.chosen:
            raise AssemblyError(
                "jury", f"The jury “{jury.title}” has not chosen yet: record its choice first"
            )
    meeting = Meeting(
        title=clean_title,
        held_on=held_on,
        place=clean_place,
        jury_id=None if jury is None else jury.id,
        created_by_id=me.id,
    )
    db.add(meeting)
    db.flush()
    if jury is not None:
        for position, entry in enumerate(jury.chosen, start=1):
            db.add(
                AgendaItem(
                    meeting_id=meeting.id,
                    position=position,
                    contribution_id=entry.contribution_id,
                    title=entry.contribution.title[:TITLE_LENGTH],
                )
            )
        db.flush()
    db.refresh(meeting)
    record_action(
        db,
        me,
        "meeting-created",
        f"meeting:{meeting.id}",
        f"{clean_title}; {held_on.isoformat()}"
        + (f"; agenda from jury {jury.id}" if jury is not None else ""),
    )
    return meeting


def list_meetings(db: Session, *, published_only: bool = False) -> list[Meeting]:
    """Meetings, latest first (only published ones, for the public)."""
    query = select(Meeting)
    if published_only:
        query = query.where(Meeting.published_at.is_not(None))
    return list(db.scalars(query.order_by(Meeting.held_on.desc(), Meeting.id.desc())))


def _renumber(db: Session, meeting: Meeting) -> None:
    for position, item in enumerate(meeting.agenda, start=1):
        item.position = position
    db.flush()


def add_agenda_item(
    db: Session, meeting: Meeting, me: StaffUser, title: str, description: str | None
) -> AgendaItem:
    """Add a free item (not from Gather) at the end of the agenda."""
    _require(me)
    clean = _text(title, "title", TITLE_LENGTH, required="Enter the agenda item's title")
    text = _text(description, "description", TEXT_LENGTH)
    assert clean is not None
    item = AgendaItem(
        meeting_id=meeting.id,
        position=len(meeting.agenda) + 1,
        title=clean,
        description=text,
    )
    db.add(item)
    db.flush()
    db.expire(meeting, ["agenda"])
    record_action(db, me, "agenda-item-added", f"meeting:{meeting.id}", clean)
    return item


def move_agenda_item(db: Session, item: AgendaItem, me: StaffUser, direction: str) -> None:
    """Move an item one place "up" or "down" the agenda."""
    _require(me)
    if direction not in {"up", "down"}:
        raise AssemblyError("direction", "Choose up or down")
    meeting = item.meeting
    agenda = list(meeting.agenda)
    index = agenda.index(item)
    other = index - 1 if direction == "up" else index + 1
    if not 0 <= other < len(agenda):
        raise AssemblyError(
            "direction", f"“{item.title}” is already {'first' if direction == 'up' else 'last'}"
        )
    agenda[index], agenda[other] = agenda[other], agenda[index]
    for position, entry in enumerate(agenda, start=1):
        entry.position = position
    db.flush()
    db.expire(meeting, ["agenda"])
    record_action(
        db, me, "agenda-item-moved", f"meeting:{meeting.id}", f"item {item.id} {direction}"
    )


def remove_agenda_item(db: Session, item: AgendaItem, me: StaffUser) -> None:
    """Take an item off the agenda (not once replies or outcomes are recorded for it)."""
    _require(me)
    if item.replies:
        raise AssemblyError("", f"“{item.title}” has replies recorded: it cannot be removed")
    has_outcome = db.scalar(select(func.count()).where(AssemblyOutcome.agenda_item_id == item.id))
    if has_outcome:
        raise AssemblyError("", f"“{item.title}” has agreed actions: it cannot be removed")
    meeting = item.meeting
    db.delete(item)
    db.flush()
    db.expire(meeting, ["agenda"])
    _renumber(db, meeting)
    record_action(db, me, "agenda-item-removed", f"meeting:{meeting.id}", item.title)


# -- attendance -----------------------------------------------------------------------------


def panel_of(db: Session, meeting: Meeting) -> list[PanelMember]:
    """The panel members of the meeting's jury's draw, then its reserves (none without a draw)."""
    if meeting.jury is None or meeting.jury.draw_id is None:
        return []
    from hub.panels.services import panel_members  # hub.panels imports hub.assembly.selection

    return panel_members(db, meeting.jury.draw_id)


def facilitator_choices(db: Session) -> list[StaffUser]:
    """Active facilitators and admins, who may be recorded as running a meeting."""
    query = (
        select(StaffUser)
        .where(StaffUser.active.is_(True), StaffUser.role.in_([Role.FACILITATOR, Role.ADMIN]))
        .order_by(StaffUser.name, StaffUser.id)
    )
    return list(db.scalars(query))


def attendees(meeting: Meeting, kind: AttendeeKind) -> list[Attendee]:
    return [attendee for attendee in meeting.attendees if attendee.kind is kind]


def _most_confirmations(meeting: Meeting) -> int:
    return max(
        (
            (reply.agreed or 0) + (reply.disagreed or 0)
            for item in meeting.agenda
            for reply in item.replies
        ),
        default=0,
    )


def set_attendance(
    db: Session,
    meeting: Meeting,
    me: StaffUser,
    panel_member_ids: Iterable[int],
    staff_ids: Iterable[int],
) -> None:
    """Record which panel members and facilitators attended (replacing the earlier ticks)."""
    _require(me)
    members = {member.id: member for member in panel_of(db, meeting)}
    wanted_members = set(panel_member_ids)
    if wanted_members - set(members):
        raise AssemblyError("panel_members", "Tick panel members from this meeting's panel")
    staff = {person.id: person for person in facilitator_choices(db)}
    wanted_staff = set(staff_ids)
    if wanted_staff - set(staff):
        raise AssemblyError("facilitators", "Tick facilitators from the list")
    most = _most_confirmations(meeting)
    if len(wanted_members) < most:
        raise AssemblyError(
            "panel_members",
            f"A reply's confirmation already counts {most} panel members: "
            f"tick at least {most}, or correct the confirmation first",
        )
    for attendee in list(meeting.attendees):
        if attendee.kind is AttendeeKind.PANEL_MEMBER:
            if attendee.panel_member_id not in wanted_members:
                db.delete(attendee)
            else:
                wanted_members.discard(attendee.panel_member_id)
        elif attendee.kind is AttendeeKind.FACILITATOR:
            if attendee.staff_id not in wanted_staff:
                db.delete(attendee)
            else:
                wanted_staff.discard(attendee.staff_id)
    for member_id in sorted(wanted_members):
        db.add(
            Attendee(
                meeting_id=meeting.id, kind=AttendeeKind.PANEL_MEMBER, panel_member_id=member_id
            )
        )
    for staff_id in sorted(wanted_staff):
        db.add(Attendee(meeting_id=meeting.id, kind=AttendeeKind.FACILITATOR, staff_id=staff_id))
    db.flush()
    db.expire(meeting, ["attendees"])
    counts = attendance_counts(db, meeting)
    record_action(
        db,
        me,
        "attendance-recorded",
        f"meeting:{meeting.id}",
        f"{counts.panel_attended} panel members, {counts.facilitators} facilitators",
    )


def add_senior_manager(
    db: Session, meeting: Meeting, me: StaffUser, name: str, role: str, organisation: str
) -> Attendee:
    """Record a senior manager who attended to answer, with their role and organisation."""
    _require(me)
    clean_name = _text(name, "name", NAME_LENGTH, required="Enter the senior manager's name")
    clean_role = _text(role, "role", ROLE_LENGTH, required="Enter their role")
    clean_org = _text(
        organisation, "organisation", ROLE_LENGTH, required="Enter their organisation"
    )
    attendee = Attendee(
        meeting_id=meeting.id,
        kind=AttendeeKind.SENIOR_MANAGER,
        name=clean_name,
        role=clean_role,
        organisation=clean_org,
    )
    db.add(attendee)
    db.flush()
    db.expire(meeting, ["attendees"])
    record_action(
        db,
        me,
        "senior-manager-added",
        f"meeting:{meeting.id}",
        f"{clean_name}, {clean_role}, {clean_org}",
    )
    return attendee


def remove_attendee(db: Session, attendee: Attendee, me: StaffUser) -> None:
    """Remove a senior manager recorded by mistake (not one whose reply is recorded)."""
    _require(me)
    if attendee.kind is not AttendeeKind.SENIOR_MANAGER:
        raise AssemblyError("", "Untick panel members and facilitators on the attendance form")
    replied = db.scalar(select(func.count()).where(Reply.attendee_id == attendee.id))
    if replied:
        raise AssemblyError("", f"{attendee.name} has replies recorded: they cannot be removed")
    meeting = attendee.meeting
    db.delete(attendee)
    db.flush()
    db.expire(meeting, ["attendees"])
    record_action(db, me, "senior-manager-removed", f"meeting:{meeting.id}", attendee.name or "")


@dataclass(frozen=True)
class AttendanceCounts:
    """How many attended (what the public sees: never panel members' names)."""

    panel_attended: int
    panel_size: int  # members of the draw, not counting reserves
    reserves_attended: int
    senior_managers: int
    facilitators: int


def attendance_counts(db: Session, meeting: Meeting) -> AttendanceCounts:
    members = panel_of(db, meeting)
    reserves = {member.id for member in members if member.reserve}
    attended = [a.panel_member_id for a in attendees(meeting, AttendeeKind.PANEL_MEMBER)]
    return AttendanceCounts(
        panel_attended=len(attended),
        panel_size=len(members) - len(reserves),
        reserves_attended=sum(1 for member_id in attended if member_id in reserves),
        senior_managers=len(attendees(meeting, AttendeeKind.SENIOR_MANAGER)),
        facilitators=len(attendees(meeting, AttendeeKind.FACILITATOR)),
    )


# -- replies and their confirmation ---------------------------------------------------------


def record_reply(
    db: Session, item: AgendaItem, me: StaffUser, attendee_id: int | None, text: str
) -> Reply:
    """Record a senior manager's reply to an agenda item, as given in the room."""
    _require(me)
    attendee = db.get(Attendee, attendee_id) if attendee_id is not None else None
    if (
        attendee is None
        or attendee.meeting_id != item.meeting_id
        or attendee.kind is not AttendeeKind.SENIOR_MANAGER
    ):
        raise AssemblyError(
            "attendee", "Choose the senior manager who replied (add them to the attendance first)"
        )
    clean = _text(text, "text", TEXT_LENGTH, required="Enter the reply as it was given")
    assert clean is not None
    reply = Reply(agenda_item_id=item.id, attendee_id=attendee.id, text=clean, recorded_by_id=me.id)
    db.add(reply)
    db.flush()
    db.expire(item, ["replies"])
    record_action(
        db,
        me,
        "reply-recorded",
        f"agenda-item:{item.id}",
        f"by {attendee.name}, {attendee.role}",
    )
    return reply


def _count(value: Any, field: str, label: str) -> int:
    text = str(value if value is not None else "").strip()
    if text == "":
        return 0
    try:
        number = int(text)
    except ValueError:
        raise AssemblyError(field, f"Enter how many {label} as a whole number") from None
    if number < 0:
        raise AssemblyError(field, f"Enter how many {label}: 0 or more")
    return number


def record_confirmation(
    db: Session,
    reply: Reply,
    me: StaffUser,
    agreed: Any,
    disagreed: Any,
    notes: str | None,
) -> None:
    """Record how many attending panel members confirmed the reply matches the discussion.

    `disagreed` above 0 needs the notes saying why; together the counts cannot
    exceed the panel members who attended. Recording again replaces it.
    """
    _require(me)
    yes = _count(agreed, "agreed", "agreed")
    no = _count(disagreed, "disagreed", "disagreed")
    meeting = reply.agenda_item.meeting
    present = len(attendees(meeting, AttendeeKind.PANEL_MEMBER))
    if present == 0:
        raise AssemblyError(
            "agreed", "Record which panel members attended first: only they confirm replies"
        )
    if yes + no == 0:
        raise AssemblyError("agreed", "Enter how many agreed and how many disagreed")
    if yes + no > present:
        raise AssemblyError(
            "agreed",
            f"Only {present} panel members attended: {yes} agreed and {no} disagreed is too many",
        )
    clean_notes = _text(
        notes,
        "notes",
        TEXT_LENGTH,
        required="Say what those who disagreed said" if no else None,
    )
    reply.agreed = yes
    reply.disagreed = no
    reply.notes = clean_notes
    reply.confirmed_at = utcnow()
    db.flush()
    record_action(
        db,
        me,
        "reply-confirmation",
        f"reply:{reply.id}",
        f"{yes} agreed, {no} disagreed of {present}",
    )


# -- outcomes -------------------------------------------------------------------------------


def add_outcome(
    db: Session,
    item: AgendaItem,
    me: StaffUser,
    *,
    title: str,
    owner: str,
    due_on: date | None,
    description: str | None = None,
) -> AssemblyOutcome:
    """An action agreed on an agenda item: a Stocktake action (source "assembly") linked here."""
    _require(me)
    _text(title, "title", ACTION_TITLE_LENGTH, required="Enter what will be done")
    _text(
        owner,
        "owner",
        OWNER_LENGTH,
        required="Enter who owns it: a named person or role, like Director of Adult Social Care",
    )
    if due_on is None:
        raise AssemblyError("due_on", "Enter the day the action is due")
    try:
        action = add_action(
            db,
            me,
            title=title,
            owner=owner,
            due_on=due_on,
            description=description,
            source="assembly",
        )
    except StocktakeError as error:
        raise AssemblyError(error.field, str(error)) from None
    outcome = AssemblyOutcome(
        action_id=action.id, meeting_id=item.meeting_id, agenda_item_id=item.id
    )
    db.add(outcome)
    db.flush()
    record_action(
        db,
        me,
        "outcome-added",
        f"agenda-item:{item.id}",
        f"action {action.id}; owner {action.owner}; due {due_on.isoformat()}",
    )
    return outcome


def outcomes_of(db: Session, meeting: Meeting) -> list[AssemblyOutcome]:
    """The meeting's agreed actions, in agenda order then as agreed."""
    query = (
        select(AssemblyOutcome)
        .join(AgendaItem, AgendaItem.id == AssemblyOutcome.agenda_item_id)
        .where(AssemblyOutcome.meeting_id == meeting.id)
        .order_by(AgendaItem.position, AssemblyOutcome.action_id)
    )
    return list(db.scalars(query))


def publish_meeting(db: Session, meeting: Meeting, me: StaffUser) -> None:
    """Show the meeting, its replies and outcomes on the public pages (once it has an agenda)."""
    _require(me)
    if meeting.published:
        raise AssemblyError("", "This meeting is already published")
    if not meeting.agenda:
        raise AssemblyError("", "Add at least one agenda item before publishing")
    meeting.published_at = utcnow()
    db.flush()
    record_action(db, me, "meeting-published", f"meeting:{meeting.id}", meeting.title)


# -- the issue pack -------------------------------------------------------------------------


def support_count(db: Session, contribution_id: int) -> int:
    query = select(func.count()).where(Support.contribution_id == contribution_id)
    return int(db.scalar(query) or 0)


def issue_pack(db: Session, meeting: Meeting) -> list[PackIssue]:
    """Each agenda item with what the room needs: the text, support, comments and routing."""
    issues = []
    for item in meeting.agenda:
        contribution = item.contribution
        if contribution is None or not contribution.public:
            issues.append(PackIssue(item, None, None, 0, [], None))
            continue
        ward = db.get(Ward, contribution.ward_code) if contribution.ward_code else None
        issues.append(
            PackIssue(
                item=item,
                contribution=contribution,
                ward=None if ward is None else ward.name,
                support=support_count(db, contribution.id),
                comments=public_comments(db, contribution.id),
                routing=routing_of(db, contribution),
            )
        )
    return issues
