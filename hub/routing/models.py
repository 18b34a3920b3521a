"""Local organisations, who answers for them, and each triaged item's routing and response.

Staff triage each published item once (`routings`, one row per item): either
national (a candidate for the national summary, no organisation) or local,
routed to a named `Organisation` (a council department, ICB, NHS trust, GP
practice, Healthwatch or another the hub adds) with an optional named
responder and a response deadline in working days. The organisation's public
answer, its outcome (responded, change planned, change made, closed with a
reason) and the change itself are kept on the same row; the item's public
timeline carries them too (`hub.gather.events`), so followers are told.

A responder (staff role "responder") may belong to one organisation
(`organisation_staff`); then they answer only that organisation's items. The
link is a table of its own rather than a column on `staff_users`, so the staff
tables need not know about organisations.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import Boolean, CheckConstraint, Date, ForeignKey, String, Text, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hub.db import Base, UTCDateTime, utcnow, value_enum
from hub.gather.models import Contribution
from hub.staff.models import StaffUser


class OrganisationKind(enum.StrEnum):
    COUNCIL_DEPARTMENT = "council-department"
    ICB = "icb"
    NHS_TRUST = "nhs-trust"
    GP_PRACTICE = "gp-practice"
    HEALTHWATCH = "healthwatch"
    OTHER = "other"


class Decision(enum.StrEnum):
    """Where triage sent an item."""

    NATIONAL = "national"  # a national candidate: goes into the summary, no local organisation
    LOCAL = "local"  # routed to a local organisation that must respond


class Outcome(enum.StrEnum):
    """How the organisation answered (the values `hub.routing.stats` counts)."""

    RESPONDED = "responded"
    CHANGE_PLANNED = "change-planned"
    CHANGE_MADE = "change-made"
    CLOSED = "closed"


class Organisation(Base):
    """A local body items can be routed to; `ods_code` is its NHS ODS code where it has one."""

    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(160), unique=True)
    kind: Mapped[OrganisationKind] = mapped_column(
        value_enum(OrganisationKind, "organisation_kind")
    )
    ods_code: Mapped[str | None] = mapped_column(String(9), unique=True, default=None)
    email: Mapped[str | None] = mapped_column(String(254), default=None)  # for reminders
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class OrganisationStaff(Base):
    """A staff member who answers for one organisation (a responder scoped to it)."""

    __tablename__ = "organisation_staff"

    staff_id: Mapped[int] = mapped_column(
        ForeignKey("staff_users.id"), primary_key=True, autoincrement=False
    )
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)

    organisation: Mapped[Organisation] = relationship(lazy="joined")


class Routing(Base):
    """Triage of one published item: national, or routed to an organisation, and its answer.

    `routed_on` and `responded_on` are the days (in England) the working-day
    deadline and "days to respond" count from; `routed_at`/`responded_at` are
    the moments. `changed_at` is when a change was last recorded (planned or made).
    """

    __tablename__ = "routings"
    __table_args__ = (
        CheckConstraint(
            "decision = 'national' OR (organisation_id IS NOT NULL AND deadline IS NOT NULL)",
            name="local_has_organisation",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    contribution_id: Mapped[int] = mapped_column(ForeignKey("contributions.id"), unique=True)
    decision: Mapped[Decision] = mapped_column(value_enum(Decision, "routing_decision"))
    organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisations.id"), index=True, default=None
    )
    responder_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_users.id"), index=True, default=None
    )
    routed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    routed_on: Mapped[date] = mapped_column(Date)
    deadline: Mapped[date | None] = mapped_column(Date, default=None, index=True)
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    response: Mapped[str | None] = mapped_column(Text, default=None)
    responded_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    responded_on: Mapped[date | None] = mapped_column(Date, default=None)
    responded_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"), default=None)
    outcome: Mapped[Outcome | None] = mapped_column(
        value_enum(Outcome, "routing_outcome"), default=None
    )
    change_description: Mapped[str | None] = mapped_column(Text, default=None)
    changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    closed_reason: Mapped[str | None] = mapped_column(Text, default=None)
    routed_by_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id"))

    contribution: Mapped[Contribution] = relationship(lazy="joined")
    organisation: Mapped[Organisation | None] = relationship(lazy="joined")
    responder: Mapped[StaffUser | None] = relationship(foreign_keys=[responder_id])
    routed_by: Mapped[StaffUser] = relationship(foreign_keys=[routed_by_id])
    responded_by: Mapped[StaffUser | None] = relationship(foreign_keys=[responded_by_id])

    @property
    def answered(self) -> bool:
        return self.outcome is not None
