"""An item's timeline: every step it takes, and the signal other features listen to.

`record_event` is the one way an item's public stage moves or its moderation
is written down: it appends a `ContributionEvent`, sets the item's stage when
one is given, and sends `contribution_changed` so, for example, residents'
followers can be emailed (`hub.residents` subscribes). Receivers run inside
the caller's transaction: they may add rows (an outbox email) but never
commit, so a rolled-back change sends nothing.
"""

from __future__ import annotations

from datetime import datetime

from blinker import Namespace
from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.db import utcnow
from hub.gather.models import Contribution, ContributionEvent, Stage
from hub.staff.models import StaffUser

signals = Namespace()
contribution_changed = signals.signal("contribution-changed")
"""Sent with sender=the Session, contribution=…, event=… after each `record_event`."""

EVENT_KINDS = (
    "raised",
    "published",
    "rejected",
    "edited",
    "status",
    "hidden",
    "restored",
    "removed",
)


def record_event(
    db: Session,
    contribution: Contribution,
    kind: str,
    *,
    stage: Stage | str | None = None,
    note: str | None = None,
    public: bool = True,
    staff: StaffUser | None = None,
    at: datetime | None = None,
) -> ContributionEvent:
    """Append one step to the item's timeline (moving its stage if given); never commits.

    `at` backdates the step (the demo's items, raised over a past month).
    """
    if kind not in EVENT_KINDS:
        raise ValueError(f"unknown event kind {kind!r}; one of {', '.join(EVENT_KINDS)}")
    moved = None if stage is None else Stage(stage)
    now = at or utcnow()
    if moved is not None:
        contribution.stage = moved
    contribution.updated_at = now
    event = ContributionEvent(
        contribution_id=contribution.id,
        stage=moved,
        kind=kind,
        note=note,
        public=public,
        staff_id=None if staff is None else staff.id,
        created_at=now,
    )
    db.add(event)
    db.flush()
    contribution_changed.send(db, contribution=contribution, event=event)
    return event


def timeline(
    db: Session, contribution: Contribution, *, public_only: bool = True
) -> list[ContributionEvent]:
    """The item's events, oldest first (only the public ones unless asked)."""
    query = select(ContributionEvent).where(ContributionEvent.contribution_id == contribution.id)
    if public_only:
        query = query.where(ContributionEvent.public.is_(True))
    return list(db.scalars(query.order_by(ContributionEvent.created_at, ContributionEvent.id)))
