"""A hub's release carries its routing statistics and representation (issue 6).

The routed items and their answers come from the hub's own tables; the
population shares from the profile imported into the instance folder. What
leaves is protected: item counts by the count rule, and representation worked
out from the published breakdown only.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy.orm import Session

from federation.periods import Period
from hub.gather.services import raise_contribution
from hub.routing import services as routing
from hub.summary.services import prepare_release
from hub.voices.profile import PopulationProfile
from hub.voices.store import save_profile
from tests.hub.conftest import person, raise_item
from tests.hub.staff_helpers import make_staff

OCTOBER = Period.month(2026, 10)
NOW = datetime(2026, 11, 20, 9, tzinfo=UTC)
PUBLISHED = {"value": 10, "suppressed": False}
SUPPRESSED = {"value": None, "suppressed": True}


def route_and_answer(db: Session) -> None:
    """10 items routed to a trust on Thursday 1 October; 9 answered on Thursday 8 October
    (5 working days), 8 of them with a change planned; the tenth is late by 31 October."""
    admin = make_staff(db, "admin@example.org", "admin")
    trust = routing.add_organisation(db, admin, "Manchester Royal Infirmary", "nhs-trust", "R0A")
    for index in range(10):
        item = raise_item(
            db, person(db), title=f"Parking {index}", at=datetime(2026, 9, 30, 12, tzinfo=UTC)
        )
        routed = routing.route(db, item, trust, None, admin, today=date(2026, 10, 1))
        if index < 9:
            outcome = "change-planned" if index < 8 else "responded"
            routing.respond(
                db,
                routed,
                admin,
                "We will add spaces.",
                outcome,
                change_description="Forty more spaces" if index < 8 else None,
                today=date(2026, 10, 8),
            )
    db.commit()


def test_the_release_counts_routed_items_and_their_answers(db: Session, tmp_path: Path) -> None:
    route_and_answer(db)

    body = prepare_release(db, OCTOBER, {"INSTANCE_PATH": str(tmp_path)}, now=NOW).summary_body()

    block = body["routing"]
    assert block["window"] == {"start": "2025-11-01", "end": "2026-10-31"}
    trust = block["by_organisation_type"]["nhs-trust"]
    assert trust["routed"] == PUBLISHED  # 10
    assert trust["responded"] == PUBLISHED  # 9, rounded to 10
    assert trust["late"] == SUPPRESSED  # 1 (deadline 29 October, 30 October was a working day)
    assert trust["changes"] == PUBLISHED  # 8, rounded to 10
    assert trust["median_working_days"] == "5.0"
    assert trust["response_rate"] is None  # the late cell is suppressed
    assert block["national"] == {"value": 0, "suppressed": False}
    assert body["methods"]["routing"] == "sdc-count"
    assert body["representation"] is None  # no population profile imported


def test_the_release_carries_representation_from_the_imported_profile(
    db: Session, tmp_path: Path
) -> None:
    # 60 people: 10 say they are disabled, 50 that they are not; a fifth of the area is
    for index in range(60):
        raise_contribution(
            db,
            participant=person(db),
            kind="concern",
            title="Cannot get an appointment",
            body="I ring at 8am and every appointment has gone by 8.15.",
            theme_slug="gp-access",
            created_at=datetime(2026, 10, 10, 12, tzinfo=UTC),
            publish=True,
            about_you={"disability": "disabled" if index < 10 else "not-disabled"},
        )
    db.commit()
    profile = PopulationProfile.from_counts(
        {"disability": {"disabled": 200, "not-disabled": 800}}, label="Census 2021, test area"
    )
    save_profile(tmp_path, profile, NOW)

    body = prepare_release(db, OCTOBER, {"INSTANCE_PATH": str(tmp_path)}, now=NOW).summary_body()

    block = body["representation"]
    assert block["source"] == "Census 2021, test area"
    assert block["shares"] == {"disability": {"disabled": "0.200000", "not-disabled": "0.800000"}}
    cells = body["breakdowns"]["all"]["disability"]["cells"]
    assert (cells["disabled"]["value"], cells["not-disabled"]["value"]) == (10, 50)
    # (10/60)/0.2 = 0.8333; Wilson 95% for 10/60: centre 0.18672, half-width 0.09359,
    # so 0.09313-0.28031, divided by 0.2
    assert block["groups"]["disability"]["disabled"] == {
        "ratio": "0.8333", "lower": "0.4657", "upper": "1.4016", "flag": "in line"
    }  # fmt: skip
