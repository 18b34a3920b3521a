"""Who has taken part, per "about you" group, and through which channels: the SQL counts.

A participant is anyone who raised an item, said "me too" to one or
commented, since a given time (or ever). Each person counts once, however
much they did. Items and comments a moderator rejected or removed, and the
"me too"s to such items, do not count, as in the national summary
(`hub.summary.services.UNCOUNTED`); pending ones do (moderation is about what
is shown, not about who took part).

A person's answers are those on `Participant` now (the latest answers win);
NULL (never answered), "prefer-not-to-say" and any code the characteristics
list does not know are counted as `not-stated`, as the summary does.

Public API (a session in, plain dicts out; the caller owns the transaction):

- `participant_counts(db, since) -> {characteristic: {category: people}}`, every
  category of every characteristic present (0 where nobody), `not-stated` included:
  the input `hub.voices.representation.represent` takes.
- `channels_by_group(db, since) -> {characteristic: {category: {channel: people}}}`:
  how many people of each group raised something through each channel (online,
  paper, phone, event, email; the last four entered by staff as assisted digital).
  A person who raised items through two channels counts under both; someone who only
  said "me too" or commented raised nothing and is under no channel.

Each is one grouped query over the five answer columns (portable SQL: UNION,
DISTINCT, GROUP BY), so the work stays in the database on SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, union
from sqlalchemy.orm import Session

from federation.disclosure.characteristics import CHARACTERISTICS, NOT_STATED
from hub.gather.models import ABOUT_YOU, Channel, Comment, Contribution, Participant, Support
from hub.summary.services import UNCOUNTED

GroupCounts = dict[str, dict[str, int]]
ChannelCounts = dict[str, dict[str, dict[str, int]]]


def participant_counts(db: Session, since: datetime | None) -> GroupCounts:
    """People who raised, supported or commented since `since` (None: ever), per group."""
    raised = select(Contribution.participant_id.label("person")).where(
        Contribution.status.not_in(UNCOUNTED)
    )
    supported = (
        select(Support.participant_id)
        .join(Contribution, Support.contribution_id == Contribution.id)
        .where(Contribution.status.not_in(UNCOUNTED))
    )
    commented = select(Comment.participant_id).where(Comment.status.not_in(UNCOUNTED))
    if since is not None:
        raised = raised.where(Contribution.created_at >= since)
        supported = supported.where(Support.created_at >= since)
        commented = commented.where(Comment.created_at >= since)
    people = union(raised, supported, commented).subquery("people")  # UNION: each person once
    answers = [getattr(Participant, name) for name in ABOUT_YOU]
    grouped = (
        select(*answers, func.count())
        .join(people, people.c.person == Participant.id)
        .group_by(*answers)
    )
    counts = _empty_counts()
    for *stated, people_count in db.execute(grouped):
        for name, answer in zip(ABOUT_YOU, stated, strict=True):
            counts[name][_category(name, answer)] += people_count
    return counts


def channels_by_group(db: Session, since: datetime | None) -> ChannelCounts:
    """People per channel they raised items through, per group, since `since` (None: ever)."""
    pairs = select(
        Contribution.participant_id.label("person"), Contribution.channel.label("channel")
    ).where(Contribution.status.not_in(UNCOUNTED))
    if since is not None:
        pairs = pairs.where(Contribution.created_at >= since)
    reached = pairs.distinct().subquery("reached")  # one row per person and channel
    answers = [getattr(Participant, name) for name in ABOUT_YOU]
    grouped = (
        select(reached.c.channel, *answers, func.count())
        .join(Participant, Participant.id == reached.c.person)
        .group_by(reached.c.channel, *answers)
    )
    result: ChannelCounts = {
        name: {category: {} for category in CHARACTERISTICS[name].codes} for name in ABOUT_YOU
    }
    for channel, *stated, people_count in db.execute(grouped):
        for name, answer in zip(ABOUT_YOU, stated, strict=True):
            by_channel = result[name][_category(name, answer)]
            key = _channel_code(channel)
            by_channel[key] = by_channel.get(key, 0) + people_count
    return result


def channel_order(channels: Iterable[str]) -> list[str]:
    """Channel codes in the order the hub lists them (online first, then assisted digital)."""
    order = [channel.value for channel in Channel]
    return sorted(channels, key=lambda code: order.index(code) if code in order else len(order))


def _empty_counts() -> GroupCounts:
    return {name: dict.fromkeys(CHARACTERISTICS[name].codes, 0) for name in ABOUT_YOU}


def _category(name: str, answer: str | None) -> str:
    """The published category of a stored answer; unanswered, prefer-not-to-say and codes
    the characteristics list does not know are not-stated (as in the national summary)."""
    if answer is None or answer == NOT_STATED or answer not in CHARACTERISTICS[name].codes:
        return NOT_STATED
    return answer


def _channel_code(channel: Any) -> str:
    return channel.value if isinstance(channel, Channel) else str(channel)
