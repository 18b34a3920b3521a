"""The SQL aggregates behind a release: breakdowns, the contribution cap, the DP theme cap.

Run on SQLite by default and on PostgreSQL with HUBNET_TEST_DATABASE_URL (the
window function and CASE expressions must work on both).
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.orm import Session

from federation.disclosure import DEFAULT_RULE, DisclosureRule
from federation.disclosure.tables import RawCounts, validate_raw
from federation.periods import Period
from hub.gather.models import Participant
from hub.gather.services import support_contribution
from hub.summary.services import count_raw
from tests.hub.conftest import person, raise_item

OCTOBER = Period.month(2026, 10)


def at(day: int, hour: int = 12) -> datetime:
    return datetime(2026, 10, day, hour, tzinfo=UTC)


def answered(db: Session, **answers: str | None) -> Participant:
    someone = person(db)
    for name, value in answers.items():
        setattr(someone, name, value)
    return someone


def flat(raw: RawCounts) -> dict[str, int]:
    """Every count in `raw` by path, zeros left out (a missing count is zero)."""
    cells = {
        "participants": raw.participants,
        "contributors": raw.contributors,
        "supporters": raw.supporters,
    }
    for code, theme in raw.themes.items():
        for name, value in asdict(theme).items():
            if name == "by_kind":
                cells |= {f"{code}.kind.{k}": v for k, v in value.items()}
            else:
                cells[f"{code}.{name}"] = value
    for scope, tables in raw.breakdowns.items():
        for characteristic, categories in tables.items():
            for category, value in categories.items():
                cells[f"{scope}.{characteristic}.{category}"] = value
    return {path: value for path, value in cells.items() if value}


def test_breakdowns_count_people_by_their_answers_and_sum_to_each_margin(db: Session) -> None:
    people = [
        answered(db, age_band="25-34", ethnic_group="asian", disability="disabled"),
        answered(db, age_band="25-34", ethnic_group="prefer-not-to-say", unpaid_carer="carer"),
        answered(db, age_band="75-plus", urban_rural="rural"),
        answered(db, age_band="prefer-not-to-say"),
        answered(db),  # never answered
    ]
    for someone in people:
        raise_item(db, someone, at=at(3))
        raise_item(db, someone, at=at(4))  # twice: still one person in every cell
    raise_item(db, people[0], theme="dentistry", at=at(5))
    support_contribution(
        db,
        contribution_id=raise_item(db, people[4], theme="dentistry", at=at(6)).id,
        participant=people[2],
        created_at=at(7),
    )
    db.commit()

    raw = count_raw(db, OCTOBER, DEFAULT_RULE)

    validate_raw(raw, contribution_cap=DEFAULT_RULE.contribution_cap)  # every table sums
    assert raw.breakdown("all", "age_band") == {
        **dict.fromkeys(raw.breakdown("all", "age_band"), 0),
        "25-34": 2,
        "75-plus": 1,
        "not-stated": 2,  # prefer-not-to-say and never answered alike
    }
    assert raw.breakdown("all", "ethnic_group")["not-stated"] == 4
    assert raw.breakdown("all", "disability") == {"disabled": 1, "not-disabled": 0, "not-stated": 4}
    assert raw.breakdown("dentistry", "urban_rural") == {"urban": 0, "rural": 1, "not-stated": 2}
    assert raw.breakdown("dentistry", "age_band")["25-34"] == 1
    assert raw.theme("dentistry").people == 3


def test_contributions_are_capped_per_person_per_theme_in_sql(db: Session) -> None:
    loud, quiet = person(db), person(db)
    for day in range(1, 8):
        raise_item(db, loud, at=at(day))
    raise_item(db, quiet, at=at(2))
    raise_item(db, loud, theme="dentistry", at=at(9))
    db.commit()

    default = count_raw(db, OCTOBER, DEFAULT_RULE)
    stricter = count_raw(db, OCTOBER, DisclosureRule(contribution_cap=1))

    assert default.theme("gp-access").contributions == 3 + 1
    assert stricter.theme("gp-access").contributions == 1 + 1
    assert default.theme("dentistry").contributions == 1


def test_with_differential_privacy_a_person_counts_only_in_their_first_themes(
    db: Session,
) -> None:
    """The window function keeps each person's first M themes by their earliest act."""
    busy, other = person(db), person(db)
    themes = ["dentistry", "gp-access", "mental-health", "cancer", "pharmacy"]
    for day, theme in enumerate(themes, start=1):
        raise_item(db, busy, theme=theme, at=at(day))
    raise_item(db, busy, theme="dentistry", at=at(20))  # a later act in an early theme counts
    # An earlier "me too" makes pharmacy one of the person's first themes.
    pharmacy_item = raise_item(db, other, theme="pharmacy", at=at(1, 8))
    support_contribution(
        db, contribution_id=pharmacy_item.id, participant=busy, created_at=at(1, 9)
    )
    db.commit()

    uncapped = count_raw(db, OCTOBER, DEFAULT_RULE)
    capped = count_raw(db, OCTOBER, DEFAULT_RULE, max_themes_per_person=3)

    assert {code for code in themes if uncapped.theme(code).people} == set(themes)
    # busy's first three themes: pharmacy (a support at 09:00 on the 1st, before the
    # dentistry item at 12:00), dentistry (1st), gp-access (2nd)
    assert capped.theme("pharmacy").people == 2
    assert capped.theme("pharmacy").supporters == 1
    assert capped.theme("dentistry").contributions == 2  # both of its items
    assert capped.theme("gp-access").people == 1
    assert capped.theme("mental-health").people == 0
    assert capped.theme("cancer").people == 0
    assert capped.participants == uncapped.participants == 2
    validate_raw(capped, contribution_cap=3)


LOUD_CASES = ["raises 50 ideas", "says me too 200 times"]


@pytest.fixture
def community(db: Session) -> list[Any]:
    """40 people raising 5 items each in GP access, with some answers and supports."""
    items = []
    bands = ["16-24", "25-34", "35-44", "prefer-not-to-say", None]
    for index in range(40):
        someone = answered(
            db, age_band=bands[index % 5], disability="disabled" if index % 3 else None
        )
        for day in range(5):
            items.append(raise_item(db, someone, kind="concern", at=at(1 + day, 8 + index % 10)))
        if index % 4 == 0:
            raise_item(db, someone, theme="dentistry", at=at(10))
    db.commit()
    return items


@pytest.mark.parametrize("case", LOUD_CASES)
@pytest.mark.parametrize("differential_privacy", [False, True], ids=["sdc", "dp"])
def test_one_person_moves_each_count_by_at_most_one_and_contributions_by_the_cap(
    db: Session, community: list[Any], case: str, differential_privacy: bool
) -> None:
    """Adversarial test 8: compare every count with and without one very active person."""
    themes = 3 if differential_privacy else None
    without = flat(count_raw(db, OCTOBER, DEFAULT_RULE, max_themes_per_person=themes))
    loud = answered(db, age_band="25-34", ethnic_group="black", unpaid_carer="carer")
    if case == "raises 50 ideas":
        for number in range(50):
            raise_item(db, loud, kind="idea", at=at(15) + timedelta(minutes=number))
    else:
        for item in community:
            support_contribution(db, contribution_id=item.id, participant=loud, created_at=at(16))
    db.commit()

    with_loud = flat(count_raw(db, OCTOBER, DEFAULT_RULE, max_themes_per_person=themes))

    changes = {
        path: with_loud.get(path, 0) - without.get(path, 0)
        for path in with_loud.keys() | without.keys()
    }
    assert any(changes.values())  # the person was counted
    for path, change in changes.items():
        limit = DEFAULT_RULE.contribution_cap if path.endswith(".contributions") else 1
        assert 0 <= change <= limit, f"{path} moved by {change}"
    if case == "raises 50 ideas":
        assert changes["gp-access.contributions"] == 3  # 50 items count as 3
    else:
        assert changes["gp-access.supporters"] == 1  # 200 supports are one supporter
