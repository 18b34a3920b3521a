"""Raising, supporting and listing contributions. Services never commit.

A person may say "me too" to an item once, and not to their own item (their
support is already implied by raising it; counting it twice would inflate the
supporters figure). A repeat raises `AlreadySupported` rather than passing
silently, so the page can tell the person their "me too" was already counted.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from marshmallow import ValidationError
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, contains_eager

from hub.db import utcnow
from hub.gather.models import Contribution, Kind, Participant, Support
from hub.gather.schemas import ContributionInputSchema, check_about_you, check_quote_consent
from hub.themes.models import LocalTheme
from hub.themes.services import find_theme

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
    created_at: datetime | None = None,
    about_you: Mapping[str, Any] | None = None,
    quote_consent: Any = False,
) -> Contribution:
    """Check and store a new contribution, and the person's optional "about you" answers.

    Raises marshmallow.ValidationError with a message per bad field (`kind`,
    `title`, `body`, `theme`, `about_you.<question>`, `quote_consent`);
    nothing is stored then. Answers given replace the person's earlier ones
    (the latest answers win); questions left out keep theirs. `quote_consent`
    must be exactly True to count.
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
        theme = find_theme(session, str(theme_slug).strip())
        if theme is None:
            errors["theme"] = ["Choose a theme from the list"]
    if errors:
        raise ValidationError(errors)
    assert theme is not None
    data = schema.load(raw)
    contribution = Contribution(
        participant_id=participant.id,
        kind=Kind(data["kind"]),
        title=data["title"],
        body=data["body"],
        theme=theme,
        created_at=created_at or utcnow(),
        quote_consent=consent,
    )
    for name, value in answers.items():
        setattr(participant, name, value)
    session.add(contribution)
    session.flush()
    return contribution


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
    if contribution is None:
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


def _listed(theme: str | None, kind: str | None) -> Select[tuple[Contribution, int]]:
    supporters = (
        select(Support.contribution_id, func.count().label("supporters"))
        .group_by(Support.contribution_id)
        .subquery()
    )
    query = (
        select(Contribution, func.coalesce(supporters.c.supporters, 0))
        .join(Contribution.theme)
        .outerjoin(supporters, supporters.c.contribution_id == Contribution.id)
        .options(contains_eager(Contribution.theme))
    )
    if theme is not None:
        query = query.where(LocalTheme.slug == theme)
    if kind is not None:
        query = query.where(Contribution.kind == Kind(kind))
    return query


def list_contributions(
    session: Session,
    *,
    theme: str | None = None,
    kind: str | None = None,
    limit: int = 20,
    offset: int = 0,
) -> list[ListedContribution]:
    """Newest first, filtered by local theme slug and kind, with support counts from SQL."""
    query = _listed(theme, kind).order_by(Contribution.created_at.desc(), Contribution.id.desc())
    rows = session.execute(query.limit(limit).offset(offset)).all()
    return [ListedContribution(contribution, supporters) for contribution, supporters in rows]


def count_contributions(
    session: Session, *, theme: str | None = None, kind: str | None = None
) -> int:
    """How many contributions match the filters (for paging)."""
    query = select(func.count(Contribution.id)).join(Contribution.theme)
    if theme is not None:
        query = query.where(LocalTheme.slug == theme)
    if kind is not None:
        query = query.where(Contribution.kind == Kind(kind))
    return session.scalar(query) or 0


def get_contribution(session: Session, contribution_id: int) -> ListedContribution | None:
    """One contribution with its support count, or None."""
    row = session.execute(_listed(None, None).where(Contribution.id == contribution_id)).first()
    return None if row is None else ListedContribution(row[0], row[1])
