"""Key rotation: the two-signature key-rotation/1 statement, and keys that expire."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from federation.canonical import canonical_json
from federation.envelope import (
    PAYLOAD_TYPE,
    KeyLookup,
    Statement,
    TrustedKey,
    pae,
    sign_statement,
    verify_envelope,
)
from federation.errors import (
    BadSignature,
    InvalidRotation,
    KeyExpired,
    ProtocolError,
    RevokedKey,
    SchemaViolation,
)
from federation.keys import key_id, public_jwk
from federation.periods import Period
from federation.statement import (
    check_statement,
    rotation_body,
    sign_rotation,
    validate_body,
    verify_rotation,
)

HUB_ID = "E08000003"
AUDIENCE = "hubnet-national-england"
CREATED = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
DAY = Period(date(2026, 11, 1), date(2026, 11, 1))
StatementFactory = Callable[..., dict[str, Any]]


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


@pytest.fixture
def make_rotation(
    hub_key: Ed25519PrivateKey, next_hub_key: Ed25519PrivateKey, make_statement: StatementFactory
) -> Callable[..., dict[str, Any]]:
    """A valid key-rotation statement (seq 2) from hub_key to next_hub_key."""

    def make(*, body_changes: dict[str, Any] | None = None, **changes: Any) -> dict[str, Any]:
        body = rotation_body(
            old_key=hub_key.public_key(),
            new_key=next_hub_key.public_key(),
            old_key_valid_until=CREATED + timedelta(days=7),
        )
        body.update(body_changes or {})
        value = make_statement(
            kind="key-rotation",
            schema="key-rotation/1",
            seq=2,
            prev="ab" * 32,
            period=DAY.as_json(),
            body=body,
        )
        value.update(changes)
        return value

    return make


def old_only(hub_key: Ed25519PrivateKey) -> KeyLookup:
    return {key_id(hub_key.public_key()): TrustedKey(hub_key.public_key(), HUB_ID)}.get


def signed_by(value: dict[str, Any], *signers: Ed25519PrivateKey) -> bytes:
    payload = canonical_json(value)
    return canonical_json(
        {
            "payloadType": PAYLOAD_TYPE,
            "payload": b64(payload),
            "signatures": [
                {
                    "keyid": key_id(signer.public_key()),
                    "sig": b64(signer.sign(pae(PAYLOAD_TYPE, payload))),
                }
                for signer in signers
            ],
        }
    )


def test_round_trip(
    hub_key: Ed25519PrivateKey,
    next_hub_key: Ed25519PrivateKey,
    make_rotation: Callable[..., dict[str, Any]],
) -> None:
    raw = sign_rotation(make_rotation(), hub_key, next_hub_key)
    signatures = json.loads(raw)["signatures"]
    assert [entry["keyid"] for entry in signatures] == [
        key_id(hub_key.public_key()),
        key_id(next_hub_key.public_key()),
    ]
    # The receiver does not know the new key yet: its signature is ignored here.
    statement = verify_envelope(raw, old_only(hub_key))
    assert statement.keyid == key_id(hub_key.public_key())
    assert statement.kind == "key-rotation"
    check_statement(statement, audience=AUDIENCE, now=CREATED)  # no disclosure checks
    new_key = verify_rotation(raw, statement)
    assert key_id(new_key) == key_id(next_hub_key.public_key())


def test_a_replayed_rotation_verifies_once_the_new_key_is_known(
    hub_key: Ed25519PrivateKey,
    next_hub_key: Ed25519PrivateKey,
    make_rotation: Callable[..., dict[str, Any]],
) -> None:
    raw = sign_rotation(make_rotation(), hub_key, next_hub_key)
    both = {
        key_id(key.public_key()): TrustedKey(key.public_key(), HUB_ID)
        for key in (hub_key, next_hub_key)
    }.get
    statement = verify_envelope(raw, both)
    assert statement.keyid == key_id(next_hub_key.public_key())  # the last known key
    assert statement.verified_keyids == (
        key_id(hub_key.public_key()),
        key_id(next_hub_key.public_key()),
    )
    verify_rotation(raw, statement)


def test_sign_rotation_refuses_mismatched_keys(
    hub_key: Ed25519PrivateKey,
    next_hub_key: Ed25519PrivateKey,
    wrong_key: Ed25519PrivateKey,
    make_rotation: Callable[..., dict[str, Any]],
    make_statement: StatementFactory,
) -> None:
    with pytest.raises(ValueError, match=r"new_key|new_keyid"):
        sign_rotation(make_rotation(), hub_key, wrong_key)
    with pytest.raises(ValueError, match="old_keyid"):
        sign_rotation(make_rotation(), wrong_key, next_hub_key)
    with pytest.raises(ValueError, match="key-rotation"):
        sign_rotation(make_statement(), hub_key, next_hub_key)


def _verified(raw: bytes, hub_key: Ed25519PrivateKey) -> Statement:
    return verify_envelope(raw, old_only(hub_key))


def refuse(error: type[ProtocolError], raw: bytes, hub_key: Ed25519PrivateKey) -> ProtocolError:
    with pytest.raises(ProtocolError) as caught:
        verify_rotation(raw, _verified(raw, hub_key))
    assert type(caught.value) is error, caught.value
    return caught.value


def test_missing_new_signature(
    hub_key: Ed25519PrivateKey, make_rotation: Callable[..., dict[str, Any]]
) -> None:
    raw = signed_by(make_rotation(), hub_key)
    error = refuse(InvalidRotation, raw, hub_key)
    assert (error.field, error.status, error.slug) == ("signatures", 422, "invalid-rotation")


def test_new_signature_by_another_key(
    hub_key: Ed25519PrivateKey,
    next_hub_key: Ed25519PrivateKey,
    wrong_key: Ed25519PrivateKey,
    make_rotation: Callable[..., dict[str, Any]],
) -> None:
    # The second signature claims the new key's id but is made with another key.
    document = json.loads(signed_by(make_rotation(), hub_key, wrong_key))
    document["signatures"][1]["keyid"] = key_id(next_hub_key.public_key())
    error = refuse(BadSignature, canonical_json(document), hub_key)
    assert error.field == "signatures[1].sig"


def test_signed_only_by_the_new_key(
    hub_key: Ed25519PrivateKey,
    next_hub_key: Ed25519PrivateKey,
    make_rotation: Callable[..., dict[str, Any]],
) -> None:
    # A hub whose registered key is the new one cannot "rotate" from a key it never had.
    raw = signed_by(make_rotation(), next_hub_key)
    lookup = {key_id(next_hub_key.public_key()): TrustedKey(next_hub_key.public_key(), HUB_ID)}.get
    with pytest.raises(InvalidRotation) as caught:
        verify_rotation(raw, verify_envelope(raw, lookup))
    assert caught.value.field == "body.old_keyid"


def test_old_keyid_must_be_the_signing_key(
    hub_key: Ed25519PrivateKey,
    next_hub_key: Ed25519PrivateKey,
    wrong_key: Ed25519PrivateKey,
    make_rotation: Callable[..., dict[str, Any]],
) -> None:
    value = make_rotation(body_changes={"old_keyid": key_id(wrong_key.public_key())})
    raw = signed_by(value, hub_key, next_hub_key)
    assert refuse(InvalidRotation, raw, hub_key).field == "body.old_keyid"


def test_new_keyid_must_be_the_thumbprint(
    hub_key: Ed25519PrivateKey,
    next_hub_key: Ed25519PrivateKey,
    wrong_key: Ed25519PrivateKey,
    make_rotation: Callable[..., dict[str, Any]],
) -> None:
    value = make_rotation(body_changes={"new_keyid": key_id(wrong_key.public_key())})
    raw = signed_by(value, hub_key, next_hub_key)
    assert refuse(InvalidRotation, raw, hub_key).field == "body.new_keyid"


def test_new_key_must_differ(
    hub_key: Ed25519PrivateKey, make_rotation: Callable[..., dict[str, Any]]
) -> None:
    value = make_rotation(
        body_changes={
            "new_keyid": key_id(hub_key.public_key()),
            "new_key": public_jwk(hub_key.public_key()),
        }
    )
    raw = signed_by(value, hub_key)
    error = refuse(InvalidRotation, raw, hub_key)
    assert error.field == "body.new_keyid"
    assert "differ" in error.detail


@pytest.mark.parametrize(
    ("valid_until", "ok"),
    [
        (CREATED, True),
        (CREATED + timedelta(days=30), True),
        (CREATED + timedelta(days=30, seconds=1), False),
        (CREATED - timedelta(seconds=1), False),
    ],
)
def test_overlap_is_zero_to_thirty_days(
    valid_until: datetime,
    ok: bool,
    hub_key: Ed25519PrivateKey,
    next_hub_key: Ed25519PrivateKey,
    make_rotation: Callable[..., dict[str, Any]],
) -> None:
    value = make_rotation(
        body_changes={"old_key_valid_until": valid_until.strftime("%Y-%m-%dT%H:%M:%SZ")}
    )
    raw = sign_rotation(value, hub_key, next_hub_key)
    if ok:
        verify_rotation(raw, _verified(raw, hub_key))
    else:
        assert refuse(InvalidRotation, raw, hub_key).field == "body.old_key_valid_until"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"old_keyid": "short"}, "body.old_keyid"),
        ({"new_key": {"crv": "Ed25519", "kty": "OKP"}}, "body.new_key.x"),
        ({"new_key": {"crv": "Ed448", "kty": "OKP", "x": "A" * 43}}, "body.new_key.crv"),
        ({"new_key": {"crv": "Ed25519", "kty": "OKP", "x": "A" * 42}}, "body.new_key.x"),
        ({"new_key": {"crv": "Ed25519", "kty": "OKP", "x": "A" * 42 + "B"}}, "body.new_key.x"),
        ({"old_key_valid_until": "2026-11-08"}, "body.old_key_valid_until"),
        ({"extra": 1}, "body.extra"),
    ],
)
def test_body_schema(
    changes: dict[str, Any],
    field: str,
    hub_key: Ed25519PrivateKey,
    make_rotation: Callable[..., dict[str, Any]],
) -> None:
    body = make_rotation(body_changes=changes)["body"]
    with pytest.raises(SchemaViolation) as caught:
        validate_body("key-rotation/1", body)
    assert caught.value.field == field
    raw = signed_by(make_rotation(body_changes=changes), hub_key)
    with pytest.raises(SchemaViolation):
        check_statement(_verified(raw, hub_key), audience=AUDIENCE, now=CREATED)
    with pytest.raises(SchemaViolation):
        verify_rotation(raw, _verified(raw, hub_key))


def test_period_is_one_day(
    hub_key: Ed25519PrivateKey,
    next_hub_key: Ed25519PrivateKey,
    make_rotation: Callable[..., dict[str, Any]],
) -> None:
    raw = sign_rotation(
        make_rotation(period=Period.month(2026, 11).as_json()), hub_key, next_hub_key
    )
    with pytest.raises(SchemaViolation) as caught:
        _verified(raw, hub_key)
    assert caught.value.field == "period"


def test_kind_and_schema_must_agree(
    hub_key: Ed25519PrivateKey, make_rotation: Callable[..., dict[str, Any]]
) -> None:
    with pytest.raises(SchemaViolation) as caught:
        _verified(signed_by(make_rotation(kind="summary"), hub_key), hub_key)
    assert caught.value.field == "schema"


def test_verify_rotation_guards_against_caller_mistakes(
    hub_key: Ed25519PrivateKey,
    next_hub_key: Ed25519PrivateKey,
    make_rotation: Callable[..., dict[str, Any]],
    make_statement: StatementFactory,
) -> None:
    summary = sign_statement(make_statement(), hub_key)
    with pytest.raises(ValueError, match="key-rotation"):
        verify_rotation(summary, _verified(summary, hub_key))
    rotation = sign_rotation(make_rotation(), hub_key, next_hub_key)
    other = sign_rotation(make_rotation(seq=3), hub_key, next_hub_key)
    with pytest.raises(ValueError, match="this envelope"):
        verify_rotation(other, _verified(rotation, hub_key))


# Keys that expire (the old key after a rotation's overlap).


def test_trusted_key_expiry(hub_key: Ed25519PrivateKey) -> None:
    until = CREATED + timedelta(days=7)
    trusted = TrustedKey(hub_key.public_key(), HUB_ID, expires_at=until)
    assert not trusted.expired(until - timedelta(seconds=1))
    assert trusted.expired(until)
    assert not TrustedKey(hub_key.public_key(), HUB_ID).expired(until)
    with pytest.raises(ValueError, match="timezone"):
        trusted.expired(datetime(2026, 11, 1))
    with pytest.raises(ValueError, match="timezone"):
        TrustedKey(hub_key.public_key(), HUB_ID, expires_at=datetime(2026, 11, 1))


def test_verify_envelope_refuses_an_expired_key(
    hub_key: Ed25519PrivateKey, make_statement: StatementFactory
) -> None:
    until = CREATED + timedelta(days=7)
    lookup = {
        key_id(hub_key.public_key()): TrustedKey(hub_key.public_key(), HUB_ID, expires_at=until)
    }.get
    raw = sign_statement(make_statement(), hub_key)
    verify_envelope(raw, lookup)  # no clock: expiry is not checked (old callers)
    verify_envelope(raw, lookup, now=until - timedelta(seconds=1))
    with pytest.raises(KeyExpired) as caught:
        verify_envelope(raw, lookup, now=until)
    assert isinstance(caught.value, RevokedKey)
    assert (caught.value.status, caught.value.slug) == (403, "key-expired")
    assert caught.value.field == "signatures[0].keyid"
    with pytest.raises(ValueError, match="timezone"):
        verify_envelope(raw, lookup, now=datetime(2026, 11, 1))


def test_revocation_is_reported_before_expiry(
    hub_key: Ed25519PrivateKey, make_statement: StatementFactory
) -> None:
    lookup = {
        key_id(hub_key.public_key()): TrustedKey(
            hub_key.public_key(), HUB_ID, revoked=True, expires_at=CREATED
        )
    }.get
    with pytest.raises(RevokedKey) as caught:
        verify_envelope(sign_statement(make_statement(), hub_key), lookup, now=CREATED)
    assert type(caught.value) is RevokedKey
