"""The aggregator's one SQLAlchemy `Base`: every feature's models subclass it (one metadata).

The column types shared with the hub (UTC times, enums by value) are in
`hubnet.columns`.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.orm import DeclarativeBase

from hubnet.columns import UTCDateTime, named_metadata, rfc3339, utcnow, value_enum

MIGRATIONS = Path(__file__).parent / "migrations"

__all__ = ["MIGRATIONS", "Base", "UTCDateTime", "rfc3339", "utcnow", "value_enum"]


class Base(DeclarativeBase):
    metadata = named_metadata()
