"""Residents raise and support issues on two hubs; each hub pushes its signed
summary over HTTP; the aggregator verifies it and ranks national priorities."""

from __future__ import annotations

import pytest
import requests

from tests.e2e.conftest import Network
from tests.e2e.network import (
    backdate,
    hubnet,
    last_full_month,
    raise_as_new_person,
    support_as_new_person,
)

pytestmark = pytest.mark.e2e


def log_size(network: Network) -> int:
    checkpoint = requests.get(f"{network.aggregator.url}/api/v1/log/checkpoint", timeout=10)
    size: int = checkpoint.json()["size"]
    return size


def test_pushed_summaries_arrive_verified_and_rank_nationally(network: Network) -> None:
    registered = log_size(network)  # the registry's key events are leaves too
    manchester = network.hubs["E08000003"].url
    cornwall = network.hubs["E06000052"].url
    # Manchester: 9 people raise GP access concerns and 3 more say "me too" (12 people → 10);
    # dentistry: 2 people (suppressed). Cornwall: 13 people on dentistry (→ 15).
    gp_access = [raise_as_new_person(manchester, "gp-access") for _ in range(9)]
    first = gp_access[0]
    for _ in range(3):
        support_as_new_person(manchester, first)
    for _ in range(2):
        raise_as_new_person(manchester, "dentistry")
    for _ in range(13):
        raise_as_new_person(cornwall, "dentistry", kind="experience")

    period = last_full_month()
    for hub in network.hubs.values():
        backdate(hub, period)
        pushed = hubnet("hub", "push", "--instance", str(hub.instance), "--period", period.label)
        assert "delivered" in pushed.stdout.lower(), pushed.stdout

    response = requests.get(
        f"{network.aggregator.url}/api/v1/priorities", params={"period": period.label}, timeout=10
    )
    assert response.status_code == 200
    national = response.json()
    assert {hub["gss"] for hub in national["hubs_reporting"]} == {"E08000003", "E06000052"}
    assert national["hubs_missing"] == []
    rows = {row["code"]: row for row in national["priorities"]}
    assert rows["dentistry"]["rank"] == 1
    assert rows["dentistry"]["total"] == 15  # Cornwall's 15; Manchester's 2 people suppressed
    assert (rows["dentistry"]["lower"], rows["dentistry"]["upper"]) == (16, 22)
    assert rows["dentistry"]["hubs_suppressed"] == 1
    assert rows["gp-access"]["rank"] == 2
    assert rows["gp-access"]["total"] == 10
    assert rows["gp-access"]["top5_hubs"] == 1

    # the hub kept the aggregator's receipt, and the log holds both summaries
    hubs = requests.get(f"{network.aggregator.url}/api/v1/hubs", timeout=10).json()
    assert {hub["gss"]: hub["last_seq"] for hub in hubs} == {"E08000003": 1, "E06000052": 1}
    assert log_size(network) == registered + 2


def test_pushing_the_same_period_again_sends_nothing_new(network: Network) -> None:
    manchester = network.hubs["E08000003"]
    for _ in range(8):
        raise_as_new_person(manchester.url, "mental-health")
    period = last_full_month()
    backdate(manchester, period)

    hubnet("hub", "push", "--instance", str(manchester.instance), "--period", period.label)
    again = hubnet("hub", "push", "--instance", str(manchester.instance), "--period", period.label)

    assert "already" in again.stdout.lower(), again.stdout
    hubs = requests.get(f"{network.aggregator.url}/api/v1/hubs", timeout=10).json()
    assert next(hub for hub in hubs if hub["gss"] == "E08000003")["last_seq"] == 1
    outbox = hubnet("hub", "outbox", "--instance", str(manchester.instance))
    assert outbox.stdout.lower().count("delivered") == 1, outbox.stdout


def test_a_summary_from_an_unregistered_hub_is_refused(network: Network, tmp_path) -> None:
    """A hub whose key the national team never registered gets 401, and nothing is stored."""
    stranger = tmp_path / "stranger"
    hubnet(
        "hub", "init", "--instance", str(stranger), "--gss", "E08000035", "--name", "Leeds",
        "--aggregator-url", network.aggregator.url, "--aggregator-id", "hubnet-e2e-national",
        "--aggregator-public-key", str(network.aggregator.instance / "log-key.pub"),
    )  # fmt: skip
    period = last_full_month().label
    size = log_size(network)

    pushed = hubnet("hub", "push", "--instance", str(stranger), "--period", period, check=False)

    assert pushed.returncode != 0
    assert "401" in pushed.stdout + pushed.stderr
    assert log_size(network) == size
