"""Signed checkpoints: note text, JSON form, signatures."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from federation.checkpoint import (
    Checkpoint,
    SignedCheckpoint,
    cosign_checkpoint,
    cosignature_message,
    parse_signed_checkpoint,
    sign_checkpoint,
    verify_checkpoint,
    verify_cosignature,
)
from federation.errors import BadSignature, SchemaViolation
from federation.keys import key_id
from federation.merkle import EMPTY_ROOT

ROOT = bytes.fromhex("5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328")
ORIGIN = "national.hubnet.example/log"


@pytest.fixture(scope="module")
def log_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(b"\x01" * 32)  # TEST-ONLY


def test_note_text_is_the_c2sp_checkpoint_body() -> None:
    checkpoint = Checkpoint(ORIGIN, 8, ROOT)
    assert checkpoint.note_text() == (
        "national.hubnet.example/log\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n"
    )
    assert Checkpoint(ORIGIN, 0, EMPTY_ROOT).note_text().splitlines()[1] == "0"


@pytest.mark.parametrize(
    ("origin", "size", "root"),
    [
        ("", 1, ROOT),
        ("two\nlines", 1, ROOT),
        ("tab\there", 1, ROOT),
        (ORIGIN, -1, ROOT),
        (ORIGIN, 2**53, ROOT),
        (ORIGIN, True, ROOT),
        (ORIGIN, 1, ROOT[:31]),
    ],
)
def test_checkpoint_refuses_impossible_values(origin: str, size: int, root: bytes) -> None:
    with pytest.raises(ValueError):
        Checkpoint(origin, size, root)


def test_sign_and_verify(log_key: Ed25519PrivateKey) -> None:
    checkpoint = Checkpoint(ORIGIN, 8, ROOT)
    signed = sign_checkpoint(checkpoint, log_key)
    assert signed.keyid == key_id(log_key.public_key())
    log_key.public_key().verify(signed.signature, checkpoint.note_text().encode())
    assert verify_checkpoint(signed, log_key.public_key()) == checkpoint
    assert verify_checkpoint(signed.as_json(), log_key.public_key()) == checkpoint


def test_json_form(log_key: Ed25519PrivateKey) -> None:
    signed = sign_checkpoint(Checkpoint(ORIGIN, 8, ROOT), log_key)
    document = signed.as_json()
    assert document == {
        "origin": ORIGIN,
        "size": 8,
        "root": base64.b64encode(ROOT).decode(),
        "keyid": key_id(log_key.public_key()),
        "signature": base64.b64encode(signed.signature).decode(),
        "cosignatures": [],
    }
    assert parse_signed_checkpoint(document) == signed


def test_cosignatures_are_carried_through(log_key: Ed25519PrivateKey) -> None:
    document = sign_checkpoint(Checkpoint(ORIGIN, 8, ROOT), log_key).as_json()
    document["cosignatures"] = [{"keyid": "witness", "signature": "AAAA", "timestamp": 1}]
    parsed = parse_signed_checkpoint(document)
    assert parsed.as_json()["cosignatures"] == document["cosignatures"]
    verify_checkpoint(parsed, log_key.public_key())


@pytest.mark.parametrize(
    "changes",
    [
        {"size": 9},
        {"origin": "another.example/log"},
        {"root": base64.b64encode(EMPTY_ROOT).decode()},
    ],
)
def test_any_change_breaks_the_signature(
    changes: dict[str, Any], log_key: Ed25519PrivateKey
) -> None:
    document = sign_checkpoint(Checkpoint(ORIGIN, 8, ROOT), log_key).as_json()
    document.update(changes)
    with pytest.raises(BadSignature) as caught:
        verify_checkpoint(document, log_key.public_key())
    assert caught.value.field == "signature"


def test_signed_by_another_key(log_key: Ed25519PrivateKey) -> None:
    other = Ed25519PrivateKey.from_private_bytes(b"\x02" * 32)
    signed = sign_checkpoint(Checkpoint(ORIGIN, 8, ROOT), other)
    with pytest.raises(BadSignature) as caught:
        verify_checkpoint(signed, log_key.public_key())
    assert caught.value.field == "keyid"
    # The other key's signature under the log key's id still fails.
    disguised = SignedCheckpoint(signed.checkpoint, key_id(log_key.public_key()), signed.signature)
    with pytest.raises(BadSignature) as caught:
        verify_checkpoint(disguised, log_key.public_key())
    assert caught.value.field == "signature"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"origin": None}, "origin"),
        ({"origin": "a\nb"}, "origin"),
        ({"size": "8"}, "size"),
        ({"size": -1}, "size"),
        ({"size": True}, "size"),
        ({"root": "!!"}, "root"),
        ({"root": base64.b64encode(b"short").decode()}, "root"),
        ({"keyid": 7}, "keyid"),
        ({"signature": None}, "signature"),
        ({"signature": base64.b64encode(b"x" * 63).decode()}, "signature"),
        ({"cosignatures": {}}, "cosignatures"),
        ({"cosignatures": ["x"]}, "cosignatures"),
    ],
)
def test_malformed_json_names_the_field(
    changes: dict[str, Any], field: str, log_key: Ed25519PrivateKey
) -> None:
    document = sign_checkpoint(Checkpoint(ORIGIN, 8, ROOT), log_key).as_json()
    document.update(changes)
    with pytest.raises(SchemaViolation) as caught:
        verify_checkpoint(document, log_key.public_key())
    assert caught.value.field == field
    with pytest.raises(SchemaViolation) as caught:
        parse_signed_checkpoint(document, prefix="checkpoint.")
    assert caught.value.field == f"checkpoint.{field}"


def test_not_an_object() -> None:
    with pytest.raises(SchemaViolation):
        parse_signed_checkpoint([])  # type: ignore[arg-type]


def test_cosignatures_are_bound_to_their_context() -> None:
    witness = Ed25519PrivateKey.from_private_bytes(bytes(32))
    cp = Checkpoint("hubnet-test-log", 5, bytes(range(32)))
    assert cosignature_message(cp) == b"hubnet-cosignature/1\n" + cp.note_text().encode()
    signature = cosign_checkpoint(cp, witness)
    verify_cosignature(cp, signature, witness.public_key())
    with pytest.raises(BadSignature):
        verify_cosignature(
            Checkpoint("hubnet-test-log", 6, cp.root), signature, witness.public_key()
        )
    # A log signature over the bare note text is not a cosignature, nor the other way round.
    log_style = witness.sign(cp.note_text().encode())
    with pytest.raises(BadSignature):
        verify_cosignature(cp, log_style, witness.public_key())
