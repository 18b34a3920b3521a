"""Raising, supporting and listing contributions. Services never commit.

A person may say "me too" to an item once, and not to their own item (their
support is already implied by raising it; counting it twice would inflate the
supporters figure). A repeat raises `AlreadySupported` rather than passing
silently, so the page can tell the person their "me too" was already counted.
"""

from __future__ import annotations

import csv
import io
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from marshmallow import ValidationError
from sqlalchemy import Select, func, literal_column, select
from sqlalchemy.orm import Session, contains_eager

from hub.db import utcnow
from hub.gather.events import record_event
from hub.gather.models import (
    Channel,
    Comment,
    Contribution,
    Kind,
    Participant,
    Stage,
    Status,
    Support,
    Ward,
)
from hub.gather.schemas import (
    CHANNEL_CHOICE,
    WARD_CHOICE,
    ContributionInputSchema,
    check_about_you,
    check_comment,
    check_quote_consent,
)
from hub.themes.models import LocalTheme
from hub.themes.services import usable_theme

PARTICIPANT_ID = re.compile(r"^[0-9a-f]{32}$")
ALREADY_SUPPORTED = "You have already said “me too” to this. Each person counts once."


class ContributionNotFound(LookupError):
    """No contribution has this id."""


class SupportRefused(Exception):
    """A "me too" that cannot be counted; the message says why, for the person."""


class AlreadySupported(SupportRefused):
    pass


class OwnContribution(SupportRefused):
    pass


@dataclass(frozen=True)
class ListedContribution:
    """A contribution with the number of people who said "me too" to it."""

    contribution: Contribution
    supporters: int


def get_or_create_participant(session: Session, participant_id: str | None) -> Participant:
    """The participant with this id, or a new one with a fresh random id if it is unknown."""
    if participant_id and PARTICIPANT_ID.fullmatch(participant_id):
        participant = session.get(Participant, participant_id)
        if participant is not None:
            return participant
    participant = Participant(id=uuid.uuid4().hex, created_at=utcnow())
    session.add(participant)
    session.flush()
    return participant


def raise_contribution(
    session: Session,
    *,
    participant: Participant,
    kind: str,
    title: str,
    body: str,
    theme_slug: str,
    ward_code: str | None = None,
    channel: str = "online",
    about_you: Mapping[str, Any] | None = None,
    quote_consent: Any = False,
    publish: bool = False,
    created_at: datetime | None = None,
) -> Contribution:
    """Check and store a new contribution, and the person's optional "about you" answers.

    `publish=True` shows it at once (post-moderation, or staff entering it);
    otherwise it waits for a moderator (status pending). Either way its
    timeline starts with "raised" (and "published" when published).

    Raises marshmallow.ValidationError with a message per bad field (`kind`,
    `title`, `body`, `theme`, `ward`, `channel`, `about_you.<question>`,
    `quote_consent`); nothing is stored then. Answers given replace the
    person's earlier ones (the latest answers win); questions left out keep
    theirs. `quote_consent` must be exactly True to count. An empty
    `ward_code` means no ward; any other must be one of the hub's wards.
    """
    raw = {"kind": kind, "title": title, "body": body, "theme": theme_slug}
    schema = ContributionInputSchema()
    errors = schema.validate(raw)
    answers, about_errors = check_about_you(
        dict(about_you) if isinstance(about_you, Mapping) else about_you
    )
    consent, consent_errors = check_quote_consent(quote_consent)
    errors.update(about_errors)
    errors.update(consent_errors)
    theme = None
    if "theme" not in errors:
        theme = usable_theme(session, str(theme_slug).strip())
        if theme is None:
            errors["theme"] = ["Choose a theme from the list"]
    ward = None
    if ward_code is not None and not isinstance(ward_code, str):
        errors["ward"] = [WARD_CHOICE]
    elif ward_code and ward_code.strip():
        ward = session.get(Ward, ward_code.strip())
        if ward is None:
            errors["ward"] = [WARD_CHOICE]
    if channel not in {c.value for c in Channel}:
        errors["channel"] = [CHANNEL_CHOICE]
    if errors:
        raise ValidationError(errors)
    assert theme is not None
    data = schema.load(raw)
    when = created_at or utcnow()
    contribution = Contribution(
        participant_id=participant.id,
        kind=Kind(data["kind"]),
        title=data["title"],
        body=data["body"],
        theme=theme,
        created_at=when,
        quote_consent=consent,
        ward_code=None if ward is None else ward.code,
        channel=Channel(channel),
        status=Status.PENDING,
        stage=Stage.RAISED,
    )
    for name, value in answers.items():
        setattr(participant, name, value)
    session.add(contribution)
    session.flush()
    record_event(session, contribution, "raised", stage=Stage.RAISED, at=when)
    if publish:
        contribution.status = Status.PUBLISHED
        contribution.published_at = when
        record_event(session, contribution, "published", stage=Stage.PUBLISHED, at=when)
    return contribution


def add_comment(
    session: Session,
    *,
    contribution: Contribution,
    participant: Participant,
    body: str,
    publish: bool = False,
    created_at: datetime | None = None,
) -> Comment:
    """Check and store a comment on a public item; published at once only if `publish`.

    Raises ValidationError ({"body": [...]}) for empty or too long text, and
    ContributionNotFound when the item is not on show (nobody can comment on
    what they cannot see).
    """
    if not contribution.public:
        raise ContributionNotFound(f"there is no contribution {contribution.id}")
    text, errors = check_comment(body)
    if errors:
        raise ValidationError(errors)
    when = created_at or utcnow()
    comment = Comment(
        contribution_id=contribution.id,
        participant_id=participant.id,
        body=text,
        status=Status.PUBLISHED if publish else Status.PENDING,
        created_at=when,
        published_at=when if publish else None,
    )
    session.add(comment)
    session.flush()
    return comment


def public_comments(session: Session, contribution_id: int) -> list[Comment]:
    """The comments anyone may read on an item, oldest first."""
    query = (
        select(Comment)
        .where(
            Comment.contribution_id == contribution_id,
            Comment.status == Status.PUBLISHED,
            Comment.hidden_at.is_(None),
        )
        .order_by(Comment.created_at, Comment.id)
    )
    return list(session.scalars(query))


def pending_comments_of(
    session: Session, contribution_id: int, participant_id: str | None
) -> list[Comment]:
    """This person's own comments on the item that wait for a moderator."""
    if participant_id is None:
        return []
    query = select(Comment).where(
        Comment.contribution_id == contribution_id,
        Comment.participant_id == participant_id,
        Comment.status == Status.PENDING,
    )
    return list(session.scalars(query.order_by(Comment.id)))


def support_contribution(
    session: Session,
    *,
    contribution_id: int,
    participant: Participant,
    created_at: datetime | None = None,
) -> Support:
    """Record one person's "me too".

    Raises ContributionNotFound, OwnContribution, or AlreadySupported. If two
    requests from one person race, the database's unique constraint raises
    IntegrityError at flush instead; the caller rolls back.
    """
    contribution = session.get(Contribution, contribution_id)
    if contribution is None or not contribution.public:
        raise ContributionNotFound(f"there is no contribution {contribution_id}")
    if contribution.participant_id == participant.id:
        raise OwnContribution("You raised this, so it already counts as yours")
    if has_supported(session, contribution_id, participant.id):
        raise AlreadySupported(ALREADY_SUPPORTED)
    support = Support(
        contribution_id=contribution_id,
        participant_id=participant.id,
        created_at=created_at or utcnow(),
    )
    session.add(support)
    session.flush()
    return support


def has_supported(session: Session, contribution_id: int, participant_id: str | None) -> bool:
    """Whether this person has already said "me too" to this contribution."""
    if participant_id is None:
        return False
    found = session.scalar(
        select(Support.id).where(
            Support.contribution_id == contribution_id, Support.participant_id == participant_id
        )
    )
    return found is not None


@dataclass(frozen=True)
class Filters:
    """What a list of items is narrowed to; None means any."""

    q: str | None = None  # words that must all appear in the title or the text
    theme: str | None = None  # local theme slug
    kind: str | None = None
    stage: str | None = None
    public_only: bool = True  # published and not hidden


def _escape_like(text: str) -> str:
    """Text matched literally by LIKE … ESCAPE '\\' (a typed % or _ is not a wildcard)."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _filtered(query: Select[Any], filters: Filters) -> Select[Any]:
    if filters.public_only:
        query = query.where(
            Contribution.status == Status.PUBLISHED, Contribution.hidden_at.is_(None)
        )
    if filters.theme is not None:
        query = query.where(LocalTheme.slug == filters.theme)
    if filters.kind is not None:
        query = query.where(Contribution.kind == Kind(filters.kind))
    if filters.stage is not None:
        query = query.where(Contribution.stage == Stage(filters.stage))
    for word in (filters.q or "").split()[:10]:
        pattern = f"%{_escape_like(word.lower())}%"
        query = query.where(
            func.lower(Contribution.title).like(pattern, escape="\\")
            | func.lower(Contribution.body).like(pattern, escape="\\")
        )
    return query


def _listed(filters: Filters) -> Select[tuple[Contribution, int]]:
    supporters = (
        select(Support.contribution_id, func.count().label("supporters"))
        .group_by(Support.contribution_id)
        .subquery()
    )
    query = (
        select(Contribution, func.coalesce(supporters.c.supporters, 0).label("supporters"))
        .join(Contribution.theme)
        .outerjoin(supporters, supporters.c.contribution_id == Contribution.id)
        .options(contains_eager(Contribution.theme))
    )
    return _filtered(query, filters)


def list_contributions(
    session: Session,
    *,
    theme: str | None = None,
    kind: str | None = None,
    stage: str | None = None,
    q: str | None = None,
    public_only: bool = True,
    limit: int = 20,
    offset: int = 0,
    order: str = "newest",
) -> list[ListedContribution]:
    """Items with support counts from SQL, filtered; newest first, or most supported first
    (`order="supporters"`). Only items on show unless `public_only=False`."""
    filters = Filters(q=q, theme=theme, kind=kind, stage=stage, public_only=public_only)
    query = _listed(filters)
    newest = (Contribution.created_at.desc(), Contribution.id.desc())
    if order == "supporters":
        query = query.order_by(literal_column("supporters").desc(), *newest)
    else:
        query = query.order_by(*newest)
    rows = session.execute(query.limit(limit).offset(offset)).all()
    return [ListedContribution(contribution, supporters) for contribution, supporters in rows]


def count_contributions(
    session: Session,
    *,
    theme: str | None = None,
    kind: str | None = None,
    stage: str | None = None,
    q: str | None = None,
    public_only: bool = True,
) -> int:
    """How many items match the filters (for paging)."""
    filters = Filters(q=q, theme=theme, kind=kind, stage=stage, public_only=public_only)
    query = _filtered(select(func.count(Contribution.id)).join(Contribution.theme), filters)
    return session.scalar(query) or 0


def get_contribution(session: Session, contribution_id: int) -> ListedContribution | None:
    """One item with its support count, whatever its status (the caller checks `.public`)."""
    query = _listed(Filters(public_only=False)).where(Contribution.id == contribution_id)
    row = session.execute(query).first()
    return None if row is None else ListedContribution(row[0], row[1])


def list_wards(session: Session) -> list[Ward]:
    """The hub's wards, by name."""
    return list(session.scalars(select(Ward).order_by(Ward.name)))


WARD_CODE = re.compile(r"^[ENSW]05\d{6}$")


def import_wards(session: Session, text: str) -> tuple[int, int]:
    """Add or rename wards from CSV text (`code,name`, optional header); (added, renamed).

    Raises ValueError naming the first bad line; nothing is stored then.
    """
    rows = list(csv.reader(io.StringIO(text)))
    if rows and [cell.strip().lower() for cell in rows[0][:2]] == ["code", "name"]:
        rows = rows[1:]
    wards: dict[str, str] = {}
    for number, row in enumerate(rows, start=1):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) < 2 or not WARD_CODE.fullmatch(row[0].strip()) or not row[1].strip():
            raise ValueError(
                f"line {number}: expected an ONS ward code and a name, e.g. E05011234,Ancoats"
            )
        wards[row[0].strip()] = row[1].strip()[:120]
    added = renamed = 0
    for code, name in wards.items():
        ward = session.get(Ward, code)
        if ward is None:
            session.add(Ward(code=code, name=name))
            added += 1
        elif ward.name != name:
            ward.name = name
            renamed += 1
    session.flush()
    return added, renamed
