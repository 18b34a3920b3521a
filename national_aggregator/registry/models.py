"""Hubs (named by the GSS code of their area), their Ed25519 public keys, and key events.

Every registry change the national team makes (`hubnet aggregator hubs
add/revoke`) is also a key event: an envelope signed by the log key, kept
here byte for byte and appended to the transparency log in the same
transaction, so a hub's whole key history can be audited from the log.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from national_aggregator.db import Base, UTCDateTime, utcnow, value_enum


class KeyOrigin(enum.StrEnum):
    """How a key came to be registered."""

    REGISTRATION = "registration"  # the hub's first key, `hubs add`
    OPERATOR = "operator"  # a further key, `hubs add --add-key`
    ROTATION = "rotation"  # named by the hub's own key-rotation statement


class KeyEventKind(enum.StrEnum):
    HUB_REGISTERED = "hub-registered"
    KEY_ADDED = "key-added"
    KEY_REVOKED = "key-revoked"
    HUB_REVOKED = "hub-revoked"


class Hub(Base):
    __tablename__ = "hub"

    gss: Mapped[str] = mapped_column(String(9), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    region: Mapped[str] = mapped_column(String(100))
    population: Mapped[int]  # residents, for per-100k rates
    registered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Where to POST (no body) when a board statement is logged; None: the hub only polls.
    notify_url: Mapped[str | None] = mapped_column(String(500))

    keys: Mapped[list[HubKey]] = relationship(back_populates="hub", order_by="HubKey.added_at")


class HubKey(Base):
    __tablename__ = "hub_key"

    keyid: Mapped[str] = mapped_column(String(43), primary_key=True)  # RFC 7638 thumbprint
    hub_gss: Mapped[str] = mapped_column(ForeignKey("hub.gss"), index=True)
    public_key_pem: Mapped[str] = mapped_column(Text)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    added_via: Mapped[KeyOrigin] = mapped_column(value_enum(KeyOrigin, "key_origin"))
    # The log leaf that introduced the key: its key event, or the hub's rotation statement.
    # None only for keys registered before key events were logged (migration 0002).
    log_index: Mapped[int | None]
    # Set when a rotation replaces the key: valid strictly before this moment.
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    hub: Mapped[Hub] = relationship(back_populates="keys")


class KeyEvent(Base):
    """A registry change as the log holds it: the log-key-signed envelope, byte for byte."""

    __tablename__ = "key_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    event: Mapped[KeyEventKind] = mapped_column(value_enum(KeyEventKind, "key_event_kind"))
    hub_gss: Mapped[str] = mapped_column(ForeignKey("hub.gss"), index=True)
    keyid: Mapped[str | None] = mapped_column(ForeignKey("hub_key.keyid"))
    reason: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    envelope: Mapped[bytes] = mapped_column(LargeBinary)
