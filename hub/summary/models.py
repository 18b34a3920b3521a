"""Releases: the one protected summary body per period, built once and kept.

A release is the exact set of numbers that leaves the hub for a period. It is
built the first time anything asks for the period (the preview, `push`) and
stored as canonical JSON bytes with the decision behind every cell, so a
preview, a push and any re-send all show and send the same cells. With
differential privacy on this matters twice over: building the period again
would draw fresh noise, and averaging many noisy copies of one count gives the
true count back. `(period_start, period_end)` is unique, so two racing builds
cannot both be stored (the second one's transaction fails and rolls back).
"""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from federation.canonical import parse_json
from federation.periods import Period
from hub.db import Base, UTCDateTime, utcnow


class StoredRelease(Base):
    __tablename__ = "releases"
    __table_args__ = (UniqueConstraint("period_start", "period_end"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    body: Mapped[str] = mapped_column(Text)  # canonical JSON (federation.canonical), as text
    decisions: Mapped[str] = mapped_column(Text)  # JSON list: one decision per cell/table/quote
    mechanism: Mapped[str] = mapped_column(String(20))  # "none" or "geometric"
    epsilon: Mapped[str | None] = mapped_column(String(40))  # decimal string when DP is on

    @property
    def period(self) -> Period:
        return Period(self.period_start, self.period_end)

    def summary_body(self) -> dict[str, Any]:
        """The `summary/1` body exactly as stored (a fresh copy each call)."""
        body: dict[str, Any] = parse_json(self.body.encode("utf-8"))
        return body

    def decision_list(self) -> list[dict[str, Any]]:
        """The decisions, as dicts with the fields of `federation.disclosure.engine.Decision`."""
        decisions: list[dict[str, Any]] = json.loads(self.decisions)
        return decisions
