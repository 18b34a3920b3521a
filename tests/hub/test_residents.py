"""Residents' services: private links, accounts, follows, changing and deleting, download, erasure.

Runs on SQLite, and on PostgreSQL with HUBNET_TEST_DATABASE_URL set (the
deletion walks every foreign key, which PostgreSQL enforces strictly).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from marshmallow import ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from federation.disclosure import DEFAULT_RULE
from federation.periods import Period
from hub.db import Base
from hub.gather import moderation
from hub.gather.models import Comment, Contribution, Participant, Stage, Status, Support
from hub.gather.services import add_comment, support_contribution
from hub.mail.models import OutgoingMail
from hub.moderation.models import ContributionTriage
from hub.quotes.models import QuoteCandidate, QuoteStatus
from hub.residents import accounts
from hub.residents.links import issue_private_link, participant_for_link, replace_private_links
from hub.residents.models import Account, Follow, TokenPurpose
from hub.residents.services import (
    FollowRefused,
    ItemLocked,
    ItemNotFound,
    change_item,
    delete_everything,
    delete_item,
    export_data,
    follow,
    follow_own_items,
    followers,
    your_items,
)
from hub.summary.services import count_raw
from tests.hub.conftest import person, raise_item
from tests.hub.staff_helpers import make_staff

OCTOBER = Period.month(2026, 10)
PASSWORD = "a long enough password"


def at(day: int) -> datetime:
    return datetime(2026, 10, day, 12, tzinfo=UTC)


def confirmed_account(db: Session, who: Participant, email: str) -> Account:
    account = accounts.register_account(db, email=email, password=PASSWORD, participant=who)
    assert account is not None
    token = accounts.issue_token(db, account, TokenPurpose.CONFIRM, timedelta(days=1))
    assert accounts.confirm_email(db, token) is account
    return account


# -- private links -----------------------------------------------------------------------


def test_a_private_link_opens_only_its_person_and_every_link_given_keeps_working(
    db: Session,
) -> None:
    someone, other = person(db), person(db)
    first = issue_private_link(db, someone)
    issue_private_link(db, other)
    assert first.startswith("/your-part/")
    token = first.rsplit("/", 1)[1]
    assert len(token) == 43
    assert participant_for_link(db, token) is someone

    # raising something again gives another link; last month's bookmark still works
    second = issue_private_link(db, someone)
    assert participant_for_link(db, second.rsplit("/", 1)[1]) is someone
    assert participant_for_link(db, token) is someone
    assert participant_for_link(db, token[:-1] + ("A" if token[-1] != "A" else "B")) is None
    stored = db.scalars(select(Base.metadata.tables["private_links"].c.token_hash)).all()
    assert token not in stored and len(stored) == 3  # only hashes are kept


def test_a_new_private_link_asked_for_stops_every_earlier_one(db: Session) -> None:
    someone, other = person(db), person(db)
    old = [issue_private_link(db, someone).rsplit("/", 1)[1] for _ in range(2)]
    others = issue_private_link(db, other).rsplit("/", 1)[1]
    fresh = replace_private_links(db, someone).rsplit("/", 1)[1]
    assert participant_for_link(db, fresh) is someone
    assert [participant_for_link(db, token) for token in old] == [None, None]
    assert participant_for_link(db, others) is other  # nobody else's links change


# -- accounts ------------------------------------------------------------------------------


def test_register_checks_the_form_and_a_taken_address_makes_no_second_account(
    db: Session,
) -> None:
    with pytest.raises(accounts.AccountFormError) as refused:
        accounts.register_account(
            db, email="not-an-address", password="short", participant=person(db)
        )
    assert set(refused.value.errors) == {"email", "password"}

    account = accounts.register_account(
        db, email=" Sam@Example.org ", password=PASSWORD, participant=person(db)
    )
    assert account is not None and account.email == "sam@example.org"
    assert account.password_hash.startswith("$argon2id$")
    assert not account.confirmed
    again = accounts.register_account(
        db, email="sam@example.org", password=PASSWORD, participant=person(db)
    )
    assert again is None
    assert db.scalar(select(func.count(Account.id))) == 1


def test_confirmation_and_reset_links_work_once_and_not_after_they_expire(db: Session) -> None:
    account = accounts.register_account(
        db, email="kim@example.org", password=PASSWORD, participant=person(db)
    )
    assert account is not None
    old = accounts.issue_token(db, account, TokenPurpose.CONFIRM, timedelta(days=7))
    new = accounts.issue_token(db, account, TokenPurpose.CONFIRM, timedelta(days=7))
    assert accounts.confirm_email(db, old) is None  # a newer link replaced it
    assert accounts.confirm_email(db, new) is account and account.confirmed
    assert accounts.confirm_email(db, new) is None  # used

    reset = accounts.issue_token(db, account, TokenPurpose.RESET, timedelta(minutes=60))
    assert accounts.confirm_email(db, reset) is None  # a reset link confirms nothing
    later = datetime.now(UTC) + timedelta(minutes=61)
    assert accounts.reset_password(db, reset, "a brand new password", now=later) is None
    with pytest.raises(accounts.AccountFormError):
        accounts.reset_password(db, reset, "short")
    session_token = accounts.start_session(db, account)
    assert accounts.reset_password(db, reset, "a brand new password") is account
    assert accounts.authenticate(db, "kim@example.org", PASSWORD) is None
    assert accounts.authenticate(db, "KIM@example.org", "a brand new password") is account
    # a new password signs the account out everywhere
    assert accounts.session_account(db, session_token, max_age=timedelta(days=30)) is None
    assert accounts.reset_password(db, reset, "another new password") is None  # used


def test_sign_in_sessions_end_on_sign_out_and_after_their_age(db: Session) -> None:
    account = confirmed_account(db, person(db), "lee@example.org")
    assert accounts.authenticate(db, "nobody@example.org", PASSWORD) is None
    token = accounts.start_session(db, account)
    assert accounts.session_account(db, token, max_age=timedelta(days=30)) is account
    assert accounts.session_account(db, token, max_age=timedelta(0)) is None
    accounts.end_session(db, token)
    assert accounts.session_account(db, token, max_age=timedelta(days=30)) is None


# -- follows -------------------------------------------------------------------------------


def test_only_confirmed_accounts_follow_and_only_what_is_public(db: Session) -> None:
    author, reader = person(db), person(db)
    item = raise_item(db, author)
    waiting = raise_item(db, author, publish=False, title="Waiting for a moderator")
    unconfirmed = accounts.register_account(
        db, email="new@example.org", password=PASSWORD, participant=reader
    )
    assert unconfirmed is not None
    with pytest.raises(FollowRefused, match="Confirm your email"):
        follow(db, unconfirmed, item)

    account = confirmed_account(db, person(db), "reader@example.org")
    follow(db, account, item)
    follow(db, account, item)  # twice is still once
    with pytest.raises(FollowRefused, match="published"):
        follow(db, account, waiting)
    assert [a.email for a in followers(db, item.id)] == ["reader@example.org"]
    assert db.scalar(select(func.count(Follow.id))) == 1


def test_an_author_with_an_account_follows_what_they_raise(db: Session) -> None:
    author = person(db)
    before = raise_item(db, author)
    account = confirmed_account(db, author, "author@example.org")
    follow_own_items(db, account)  # done when the address is confirmed
    assert [a.id for a in followers(db, before.id)] == [account.id]
    after = raise_item(db, author, publish=False, title="Raised once I had an account")
    assert [a.id for a in followers(db, after.id)] == [account.id]  # on "raised"


# -- change and delete one item ---------------------------------------------------------


def test_changing_an_item_sends_it_back_to_moderation_under_pre(db: Session) -> None:
    author = person(db)
    item = raise_item(db, author)
    assert item.status is Status.PUBLISHED
    with pytest.raises(ItemNotFound):
        change_item(
            db, person(db), item.id, title="Not mine at all", body="x" * 20, moderation="pre"
        )
    with pytest.raises(ValidationError) as bad:
        change_item(db, author, item.id, title="No", body="short", moderation="pre")
    assert set(bad.value.messages_dict) == {"title", "body"}
    assert item.title == "Cannot get an appointment"  # nothing changed

    change_item(
        db, author, item.id, title="  Still cannot get one  ", body="Every morning it is the same.",
        moderation="pre",
    )  # fmt: skip
    assert (item.title, item.status) == ("Still cannot get one", Status.PENDING)
    assert item.body == "Every morning it is the same."


def test_under_post_moderation_a_change_stays_published_but_a_rejected_item_is_reviewed(
    db: Session,
) -> None:
    author = person(db)
    staff = make_staff(db, "mod@example.org", "moderator")
    shown, refused = raise_item(db, author), raise_item(db, author, publish=False)
    moderation.reject_contribution(db, refused, staff, "respect", "Please take out the insult")
    change_item(
        db, author, shown.id, title="A new title", body="A new body text.", moderation="post"
    )
    assert shown.status is Status.PUBLISHED
    change_item(
        db, author, refused.id, title="Kinder words", body="Said politely now.", moderation="post"
    )
    assert refused.status is Status.PENDING
    assert refused.rejection_value is None and refused.rejection_note is None


def test_a_removed_item_cannot_be_changed_but_can_be_deleted(db: Session) -> None:
    author = person(db)
    staff = make_staff(db, "mod@example.org", "moderator")
    item = raise_item(db, author)
    moderation.remove(db, item, staff, "no-personal-details")
    item_id = item.id
    with pytest.raises(ItemLocked):
        change_item(
            db, author, item_id, title="Changed title", body="Changed body text", moderation="pre"
        )
    delete_item(db, author, item_id)
    assert db.get(Contribution, item_id) is None


def test_deleting_an_item_takes_everything_attached_to_it(db: Session) -> None:
    author, fan = person(db), person(db)
    staff = make_staff(db, "mod@example.org", "moderator")
    item = raise_item(db, author)
    other = raise_item(db, fan, title="Someone else's item")
    support_contribution(db, contribution_id=item.id, participant=fan)
    add_comment(db, contribution=item, participant=fan, body="Same here, every week.", publish=True)
    moderation.report(db, participant=fan, target=item, reason="rude")
    follow(db, confirmed_account(db, fan, "fan@example.org"), item)
    db.add(QuoteCandidate(contribution_id=item.id, text="quote", status=QuoteStatus.PROPOSED))
    moderation.publish_contribution(db, item, staff)  # more timeline events
    db.commit()

    item_id, other_id, author_id = item.id, other.id, author.id
    with pytest.raises(ItemNotFound):
        delete_item(db, fan, item_id)  # only the author may
    delete_item(db, author, item_id)
    db.commit()

    assert db.get(Contribution, item_id) is None
    assert db.scalar(select(func.count(Support.id))) == 0
    assert db.scalar(select(func.count(Comment.id))) == 0
    assert db.scalars(select(Follow.contribution_id)).all() == [other_id]  # fan's own item
    assert db.scalar(select(func.count(QuoteCandidate.id))) == 0
    assert db.get(Contribution, other_id) is not None  # the rest of the hub is untouched
    assert db.get(Participant, author_id) is not None


# -- your items ---------------------------------------------------------------------------


def test_your_items_show_status_stage_and_the_value_a_rejection_broke(db: Session) -> None:
    author = person(db)
    staff = make_staff(db, "mod@example.org", "moderator")
    shown = raise_item(db, author, at=at(1))
    refused = raise_item(db, author, publish=False, at=at(2), title="Names a nurse")
    raise_item(db, person(db), at=at(3), title="Not theirs")
    moderation.reject_contribution(db, refused, staff, "no-personal-details", "Leave out the name")
    support_contribution(db, contribution_id=shown.id, participant=person(db))

    items = your_items(db, author)

    assert [i.contribution.title for i in items] == ["Names a nurse", "Cannot get an appointment"]
    rejected, published = items
    assert rejected.contribution.status is Status.REJECTED
    assert rejected.broken_value is not None
    assert rejected.broken_value.title == "No personal details of others"
    assert rejected.contribution.rejection_note == "Leave out the name"
    assert (published.contribution.stage, published.supporters) == (Stage.PUBLISHED, 1)


# -- download and erasure --------------------------------------------------------------


def test_the_download_holds_everything_about_the_person_and_nothing_about_others(
    db: Session, app: Flask
) -> None:
    me, other = person(db), person(db)
    me.age_band, me.unpaid_carer = "25-34", "prefer-not-to-say"
    mine = raise_item(db, me, title="My own concern")
    theirs = raise_item(db, other, title="Their concern")
    support_contribution(db, contribution_id=theirs.id, participant=me)
    add_comment(
        db, contribution=theirs, participant=me, body="This happened to me too.", publish=True
    )
    add_comment(
        db, contribution=mine, participant=other, body="Another person's words.", publish=True
    )
    moderation.report(db, participant=me, target=theirs, reason="It names someone")
    account = confirmed_account(db, me, "me@example.org")
    follow(db, account, theirs)
    issue_private_link(db, me)
    db.commit()

    data = export_data(db, me, hub_name="Manchester")

    assert data["you"]["participant_id"] == me.id
    assert data["you"]["about_you"]["age_band"]["answer"] == "25-34"
    assert data["you"]["about_you"]["unpaid_carer"]["meaning"] == "Prefer not to say"
    assert data["you"]["about_you"]["disability"]["answer"] is None
    assert data["you"]["private_link_issued_at"] is not None
    assert data["account"]["email"] == "me@example.org"
    assert data["account"]["email_confirmed_at"] is not None
    assert {f["title"] for f in data["account"]["following"]} == {"My own concern", "Their concern"}
    assert [(i["title"], i["status"], i["stage"]) for i in data["raised"]] == [
        ("My own concern", "published", "published")
    ]
    assert data["raised"][0]["text"] == mine.body
    assert [e["what"] for e in data["raised"][0]["timeline"]] == ["raised", "published"]
    assert [s["title"] for s in data["me_too"]] == ["Their concern"]
    assert [c["text"] for c in data["comments"]] == ["This happened to me too."]
    assert [r["reason"] for r in data["reports"]] == ["It names someone"]
    text = repr(data)
    assert other.id not in text and "Another person's words." not in text
    assert "password" not in text and account.password_hash not in text


def test_deleting_everything_removes_the_person_from_future_summaries(db: Session) -> None:
    """After erasure, the period's counts are exactly as if the person had never taken part."""
    b, c = person(db), person(db)
    b.age_band, c.disability = "35-44", "disabled"
    b_item = raise_item(db, b, at=at(2))
    raise_item(db, c, theme="dentistry", kind="idea", at=at(3))
    support_contribution(db, contribution_id=b_item.id, participant=c, created_at=at(4))
    db.commit()
    baseline = count_raw(db, OCTOBER, DEFAULT_RULE)

    a = person(db)
    a.age_band, a.ethnic_group = "75-plus", "asian"
    a_item = raise_item(db, a, theme="mental-health", kind="experience", at=at(5))
    raise_item(db, a, at=at(6), publish=False)  # waiting for a moderator: counted too
    support_contribution(db, contribution_id=b_item.id, participant=a, created_at=at(7))
    support_contribution(db, contribution_id=a_item.id, participant=c, created_at=at(8))
    add_comment(db, contribution=b_item, participant=a, body="Me as well, twice.", publish=True)
    moderation.report(db, participant=a, target=b_item)
    account = confirmed_account(db, a, "a@example.org")
    follow(db, account, b_item)
    accounts.start_session(db, account)
    issue_private_link(db, a)
    db.add(ContributionTriage(contribution_id=a_item.id, escalated=True))  # another feature's
    db.add(OutgoingMail(recipient="a@example.org", subject="s", text="t"))
    db.add(OutgoingMail(recipient="b@example.org", subject="s", text="t"))
    db.commit()
    assert count_raw(db, OCTOBER, DEFAULT_RULE) != baseline

    a_id, b_item_id, a_items = a.id, b_item.id, [a_item.id]
    delete_everything(db, a)
    db.commit()

    assert count_raw(db, OCTOBER, DEFAULT_RULE) == baseline
    assert db.get(Participant, a_id) is None
    assert db.scalar(select(func.count(Account.id))) == 0
    assert db.scalar(select(OutgoingMail.recipient)) == "b@example.org"
    tables = Base.metadata.tables
    for name in ("private_links", "account_sessions", "account_tokens", "follows", "reports"):
        assert db.scalar(select(func.count()).select_from(tables[name])) == 0, name
    assert db.scalar(select(func.count(Comment.id))) == 0
    assert db.get(Contribution, b_item_id) is not None  # others' items stay
    # No row of any table (whichever feature made it) still points at the person or their items.
    for table in Base.metadata.sorted_tables:
        for key in table.foreign_keys:
            if key.column is Participant.__table__.c.id:
                gone = [a_id]
            elif key.column is Contribution.__table__.c.id:
                gone = a_items
            else:
                continue
            left = select(func.count()).select_from(table).where(key.parent.in_(gone))
            assert db.scalar(left) == 0, f"{table.name}.{key.parent.name}"
