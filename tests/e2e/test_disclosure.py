"""What leaves a hub, with real processes: the preview is what arrives; a bad release is refused.

Residents answer the "about you" questions through a running hub's API; the
admin's preview (`hubnet hub preview --json`) is then exactly the body the
aggregator receives and stores, breakdowns included. A summary signed with
the hub's real key but breaking a disclosure invariant, posted over real
HTTP, is refused with 422 naming the cell, and nothing of it is stored.
"""

from __future__ import annotations

import base64
import hashlib
import json
import uuid
from datetime import UTC, datetime

import pytest
import requests
from sqlalchemy import func, select

from federation.canonical import parse_json
from federation.envelope import sign_statement, statement_dict
from federation.keys import load_private_key
from federation.periods import Period
from national_aggregator.ingest.models import Submission, SummaryBreakdownCell
from tests.e2e.conftest import AUDIENCE, Network
from tests.e2e.network import backdate, hubnet, last_full_month, reading

pytestmark = pytest.mark.e2e

GSS = "E08000003"
YOUNG, OLDER = 11, 3  # people aged 25-34 and 65-74 raising GP access concerns


def raise_with_answers(hub_url: str, age_band: str) -> None:
    response = requests.Session().post(
        f"{hub_url}/api/v1/contributions",
        json={
            "kind": "concern",
            "title": "Cannot get a GP appointment",
            "body": "I ring at 8am every day and the appointments are gone by 8.15.",
            "theme": "gp-access",
            "about_you": {"age_band": age_band},
        },
        timeout=10,
    )
    assert response.status_code == 201, response.text


def payload_body(envelope: bytes) -> dict:
    return parse_json(base64.b64decode(json.loads(envelope)["payload"]))["body"]


def test_the_preview_is_what_arrives_and_a_bad_release_is_refused(network: Network) -> None:
    hub, aggregator = network.hubs[GSS], network.aggregator
    for age_band in ["25-34"] * YOUNG + ["65-74"] * OLDER:
        raise_with_answers(hub.url, age_band)
    period = last_full_month()
    backdate(hub, period)

    preview = hubnet(
        "hub", "preview", "--json", "--period", period.label, "--instance", str(hub.instance)
    )
    previewed = json.loads(preview.stdout)["body"]
    pushed = hubnet("hub", "push", "--period", period.label, "--instance", str(hub.instance))
    assert "delivered" in pushed.stdout, pushed.stdout

    with reading(aggregator) as session:
        (submission,) = session.scalars(select(Submission)).all()
        stored = {
            cell.category: (cell.value, cell.suppressed)
            for cell in session.scalars(
                select(SummaryBreakdownCell).where(
                    SummaryBreakdownCell.scope == "gp-access",
                    SummaryBreakdownCell.characteristic == "age_band",
                )
            )
        }
    assert payload_body(submission.envelope) == previewed
    # 14 people: 11 aged 25-34 (published 10), 3 aged 65-74 (suppressed, 1-9), and the
    # classical rule hides a second cell so the 3 cannot be had by subtraction.
    age = previewed["breakdowns"]["gp-access"]["age_band"]["cells"]
    assert stored == {band: (cell["value"], cell["suppressed"]) for band, cell in age.items()}
    assert age["65-74"] == {"value": None, "suppressed": True}
    assert sum(cell["suppressed"] for cell in age.values()) >= 2
    # Nobody answered the other questions: everyone is "not stated", so those tables are
    # all-or-none and withheld rather than saying "everyone here declined".
    assert previewed["breakdowns"]["gp-access"]["unpaid_carer"] == {"withheld": True}

    # The hub's own key signs the next statement, but it publishes 3 people in a theme.
    bad = json.loads(json.dumps(previewed))
    dentistry = next(row for row in bad["themes"] if row["code"] == "dentistry")
    dentistry["people"] = {"value": 3, "suppressed": False}
    statement = statement_dict(
        kind="summary",
        hub_id=GSS,
        seq=2,
        prev=hashlib.sha256(
            base64.b64decode(json.loads(submission.envelope)["payload"])
        ).hexdigest(),
        submission_id=str(uuid.uuid4()),
        aud=AUDIENCE,
        created=datetime.now(UTC).replace(microsecond=0),
        schema="summary/1",
        period=Period.last_full_month(period.start),  # the month before: a new statement
        body=bad,
    )
    envelope = sign_statement(statement, load_private_key(hub.instance / "hub-key.pem"))
    response = requests.post(
        f"{aggregator.url}/api/v1/submissions",
        data=envelope,
        headers={"Content-Type": "application/json"},
        timeout=10,
    )

    assert response.status_code == 422, response.text
    problem = response.json()
    assert response.headers["Content-Type"].startswith("application/problem+json")
    assert problem["type"].endswith("disclosure-violation")
    assert "body.themes[dentistry].people" in json.dumps(problem)
    with reading(aggregator) as session:
        assert session.scalar(select(func.count()).select_from(Submission)) == 1
