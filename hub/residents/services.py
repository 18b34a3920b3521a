"""A person's part: what they raised (see, change, delete), follows, their data (get, delete).

"The person" is a participant: the random id in their browser, reached again
through their private link or their account. Every function takes the
participant and acts only on their own rows; an item that is not theirs is
`ItemNotFound`, exactly like one that does not exist.

Deleting (one item or everything) removes every row that refers to what is
deleted, found from the foreign keys in the hub's one metadata rather than
from a list kept here, so a table a later feature adds (triage notes, say)
can neither keep a deleted person's data nor block the deletion. What has
already left the hub in a signed summary cannot be called back; from the next
summary on, the person's counts are gone.

Services never commit.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, cast

from marshmallow import ValidationError
from sqlalchemy import Column, Table, delete, func, select
from sqlalchemy.orm import Session

from federation.disclosure.characteristics import CHARACTERISTICS
from hub.db import Base, rfc3339, utcnow
from hub.gather.events import record_event
from hub.gather.models import (
    ABOUT_YOU,
    PREFER_NOT_TO_SAY,
    Comment,
    Contribution,
    ContributionEvent,
    Participant,
    Report,
    Status,
    Support,
)
from hub.gather.schemas import ContributionInputSchema
from hub.gather.values import Value, find_value
from hub.mail.services import delete_mail_to
from hub.residents.links import latest_link_issued_at
from hub.residents.models import Account, Follow


class ItemNotFound(LookupError):
    """No item of this person has this id (whether or not someone else's has)."""


class ItemLocked(Exception):
    """An item a moderator removed: it cannot be changed any more (only deleted)."""


class FollowRefused(Exception):
    """A follow that cannot be made; the message says why, for the person."""


@dataclass(frozen=True)
class YourItem:
    """One thing a person raised, with what happened to it."""

    contribution: Contribution
    supporters: int
    broken_value: Value | None  # when rejected: the value it broke

    @property
    def changeable(self) -> bool:
        return self.contribution.status is not Status.REMOVED


def your_items(db: Session, participant: Participant) -> list[YourItem]:
    """Everything this person raised, newest first, with supporters and any rejection reason."""
    supporters = (
        select(Support.contribution_id, func.count().label("n"))
        .group_by(Support.contribution_id)
        .subquery()
    )
    rows = db.execute(
        select(Contribution, func.coalesce(supporters.c.n, 0))
        .outerjoin(supporters, supporters.c.contribution_id == Contribution.id)
        .where(Contribution.participant_id == participant.id)
        .order_by(Contribution.created_at.desc(), Contribution.id.desc())
    ).all()
    return [YourItem(c, n, find_value(c.rejection_value)) for c, n in rows]


def your_item(db: Session, participant: Participant, contribution_id: int) -> Contribution:
    """This person's item with this id, or ItemNotFound."""
    contribution = db.get(Contribution, contribution_id)
    if contribution is None or contribution.participant_id != participant.id:
        raise ItemNotFound(f"no item {contribution_id} of this person")
    return contribution


def change_item(
    db: Session,
    participant: Participant,
    contribution_id: int,
    *,
    title: str,
    body: str,
    moderation: str,
) -> Contribution:
    """Replace the title and text of the person's item.

    With pre-moderation (`moderation == "pre"`) the changed item waits for a
    moderator again; with post-moderation a published item stays published,
    but a rejected one goes back to the queue. Raises ItemNotFound, ItemLocked
    (removed by a moderator), or ValidationError (`title`, `body`: nothing changes).
    """
    contribution = your_item(db, participant, contribution_id)
    if contribution.status is Status.REMOVED:
        raise ItemLocked("A moderator removed this, so it cannot be changed")
    schema = ContributionInputSchema(only=("title", "body"))
    raw = {"title": title, "body": body}
    errors = schema.validate(raw)
    if errors:
        raise ValidationError(errors)
    data = schema.load(raw)
    contribution.title = data["title"]
    contribution.body = data["body"]
    contribution.updated_at = utcnow()
    if moderation == "pre" or contribution.status is Status.REJECTED:
        contribution.status = Status.PENDING
        contribution.rejection_value = None
        contribution.rejection_note = None
    db.flush()
    record_event(
        db, contribution, "edited", note="Changed by the person who raised it", public=False
    )
    return contribution


def delete_item(db: Session, participant: Participant, contribution_id: int) -> None:
    """Delete the person's item and everything attached to it (supports, comments, follows …)."""
    your_item(db, participant, contribution_id)
    db.flush()
    table = cast(Table, Contribution.__table__)
    delete_with_references(db, table, table.c.id, [contribution_id])
    db.expire_all()


def delete_everything(db: Session, participant: Participant) -> None:
    """Delete the person: about-you answers, items, supports, comments, reports, follows, account.

    Queued and kept emails to their account's address go too.
    """
    account = db.scalar(select(Account).where(Account.participant_id == participant.id))
    db.flush()
    if account is not None:
        delete_mail_to(db, account.email)
    table = cast(Table, Participant.__table__)
    delete_with_references(db, table, table.c.id, [participant.id])
    db.expire_all()


def _referencing(table: Table) -> Iterable[tuple[Table, Column[Any], Column[Any]]]:
    """(other table, its column, the column of `table` it points at) for every foreign key."""
    for other in Base.metadata.sorted_tables:
        for key in other.foreign_keys:
            if key.column.table is table:
                yield other, key.parent, key.column


def delete_with_references(
    db: Session, table: Table, column: Column[Any], values: Sequence[Any]
) -> None:
    """Delete `table` rows whose `column` is in `values`, after every row that refers to them."""
    if not values:
        return
    for other, their_column, our_column in _referencing(table):
        keys = list(db.scalars(select(our_column).where(column.in_(values)).distinct()))
        if keys and other is not table:
            delete_with_references(db, other, their_column, keys)
    db.execute(delete(table).where(column.in_(values)))


# -- follows -------------------------------------------------------------------------


def is_following(db: Session, account: Account | None, contribution_id: int) -> bool:
    if account is None:
        return False
    found = db.scalar(
        select(Follow.id).where(
            Follow.account_id == account.id, Follow.contribution_id == contribution_id
        )
    )
    return found is not None


def follow(db: Session, account: Account, contribution: Contribution) -> Follow:
    """Follow an item (once; following again changes nothing).

    Raises FollowRefused unless the account's address is confirmed and the item
    is public (or the account's own).
    """
    if not account.confirmed:
        raise FollowRefused("Confirm your email address before you follow anything")
    own = contribution.participant_id == account.participant_id
    if not own and not contribution.public:
        raise FollowRefused("Only published items can be followed")
    existing = db.scalar(
        select(Follow).where(
            Follow.account_id == account.id, Follow.contribution_id == contribution.id
        )
    )
    if existing is not None:
        return existing
    row = Follow(account_id=account.id, contribution_id=contribution.id, created_at=utcnow())
    db.add(row)
    db.flush()
    return row


def unfollow(db: Session, account_id: int, contribution_id: int) -> bool:
    """Stop following; False if the account was not following it."""
    result = db.execute(
        delete(Follow).where(
            Follow.account_id == account_id, Follow.contribution_id == contribution_id
        )
    )
    return bool(getattr(result, "rowcount", 0))


def follow_own_items(db: Session, account: Account) -> None:
    """The author follows everything they raised (done when their address is confirmed)."""
    followed = set(
        db.scalars(select(Follow.contribution_id).where(Follow.account_id == account.id))
    )
    for contribution in db.scalars(
        select(Contribution).where(Contribution.participant_id == account.participant_id)
    ):
        if contribution.id not in followed and contribution.status is not Status.REMOVED:
            db.add(
                Follow(account_id=account.id, contribution_id=contribution.id, created_at=utcnow())
            )
    db.flush()


def followed_items(db: Session, account: Account) -> list[Contribution]:
    """What this account follows, most recently followed first."""
    return list(
        db.scalars(
            select(Contribution)
            .join(Follow, Follow.contribution_id == Contribution.id)
            .where(Follow.account_id == account.id)
            .order_by(Follow.created_at.desc(), Follow.id.desc())
        )
    )


def followers(db: Session, contribution_id: int) -> list[Account]:
    """The confirmed accounts following this item (who are emailed about it)."""
    return list(
        db.scalars(
            select(Account)
            .join(Follow, Follow.account_id == Account.id)
            .where(Follow.contribution_id == contribution_id, Account.confirmed_at.is_not(None))
            .order_by(Account.id)
        )
    )


# -- download --------------------------------------------------------------------------


def _when(moment: Any) -> str | None:
    return None if moment is None else rfc3339(moment)


def _about_you(participant: Participant) -> dict[str, Any]:
    """Each answer as stored, with what it means in words."""
    answers: dict[str, Any] = {}
    for name in ABOUT_YOU:
        code = getattr(participant, name)
        meaning = None
        if code == PREFER_NOT_TO_SAY:
            meaning = "Prefer not to say"
        elif code is not None:
            try:
                meaning = CHARACTERISTICS[name].label_of(code)
            except KeyError:
                meaning = code
        answers[name] = {
            "question": CHARACTERISTICS[name].label,
            "answer": code,
            "meaning": meaning,
        }
    return answers


def export_data(db: Session, participant: Participant, *, hub_name: str) -> dict[str, Any]:
    """Everything the hub holds about this person, as a JSON-ready dict (UK GDPR, article 15/20)."""
    account = db.scalar(select(Account).where(Account.participant_id == participant.id))
    items = []
    for item in your_items(db, participant):
        c = item.contribution
        events = db.scalars(
            select(ContributionEvent)
            .where(ContributionEvent.contribution_id == c.id, ContributionEvent.public.is_(True))
            .order_by(ContributionEvent.created_at, ContributionEvent.id)
        )
        items.append(
            {
                "id": c.id,
                "kind": c.kind.value,
                "title": c.title,
                "text": c.body,
                "theme": c.theme.name,
                "ward_code": c.ward_code,
                "channel": c.channel.value,
                "raised_at": _when(c.created_at),
                "changed_at": _when(c.updated_at),
                "status": c.status.value,
                "stage": c.stage.value,
                "rejected_for": None if item.broken_value is None else item.broken_value.title,
                "moderator_note": c.rejection_note,
                "quote_may_be_shared": c.quote_consent,
                "people_who_said_me_too": item.supporters,
                "timeline": [
                    {
                        "what": event.kind,
                        "stage": None if event.stage is None else event.stage.value,
                        "note": event.note,
                        "at": _when(event.created_at),
                    }
                    for event in events
                ],
            }
        )
    supports = db.execute(
        select(Support, Contribution.title)
        .join(Contribution, Contribution.id == Support.contribution_id)
        .where(Support.participant_id == participant.id)
        .order_by(Support.created_at)
    ).all()
    comments = db.scalars(
        select(Comment).where(Comment.participant_id == participant.id).order_by(Comment.created_at)
    )
    reports = db.scalars(
        select(Report).where(Report.participant_id == participant.id).order_by(Report.created_at)
    )
    link_issued_at = latest_link_issued_at(db, participant)
    return {
        "about": (
            f"Everything the {hub_name} hub holds about you, downloaded on "
            f"{rfc3339(utcnow())}. Your part of the hub can delete all of it."
        ),
        "you": {
            "participant_id": participant.id,
            "first_seen_at": _when(participant.created_at),
            "about_you": _about_you(participant),
            "private_link_issued_at": None if link_issued_at is None else _when(link_issued_at),
        },
        "account": None
        if account is None
        else {
            "email": account.email,
            "created_at": _when(account.created_at),
            "email_confirmed_at": _when(account.confirmed_at),
            "last_signed_in_at": _when(account.last_sign_in_at),
            "following": [
                {"contribution_id": c.id, "title": c.title} for c in followed_items(db, account)
            ],
        },
        "raised": items,
        "me_too": [
            {"contribution_id": s.contribution_id, "title": title, "at": _when(s.created_at)}
            for s, title in supports
        ],
        "comments": [
            {
                "contribution_id": comment.contribution_id,
                "text": comment.body,
                "status": comment.status.value,
                "at": _when(comment.created_at),
            }
            for comment in comments
        ],
        "reports": [
            {
                "contribution_id": report.contribution_id,
                "comment_id": report.comment_id,
                "reason": report.reason,
                "at": _when(report.created_at),
            }
            for report in reports
        ],
    }
