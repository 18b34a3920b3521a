"""`hubnet hub discover import|export` on a real instance folder (the group invoked directly)."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner, Result

from hub import create_app
from hub.discover import services
from hub.discover.cli import discover_group
from hub.discover.directory import DirectoryEntry
from hub.discover.openreferral import export_csv, export_json
from hubnet.db import get_session

PPG = DirectoryEntry(
    id="7b2e4c1d-0a9f-4e8b-a7c6-d5e4f3a2b101",
    name="Zephyr Surgery PPG",
    kind="ppg",
    how_to_join="Ask at reception.",
    ods_code="P84001",
    reaches=(("age_band", "75-plus"),),
    topics=("gp-access",),
)
CARERS = DirectoryEntry(
    id="7b2e4c1d-0a9f-4e8b-a7c6-d5e4f3a2b102",
    name="Carers Together",
    kind="vcse",
    phone="01632 960555",
    wards=("E05011234",),
    reaches=(("unpaid_carer", "carer"),),
)


def discover(*args: str) -> Result:
    return CliRunner().invoke(discover_group, list(args))


def stored(instance: Path) -> list[DirectoryEntry]:
    app = create_app({"INSTANCE_PATH": str(instance)})
    try:
        with app.app_context():
            return services.list_entries(get_session())
    finally:
        app.extensions["hubnet.engine"].dispose()


def test_import_json_then_export_both_formats_and_import_the_csv_back(
    instance: Path, tmp_path: Path
) -> None:
    source = tmp_path / "groups.json"
    source.write_text(json.dumps(export_json([PPG, CARERS])), encoding="utf-8")

    imported = discover("import", "--instance", str(instance), str(source))

    assert imported.exit_code == 0, imported.output
    assert imported.stdout == f"Imported {source}: 2 added, 0 updated\n"
    assert stored(instance) == [CARERS, PPG]

    out = tmp_path / "out"
    as_json = discover("export", "--instance", str(instance), str(out), "--format", "json")
    as_csv = discover("export", "--instance", str(instance), str(out / "csv"), "--format", "csv")
    assert as_json.exit_code == 0 and as_csv.exit_code == 0, as_json.output + as_csv.output
    assert "Exported 2 entries" in as_json.stdout
    assert json.loads((out / "discover.json").read_text(encoding="utf-8")) == export_json(
        [CARERS, PPG]
    )
    csv_files = sorted((out / "csv").iterdir())
    assert [path.name for path in csv_files] == sorted(export_csv([]))

    again = discover("import", "--instance", str(instance), *map(str, csv_files))

    assert again.exit_code == 0, again.output
    assert "0 added, 2 updated" in again.stdout
    assert stored(instance) == [CARERS, PPG]


def test_a_bad_import_prints_every_problem_and_stores_nothing(
    instance: Path, tmp_path: Path
) -> None:
    services_json = export_json([PPG, CARERS])
    services_json[0]["status"] = "inactive"
    services_json[1]["email"] = "no address"
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(services_json), encoding="utf-8")
    good = tmp_path / "good.json"
    good.write_text(
        json.dumps(export_json([DirectoryEntry(id=PPG.id[:-1] + "9", name="Fine", kind="other")])),
        encoding="utf-8",
    )
    odd = tmp_path / "notes.txt"
    odd.write_text("hello", encoding="utf-8")

    result = discover("import", "--instance", str(instance), str(good), str(bad), str(odd))

    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert lines[0] == "Nothing was imported: 3 problems:"
    assert lines[1].startswith(f"- bad.json: services[0] (id {PPG.id}), status: 'inactive'")
    assert lines[2].startswith(f"- bad.json: services[1] (id {CARERS.id}), email: 'no address'")
    assert lines[3].startswith("- notes.txt: is not a .json file")
    assert stored(instance) == []  # not even the good file


def test_export_of_an_empty_directory(instance: Path, tmp_path: Path) -> None:
    result = discover("export", "--instance", str(instance), str(tmp_path / "x"))

    assert result.exit_code == 0
    assert json.loads((tmp_path / "x" / "discover.json").read_text(encoding="utf-8")) == []
    assert "Exported 0 entries" in result.stdout
