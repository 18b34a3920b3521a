"""`/federation`: the public, read-only status of this hub's federation, with no personal data."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from federation.keys import key_id, save_private_key, save_public_key
from hub.audit.services import resolve_alarm
from hubnet.config import instance_file
from tests.hub.conftest import person, raise_item
from tests.hub.federation_harness import HubUnderTest


@pytest.fixture
def hub(db: Session, hub_key: Ed25519PrivateKey, app: Flask) -> HubUnderTest:
    under_test = HubUnderTest(db, hub_key)
    save_public_key(under_test.pinned, instance_file(app, "aggregator.pub"))
    save_private_key(hub_key, instance_file(app, "hub-key.pem"))
    save_public_key(hub_key.public_key(), instance_file(app, "hub-key.pub"))
    app.config["AGGREGATOR_URL"] = "https://aggregator.example.nhs.uk"
    return under_test


def page(client: FlaskClient) -> str:
    response = client.get("/federation")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_before_any_contact_the_page_says_so(client: FlaskClient) -> None:
    html = page(client)

    assert '<html lang="en-GB">' in html
    assert "<h1>Federation status</h1>" in html
    assert "has not verified a log checkpoint yet" in html
    assert "All is well: no unresolved alarms." in html
    assert "nothing is waiting" in html


def test_the_page_shows_the_aggregator_the_checkpoint_the_outbox_and_the_witness(
    client: FlaskClient, hub: HubUnderTest, hub_key: Ed25519PrivateKey
) -> None:
    hub.push(9, 10)
    hub.enqueue(11)
    hub.db.commit()

    html = page(client)

    assert "https://aggregator.example.nhs.uk" in html
    assert key_id(hub.pinned) in html
    assert key_id(hub_key.public_key()) in html
    assert re.search(r"<dt[^>]*>Entries in the log</dt><dd[^>]*>2</dd>", html)
    assert re.search(r"<dt[^>]*>Delivered</dt><dd[^>]*>2</dd>", html)
    assert re.search(r"<dt[^>]*>Waiting to be delivered</dt><dd[^>]*>1</dd>", html)
    assert "seq 3, waiting" in html
    assert "has not cosigned any log checkpoint" in html


def test_an_alarm_is_shown_with_its_evidence_and_the_evidence_is_public_json(
    client: FlaskClient, hub: HubUnderTest
) -> None:
    hub.push(9)
    hub.aggregator.rewrite_entry(0, b"forged")
    hub.contact()

    html = page(client)
    evidence = client.get("/federation/alarms/1.json")

    assert 'role="alert"' in html
    assert "1 unresolved alarm" in html
    assert "Alarm 1: log-inconsistent" in html
    assert "stopped trusting the national log" in html
    assert "Last verified checkpoint</dt>" in html and "Conflicting checkpoint</dt>" in html
    assert 'href="/federation/alarms/1.json"' in html
    assert evidence.status_code == 200
    document = evidence.get_json()
    assert document["kind"] == "log-inconsistent"
    assert document["evidence"]["last_verified"]["size"] == 1
    assert document["evidence"]["new"]["size"] == 1
    assert client.get("/federation/alarms/99.json").status_code == 404


def test_a_delivery_alert_and_resolved_alarms_are_shown(
    client: FlaskClient, hub: HubUnderTest
) -> None:
    hub.enqueue(10)
    hub.aggregator.script.append(503)
    hub.relay()
    hub.later(days=3)
    hub.contact()
    hub.db.commit()

    alerted = page(client)

    assert re.search(r"Delivery alert</h3>\s*<p[^>]*>Seq 1 \(2026-10\) has waited 3 days", alerted)
    assert "Alarm 1: delivery" in alerted
    assert "stopped trusting" not in alerted  # a delivery alarm does not stop trust

    resolve_alarm(hub.db, 1, "network fixed", now=hub.now + timedelta(hours=1))
    hub.db.commit()
    resolved = page(client)
    assert "Resolved recently" in resolved and "network fixed" in resolved


def test_the_page_holds_no_personal_data(client: FlaskClient, hub: HubUnderTest) -> None:
    contribution = raise_item(hub.db, person(hub.db), title="My neighbour Jane Doe")
    hub.db.commit()
    hub.push(10)

    html = page(client)

    assert "Jane Doe" not in html
    assert contribution.participant_id not in html


def test_the_page_is_read_only(client: FlaskClient) -> None:
    assert client.post("/federation").status_code in (400, 405)
