"""Gather services as the demo and the views call them."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from marshmallow import ValidationError
from sqlalchemy.orm import Session

from hub.gather.models import Kind
from hub.gather.services import (
    AlreadySupported,
    ContributionNotFound,
    OwnContribution,
    get_or_create_participant,
    list_contributions,
    raise_contribution,
    support_contribution,
)
from tests.hub.conftest import person, raise_item


def test_a_participant_is_found_by_id_or_made_with_a_fresh_random_id(db: Session) -> None:
    made = get_or_create_participant(db, None)

    assert len(made.id) == 32
    assert get_or_create_participant(db, made.id) is made
    assert get_or_create_participant(db, "not-a-known-id").id not in {made.id, "not-a-known-id"}


def test_raise_contribution_trims_and_stores_with_the_given_time(db: Session) -> None:
    when = datetime(2026, 10, 3, 9, 30, tzinfo=UTC)

    item = raise_contribution(
        db,
        participant=person(db),
        kind="experience",
        title="  Great care at the walk-in centre  ",
        body="Seen within the hour and treated kindly.",
        theme_slug="urgent-emergency-care",
        created_at=when,
    )
    db.commit()
    db.expire_all()

    assert item.kind is Kind.EXPERIENCE
    assert item.title == "Great care at the walk-in centre"
    assert item.theme.national_code == "urgent-emergency-care"
    assert item.created_at == when


def test_raise_contribution_reports_every_bad_field(db: Session) -> None:
    with pytest.raises(ValidationError) as refused:
        raise_contribution(
            db, participant=person(db), kind="moan", title="", body="", theme_slug="nowhere"
        )

    assert set(refused.value.messages) == {"kind", "title", "body", "theme"}


def test_support_is_once_per_person_and_not_for_your_own_item(db: Session) -> None:
    author, neighbour = person(db), person(db)
    item = raise_item(db, author)

    support_contribution(db, contribution_id=item.id, participant=neighbour)

    with pytest.raises(AlreadySupported):
        support_contribution(db, contribution_id=item.id, participant=neighbour)
    with pytest.raises(OwnContribution):
        support_contribution(db, contribution_id=item.id, participant=author)
    with pytest.raises(ContributionNotFound):
        support_contribution(db, contribution_id=item.id + 1, participant=neighbour)


def test_list_is_newest_first_with_support_counts(db: Session) -> None:
    older = raise_item(db, person(db), at=datetime(2026, 10, 1, tzinfo=UTC))
    newer = raise_item(db, person(db), at=datetime(2026, 10, 2, tzinfo=UTC))
    for _ in range(3):
        support_contribution(db, contribution_id=older.id, participant=person(db))

    listed = list_contributions(db, limit=10)

    assert [(entry.contribution.id, entry.supporters) for entry in listed] == [
        (newer.id, 0),
        (older.id, 3),
    ]
