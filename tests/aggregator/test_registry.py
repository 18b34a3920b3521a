"""The hub registry: `GET /api/v1/hubs` and `hubnet aggregator hubs add/list/revoke`."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from flask import Flask
from flask.testing import FlaskClient

from federation.keys import generate_key_pair, key_id, load_public_key
from national_aggregator.cli import aggregator_group
from tests.aggregator.conftest import RegisterHub, post, row_counts

MANCHESTER = ["--gss", "E08000003", "--name", "Manchester", "--region", "North West",
              "--population", "551938"]  # fmt: skip


def test_hubs_api_lists_each_hub_with_its_keys_and_last_statement(
    client: FlaskClient, register: RegisterHub
) -> None:
    manchester = register()
    register("E06000052", "Cornwall", "South West", 570305)
    post(client, manchester.summary())
    post(client, manchester.summary())

    hubs = client.get("/api/v1/hubs").get_json()

    assert [hub["name"] for hub in hubs] == ["Cornwall", "Manchester"]
    cornwall, listed = hubs
    assert (cornwall["last_seq"], cornwall["last_received_at"]) == (0, None)
    assert listed["gss"] == "E08000003"
    assert (listed["region"], listed["population"], listed["revoked"]) == (
        "North West",
        551938,
        False,
    )
    assert listed["last_seq"] == 2
    assert listed["last_received_at"].endswith("Z")
    keys = listed["keys"]
    assert [(key["keyid"], key["revoked"]) for key in keys] == [
        (key_id(manchester.private_key.public_key()), False)
    ]


@pytest.fixture
def runner(app: Flask, instance: Path, database_url: str) -> CliRunner:
    """Run `hubnet aggregator …` against the test instance and database."""
    return CliRunner(
        env={"AGGREGATOR_INSTANCE": str(instance), "AGGREGATOR_DATABASE_URL": database_url}
    )


@pytest.fixture
def hub_key(tmp_path: Path) -> Path:
    """A hub's public key file, as `hubnet hub init` leaves it."""
    generate_key_pair(tmp_path / "hub-key.pem", tmp_path / "hub-key.pub")
    return tmp_path / "hub-key.pub"


def hubs(runner: CliRunner, *args: str) -> Result:
    return runner.invoke(aggregator_group, ["hubs", *args])


def test_hubs_add_registers_a_hub_that_can_then_submit(
    runner: CliRunner, client: FlaskClient, hub_key: Path
) -> None:
    keyid = key_id(load_public_key(hub_key))

    result = hubs(runner, "add", *MANCHESTER, "--public-key", str(hub_key), "--expect-keyid", keyid)

    assert result.exit_code == 0, result.output
    assert f"Registered key {keyid} for Manchester (E08000003, North West" in result.output
    listed = client.get("/api/v1/hubs").get_json()
    assert [(hub["gss"], hub["keys"][0]["keyid"]) for hub in listed] == [("E08000003", keyid)]


def test_hubs_add_tells_the_operator_to_check_the_key_id_by_phone(
    runner: CliRunner, hub_key: Path
) -> None:
    result = hubs(runner, "add", *MANCHESTER, "--public-key", str(hub_key))

    assert result.exit_code == 0, result.output
    assert "Check this key id with the council" in result.output


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (["--gss", "Manchester"], "--gss: must be an ONS GSS code"),
        (["--population", "0"], "--population: must be more than 0"),
        (["--expect-keyid", "not-the-key-the-council-read-out"], "do not register it"),
    ],
    ids=["bad-gss", "population-0", "keyid-mismatch"],
)
def test_hubs_add_refuses_bad_input_and_stores_nothing(
    runner: CliRunner, app: Flask, hub_key: Path, change: list[str], message: str
) -> None:
    before = row_counts(app)
    arguments = dict(zip(MANCHESTER[::2], MANCHESTER[1::2], strict=True))
    arguments.update(zip(change[::2], change[1::2], strict=True))

    result = hubs(runner, "add", *[v for pair in arguments.items() for v in pair],
                  "--public-key", str(hub_key))  # fmt: skip

    assert result.exit_code != 0
    assert message in result.output
    assert row_counts(app) == before


def test_hubs_add_refuses_a_key_that_is_not_ed25519(
    runner: CliRunner, app: Flask, tmp_path: Path
) -> None:
    not_a_key = tmp_path / "hub-key.pub"
    not_a_key.write_text("-----BEGIN PUBLIC KEY-----\nbm90IGEga2V5\n-----END PUBLIC KEY-----\n")
    before = row_counts(app)

    result = hubs(runner, "add", *MANCHESTER, "--public-key", str(not_a_key))

    assert result.exit_code != 0
    assert "is not an Ed25519 public key" in result.output
    assert row_counts(app) == before


def test_a_second_key_needs_add_key_and_then_both_keys_are_listed(
    runner: CliRunner, client: FlaskClient, hub_key: Path, tmp_path: Path
) -> None:
    assert hubs(runner, "add", *MANCHESTER, "--public-key", str(hub_key)).exit_code == 0
    generate_key_pair(tmp_path / "new.pem", tmp_path / "new.pub")

    again = hubs(runner, "add", *MANCHESTER, "--public-key", str(tmp_path / "new.pub"))
    rotated = hubs(
        runner, "add", "--gss", "E08000003", "--add-key", "--public-key", str(tmp_path / "new.pub")
    )
    duplicate = hubs(runner, "add", "--gss", "E08000003", "--add-key", "--public-key", str(hub_key))

    assert (
        again.exit_code != 0
        and "already registered" in again.output
        and "--add-key" in again.output
    )
    assert rotated.exit_code == 0, rotated.output
    assert duplicate.exit_code != 0 and "already registered" in duplicate.output
    assert len(client.get("/api/v1/hubs").get_json()[0]["keys"]) == 2


def test_hubs_list_shows_a_readable_table(runner: CliRunner, hub_key: Path) -> None:
    hubs(runner, "add", *MANCHESTER, "--public-key", str(hub_key))

    result = hubs(runner, "list")

    assert result.exit_code == 0, result.output
    header, row = result.output.splitlines()[:2]
    assert header.split() == ["GSS", "Name", "Region", "Population", "Keys", "Last", "seq", "Last",
                              "received", "Status"]  # fmt: skip
    assert row.split()[:4] == ["E08000003", "Manchester", "North", "West"]
    assert "551,938" in row and "1 of 1 active" in row and "never" in row and row.endswith("active")


def test_revoking_a_key_or_a_hub_refuses_its_next_statement(
    runner: CliRunner, client: FlaskClient, register: RegisterHub
) -> None:
    manchester = register()
    cornwall = register("E06000052", "Cornwall", "South West", 570305)
    keyid = key_id(manchester.private_key.public_key())

    by_key = hubs(runner, "revoke", "--gss", "E08000003", "--keyid", keyid)
    by_hub = hubs(runner, "revoke", "--gss", "E06000052")
    twice = hubs(runner, "revoke", "--gss", "E06000052")
    unknown = hubs(runner, "revoke", "--gss", "E09000033")

    assert by_key.exit_code == 0 and f"Revoked key {keyid} of hub E08000003" in by_key.output
    assert by_hub.exit_code == 0 and "Revoked hub E06000052" in by_hub.output
    assert "already revoked" in twice.output
    assert unknown.exit_code != 0 and "no hub E09000033 is registered" in unknown.output
    assert post(client, manchester.summary()).status_code == 403
    assert post(client, cornwall.summary()).status_code == 403
    listed = {hub["gss"]: hub for hub in client.get("/api/v1/hubs").get_json()}
    assert listed["E08000003"]["keys"][0]["revoked"] is True
    assert listed["E06000052"]["revoked"] is True
