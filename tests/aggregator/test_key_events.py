"""Registry changes as log leaves: `hubnet aggregator hubs add/revoke` append key events.

Each event is an envelope signed by the log key (`federation.keyevents`),
appended in the same transaction as the registry change, and served by the
entries endpoint like any statement.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from flask import Flask
from flask.testing import FlaskClient

from federation.checkpoint import verify_checkpoint
from federation.errors import BadSignature
from federation.keyevents import KeyEvent, verify_key_event
from federation.keys import generate_key_pair, generate_private_key, key_id, load_public_key
from federation.merkle import leaf_hash, root_from_leaf_hashes
from national_aggregator.cli import aggregator_group
from tests.aggregator.conftest import RegisterHub, log_entries, post, row_counts

MANCHESTER = ["--gss", "E08000003", "--name", "Manchester", "--region", "North West",
              "--population", "551938"]  # fmt: skip


@pytest.fixture
def runner(app: Flask, instance: Path, database_url: str) -> CliRunner:
    return CliRunner(
        env={"AGGREGATOR_INSTANCE": str(instance), "AGGREGATOR_DATABASE_URL": database_url}
    )


@pytest.fixture
def log_key(instance: Path) -> Ed25519PublicKey:
    return load_public_key(instance / "log-key.pub")


def hubs(runner: CliRunner, *args: str) -> Result:
    return runner.invoke(aggregator_group, ["hubs", *args])


def new_key(tmp_path: Path, name: str) -> Path:
    generate_key_pair(tmp_path / f"{name}.pem", tmp_path / f"{name}.pub")
    return tmp_path / f"{name}.pub"


def events(client: FlaskClient, log_key: Ed25519PublicKey) -> list[KeyEvent]:
    size = client.get("/api/v1/log/checkpoint").get_json()["size"]
    return [verify_key_event(entry, log_key) for entry in log_entries(client, 0, size)]


def test_every_registry_change_is_a_key_event_signed_by_the_log_key(
    runner: CliRunner, client: FlaskClient, log_key: Ed25519PublicKey, tmp_path: Path
) -> None:
    first, second = new_key(tmp_path, "first"), new_key(tmp_path, "second")
    first_id, second_id = (key_id(load_public_key(path)) for path in (first, second))

    results = [
        hubs(runner, "add", *MANCHESTER, "--public-key", str(first)),
        hubs(runner, "add", "--gss", "E08000003", "--add-key", "--public-key", str(second)),
        hubs(
            runner, "revoke", "--gss", "E08000003", "--keyid", first_id, "--reason", "laptop stolen"
        ),
        hubs(runner, "revoke", "--gss", "E08000003", "--reason", "council left the network"),
    ]

    assert [result.exit_code for result in results] == [0, 0, 0, 0], [r.output for r in results]
    assert "logged as leaf 0" in results[0].output and "logged as leaf 1" in results[1].output
    logged = events(client, log_key)
    assert [(e.event, e.hub_id, e.keyid, e.reason) for e in logged] == [
        ("hub-registered", "E08000003", first_id, None),
        ("key-added", "E08000003", second_id, None),
        ("key-revoked", "E08000003", first_id, "laptop stolen"),
        ("hub-revoked", "E08000003", None, "council left the network"),
    ]
    assert logged[0].hub == {"name": "Manchester", "region": "North West", "population": 551938}
    assert logged[0].public_key is not None and key_id(logged[0].public_key) == first_id
    assert logged[1].hub is None and logged[2].public_key is None
    listed = {key["keyid"]: key for key in client.get("/api/v1/hubs").get_json()[0]["keys"]}
    assert (listed[first_id]["added_via"], listed[first_id]["log_index"]) == ("registration", 0)
    assert (listed[second_id]["added_via"], listed[second_id]["log_index"]) == ("operator", 1)
    checkpoint = verify_checkpoint(client.get("/api/v1/log/checkpoint").get_json(), log_key)
    entries = log_entries(client, 0, 4)
    assert checkpoint.root == root_from_leaf_hashes([leaf_hash(entry) for entry in entries])


def test_key_events_and_statements_share_one_log_in_the_order_they_happened(
    client: FlaskClient, register: RegisterHub, log_key: Ed25519PublicKey
) -> None:
    manchester = register()
    summary = manchester.summary()
    post(client, summary)
    register("E06000052", "Cornwall", "South West", 570305)

    entries = log_entries(client, 0, 3)

    assert entries[1] == summary
    assert verify_key_event(entries[0], log_key).hub_id == "E08000003"
    assert verify_key_event(entries[2], log_key).hub_id == "E06000052"
    with pytest.raises(BadSignature):
        verify_key_event(entries[0], generate_private_key().public_key())


def test_a_revocation_without_a_reason_says_so_in_the_log(
    runner: CliRunner, client: FlaskClient, register: RegisterHub, log_key: Ed25519PublicKey
) -> None:
    register()

    result = hubs(runner, "revoke", "--gss", "E08000003")

    assert result.exit_code == 0, result.output
    assert events(client, log_key)[-1].reason == "no reason given"


@pytest.mark.parametrize(
    "arguments",
    [
        ["revoke", "--gss", "E09000033", "--reason", "x"],  # no such hub
        ["revoke", "--gss", "E08000003", "--keyid", "k" * 43, "--reason", "x"],  # no such key
        ["revoke", "--gss", "E08000003", "--reason", "   "],  # empty reason
        ["revoke", "--gss", "E08000003", "--reason", "two\nlines"],
        ["add", "--gss", "E09000033", "--add-key", "--public-key", "{key}"],  # no such hub
        ["add", *MANCHESTER, "--public-key", "{key}"],  # already registered
    ],
    ids=["unknown-hub", "unknown-key", "blank-reason", "multi-line-reason", "add-key-unknown-hub",
         "registered-twice"],
)  # fmt: skip
def test_a_refused_registry_change_logs_nothing(
    runner: CliRunner, app: Flask, register: RegisterHub, tmp_path: Path, arguments: list[str]
) -> None:
    register()
    key = str(new_key(tmp_path, "other"))
    before = row_counts(app)

    result = hubs(runner, *[key if argument == "{key}" else argument for argument in arguments])

    assert result.exit_code != 0
    assert row_counts(app) == before


def test_revoking_twice_logs_once_and_a_revoked_hubs_keys_cannot_be_revoked_again(
    runner: CliRunner, app: Flask, client: FlaskClient, register: RegisterHub
) -> None:
    hub = register()
    assert hubs(runner, "revoke", "--gss", "E08000003", "--reason", "left").exit_code == 0
    before = row_counts(app)

    twice = hubs(runner, "revoke", "--gss", "E08000003", "--reason", "left")
    key_after_hub = hubs(runner, "revoke", "--gss", "E08000003", "--keyid",
                         key_id(hub.private_key.public_key()), "--reason", "x")  # fmt: skip

    assert twice.exit_code == 0 and "already revoked" in twice.output
    assert key_after_hub.exit_code != 0 and "every key it has" in key_after_hub.output
    assert row_counts(app) == before
