"""Quote candidates: consented words, scrubbed, waiting for (or holding) two staff approvals.

At most one candidate per contribution. `text` is always scrubbed text: the
hub never stores an unscrubbed quote apart from the contribution itself.
`revision` goes up with every edit and each approval records the revision it
approved, so an approval can only ever count for the exact words the
approver saw. `edited_by` is whoever last wrote the words by hand (None while
they are the scrubber's own output); that person may not approve them.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hub.db import Base, UTCDateTime, utcnow, value_enum
from hub.gather.models import Contribution
from hub.staff.models import StaffUser


class QuoteStatus(enum.StrEnum):
    PROPOSED = "proposed"  # waiting for two approvals of the current words
    APPROVED = "approved"  # may leave the hub in a summary
    REJECTED = "rejected"  # will not be quoted
    WITHDRAWN = "withdrawn"  # was approved, then taken out


class QuoteCandidate(Base):
    __tablename__ = "quote_candidates"

    id: Mapped[int] = mapped_column(primary_key=True)
    contribution_id: Mapped[int] = mapped_column(ForeignKey("contributions.id"), unique=True)
    text: Mapped[str] = mapped_column(Text)
    status: Mapped[QuoteStatus] = mapped_column(value_enum(QuoteStatus, "quote_status"), index=True)
    revision: Mapped[int] = mapped_column(default=1)
    proposed_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"), default=None)
    edited_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    contribution: Mapped[Contribution] = relationship(lazy="joined")
    proposed_by: Mapped[StaffUser | None] = relationship(foreign_keys=[proposed_by_id])
    edited_by: Mapped[StaffUser | None] = relationship(foreign_keys=[edited_by_id])
    approvals: Mapped[list[QuoteApproval]] = relationship(
        back_populates="quote", order_by="QuoteApproval.id", cascade="all, delete-orphan"
    )


class QuoteApproval(Base):
    """One staff member's approval of one revision of a quote's words (once per person)."""

    __tablename__ = "quote_approvals"
    __table_args__ = (UniqueConstraint("quote_id", "staff_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    quote_id: Mapped[int] = mapped_column(ForeignKey("quote_candidates.id"), index=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id"), index=True)
    revision: Mapped[int]
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    quote: Mapped[QuoteCandidate] = relationship(back_populates="approvals")
    staff: Mapped[StaffUser] = relationship(lazy="joined")
