"""The demo hub's Citizens' Jury and a past Assembly meeting with its outcomes.

`seed_demo` runs after the demo's items, "me too"s and jury draw exist
(`hub.panels.demo.seed_demo` returns the draw). Through the services, as a
facilitator would: the jury's shortlist of the hub's most supported published
items, its choice of three with reasons, an Assembly meeting about three weeks
before `today` with attendance, a senior manager's reply per issue with the
panel members' confirmation, and three agreed actions on the Stocktake, one
already past its due date (so the Stocktake shows it late). The meeting is
published. Names and texts are illustrative; never commits.
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hub.assembly import services
from hub.assembly.models import Jury
from hub.gather.models import Contribution, Status, Support
from hub.panels.models import PanelDraw
from hub.routing.services import ENGLAND
from hub.staff.models import StaffUser

JURY_TITLE = "Citizens' Jury (demo)"
SHORTLIST = 5
CHOSEN = 3
MANAGERS = [
    ("Dr Priya Natarajan (demo)", "Medical Director", "NHS Integrated Care Board"),
    ("Sam Whitfield (demo)", "Director of Adult Social Care", "City Council"),
]
REASONS = [
    "More people supported it than anything else, and jurors had the same experience.",
    "It affects people who are seldom heard: carers and people working shifts.",
    "Jurors felt it could change within a year if the right people own it.",
]
REPLIES = [
    "We accept that this is not good enough. We will change how it works this year and report "
    "back to the next Assembly with figures.",
    "We have started to look at this with the people affected. Some of it needs money we do "
    "not have yet; we will say plainly which parts we can do now.",
    "This needs the council and the NHS together. We will set up a joint group and publish "
    "its notes.",
]
ACTIONS = [
    # (title, owner, days from today: negative is already due)
    ("Publish a plan with dates for what changes, and report progress monthly",
     "Director of Primary Care", -7),
    ("Ask the people affected to review the new arrangements before they start",
     "Head of Engagement", 60),
    ("Set up a joint council and NHS group and publish its notes",
     "Director of Adult Social Care", 120),
]  # fmt: skip


def _support_period(session: Session, today: date) -> tuple[date, date]:
    """The days (England) of the first and last "me too", or the last three months."""
    first, last = session.execute(
        select(func.min(Support.created_at), func.max(Support.created_at))
    ).one()
    if first is None or last is None:
        return today - timedelta(days=90), today - timedelta(days=35)
    return first.astimezone(ENGLAND).date(), last.astimezone(ENGLAND).date()


def seed_demo(session: Session, *, draw: PanelDraw | None, staff: StaffUser, today: date) -> None:
    """A jury's shortlist and choice, and a published meeting about three weeks before `today`.

    `staff` must be a facilitator or an admin; `draw` is the demo's jury draw
    (None: a meeting without panel members). Does nothing if the demo jury exists.
    """
    if session.scalar(select(Jury).where(Jury.title == JURY_TITLE)) is not None:
        return
    published = session.scalar(select(func.count()).where(Contribution.status == Status.PUBLISHED))
    if not published:
        return
    start, end = _support_period(session, today)
    held_on = today - timedelta(days=21)
    jury = services.create_jury(
        session,
        staff,
        title=JURY_TITLE,
        period_start=start,
        period_end=max(start, min(end, held_on - timedelta(days=8))),
        draw_id=None if draw is None else draw.id,
        shortlist_size=SHORTLIST,
    )
    top = services.ranked_candidates(session, jury.period_start, jury.period_end, limit=SHORTLIST)
    shortlist = services.set_shortlist(session, jury, staff, [c.contribution.id for c in top])
    services.record_choice(
        session,
        jury,
        staff,
        {entry.id: REASONS[i] for i, entry in enumerate(shortlist[:CHOSEN])},
        max(jury.period_start, held_on - timedelta(days=7)),
    )
    meeting = services.create_meeting(
        session,
        staff,
        title=f"Citizens' Assembly, {held_on:%B %Y}",
        held_on=held_on,
        place="Town Hall, Council Chamber",
        jury_id=jury.id,
    )
    members = services.panel_of(session, meeting)
    panel = [m for m in members if not m.reserve]
    present = [m.id for m in panel[: max(0, len(panel) - 3)]]  # a few could not come
    services.set_attendance(session, meeting, staff, present, [staff.id])
    managers = [
        services.add_senior_manager(session, meeting, staff, name, role, organisation)
        for name, role, organisation in MANAGERS
    ]
    for i, item in enumerate(meeting.agenda):
        reply = services.record_reply(
            session, item, staff, managers[i % len(managers)].id, REPLIES[i % len(REPLIES)]
        )
        if present:
            disagreed = 1 if i == 1 and len(present) > 1 else 0
            services.record_confirmation(
                session,
                reply,
                staff,
                len(present) - disagreed,
                disagreed,
                "One juror said the reply did not say when." if disagreed else None,
            )
        title, owner, days = ACTIONS[i % len(ACTIONS)]
        services.add_outcome(
            session, item, staff, title=title, owner=owner, due_on=today + timedelta(days=days)
        )
    services.publish_meeting(session, meeting, staff)
