"""Discover's directory in the database: add, change, remove; import and export, all or nothing."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.discover import services
from hub.discover.coverage import coverage_gaps
from hub.discover.demo import DEMO_NOTE, demo_entries, seed_demo
from hub.discover.directory import DirectoryEntry
from hub.discover.models import DirectoryRecord
from hub.discover.openreferral import export_csv, export_json
from hub.discover.services import DiscoverError
from hub.gather.models import Ward
from hub.staff.models import StaffAction
from tests.hub.staff_helpers import make_staff

PPG_ID = "6a1f0c52-8f0e-4d3b-9c1a-2b7d5e4f3a10"
CARERS_ID = "6a1f0c52-8f0e-4d3b-9c1a-2b7d5e4f3a11"


def ppg(**changes: object) -> DirectoryEntry:
    fields: dict[str, object] = {
        "id": PPG_ID,
        "name": "Zephyr Surgery PPG",
        "kind": "ppg",
        "description": "Patients who meet the practice team.",
        "how_to_join": "Ask at reception.",
        "url": "https://zephyr.example.org/ppg",
        "email": "ppg@zephyr.example.org",
        "phone": "01632 960001",
        "ods_code": "P84001",
        "wards": ("E05000001",),
        "reaches": (("age_band", "75-plus"),),
        "topics": ("gp-access", "hearing loss"),
    }
    fields.update(changes)
    return DirectoryEntry(**fields)  # type: ignore[arg-type]


def carers(**changes: object) -> DirectoryEntry:
    fields: dict[str, object] = {
        "id": CARERS_ID,
        "name": "Carers Together",
        "kind": "vcse",
        "reaches": (("unpaid_carer", "carer"),),
    }
    fields.update(changes)
    return DirectoryEntry(**fields)  # type: ignore[arg-type]


def actions(db: Session) -> list[tuple[str, str, str]]:
    rows = db.scalars(select(StaffAction).order_by(StaffAction.id))
    return [(row.action, row.target, row.detail) for row in rows if row.action.startswith("disc")]


def stored(db: Session) -> list[str]:
    return [record.name for record in services.list_records(db)]


def test_an_added_entry_comes_back_equal_with_who_added_it(db: Session) -> None:
    facilitator = make_staff(db, "fa@example.org", "facilitator")

    services.add_entry(db, facilitator, ppg())
    db.commit()

    assert services.get_entry(db, PPG_ID) == ppg()
    record = db.get(DirectoryRecord, PPG_ID)
    assert record is not None
    assert record.created_by_id == facilitator.id
    assert json.loads(record.reaches) == [["age_band", "75-plus"]]
    assert actions(db) == [("discover-entry-added", f"discover:{PPG_ID}", "Zephyr Surgery PPG")]


def test_entries_are_listed_by_name_whatever_the_case(db: Session) -> None:
    admin = make_staff(db, "ad@example.org", "admin")
    services.add_entry(db, admin, ppg(name="zephyr Surgery PPG"))
    services.add_entry(db, admin, carers())

    assert [entry.name for entry in services.list_entries(db)] == [
        "Carers Together",
        "zephyr Surgery PPG",
    ]


def test_build_entry_names_every_problem_by_field() -> None:
    with pytest.raises(DiscoverError) as caught:
        services.build_entry(
            id=PPG_ID, name="", kind="club", url="zephyr.example.org", description="x" * 2001
        )

    fields = [field for field, _message in caught.value.problems]
    assert fields == ["name", "kind", "url", "description"]
    assert caught.value.by_field()["description"] == [
        "use 2,000 characters or fewer (this has 2,001)"
    ]


def test_moderators_may_not_change_the_directory(db: Session) -> None:
    moderator = make_staff(db, "mo@example.org", "moderator")

    with pytest.raises(DiscoverError, match="moderator"):
        services.add_entry(db, moderator, ppg())

    assert stored(db) == []


def test_adding_an_id_twice_is_refused(db: Session) -> None:
    admin = make_staff(db, "ad@example.org", "admin")
    services.add_entry(db, admin, ppg())

    with pytest.raises(DiscoverError) as caught:
        services.add_entry(db, admin, ppg(name="Another"))

    assert caught.value.field == "id"


def test_wards_must_be_the_hubs_once_it_has_wards(db: Session) -> None:
    admin = make_staff(db, "ad@example.org", "admin")
    db.add(Ward(code="E05000002", name="Hulme"))
    db.flush()

    with pytest.raises(DiscoverError) as caught:
        services.add_entry(db, admin, ppg())

    assert caught.value.problems == (("wards", "E05000001 is not one of this hub's wards"),)
    assert stored(db) == []


def test_update_and_remove_are_logged(db: Session) -> None:
    admin = make_staff(db, "ad@example.org", "admin")
    facilitator = make_staff(db, "fa@example.org", "facilitator")
    services.add_entry(db, admin, ppg())

    services.update_entry(db, facilitator, ppg(name="Zephyr Patients' Group", wards=()))
    record = db.get(DirectoryRecord, PPG_ID)
    assert record is not None
    assert (record.created_by_id, record.updated_by_id) == (admin.id, facilitator.id)
    assert services.get_entry(db, PPG_ID) == ppg(name="Zephyr Patients' Group", wards=())

    removed = services.remove_entry(db, facilitator, PPG_ID)

    assert removed.name == "Zephyr Patients' Group"
    assert stored(db) == []
    assert [action for action, _target, _detail in actions(db)] == [
        "discover-entry-added",
        "discover-entry-changed",
        "discover-entry-removed",
    ]
    with pytest.raises(DiscoverError):
        services.remove_entry(db, facilitator, PPG_ID)


# -- reading files ---------------------------------------------------------------------------


def _zip(files: dict[str, str], folder: str = "") -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, text in files.items():
            archive.writestr(folder + name, text)
    return out.getvalue()


def test_json_zip_and_loose_csv_files_all_read_back_equal() -> None:
    entries = [ppg(), carers()]
    as_json = json.dumps(export_json(entries)).encode()
    tables = export_csv(entries)

    assert services.read_files([("d.json", as_json)]) == entries
    assert services.read_files([("d.zip", _zip(tables, "oruk/"))]) == entries
    loose = [(name, text.encode()) for name, text in tables.items()]
    assert services.read_files(loose) == entries
    assert services.read_files([("d.zip", services.export_csv_zip(entries))]) == entries
    assert services.read_files([("d.json", services.export_json_text(entries).encode())]) == entries


def test_every_problem_in_every_file_is_reported() -> None:
    services_json = export_json([ppg()])
    services_json[0]["status"] = "inactive"
    services_json[0]["email"] = "not an address"
    files = [
        ("bad.json", json.dumps(services_json).encode()),
        ("broken.json", b"{not json"),
        ("notes.txt", b"hello"),
        ("empty.zip", _zip({"readme.md": "x"})),
        ("services.csv", export_csv([carers()])["services.csv"].encode()),  # no organizations.csv
    ]

    with pytest.raises(DiscoverError) as caught:
        services.read_files(files)

    problems = caught.value.problems
    wheres = [where for where, _message in problems]
    assert f"bad.json: services[0] (id {PPG_ID}), status" in wheres
    assert f"bad.json: services[0] (id {PPG_ID}), email" in wheres
    assert any(w == "broken.json" for w in wheres)
    assert ("notes.txt", "is not a .json file, a .zip of ORUK CSV files, or an ORUK .csv file") in (
        problems
    )
    assert ("empty.zip", "has no .csv files in it (expected the ORUK CSV tables)") in problems
    assert ("organizations.csv", "file is missing") in problems
    assert len(problems) == 6


def test_the_same_id_in_two_files_is_a_problem() -> None:
    one = json.dumps(export_json([ppg()])).encode()

    with pytest.raises(DiscoverError, match="in the files twice"):
        services.read_files([("a.json", one), ("b.json", one)])


def test_no_file_is_a_problem() -> None:
    with pytest.raises(DiscoverError) as caught:
        services.read_files([])
    assert caught.value.field == "file"


# -- importing -------------------------------------------------------------------------------


def test_import_adds_new_ids_and_updates_known_ones(db: Session) -> None:
    admin = make_staff(db, "ad@example.org", "admin")
    services.add_entry(db, admin, ppg(name="Old name"))

    result = services.import_entries(db, None, [ppg(), carers()], source="d.json")

    assert (result.added, result.updated) == (1, 1)
    assert services.list_entries(db) == [carers(), ppg()]
    record = db.get(DirectoryRecord, PPG_ID)
    assert record is not None
    assert (record.created_by_id, record.updated_by_id) == (admin.id, None)
    assert actions(db)[-1] == ("discover-imported", "discover", "1 added, 1 updated from d.json")


def test_import_is_all_or_nothing(db: Session) -> None:
    db.add(Ward(code="E05000001", name="Ardwick"))
    db.flush()

    with pytest.raises(DiscoverError) as caught:
        services.import_entries(
            db,
            None,
            [carers(), ppg(wards=("E05000009",)), ppg(id=CARERS_ID[:-1] + "2", name="x" * 161)],
        )

    assert [where for where, _ in caught.value.problems] == [
        f"Zephyr Surgery PPG (id {PPG_ID}), wards",
        f"{'x' * 161} (id {CARERS_ID[:-1]}2), name",
    ]
    assert stored(db) == []


def test_facilitators_import_but_moderators_do_not(db: Session) -> None:
    moderator = make_staff(db, "mo@example.org", "moderator")
    with pytest.raises(DiscoverError):
        services.import_entries(db, moderator, [ppg()])
    assert stored(db) == []


# -- the demo --------------------------------------------------------------------------------


def test_the_demo_leaves_a_group_and_a_ward_uncovered_and_can_run_twice(db: Session) -> None:
    wards = ["E05000001", "E05000002", "E05000003", "E05000004"]
    for code in wards:
        db.add(Ward(code=code, name=f"Ward {code[-1]}"))
    admin = make_staff(db, "ad@example.org", "admin")

    seed_demo(db, gss="E08000003", wards=wards, staff=admin)
    seed_demo(db, gss="E08000003", wards=wards, staff=admin)

    entries = services.list_entries(db)
    assert len(entries) == 6
    assert all(entry.description.endswith(DEMO_NOTE) for entry in entries)
    groups = [("age_band", "35-44"), ("ethnic_group", "white"), ("unpaid_carer", "carer")]
    coverage = coverage_gaps(entries, groups, wards)
    assert coverage.uncovered_groups == (("age_band", "35-44"), ("ethnic_group", "white"))
    assert coverage.uncovered_wards == ("E05000004",)


def test_demo_entries_without_wards_are_area_wide() -> None:
    assert all(entry.covers_whole_area for entry in demo_entries("E08000003", []))
