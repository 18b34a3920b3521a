"""Reporting periods: parsing, months, labels."""

from __future__ import annotations

from datetime import date

import pytest

from federation.periods import Period


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("2026-10", date(2026, 10, 1), date(2026, 10, 31)),
        ("2026-02", date(2026, 2, 1), date(2026, 2, 28)),
        ("2028-02", date(2028, 2, 1), date(2028, 2, 29)),
        ("2026-12", date(2026, 12, 1), date(2026, 12, 31)),
        ("2026-Q1", date(2026, 1, 1), date(2026, 3, 31)),
        ("2026-q4", date(2026, 10, 1), date(2026, 12, 31)),
        ("2026-W44", date(2026, 10, 26), date(2026, 11, 1)),
        ("2026-W01", date(2025, 12, 29), date(2026, 1, 4)),
        ("2026-10-05/2026-10-18", date(2026, 10, 5), date(2026, 10, 18)),
        ("2026-10-05/2026-10-05", date(2026, 10, 5), date(2026, 10, 5)),
        ("  2026-10  ", date(2026, 10, 1), date(2026, 10, 31)),
    ],
)
def test_parse(text: str, start: date, end: date) -> None:
    assert Period.parse(text) == Period(start, end)


@pytest.mark.parametrize(
    "text",
    [
        "2026-13",
        "2026-00",
        "2026-Q5",
        "2026-W54",
        "2025-W53",
        "October 2026",
        "2026-10-31/2026-10-01",
        "2026-02-30/2026-03-01",
        "",
    ],
)
def test_parse_refuses(text: str) -> None:
    with pytest.raises(ValueError):
        Period.parse(text)


def test_end_before_start_is_refused() -> None:
    with pytest.raises(ValueError, match="before it starts"):
        Period(date(2026, 10, 2), date(2026, 10, 1))


@pytest.mark.parametrize(
    ("today", "label"),
    [
        (date(2026, 11, 1), "2026-10"),
        (date(2026, 11, 30), "2026-10"),
        (date(2026, 1, 15), "2025-12"),
        (date(2026, 3, 31), "2026-02"),
    ],
)
def test_last_full_month(today: date, label: str) -> None:
    assert Period.last_full_month(today).label == label


def test_labels_and_json() -> None:
    assert Period.parse("2026-10").label == "2026-10"
    assert str(Period.parse("2026-Q4")) == "2026-10-01/2026-12-31"
    assert Period.parse("2026-10-01/2026-10-30").label == "2026-10-01/2026-10-30"
    assert Period.parse("2026-10").as_json() == {"start": "2026-10-01", "end": "2026-10-31"}


def test_label_round_trips() -> None:
    for text in ("2026-10", "2026-10-05/2026-10-18"):
        assert Period.parse(Period.parse(text).label).label == text


def test_periods_order_by_start() -> None:
    assert sorted([Period.parse("2026-11"), Period.parse("2026-10")])[0].label == "2026-10"
