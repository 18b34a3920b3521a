"""Reporting periods: the date range a summary covers.

A period is a pair of dates, both inclusive (1 October to 31 October), as
statistical releases state them. It can be named compactly: `2026-10` (a
month), `2026-Q4` (a quarter), `2026-W44` (an ISO week), or
`2026-10-01/2026-10-31` (any range). Leaves out: which periods a hub pushes
(the hub's schedule decides).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta


@dataclass(frozen=True, order=True)
class Period:
    start: date
    end: date

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError(f"period ends ({self.end}) before it starts ({self.start})")

    @classmethod
    def parse(cls, text: str) -> Period:
        """Parse `YYYY-MM`, `YYYY-Qn`, `YYYY-Www` or `YYYY-MM-DD/YYYY-MM-DD`."""
        text = text.strip()
        if match := re.fullmatch(r"(\d{4})-(\d{2})", text):
            return cls.month(int(match[1]), int(match[2]))
        if match := re.fullmatch(r"(\d{4})-Q([1-4])", text, flags=re.IGNORECASE):
            year, quarter = int(match[1]), int(match[2])
            start = date(year, 3 * quarter - 2, 1)
            return cls(start, cls.month(year, 3 * quarter).end)
        if match := re.fullmatch(r"(\d{4})-W(\d{2})", text, flags=re.IGNORECASE):
            start = date.fromisocalendar(int(match[1]), int(match[2]), 1)
            return cls(start, start + timedelta(days=6))
        if match := re.fullmatch(r"(\d{4}-\d{2}-\d{2})/(\d{4}-\d{2}-\d{2})", text):
            return cls(date.fromisoformat(match[1]), date.fromisoformat(match[2]))
        raise ValueError(
            f"cannot read period {text!r}: use 2026-10, 2026-Q4, 2026-W44 or 2026-10-01/2026-10-31"
        )

    @classmethod
    def month(cls, year: int, month: int) -> Period:
        """The whole calendar month."""
        if not 1 <= month <= 12:
            raise ValueError(f"month must be 01–12, got {month:02d}")
        start = date(year, month, 1)
        following = date(year + (month == 12), month % 12 + 1, 1)
        return cls(start, following - timedelta(days=1))

    @classmethod
    def last_full_month(cls, today: date) -> Period:
        """The calendar month before the one `today` is in."""
        previous = today.replace(day=1) - timedelta(days=1)
        return cls.month(previous.year, previous.month)

    @property
    def label(self) -> str:
        """The compact name: `2026-10` for a whole month, else `start/end`."""
        if self.start.day == 1 and self == Period.month(self.start.year, self.start.month):
            return f"{self.start:%Y-%m}"
        return f"{self.start.isoformat()}/{self.end.isoformat()}"

    def as_json(self) -> dict[str, str]:
        """`{"start": "YYYY-MM-DD", "end": "YYYY-MM-DD"}`, as statements carry it."""
        return {"start": self.start.isoformat(), "end": self.end.isoformat()}

    def __str__(self) -> str:
        return self.label
