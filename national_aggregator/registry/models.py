"""Hubs (named by the GSS code of their area) and their Ed25519 public keys."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from national_aggregator.db import Base, UTCDateTime, utcnow


class Hub(Base):
    __tablename__ = "hub"

    gss: Mapped[str] = mapped_column(String(9), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    region: Mapped[str] = mapped_column(String(100))
    population: Mapped[int]  # residents, for per-100k rates
    registered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    keys: Mapped[list[HubKey]] = relationship(back_populates="hub", order_by="HubKey.added_at")


class HubKey(Base):
    __tablename__ = "hub_key"

    keyid: Mapped[str] = mapped_column(String(43), primary_key=True)  # RFC 7638 thumbprint
    hub_gss: Mapped[str] = mapped_column(ForeignKey("hub.gss"), index=True)
    public_key_pem: Mapped[str] = mapped_column(Text)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    hub: Mapped[Hub] = relationship(back_populates="keys")
