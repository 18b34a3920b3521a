"""Gather services as the demo and the views call them."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from marshmallow import ValidationError
from sqlalchemy.orm import Session

from hub.gather.models import Channel, Kind, Stage, Status, Ward
from hub.gather.services import (
    AlreadySupported,
    ContributionNotFound,
    OwnContribution,
    add_comment,
    count_contributions,
    get_or_create_participant,
    import_wards,
    list_contributions,
    list_wards,
    public_comments,
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


def test_raise_contribution_publishes_only_when_asked(db: Session) -> None:
    waiting = raise_item(db, person(db), publish=False)
    shown = raise_item(db, person(db))

    assert (waiting.status, waiting.stage) == (Status.PENDING, Stage.RAISED)
    assert (shown.status, shown.stage) == (Status.PUBLISHED, Stage.PUBLISHED)
    assert shown.published_at == shown.created_at
    assert [entry.contribution.id for entry in list_contributions(db)] == [shown.id]
    assert count_contributions(db, public_only=False) == 2


def test_raise_contribution_checks_the_ward_and_channel(db: Session) -> None:
    db.add(Ward(code="E05011234", name="Ancoats and Beswick"))
    base = {
        "participant": person(db),
        "kind": "idea",
        "title": "Evening GP clinics",
        "body": "Open one evening a week for people who work.",
        "theme_slug": "gp-access",
    }

    item = raise_contribution(db, **base, ward_code="E05011234", channel="paper")
    blank = raise_contribution(db, **base, ward_code="  ")

    assert (item.ward_code, item.channel) == ("E05011234", Channel.PAPER)
    assert blank.ward_code is None and blank.channel is Channel.ONLINE
    with pytest.raises(ValidationError) as refused:
        raise_contribution(db, **base, ward_code="E05999999", channel="pigeon")
    assert set(refused.value.messages) == {"ward", "channel"}


def test_wards_import_from_csv_adds_and_renames(db: Session) -> None:
    added = import_wards(db, "code,name\nE05011234,Ancoats\nE05011235,Ardwick\n")
    again = import_wards(db, "E05011234,Ancoats and Beswick\n\n")

    assert added == (2, 0)
    assert again == (0, 1)
    assert [(w.code, w.name) for w in list_wards(db)] == [
        ("E05011234", "Ancoats and Beswick"),
        ("E05011235", "Ardwick"),
    ]
    with pytest.raises(ValueError, match="line 2"):
        import_wards(db, "E05011236,Bradford\nnot-a-code,Somewhere\n")


def test_comments_are_checked_and_only_on_items_on_show(db: Session) -> None:
    shown = raise_item(db, person(db))
    waiting = raise_item(db, person(db), publish=False)

    comment = add_comment(db, contribution=shown, participant=person(db), body="  Same here.  ")

    assert (comment.body, comment.status) == ("Same here.", Status.PENDING)
    assert public_comments(db, shown.id) == []
    with pytest.raises(ValidationError):
        add_comment(db, contribution=shown, participant=person(db), body="x" * 2001)
    with pytest.raises(ContributionNotFound):
        add_comment(db, contribution=waiting, participant=person(db), body="Hello there")
