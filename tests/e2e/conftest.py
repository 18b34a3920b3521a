"""A real aggregator and real hubs, as processes talking HTTP on 127.0.0.1.

`network`: an aggregator and two served hubs. `faulty_network`: an aggregator
and one hub whose aggregator URL is a `FaultProxy` in front of it, for the
fault and tampering tests (the hub is not served: pushing, sending and
auditing are commands; a test may start it to read its pages).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import DatabaseFactory
from tests.e2e.faultproxy import FaultProxy
from tests.e2e.network import AUDIENCE, E2E_HUB_ENV, Server, hubnet

pytestmark = pytest.mark.e2e


@dataclass
class Network:
    aggregator: Server
    hubs: dict[str, Server]


@dataclass
class FaultyNetwork:
    aggregator: Server
    hub: Server  # set up and registered; not served unless a test starts it
    gss: str
    proxy: FaultProxy  # the hub's AGGREGATOR_URL


HUBS = {
    "E08000003": ("Manchester", "North West", 551938),
    "E06000052": ("Cornwall", "South West", 570305),
}


def init_aggregator(instance: Path, make_database_url: DatabaseFactory) -> Server:
    """`hubnet aggregator init` a new instance (not started)."""
    aggregator = Server("aggregator", instance, database_url=make_database_url("aggregator"))
    hubnet(
        "aggregator", "init", "--instance", str(instance), "--id", AUDIENCE,
        "--database-url", aggregator.database_url,
    )  # fmt: skip
    aggregator.probe = "/api/v1/about"
    return aggregator


def init_hub(
    instance: Path,
    gss: str,
    *,
    aggregator: Server,
    aggregator_url: str,
    make_database_url: DatabaseFactory,
) -> Server:
    """`hubnet hub init` a hub that sends to `aggregator_url`; register it with the aggregator."""
    name, region, population = HUBS[gss]
    hub = Server(
        "hub", instance, database_url=make_database_url(f"hub_{gss.lower()}"), env=E2E_HUB_ENV
    )
    hubnet(
        "hub", "init", "--instance", str(instance), "--gss", gss, "--name", name,
        "--region", region, "--population", str(population),
        "--aggregator-url", aggregator_url, "--aggregator-id", AUDIENCE,
        "--aggregator-public-key", str(aggregator.instance / "log-key.pub"),
        "--database-url", hub.database_url,
    )  # fmt: skip
    hubnet(
        "aggregator", "hubs", "add", "--instance", str(aggregator.instance), "--gss", gss,
        "--name", name, "--region", region, "--population", str(population),
        "--public-key", str(instance / "hub-key.pub"),
    )  # fmt: skip
    hub.probe = "/api/v1/themes"
    return hub


@pytest.fixture
def network(tmp_path: Path, make_database_url: DatabaseFactory) -> Iterator[Network]:
    aggregator = init_aggregator(tmp_path / "aggregator", make_database_url)
    hubs = {
        gss: init_hub(
            tmp_path / gss,
            gss,
            aggregator=aggregator,
            aggregator_url=aggregator.url,
            make_database_url=make_database_url,
        )
        for gss in HUBS
    }
    servers = [aggregator, *hubs.values()]
    try:
        aggregator.start()
        for hub in hubs.values():
            hub.start()
        yield Network(aggregator, hubs)
    finally:
        for server in servers:
            server.stop()


@pytest.fixture
def faulty_network(tmp_path: Path, make_database_url: DatabaseFactory) -> Iterator[FaultyNetwork]:
    aggregator = init_aggregator(tmp_path / "aggregator", make_database_url)
    gss = "E08000003"
    with FaultProxy(aggregator.port) as proxy:
        hub = init_hub(
            tmp_path / gss,
            gss,
            aggregator=aggregator,
            aggregator_url=proxy.url,
            make_database_url=make_database_url,
        )
        try:
            aggregator.start()
            yield FaultyNetwork(aggregator, hub, gss, proxy)
        finally:
            hub.stop()  # if a test served it
            aggregator.stop()
