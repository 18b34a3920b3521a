"""The app factory: configuration order, and refusing to start when it cannot run safely."""

from __future__ import annotations

from pathlib import Path

import pytest

from hub import create_app
from hubnet.config import write_toml
from hubnet.db import DatabaseNotMigrated
from tests.conftest import DatabaseFactory


def test_refuses_an_unmigrated_database_and_names_the_fixing_command(
    make_database_url: DatabaseFactory, tmp_path: Path
) -> None:
    instance = tmp_path / "my hub"
    with pytest.raises(DatabaseNotMigrated) as refused:
        create_app(
            {
                "INSTANCE_PATH": str(instance),
                "DATABASE_URL": make_database_url("empty"),
                "SECRET_KEY": "x",
            }
        )
    assert "has no hubnet tables" in str(refused.value)
    assert f"Run: hubnet hub migrate --instance '{instance}'" in str(refused.value)


def test_refuses_to_start_without_a_secret_key(database_url: str, tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match="SECRET_KEY is not set"):
        create_app({"INSTANCE_PATH": str(tmp_path), "DATABASE_URL": database_url})


def test_settings_come_from_hub_toml_then_environment_then_the_dict(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_toml(
        tmp_path / "hub.toml",
        {"HUB_NAME": "From file", "REGION": "North West", "SECRET_KEY": "s", "AGGREGATOR_ID": "a"},
        header="test",
    )
    monkeypatch.setenv("HUB_REGION", '"From environment"')
    monkeypatch.setenv("HUB_DATABASE_URL", database_url)

    app = create_app({"INSTANCE_PATH": str(tmp_path), "AGGREGATOR_ID": "from-dict"})

    assert app.config["HUB_NAME"] == "From file"
    assert app.config["REGION"] == "From environment"
    assert app.config["AGGREGATOR_ID"] == "from-dict"
    assert app.config["DATABASE_URL"] == database_url
    assert app.config["PRIVATE_KEY"] == "hub-key.pem"  # a default
    app.extensions["hubnet.engine"].dispose()


def test_the_default_database_is_sqlite_in_the_instance_folder(tmp_path: Path) -> None:
    with pytest.raises(DatabaseNotMigrated) as refused:
        create_app({"INSTANCE_PATH": str(tmp_path), "SECRET_KEY": "x"})
    assert str(tmp_path / "hub.sqlite3") in str(refused.value)
