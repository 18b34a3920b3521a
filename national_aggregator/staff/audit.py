"""The staff audit log: every staff action, who took it, on what, and when.

Services call `record_action` in the same transaction as the change itself, so
a change is never committed without its log line (and a log line never
survives a rolled-back change). Other features (board responses, board packs)
call it too, with their own verbs. Nothing updates or deletes a row.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from national_aggregator.db import utcnow
from national_aggregator.staff.models import StaffAction, StaffUser

TARGET_LENGTH = 120
ACTION_LENGTH = 40


def record_action(
    session: Session, staff: StaffUser | None, action: str, target: str, detail: str = ""
) -> StaffAction:
    """Add one line to the staff audit log (the caller commits).

    `action` is a short verb such as "board-response-recorded"; `target` names
    what it acted on, e.g. "priority:gp-access" or "staff:3"; `detail` is free
    text for people. `staff` is None when no signed-in person acted (a
    command-line operator, or a failed sign-in to an unknown address).
    """
    if not action or len(action) > ACTION_LENGTH:
        raise ValueError(f"an audit action is 1 to {ACTION_LENGTH} characters: {action!r}")
    entry = StaffAction(
        at=utcnow(),
        staff_id=None if staff is None else staff.id,
        action=action,
        target=target[:TARGET_LENGTH],
        detail=detail,
    )
    session.add(entry)
    session.flush()
    return entry


def recent_actions(session: Session, *, limit: int = 200) -> list[StaffAction]:
    """The newest actions first."""
    query = select(StaffAction).order_by(StaffAction.id.desc()).limit(limit)
    return list(session.scalars(query))
