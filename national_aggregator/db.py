"""The aggregator's one SQLAlchemy `Base`: every feature's models subclass it (one metadata).

The column types shared with the hub (UTC times, enums by value) are in
`hubnet.columns`.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.orm import DeclarativeBase

from hubnet.columns import UTCDateTime, named_metadata, rfc3339, utcnow, value_enum

MIGRATIONS = Path(__file__).parent / "migrations"
MAX_INTEGER = 2**31 - 1
"""The largest value an `Integer` column holds on PostgreSQL; compare larger ones in Python."""

__all__ = ["MAX_INTEGER", "MIGRATIONS", "Base", "UTCDateTime", "rfc3339", "utcnow", "value_enum"]


class Base(DeclarativeBase):
    metadata = named_metadata()
