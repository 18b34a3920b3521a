"""Moderation services: publish, reject, edit, hide after reports, restore, remove; the
timeline and the signal they write; and what the national summary counts."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

import pytest
from marshmallow import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from federation.disclosure.rules import DisclosureRule
from federation.periods import Period
from hub.gather.events import contribution_changed, record_event, timeline
from hub.gather.models import Comment, ContributionEvent, Report, Stage, Status
from hub.gather.moderation import (
    AlreadyReported,
    edit_comment,
    edit_contribution,
    pending_comments,
    pending_contributions,
    publish_comment,
    publish_contribution,
    publishes_at_once,
    reject_comment,
    reject_contribution,
    remove,
    report,
    reported,
    restore,
)
from hub.gather.services import (
    ContributionNotFound,
    add_comment,
    list_contributions,
    support_contribution,
)
from hub.gather.values import VALUE_CODES, VALUES, find_value
from hub.staff.models import Role, StaffAction, StaffUser
from hub.summary.services import count_raw
from tests.hub.conftest import person, raise_item

OCTOBER = Period(date(2026, 10, 1), date(2026, 10, 31))
RULE = DisclosureRule(k=8, rounding_base=5, breakdown_threshold=10, contribution_cap=3,
                      quote_threshold=10)  # fmt: skip


@pytest.fixture
def moderator(db: Session) -> StaffUser:
    staff = StaffUser(
        email="mod@hub.example.org",
        name="Mo Derator",
        role=Role.MODERATOR,
        password_hash="not-used",
        active=True,
        created_at=datetime.now(UTC),
    )
    db.add(staff)
    db.flush()
    return staff


@pytest.fixture
def signals() -> Iterator[list[dict[str, Any]]]:
    sent: list[dict[str, Any]] = []

    def receiver(sender: Any, **kwargs: Any) -> None:
        sent.append({"sender": sender, **kwargs})

    contribution_changed.connect(receiver)
    yield sent
    contribution_changed.disconnect(receiver)


def actions(db: Session) -> list[tuple[str, str, str]]:
    rows = db.scalars(select(StaffAction).order_by(StaffAction.id))
    return [(row.action, row.target, row.detail) for row in rows]


def test_values_are_data_with_the_codes_rejections_use() -> None:
    assert {"respect", "honesty", "everyone-counts", "no-personal-details"} <= VALUE_CODES
    assert {"off-topic", "not-health-or-care"} <= VALUE_CODES
    assert all(value.plain_english and value.examples for value in VALUES)
    assert find_value("respect") is not None and find_value("rudeness") is None


def test_moderation_setting_is_pre_unless_post() -> None:
    assert publishes_at_once({"MODERATION": "post"}) is True
    assert publishes_at_once({"MODERATION": "pre"}) is False
    assert publishes_at_once({}) is False
    with pytest.raises(ValueError, match="MODERATION"):
        publishes_at_once({"MODERATION": "sometimes"})


def test_a_new_item_waits_and_its_timeline_starts_with_raised(
    db: Session, signals: list[dict[str, Any]]
) -> None:
    item = raise_item(db, person(db), publish=False)

    assert (item.status, item.stage, item.published_at) == (Status.PENDING, Stage.RAISED, None)
    assert [e.kind for e in timeline(db, item)] == ["raised"]
    assert list_contributions(db) == []
    assert [s["event"].kind for s in signals] == ["raised"]
    assert signals[0]["sender"] is db and signals[0]["contribution"] is item
    with pytest.raises(ContributionNotFound):  # nobody can support what they cannot see
        support_contribution(db, contribution_id=item.id, participant=person(db))


def test_publishing_puts_it_on_show_and_on_the_timeline(
    db: Session, moderator: StaffUser, signals: list[dict[str, Any]]
) -> None:
    item = raise_item(db, person(db), publish=False)

    publish_contribution(db, item, moderator)

    assert (item.status, item.stage) == (Status.PUBLISHED, Stage.PUBLISHED)
    assert item.published_at is not None
    assert [e.kind for e in timeline(db, item)] == ["raised", "published"]
    assert timeline(db, item)[-1].staff_id == moderator.id
    assert [entry.contribution.id for entry in list_contributions(db)] == [item.id]
    assert actions(db) == [("contribution-published", f"contribution:{item.id}", "")]
    assert signals[-1]["event"].kind == "published"


def test_rejecting_names_the_value_privately_and_tells_listeners(
    db: Session, moderator: StaffUser, signals: list[dict[str, Any]]
) -> None:
    item = raise_item(db, person(db), publish=False)

    reject_contribution(db, item, moderator, "no-personal-details", "It names a nurse.")

    assert item.status is Status.REJECTED
    assert (item.rejection_value, item.rejection_note) == (
        "no-personal-details",
        "It names a nurse.",
    )
    assert [e.kind for e in timeline(db, item)] == ["raised"]  # the rejection is not public
    private = timeline(db, item, public_only=False)[-1]
    assert (private.kind, private.note, private.public) == ("rejected", "It names a nurse.", False)
    assert signals[-1]["event"] is private
    assert actions(db) == [
        ("contribution-rejected", f"contribution:{item.id}", "no-personal-details")
    ]
    with pytest.raises(ValueError, match="unknown value code"):
        reject_contribution(db, item, moderator, "rudeness")


def test_an_edit_keeps_only_the_new_text_and_is_not_on_the_public_timeline(
    db: Session, moderator: StaffUser
) -> None:
    item = raise_item(db, person(db), publish=False, title="Dr Smith at Ancoats")

    edit_contribution(db, item, moderator, "A doctor at the practice", "Was rude to me twice.")

    assert (item.title, item.body) == ("A doctor at the practice", "Was rude to me twice.")
    assert [e.kind for e in timeline(db, item)] == ["raised"]
    assert timeline(db, item, public_only=False)[-1].kind == "edited"
    assert "Smith" not in str(actions(db))
    with pytest.raises(ValidationError) as refused:
        edit_contribution(db, item, moderator, "Hi", "")
    assert set(refused.value.messages) == {"title", "body"}


def test_enough_peoples_reports_hide_an_item_until_a_moderator_restores_it(
    db: Session, moderator: StaffUser
) -> None:
    item = raise_item(db, person(db))
    first, second, third = person(db), person(db), person(db)

    report(db, participant=first, target=item, reason="Names someone", hide_at=3)
    report(db, participant=second, target=item, hide_at=3)
    with pytest.raises(AlreadyReported):
        report(db, participant=second, target=item, hide_at=3)  # one person counts once
    assert item.hidden_at is None
    report(db, participant=third, target=item, hide_at=3)

    assert item.hidden_at is not None
    assert list_contributions(db) == []
    assert [(r.target.id, r.reports) for r in reported(db)] == [(item.id, 3)]

    restore(db, item, moderator)

    assert item.hidden_at is None and item.public
    assert reported(db) == []  # the reports are closed
    resolved = db.scalars(select(Report)).all()
    assert {r.resolved_by for r in resolved} == {moderator.id}
    # once closed, the same person may report it again
    report(db, participant=second, target=item, hide_at=3)


def test_removing_takes_a_published_item_down_for_good(db: Session, moderator: StaffUser) -> None:
    item = raise_item(db, person(db))
    report(db, participant=person(db), target=item, hide_at=3)

    remove(db, item, moderator, "respect", "Insults a member of staff.")

    assert item.status is Status.REMOVED and not item.public
    assert item.rejection_value == "respect"
    assert reported(db) == []
    assert timeline(db, item, public_only=False)[-1].kind == "removed"


def test_comments_wait_then_are_published_rejected_or_edited(
    db: Session, moderator: StaffUser
) -> None:
    item = raise_item(db, person(db))
    waiting = add_comment(db, contribution=item, participant=person(db), body="Same here.")
    rude = add_comment(db, contribution=item, participant=person(db), body="You are all idiots")

    assert [c.id for c in pending_comments(db)] == [waiting.id, rude.id]
    publish_comment(db, waiting, moderator)
    reject_comment(db, rude, moderator, "respect")
    edit_comment(db, waiting, moderator, "Same here at my surgery.")

    assert waiting.public and waiting.body == "Same here at my surgery."
    assert rude.status is Status.REJECTED and rude.rejection_value == "respect"
    assert pending_comments(db) == []
    assert [a[0] for a in actions(db)] == [
        "comment-published",
        "comment-rejected",
        "comment-edited",
    ]


def test_a_reported_comment_is_hidden_and_can_be_removed(db: Session, moderator: StaffUser) -> None:
    item = raise_item(db, person(db))
    comment = add_comment(
        db, contribution=item, participant=person(db), body="Ring 07700 900123", publish=True
    )

    report(db, participant=person(db), target=comment, hide_at=1)
    assert comment.hidden_at is not None and not comment.public
    assert [(type(r.target), r.reports) for r in reported(db)] == [(Comment, 1)]

    remove(db, comment, moderator, "no-personal-details")

    assert comment.status is Status.REMOVED
    assert reported(db) == []


def test_pending_items_are_listed_oldest_first(db: Session) -> None:
    newer = raise_item(db, person(db), publish=False, at=datetime(2026, 10, 20, tzinfo=UTC))
    older = raise_item(db, person(db), publish=False, at=datetime(2026, 10, 2, tzinfo=UTC))
    raise_item(db, person(db))

    assert [c.id for c in pending_contributions(db)] == [older.id, newer.id]


def test_record_event_moves_the_stage_and_rejects_unknown_kinds(db: Session) -> None:
    item = raise_item(db, person(db))

    event = record_event(db, item, "status", stage="change-made", note="New phone lines.")

    assert item.stage is Stage.CHANGE_MADE
    assert isinstance(event, ContributionEvent) and event.public
    with pytest.raises(ValueError):
        record_event(db, item, "exploded")


def test_the_summary_counts_pending_items_but_not_rejected_or_removed_ones(
    db: Session, moderator: StaffUser
) -> None:
    published = raise_item(db, person(db))
    raise_item(db, person(db), publish=False)  # waiting: still counts
    rejected = raise_item(db, person(db), publish=False)
    removed = raise_item(db, person(db))
    for item in (published, removed):  # a different person supports each
        support_contribution(
            db,
            contribution_id=item.id,
            participant=person(db),
            created_at=datetime(2026, 10, 16, tzinfo=UTC),
        )
    reject_contribution(db, rejected, moderator, "honesty")
    remove(db, removed, moderator, "respect")
    db.flush()

    raw = count_raw(db, OCTOBER, RULE)

    assert raw.contributors == 2  # the published and the pending item's authors
    assert raw.supporters == 1  # the removed item's supporter does not count
    assert raw.participants == 3
    assert raw.themes["gp-access"].contributions == 2
