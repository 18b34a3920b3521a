"""Witness cosignatures: `POST /api/v1/log/cosignatures`, and where they show up afterwards."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from flask import Flask
from flask.testing import FlaskClient

from federation.checkpoint import (
    Checkpoint,
    cosign_checkpoint,
    cosignature_message,
    parse_signed_checkpoint,
    verify_cosignature,
)
from federation.client import verify_receipt
from federation.keys import generate_private_key, key_id, load_public_key
from hubnet.db import get_session
from national_aggregator.db import utcnow
from national_aggregator.log import log_signer
from national_aggregator.registry.services import revoke_hub
from tests.aggregator.conftest import RegisterHub, SigningHub, assert_problem, post, row_counts


def cosignature(
    checkpoint: dict[str, Any], witness: SigningHub, key: Ed25519PrivateKey | None = None
) -> dict[str, Any]:
    """What `hubnet hub witness` posts for a checkpoint it has checked."""
    key = key or witness.private_key
    signed = parse_signed_checkpoint(checkpoint).checkpoint
    return {
        "witness": witness.gss,
        "keyid": key_id(key.public_key()),
        "size": signed.size,
        "root": checkpoint["root"],
        "signature": base64.b64encode(cosign_checkpoint(signed, key)).decode(),
    }


@pytest.fixture
def hubs(client: FlaskClient, register: RegisterHub) -> tuple[SigningHub, SigningHub]:
    """Manchester, which submits, and Cornwall, which witnesses."""
    manchester = register()
    cornwall = register("E06000052", "Cornwall", "South West", 570305)
    return manchester, cornwall


def test_a_cosignature_is_kept_listed_and_carried_by_receipts(
    client: FlaskClient, hubs: tuple[SigningHub, SigningHub], instance: Path
) -> None:
    manchester, cornwall = hubs
    envelope = manchester.summary({"gp-access": 20})
    original = post(client, envelope)
    checkpoint = client.get("/api/v1/log/checkpoint").get_json()
    body = cosignature(checkpoint, cornwall)

    kept = client.post("/api/v1/log/cosignatures", json=body)
    again = client.post("/api/v1/log/cosignatures", json=body)

    assert kept.status_code == 201, kept.data
    assert again.status_code == 200 and again.data == kept.data
    listed = {"witness": "E06000052", "keyid": body["keyid"], "signature": body["signature"]}
    assert kept.get_json()["cosignatures"] == [listed]
    assert client.get("/api/v1/log/checkpoint").get_json()["cosignatures"] == [listed]
    size = checkpoint["size"]
    assert client.get(f"/api/v1/log/checkpoints/{size}").get_json()["cosignatures"] == [listed]
    earlier = client.get(f"/api/v1/log/checkpoints/{size - 1}").get_json()
    assert earlier["cosignatures"] == []
    signed = parse_signed_checkpoint(kept.get_json()).checkpoint
    verify_cosignature(
        signed, base64.b64decode(body["signature"]), cornwall.private_key.public_key()
    )
    # The receipt sent again for the same bytes, and a fresh one, carry the cosignature.
    log_key = load_public_key(instance / "log-key.pub")
    replayed = post(client, envelope).get_json()
    assert replayed["checkpoint"]["cosignatures"] == [listed]
    assert {**replayed, "checkpoint": {**replayed["checkpoint"], "cosignatures": []}} == (
        original.get_json()
    )
    receipt_id = replayed["submission_id"]
    fresh = client.get(f"/api/v1/submissions/{receipt_id}/receipt").get_json()
    assert fresh["checkpoint"]["cosignatures"] == [listed]
    assert verify_receipt(fresh, envelope, log_key).size == size


def test_a_witness_may_cosign_with_each_of_its_keys_and_several_witnesses_are_listed(
    client: FlaskClient, hubs: tuple[SigningHub, SigningHub], register: RegisterHub
) -> None:
    manchester, cornwall = hubs
    leeds = register("E08000035", "Leeds", "Yorkshire and The Humber", 811953)
    checkpoint = client.get("/api/v1/log/checkpoint").get_json()

    for witness in (leeds, cornwall, manchester):
        assert client.post(
            "/api/v1/log/cosignatures", json=cosignature(checkpoint, witness)
        ).status_code == 201  # fmt: skip

    listed = client.get("/api/v1/log/checkpoint").get_json()["cosignatures"]
    assert [item["witness"] for item in listed] == ["E06000052", "E08000003", "E08000035"]


def _other_hubs_key(body: dict[str, Any], hubs: tuple[SigningHub, SigningHub]) -> None:
    body["witness"] = hubs[0].gss  # Manchester, but Cornwall's key


def _unknown_key(body: dict[str, Any], hubs: tuple[SigningHub, SigningHub]) -> None:
    stranger = generate_private_key()
    body["keyid"] = key_id(stranger.public_key())


def _bad_signature(body: dict[str, Any], hubs: tuple[SigningHub, SigningHub]) -> None:
    body["signature"] = base64.b64encode(b"\x02" * 64).decode()


def _never_issued(body: dict[str, Any], hubs: tuple[SigningHub, SigningHub]) -> None:
    body["size"] = 99


def _other_root(body: dict[str, Any], hubs: tuple[SigningHub, SigningHub]) -> None:
    body["root"] = base64.b64encode(b"\x03" * 32).decode()


def _size_zero(body: dict[str, Any], hubs: tuple[SigningHub, SigningHub]) -> None:
    body["size"] = 0


def _size_huge(body: dict[str, Any], hubs: tuple[SigningHub, SigningHub]) -> None:
    body["size"] = 2**40  # past PostgreSQL's integer: compared in Python, never queried


@pytest.mark.parametrize(
    ("change", "status", "slug", "field"),
    [
        (_other_hubs_key, 401, "unknown-key", "keyid"),
        (_unknown_key, 401, "unknown-key", "keyid"),
        (_bad_signature, 401, "bad-signature", "signature"),
        (_never_issued, 404, "checkpoint-not-found", "size"),
        (_size_zero, 404, "checkpoint-not-found", "size"),
        (_size_huge, 404, "checkpoint-not-found", "size"),
        (_other_root, 422, "checkpoint-mismatch", "root"),
    ],
    ids=["other-hubs-key", "unknown-key", "bad-signature", "never-issued", "size-0", "size-huge",
         "other-root"],
)  # fmt: skip
def test_a_cosignature_that_does_not_hold_is_refused_and_nothing_is_stored(
    client: FlaskClient, app: Flask, hubs: tuple[SigningHub, SigningHub],
    change: Any, status: int, slug: str, field: str,
) -> None:  # fmt: skip
    body = cosignature(client.get("/api/v1/log/checkpoint").get_json(), hubs[1])
    change(body, hubs)
    before = row_counts(app)

    assert_problem(client.post("/api/v1/log/cosignatures", json=body), status, slug, field)

    assert row_counts(app) == before


def test_a_revoked_witness_cannot_cosign(
    client: FlaskClient, app: Flask, hubs: tuple[SigningHub, SigningHub]
) -> None:
    checkpoint = client.get("/api/v1/log/checkpoint").get_json()
    body = cosignature(checkpoint, hubs[1])
    with app.app_context():
        revoke_hub(get_session(), "E06000052", utcnow(), reason="left", signer=log_signer())
        get_session().commit()
    before = row_counts(app)

    assert_problem(client.post("/api/v1/log/cosignatures", json=body), 403, "revoked-key", "keyid")
    assert row_counts(app) == before


@pytest.mark.parametrize(
    ("body", "slug", "field"),
    [
        (b'{"witness": "E06000052"', "malformed-json", None),
        (b'{"witness": "E06000052", "witness": "E06000052"}', "duplicate-key", "witness"),
        (b"[]", "schema-violation", "body"),
        (b'{"witness": "Cornwall"}', "schema-violation", "keyid"),
        (json.dumps({"witness": "E06000052", "keyid": "k" * 43, "size": 1, "root": "!!",
                     "signature": "AA=="}).encode(), "schema-violation", "root"),
        (json.dumps({"witness": "E06000052", "keyid": "k" * 43, "size": True,
                     "root": "AA==", "signature": "AA=="}).encode(), "schema-violation", "root"),
        (json.dumps({"witness": "E06000052", "keyid": "k" * 43, "size": 1, "root": "A" * 44,
                     "signature": "A" * 88, "extra": 1}).encode(), "schema-violation", "extra"),
    ],
    ids=["truncated", "duplicate-key", "not-an-object", "fields", "bad-base64", "size-true",
         "unknown-field"],
)  # fmt: skip
def test_a_malformed_cosignature_is_a_400_problem(
    client: FlaskClient, app: Flask, hubs: tuple[SigningHub, SigningHub], body: bytes,
    slug: str, field: str | None,
) -> None:  # fmt: skip
    before = row_counts(app)

    response = client.post("/api/v1/log/cosignatures", data=body, content_type="application/json")

    assert_problem(response, 400, slug, field)
    assert row_counts(app) == before


def test_cosignature_message_is_the_note_text_after_a_context_line() -> None:
    """What docs/protocol.md says a witness signs, so any implementation can produce it."""
    checkpoint = Checkpoint("hubnet.national/log", 3, b"\x00" * 32)

    assert cosignature_message(checkpoint) == (
        b"hubnet-cosignature/1\nhubnet.national/log\n3\n" + base64.b64encode(b"\x00" * 32) + b"\n"
    )


def test_the_home_page_shows_the_log_and_who_has_witnessed_it(
    client: FlaskClient, hubs: tuple[SigningHub, SigningHub]
) -> None:
    """The aggregator shows the cosignatures it has, in words, not only as JSON."""
    assert "No witness has cosigned the log yet." in client.get("/").get_data(as_text=True)
    _manchester, cornwall = hubs
    checkpoint = client.get("/api/v1/log/checkpoint").get_json()
    kept = client.post("/api/v1/log/cosignatures", json=cosignature(checkpoint, cornwall))
    assert kept.status_code == 201, kept.data

    page = client.get("/").get_data(as_text=True)

    assert f"The log at {checkpoint['size']} entries was cosigned by Cornwall." in page
    assert checkpoint["root"] in page
