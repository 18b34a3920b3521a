"""Moderation of items and comments: publish, reject, edit, hide after reports, restore, remove.

Under `MODERATION = "pre"` (the default) new items and comments wait as
`pending` until a moderator publishes or rejects them; under "post" they are
published at once and reports take them down. Either way, when
`REPORTS_TO_HIDE` different people report one thing it is hidden until a
moderator restores or removes it.

Every function here takes the session and never commits (the view does).
Staff actions write their line in the staff audit log
(`hub.staff.audit.record_action`) in the same transaction, so callers must
not record them again; and item changes go through
`hub.gather.events.record_event`, which tells the author and followers.
Notes and edits are never copied into the audit log: an edit that takes out
a person's details must not keep them somewhere else.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask import current_app, has_app_context
from marshmallow import ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hub.db import utcnow
from hub.gather.events import record_event
from hub.gather.models import Comment, Contribution, Participant, Report, Stage, Status
from hub.gather.schemas import ContributionInputSchema, check_comment
from hub.gather.values import VALUE_CODES
from hub.staff.audit import record_action
from hub.staff.models import StaffUser

MODERATION_MODES = ("pre", "post")
DEFAULT_REPORTS_TO_HIDE = 3

Target = Contribution | Comment


class AlreadyReported(Exception):
    """This person has an open report on this already; it counts once."""


def publishes_at_once(config: Mapping[str, Any] | None = None) -> bool:
    """True under post-moderation (MODERATION = "post"): new things go on show straight away."""
    if config is None:
        config = current_app.config if has_app_context() else {}
    mode = str(config.get("MODERATION") or "pre").strip().lower()
    if mode not in MODERATION_MODES:
        raise ValueError(f'MODERATION must be "pre" or "post", not {mode!r}')
    return mode == "post"


def reports_to_hide(config: Mapping[str, Any] | None = None) -> int:
    """How many people's reports hide a thing until a moderator looks (REPORTS_TO_HIDE)."""
    if config is None:
        config = current_app.config if has_app_context() else {}
    return max(1, int(config.get("REPORTS_TO_HIDE") or DEFAULT_REPORTS_TO_HIDE))


def _target_name(target: Target) -> str:
    return f"{'contribution' if isinstance(target, Contribution) else 'comment'}:{target.id}"


def _check_value(value: str) -> None:
    if value not in VALUE_CODES:
        raise ValueError(f"unknown value code {value!r}; one of {', '.join(sorted(VALUE_CODES))}")


def _resolve_reports(db: Session, target: Target, staff: StaffUser | None) -> int:
    """Close every open report on this; returns how many were open."""
    column = Report.contribution_id if isinstance(target, Contribution) else Report.comment_id
    reports = list(
        db.scalars(select(Report).where(column == target.id, Report.resolved_at.is_(None)))
    )
    now = utcnow()
    for entry in reports:
        entry.resolved_at = now
        entry.resolved_by = None if staff is None else staff.id
    return len(reports)


# -- items ------------------------------------------------------------------------------


def publish_contribution(db: Session, contribution: Contribution, staff: StaffUser) -> None:
    """Put the item on show (from pending, or overturning a rejection)."""
    contribution.status = Status.PUBLISHED
    contribution.hidden_at = None
    contribution.rejection_value = contribution.rejection_note = None
    if contribution.published_at is None:
        contribution.published_at = utcnow()
    stage = Stage.PUBLISHED if contribution.stage is Stage.RAISED else None
    record_event(db, contribution, "published", stage=stage, staff=staff)
    record_action(db, staff, "contribution-published", _target_name(contribution))


def reject_contribution(
    db: Session, contribution: Contribution, staff: StaffUser, value: str, note: str | None = None
) -> None:
    """Refuse the item for breaking `value` (a hub.gather.values code); the author is told.

    `note` is for the author (why, in a sentence); it is never public.
    """
    _check_value(value)
    contribution.status = Status.REJECTED
    contribution.rejection_value = value
    contribution.rejection_note = (note or "").strip() or None
    _resolve_reports(db, contribution, staff)
    record_event(db, contribution, "rejected", note=contribution.rejection_note, public=False,
                 staff=staff)  # fmt: skip
    record_action(db, staff, "contribution-rejected", _target_name(contribution), value)


def edit_contribution(
    db: Session, contribution: Contribution, staff: StaffUser, title: str, body: str
) -> None:
    """Replace the item's text (to take out personal details); the old text is not kept.

    Raises ValidationError ({"title"|"body": [...]}) for text the raise form
    would refuse.
    """
    raw = {
        "kind": contribution.kind.value,
        "theme": contribution.theme.slug,
        "title": title,
        "body": body,
    }
    schema = ContributionInputSchema()
    errors = schema.validate(raw)
    if errors:
        raise ValidationError(errors)
    data = schema.load(raw)
    contribution.title, contribution.body = data["title"], data["body"]
    record_event(db, contribution, "edited", public=False, staff=staff)
    record_action(db, staff, "contribution-edited", _target_name(contribution))


# -- comments ---------------------------------------------------------------------------


def publish_comment(db: Session, comment: Comment, staff: StaffUser) -> None:
    """Put the comment on show."""
    comment.status = Status.PUBLISHED
    comment.hidden_at = None
    comment.rejection_value = None
    if comment.published_at is None:
        comment.published_at = utcnow()
    db.flush()
    record_action(db, staff, "comment-published", _target_name(comment))


def reject_comment(db: Session, comment: Comment, staff: StaffUser, value: str) -> None:
    """Refuse the comment for breaking `value` (a hub.gather.values code)."""
    _check_value(value)
    comment.status = Status.REJECTED
    comment.rejection_value = value
    _resolve_reports(db, comment, staff)
    db.flush()
    record_action(db, staff, "comment-rejected", _target_name(comment), value)


def edit_comment(db: Session, comment: Comment, staff: StaffUser, body: str) -> None:
    """Replace the comment's text (to take out personal details); the old text is not kept."""
    text, errors = check_comment(body)
    if errors:
        raise ValidationError(errors)
    comment.body = text
    db.flush()
    record_action(db, staff, "comment-edited", _target_name(comment))


# -- either -----------------------------------------------------------------------------


def hide_after_reports(db: Session, target: Target) -> None:
    """Take a reported item or comment off show until a moderator looks (no staff acted)."""
    if target.hidden_at is not None:
        return
    target.hidden_at = utcnow()
    if isinstance(target, Contribution):
        record_event(db, target, "hidden", public=False)
    db.flush()


def restore(db: Session, target: Target, staff: StaffUser) -> None:
    """Show a hidden item or comment again: the reports were unfounded (they are closed)."""
    target.hidden_at = None
    closed = _resolve_reports(db, target, staff)
    if isinstance(target, Contribution):
        record_event(db, target, "restored", public=False, staff=staff)
    db.flush()
    record_action(db, staff, "restored", _target_name(target), f"{closed} report(s) closed")


def remove(
    db: Session, target: Target, staff: StaffUser, value: str, note: str | None = None
) -> None:
    """Take a published item or comment down for good, naming the value it broke."""
    _check_value(value)
    target.status = Status.REMOVED
    target.rejection_value = value
    if isinstance(target, Contribution):
        target.rejection_note = (note or "").strip() or None
    _resolve_reports(db, target, staff)
    if isinstance(target, Contribution):
        record_event(db, target, "removed", note=target.rejection_note, public=False, staff=staff)
    db.flush()
    record_action(db, staff, "removed", _target_name(target), value)


def report(
    db: Session,
    *,
    participant: Participant,
    target: Target,
    reason: str | None = None,
    hide_at: int | None = None,
) -> Report:
    """One person reports an item or comment; at `hide_at` people (REPORTS_TO_HIDE) it is hidden.

    Raises AlreadyReported if this person's earlier report on it is still open.
    """
    column = Report.contribution_id if isinstance(target, Contribution) else Report.comment_id
    open_reports = select(Report).where(column == target.id, Report.resolved_at.is_(None))
    mine = db.scalar(open_reports.where(Report.participant_id == participant.id))
    if mine is not None:
        raise AlreadyReported("You have already reported this. A moderator will look at it.")
    entry = Report(
        contribution_id=target.id if isinstance(target, Contribution) else None,
        comment_id=target.id if isinstance(target, Comment) else None,
        participant_id=participant.id,
        reason=(reason or "").strip()[:1000] or None,
        created_at=utcnow(),
    )
    db.add(entry)
    db.flush()
    people = db.scalar(
        select(func.count(Report.participant_id.distinct())).where(
            column == target.id, Report.resolved_at.is_(None)
        )
    )
    if (people or 0) >= (hide_at or reports_to_hide()):
        hide_after_reports(db, target)
    return entry


# -- what moderators see ----------------------------------------------------------------


@dataclass(frozen=True)
class Reported:
    target: Target
    reports: int  # open reports


def pending_contributions(db: Session) -> list[Contribution]:
    """Items waiting for a moderator, oldest first."""
    query = select(Contribution).where(Contribution.status == Status.PENDING)
    return list(db.scalars(query.order_by(Contribution.created_at, Contribution.id)))


def pending_comments(db: Session) -> list[Comment]:
    """Comments waiting for a moderator, oldest first."""
    query = select(Comment).where(Comment.status == Status.PENDING)
    return list(db.scalars(query.order_by(Comment.created_at, Comment.id)))


def reported(db: Session) -> list[Reported]:
    """Published items and comments with open reports (hidden ones first), most reported first."""
    found: list[Reported] = []
    for model, column in ((Contribution, Report.contribution_id), (Comment, Report.comment_id)):
        counts = (
            select(column.label("target_id"), func.count(Report.id).label("reports"))
            .where(column.is_not(None), Report.resolved_at.is_(None))
            .group_by(column)
            .subquery()
        )
        rows = db.execute(
            select(model, counts.c.reports)
            .join(counts, counts.c.target_id == model.id)
            .where(model.status == Status.PUBLISHED)
        ).all()
        found.extend(Reported(target, reports) for target, reports in rows)
    found.sort(key=lambda r: (r.target.hidden_at is None, -r.reports, r.target.id))
    return found
