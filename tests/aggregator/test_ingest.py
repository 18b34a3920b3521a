"""`POST /api/v1/submissions`: one test per row of DESIGN.md §3's status table.

Each refusal is checked as a hub sees it (status, problem JSON naming the
field) and as the national team relies on it: nothing was stored, in any
table, except the evidence of an equivocation.
"""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from federation.canonical import canonical_json
from federation.client import verify_receipt
from federation.envelope import MAX_ENVELOPE_BYTES, PAYLOAD_TYPE, pae
from federation.keys import generate_private_key, key_id, load_public_key
from hubnet.db import get_session
from national_aggregator.db import utcnow
from national_aggregator.ingest.models import Equivocation
from national_aggregator.log import log_signer
from national_aggregator.registry.services import revoke_hub, revoke_key
from tests.aggregator.conftest import (
    RegisterHub,
    SigningHub,
    assert_problem,
    post,
    row_counts,
    summary_body,
)


def envelope_over(payload: bytes, hub: SigningHub, /, **replace: Any) -> bytes:
    """An envelope correctly signed over `payload` bytes, whatever they are."""
    signature = hub.private_key.sign(pae(PAYLOAD_TYPE, payload))
    envelope: dict[str, Any] = {
        "payloadType": PAYLOAD_TYPE,
        "payload": base64.b64encode(payload).decode(),
        "signatures": [
            {
                "keyid": key_id(hub.private_key.public_key()),
                "sig": base64.b64encode(signature).decode(),
            }
        ],
    }
    envelope.update(replace)
    return canonical_json(envelope)


def test_accepted_summary_gets_201_and_a_receipt_the_hub_can_verify(
    client: FlaskClient, register: RegisterHub, instance, app: Flask
) -> None:
    hub = register()
    before = row_counts(app)
    envelope = hub.summary({"gp-access": 25})

    response = post(client, envelope)

    assert response.status_code == 201
    assert response.content_type == "application/json"
    receipt = response.get_json()
    checkpoint = verify_receipt(receipt, envelope, load_public_key(instance / "log-key.pub"))
    # leaf 0 is the hub's registration (a key event); its first summary is leaf 1
    assert (receipt["hub_id"], receipt["seq"], receipt["log_index"]) == ("E08000003", 1, 1)
    assert checkpoint.size == 2
    assert datetime.strptime(receipt["received_at"], "%Y-%m-%dT%H:%M:%SZ")
    after = row_counts(app)
    assert after["submission"] == before["submission"] + 1
    assert after["log_leaf"] == before["log_leaf"] + 1
    assert after["summary_theme"] == before["summary_theme"] + 26  # one row per national theme


def test_identical_bytes_sent_again_get_200_and_the_original_receipt(
    client: FlaskClient, register: RegisterHub, app: Flask
) -> None:
    hub = register()
    envelope = hub.summary({"gp-access": 25})
    first = post(client, envelope)
    post(client, hub.summary({"gp-access": 30}))  # the log moves on in between
    before = row_counts(app)

    again = post(client, envelope)

    assert again.status_code == 200
    assert again.data == first.data
    assert row_counts(app) == before


def test_the_same_signed_statement_in_a_reformatted_envelope_is_a_replay_not_equivocation(
    client: FlaskClient, register: RegisterHub, app: Flask
) -> None:
    """Only the payload is signed: spacing or key order in the envelope changes nothing."""
    hub = register()
    envelope = hub.summary({"gp-access": 25})
    first = post(client, envelope)
    reformatted = json.dumps(json.loads(envelope), indent=2, sort_keys=False).encode()
    before = row_counts(app)

    again = post(client, reformatted)

    assert reformatted != envelope
    assert again.status_code == 200
    assert again.data == first.data
    assert row_counts(app) == before


def test_same_seq_with_different_bytes_is_422_equivocation_kept_as_evidence(
    client: FlaskClient, register: RegisterHub, app: Flask
) -> None:
    hub = register()
    assert post(client, hub.summary({"gp-access": 25})).status_code == 201
    other = hub.sign(hub.statement(seq=1, prev=None, body=summary_body({"gp-access": 50})))
    before = row_counts(app)

    problem = assert_problem(post(client, other), 422, "equivocation", "seq")
    resent = post(client, other)  # the same evidence again adds nothing

    assert_problem(resent, 422, "equivocation", "seq")
    assert row_counts(app) == {**before, "equivocation": 1}
    with app.app_context():
        evidence = get_session().scalars(select(Equivocation)).one()
        assert (evidence.hub_gss, evidence.seq, evidence.envelope) == ("E08000003", 1, other)
        assert evidence.accepted_submission_id == problem["accepted_submission_id"]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"seq": 3}, "seq"),  # skips seq 2
        ({"seq": 2, "prev": "0" * 64}, "prev"),  # right seq, does not chain to seq 1
    ],
    ids=["seq-not-last-plus-one", "prev-mismatch"],
)
def test_seq_not_last_plus_one_or_prev_mismatch_is_409_with_expected_seq(
    client: FlaskClient, register: RegisterHub, app: Flask, changes: dict[str, Any], field: str
) -> None:
    hub = register()
    assert post(client, hub.summary()).status_code == 201
    envelope = hub.sign(hub.statement(**{"prev": hub.prev, **changes}))
    before = row_counts(app)

    problem = assert_problem(post(client, envelope), 409, "sequence-conflict", field)

    assert problem["expected_seq"] == 2
    assert row_counts(app) == before


def test_a_submission_id_used_before_is_409_and_nothing_is_stored(
    client: FlaskClient, register: RegisterHub, app: Flask
) -> None:
    hub = register()
    first = hub.statement()
    assert post(client, hub.sign(first)).status_code == 201
    hub.seq, hub.prev = 1, hashlib.sha256(canonical_json(first)).hexdigest()
    before = row_counts(app)

    reused = post(client, hub.sign(hub.statement(submission_id=first["submission_id"])))

    assert_problem(reused, 409, "submission-id-reused", "submission_id")
    assert row_counts(app) == before


def _non_canonical(hub: SigningHub) -> bytes:
    payload = json.dumps(hub.statement(), indent=1).encode()
    return envelope_over(payload, hub)


def _bad_base64(hub: SigningHub) -> bytes:
    return envelope_over(canonical_json(hub.statement()), hub, payload="eyJ2Ijox!!")


def _statement_schema_error(hub: SigningHub) -> bytes:
    return hub.sign({**hub.statement(), "seq": 0})


def _body_schema_error(hub: SigningHub) -> bytes:
    body = summary_body({})
    del body["participation"]
    return hub.sign(hub.statement(body=body))


@pytest.mark.parametrize(
    ("make_envelope", "slug", "field"),
    [
        (lambda hub: b'{"payloadType": "application/vnd.hubnet', "malformed-json", None),
        (_bad_base64, "bad-base64", "payload"),
        (_non_canonical, "non-canonical", None),
        (_statement_schema_error, "schema-violation", "seq"),
        (_body_schema_error, "schema-violation", "body.participation"),
    ],
    ids=["malformed-json", "bad-base64", "non-canonical", "statement-schema", "body-schema"],
)
def test_malformed_json_bad_base64_non_canonical_or_schema_error_is_400(
    client: FlaskClient, register: RegisterHub, app: Flask, make_envelope: Any, slug: str,
    field: str | None,
) -> None:  # fmt: skip
    hub = register()
    before = row_counts(app)

    assert_problem(post(client, make_envelope(hub)), 400, slug, field)

    assert row_counts(app) == before


def test_unknown_key_or_bad_signature_is_401(
    client: FlaskClient, register: RegisterHub, app: Flask
) -> None:
    manchester = register()
    cornwall = register("E06000052", "Cornwall", "South West", 570305)
    stranger = SigningHub("E08000035", "Leeds", generate_private_key())
    statement = manchester.statement()
    forged = json.loads(manchester.sign(statement))
    forged["signatures"][0]["sig"] = base64.b64encode(b"\x00" * 64).decode()
    before = row_counts(app)

    unknown = post(client, stranger.sign(stranger.statement()))
    bad_signature = post(client, canonical_json(forged))
    someone_elses_key = post(
        client, cornwall.sign(statement)
    )  # Cornwall's key, Manchester's hub_id

    assert_problem(unknown, 401, "unknown-key", "signatures")
    assert_problem(bad_signature, 401, "bad-signature", "signatures[0].sig")
    assert_problem(someone_elses_key, 401, "unknown-key", "hub_id")
    assert row_counts(app) == before


def test_revoked_key_or_revoked_hub_is_403(
    client: FlaskClient, register: RegisterHub, app: Flask
) -> None:
    manchester = register()
    cornwall = register("E06000052", "Cornwall", "South West", 570305)
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


def test_a_body_over_1_mib_is_413_problem_json_and_1_mib_exactly_is_read(
    client: FlaskClient, register: RegisterHub, app: Flask
) -> None:
    hub = register()
    envelope = hub.summary()
    before = row_counts(app)

    too_large = post(client, envelope + b" " * (MAX_ENVELOPE_BYTES + 1 - len(envelope)))
    at_the_limit = post(client, b" " * MAX_ENVELOPE_BYTES)

    assert_problem(too_large, 413, "payload-too-large", None)
    assert_problem(at_the_limit, 400, "malformed-json", None)  # read and parsed, not cut off
    assert row_counts(app) == before


def people_published(code: str, value: int) -> dict[str, Any]:
    """A summary body whose `people` cell for `code` publishes `value` as it is."""
    body = summary_body({})
    theme = next(theme for theme in body["themes"] if theme["code"] == code)
    theme["people"] = {"value": value, "suppressed": False}
    return body


@pytest.mark.parametrize(
    ("changes", "slug", "field"),
    [
        ({"aud": "hubnet-somewhere-else"}, "wrong-audience", "aud"),
        ({"body": people_published("mental-health", 3)}, "disclosure-violation",
         "body.themes[mental-health].people"),
        ({"body": people_published("mental-health", 12)}, "disclosure-violation",
         "body.themes[mental-health].people"),
        ({"created": timedelta(minutes=10)}, "created-in-future", "created"),
    ],
    ids=["wrong-aud", "published-3", "12-not-rounded", "created-10-min-ahead"],
)  # fmt: skip
def test_wrong_aud_disclosure_violation_or_created_in_future_is_422(
    client: FlaskClient, register: RegisterHub, app: Flask, changes: dict[str, Any], slug: str,
    field: str,
) -> None:  # fmt: skip
    hub = register()
    before = row_counts(app)
    if isinstance(changes.get("created"), timedelta):  # ahead of the clock when the test runs
        changes = {"created": datetime.now(UTC) + changes["created"]}

    assert_problem(post(client, hub.sign(hub.statement(**changes))), 422, slug, field)

    assert row_counts(app) == before


def test_a_seq_past_the_database_integer_range_is_a_409_not_a_crash(
    client: FlaskClient, register: RegisterHub, app: Flask
) -> None:
    hub = register()
    before = row_counts(app)

    problem = assert_problem(
        post(client, hub.sign(hub.statement(seq=2**40, prev="0" * 64))),
        409, "sequence-conflict", "seq",
    )  # fmt: skip

    assert problem["expected_seq"] == 1
    assert row_counts(app) == before


def test_a_key_revoked_while_its_statement_was_being_checked_is_refused(
    client: FlaskClient, register: RegisterHub, app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The log puts the revocation first, so the statement after it must not be accepted."""
    from national_aggregator.ingest import services

    hub = register()
    real_lock_log = services.lock_log

    def revoke_then_lock(session: Any) -> int:
        with app.app_context():  # another request, committed before this one takes the lock
            other = get_session()
            keyid = key_id(hub.private_key.public_key())
            revoke_key(other, hub.gss, keyid, utcnow(), reason="leaked", signer=log_signer())
            other.commit()
        return real_lock_log(session)

    monkeypatch.setattr(services, "lock_log", revoke_then_lock)
    before = row_counts(app)

    assert_problem(post(client, hub.summary()), 403, "revoked-key", "signatures[0].keyid")
    after = row_counts(app)
    assert (after["submission"], after["summary_theme"]) == (0, 0)
    assert after["log_leaf"] == before["log_leaf"] + 1  # the revocation's key event only
