"""`hubnet audit` downloads a real aggregator's log over HTTP and verifies all of it.

Two hubs push real summaries; then anyone (here: a fresh `python -m hubnet
audit` process that knows only the URL, and the key id the national team
publishes) verifies every leaf, every hub's chain and the tree. Then a
stored envelope is altered in the aggregator's database, as an insider
might, and the audit names that leaf.
"""

from __future__ import annotations

import base64
import json

import pytest
import requests
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine, make_url

from tests.e2e.conftest import Network
from tests.e2e.network import backdate, hubnet, last_full_month, raise_as_new_person

pytestmark = pytest.mark.e2e


def push_from_both_hubs(network: Network) -> None:
    period = last_full_month()
    for number, hub in enumerate(network.hubs.values()):
        for _ in range(8 + number):
            raise_as_new_person(hub.url, "gp-access")
        backdate(hub, period)
        pushed = hubnet("hub", "push", "--instance", str(hub.instance), "--period", period.label)
        assert "delivered" in pushed.stdout.lower(), pushed.stdout


def about(network: Network) -> dict[str, str]:
    response = requests.get(f"{network.aggregator.url}/api/v1/about", timeout=10)
    assert response.status_code == 200
    document: dict[str, str] = response.json()
    return document


def log_size(network: Network) -> int:
    response = requests.get(f"{network.aggregator.url}/api/v1/log/checkpoint", timeout=10)
    assert response.status_code == 200
    size: int = response.json()["size"]
    return size


def writable_engine(database_url: str) -> Engine:
    url = make_url(database_url)
    if url.drivername == "postgresql":
        url = url.set(drivername="postgresql+psycopg")
    return create_engine(url)


def test_audit_verifies_the_log_of_a_running_network(network: Network) -> None:
    push_from_both_hubs(network)
    size = log_size(network)
    assert size >= 4  # two hub-registered key events and two summaries

    keyid = about(network)["log_keyid"]
    result = hubnet("audit", network.aggregator.url, "--expect-keyid", keyid, "--batch", "3")

    assert f"all {size} leaves verify" in result.stdout, result.stdout
    assert "2 hub-registered" in result.stdout and "2 summary" in result.stdout, result.stdout
    assert "E06000052, E08000003" in result.stdout
    assert "trusted on first use" not in result.stdout + result.stderr

    # Without a pinned key it still verifies, and says the key was trusted on first use.
    first_use = hubnet("audit", network.aggregator.url)
    assert f"all {size} leaves verify" in first_use.stdout
    assert keyid in first_use.stdout
    assert "trusted on first use" in first_use.stderr


def test_audit_names_a_leaf_tampered_in_the_database(network: Network) -> None:
    push_from_both_hubs(network)
    assert network.aggregator.database_url is not None
    engine = writable_engine(network.aggregator.database_url)
    try:
        with engine.begin() as connection:
            submission_id, envelope = connection.execute(
                text(
                    "SELECT submission_id, envelope FROM submission "
                    "WHERE hub_gss = 'E08000003' AND seq = 1"
                )
            ).one()
            index = connection.execute(
                text('SELECT "index" FROM log_leaf WHERE submission_id = :id'),
                {"id": submission_id},
            ).scalar_one()
            # An insider "corrects" Manchester's GP access figure from 10 to 15.
            document = json.loads(bytes(envelope))
            payload = base64.b64decode(document["payload"])
            altered = payload.replace(b'"value":10', b'"value":15', 1)
            assert altered != payload
            document["payload"] = base64.b64encode(altered).decode("ascii")
            connection.execute(
                text("UPDATE submission SET envelope = :envelope WHERE submission_id = :id"),
                {
                    "envelope": json.dumps(document, separators=(",", ":")).encode(),
                    "id": submission_id,
                },
            )
    finally:
        engine.dispose()

    result = hubnet("audit", network.aggregator.url, check=False)

    assert result.returncode == 1, result.stdout + result.stderr
    assert "FAILED" in result.stdout
    assert f"leaf {index}: bad-signature" in result.stdout, result.stdout
    assert "log: bad-proof" in result.stdout  # the entries no longer hash to the signed root


def test_audit_explains_a_wrong_url(network: Network) -> None:
    result = hubnet("audit", network.aggregator.url + "/not-here", check=False)
    assert result.returncode == 2
    assert "404" in result.stderr and "hubnet aggregator" in result.stderr
    closed = hubnet("audit", "http://127.0.0.1:9", check=False)
    assert closed.returncode == 2
    assert "aggregator is running" in closed.stderr
