"""What a hub reads back: fresh receipts, and its accepted statements to resynchronise from.

Also: revoking a key refuses what it signs next, while what it signed before
stays listed, in the log, and verifiable.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from federation.client import verify_receipt
from federation.keys import key_id, load_public_key
from hubnet.db import get_session
from national_aggregator.db import utcnow
from national_aggregator.log import log_signer
from national_aggregator.registry.services import revoke_hub, revoke_key
from tests.aggregator.conftest import RegisterHub, assert_problem, log_entries, post, row_counts


def test_a_fresh_receipt_proves_inclusion_in_the_latest_checkpoint(
    client: FlaskClient, register: RegisterHub, instance: Path
) -> None:
    manchester = register()
    cornwall = register("E06000052", "Cornwall", "South West", 570305)
    envelope = manchester.summary({"gp-access": 30})
    original = post(client, envelope).get_json()
    for _ in range(3):
        post(client, cornwall.summary({"dentistry": 10}))

    response = client.get(f"/api/v1/submissions/{original['submission_id']}/receipt")

    assert response.status_code == 200
    assert response.content_type == "application/json"
    fresh = response.get_json()
    checkpoint = verify_receipt(fresh, envelope, load_public_key(instance / "log-key.pub"))
    assert checkpoint.size == 6  # two registrations, four summaries
    same = ("submission_id", "hub_id", "seq", "received_at", "log_index", "leaf_hash")
    assert {name: fresh[name] for name in same} == {name: original[name] for name in same}
    assert fresh["checkpoint"] == client.get("/api/v1/log/checkpoint").get_json()


@pytest.mark.parametrize(
    "submission_id",
    ["0b3a3d4e-7c1f-4a5b-9c2d-1e2f3a4b5c6d", "not-a-uuid", "0B3A3D4E-7C1F-4A5B-9C2D-1E2F3A4B5C6D"],
    ids=["unknown", "not-a-uuid", "upper-case"],
)
def test_a_receipt_for_an_unknown_submission_is_404(
    client: FlaskClient, register: RegisterHub, submission_id: str
) -> None:
    post(client, register().summary())

    response = client.get(f"/api/v1/submissions/{submission_id}/receipt")

    assert_problem(response, 404, "submission-not-found", "submission_id")


def test_a_hub_reads_back_its_statements_in_seq_order_with_the_exact_bytes(
    client: FlaskClient, register: RegisterHub
) -> None:
    manchester = register()
    cornwall = register("E06000052", "Cornwall", "South West", 570305)
    sent = []
    for people in (10, 20, 30, 40):
        sent.append(manchester.summary({"gp-access": people}))
        assert post(client, sent[-1]).status_code == 201
        assert post(client, cornwall.summary()).status_code == 201

    everything = client.get("/api/v1/hubs/E08000003/statements").get_json()
    page = client.get("/api/v1/hubs/E08000003/statements?after_seq=1&limit=2").get_json()
    none_after = client.get("/api/v1/hubs/E08000003/statements?after_seq=4").get_json()

    assert (everything["hub_id"], everything["last_seq"]) == ("E08000003", 4)
    rows = everything["statements"]
    assert [row["seq"] for row in rows] == [1, 2, 3, 4]
    assert [base64.b64decode(row["envelope"]) for row in rows] == sent
    entries = log_entries(client, 0, 10)
    for row, envelope in zip(rows, sent, strict=True):
        assert entries[row["log_index"]] == envelope
        receipt = client.get(f"/api/v1/submissions/{row['submission_id']}/receipt").get_json()
        assert receipt["log_index"] == row["log_index"]
    # each payload_sha256 is what the next statement's prev had to be
    assert [row["payload_sha256"] for row in rows[:3]] == [
        statement_prev(envelope) for envelope in sent[1:]
    ]
    assert [row["seq"] for row in page["statements"]] == [2, 3]
    assert page["last_seq"] == 4
    assert none_after == {"hub_id": "E08000003", "last_seq": 4, "statements": []}


def statement_prev(envelope: bytes) -> str:
    statement = json.loads(base64.b64decode(json.loads(envelope)["payload"]))
    prev: str = statement["prev"]
    return prev


def test_a_hub_with_no_statements_yet_has_last_seq_0(
    client: FlaskClient, register: RegisterHub
) -> None:
    register()

    document = client.get("/api/v1/hubs/E08000003/statements").get_json()

    assert document == {"hub_id": "E08000003", "last_seq": 0, "statements": []}


@pytest.mark.parametrize(
    ("path", "status", "slug", "field"),
    [
        ("/api/v1/hubs/E09000033/statements", 404, "hub-not-found", "gss"),
        ("/api/v1/hubs/Manchester/statements", 404, "hub-not-found", "gss"),
        ("/api/v1/hubs/E08000003/statements?after_seq=-1", 400, "validation-error", "after_seq"),
        ("/api/v1/hubs/E08000003/statements?limit=0", 400, "validation-error", "limit"),
        ("/api/v1/hubs/E08000003/statements?limit=1001", 400, "validation-error", "limit"),
        ("/api/v1/hubs/E08000003/statements?after=3", 400, "validation-error", "after"),
    ],
    ids=["unregistered", "not-a-gss-code", "negative-seq", "limit-0", "limit-over-1000",
         "unknown-parameter"],
)  # fmt: skip
def test_bad_statement_queries_are_problems(
    client: FlaskClient, register: RegisterHub, path: str, status: int, slug: str, field: str
) -> None:
    register()

    assert_problem(client.get(path), status, slug, field)


def test_after_revocation_new_statements_are_refused_but_earlier_ones_stay_verifiable(
    client: FlaskClient, register: RegisterHub, app: Flask, instance: Path
) -> None:
    manchester = register()
    cornwall = register("E06000052", "Cornwall", "South West", 570305)
    earlier = {hub.gss: hub.summary({"gp-access": 20}) for hub in (manchester, cornwall)}
    receipts = {gss: post(client, envelope).get_json() for gss, envelope in earlier.items()}
    with app.app_context():
        session = get_session()
        keyid = key_id(manchester.private_key.public_key())
        revoke_key(session, manchester.gss, keyid, utcnow(), reason="leaked", signer=log_signer())
        revoke_hub(session, cornwall.gss, utcnow(), reason="left", signer=log_signer())
        session.commit()
    before = row_counts(app)

    assert_problem(post(client, manchester.summary()), 403, "revoked-key", "signatures[0].keyid")
    assert_problem(post(client, cornwall.summary()), 403, "revoked-key", "signatures[0].keyid")

    assert row_counts(app) == before
    log_key = load_public_key(instance / "log-key.pub")
    for gss, envelope in earlier.items():
        listed = client.get(f"/api/v1/hubs/{gss}/statements").get_json()["statements"]
        assert [base64.b64decode(row["envelope"]) for row in listed] == [envelope]
        fresh = client.get(f"/api/v1/submissions/{receipts[gss]['submission_id']}/receipt")
        assert verify_receipt(fresh.get_json(), envelope, log_key).size == 6
        assert log_entries(client, receipts[gss]["log_index"], receipts[gss]["log_index"] + 1) == [
            envelope
        ]
    assert client.get("/api/v1/log/checkpoint").get_json()["size"] == 6  # + two revocations


def test_a_seq_past_the_database_integer_range_is_just_after_the_last(
    client: FlaskClient, register: RegisterHub
) -> None:
    """PostgreSQL's integer stops at 2^31−1; a seq may go to 2^53−1 (found by fuzzing)."""
    post(client, register().summary())

    document = client.get(f"/api/v1/hubs/E08000003/statements?after_seq={2**40}").get_json()

    assert document == {"hub_id": "E08000003", "last_seq": 1, "statements": []}
