"""The aggregator's one SQLAlchemy `Base`, and the column types its models share.

Every feature's models subclass `Base`, so Alembic sees one metadata. Times are
stored as naive UTC and handed back as aware UTC datetimes on both SQLite and
PostgreSQL; enums are stored by their value, so the database reads the same
words the protocol uses.
"""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import DateTime, Enum, MetaData
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.types import TypeDecorator

MIGRATIONS = Path(__file__).parent / "migrations"

# Named constraints, so later migrations can refer to them on every database.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(TypeDecorator[datetime]):
    """An aware UTC datetime, stored without a zone (naive UTC) on every database."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("aggregator times must be timezone-aware; use utcnow()")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        moment: datetime = value
        return moment.replace(tzinfo=UTC)


def utcnow() -> datetime:
    """The current time, aware and in UTC, to the microsecond the database keeps."""
    return datetime.now(UTC)


def rfc3339(moment: datetime) -> str:
    """`2026-11-01T09:00:00Z`: the form every hubnet timestamp travels in."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def value_enum(enum_class: type[enum.Enum], name: str) -> Enum:
    """A column storing an enum by its value (a CHECK-constrained string, not a native enum)."""
    return Enum(
        enum_class,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=20,
        values_callable=lambda members: [member.value for member in members],
        validate_strings=True,
    )
