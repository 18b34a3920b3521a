"""`hubnet hub …` commands, run through click's CliRunner against real databases."""

from __future__ import annotations

import json
import re
import stat
import tomllib
from datetime import datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from federation.keys import key_id, load_public_key
from federation.periods import Period
from federation.statement import validate_body
from hub import create_app
from hub.cli import hub_group
from hub.outbox import cli as outbox_cli
from hub.outbox.services import list_outbox
from hub.summary.models import StoredRelease
from hubnet.config import write_toml
from hubnet.db import get_session
from tests.conftest import DatabaseFactory
from tests.hub.conftest import LOG_KEY, hubnet_hub, init_args, script, seed
from tests.hub.fake_aggregator import FakeAggregator


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_init_writes_settings_keys_and_a_migrated_database(
    tmp_path: Path, aggregator_pub: Path, make_database_url: DatabaseFactory
) -> None:
    folder = tmp_path / "hub"

    result = hubnet_hub(*init_args(folder, aggregator_pub, make_database_url("init")))

    assert result.exit_code == 0, result.output
    settings = tomllib.loads((folder / "hub.toml").read_text())
    assert settings["HUB_ID"] == "E08000003"
    assert settings["POPULATION"] == 551938
    assert settings["AGGREGATOR_ID"] == "hubnet-test-national"
    assert len(settings["SECRET_KEY"]) == 64
    assert mode(folder / "hub.toml") == 0o600
    assert mode(folder / "hub-key.pem") == 0o600
    assert mode(folder) == 0o700
    hub_keyid = key_id(load_public_key(folder / "hub-key.pub"))
    log_keyid = key_id(LOG_KEY.public_key())
    assert key_id(load_public_key(folder / "aggregator.pub")) == log_keyid
    assert hub_keyid in result.output
    assert log_keyid in result.output
    assert (
        "hubnet aggregator hubs add --gss E08000003 --name Manchester --region 'North West' "
        "--population 551938 --public-key hub-key.pub"
    ) in result.output
    listed = hubnet_hub("themes", "list", "--instance", str(folder))
    assert "gp-access" in listed.output  # migrated, and the national themes seeded


def test_init_refuses_to_overwrite_an_instance(instance: Path, aggregator_pub: Path) -> None:
    before = (instance / "hub.toml").read_text(), (instance / "hub-key.pem").read_bytes()

    result = hubnet_hub(*init_args(instance, aggregator_pub, "sqlite://"))

    assert result.exit_code != 0
    assert "not overwriting" in result.output
    assert ((instance / "hub.toml").read_text(), (instance / "hub-key.pem").read_bytes()) == before


def test_init_force_rewrites_settings_but_keeps_the_hubs_key(
    instance: Path, aggregator_pub: Path
) -> None:
    keyid = key_id(load_public_key(instance / "hub-key.pub"))
    database_url = tomllib.loads((instance / "hub.toml").read_text())["DATABASE_URL"]
    args = init_args(instance, aggregator_pub, database_url)
    args[args.index("Manchester")] = "Manchester City Council"

    result = hubnet_hub(*args, "--force")

    assert result.exit_code == 0, result.output
    assert "Kept the existing hub key" in result.output
    assert key_id(load_public_key(instance / "hub-key.pub")) == keyid
    assert tomllib.loads((instance / "hub.toml").read_text())["HUB_NAME"] == (
        "Manchester City Council"
    )


def test_init_refuses_a_code_that_is_not_a_gss_code(tmp_path: Path, aggregator_pub: Path) -> None:
    args = init_args(tmp_path / "hub", aggregator_pub, "sqlite://")
    args[args.index("E08000003")] = "Manchester"

    result = CliRunner().invoke(hub_group, args)

    assert result.exit_code == 2
    assert "not an ONS GSS code" in result.output
    assert not (tmp_path / "hub").exists()


def test_commands_on_an_unmigrated_database_name_the_fix_and_migrate_applies_it(
    tmp_path: Path, make_database_url: DatabaseFactory
) -> None:
    folder = tmp_path / "hub"
    folder.mkdir()
    write_toml(
        folder / "hub.toml",
        {"SECRET_KEY": "s", "DATABASE_URL": make_database_url("unmigrated")},
        header="test",
    )

    refused = hubnet_hub("outbox", "--instance", str(folder))
    migrated = hubnet_hub("migrate", "--instance", str(folder))
    listed = hubnet_hub("outbox", "--instance", str(folder))

    assert refused.exit_code == 1
    assert f"Run: hubnet hub migrate --instance {folder}" in refused.output
    assert migrated.exit_code == 0
    assert listed.exit_code == 0
    assert "The outbox is empty" in listed.output


def test_serve_refuses_an_unmigrated_database_before_starting(
    tmp_path: Path, make_database_url: DatabaseFactory
) -> None:
    folder = tmp_path / "hub"
    folder.mkdir()
    write_toml(
        folder / "hub.toml",
        {"SECRET_KEY": "s", "DATABASE_URL": make_database_url("unserved")},
        header="test",
    )

    result = hubnet_hub("serve", "--instance", str(folder), "--port", "1")

    assert result.exit_code == 1
    assert "hubnet hub migrate" in result.output


def test_a_missing_instance_folder_says_how_to_make_one(tmp_path: Path) -> None:
    result = hubnet_hub("outbox", "--instance", str(tmp_path / "nowhere"))

    assert result.exit_code == 1
    assert "hubnet hub init --instance" in result.output


def test_themes_add_and_list(instance: Path) -> None:
    added = hubnet_hub(
        "themes", "add", "--instance", str(instance),
        "--slug", "hospital-discharge", "--name", "Leaving hospital",
        "--national", "care-integration",
    )  # fmt: skip
    refused = hubnet_hub(
        "themes", "add", "--instance", str(instance),
        "--slug", "buses", "--name", "Buses", "--national", "buses",
    )  # fmt: skip
    listed = hubnet_hub("themes", "list", "--instance", str(instance))

    assert added.exit_code == 0
    assert re.search(r"hospital-discharge\s+care-integration\s+Leaving hospital", listed.output)
    assert refused.exit_code == 1
    assert "'buses' is not a national theme code" in refused.output


def test_summary_prints_the_release_exactly_as_it_would_leave(instance: Path) -> None:
    seed(instance, 9)

    result = hubnet_hub("summary", "--instance", str(instance), "--period", "2026-10")

    body = json.loads(result.output)
    validate_body("summary/1", body)
    gp = next(row for row in body["themes"] if row["code"] == "gp-access")
    assert gp["contributors"] == {"value": 10, "suppressed": False}


def test_push_builds_signs_and_delivers_then_pushing_again_sends_nothing_new(
    instance: Path, aggregator: FakeAggregator
) -> None:
    seed(instance, 9)

    pushed = hubnet_hub("push", "--instance", str(instance), "--period", "2026-10")
    again = hubnet_hub("push", "--instance", str(instance), "--period", "2026-10")
    outbox = hubnet_hub("outbox", "--instance", str(instance))

    assert pushed.exit_code == 0, pushed.output
    assert "Built the summary for 2026-10" in pushed.output
    assert "10 people took part" in pushed.output
    assert "seq 1 (prev none" in pushed.output
    assert "seq 1 (2026-10): delivered" in pushed.output
    assert again.exit_code == 0
    assert "already in the outbox (seq 1, delivered)" in again.output
    assert len(aggregator.requests) == 1
    assert outbox.output.count("delivered") == 1
    assert re.search(r"1\s+2026-10\s+delivered\s+1", outbox.output)
    assert re.fullmatch(r"hubnet-hub/\S+ \(E08000003\)", aggregator.headers["User-Agent"])


def test_push_exits_non_zero_when_delivery_fails_and_outbox_send_retries(
    instance: Path, aggregator: FakeAggregator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(outbox_cli.time, "sleep", lambda _seconds: None)
    script(aggregator, *[503] * 5)

    pushed = hubnet_hub("push", "--instance", str(instance), "--period", "2026-10")
    listed = hubnet_hub("outbox", "--instance", str(instance))
    sent = hubnet_hub("outbox", "send", "--instance", str(instance))

    assert pushed.exit_code == 1
    assert "NOT delivered (will retry): HTTP 503" in pushed.output
    assert re.search(r"1\s+2026-10\s+pending\s+5\s+HTTP 503", listed.output)
    assert sent.exit_code == 0, sent.output
    assert "seq 1 (2026-10): delivered" in sent.output


def test_push_reports_a_rejection(instance: Path, aggregator: FakeAggregator) -> None:
    script(aggregator, 422)

    pushed = hubnet_hub("push", "--instance", str(instance), "--period", "2026-10")

    assert pushed.exit_code == 1
    assert "NOT delivered (rejected): HTTP 422: scripted 422" in pushed.output


def test_push_refuses_the_current_month_and_stores_and_queues_nothing(
    instance: Path, aggregator: FakeAggregator, clock: list[datetime]
) -> None:
    """A month pushed before it ends would leave with its figures frozen in the cached release."""
    seed(instance, 9)
    current = Period.month(clock[0].year, clock[0].month)

    pushed = hubnet_hub("push", "--instance", str(instance), "--period", current.label)
    outbox = hubnet_hub("outbox", "--instance", str(instance))

    assert pushed.exit_code == 1
    assert f"Error: nothing was pushed: {current.label} has not ended yet: it ends on " in (
        pushed.output
    )
    assert f"ends on {current.end.isoformat()}, so its release can be prepared from" in (
        pushed.output
    )
    assert "Built the summary" not in pushed.output
    assert aggregator.requests == []
    assert "The outbox is empty" in outbox.output
    app = create_app({"INSTANCE_PATH": str(instance)})
    with app.app_context():
        db = get_session()
        assert list_outbox(db) == []
        assert db.scalar(select(func.count()).select_from(StoredRelease)) == 0
    app.extensions["hubnet.engine"].dispose()


def test_push_refuses_a_period_it_cannot_read(instance: Path) -> None:
    result = CliRunner().invoke(
        hub_group, ["push", "--instance", str(instance), "--period", "October"]
    )

    assert result.exit_code == 2
    assert "cannot read period 'October'" in result.output
