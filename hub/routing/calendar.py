"""Working days in England, for response deadlines and "days to respond" (issue 6).

A routed item's response deadline is a number of working days after the day it
was routed (20 by default, `DEFAULT_RESPONSE_DAYS`). A working day is Monday
to Friday, except England's bank holidays and any closure days the hub adds
(a council's extra day off at Christmas, say). The day of routing itself never
counts: an item routed on a Monday with 1 working day is due on the Tuesday.

- `is_working_day(day, extra_closures=())`
- `add_working_days(start, days, extra_closures=())`: the date `days` working
  days after `start` (the deadline); `days` must be at least 1.
- `working_days_between(start, end, extra_closures=())`: how many working days
  fall after `start`, up to and including `end` ("days to respond", "late by N
  working days"). Zero when `end` is `start` or only weekends and holidays lie
  between. It is the inverse of `add_working_days`:
  `working_days_between(s, add_working_days(s, n)) == n`.
- `england_bank_holidays(year)`: the bank holidays themselves.

Bank holidays come from the `holidays` package (python-holidays), country "GB",
subdivision "ENG": it has the substitute days when a holiday falls at a weekend
(Monday 28 December 2026 for Boxing Day on the Saturday) and the one-off days
(the State Funeral on 19 September 2022, the Coronation on 8 May 2023). A
one-off day announced after the installed release is missing until the package
is upgraded, or until the hub lists it in `extra_closures`. England and Wales
share their bank holidays; Scotland and Northern Ireland differ and are not
covered here.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from functools import cache

import holidays

DEFAULT_RESPONSE_DAYS = 20
_SATURDAY = 5  # date.weekday(): Monday is 0


@cache
def england_bank_holidays(year: int) -> frozenset[date]:
    """England's bank holidays in `year`, substitute days and one-off days included."""
    return frozenset(holidays.country_holidays("GB", subdiv="ENG", years=year))


def is_working_day(day: date, extra_closures: Iterable[date] = ()) -> bool:
    """True when `day` is Monday to Friday, not a bank holiday and not one of `extra_closures`."""
    _check_date("day", day)
    return _is_working_day(day, _closures(extra_closures))


def add_working_days(start: date, days: int, extra_closures: Iterable[date] = ()) -> date:
    """The date `days` working days after `start`; `start` itself never counts, `days` >= 1.

    An item routed on Thursday 17 December 2026 with 20 working days is due on
    Tuesday 19 January 2027 (Christmas Day, the Boxing Day substitute on Monday
    28 December and New Year's Day are skipped).
    """
    _check_date("start", start)
    if isinstance(days, bool) or not isinstance(days, int):
        raise TypeError(f"days must be a whole number of working days, not {days!r}")
    if days < 1:
        raise ValueError(
            f"days must be at least 1 working day, got {days}: a response deadline "
            "lies after the day of routing"
        )
    closures = _closures(extra_closures)
    day = start
    remaining = days
    while remaining:
        day += timedelta(days=1)
        if _is_working_day(day, closures):
            remaining -= 1
    return day


def working_days_between(start: date, end: date, extra_closures: Iterable[date] = ()) -> int:
    """How many working days fall after `start` up to and including `end`.

    Routed on a Monday and answered on the Wednesday: 2. Answered the same day: 0.
    `end` before `start` is refused (ValueError): a response cannot precede routing.
    """
    _check_date("start", start)
    _check_date("end", end)
    if end < start:
        raise ValueError(f"end ({end.isoformat()}) is before start ({start.isoformat()})")
    span = (end - start).days
    # Whole weeks hold five weekdays each; walk the few days left over.
    weekdays = span // 7 * 5
    for offset in range(span - span % 7 + 1, span + 1):
        if (start + timedelta(days=offset)).weekday() < _SATURDAY:
            weekdays += 1
    closed = _closures(extra_closures)
    for year in range(start.year, end.year + 1):
        closed |= england_bank_holidays(year)
    closed_weekdays = sum(1 for d in closed if start < d <= end and d.weekday() < _SATURDAY)
    return weekdays - closed_weekdays


def _is_working_day(day: date, closures: frozenset[date]) -> bool:
    return (
        day.weekday() < _SATURDAY
        and day not in closures
        and day not in england_bank_holidays(day.year)
    )


def _closures(extra_closures: Iterable[date]) -> frozenset[date]:
    closures = frozenset(extra_closures)
    for day in closures:
        _check_date("each of extra_closures", day)
    return closures


def _check_date(name: str, value: object) -> None:
    # datetime is a subclass of date, but mixing the two gives wrong comparisons
    # (a datetime is never "in" a set of dates): ask for the date instead.
    if isinstance(value, datetime) or not isinstance(value, date):
        raise TypeError(
            f"{name} must be a datetime.date (use .date() on a datetime), not {value!r}"
        )
