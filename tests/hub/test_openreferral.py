"""Discover entries: their checks, and Open Referral UK 3.0 export and import (JSON and CSV)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hub.discover.directory import DirectoryEntry, EntryError
from hub.discover.openreferral import (
    OpenReferralError,
    export_csv,
    export_json,
    import_csv,
    import_json,
)

DATA = Path(__file__).parent / "data" / "openreferral"

HEALTHWATCH = DirectoryEntry(
    id="3f1c9a52-7e0b-4d8e-9a61-2b5c4d3e2f10",
    name="Healthwatch Manchester",
    kind="healthwatch",
    description="The independent champion for people using health and care services.",
    how_to_join="Become a volunteer: fill in the form on our website, or ring us.",
    url="https://healthwatchmanchester.example.org",
    email="info@healthwatch.example.org",
    phone="+44 161 496 0123",
    reaches=(("age_band", "75-plus"), ("disability", "disabled")),
    topics=("gp-access", "waiting in A&E"),
)
PPG = DirectoryEntry(
    id="a0e4b3d2-1c5f-4e6a-8b7c-9d0e1f2a3b4c",
    name="Ancoats Medical Practice PPG",
    kind="ppg",
    how_to_join="Ask at reception.",
    ods_code="P84001",
    wards=("E05011234", "E05011235"),
)
BARE = DirectoryEntry(id="c1d2e3f4-a5b6-4c7d-8e9f-0a1b2c3d4e5f", name="Men's Shed", kind="vcse")
ENTRIES = [HEALTHWATCH, PPG, BARE]


# --- the entry's own checks ---------------------------------------------------------------


def test_an_entry_collects_every_problem_against_its_field() -> None:
    with pytest.raises(EntryError) as caught:
        DirectoryEntry(
            id="not-a-uuid",
            name="",
            kind="club",
            email="info.example.org",
            ods_code="p84001",
            wards=("E0501123", "E05011234", "E05011234"),
            reaches=(("age_band", "not-stated"), ("religion", "none"), ("disability", "blind")),
            topics=(" gp-access",),
        )
    fields = [field for field, _ in caught.value.problems]
    assert fields == [
        "id",
        "name",
        "kind",
        "email",
        "ods_code",
        "wards",
        "wards",
        "reaches",
        "reaches",
        "reaches",
        "topics",
    ]
    assert "'E0501123' is not an ONS ward code" in str(caught.value)
    assert "'religion' is not a characteristic" in str(caught.value)
    assert "'not-stated' is not a category of age_band" in str(caught.value)


def test_an_entry_turns_lists_into_tuples_and_stays_hashable() -> None:
    entry = DirectoryEntry(
        id=BARE.id,
        name="Men's Shed",
        kind="vcse",
        wards=["E05011234"],
        reaches=[["age_band", "65-74"]],
    )
    assert entry.wards == ("E05011234",)
    assert entry.reaches == (("age_band", "65-74"),)
    assert hash(entry) == hash(entry)


@pytest.mark.parametrize(
    ("field", "value"),
    [("url", "www.example.org"), ("phone", "call us"), ("phone", "123"), ("email", "a@b")],
)
def test_bad_contact_details_are_refused(field: str, value: str) -> None:
    with pytest.raises(EntryError) as caught:
        DirectoryEntry(id=BARE.id, name="Shed", kind="vcse", **{field: value})
    assert [f for f, _ in caught.value.problems] == [field]


# --- JSON ---------------------------------------------------------------------------------


def test_json_round_trip_gives_equal_entries() -> None:
    text = json.dumps(export_json(ENTRIES))
    assert import_json(json.loads(text)) == ENTRIES


def test_json_export_follows_the_oruk_3_service_shape() -> None:
    healthwatch, ppg, bare = export_json(ENTRIES)
    assert healthwatch["id"] == HEALTHWATCH.id
    assert healthwatch["status"] == "active"
    assert healthwatch["url"] == "https://healthwatchmanchester.example.org"
    assert healthwatch["organization"]["name"] == "Healthwatch Manchester"
    assert healthwatch["contacts"][0]["phones"][0]["number"] == "+44 161 496 0123"
    terms = [
        (a["taxonomy_term"]["taxonomy"], a["taxonomy_term"]["term"])
        for a in healthwatch["attributes"]
    ]
    assert terms == [
        ("hubnet-kind", "healthwatch"),
        ("hubnet-reach", "age_band:75-plus"),
        ("hubnet-reach", "disability:disabled"),
        ("hubnet-topic", "gp-access"),
        ("hubnet-topic", "waiting in A&E"),
    ]
    labels = [a["taxonomy_term"]["name"] for a in healthwatch["attributes"]]
    assert labels[1] == "Age band: 75 and over"
    assert all(a["link_id"] == HEALTHWATCH.id for a in healthwatch["attributes"])
    assert ppg["organization"]["organization_identifiers"] == [
        {
            "id": ppg["organization"]["organization_identifiers"][0]["id"],
            "identifier_scheme": "GB-NHS",
            "identifier_type": "ODS code",
            "identifier": "P84001",
        }
    ]
    assert [area["uri"] for area in ppg["service_areas"]] == [
        "http://statistics.data.gov.uk/id/statistical-geography/E05011234",
        "http://statistics.data.gov.uk/id/statistical-geography/E05011235",
    ]
    assert "url" not in bare and bare["contacts"] == [] and bare["service_areas"] == []


def test_export_is_stable() -> None:
    assert export_json(ENTRIES) == export_json(ENTRIES)
    assert export_csv(ENTRIES) == export_csv(ENTRIES)


def test_json_from_another_directory_keeps_ours_and_ignores_the_rest() -> None:
    page = json.loads((DATA / "service_from_another_directory.json").read_text("utf-8"))
    assert import_json(page) == [
        DirectoryEntry(
            id="0b6f4a36-2f1e-4c53-9d0e-2d1f5c8a9e11",
            name="Carers Together Ancoats",
            kind="other",
            description="A monthly peer group for unpaid carers.",
            url="https://carers-together.example.org/ancoats",
            email="hello@carers-together.example.org",
            phone="0161 496 0000",
            wards=("E05011234",),
            reaches=(("unpaid_carer", "carer"),),
            topics=("unpaid-carers",),
        )
    ]


def test_json_import_collects_every_problem_and_returns_nothing() -> None:
    services = export_json(ENTRIES)
    services[0]["email"] = "not an email"
    services[0]["attributes"][1]["taxonomy_term"]["term"] = "age_band:101-plus"
    del services[1]["name"]
    services[2]["status"] = "defunct"
    services[2]["service_areas"] = [{"id": "x", "name": "Whole of Manchester"}]
    with pytest.raises(OpenReferralError) as caught:
        import_json(services)
    wheres = [where for where, _ in caught.value.problems]
    assert wheres == [
        f"services[0] (id {HEALTHWATCH.id}), email",
        f"services[0] (id {HEALTHWATCH.id}), attributes (hubnet-reach)",
        "services[1], name",
        f"services[2] (id {BARE.id}), status",
        f"services[2] (id {BARE.id}), service_areas[0]",
    ]
    assert "'101-plus' is not a category of age_band" in str(caught.value)


def test_json_import_refuses_a_repeated_service_and_two_kinds() -> None:
    services = export_json([HEALTHWATCH, HEALTHWATCH])
    services[0]["attributes"].append(
        {"taxonomy_term": {"taxonomy": "hubnet-kind", "term": "vcse"}, "link_entity": "service"}
    )
    with pytest.raises(OpenReferralError) as caught:
        import_json(services)
    messages = [message for _, message in caught.value.problems]
    assert messages == [
        "more than one hubnet-kind term: healthwatch, vcse",
        f"service id {HEALTHWATCH.id!r} is used twice",
    ]


def test_json_import_refuses_what_is_not_a_list() -> None:
    with pytest.raises(OpenReferralError, match="expected a list"):
        import_json({"name": "one service"})


# --- CSV ----------------------------------------------------------------------------------


def test_csv_round_trip_gives_equal_entries() -> None:
    files = export_csv(ENTRIES)
    assert sorted(files) == [
        "attribute.csv",
        "contacts.csv",
        "organization_identifiers.csv",
        "organizations.csv",
        "phones.csv",
        "service_areas.csv",
        "services.csv",
        "taxonomies.csv",
        "taxonomy_terms.csv",
    ]
    assert import_csv(files) == ENTRIES


def test_csv_tables_use_oruk_columns() -> None:
    files = export_csv(ENTRIES)
    services = files["services.csv"].splitlines()
    assert services[0] == (
        "id,organization_id,name,description,url,email,status,application_process"
    )
    assert len(services) == 4
    assert files["service_areas.csv"].splitlines()[0] == "id,service_id,name,service_area,uri"
    assert len(files["service_areas.csv"].splitlines()) == 3  # header + PPG's two wards
    assert files["taxonomies.csv"].count("hubnet-") == 3
    # A term two entries share would be one row; here 3 kinds + 2 reaches + 2 topics.
    assert len(files["taxonomy_terms.csv"].splitlines()) == 1 + 7


def test_csv_import_ignores_extra_columns_and_tables_and_accepts_a_bom() -> None:
    files = export_csv([PPG])
    header, row = files["services.csv"].splitlines()
    files["services.csv"] = "\ufeff" + header + ",fees\n" + row + ",Free\n"
    files["schedules.csv"] = "id,service_id,freq\n1,2,WEEKLY\n"
    del files["phones.csv"]
    assert import_csv(files) == [PPG]


def test_csv_import_names_file_row_and_field_and_returns_nothing() -> None:
    files = export_csv(ENTRIES)
    lines = files["services.csv"].splitlines()
    lines[3] = lines[3].replace(",active,", ",,")  # BARE, spreadsheet row 4, loses status
    lines[1] = lines[1].replace("info@healthwatch.example.org", "info(at)healthwatch")
    files["services.csv"] = "\n".join(lines) + "\n"
    files["service_areas.csv"] += "d9e8f7a6-b5c4-4d3e-2f1a-0b9c8d7e6f5a,nobody,E05011236,,\n"
    files["phones.csv"] = files["phones.csv"].replace("+44 161 496 0123", "ring us")
    with pytest.raises(OpenReferralError) as caught:
        import_csv(files)
    assert caught.value.problems == (
        ("services.csv row 4, status", "is required"),
        ("service_areas.csv row 4, service_id", "'nobody' is not in services.csv"),
        (
            f"services.csv row 2 (id {HEALTHWATCH.id}), email",
            "'info(at)healthwatch' is not an email address",
        ),
        (
            f"services.csv row 2 (id {HEALTHWATCH.id}), phones.csv number",
            "'ring us' is not a phone number (digits, spaces, +, brackets)",
        ),
    )


def test_csv_import_needs_its_files_and_columns() -> None:
    files = export_csv(ENTRIES)
    del files["organizations.csv"]
    files["attribute.csv"] = "id,link_id\n"
    with pytest.raises(OpenReferralError) as caught:
        import_csv(files)
    assert caught.value.problems == (
        ("organizations.csv", "file is missing"),
        ("attribute.csv", "has no column taxonomy_term_id"),
    )
