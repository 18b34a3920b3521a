"""Key rotation through `POST /api/v1/submissions` (docs/protocol.md, "Key rotation").

The clock is injected (the views' `utcnow`), so "after the overlap" is a
moment, not a wait.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from federation.audit import audit_log
from federation.canonical import canonical_json
from federation.client import verify_receipt
from federation.envelope import PAYLOAD_TYPE, pae
from federation.keys import generate_private_key, key_id, load_public_key
from federation.periods import Period
from federation.statement import rotation_body, sign_rotation
from hubnet.db import get_session
from national_aggregator.log import log_signer
from national_aggregator.registry.models import HubKey, KeyOrigin
from national_aggregator.registry.services import revoke_key
from tests.aggregator.conftest import (
    AUDIENCE,
    RegisterHub,
    SigningHub,
    assert_problem,
    log_entries,
    post,
    row_counts,
)

NOW = datetime(2026, 11, 10, 9, 0, tzinfo=UTC)
WEEK = timedelta(days=7)
Clock = Callable[[datetime], None]


@pytest.fixture
def set_clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    """Set the aggregator's clock for the requests that follow."""

    def set_to(moment: datetime) -> None:
        monkeypatch.setattr("national_aggregator.ingest.views.utcnow", lambda: moment)

    set_to(NOW)
    return set_to


def rotation(
    hub: SigningHub,
    new_key: Ed25519PrivateKey,
    *,
    valid_until: datetime | None = None,
    created: datetime = NOW,
    sign_with: list[Ed25519PrivateKey] | None = None,
    advance: bool = True,
) -> bytes:
    """The hub's next statement: a key rotation from its current key to `new_key`."""
    day = Period(created.date(), created.date())
    statement = hub.statement(
        kind="key-rotation",
        schema="key-rotation/1",
        period=day,
        created=created,
        body=rotation_body(
            old_key=hub.private_key.public_key(),
            new_key=new_key.public_key(),
            old_key_valid_until=valid_until or created + WEEK,
        ),
    )
    if sign_with is None:
        envelope = sign_rotation(statement, hub.private_key, new_key)
    else:
        envelope = _signed_by(statement, sign_with)
    if advance:
        hub.seq, hub.prev = statement["seq"], hashlib.sha256(canonical_json(statement)).hexdigest()
    return envelope


def _signed_by(statement: dict[str, Any], keys: list[Ed25519PrivateKey]) -> bytes:
    payload = canonical_json(statement)
    return canonical_json(
        {
            "payloadType": PAYLOAD_TYPE,
            "payload": base64.b64encode(payload).decode(),
            "signatures": [
                {
                    "keyid": key_id(key.public_key()),
                    "sig": base64.b64encode(key.sign(pae(PAYLOAD_TYPE, payload))).decode(),
                }
                for key in keys
            ],
        }
    )


def hub_keys(client: FlaskClient, gss: str = "E08000003") -> dict[str, dict[str, Any]]:
    hub = next(hub for hub in client.get("/api/v1/hubs").get_json() if hub["gss"] == gss)
    return {key["keyid"]: key for key in hub["keys"]}


def test_a_rotation_is_accepted_and_both_keys_count_until_the_overlap_ends(
    client: FlaskClient, register: RegisterHub, set_clock: Clock, instance: Path, app: Flask
) -> None:
    hub = register()
    assert post(client, hub.summary(created=NOW)).status_code == 201
    old_key, new_key = hub.private_key, generate_private_key()
    envelope = rotation(hub, new_key)

    response = post(client, envelope)

    assert response.status_code == 201, response.data
    receipt = response.get_json()
    verify_receipt(receipt, envelope, load_public_key(instance / "log-key.pub"))
    keys = hub_keys(client)
    old, new = keys[key_id(old_key.public_key())], keys[key_id(new_key.public_key())]
    assert old["expires_at"] == "2026-11-17T09:00:00Z" and old["revoked"] is False
    assert (new["added_via"], new["log_index"], new["expires_at"]) == (
        "rotation", receipt["log_index"], None,
    )  # fmt: skip
    assert log_entries(client, receipt["log_index"], receipt["log_index"] + 1) == [envelope]
    # During the overlap both keys are accepted ...
    set_clock(NOW + timedelta(days=3))
    assert post(client, hub.summary(created=NOW + timedelta(days=3))).status_code == 201
    hub.private_key = new_key
    assert post(client, hub.summary(created=NOW + timedelta(days=3))).status_code == 201
    # ... and from old_key_valid_until the old key is refused, and nothing is stored.
    set_clock(NOW + WEEK)
    hub.private_key = old_key
    late = hub.sign(hub.statement(created=NOW + WEEK))
    before = row_counts(app)
    assert_problem(post(client, late), 403, "key-expired", "signatures[0].keyid")
    assert row_counts(app) == before
    hub.private_key = new_key
    assert post(client, hub.summary(created=NOW + WEEK)).status_code == 201


def test_a_statement_created_after_the_old_key_expired_is_refused_even_if_it_arrives_early(
    client: FlaskClient, register: RegisterHub, set_clock: Clock
) -> None:
    """An auditor only sees `created`: the aggregator must not accept what the audit refuses."""
    hub = register()
    old_key = hub.private_key
    assert post(client, rotation(hub, generate_private_key(), valid_until=NOW)).status_code == 201
    hub.private_key = old_key

    # created 2 minutes after expiry, within the 5 minutes' clock skew the aggregator allows
    early = hub.sign(hub.statement(created=NOW + timedelta(minutes=2)))
    set_clock(NOW - timedelta(minutes=1))

    assert_problem(post(client, early), 403, "key-expired", "signatures[0].keyid")


def test_the_same_rotation_sent_again_gets_its_original_receipt(
    client: FlaskClient, register: RegisterHub, set_clock: Clock, app: Flask
) -> None:
    hub = register()
    envelope = rotation(hub, generate_private_key())
    first = post(client, envelope)
    before = row_counts(app)

    again = post(client, envelope)

    assert (first.status_code, again.status_code) == (201, 200)
    assert again.data == first.data
    assert row_counts(app) == before


def _not_signed_by_the_new_key(hub: SigningHub) -> bytes:
    return rotation(hub, generate_private_key(), sign_with=[hub.private_key], advance=False)


def _overlap_too_long(hub: SigningHub) -> bytes:
    return rotation(hub, generate_private_key(), valid_until=NOW + timedelta(days=31),
                    advance=False)  # fmt: skip


def _new_key_signature_forged(hub: SigningHub) -> bytes:
    new_key = generate_private_key()
    envelope = json.loads(rotation(hub, new_key, advance=False))
    envelope["signatures"][1]["sig"] = base64.b64encode(b"\x01" * 64).decode()
    return canonical_json(envelope)


@pytest.mark.parametrize(
    ("make", "status", "slug", "field"),
    [
        (_not_signed_by_the_new_key, 422, "invalid-rotation", "signatures"),
        (_overlap_too_long, 422, "invalid-rotation", "body.old_key_valid_until"),
        (_new_key_signature_forged, 401, "bad-signature", "signatures[1].sig"),
    ],
    ids=["not-signed-by-new-key", "overlap-over-30-days", "new-key-signature-forged"],
)
def test_a_rotation_that_does_not_rotate_correctly_is_refused_and_nothing_is_stored(
    client: FlaskClient, register: RegisterHub, set_clock: Clock, app: Flask,
    make: Callable[[SigningHub], bytes], status: int, slug: str, field: str,
) -> None:  # fmt: skip
    hub = register()
    before = row_counts(app)

    assert_problem(post(client, make(hub)), status, slug, field)

    assert row_counts(app) == before
    assert len(hub_keys(client)) == 1


def test_a_key_already_rotated_out_cannot_rotate_again(
    client: FlaskClient, register: RegisterHub, set_clock: Clock, app: Flask
) -> None:
    hub = register()
    old_key = hub.private_key
    assert post(client, rotation(hub, generate_private_key())).status_code == 201
    hub.private_key = old_key  # still valid for a week, but no longer the hub's current key
    before = row_counts(app)

    problem = assert_problem(
        post(client, rotation(hub, generate_private_key(), advance=False)),
        422, "invalid-rotation", "body.old_keyid",
    )  # fmt: skip

    assert "already rotated out" in problem["detail"]
    assert row_counts(app) == before


def test_a_rotation_to_another_hubs_key_is_refused(
    client: FlaskClient, register: RegisterHub, set_clock: Clock, app: Flask
) -> None:
    manchester = register()
    cornwall = register("E06000052", "Cornwall", "South West", 570305)
    before = row_counts(app)

    assert_problem(
        post(client, rotation(manchester, cornwall.private_key, advance=False)),
        401, "unknown-key", "hub_id",  # Cornwall's key signed a statement naming Manchester
    )  # fmt: skip
    assert row_counts(app) == before


def test_a_rotation_from_a_revoked_key_is_refused(
    client: FlaskClient, register: RegisterHub, set_clock: Clock, app: Flask
) -> None:
    hub = register()
    with app.app_context():
        session = get_session()
        keyid = key_id(hub.private_key.public_key())
        revoke_key(session, hub.gss, keyid, NOW, reason="leaked", signer=log_signer())
        session.commit()
    before = row_counts(app)

    assert_problem(
        post(client, rotation(hub, generate_private_key(), advance=False)),
        403, "revoked-key", "signatures[0].keyid",
    )  # fmt: skip
    assert row_counts(app) == before


def test_the_rotated_key_is_stored_with_the_leaf_that_introduced_it(
    client: FlaskClient, register: RegisterHub, set_clock: Clock, app: Flask
) -> None:
    hub = register()
    new_key = generate_private_key()
    receipt = post(client, rotation(hub, new_key)).get_json()

    with app.app_context():
        keys = {key.keyid: key for key in get_session().scalars(select(HubKey))}
    old, new = keys[key_id(hub.private_key.public_key())], keys[key_id(new_key.public_key())]
    assert (old.added_via, old.log_index) == (KeyOrigin.REGISTRATION, 0)
    assert old.expires_at == NOW + WEEK
    assert (new.added_via, new.log_index, new.hub_gss) == (
        KeyOrigin.ROTATION, receipt["log_index"], hub.gss,
    )  # fmt: skip


def test_a_log_with_rotations_and_revocations_audits_clean(
    client: FlaskClient, register: RegisterHub, set_clock: Clock, app: Flask, instance: Path
) -> None:
    """What an outside auditor replays (`federation.audit`) agrees with what was accepted."""
    manchester = register()
    cornwall = register("E06000052", "Cornwall", "South West", 570305)
    assert post(client, manchester.summary({"gp-access": 10}, created=NOW)).status_code == 201
    new_key = generate_private_key()
    assert post(client, rotation(manchester, new_key)).status_code == 201
    assert post(client, manchester.summary(created=NOW)).status_code == 201  # old key, overlap
    manchester.private_key = new_key
    assert post(client, manchester.summary(created=NOW)).status_code == 201
    with app.app_context():
        session = get_session()
        keyid = key_id(cornwall.private_key.public_key())
        revoke_key(session, cornwall.gss, keyid, NOW, reason="lost", signer=log_signer())
        session.commit()
    checkpoint = client.get("/api/v1/log/checkpoint").get_json()

    entries = log_entries(client, 0, checkpoint["size"])
    report = audit_log(
        enumerate(entries), checkpoint, load_public_key(instance / "log-key.pub"),
        audience=AUDIENCE,
    )  # fmt: skip

    assert report.ok, [(failure.index, failure.error) for failure in report.failures]
    assert report.leaves == checkpoint["size"] == 7
