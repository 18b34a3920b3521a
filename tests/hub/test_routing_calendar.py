"""Working days in England: response deadlines and days to respond, worked by hand."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from hub.routing.calendar import (
    DEFAULT_RESPONSE_DAYS,
    add_working_days,
    england_bank_holidays,
    is_working_day,
    working_days_between,
)


def test_twenty_working_days_across_christmas_and_new_year_2026() -> None:
    # Routed Thursday 17 December 2026; the routing day itself does not count.
    #   1 Fri 18 Dec                       (Sat 19, Sun 20 weekend)
    #   2 Mon 21, 3 Tue 22, 4 Wed 23, 5 Thu 24
    #     Fri 25 Christmas Day; Sat 26 Boxing Day and Sun 27 weekend;
    #     Mon 28 Dec is the substitute bank holiday for Boxing Day
    #   6 Tue 29, 7 Wed 30, 8 Thu 31
    #     Fri 1 Jan 2027 New Year's Day    (Sat 2, Sun 3 weekend)
    #   9 Mon 4, 10 Tue 5, 11 Wed 6, 12 Thu 7, 13 Fri 8
    #  14 Mon 11, 15 Tue 12, 16 Wed 13, 17 Thu 14, 18 Fri 15
    #  19 Mon 18, 20 Tue 19 January 2027
    routed = date(2026, 12, 17)
    assert add_working_days(routed, DEFAULT_RESPONSE_DAYS) == date(2027, 1, 19)
    assert working_days_between(routed, date(2027, 1, 19)) == 20
    # Counting on from Christmas Eve (day 5): the next working day is Tuesday 29th.
    assert add_working_days(date(2026, 12, 24), 1) == date(2026, 12, 29)


def test_substitute_and_weekend_days_are_not_working_days() -> None:
    assert not is_working_day(date(2026, 12, 25))  # Christmas Day, a Friday
    assert not is_working_day(date(2026, 12, 26))  # Boxing Day, a Saturday
    assert not is_working_day(date(2026, 12, 28))  # its substitute, Monday
    assert not is_working_day(date(2027, 1, 1))  # New Year's Day, a Friday
    assert is_working_day(date(2026, 12, 29))  # an ordinary Tuesday
    assert not is_working_day(date(2026, 12, 19))  # an ordinary Saturday


def test_easter_2027() -> None:
    # Good Friday 26 March 2027, Easter Monday 29 March 2027.
    # Routed Wednesday 24 March, 5 working days:
    #   1 Thu 25; Fri 26 Good Friday; Sat 27, Sun 28; Mon 29 Easter Monday;
    #   2 Tue 30, 3 Wed 31, 4 Thu 1 April, 5 Fri 2 April.
    assert add_working_days(date(2027, 3, 24), 5) == date(2027, 4, 2)
    assert not is_working_day(date(2027, 3, 26))
    assert not is_working_day(date(2027, 3, 29))
    # Answered on the Tuesday after Easter: Thu 25 and Tue 30, so 2 working days.
    assert working_days_between(date(2027, 3, 24), date(2027, 3, 30)) == 2


def test_one_off_bank_holidays_state_funeral_and_coronation() -> None:
    # State Funeral of Queen Elizabeth II, Monday 19 September 2022.
    # Routed Friday 16 September, 1 working day: Sat 17, Sun 18, Mon 19 closed -> Tue 20.
    assert add_working_days(date(2022, 9, 16), 1) == date(2022, 9, 20)
    assert date(2022, 9, 19) in england_bank_holidays(2022)
    # Coronation of King Charles III, Monday 8 May 2023, a week after May Day (Mon 1 May).
    # Routed Friday 28 April 2023, 5 working days:
    #   Mon 1 May closed; 1 Tue 2, 2 Wed 3, 3 Thu 4, 4 Fri 5; Mon 8 closed; 5 Tue 9 May.
    assert add_working_days(date(2023, 4, 28), 5) == date(2023, 5, 9)
    assert date(2023, 5, 8) in england_bank_holidays(2023)


def test_a_hubs_own_closure_days_are_skipped() -> None:
    # A council closed on Tuesday 29 December 2026 as well: from Christmas Eve the
    # next working day moves on to Wednesday 30th.
    extra = [date(2026, 12, 29)]
    assert not is_working_day(date(2026, 12, 29), extra)
    assert add_working_days(date(2026, 12, 24), 1, extra) == date(2026, 12, 30)
    # Routed Thu 17 Dec: one working day fewer before 19 Jan, so day 20 is Wed 20 Jan.
    assert add_working_days(date(2026, 12, 17), 20, extra) == date(2027, 1, 20)
    assert working_days_between(date(2026, 12, 17), date(2027, 1, 19), extra) == 19
    # A closure on a day that is already closed changes nothing (not counted twice).
    assert working_days_between(date(2026, 12, 17), date(2027, 1, 19), [date(2026, 12, 28)]) == 20


def test_between_counts_after_start_up_to_and_including_end() -> None:
    monday = date(2026, 6, 1)
    assert working_days_between(monday, monday) == 0  # answered the day it was routed
    assert working_days_between(monday, date(2026, 6, 3)) == 2  # Tue, Wed
    # Friday to the Sunday after: only the weekend lies between.
    assert working_days_between(date(2026, 6, 5), date(2026, 6, 7)) == 0
    # Ordinary weeks (June 2026 has no bank holiday): 4 weeks, 20 working days.
    assert working_days_between(monday, monday + timedelta(weeks=4)) == 20


def test_between_is_the_inverse_of_add() -> None:
    # Every start day over two years (Christmases, Easters, substitute days),
    # and a brute-force count of working days for the long-span formula.
    start = date(2026, 1, 1)
    for offset in range(0, 730, 3):
        routed = start + timedelta(days=offset)
        for days in (1, 5, 20, 61):
            deadline = add_working_days(routed, days)
            assert working_days_between(routed, deadline) == days
            assert is_working_day(deadline)
    brute = sum(1 for n in range(1, 800) if is_working_day(date(2025, 12, 20) + timedelta(days=n)))
    assert working_days_between(date(2025, 12, 20), date(2025, 12, 20) + timedelta(days=799)) == (
        brute
    )


@pytest.mark.parametrize("days", [0, -1, -20])
def test_zero_or_negative_days_are_refused(days: int) -> None:
    with pytest.raises(ValueError, match="at least 1 working day"):
        add_working_days(date(2026, 6, 1), days)


def test_end_before_start_is_refused() -> None:
    with pytest.raises(ValueError, match="before start"):
        working_days_between(date(2026, 6, 3), date(2026, 6, 1))


def test_datetimes_and_fractional_days_are_refused() -> None:
    with pytest.raises(TypeError, match=r"\.date\(\)"):
        add_working_days(datetime(2026, 6, 1, 9, 30), 20)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="whole number"):
        add_working_days(date(2026, 6, 1), 2.5)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="extra_closures"):
        is_working_day(date(2026, 6, 1), ["2026-06-02"])  # type: ignore[list-item]
