"""The pool Citizens' Juries and Assemblies are drawn from, the draws, and who was drawn.

- `panel_volunteers`: a resident who opted in, with a contact (email or phone,
  at least one), their "about you" answers (the same characteristic codes as
  `participants`: a category code, `prefer-not-to-say`, or NULL for not
  answered), ward and support needs. `number` is the public pseudonym
  ("V-0042") the published reports use instead of a name. A volunteer who
  withdraws is deleted, unless they were drawn for a panel: then their
  personal details are erased and `withdrawn_at` says when (the number stays,
  so the panel's member list and the published report still add up).
- `panel_draws`: one fair draw (`hub.assembly.selection`): title, purpose (jury
  or assembly), panel size, the published seed, the quotas and oversampling it
  used (JSON), and the published report (JSON, pseudonymous numbers only).
- `panel_members`: who a draw chose, and the reserves in the order they are
  asked.

JSON is kept as text (as `summary_documents` does) so SQLite and PostgreSQL
store the same bytes; the `*_data` properties decode it.
"""

from __future__ import annotations

import enum
import json
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hub.db import Base, UTCDateTime, utcnow, value_enum
from hub.staff.models import StaffUser


class Purpose(enum.StrEnum):
    JURY = "jury"
    ASSEMBLY = "assembly"


class DrawStatus(enum.StrEnum):
    DRAWN = "drawn"  # the panel is chosen and its report published


class PanelVolunteer(Base):
    """A resident in the pool. Names and contacts are for staff only; reports use `number`."""

    __tablename__ = "panel_volunteers"
    __table_args__ = (
        CheckConstraint(
            "withdrawn_at IS NOT NULL OR email IS NOT NULL OR phone IS NOT NULL",
            name="has_contact",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(12), unique=True)  # "V-0042", public
    name: Mapped[str] = mapped_column(String(120))  # "" once withdrawn
    email: Mapped[str | None] = mapped_column(String(254), default=None)
    phone: Mapped[str | None] = mapped_column(String(32), default=None)
    # The "about you" answers (hub.gather.models.ABOUT_YOU): a category code of
    # federation/disclosure/characteristics.py, "prefer-not-to-say", or NULL.
    age_band: Mapped[str | None] = mapped_column(String(24), default=None)
    ethnic_group: Mapped[str | None] = mapped_column(String(24), default=None)
    disability: Mapped[str | None] = mapped_column(String(24), default=None)
    unpaid_carer: Mapped[str | None] = mapped_column(String(24), default=None)
    urban_rural: Mapped[str | None] = mapped_column(String(24), default=None)
    # An ONS ward code from `wards` (not a foreign key, like contributions.ward_code).
    ward_code: Mapped[str | None] = mapped_column(String(9), default=None)
    support_needs: Mapped[str | None] = mapped_column(Text, default=None)
    withdraw_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True, default=None)
    consent_at: Mapped[datetime] = mapped_column(UTCDateTime)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def withdrawn(self) -> bool:
        return self.withdrawn_at is not None

    @property
    def display_name(self) -> str:
        """The name staff see; a withdrawn volunteer shows only their number."""
        if self.withdrawn:
            return f"Withdrawn volunteer {self.number}"
        return self.name


class PanelDraw(Base):
    """One draw of a jury or assembly from the pool, with its published report."""

    __tablename__ = "panel_draws"
    __table_args__ = (CheckConstraint("panel_size >= 1", name="panel_size_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(160))
    purpose: Mapped[Purpose] = mapped_column(value_enum(Purpose, "panel_purpose"))
    panel_size: Mapped[int] = mapped_column(Integer)
    seed: Mapped[str] = mapped_column(String(200))
    quotas: Mapped[str] = mapped_column(Text)  # JSON list of {characteristic, category, min, max}
    oversample: Mapped[str] = mapped_column(Text)  # JSON list of {characteristic, category, factor}
    report: Mapped[str] = mapped_column(Text)  # JSON: SelectionReport.as_dict with numbers
    status: Mapped[DrawStatus] = mapped_column(
        value_enum(DrawStatus, "panel_draw_status"), default=DrawStatus.DRAWN
    )
    drawn_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    drawn_by_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id"))

    drawn_by: Mapped[StaffUser] = relationship()
    members: Mapped[list[PanelMember]] = relationship(
        back_populates="draw", order_by="PanelMember.id", viewonly=True
    )

    @property
    def quotas_data(self) -> list[dict[str, Any]]:
        data: list[dict[str, Any]] = json.loads(self.quotas)
        return data

    @property
    def oversample_data(self) -> list[dict[str, Any]]:
        data: list[dict[str, Any]] = json.loads(self.oversample)
        return data

    @property
    def report_data(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self.report)
        return data


class PanelMember(Base):
    """A volunteer a draw chose (`reserve` False) or a reserve, asked in `id` order."""

    __tablename__ = "panel_members"
    __table_args__ = (UniqueConstraint("draw_id", "volunteer_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    draw_id: Mapped[int] = mapped_column(ForeignKey("panel_draws.id"), index=True)
    volunteer_id: Mapped[int] = mapped_column(ForeignKey("panel_volunteers.id"), index=True)
    reserve: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    draw: Mapped[PanelDraw] = relationship(back_populates="members")
    volunteer: Mapped[PanelVolunteer] = relationship(lazy="joined")

    @property
    def display_name(self) -> str:
        return self.volunteer.display_name

    @property
    def number(self) -> str:
        return self.volunteer.number
