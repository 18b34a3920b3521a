"""`hubnet hub wards import|list` on a real instance folder."""

from __future__ import annotations

from pathlib import Path

from tests.hub.conftest import hubnet_hub


def test_wards_are_imported_from_a_csv_file_and_listed(instance: Path, tmp_path: Path) -> None:
    csv_file = tmp_path / "wards.csv"
    csv_file.write_text("code,name\nE05011234,Ancoats and Beswick\nE05011235,Ardwick\n")

    imported = hubnet_hub("wards", "import", "--instance", str(instance), str(csv_file))
    listed = hubnet_hub("wards", "list", "--instance", str(instance))

    assert imported.exit_code == 0, imported.output
    assert "2 added, 0 renamed" in imported.output
    assert listed.output.splitlines() == [
        "E05011234  Ancoats and Beswick",
        "E05011235  Ardwick",
    ]


def test_a_bad_line_is_named_and_nothing_is_imported(instance: Path, tmp_path: Path) -> None:
    csv_file = tmp_path / "wards.csv"
    csv_file.write_text("E05011234,Ancoats\nAncoats,E05011234\n")

    refused = hubnet_hub("wards", "import", "--instance", str(instance), str(csv_file))

    assert refused.exit_code == 1
    assert "line 2: expected an ONS ward code and a name" in refused.output
    assert hubnet_hub("wards", "list", "--instance", str(instance)).output == ""
