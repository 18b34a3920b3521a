"""What staff alone know about an item: how critical it is, and whether it is a safeguarding matter.

One `contribution_triage` row per item, made the first time a moderator sets
either. Criticality (low, medium, high) helps moderators and responders put
the most serious items first; it is never shown to the public or sent in a
summary. A safeguarding escalation (someone may be at risk) has a note for the
people who will act on it and stays on the escalations list until a moderator
or admin closes it with a note of what was done. The notes may name people,
so they are kept here only (not in the audit log) and deleted with the item.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Text, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hub.db import Base, UTCDateTime, utcnow, value_enum
from hub.gather.models import Contribution
from hub.staff.models import StaffUser


class Criticality(enum.StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


class ContributionTriage(Base):
    __tablename__ = "contribution_triage"

    contribution_id: Mapped[int] = mapped_column(
        ForeignKey("contributions.id"), primary_key=True, autoincrement=False
    )
    criticality: Mapped[Criticality | None] = mapped_column(
        value_enum(Criticality, "criticality"), default=None
    )
    escalated: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false(), index=True
    )
    escalation_note: Mapped[str | None] = mapped_column(Text, default=None)
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    escalated_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"), default=None)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"), default=None)
    closing_note: Mapped[str | None] = mapped_column(Text, default=None)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    contribution: Mapped[Contribution] = relationship(lazy="joined")
    escalated_by: Mapped[StaffUser | None] = relationship(foreign_keys=[escalated_by_id])
    closed_by: Mapped[StaffUser | None] = relationship(foreign_keys=[closed_by_id])
