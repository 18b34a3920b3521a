"""The demo hub's Stocktake: dated updates on its actions, and a late, a stalled and a done one.

`seed_demo` runs after the demo's routed items (whose planned changes are
already actions, through `hub.routing.services`). It gives the first planned
routed change a due date and an update in progress, and adds three "other"
actions so the Stocktake shows every section: one late, one stalled with its
reason, one done. Illustrative text; never commits.
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy.orm import Session

from hub.staff.models import StaffUser
from hub.stocktake import services
from hub.stocktake.models import ActionSource, ActionStatus


def _author(staff: dict[str, StaffUser]) -> StaffUser:
    for role in ("facilitator", "admin"):
        if role in staff:
            return staff[role]
    raise ValueError("seed_demo needs a facilitator or an admin in `staff`")


def seed_demo(session: Session, *, staff: dict[str, StaffUser], today: date) -> None:
    """Dated updates on the demo's actions, as of `today` (a day in England)."""
    me = _author(staff)
    routed = services.list_actions(session, source=ActionSource.ROUTING)
    planned = [a for a in routed if a.status is ActionStatus.PLANNED]
    if planned:
        first = planned[0]
        services.set_plan(session, me, first, owner=first.owner, due_on=today + timedelta(days=45))
        services.add_update(
            session,
            me,
            first,
            status="in-progress",
            note="Work has started; the next update is due at the Stocktake meeting.",
            written_on=today - timedelta(days=3),
            today=today,
        )

    late = services.add_action(
        session,
        me,
        title="Publish monthly waiting times for adult social care assessments",
        owner="Director of Adult Social Care",
        due_on=today - timedelta(days=21),
        description="Agreed after people said they did not know how long they would wait.",
        source=ActionSource.OTHER.value,
    )
    services.add_update(
        session,
        me,
        late,
        status="in-progress",
        note="The figures are collected; the page to publish them is not ready yet.",
        written_on=today - timedelta(days=28),
        today=today,
    )

    stalled = services.add_action(
        session,
        me,
        title="Open a Saturday morning GP clinic in the town centre",
        owner="Primary Care Director, Integrated Care Board",
        due_on=today + timedelta(days=60),
        source=ActionSource.OTHER.value,
    )
    services.add_update(
        session,
        me,
        stalled,
        status="in-progress",
        note="Two practices agreed to staff it.",
        written_on=today - timedelta(days=40),
        today=today,
    )
    services.add_update(
        session,
        me,
        stalled,
        status="stalled",
        note="The lease on the building fell through; a new site is being looked for.",
        written_on=today - timedelta(days=10),
        today=today,
    )

    done = services.add_action(
        session,
        me,
        title="Fix the lift at the community health centre",
        owner="Estates manager, community health trust",
        due_on=today - timedelta(days=14),
        source=ActionSource.OTHER.value,
    )
    services.add_update(
        session,
        me,
        done,
        status="done",
        note="The lift was repaired and is checked every week.",
        written_on=today - timedelta(days=16),
        today=today,
    )
