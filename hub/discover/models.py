"""Tables for hub.discover: the directory of existing participation.

One row per `hub.discover.directory.DirectoryEntry`, keyed by the entry's UUID
(so an Open Referral UK import updates the entry with the same id). The list
fields (wards, reaches, topics) are stored as JSON text, as other hub tables
store JSON: `reaches` as a list of [characteristic, category] pairs. The row
also says when it was added and last changed, and by which member of staff
(None when an operator imported it on the command line). Converting to and
from `DirectoryEntry` is `hub.discover.services`' job, so every stored entry
has passed the entry's own checks.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from hub.db import Base, UTCDateTime, utcnow

NAME_LENGTH = 160
TEXT_LENGTH = 2000
URL_LENGTH = 500
EMAIL_LENGTH = 254
PHONE_LENGTH = 40


class DirectoryRecord(Base):
    """A group people can join to have a say (a stored `DirectoryEntry`)."""

    __tablename__ = "directory_entries"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)  # UUID, lower-case
    name: Mapped[str] = mapped_column(String(NAME_LENGTH))
    kind: Mapped[str] = mapped_column(String(20))  # a key of hub.discover.directory.KINDS
    description: Mapped[str] = mapped_column(Text, default="")
    how_to_join: Mapped[str] = mapped_column(Text, default="")
    url: Mapped[str | None] = mapped_column(String(URL_LENGTH), default=None)
    email: Mapped[str | None] = mapped_column(String(EMAIL_LENGTH), default=None)
    phone: Mapped[str | None] = mapped_column(String(PHONE_LENGTH), default=None)
    ods_code: Mapped[str | None] = mapped_column(String(9), default=None)
    wards: Mapped[str] = mapped_column(Text, default="[]")  # JSON list of ONS ward codes
    reaches: Mapped[str] = mapped_column(Text, default="[]")  # JSON list of [code, category]
    topics: Mapped[str] = mapped_column(Text, default="[]")  # JSON list of theme codes or words
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_users.id"), index=True, default=None
    )
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"), default=None)
