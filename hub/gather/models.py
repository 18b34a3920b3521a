"""People, what they raise, and who said "me too".

A participant is, for now, only a random id kept in the browser's signed
session cookie (accounts come later): the hub never learns who a person is.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hub.db import Base, UTCDateTime, utcnow, value_enum
from hub.themes.models import LocalTheme


class Kind(enum.StrEnum):
    IDEA = "idea"
    CONCERN = "concern"
    QUESTION = "question"
    EXPERIENCE = "experience"


class Participant(Base):
    __tablename__ = "participants"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)  # uuid4 hex
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Contribution(Base):
    __tablename__ = "contributions"

    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[str] = mapped_column(ForeignKey("participants.id"), index=True)
    kind: Mapped[Kind] = mapped_column(value_enum(Kind, "contribution_kind"))
    title: Mapped[str] = mapped_column(String(120))
    body: Mapped[str] = mapped_column(Text)
    theme_id: Mapped[int] = mapped_column(ForeignKey("local_themes.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

    theme: Mapped[LocalTheme] = relationship(lazy="joined")


class Support(Base):
    """One person's "me too" for one contribution (at most once per person)."""

    __tablename__ = "supports"
    __table_args__ = (UniqueConstraint("contribution_id", "participant_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    contribution_id: Mapped[int] = mapped_column(ForeignKey("contributions.id"), index=True)
    participant_id: Mapped[str] = mapped_column(ForeignKey("participants.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
