"""Volunteer pool and draw pages: residents join and leave, staff draw, everyone sees the report.

Through the Flask test client, as residents and staff use the pages: a form
with a mistake comes back 400 with the error summary and stores nothing; the
public report and its JSON name nobody; only facilitators and admins reach the
staff pages.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hub.gather.models import Ward
from hub.panels import services
from hub.panels.models import PanelDraw, PanelMember, PanelVolunteer
from hub.staff.models import StaffUser
from hub.voices.profile import PopulationProfile
from hub.voices.store import save_profile
from tests.hub.staff_helpers import form, make_staff, staff_client

# Panel of 4, slack 1: disabled 0-2, not disabled 2-4, urban 1-3, rural 1-3.
PROFILE = PopulationProfile.from_counts(
    {
        "disability": {"disabled": 250, "not-disabled": 750},
        "urban_rural": {"urban": 500, "rural": 500},
    },
    label="Test area profile",
)
GOOD = {
    "name": "Ada Lovelace",
    "email": "ada@example.org",
    "phone": "",
    "ward": "E05011234",
    "age_band": "35-44",
    "ethnic_group": "prefer-not-to-say",
    "disability": "disabled",
    "unpaid_carer": "",
    "urban_rural": "urban",
    "support_needs": "Step-free access",
    "consent": "yes",
}


@pytest.fixture
def ward(db: Session) -> None:
    db.add(Ward(code="E05011234", name="Ancoats and Beswick"))
    db.commit()


@pytest.fixture
def profile(app: Flask) -> None:
    Path(app.config["INSTANCE_PATH"]).mkdir(parents=True, exist_ok=True)
    save_profile(app.config["INSTANCE_PATH"], PROFILE, datetime(2027, 1, 4, tzinfo=UTC))


@pytest.fixture
def pool(db: Session) -> list[PanelVolunteer]:
    """Eight volunteers: two of each (disabled or not) x (urban or rural)."""
    made = []
    combinations = [(d, p) for d in ("disabled", "not-disabled") for p in ("urban", "rural")]
    for i, (disability, place) in enumerate(combinations * 2):
        volunteer, _ = services.add_volunteer(
            db,
            name=f"Pooled Person{i}",
            email=f"pooled{i}@example.org",
            phone="0161 496 000" + str(i),
            ward_code=None,
            about_you={"disability": disability, "urban_rural": place},
            support_needs=None,
            consent=True,
        )
        made.append(volunteer)
    db.commit()
    return made


def _count(db: Session, model: type) -> int:
    db.rollback()
    return int(db.scalar(select(func.count()).select_from(model)) or 0)


# -- residents -------------------------------------------------------------------------------


def test_the_volunteer_form_asks_gathers_questions_and_says_what_is_kept(
    client: FlaskClient, ward: None
) -> None:
    page = client.get("/take-part/volunteer").get_data(as_text=True)
    assert "How old are you?" in page and "Do you look after someone without being paid?" in page
    assert 'value="prefer-not-to-say"' in page
    assert 'value="under-16"' not in page  # the pool is for people 16 and over
    assert "Ancoats and Beswick" in page
    assert "only your volunteer number" in page and "leave the pool at any time" in page
    assert 'name="csrf_token"' in page


def test_joining_shows_the_number_and_a_withdraw_link_once(
    client: FlaskClient, db: Session, ward: None
) -> None:
    response = client.post("/take-part/volunteer", data=form(client, **GOOD))
    assert response.status_code == 302
    assert response.headers["Location"] == "/take-part/volunteer/done"

    done = client.get("/take-part/volunteer/done").get_data(as_text=True)
    volunteer = db.scalars(select(PanelVolunteer)).one()
    assert volunteer.name == "Ada Lovelace" and volunteer.ward_code == "E05011234"
    assert (volunteer.ethnic_group, volunteer.unpaid_carer) == ("prefer-not-to-say", None)
    assert volunteer.number in done
    link = re.search(r'href="http://localhost(/take-part/volunteer/withdraw/[^"]+)"', done)
    assert link is not None
    # Shown once: a reload goes back to the form.
    assert client.get("/take-part/volunteer/done").status_code == 302

    confirm = client.get(link[1])
    assert confirm.status_code == 200 and volunteer.number in confirm.get_data(as_text=True)
    assert _count(db, PanelVolunteer) == 1  # looking at the page withdraws nobody
    left = client.post(link[1], data=form(client))
    assert left.status_code == 302 and left.headers["Location"] == "/take-part/volunteer/withdrawn"
    assert _count(db, PanelVolunteer) == 0
    assert client.get(link[1]).status_code == 404


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"name": ""}, "Enter your name"),
        ({"email": "", "phone": ""}, "Enter an email address or a phone number"),
        ({"email": "ada-at-example"}, "Enter an email address in the correct format"),
        ({"phone": "ring me"}, "Enter a phone number"),
        ({"ward": "E05000000"}, "Choose your ward from the list"),
        ({"age_band": "under-16"}, "You need to be 16 or over to join the pool"),
        ({"disability": "maybe"}, "Choose one of the answers"),
        ({"consent": ""}, "Confirm that you agree"),
    ],
)
def test_a_mistake_comes_back_400_and_stores_nothing(
    client: FlaskClient, db: Session, ward: None, change: dict[str, str], message: str
) -> None:
    response = client.post("/take-part/volunteer", data=form(client, **{**GOOD, **change}))
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "There is a problem" in page and message in page
    assert "<title>Error:" in page
    assert _count(db, PanelVolunteer) == 0
    if change.get("name") != "":
        assert 'value="Ada Lovelace"' in page  # what was typed is kept


def test_an_unknown_withdraw_link_is_not_found(client: FlaskClient) -> None:
    assert client.get("/take-part/volunteer/withdraw/" + "x" * 43).status_code == 404
    assert client.post("/take-part/volunteer/withdraw/nope", data=form(client)).status_code == 404


# -- staff -----------------------------------------------------------------------------------


def _draw_form(client: FlaskClient, **change: object) -> dict[str, object]:
    fields: dict[str, object] = {
        "title": "Citizens' Jury, spring 2027",
        "purpose": "jury",
        "panel_size": "4",
        "reserves": "2",
        "seed": "published on 1 March 2027",
        **change,
    }
    return form(client, **fields)


def test_a_facilitator_draws_a_panel_and_sees_who_was_drawn(
    app: Flask, db: Session, pool: list[PanelVolunteer], profile: None
) -> None:
    client, _ = staff_client(app, db, "facilitator")
    index = client.get("/staff/panels").get_data(as_text=True)
    assert "8 volunteers in the pool" in index
    draw_page = client.get("/staff/panels/draw").get_data(as_text=True)
    seed = re.search(r'id="seed" name="seed" type="text" value="([^"]+)"', draw_page)
    assert seed is not None and re.fullmatch(r"\d{4}-\d\d-\d\d-[0-9a-f]{8}", seed[1])
    assert "Test area profile" in draw_page
    assert 'value="disability:disabled"' in draw_page  # a group that may be oversampled

    response = client.post("/staff/panels/draw", data=_draw_form(client))
    assert response.status_code == 302
    drawn = db.scalars(select(PanelDraw)).one()
    assert response.headers["Location"] == f"/staff/panels/draws/{drawn.id}"
    page = client.get(f"/staff/panels/draws/{drawn.id}").get_data(as_text=True)
    members = services.panel_members(db, drawn.id)
    assert len(members) == 6
    for member in members:
        assert member.volunteer.name in page and (member.volunteer.email or "") in page
    assert "Reserves, in the order to ask them (2)" in page
    assert "Citizens&#39; Jury, spring 2027" in client.get("/staff/panels").get_data(as_text=True)


def test_the_same_seed_draws_the_same_panel_through_the_form(
    app: Flask, db: Session, pool: list[PanelVolunteer], profile: None
) -> None:
    client, _ = staff_client(app, db, "admin")
    for _ in range(2):
        assert client.post("/staff/panels/draw", data=_draw_form(client)).status_code == 302
    first, second = db.scalars(select(PanelDraw).order_by(PanelDraw.id)).all()
    assert first.report_data["panel"] == second.report_data["panel"]
    assert first.report_data["reserves"] == second.report_data["reserves"]


def test_an_impossible_draw_shows_the_reasons_and_stores_nothing(
    app: Flask, db: Session, pool: list[PanelVolunteer], profile: None
) -> None:
    client, _ = staff_client(app, db, "facilitator")
    response = client.post("/staff/panels/draw", data=_draw_form(client, panel_size="9"))
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "There is a problem" in page and "Why no panel can be drawn" in page
    assert "the pool has 8 volunteers, fewer than the panel of 9" in page
    assert 'value="Citizens&#39; Jury, spring 2027"' in page
    assert (_count(db, PanelDraw), _count(db, PanelMember)) == (0, 0)


def test_reasons_are_put_in_words(
    app: Flask, db: Session, pool: list[PanelVolunteer], profile: None
) -> None:
    for volunteer in pool:
        if volunteer.disability == "disabled":
            services.withdraw(db, volunteer)
    db.commit()
    app.config["PANEL_OVERSAMPLE_FACTOR"] = 2.0
    client, _ = staff_client(app, db, "facilitator")
    # Disabled oversampled twice: 0.25 x 4 x 2 = 2 seats, so at least 1.
    response = client.post(
        "/staff/panels/draw", data=_draw_form(client, oversample=["disability:disabled"])
    )
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Disability (Equality Act 2010): Disabled needs at least 1 but the pool has 0" in page
    assert "2.0 times their share" in page
    assert 'value="disability:disabled" checked' in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"title": ""}, "Enter a title"),
        ({"panel_size": "twelve"}, "Enter the panel size as a whole number"),
        ({"seed": ""}, "Enter the seed you published before the draw"),
        ({"oversample": ["nonsense"]}, "Choose groups to oversample from the list"),
    ],
)
def test_draw_form_mistakes_come_back_400(
    app: Flask,
    db: Session,
    pool: list[PanelVolunteer],
    profile: None,
    change: dict[str, object],
    message: str,
) -> None:
    client, _ = staff_client(app, db, "facilitator")
    response = client.post("/staff/panels/draw", data=_draw_form(client, **change))
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert _count(db, PanelDraw) == 0


def test_without_a_population_profile_nothing_is_drawn(
    app: Flask, db: Session, pool: list[PanelVolunteer]
) -> None:
    client, _ = staff_client(app, db, "facilitator")
    response = client.post("/staff/panels/draw", data=_draw_form(client))
    assert response.status_code == 400
    assert "no population profile" in response.get_data(as_text=True)
    assert _count(db, PanelDraw) == 0


@pytest.mark.parametrize("role", ["moderator", "responder"])
def test_other_staff_cannot_reach_the_panels(
    app: Flask, db: Session, pool: list[PanelVolunteer], profile: None, role: str
) -> None:
    admin = make_staff(db, "admin@example.org", "admin")
    drawn = services.draw_panel(
        db, admin, title="Jury", purpose="jury", panel_size=4, seed="s", profile=PROFILE
    )
    db.commit()
    client, _ = staff_client(app, db, role)
    for url in ("/staff/panels", "/staff/panels/draw", f"/staff/panels/draws/{drawn.id}"):
        assert client.get(url).status_code == 403
    assert client.post("/staff/panels/draw", data=_draw_form(client)).status_code == 403
    assert _count(db, PanelDraw) == 1


def test_staff_pages_need_a_sign_in(client: FlaskClient) -> None:
    response = client.get("/staff/panels")
    assert response.status_code == 302 and "/staff/login" in response.headers["Location"]


# -- the public report -----------------------------------------------------------------------


@pytest.fixture
def drawn(db: Session, pool: list[PanelVolunteer]) -> PanelDraw:
    facilitator: StaffUser = make_staff(db, "fa@example.org", "facilitator")
    found = services.draw_panel(
        db,
        facilitator,
        title="Citizens' Jury, spring 2027",
        purpose="jury",
        panel_size=4,
        seed="published on 1 March 2027",
        profile=PROFILE,
        reserves=2,
    )
    db.commit()
    return found


def test_the_public_report_shows_quotas_and_chances_by_number_only(
    client: FlaskClient, db: Session, drawn: PanelDraw, pool: list[PanelVolunteer]
) -> None:
    response = client.get(f"/panels/draws/{drawn.id}")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "published on 1 March 2027" in page
    quota = re.search(
        r'scope="row">Disability \(Equality Act 2010\): Disabled</th>\s*'
        r"<td[^>]*>0 to 2</td>\s*<td[^>]*>(\d)</td>\s*<td[^>]*>4</td>",
        page,
    )
    assert quota is not None and 0 <= int(quota[1]) <= 2
    assert "Urban or rural home area: Rural" in page
    assert "maximin method" in page and "https://doi.org/10.1038/s41586-021-03788-6" in page
    # Every volunteer's chance by number, in number order; the symmetric pool gives 50% each.
    numbers = re.findall(r'<th class="nhsuk-table__cell" scope="row">(V-\d+)</th>', page)
    assert numbers == sorted(v.number for v in pool)
    assert page.count("50.0%") == 9  # eight volunteers and the minimum
    assert 'id="minimum-probability">50.0%' in page
    for volunteer in pool:
        assert volunteer.name not in page and (volunteer.email or "") not in page
        assert (volunteer.phone or "") not in page
    assert f'href="/panels/draws/{drawn.id}.json"' in page
    assert "Citizens&#39; Jury, spring 2027" in client.get("/panels").get_data(as_text=True)


def test_the_report_downloads_as_json_with_the_lottery(
    client: FlaskClient, drawn: PanelDraw, pool: list[PanelVolunteer]
) -> None:
    response = client.get(f"/panels/draws/{drawn.id}.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert "attachment" in response.headers["Content-Disposition"]
    data = json.loads(response.get_data(as_text=True))
    assert data["title"] == drawn.title and data["seed"] == "published on 1 March 2027"
    assert set(data["probabilities"]) == {v.number for v in pool}
    assert sum(entry["probability"] for entry in data["distribution"]) == pytest.approx(1.0)
    assert len(data["panel"]) == 4 and len(data["reserves"]) == 2
    text = response.get_data(as_text=True)
    assert "Pooled" not in text and "example.org" not in text and "0161" not in text


def test_an_unknown_draw_is_not_found(client: FlaskClient) -> None:
    assert client.get("/panels/draws/99").status_code == 404
    assert client.get("/panels/draws/99.json").status_code == 404


def test_joining_is_rate_limited_but_mistakes_do_not_count(
    app: Flask, db: Session, ward: None
) -> None:
    app.config["RATE_LIMIT_RAISE"] = "2 per hour"
    client = app.test_client()
    mistake = client.post("/take-part/volunteer", data=form(client, **{**GOOD, "name": ""}))
    codes = [
        client.post("/take-part/volunteer", data=form(client, **GOOD)).status_code for _ in range(3)
    ]
    assert (mistake.status_code, codes) == (400, [302, 302, 429])
    assert _count(db, PanelVolunteer) == 2
