"""The volunteer pool and fair draws: opting in, withdrawing, drawing a panel, its report.

Runs on SQLite, and on PostgreSQL with HUBNET_TEST_DATABASE_URL set. Each
refusal is checked after a rollback: nothing of it may be stored.
"""

from __future__ import annotations

import hashlib
import json
import random

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hub.assembly.selection import Quota, Volunteer, select_panel
from hub.gather.models import Ward
from hub.panels import services
from hub.panels.models import PanelDraw, PanelMember, PanelVolunteer, Purpose
from hub.panels.services import DrawInfeasible, PanelError, VolunteerErrors
from hub.staff.models import StaffAction, StaffUser
from hub.voices.profile import PopulationProfile
from tests.hub.staff_helpers import make_staff

# A quarter of the area is disabled, half lives in the countryside. For a panel of 4
# with slack 1 the targets are disabled 1, not disabled 3, urban 2, rural 2, so the
# quotas are disabled 0-2, not disabled 2-4, urban 1-3, rural 1-3.
PROFILE = PopulationProfile.from_counts(
    {
        "disability": {"disabled": 250, "not-disabled": 750},
        "urban_rural": {"urban": 500, "rural": 500},
    },
    label="test profile",
)
QUOTAS = [
    {"characteristic": "disability", "category": "disabled", "minimum": 0, "maximum": 2},
    {"characteristic": "disability", "category": "not-disabled", "minimum": 2, "maximum": 4},
    {"characteristic": "urban_rural", "category": "rural", "minimum": 1, "maximum": 3},
    {"characteristic": "urban_rural", "category": "urban", "minimum": 1, "maximum": 3},
]
NAMES = ["Ada Ash", "Ben Birch", "Cat Cedar", "Dev Dogwood", "Eve Elm", "Fay Fir", "Gus Gum"]


def _volunteer(db: Session, name: str, disability: str, urban_rural: str, **extra: str) -> str:
    volunteer, _ = services.add_volunteer(
        db,
        name=name,
        email=f"{name.split()[0].lower()}@example.org",
        phone=None,
        ward_code=None,
        about_you={"disability": disability, "urban_rural": urban_rural, **extra},
        support_needs=None,
        consent=True,
    )
    return volunteer.number


@pytest.fixture
def facilitator(db: Session) -> StaffUser:
    return make_staff(db, "fa@example.org", "facilitator")


@pytest.fixture
def pool(db: Session) -> list[str]:
    """Eight volunteers: two of each (disabled or not) x (urban or rural)."""
    numbers = []
    for i, (disability, place) in enumerate(
        [(d, p) for d in ("disabled", "not-disabled") for p in ("urban", "rural")] * 2
    ):
        numbers.append(_volunteer(db, f"Person{i} Test", disability, place))
    db.commit()
    return numbers


def _draw(db: Session, me: StaffUser, seed: str = "spring-2027", **kwargs: object) -> PanelDraw:
    arguments: dict[str, object] = {
        "title": "Citizens' Jury, spring 2027",
        "purpose": "jury",
        "panel_size": 4,
        "seed": seed,
        "profile": PROFILE,
        **kwargs,
    }
    return services.draw_panel(db, me, **arguments)  # type: ignore[arg-type]


def _count(db: Session, model: type) -> int:
    return db.scalar(select(func.count()).select_from(model)) or 0


# -- volunteers ------------------------------------------------------------------------------


def test_a_volunteer_is_stored_with_a_number_and_a_hashed_withdraw_token(db: Session) -> None:
    db.add(Ward(code="E05011234", name="Ancoats and Beswick"))
    volunteer, token = services.add_volunteer(
        db,
        name="  Ada   Lovelace ",
        email="Ada@Example.ORG",
        phone=None,
        ward_code="E05011234",
        about_you={"age_band": "35-44", "ethnic_group": "prefer-not-to-say", "disability": ""},
        support_needs="A hearing loop, please",
        consent=True,
    )
    db.commit()

    stored = db.get(PanelVolunteer, volunteer.id)
    assert stored is not None
    assert stored.name == "Ada Lovelace"
    assert stored.email == "ada@example.org"
    assert stored.number.startswith("V-") and len(stored.number) == 6
    assert (stored.age_band, stored.ethnic_group, stored.disability) == (
        "35-44",
        "prefer-not-to-say",
        None,
    )
    assert stored.ward_code == "E05011234"
    assert stored.withdraw_token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in (stored.withdraw_token_hash or "")
    assert stored.consent_at is not None and stored.withdrawn_at is None
    assert services.volunteer_for_token(db, token) == stored
    assert services.volunteer_for_token(db, token[:-1] + ("A" if token[-1] != "A" else "B")) is None


def test_every_mistake_is_named_and_nothing_is_stored(db: Session) -> None:
    with pytest.raises(VolunteerErrors) as caught:
        services.add_volunteer(
            db,
            name=" ",
            email=None,
            phone="",
            ward_code="E05999999",
            about_you={"age_band": "under-16", "disability": "sometimes"},
            support_needs="x" * 1001,
            consent=False,
        )
    db.rollback()
    assert set(caught.value.errors) == {
        "name",
        "email",
        "ward",
        "age_band",
        "disability",
        "support_needs",
        "consent",
    }
    assert caught.value.errors["age_band"] == "You need to be 16 or over to join the pool"
    assert _count(db, PanelVolunteer) == 0


@pytest.mark.parametrize(
    ("email", "phone", "field"),
    [("not-an-address", None, "email"), (None, "call me", "phone"), (None, "123", "phone")],
)
def test_a_contact_must_be_usable(
    db: Session, email: str | None, phone: str | None, field: str
) -> None:
    with pytest.raises(VolunteerErrors) as caught:
        services.add_volunteer(
            db, name="Ada", email=email, phone=phone, ward_code=None, about_you={},
            support_needs=None, consent=True,
        )  # fmt: skip
    assert set(caught.value.errors) == {field}


def test_a_phone_number_alone_is_enough(db: Session) -> None:
    volunteer, _ = services.add_volunteer(
        db, name="Ada", email="", phone="07700 900 982", ward_code=None, about_you={},
        support_needs=None, consent=True,
    )  # fmt: skip
    assert (volunteer.email, volunteer.phone) == (None, "07700 900 982")


def test_withdrawing_before_any_draw_deletes_the_volunteer(db: Session) -> None:
    volunteer, token = services.add_volunteer(
        db, name="Ada", email="ada@example.org", phone=None, ward_code=None, about_you={},
        support_needs=None, consent=True,
    )  # fmt: skip
    db.commit()
    services.withdraw(db, volunteer)
    db.commit()
    assert _count(db, PanelVolunteer) == 0
    assert services.volunteer_for_token(db, token) is None


def test_a_drawn_volunteer_who_withdraws_keeps_only_their_number(
    db: Session, pool: list[str], facilitator: StaffUser
) -> None:
    drawn = _draw(db, facilitator)
    db.commit()
    member = services.panel_members(db, drawn.id)[0]
    volunteer = member.volunteer
    number = volunteer.number
    services.withdraw(db, volunteer)
    db.commit()

    db.expire_all()
    kept = db.get(PanelVolunteer, volunteer.id)
    assert kept is not None
    assert (kept.name, kept.email, kept.phone, kept.disability, kept.urban_rural) == (
        "",
        None,
        None,
        None,
        None,
    )
    assert kept.withdrawn_at is not None and kept.withdraw_token_hash is None
    assert member.display_name == f"Withdrawn volunteer {number}"
    assert number not in [v.number for v in services.active_volunteers(db)]
    assert number in drawn.report_data["panel"]  # the published report is unchanged


# -- draws -----------------------------------------------------------------------------------


def test_a_draw_meets_the_quotas_and_stores_its_members_and_report(
    db: Session, pool: list[str], facilitator: StaffUser
) -> None:
    drawn = _draw(db, facilitator, reserves=2)
    db.commit()

    assert drawn.purpose is Purpose.JURY and drawn.panel_size == 4
    assert drawn.quotas_data == QUOTAS
    report = drawn.report_data
    members = services.panel_members(db, drawn.id)
    panel = [m for m in members if not m.reserve]
    reserves = [m for m in members if m.reserve]
    assert len(panel) == 4 and len(reserves) == 2
    assert sorted(m.number for m in panel) == report["panel"]
    assert [m.number for m in reserves] == report["reserves"]
    assert not {m.number for m in panel} & {m.number for m in reserves}
    disabled = sum(m.volunteer.disability == "disabled" for m in panel)
    rural = sum(m.volunteer.urban_rural == "rural" for m in panel)
    assert 0 <= disabled <= 2 and 1 <= rural <= 3
    for row in report["quotas"]:
        assert row["minimum"] <= row["in_panel"] <= row["maximum"]
        assert row["in_pool"] == 4  # two of each combination
    # The pool is symmetric, so maximin gives everyone the same chance: 4 of 8.
    assert report["minimum_probability"] == pytest.approx(0.5, abs=1e-6)
    assert set(report["probabilities"]) == set(pool)
    assert all(p == pytest.approx(0.5, abs=1e-6) for p in report["probabilities"].values())
    assert sum(d["probability"] for d in report["distribution"]) == pytest.approx(1.0)
    audit = db.scalars(select(StaffAction).where(StaffAction.action == "panel-drawn")).one()
    assert audit.target == f"panel-draw:{drawn.id}" and "spring-2027" in audit.detail


def test_the_same_seed_gives_the_same_panel(
    db: Session, pool: list[str], facilitator: StaffUser
) -> None:
    first = _draw(db, facilitator, seed="published on 1 March", reserves=3)
    second = _draw(db, facilitator, seed="published on 1 March", reserves=3)
    db.commit()
    assert first.report_data["panel"] == second.report_data["panel"]
    assert first.report_data["reserves"] == second.report_data["reserves"]
    panels = {
        tuple(_draw(db, facilitator, seed=f"seed {i}").report_data["panel"]) for i in range(8)
    }
    assert len(panels) > 1  # other seeds pick other panels


def test_the_report_matches_the_selection_method_and_can_be_redrawn_from_the_seed(
    db: Session, pool: list[str], facilitator: StaffUser
) -> None:
    drawn = _draw(db, facilitator, seed="repeat me")
    report = drawn.report_data
    volunteers = [Volunteer(v.number, services.features(v)) for v in services.active_volunteers(db)]
    quotas = [Quota(**q) for q in drawn.quotas_data]
    expected = select_panel(volunteers, quotas, 4, "repeat me").as_dict()
    assert {k: report[k] for k in expected} == expected
    # Anyone can repeat the draw from the published lottery and the seed (module docstring).
    digest = hashlib.sha256(b"repeat me").digest()
    point = (int.from_bytes(digest[:8], "big") >> 11) / 2**53
    running = 0.0
    for entry in sorted(report["distribution"], key=lambda e: e["panel"]):
        running += entry["probability"]
        if point < running:
            break
    assert entry["panel"] == report["panel"]


def test_the_report_names_nobody(db: Session, pool: list[str], facilitator: StaffUser) -> None:
    drawn = _draw(db, facilitator, reserves=2)
    text = drawn.report
    for volunteer in db.scalars(select(PanelVolunteer)):
        assert volunteer.name not in text
        assert volunteer.email is not None and volunteer.email not in text
    assert "example.org" not in text and "Person" not in text


def test_prefer_not_to_say_is_not_held_to_a_quota(db: Session, facilitator: StaffUser) -> None:
    # Everyone is disabled but one, who prefers not to say: the quotas (not disabled 2-4)
    # cannot be met, as the person who did not say does not count as not disabled.
    for name in NAMES[:5]:
        _volunteer(db, name, "disabled", "urban")
    _volunteer(db, NAMES[5], "prefer-not-to-say", "rural")
    _volunteer(db, NAMES[6], "disabled", "rural")
    with pytest.raises(DrawInfeasible) as caught:
        _draw(db, facilitator)
    assert "disability=not-disabled needs at least 2 but the pool has 0" in caught.value.reasons


def test_an_infeasible_draw_stores_nothing(
    db: Session, pool: list[str], facilitator: StaffUser
) -> None:
    with pytest.raises(DrawInfeasible) as caught:
        _draw(db, facilitator, panel_size=9)
    db.rollback()
    assert "the pool has 8 volunteers, fewer than the panel of 9" in caught.value.reasons
    assert (_count(db, PanelDraw), _count(db, PanelMember)) == (0, 0)
    assert db.scalars(select(StaffAction).where(StaffAction.action == "panel-drawn")).all() == []


def test_oversampling_raises_the_quota_of_the_chosen_group(
    db: Session, pool: list[str], facilitator: StaffUser
) -> None:
    # Disabled doubled: 0.25 x 4 x 2 = 2 seats, the other 2 to not disabled: both 1-3.
    drawn = _draw(db, facilitator, oversample=[("disability", "disabled")], factor=2.0)
    quotas = {
        (q["characteristic"], q["category"]): (q["minimum"], q["maximum"])
        for q in drawn.quotas_data
    }
    assert quotas[("disability", "disabled")] == (1, 3)
    assert quotas[("disability", "not-disabled")] == (1, 3)
    assert drawn.oversample_data == [
        {"characteristic": "disability", "category": "disabled", "factor": 2.0}
    ]


def test_the_quotas_leave_out_children(db: Session) -> None:
    profile = PopulationProfile.from_counts(
        {"age_band": {"under-16": 200, "16-24": 100, "25-34": 100, "35-44": 100, "45-54": 100,
                      "55-64": 100, "65-74": 100, "75-plus": 200}}
    )  # fmt: skip
    people = services.selection_profile(profile)
    assert "under-16" not in people["age_band"]
    assert ("age_band", "under-16") not in services.oversample_options(profile)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"title": " "}, "title"),
        ({"purpose": "party"}, "purpose"),
        ({"panel_size": 1}, "panel_size"),
        ({"seed": "  "}, "seed"),
        ({"reserves": -1}, "reserves"),
        ({"oversample": [("disability", "sometimes")]}, "oversample"),
        ({"profile": None}, ""),
    ],
)
def test_draw_form_mistakes(
    db: Session, pool: list[str], facilitator: StaffUser, change: dict[str, object], field: str
) -> None:
    with pytest.raises(PanelError) as caught:
        _draw(db, facilitator, **change)
    assert caught.value.field == field
    db.rollback()
    assert _count(db, PanelDraw) == 0


@pytest.mark.parametrize("role", ["moderator", "responder"])
def test_only_facilitators_and_admins_draw(db: Session, pool: list[str], role: str) -> None:
    someone = make_staff(db, f"{role}@example.org", role)
    with pytest.raises(PanelError, match="cannot draw panels"):
        _draw(db, someone)
    admin = make_staff(db, "admin@example.org", "admin")
    assert _draw(db, admin).id is not None


def test_list_and_get_draws(db: Session, pool: list[str], facilitator: StaffUser) -> None:
    first = _draw(db, facilitator, title="First")
    second = _draw(db, facilitator, title="Second")
    db.commit()
    assert [d.title for d in services.list_draws(db)] == ["Second", "First"]
    assert services.get_draw(db, first.id) == first
    assert services.get_draw(db, second.id + 1) is None
    assert json.loads(first.report)["panel_size"] == 4


# -- the demo --------------------------------------------------------------------------------


@pytest.mark.parametrize("gss", ["E08000003", "E06000052", "E08000035"])
def test_the_demo_pool_draws_a_jury_of_12_that_meets_its_quotas(
    db: Session, facilitator: StaffUser, gss: str
) -> None:
    from hub.panels.demo import seed_demo
    from hub.voices.profile import demo_profile

    db.add_all([Ward(code="E05000001", name="North"), Ward(code="E05000002", name="South")])
    profile = demo_profile(gss)
    drawn = seed_demo(
        db,
        gss=gss,
        wards=["E05000001", "E05000002"],
        profile=profile,
        staff=facilitator,
        rng=random.Random(gss),
    )
    db.commit()
    volunteers = db.scalars(select(PanelVolunteer)).all()
    assert len(volunteers) == 60 and all(v.name.endswith("(demo)") for v in volunteers)
    assert all((v.email or "").endswith("@example.org") or v.phone for v in volunteers)
    report = drawn.report_data
    assert drawn.panel_size == 12 and len(report["panel"]) == 12 and len(report["reserves"]) == 4
    for row in report["quotas"]:
        assert row["minimum"] <= row["in_panel"] <= row["maximum"]
    assert {q["characteristic"] for q in report["quotas"]} == set(profile.characteristics)
    assert report["minimum_probability"] > 0
    again = seed_demo(
        db, gss=gss, wards=[], profile=profile, staff=facilitator, rng=random.Random(1)
    )
    assert again.id == drawn.id and _count(db, PanelVolunteer) == 60
