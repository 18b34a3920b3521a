"""Routing statistics and representation reach the aggregator, inside the disclosure rules.

Over HTTP, as a hub sends them: a release whose `routing` and `representation`
blocks the engine made is accepted and kept verbatim in the signed statement
the log holds; one whose representation was not worked out from its published
cells, or whose routing publishes a small count, is refused with nothing stored.
"""

from __future__ import annotations

import base64
import json
from datetime import date
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from federation.disclosure.engine import Population, protect
from federation.disclosure.routing import RoutingCounts, TypeCounts
from hubnet.db import get_session
from national_aggregator.ingest.models import Submission
from tests.aggregator.bodies import raw_counts
from tests.aggregator.conftest import RegisterHub, assert_problem, post, row_counts

ROUTING = RoutingCounts(
    start=date(2025, 11, 1),
    end=date(2026, 10, 31),
    national=15,
    by_type={"nhs-trust": TypeCounts(40, 30, 10, 12, 9.0)},
)
POPULATION = Population(
    {"disability": {"disabled": 25, "not-disabled": 75}}, "Census 2021 (illustrative)"
)


def body() -> dict[str, Any]:
    return protect(
        raw_counts({"gp-access": 120, "mental-health": 60}),
        routing=ROUTING,
        population=POPULATION,
    ).body


def test_a_release_with_routing_and_representation_is_accepted_and_kept(
    client: FlaskClient, register: RegisterHub, app: Flask
) -> None:
    hub = register()
    sent = body()

    response = post(client, hub.summary(body=sent))

    assert response.status_code == 201, response.data
    with app.app_context():
        submission = get_session().scalars(select(Submission)).one()
        payload = json.loads(submission.envelope)["payload"]
        statement = json.loads(base64.b64decode(payload))
    assert statement["body"]["routing"] == sent["routing"]
    trust = statement["body"]["routing"]["by_organisation_type"]["nhs-trust"]
    assert trust["response_rate"] == "0.75" and trust["median_working_days"] == "9.0"
    assert (
        statement["body"]["representation"]["groups"]["disability"]
        == (sent["representation"]["groups"]["disability"])
    )


def test_representation_not_from_the_published_cells_is_refused(
    client: FlaskClient, register: RegisterHub, app: Flask
) -> None:
    hub = register()
    tampered = body()
    tampered["representation"]["groups"]["disability"]["disabled"]["flag"] = "in line"
    before = row_counts(app)

    assert_problem(
        post(client, hub.sign(hub.statement(body=tampered))),
        422,
        "disclosure-violation",
        "body.representation.groups",
    )
    assert row_counts(app) == before


def test_a_small_routing_count_is_refused(
    client: FlaskClient, register: RegisterHub, app: Flask
) -> None:
    hub = register()
    tampered = body()
    tampered["routing"]["by_organisation_type"]["gp-practice"]["routed"] = {
        "value": 5,
        "suppressed": False,
    }
    before = row_counts(app)

    assert_problem(
        post(client, hub.sign(hub.statement(body=tampered))),
        422,
        "disclosure-violation",
        "body.routing.by_organisation_type.gp-practice.routed",
    )
    assert row_counts(app) == before
