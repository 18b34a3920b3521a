"""Local themes: the hub's own headings, each mapped onto one national theme code."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from hub.db import Base, UTCDateTime


class LocalTheme(Base):
    """A heading people choose when they raise something (e.g. "Leaving hospital").

    `national_code` is a code from the national taxonomy (`national/1`); it is
    what the summary counts under, so the aggregator can compare hubs. A
    retired theme (`retired_at` set) is no longer offered for new items; items
    already in it keep it, and keep counting under its national code.
    """

    __tablename__ = "local_themes"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(60), unique=True)
    name: Mapped[str] = mapped_column(String(80))
    national_code: Mapped[str] = mapped_column(String(60), index=True)
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)

    @property
    def retired(self) -> bool:
        return self.retired_at is not None
