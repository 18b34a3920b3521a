"""Citizens' Jury and Assembly: the jury's shortlist and choice, meetings and what they agreed.

A `Jury` is the deliberation of a drawn panel (a `hub.panels` draw with purpose
"jury"): staff shortlist the most supported published items of a chosen period
(`ShortlistItem`, with the "me too" count at the time and its rank), and record
which of them the jury chose for the Assembly, each with the jury's reason.

A `Meeting` is one Assembly meeting. Its agenda (`AgendaItem`) starts as the
linked jury's choice, in rank order, and staff may reorder it, remove items or
add a free item. `Attendee` rows say who was in the room: panel members of the
jury's draw, senior managers (name, role, organisation, typed in) and
facilitators (staff accounts). Per agenda item, a senior manager's `Reply` is
recorded as given in the room, with the panel members' confirmation that it
matches the discussion (how many agreed, how many disagreed, their notes).
Agreed actions are Stocktake `Action`s (`hub.stocktake`), linked here by
`AssemblyOutcome` so the Stocktake tracks them like any other action.

Panel members' names never leave the staff pages: the public meeting page
shows only how many attended.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    Date,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hub.db import Base, UTCDateTime, utcnow, value_enum
from hub.gather.models import Contribution
from hub.staff.models import StaffUser
from hub.stocktake.models import Action


class AttendeeKind(enum.StrEnum):
    PANEL_MEMBER = "panel-member"  # a member of the jury's draw (never named in public)
    SENIOR_MANAGER = "senior-manager"  # answers in the room; named with role and organisation
    FACILITATOR = "facilitator"  # a member of staff who ran the meeting


class Jury(Base):
    """A jury's work: the shortlist staff built from Gather and the items the jury chose.

    `period_start`..`period_end` (days in England, inclusive) is the window whose
    "me too"s rank the shortlist; `chosen_on` is the day the jury chose.
    """

    __tablename__ = "assembly_juries"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(160))
    draw_id: Mapped[int | None] = mapped_column(
        ForeignKey("panel_draws.id"), index=True, default=None
    )
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    shortlist_size: Mapped[int] = mapped_column(Integer)
    chosen_on: Mapped[date | None] = mapped_column(Date, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id"))

    shortlist: Mapped[list[ShortlistItem]] = relationship(
        back_populates="jury",
        order_by="ShortlistItem.rank",
        cascade="all, delete-orphan",
    )
    created_by: Mapped[StaffUser] = relationship()

    @property
    def chosen(self) -> list[ShortlistItem]:
        return [entry for entry in self.shortlist if entry.chosen]


class ShortlistItem(Base):
    """One shortlisted item: its rank, its support in the period, and the jury's decision."""

    __tablename__ = "assembly_shortlist"
    __table_args__ = (UniqueConstraint("jury_id", "contribution_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    jury_id: Mapped[int] = mapped_column(ForeignKey("assembly_juries.id"), index=True)
    contribution_id: Mapped[int] = mapped_column(ForeignKey("contributions.id"), index=True)
    rank: Mapped[int] = mapped_column(Integer)
    support: Mapped[int] = mapped_column(Integer)  # "me too"s in the jury's period, when built
    chosen: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    reason: Mapped[str | None] = mapped_column(Text, default=None)  # the jury's, when chosen

    jury: Mapped[Jury] = relationship(back_populates="shortlist")
    contribution: Mapped[Contribution] = relationship(lazy="joined")


class Meeting(Base):
    """An Assembly meeting; `published_at` is set once staff publish what it agreed."""

    __tablename__ = "assembly_meetings"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(160))
    held_on: Mapped[date] = mapped_column(Date)
    place: Mapped[str] = mapped_column(String(200))
    jury_id: Mapped[int | None] = mapped_column(
        ForeignKey("assembly_juries.id"), index=True, default=None
    )
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id"))

    jury: Mapped[Jury | None] = relationship()
    agenda: Mapped[list[AgendaItem]] = relationship(
        back_populates="meeting", order_by="(AgendaItem.position, AgendaItem.id)"
    )
    attendees: Mapped[list[Attendee]] = relationship(
        back_populates="meeting", order_by="Attendee.id"
    )

    @property
    def published(self) -> bool:
        return self.published_at is not None


class AgendaItem(Base):
    """One issue on a meeting's agenda: a Gather item (from the jury's choice) or a free item."""

    __tablename__ = "assembly_agenda_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("assembly_meetings.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    contribution_id: Mapped[int | None] = mapped_column(
        ForeignKey("contributions.id"), index=True, default=None
    )
    title: Mapped[str] = mapped_column(String(160))
    description: Mapped[str | None] = mapped_column(Text, default=None)

    meeting: Mapped[Meeting] = relationship(back_populates="agenda")
    contribution: Mapped[Contribution | None] = relationship(lazy="joined")
    replies: Mapped[list[Reply]] = relationship(back_populates="agenda_item", order_by="Reply.id")


class Attendee(Base):
    """Someone who attended: a panel member, a senior manager (typed in) or a facilitator."""

    __tablename__ = "assembly_attendees"
    __table_args__ = (
        UniqueConstraint("meeting_id", "panel_member_id"),
        UniqueConstraint("meeting_id", "staff_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("assembly_meetings.id"), index=True)
    kind: Mapped[AttendeeKind] = mapped_column(value_enum(AttendeeKind, "attendee_kind"))
    panel_member_id: Mapped[int | None] = mapped_column(
        ForeignKey("panel_members.id"), default=None
    )
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"), default=None)
    name: Mapped[str | None] = mapped_column(String(120), default=None)  # senior managers
    role: Mapped[str | None] = mapped_column(String(160), default=None)
    organisation: Mapped[str | None] = mapped_column(String(160), default=None)

    meeting: Mapped[Meeting] = relationship(back_populates="attendees")
    staff: Mapped[StaffUser | None] = relationship(lazy="joined")


class Reply(Base):
    """A senior manager's reply to an agenda item, as given in the room, and its confirmation.

    `agreed` and `disagreed` count the attending panel members who said the
    reply matches the discussion, or does not (`notes` say why); both stay
    empty until staff record the confirmation.
    """

    __tablename__ = "assembly_replies"

    id: Mapped[int] = mapped_column(primary_key=True)
    agenda_item_id: Mapped[int] = mapped_column(ForeignKey("assembly_agenda_items.id"), index=True)
    attendee_id: Mapped[int] = mapped_column(ForeignKey("assembly_attendees.id"), index=True)
    text: Mapped[str] = mapped_column(Text)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id"))
    agreed: Mapped[int | None] = mapped_column(Integer, default=None)
    disagreed: Mapped[int | None] = mapped_column(Integer, default=None)
    notes: Mapped[str | None] = mapped_column(Text, default=None)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)

    agenda_item: Mapped[AgendaItem] = relationship(back_populates="replies")
    attendee: Mapped[Attendee] = relationship(lazy="joined")

    @property
    def confirmed(self) -> bool:
        return self.confirmed_at is not None


class AssemblyOutcome(Base):
    """An action agreed at a meeting on one agenda item; the action itself is the Stocktake's."""

    __tablename__ = "assembly_outcomes"

    action_id: Mapped[int] = mapped_column(
        ForeignKey("actions.id"), primary_key=True, autoincrement=False
    )
    meeting_id: Mapped[int] = mapped_column(ForeignKey("assembly_meetings.id"), index=True)
    agenda_item_id: Mapped[int] = mapped_column(ForeignKey("assembly_agenda_items.id"), index=True)

    agenda_item: Mapped[AgendaItem] = relationship()
    action: Mapped[Action] = relationship(lazy="joined")
