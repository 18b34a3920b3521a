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

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    String,
    Text,
    UniqueConstraint,
    false,
    true,
)
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


class Status(enum.StrEnum):
    """Whether an item or comment may be shown: moderation decides this, not the public stage."""

    PENDING = "pending"  # waiting for a moderator (MODERATION = "pre")
    PUBLISHED = "published"
    REJECTED = "rejected"  # breaks a value; the author is told which
    REMOVED = "removed"  # taken down after it was published


class Stage(enum.StrEnum):
    """How far an item has got, as the public timeline shows it."""

    RAISED = "raised"
    PUBLISHED = "published"
    ROUTED = "routed"
    RESPONDED = "responded"
    CHANGE_PLANNED = "change-planned"
    CHANGE_MADE = "change-made"
    CLOSED = "closed"


class Channel(enum.StrEnum):
    """How the item reached the hub (assisted digital records the others)."""

    ONLINE = "online"
    PAPER = "paper"
    PHONE = "phone"
    EVENT = "event"
    EMAIL = "email"


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
    status: Mapped[Status] = mapped_column(
        value_enum(Status, "moderation_status"),
        default=Status.PENDING,
        server_default=Status.PENDING.value,
        index=True,
    )
    stage: Mapped[Stage] = mapped_column(
        value_enum(Stage, "contribution_stage"),
        default=Stage.RAISED,
        server_default=Stage.RAISED.value,
    )
    # An ONS ward code from `wards` (not a foreign key: a hub may re-import its wards after
    # boundary changes and old items keep the code they were raised with).
    ward_code: Mapped[str | None] = mapped_column(String(9), index=True)
    channel: Mapped[Channel] = mapped_column(
        value_enum(Channel, "contribution_channel"),
        default=Channel.ONLINE,
        server_default=Channel.ONLINE.value,
    )
    # Hidden after REPORTS_TO_HIDE reports, until a moderator restores or removes it.
    hidden_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    rejection_value: Mapped[str | None] = mapped_column(String(40))  # a hub.gather.values code
    rejection_note: Mapped[str | None] = mapped_column(Text)

    theme: Mapped[LocalTheme] = relationship(lazy="joined")

    @property
    def public(self) -> bool:
        """Whether anyone may see it: published and not hidden after reports."""
        return self.status is Status.PUBLISHED and self.hidden_at is None


class Support(Base):
    """One person's "me too" for one contribution (at most once per person)."""

    __tablename__ = "supports"
    __table_args__ = (UniqueConstraint("contribution_id", "participant_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    contribution_id: Mapped[int] = mapped_column(ForeignKey("contributions.id"), index=True)
    participant_id: Mapped[str] = mapped_column(ForeignKey("participants.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class Ward(Base):
    """An electoral ward of the hub's area (ONS code), imported per hub; optional on items."""

    __tablename__ = "wards"

    code: Mapped[str] = mapped_column(String(9), primary_key=True)  # e.g. E05011234
    name: Mapped[str] = mapped_column(String(120))


class ContributionEvent(Base):
    """One step in an item's life; the public ones make its timeline.

    `stage` is set when the step moved the item's public stage. `note` is
    public text when `public` (a response, a reason for closing), else a note
    for staff.
    """

    __tablename__ = "contribution_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    contribution_id: Mapped[int] = mapped_column(ForeignKey("contributions.id"), index=True)
    stage: Mapped[Stage | None] = mapped_column(value_enum(Stage, "contribution_stage"))
    kind: Mapped[str] = mapped_column(String(20))
    note: Mapped[str | None] = mapped_column(Text)
    public: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

    contribution: Mapped[Contribution] = relationship()


class Comment(Base):
    """A reply to an item, moderated like items are."""

    __tablename__ = "comments"

    id: Mapped[int] = mapped_column(primary_key=True)
    contribution_id: Mapped[int] = mapped_column(ForeignKey("contributions.id"), index=True)
    participant_id: Mapped[str] = mapped_column(ForeignKey("participants.id"), index=True)
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[Status] = mapped_column(
        value_enum(Status, "moderation_status"),
        default=Status.PENDING,
        server_default=Status.PENDING.value,
        index=True,
    )
    hidden_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    rejection_value: Mapped[str | None] = mapped_column(String(40))

    contribution: Mapped[Contribution] = relationship()

    @property
    def public(self) -> bool:
        return self.status is Status.PUBLISHED and self.hidden_at is None


class Report(Base):
    """A person's report that an item or a comment breaks the values (one open per person)."""

    __tablename__ = "reports"
    __table_args__ = (
        CheckConstraint("(contribution_id IS NULL) <> (comment_id IS NULL)", name="one_target"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    contribution_id: Mapped[int | None] = mapped_column(ForeignKey("contributions.id"), index=True)
    comment_id: Mapped[int | None] = mapped_column(ForeignKey("comments.id"), index=True)
    participant_id: Mapped[str] = mapped_column(ForeignKey("participants.id"), index=True)
    reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    resolved_by: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))


class RaiseDraft(Base):
    """The answers of a raise journey not yet sent, kept on the server, not in the cookie.

    (A 5,000-character description would not fit in a cookie.) The session holds
    only the random id. Sending or starting again deletes it; drafts left for a
    day are deleted the next time anyone saves one.
    """

    __tablename__ = "raise_drafts"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)  # random, in the session
    answers: Mapped[str] = mapped_column(Text)  # JSON object
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
