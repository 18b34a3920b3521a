"""Discover's pages: the staff directory, import and export, coverage gaps, and "Take part"."""

from __future__ import annotations

import html as html_lib
import io
import json
import re
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.discover import services
from hub.discover.directory import DirectoryEntry
from hub.discover.openreferral import export_json
from hub.gather.models import Ward
from hub.staff.models import StaffAction
from hub.voices.profile import PopulationProfile
from hub.voices.store import save_profile
from tests.hub.staff_helpers import form, staff_client

DEAF_ID = "0d3c1a2b-4e5f-4a6b-8c7d-9e0f1a2b3c01"
YOUTH_ID = "0d3c1a2b-4e5f-4a6b-8c7d-9e0f1a2b3c02"
WATCH_ID = "0d3c1a2b-4e5f-4a6b-8c7d-9e0f1a2b3c03"
WARDS = {"E05000001": "Ardwick", "E05000002": "Hulme", "E05000003": "Moss Side"}

DEAF = DirectoryEntry(
    id=DEAF_ID,
    name="Deaf Health Group",
    kind="vcse",
    how_to_join="Come to the Deaf club on Thursdays.",
    email="hello@deaf.example.org",
    wards=("E05000001",),
    reaches=(("disability", "disabled"),),
    topics=("digital-access",),
)
YOUTH = DirectoryEntry(
    id=YOUTH_ID,
    name="Youth Health Forum",
    kind="council",
    phone="01632 960123",
    wards=("E05000002",),
    reaches=(("age_band", "16-24"),),
    topics=("mental-health",),
)
WATCH = DirectoryEntry(  # area-wide, and reaching no particular group
    id=WATCH_ID, name="Healthwatch Example", kind="healthwatch", url="https://hw.example.org/"
)


def text(html: str) -> str:
    return html_lib.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))).strip()


def page(client: FlaskClient, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return text(response.get_data(as_text=True))


def with_wards(db: Session) -> None:
    for code, name in WARDS.items():
        db.add(Ward(code=code, name=name))
    db.commit()


def listed(db: Session, *entries: DirectoryEntry) -> None:
    services.import_entries(db, None, list(entries))
    db.commit()


def names(db: Session) -> list[str]:
    db.expire_all()
    return [entry.name for entry in services.list_entries(db)]


GOOD_FORM = {
    "name": "Carers Together",
    "kind": "vcse",
    "description": "A forum for unpaid carers.",
    "how_to_join": "Ring us.",
    "url": "https://carers.example.org/",
    "email": "",
    "phone": "01632 960555",
    "ods_code": "",
    "reaches": ["unpaid_carer:carer", "age_band:75-plus"],
    "wards": ["E05000003"],
    "topics": ["unpaid-carers"],
    "other_topics": "respite, young carers",
}


# -- adding, changing, removing --------------------------------------------------------------


def test_a_facilitator_adds_a_group_and_it_is_listed(app: Flask, db: Session) -> None:
    with_wards(db)
    client, _me = staff_client(app, db, "facilitator")

    response = client.post("/staff/discover/add", data=form(client, **GOOD_FORM))

    assert response.status_code == 302
    assert response.headers["Location"].endswith("/staff/discover")
    [entry] = services.list_entries(db)
    assert entry.name == "Carers Together"
    assert entry.reaches == (("unpaid_carer", "carer"), ("age_band", "75-plus"))
    assert entry.wards == ("E05000003",)
    assert entry.topics == ("unpaid-carers", "respite", "young carers")
    assert (entry.email, entry.ods_code) == (None, None)
    listing = page(client, "/staff/discover")
    assert "Added Carers Together to the directory." in listing
    assert "Who it reaches Unpaid carer: Provides unpaid care; Age band: 75 and over" in listing
    assert "Moss Side" in listing


def test_a_form_with_mistakes_shows_every_one_and_stores_nothing(app: Flask, db: Session) -> None:
    client, _me = staff_client(app, db, "facilitator")
    bad = {
        **GOOD_FORM,
        "name": " ",
        "kind": "",
        "url": "carers.example.org",
        "email": "carers at example",
        "phone": "12",
        "reaches": ["age_band:not-stated"],
        "wards": [],
    }

    response = client.post("/staff/discover/add", data=form(client, **bad))

    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "There is a problem" in html
    summary = text(html.split("nhsuk-error-summary__body")[1].split("</ul>")[0])
    assert "Enter the group's name" in summary
    assert "Choose what kind of group it is" in summary
    assert "Enter a web address starting https://" in summary
    assert "Enter an email address like group@example.org, or leave it empty" in summary
    assert "Enter a phone number of 7 to 15 digits" in summary
    assert "Who it reaches: 'not-stated' is not a category of age_band" in summary
    assert 'href="#reaches"' in html and 'id="reaches"' in html
    assert 'value="carers at example"' in html  # what was typed is kept
    assert names(db) == []


def test_change_and_remove_with_a_confirmation(app: Flask, db: Session) -> None:
    with_wards(db)
    listed(db, DEAF)
    client, _me = staff_client(app, db, "facilitator")

    edit = client.get(f"/staff/discover/{DEAF_ID}").get_data(as_text=True)
    assert 'value="Deaf Health Group"' in edit
    assert 'value="disability:disabled" checked' in edit
    changed = {**GOOD_FORM, "name": "Deaf Health Group (BSL)", "kind": "vcse", "other_topics": ""}
    response = client.post(f"/staff/discover/{DEAF_ID}", data=form(client, **changed))
    assert response.status_code == 302
    assert names(db) == ["Deaf Health Group (BSL)"]

    confirm = page(client, f"/staff/discover/{DEAF_ID}/remove")
    assert "Remove Deaf Health Group (BSL) from the directory?" in confirm
    assert names(db) == ["Deaf Health Group (BSL)"]  # asking is not removing
    response = client.post(f"/staff/discover/{DEAF_ID}/remove", data=form(client))
    assert response.status_code == 302
    assert names(db) == []
    logged = [a.action for a in db.scalars(select(StaffAction).order_by(StaffAction.id))]
    assert logged[-2:] == ["discover-entry-changed", "discover-entry-removed"]
    assert client.get(f"/staff/discover/{DEAF_ID}").status_code == 404


def test_an_edit_with_a_mistake_changes_nothing(app: Flask, db: Session) -> None:
    listed(db, DEAF)
    client, _me = staff_client(app, db, "admin")

    response = client.post(
        f"/staff/discover/{DEAF_ID}", data=form(client, **{**GOOD_FORM, "email": "nope"})
    )

    assert response.status_code == 400
    assert services.list_entries(db) == [DEAF]


# -- import and export -----------------------------------------------------------------------


def _upload(client: FlaskClient, *files: tuple[str, bytes]) -> tuple[int, str]:
    data = form(client, file=[(io.BytesIO(body), name) for name, body in files])
    response = client.post("/staff/discover/import", data=data, content_type="multipart/form-data")
    return response.status_code, response.get_data(as_text=True)


def test_a_bad_file_imports_nothing_and_lists_every_problem(app: Flask, db: Session) -> None:
    client, _me = staff_client(app, db, "facilitator")
    services_json = export_json([DEAF, YOUTH])
    services_json[0]["status"] = "inactive"
    services_json[1]["url"] = "youth.example.org"

    status, html = _upload(client, ("groups.json", json.dumps(services_json).encode()))

    assert status == 400
    summary = text(html.split("nhsuk-error-summary__body")[1].split("</ul>")[0])
    assert f"groups.json: services[0] (id {DEAF_ID}), status: 'inactive'" in summary
    assert f"groups.json: services[1] (id {YOUTH_ID}), url: 'youth.example.org'" in summary
    assert "fix the 2 problems listed above" in text(html)
    assert names(db) == []


def test_export_then_import_gives_the_same_directory(app: Flask, db: Session) -> None:
    with_wards(db)
    listed(db, DEAF, YOUTH, WATCH)
    client, _me = staff_client(app, db, "facilitator")
    as_json = client.get("/staff/discover/export.json")
    as_zip = client.get("/staff/discover/export.zip")
    assert as_json.headers["Content-Disposition"] == 'attachment; filename="discover.json"'
    assert as_zip.mimetype == "application/zip"
    assert "services.csv" in zipfile.ZipFile(io.BytesIO(as_zip.data)).namelist()
    before = services.list_entries(db)

    for name, body in (("discover.json", as_json.data), ("discover.zip", as_zip.data)):
        for entry_id in (DEAF_ID, YOUTH_ID, WATCH_ID):
            services.remove_entry(db, None, entry_id)
        db.commit()
        status, html = _upload(client, (name, body))
        assert status == 302, html
        db.expire_all()
        assert services.list_entries(db) == before
    assert "3 added, 0 updated" in page(client, "/staff/discover")


def test_a_large_import_is_accepted_from_a_facilitator(app: Flask, db: Session) -> None:
    many = [
        DirectoryEntry(
            id=f"0d3c1a2b-4e5f-4a6b-8c7d-{n:012d}",
            name=f"Group {n}",
            kind="vcse",
            description=("A group. " * 40).strip(),
            reaches=(("age_band", "75-plus"),),
        )
        for n in range(80)
    ]
    body = json.dumps(export_json(many)).encode()
    assert len(body) > 64 * 1024  # above the hub's usual limit on a request
    client, _me = staff_client(app, db, "facilitator")

    status, _html = _upload(client, ("big.json", body))

    assert status == 302
    assert len(names(db)) == 80


# -- coverage gaps ---------------------------------------------------------------------------


def _profile(app: Flask) -> None:
    counts = {
        "disability": {"disabled": 250, "not-disabled": 750},
        "age_band": dict.fromkeys(
            ["under-16", "16-24", "25-34", "35-44", "45-54", "55-64", "65-74", "75-plus"], 100
        ),
    }
    counts["age_band"]["under-16"] = 400  # 400 of 1,000: 40.0%; six bands 10.0% each
    counts["age_band"]["65-74"] = 0  # nobody: not a group to reach
    Path(app.config["INSTANCE_PATH"]).mkdir(parents=True, exist_ok=True)
    save_profile(
        app.config["INSTANCE_PATH"], PopulationProfile.from_counts(counts), datetime.now(UTC)
    )


def test_the_gaps_table_for_a_hand_built_profile(app: Flask, db: Session) -> None:
    """Groups: 7 age bands with people (65-74 has none) and 2 disability groups: 9.
    Reached: 16-24 (youth forum) and disabled (Deaf group): 7 gaps. Wards: Ardwick by the
    Deaf group, Hulme by the youth forum, Moss Side by nobody (no entry is area-wide)."""
    _profile(app)
    with_wards(db)
    listed(db, DEAF, YOUTH)
    client, _me = staff_client(app, db, "moderator")

    gaps = page(client, "/staff/discover/gaps")

    assert "7 of 9 groups in the area's population profile are reached by no listed group" in gaps
    assert "Under 16 (Age band) 40.0% Gap: none" in gaps
    assert "16 to 24 (Age band) 10.0% Youth Health Forum" in gaps
    assert "Disabled (Disability (Equality Act 2010)) 25.0% Deaf Health Group" in gaps
    assert "Not disabled (Disability (Equality Act 2010)) 75.0% Gap: none" in gaps
    assert "65 to 74" not in gaps
    assert gaps.index("Not disabled") < gaps.index("16 to 24")  # gaps first
    assert "1 of 3 wards is reached by no listed group" in gaps
    assert "Moss Side (E05000003) Gap: none" in gaps
    assert "Ardwick (E05000001) Deaf Health Group" in gaps


def test_an_area_wide_group_closes_every_ward_gap(app: Flask, db: Session) -> None:
    with_wards(db)
    listed(db, DEAF, WATCH)
    client, _me = staff_client(app, db, "admin")

    gaps = page(client, "/staff/discover/gaps")

    assert "0 of 3 wards are reached by no listed group" in gaps
    assert "Moss Side (E05000003) Only the area-wide groups" in gaps
    assert "No population profile has been imported" in gaps


# -- take part -------------------------------------------------------------------------------


def test_take_part_lists_groups_with_how_to_join_and_contact(app: Flask, db: Session) -> None:
    with_wards(db)
    listed(db, DEAF, YOUTH, WATCH)

    html = app.test_client().get("/take-part").get_data(as_text=True)
    shown = text(html)

    assert "Other ways to have your say" in shown
    assert "3 groups." in shown
    assert "Come to the Deaf club on Thursdays." in shown
    assert 'href="mailto:hello@deaf.example.org"' in html
    assert 'href="tel:01632960123"' in html
    assert "Where The whole area" in shown  # Healthwatch names no ward


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("ward=E05000001", ["Deaf Health Group", "Healthwatch Example"]),  # area-wide counts
        ("ward=E05000003", ["Healthwatch Example"]),
        ("group=age_band:16-24", ["Youth Health Forum"]),
        ("topic=digital-access", ["Deaf Health Group"]),
        ("ward=E05000002&group=disability:disabled", []),
        (
            "ward=nowhere&group=nobody&topic=",
            ["Deaf Health Group", "Healthwatch Example", "Youth Health Forum"],
        ),
    ],
)
def test_take_part_filters(app: Flask, db: Session, query: str, expected: list[str]) -> None:
    with_wards(db)
    listed(db, DEAF, YOUTH, WATCH)

    html = app.test_client().get(f"/take-part?{query}").get_data(as_text=True)

    assert re.findall(r'<h2 class="nhsuk-card__heading[^>]*>([^<]+)</h2>', html) == expected
    if not expected:
        assert "No listed group matches what you chose" in text(html)


def test_take_part_with_nothing_listed(app: Flask) -> None:
    shown = text(app.test_client().get("/take-part").get_data(as_text=True))

    assert "No groups are listed here yet" in shown
    assert "Find a group" not in shown


# -- who may do what -------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["moderator", "facilitator", "admin"])
def test_viewers_see_the_directory_gaps_and_exports(app: Flask, db: Session, role: str) -> None:
    listed(db, DEAF)
    client, _me = staff_client(app, db, role)

    for url in ("/staff/discover", "/staff/discover/gaps", "/staff/discover/export.json"):
        assert client.get(url).status_code == 200
    listing = client.get("/staff/discover").get_data(as_text=True)
    assert ("Add a group" in listing) is (role != "moderator")


def test_moderators_change_nothing(app: Flask, db: Session) -> None:
    listed(db, DEAF)
    client, _me = staff_client(app, db, "moderator")

    assert client.get("/staff/discover/add").status_code == 403
    assert client.post("/staff/discover/add", data=form(client, **GOOD_FORM)).status_code == 403
    assert client.post(f"/staff/discover/{DEAF_ID}/remove", data=form(client)).status_code == 403
    assert client.get("/staff/discover/import").status_code == 403
    assert names(db) == ["Deaf Health Group"]


def test_responders_and_strangers_are_kept_out(app: Flask, db: Session) -> None:
    client, _me = staff_client(app, db, "responder")
    assert client.get("/staff/discover").status_code == 403
    assert client.get("/staff/discover/gaps").status_code == 403

    anonymous = app.test_client()
    response = anonymous.get("/staff/discover/export.zip")
    assert response.status_code == 302
    assert "/staff/login" in response.headers["Location"]
    assert anonymous.get("/take-part").status_code == 200
