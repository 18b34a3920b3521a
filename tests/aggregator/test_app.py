"""Setting up and starting the aggregator: init, migrate, serve, and what create_app refuses."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from click.testing import CliRunner
from flask.testing import FlaskClient
from sqlalchemy import inspect

from federation.keys import generate_key_pair, key_id, load_public_key
from hubnet.db import DatabaseNotMigrated, alembic_config, make_engine, upgrade_database
from national_aggregator import create_app
from national_aggregator.cli import aggregator_group
from national_aggregator.db import MIGRATIONS, Base
from national_aggregator.log.services import LogKeyUnavailable
from tests.conftest import DatabaseFactory


def test_init_makes_an_instance_that_starts_and_names_itself(
    tmp_path: Path, make_database_url: DatabaseFactory
) -> None:
    instance = tmp_path / "national"
    arguments = ["init", "--instance", str(instance), "--id", "hubnet-national-test",
                 "--database-url", make_database_url("init")]  # fmt: skip

    result = CliRunner().invoke(aggregator_group, arguments)

    assert result.exit_code == 0, result.output
    assert "Next:" in result.output and "hubs add" in result.output
    assert (instance / "log-key.pem").stat().st_mode & 0o777 == 0o600
    settings = tomllib.loads((instance / "aggregator.toml").read_text())
    assert settings["AGGREGATOR_ID"] == "hubnet-national-test"
    assert len(settings["SECRET_KEY"]) >= 32
    app = create_app({"INSTANCE_PATH": str(instance)})
    about = app.test_client().get("/api/v1/about").get_json()
    app.extensions["hubnet.engine"].dispose()
    log_key = load_public_key(instance / "log-key.pub")
    assert about["id"] == "hubnet-national-test"
    assert about["log_origin"] == "hubnet.national/log"
    assert about["log_keyid"] == key_id(log_key)
    assert about["log_public_key"] == (instance / "log-key.pub").read_text()


def test_init_refuses_an_existing_instance_and_force_keeps_its_log_key(
    tmp_path: Path, make_database_url: DatabaseFactory
) -> None:
    instance = tmp_path / "national"
    arguments = ["init", "--instance", str(instance), "--database-url", make_database_url("init")]
    CliRunner().invoke(aggregator_group, arguments)
    log_key = (instance / "log-key.pem").read_bytes()

    again = CliRunner().invoke(aggregator_group, arguments)
    forced = CliRunner().invoke(aggregator_group, [*arguments, "--id", "renamed", "--force"])

    assert again.exit_code != 0 and "already holds an aggregator" in again.output
    assert forced.exit_code == 0, forced.output
    assert (instance / "log-key.pem").read_bytes() == log_key
    assert tomllib.loads((instance / "aggregator.toml").read_text())["AGGREGATOR_ID"] == "renamed"


@pytest.fixture
def unmigrated(tmp_path: Path, make_database_url: DatabaseFactory) -> tuple[Path, str]:
    """An instance with its log key, over an empty database."""
    instance = tmp_path / "national"
    generate_key_pair(instance / "log-key.pem", instance / "log-key.pub")
    return instance, make_database_url("empty")


def test_an_unmigrated_database_is_refused_with_the_command_that_fixes_it(
    unmigrated: tuple[Path, str],
) -> None:
    instance, url = unmigrated

    with pytest.raises(DatabaseNotMigrated) as refused:
        create_app({"INSTANCE_PATH": str(instance), "DATABASE_URL": url})

    assert f"Run: hubnet aggregator migrate --instance {instance.resolve()}" in str(refused.value)


def test_serve_refuses_an_unmigrated_database_and_migrate_fixes_it(
    unmigrated: tuple[Path, str],
) -> None:
    instance, url = unmigrated
    runner = CliRunner(env={"AGGREGATOR_DATABASE_URL": url})

    refused = runner.invoke(aggregator_group, ["serve", "--instance", str(instance)])
    migrated = runner.invoke(aggregator_group, ["migrate", "--instance", str(instance)])
    listed = runner.invoke(aggregator_group, ["hubs", "list", "--instance", str(instance)])

    assert refused.exit_code != 0 and "hubnet aggregator migrate --instance" in refused.output
    assert migrated.exit_code == 0, migrated.output
    assert listed.exit_code == 0 and "No hubs registered yet" in listed.output


def test_the_app_refuses_to_start_without_its_log_key(tmp_path: Path, database_url: str) -> None:
    with pytest.raises(LogKeyUnavailable) as refused:
        create_app({"INSTANCE_PATH": str(tmp_path), "DATABASE_URL": database_url})

    assert "hubnet aggregator init" in str(refused.value)


def test_migrations_build_exactly_the_models_and_downgrade_to_nothing(
    make_database_url: DatabaseFactory,
) -> None:
    url = make_database_url("migrations")
    upgrade_database(url, MIGRATIONS)
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
        assert differences == []
        with engine.begin() as connection:
            config = alembic_config(url, MIGRATIONS)
            config.attributes["connection"] = connection
            command.downgrade(config, "base")
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    finally:
        engine.dispose()


def test_unknown_api_paths_answer_problem_json(client: FlaskClient) -> None:
    response = client.get("/api/v1/nothing-here")

    assert response.status_code == 404
    assert response.content_type == "application/problem+json"
