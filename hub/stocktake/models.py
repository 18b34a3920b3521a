"""Stocktake: every agreed action and every planned change, with its dated updates.

An `Action` is something a named owner (a person or a role, such as "Director
of Adult Social Care") has agreed to do: an outcome of a Citizens' Assembly,
a routed item's planned change (`routing_id`, at most one action per routing),
or anything else the hub tracks (`source` "other"). Each `ActionUpdate` is a
dated note with the status it moved the action to; the action keeps its
latest status, so the Stocktake page and pack need not replay the updates.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hub.db import Base, UTCDateTime, utcnow, value_enum
from hub.routing.models import Organisation, Routing
from hub.staff.models import StaffUser


class ActionStatus(enum.StrEnum):
    PLANNED = "planned"
    IN_PROGRESS = "in-progress"
    DONE = "done"
    STALLED = "stalled"


class ActionSource(enum.StrEnum):
    """Where an action came from."""

    ASSEMBLY = "assembly"  # agreed at a Citizens' Assembly
    ROUTING = "routing"  # a routed item's planned change
    OTHER = "other"  # added by staff


class Action(Base):
    """An agreed action with a named owner, an optional due date and its current status."""

    __tablename__ = "actions"

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[ActionSource] = mapped_column(value_enum(ActionSource, "action_source"))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text, default=None)
    owner: Mapped[str] = mapped_column(String(160))
    organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisations.id"), index=True, default=None
    )
    routing_id: Mapped[int | None] = mapped_column(
        ForeignKey("routings.id"), unique=True, default=None
    )
    due_on: Mapped[date | None] = mapped_column(Date, default=None)
    status: Mapped[ActionStatus] = mapped_column(value_enum(ActionStatus, "action_status"))
    stalled_reason: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    organisation: Mapped[Organisation | None] = relationship(lazy="joined")
    routing: Mapped[Routing | None] = relationship()
    created_by: Mapped[StaffUser] = relationship()
    updates: Mapped[list[ActionUpdate]] = relationship(
        back_populates="action",
        order_by="(ActionUpdate.written_on, ActionUpdate.id)",
        cascade="all, delete-orphan",
    )


class ActionUpdate(Base):
    """A dated note on an action (`written_on` is the day in England) and the status it set."""

    __tablename__ = "action_updates"

    id: Mapped[int] = mapped_column(primary_key=True)
    action_id: Mapped[int] = mapped_column(ForeignKey("actions.id"), index=True)
    written_on: Mapped[date] = mapped_column(Date)
    status: Mapped[ActionStatus] = mapped_column(value_enum(ActionStatus, "action_status"))
    note: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    by_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id"))

    action: Mapped[Action] = relationship(back_populates="updates")
    by: Mapped[StaffUser] = relationship()
