"""`count_raw` and `build_summary`: distinct people per cell, counted in SQL, then protected."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy.orm import Session

from federation.disclosure import DEFAULT_RULE, check_release
from federation.periods import Period
from federation.statement import validate_body
from federation.taxonomy import load_taxonomy
from hub.gather.models import Contribution, Participant, Support
from hub.gather.services import support_contribution
from hub.summary.models import StoredRelease
from hub.summary.services import build_summary, count_raw
from hub.themes.services import add_local_theme
from tests.hub.conftest import person, raise_item

OCTOBER = Period.month(2026, 10)
SUPPRESSED = {"value": None, "suppressed": True}


def cell(value: int) -> dict[str, Any]:
    return {"value": value, "suppressed": False}


def at(month: int, day: int, hour: int = 12, minute: int = 0, second: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, second, tzinfo=UTC)


@pytest.fixture
def october(db: Session) -> dict[str, Any]:
    """A known month of activity; the expected counts are in each test."""
    gp = [person(db) for _ in range(9)]
    # 9 people raise GP access concerns, from the first second to the last second of October.
    raise_item(db, gp[0], at=at(10, 1, 0, 0, 0))
    for index, someone in enumerate(gp[1:8], start=2):
        raise_item(db, someone, at=at(10, index * 3))
    raise_item(db, gp[8], at=at(10, 31, 23, 59, 59))
    # One of them raises 4 more items (ideas): still one person.
    for day in range(2, 6):
        raise_item(db, gp[0], kind="idea", at=at(10, day))
    # Just outside October: not counted.
    september_item = raise_item(db, person(db), at=at(9, 30, 23, 59, 59))
    raise_item(db, person(db), at=at(11, 1, 0, 0, 0))
    # "Me too" counts by the support's date: 3 new people support a September item in
    # October, one GP contributor supports too, and a November support is not counted.
    supporters = [person(db) for _ in range(3)]
    for someone in supporters:
        support_contribution(
            db, contribution_id=september_item.id, participant=someone, created_at=at(10, 20)
        )
    support_contribution(
        db, contribution_id=september_item.id, participant=gp[1], created_at=at(10, 21)
    )
    support_contribution(
        db, contribution_id=september_item.id, participant=person(db), created_at=at(11, 2)
    )
    # Dentistry: 3 people ask questions (suppressed).
    for _ in range(3):
        raise_item(db, person(db), theme="dentistry", kind="question")
    # Mental health: 13 people share experiences (13 → 15).
    for _ in range(13):
        raise_item(db, person(db), theme="mental-health", kind="experience")
    # A local theme counts under its national code: 8 people (8 → 10).
    add_local_theme(db, "hospital-discharge", "Leaving hospital", "care-integration")
    for _ in range(8):
        raise_item(db, person(db), theme="hospital-discharge")
    db.commit()
    return {"gp": gp, "supporters": supporters}


def rows(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {row["code"]: row for row in body["themes"]}


def test_raw_counts_are_distinct_people_within_the_inclusive_period(
    db: Session, october: dict[str, Any]
) -> None:
    counts = count_raw(db, OCTOBER, DEFAULT_RULE)
    gp = counts.theme("gp-access")

    assert gp.contributors == 9  # not 13 items, not 10 or 11
    assert gp.supporters == 4
    assert gp.people == 12  # 9 raised, 3 more only supported
    assert dict(gp.by_kind) == {"concern": 9, "idea": 1}
    assert gp.contributions == 8 + 3  # the one who raised 5 items counts 3 times (the cap)
    assert counts.theme("care-integration").people == 8
    assert counts.participants == 9 + 3 + 3 + 13 + 8
    assert (counts.contributors, counts.supporters) == (9 + 3 + 13 + 8, 4)


def test_single_day_periods_include_the_whole_day(db: Session, october: dict[str, Any]) -> None:
    first_day = count_raw(db, Period(date(2026, 10, 1), date(2026, 10, 1)), DEFAULT_RULE)
    last_day = count_raw(db, Period(date(2026, 10, 31), date(2026, 10, 31)), DEFAULT_RULE)
    first_of_november = count_raw(db, Period(date(2026, 11, 1), date(2026, 11, 1)), DEFAULT_RULE)

    assert first_day.theme("gp-access").people == 1
    assert last_day.theme("gp-access").people == 1
    assert first_of_november.theme("gp-access").people == 1


def test_summary_cells_are_suppressed_and_rounded(db: Session, october: dict[str, Any]) -> None:
    body = build_summary(db, OCTOBER)
    themes = rows(body)

    assert themes["gp-access"] == {
        "code": "gp-access",
        "people": cell(10),  # 12 → 10
        "contributors": cell(10),  # 9 → 10
        "supporters": SUPPRESSED,  # 4
        "contributions": cell(10),  # 11 (capped) → 10
        "by_kind": {
            "idea": SUPPRESSED,  # 1 person with 4 ideas
            "concern": cell(10),
            "question": cell(0),
            "experience": cell(0),
        },
    }
    assert themes["dentistry"]["contributors"] == SUPPRESSED
    assert themes["dentistry"]["contributions"] == SUPPRESSED  # fewer than 8 contributors
    assert themes["dentistry"]["people"] == SUPPRESSED
    assert themes["dentistry"]["by_kind"]["question"] == SUPPRESSED
    assert themes["mental-health"]["people"] == cell(15)
    assert themes["mental-health"]["by_kind"]["experience"] == cell(15)
    assert themes["care-integration"]["contributors"] == cell(10)
    assert themes["cancer"] == {
        "code": "cancer",
        "people": cell(0),
        "contributors": cell(0),
        "supporters": cell(0),
        "contributions": cell(0),
        "by_kind": {kind: cell(0) for kind in ("idea", "concern", "question", "experience")},
    }
    assert body["participation"] == {
        "participants": cell(35),  # 36
        "contributors": cell(35),  # 33
        "supporters": SUPPRESSED,  # 4
    }
    # Nobody answered "about you": everyone is not-stated, so no table may be published.
    assert body["breakdowns"]["all"]["age_band"] == {"withheld": True}
    assert body["breakdowns"]["dentistry"]["disability"] == {"withheld": True}


def test_summary_has_every_national_theme_in_order_and_passes_the_aggregators_checks(
    db: Session, october: dict[str, Any]
) -> None:
    body = build_summary(db, OCTOBER)

    codes = [row["code"] for row in body["themes"]]
    assert codes == list(load_taxonomy("national/1").codes)  # the taxonomy's order
    assert sorted(body["breakdowns"]) == sorted(["all", *codes])
    assert body["taxonomy"] == "national/1"
    assert body["disclosure"] == DEFAULT_RULE.as_json()
    assert body["methods"]["themes"] == "sdc-count"
    validate_body("summary/1", body)
    check_release(body)


def test_an_empty_period_gives_zeros_not_suppressions(db: Session) -> None:
    body = build_summary(db, OCTOBER)

    assert body["participation"]["participants"] == cell(0)
    assert all(row["people"] == cell(0) for row in body["themes"])


def test_building_a_summary_loads_no_rows_into_python(db: Session, october: dict[str, Any]) -> None:
    db.expunge_all()

    build_summary(db, OCTOBER)

    assert not any(isinstance(obj, Participant | Contribution | Support) for obj in db)
    assert all(isinstance(obj, StoredRelease) for obj in db.identity_map.values())
