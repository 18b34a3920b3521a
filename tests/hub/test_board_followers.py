"""Residents following an item whose national theme the board answered get one email a version."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.board.models import BoardNotice
from hub.board.services import pull_board_statements
from hub.gather.models import Contribution
from hub.mail.models import OutgoingMail
from hub.residents import accounts
from hub.residents.models import Account, Follow, TokenPurpose
from hub.residents.services import follow
from tests.hub.conftest import person, raise_item
from tests.hub.fake_aggregator import link_to
from tests.hub.fake_board_log import HUB_ID, FakeBoardLog, first_version, next_version

NOW = datetime(2027, 3, 2, 9, 0, tzinfo=UTC)
PASSWORD = "a long enough password 12"


def account(db: Session, email: str, *, confirmed: bool = True) -> Account:
    made = accounts.register_account(db, email=email, password=PASSWORD, participant=person(db))
    assert made is not None
    if confirmed:
        token = accounts.issue_token(db, made, TokenPurpose.CONFIRM, timedelta(days=1))
        assert accounts.confirm_email(db, token) is made
    return made


def mail_to(db: Session, email: str) -> list[OutgoingMail]:
    """The board's emails to this address (not the account's own confirmation emails)."""
    found = db.scalars(
        select(OutgoingMail).where(OutgoingMail.recipient == email).order_by(OutgoingMail.id)
    )
    return [mail for mail in found if "board" in mail.subject]


def test_each_follower_of_the_theme_gets_one_email_per_version(db: Session) -> None:
    gp_one = raise_item(db, person(db), title="No appointments before 8.15")
    gp_two = raise_item(db, person(db), title="The phone line is always engaged")
    maternity = raise_item(db, person(db), theme="maternity", title="Scan waits")
    hidden = raise_item(db, person(db), title="Waiting for a moderator", publish=False)
    both = account(db, "both@example.org")
    one = account(db, "one@example.org")
    elsewhere = account(db, "elsewhere@example.org")
    unconfirmed = account(db, "unconfirmed@example.org", confirmed=False)
    pending_only = account(db, "pending@example.org")
    follow(db, both, gp_one)
    follow(db, both, gp_two)
    follow(db, one, gp_two)
    follow(db, elsewhere, maternity)
    # an unconfirmed address gets nothing; neither does a follow of an item not on show
    db.add(Follow(account_id=unconfirmed.id, contribution_id=gp_one.id, created_at=NOW))
    db.add(Follow(account_id=pending_only.id, contribution_id=hidden.id, created_at=NOW))
    db.commit()
    before = {mail.id for mail in db.scalars(select(OutgoingMail))}  # the confirmation emails

    fake = FakeBoardLog()
    link = link_to(fake, hub_id=HUB_ID)
    first = first_version()
    fake.publish(first)
    report = pull_board_statements(db, link, now=NOW)
    db.commit()

    assert report.emails == 2
    new = [mail for mail in db.scalars(select(OutgoingMail)) if mail.id not in before]
    assert sorted(mail.recipient for mail in new) == ["both@example.org", "one@example.org"]
    (to_both,) = mail_to(db, "both@example.org")
    assert to_both.subject == "The NHS England board answered: GP access"
    assert "The board accepted this priority" in to_both.text
    assert "Every practice offers same-day telephone triage." in to_both.text
    assert "Director of Primary Care" in to_both.text
    assert "No appointments before 8.15" in to_both.text
    assert "The phone line is always engaged" in to_both.text
    assert to_both.text.count("/unfollow/") == 2
    assert "/board#response-" in to_both.text
    assert to_both.unsubscribe_url is None  # two items: one header cannot unfollow both
    (to_one,) = mail_to(db, "one@example.org")
    assert to_one.unsubscribe_url is not None and "/unfollow/" in to_one.unsubscribe_url
    assert to_one.unsubscribe_url in to_one.text  # the header is the email's own link

    # the next version: one more email each; pulling again sends nothing more
    fake.publish(next_version(first, "Triage is live in half the practices.", progress="stalled",
                              reason="Recruitment of call handlers is behind."))  # fmt: skip
    again = pull_board_statements(db, link, now=NOW)
    db.commit()
    assert again.emails == 2
    assert pull_board_statements(db, link, now=NOW).emails == 0
    latest = mail_to(db, "one@example.org")
    assert len(latest) == 2
    assert latest[-1].subject == "The NHS England board updated its answer on: GP access"
    assert "What changed: Triage is live in half the practices." in latest[-1].text
    assert "Why it stalled: Recruitment of call handlers is behind." in latest[-1].text
    assert mail_to(db, "elsewhere@example.org") == []
    assert mail_to(db, "unconfirmed@example.org") == []
    assert mail_to(db, "pending@example.org") == []
    notices = db.scalars(select(BoardNotice).order_by(BoardNotice.id)).all()
    assert [(n.account_id, n.version) for n in notices] == [
        (both.id, 1),
        (one.id, 1),
        (both.id, 2),
        (one.id, 2),
    ]


def test_an_author_following_their_own_item_is_told_and_a_removed_item_tells_no_one(
    db: Session,
) -> None:
    author = account(db, "author@example.org")
    own = raise_item(db, author.participant, title="My own worry about GP access")
    db.commit()
    assert db.scalar(select(Follow).where(Follow.account_id == author.id)) is not None

    fake = FakeBoardLog()
    fake.publish(first_version(decision="under-consideration"))
    pull_board_statements(db, link_to(fake, hub_id=HUB_ID), now=NOW)
    db.commit()
    (email,) = mail_to(db, "author@example.org")
    assert "still considering" in email.text and "Decision due by" in email.text

    contribution = db.get(Contribution, own.id)
    assert contribution is not None
    contribution.hidden_at = NOW  # hidden by reports: no longer on show
    db.commit()
    fake.publish(first_version(decision="not-accepted"))
    assert pull_board_statements(db, link_to(fake, hub_id=HUB_ID), now=NOW).emails == 0
