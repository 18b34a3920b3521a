"""A real aggregator and two real hubs, as processes talking HTTP on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import DatabaseFactory
from tests.e2e.network import AUDIENCE, Server, hubnet

pytestmark = pytest.mark.e2e


@dataclass
class Network:
    aggregator: Server
    hubs: dict[str, Server]


HUBS = {
    "E08000003": ("Manchester", "North West", 551938),
    "E06000052": ("Cornwall", "South West", 570305),
}


@pytest.fixture
def network(tmp_path: Path, make_database_url: DatabaseFactory) -> Iterator[Network]:
    aggregator = Server("aggregator", tmp_path / "aggregator")
    hubnet(
        "aggregator", "init", "--instance", str(aggregator.instance), "--id", AUDIENCE,
        "--database-url", make_database_url("aggregator"),
    )  # fmt: skip
    hubs: dict[str, Server] = {}
    for gss, (name, region, population) in HUBS.items():
        hub = Server("hub", tmp_path / gss)
        hubnet(
            "hub", "init", "--instance", str(hub.instance), "--gss", gss, "--name", name,
            "--region", region, "--population", str(population),
            "--aggregator-url", aggregator.url, "--aggregator-id", AUDIENCE,
            "--aggregator-public-key", str(aggregator.instance / "log-key.pub"),
            "--database-url", make_database_url(f"hub_{gss.lower()}"),
        )  # fmt: skip
        hubnet(
            "aggregator", "hubs", "add", "--instance", str(aggregator.instance), "--gss", gss,
            "--name", name, "--region", region, "--population", str(population),
            "--public-key", str(hub.instance / "hub-key.pub"),
        )  # fmt: skip
        hubs[gss] = hub
    servers = [aggregator, *hubs.values()]
    try:
        aggregator.start("/api/v1/about")
        for hub in hubs.values():
            hub.start("/api/v1/themes")
        yield Network(aggregator, hubs)
    finally:
        for server in servers:
            server.stop()
