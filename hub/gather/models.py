"""People, what they raise, and who said "me too".

A participant is, for now, only a random id kept in the browser's signed
session cookie (accounts come later): the hub never learns who a person is.

A person may also answer five optional "about you" questions (age band, ethnic
group, disability, unpaid carer, urban or rural), so the national team can see
who is not being heard. Answers are category codes from
`federation.disclosure.characteristics`, or "prefer-not-to-say", or NULL when
never answered; they stay on the hub and leave it only as disclosure-controlled
one-way breakdowns (NULL and "prefer-not-to-say" are both published as
not-stated). The latest answers win.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hub.db import Base, UTCDateTime, utcnow, value_enum
from hub.themes.models import LocalTheme

ABOUT_YOU = ("age_band", "ethnic_group", "disability", "unpaid_carer", "urban_rural")
"""The optional questions, in the order the form asks them (characteristic codes)."""
PREFER_NOT_TO_SAY = "prefer-not-to-say"


class Kind(enum.StrEnum):
    IDEA = "idea"
    CONCERN = "concern"
    QUESTION = "question"
    EXPERIENCE = "experience"


class Participant(Base):
    __tablename__ = "participants"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)  # uuid4 hex
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    age_band: Mapped[str | None] = mapped_column(String(24))
    ethnic_group: Mapped[str | None] = mapped_column(String(24))
    disability: Mapped[str | None] = mapped_column(String(24))
    unpaid_carer: Mapped[str | None] = mapped_column(String(24))
    urban_rural: Mapped[str | None] = mapped_column(String(24))


class Contribution(Base):
    __tablename__ = "contributions"

    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[str] = mapped_column(ForeignKey("participants.id"), index=True)
    kind: Mapped[Kind] = mapped_column(value_enum(Kind, "contribution_kind"))
    title: Mapped[str] = mapped_column(String(120))
    body: Mapped[str] = mapped_column(Text)
    theme_id: Mapped[int] = mapped_column(ForeignKey("local_themes.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    # The author agreed that a moderated, anonymised quote from it may be shared nationally.
    quote_consent: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    theme: Mapped[LocalTheme] = relationship(lazy="joined")


class Support(Base):
    """One person's "me too" for one contribution (at most once per person)."""

    __tablename__ = "supports"
    __table_args__ = (UniqueConstraint("contribution_id", "participant_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    contribution_id: Mapped[int] = mapped_column(ForeignKey("contributions.id"), index=True)
    participant_id: Mapped[str] = mapped_column(ForeignKey("participants.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
