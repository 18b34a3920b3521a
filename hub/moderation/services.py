"""Triage, escalation, public status updates and assisted entry. Services never commit.

Each function writes its line in the staff audit log in the same transaction.
Escalation notes and the words of an assisted entry are not copied into the
log (they may name people); the log says who did what to which item.
The moderation decisions themselves (publish, reject, edit, restore, remove)
are `hub.gather.moderation`'s, which log their own lines.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.db import utcnow
from hub.gather.events import record_event
from hub.gather.models import Channel, Contribution, Participant, Stage, Status
from hub.gather.services import raise_contribution
from hub.moderation.models import ContributionTriage, Criticality
from hub.staff.audit import record_action
from hub.staff.models import StaffUser

NOTE_LENGTH = 2000
UPDATE_STAGES = (
    Stage.ROUTED,
    Stage.RESPONDED,
    Stage.CHANGE_PLANNED,
    Stage.CHANGE_MADE,
    Stage.CLOSED,
)
NOTE_REQUIRED = {
    Stage.RESPONDED: "Enter the response people will read",
    Stage.CLOSED: "Enter the reason it is closed, for the people who follow it",
}
ASSISTED_CHANNELS = (Channel.PAPER, Channel.PHONE, Channel.EVENT, Channel.EMAIL)


class StaffToolError(ValueError):
    """A change that cannot be made as asked; `field` is the form field it is about."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def _target(contribution: Contribution) -> str:
    return f"contribution:{contribution.id}"


def _note(text: str | None, field: str, *, required: str | None = None) -> str | None:
    note = (text or "").strip()
    if not note:
        if required:
            raise StaffToolError(field, required)
        return None
    if len(note) > NOTE_LENGTH:
        raise StaffToolError(
            field, f"Use {NOTE_LENGTH:,} characters or fewer (yours has {len(note):,})"
        )
    return note


# -- triage ---------------------------------------------------------------------------------


def triage_of(db: Session, contribution: Contribution) -> ContributionTriage | None:
    return db.get(ContributionTriage, contribution.id)


def triage_for(db: Session, ids: Iterable[int]) -> dict[int, ContributionTriage]:
    """The triage rows of these items, by item id (items without one are left out)."""
    wanted = list(set(ids))
    if not wanted:
        return {}
    rows = db.scalars(
        select(ContributionTriage).where(ContributionTriage.contribution_id.in_(wanted))
    )
    return {row.contribution_id: row for row in rows}


def _triage_row(db: Session, contribution: Contribution) -> ContributionTriage:
    row = triage_of(db, contribution)
    if row is None:
        row = ContributionTriage(contribution_id=contribution.id, escalated=False)
        db.add(row)
    row.updated_at = utcnow()
    return row


def set_criticality(
    db: Session, contribution: Contribution, criticality: str, staff: StaffUser
) -> bool:
    """Set (or with "" clear) how critical an item is; False if it already was that."""
    if criticality and criticality not in {c.value for c in Criticality}:
        raise StaffToolError("criticality", "Choose low, medium or high")
    wanted = Criticality(criticality) if criticality else None
    current = triage_of(db, contribution)
    if (current.criticality if current is not None else None) is wanted:
        return False
    row = _triage_row(db, contribution)
    row.criticality = wanted
    db.flush()
    record_action(
        db, staff, "criticality-set", _target(contribution), wanted.value if wanted else "none"
    )
    return True


def escalate(db: Session, contribution: Contribution, note: str, staff: StaffUser) -> None:
    """Flag a safeguarding concern with a note for the people who will act on it."""
    text = _note(note, "escalation_note", required="Say what the concern is and who may be at risk")
    row = _triage_row(db, contribution)
    if row.escalated and row.closed_at is None:
        raise StaffToolError("escalation_note", "This item is already escalated")
    row.escalated = True
    row.escalation_note = text
    row.escalated_at = utcnow()
    row.escalated_by_id = staff.id
    row.closed_at = row.closed_by_id = row.closing_note = None
    db.flush()
    record_action(db, staff, "safeguarding-escalated", _target(contribution))


def close_escalation(db: Session, contribution: Contribution, note: str, staff: StaffUser) -> None:
    """Close an escalation with a note of what was done (it stays on record)."""
    text = _note(note, "closing_note", required="Say what was done about the concern")
    row = triage_of(db, contribution)
    if row is None or not row.escalated or row.closed_at is not None:
        raise StaffToolError("closing_note", "This item has no open escalation")
    row.closed_at = utcnow()
    row.closed_by_id = staff.id
    row.closing_note = text
    row.updated_at = row.closed_at
    db.flush()
    record_action(db, staff, "escalation-closed", _target(contribution))


def escalations(
    db: Session, *, open_only: bool = True, limit: int = 200
) -> list[ContributionTriage]:
    """Escalated items: open ones oldest first; with `open_only=False`, closed ones too."""
    query = select(ContributionTriage).where(ContributionTriage.escalated.is_(True))
    if open_only:
        query = query.where(ContributionTriage.closed_at.is_(None))
        query = query.order_by(ContributionTriage.escalated_at, ContributionTriage.contribution_id)
    else:
        query = query.where(ContributionTriage.closed_at.is_not(None)).order_by(
            ContributionTriage.closed_at.desc()
        )
    return list(db.scalars(query.limit(limit)))


# -- public status updates ------------------------------------------------------------------


def update_stage(
    db: Session, contribution: Contribution, stage: str, note: str | None, staff: StaffUser
) -> None:
    """Move a published item to a later public stage with a public note (followers are told).

    The note is required for "responded" (the response) and "closed" (the reason).
    """
    if contribution.status is not Status.PUBLISHED:
        raise StaffToolError("stage", "Only a published item can have its status updated")
    try:
        moved = Stage(stage)
    except ValueError:
        moved = None
    if moved not in UPDATE_STAGES:
        raise StaffToolError("stage", "Choose what has happened")
    assert moved is not None
    text = _note(note, "note", required=NOTE_REQUIRED.get(moved))
    if moved is contribution.stage and text is None:
        raise StaffToolError("note", "The item is already at this stage: add a note to say more")
    record_event(db, contribution, "status", stage=moved, note=text, public=True, staff=staff)
    record_action(db, staff, "stage-changed", _target(contribution), moved.value)


# -- assisted digital -----------------------------------------------------------------------


@dataclass(frozen=True)
class AssistedEntry:
    """What a member of staff typed in for someone, before it is checked."""

    channel: str
    kind: str
    title: str
    body: str
    theme_slug: str
    ward_code: str | None
    about_you: Mapping[str, Any]
    consent: bool  # the person agreed to what they said being put on the hub
    quote_consent: bool  # … and to a moderated, anonymised quote being shared nationally


def enter_for_someone(
    db: Session,
    entry: AssistedEntry,
    *,
    participant: Participant,
    staff: StaffUser,
    publish: bool,
) -> Contribution:
    """Store an item someone gave on paper, by phone, at an event or by email.

    Raises StaffToolError for a channel or consent problem, or marshmallow's
    ValidationError for the item itself (nothing is stored either way). The
    audit line records the channel and that the person's consent was confirmed.
    """
    if entry.channel not in {c.value for c in ASSISTED_CHANNELS}:
        raise StaffToolError(
            "channel", "Choose how the person gave it: paper, phone, event or email"
        )
    if not entry.consent:
        raise StaffToolError(
            "consent",
            "Confirm the person agreed to what they said being put on the hub, or do not enter it",
        )
    contribution = raise_contribution(
        db,
        participant=participant,
        kind=entry.kind,
        title=entry.title,
        body=entry.body,
        theme_slug=entry.theme_slug,
        ward_code=entry.ward_code or None,
        channel=entry.channel,
        about_you=dict(entry.about_you),
        quote_consent=entry.quote_consent,
        publish=publish,
    )
    record_action(
        db,
        staff,
        "assisted-entry",
        _target(contribution),
        f"channel {entry.channel}; consent to publish confirmed; "
        f"quote consent {'yes' if entry.quote_consent else 'no'}; "
        f"{'published' if publish else 'waiting for moderation'}",
    )
    return contribution
