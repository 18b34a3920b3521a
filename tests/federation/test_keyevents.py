"""Key events: the log-key-signed leaves that record hub registrations, keys and revocations."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from federation.canonical import canonical_json
from federation.envelope import PAYLOAD_TYPE, pae, sign_statement, verify_envelope
from federation.errors import (
    BadBase64,
    BadSignature,
    DuplicateKey,
    MalformedEnvelope,
    NonCanonical,
    PayloadTooLarge,
    ProtocolError,
    SchemaViolation,
    WrongPayloadType,
)
from federation.keyevents import (
    EVENT_FIELDS,
    KEY_EVENT_PAYLOAD_TYPE,
    KEY_EVENTS,
    KeyEvent,
    key_event_dict,
    sign_key_event,
    verify_key_event,
)
from federation.keys import key_id, public_jwk

HUB_ID = "E08000003"
AT = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
MANCHESTER = {"name": "Manchester", "region": "North West", "population": 551943}


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def event_for(kind: str, hub_key: Ed25519PrivateKey, **changes: Any) -> dict[str, Any]:
    """A valid event of each kind for the test hub; keyword arguments replace members."""
    public = hub_key.public_key()
    fields: dict[str, dict[str, Any]] = {
        "hub-registered": {"keyid": key_id(public), "public_key": public, "hub": MANCHESTER},
        "key-added": {"keyid": key_id(public), "public_key": public},
        "key-revoked": {"keyid": key_id(public), "reason": "laptop stolen"},
        "hub-revoked": {"reason": "council merged"},
    }
    arguments: dict[str, Any] = {"keyid": None, "public_key": None, "hub": None, "reason": None}
    arguments.update(fields[kind])
    value = key_event_dict(event=kind, hub_id=HUB_ID, at=AT, **arguments)
    value.update(changes)
    return value


def envelope_over(
    payload: bytes, signer: Ed25519PrivateKey, payload_type: str = KEY_EVENT_PAYLOAD_TYPE
) -> bytes:
    return canonical_json(
        {
            "payloadType": payload_type,
            "payload": b64(payload),
            "signatures": [
                {
                    "keyid": key_id(signer.public_key()),
                    "sig": b64(signer.sign(pae(payload_type, payload))),
                }
            ],
        }
    )


def refuse(error: type[ProtocolError], raw: bytes, log_key: Ed25519PrivateKey) -> ProtocolError:
    with pytest.raises(ProtocolError) as caught:
        verify_key_event(raw, log_key.public_key())
    assert type(caught.value) is error, caught.value
    return caught.value


def test_the_documented_example_shape(hub_key: Ed25519PrivateKey) -> None:
    value = event_for("hub-registered", hub_key)
    assert value == {
        "v": 1,
        "event": "hub-registered",
        "hub_id": HUB_ID,
        "keyid": key_id(hub_key.public_key()),
        "public_key": public_jwk(hub_key.public_key()),
        "hub": MANCHESTER,
        "reason": None,
        "at": "2026-11-01T09:00:00Z",
    }
    assert set(EVENT_FIELDS) == set(KEY_EVENTS)


@pytest.mark.parametrize("kind", KEY_EVENTS)
def test_round_trip(kind: str, hub_key: Ed25519PrivateKey, log_key: Ed25519PrivateKey) -> None:
    value = event_for(kind, hub_key)
    raw = sign_key_event(value, log_key)
    assert canonical_json(json.loads(raw)) == raw
    envelope = json.loads(raw)
    assert envelope["payloadType"] == KEY_EVENT_PAYLOAD_TYPE
    assert envelope["signatures"][0]["keyid"] == key_id(log_key.public_key())
    event = verify_key_event(raw, log_key.public_key())
    assert isinstance(event, KeyEvent)
    assert (event.event, event.hub_id, event.at) == (kind, HUB_ID, AT)
    assert event.payload == canonical_json(value)
    assert event.keyid == value["keyid"]
    assert event.hub == value["hub"]
    assert event.reason == value["reason"]
    if value["public_key"] is None:
        assert event.public_key is None
    else:
        assert event.public_key is not None
        assert key_id(event.public_key) == key_id(hub_key.public_key())


def test_at_is_written_in_utc(hub_key: Ed25519PrivateKey) -> None:
    moment = datetime(2026, 11, 1, 10, 0, 0, 500, tzinfo=timezone(timedelta(hours=1)))
    value = key_event_dict(
        event="hub-revoked",
        hub_id=HUB_ID,
        keyid=None,
        public_key=None,
        hub=None,
        reason="r",
        at=moment,
    )
    assert value["at"] == "2026-11-01T09:00:00Z"
    with pytest.raises(ValueError, match="timezone"):
        key_event_dict(
            event="hub-revoked",
            hub_id=HUB_ID,
            keyid=None,
            public_key=None,
            hub=None,
            reason="r",
            at=datetime(2026, 11, 1),
        )


def test_a_statement_is_not_a_key_event(
    hub_key: Ed25519PrivateKey,
    log_key: Ed25519PrivateKey,
    make_statement: Any,
) -> None:
    statement = sign_statement(make_statement(), log_key)
    assert refuse(WrongPayloadType, statement, log_key).field == "payloadType"


def test_a_key_event_is_not_a_statement(
    hub_key: Ed25519PrivateKey, log_key: Ed25519PrivateKey
) -> None:
    raw = sign_key_event(event_for("key-added", hub_key), log_key)
    with pytest.raises(WrongPayloadType):
        verify_envelope(raw, lambda _keyid: None)


def test_signed_by_another_key(hub_key: Ed25519PrivateKey, log_key: Ed25519PrivateKey) -> None:
    raw = sign_key_event(event_for("key-added", hub_key), hub_key)
    error = refuse(BadSignature, raw, log_key)
    assert error.field == "signatures"
    assert key_id(log_key.public_key()) in error.detail


def test_tampered_payload(hub_key: Ed25519PrivateKey, log_key: Ed25519PrivateKey) -> None:
    document = json.loads(sign_key_event(event_for("key-revoked", hub_key), log_key))
    payload = base64.b64decode(document["payload"]).replace(b"laptop", b"Laptop")
    document["payload"] = b64(payload)
    assert refuse(BadSignature, json.dumps(document).encode(), log_key).field == (
        "signatures[0].sig"
    )


def test_relabelled_payload_type(hub_key: Ed25519PrivateKey, log_key: Ed25519PrivateKey) -> None:
    # Signed as a statement, relabelled as a key event: PAE binds the type.
    payload = canonical_json(event_for("key-added", hub_key))
    document = json.loads(envelope_over(payload, log_key, PAYLOAD_TYPE))
    document["payloadType"] = KEY_EVENT_PAYLOAD_TYPE
    refuse(BadSignature, canonical_json(document), log_key)


def test_extra_signatures_by_other_keys_are_ignored(
    hub_key: Ed25519PrivateKey, log_key: Ed25519PrivateKey
) -> None:
    document = json.loads(sign_key_event(event_for("key-added", hub_key), log_key))
    payload = base64.b64decode(document["payload"])
    document["signatures"].insert(
        0,
        {
            "keyid": key_id(hub_key.public_key()),
            "sig": b64(hub_key.sign(pae(KEY_EVENT_PAYLOAD_TYPE, payload))),
        },
    )
    verify_key_event(canonical_json(document), log_key.public_key())


@pytest.mark.parametrize(
    ("mangle", "error"),
    [
        (lambda raw: b"not json", MalformedEnvelope),
        (lambda raw: raw[:-1] + b',"payload":"e30="}', DuplicateKey),
        (lambda raw: raw.replace(b'"payload":"', b'"payload":"!', 1), BadBase64),
        (lambda raw: raw + b" " * (1024 * 1024), PayloadTooLarge),
    ],
)
def test_unreadable_envelopes(
    mangle: Any, error: type[ProtocolError], hub_key: Ed25519PrivateKey, log_key: Ed25519PrivateKey
) -> None:
    raw = mangle(sign_key_event(event_for("key-added", hub_key), log_key))
    with pytest.raises(error):
        verify_key_event(raw, log_key.public_key())


def test_payload_must_be_canonical(hub_key: Ed25519PrivateKey, log_key: Ed25519PrivateKey) -> None:
    payload = json.dumps(event_for("key-added", hub_key), sort_keys=True).encode()
    refuse(NonCanonical, envelope_over(payload, log_key), log_key)


def _signed_anyway(value: Any, log_key: Ed25519PrivateKey) -> bytes:
    return envelope_over(canonical_json(value), log_key)


@pytest.mark.parametrize(
    ("kind", "changes", "field"),
    [
        ("hub-registered", {"v": 2}, "v"),
        ("hub-registered", {"event": "key-lost"}, "event"),
        ("hub-registered", {"hub_id": "Manchester"}, "hub_id"),
        ("hub-registered", {"hub": None}, "hub"),
        ("hub-registered", {"public_key": None}, "public_key"),
        ("hub-registered", {"reason": "because"}, "reason"),
        ("hub-registered", {"keyid": "A" * 43}, "keyid"),  # not the key's thumbprint
        ("hub-registered", {"keyid": "short"}, "keyid"),
        ("key-revoked", {"keyid": "A" * 43 + "\n"}, "keyid"),
        ("hub-registered", {"hub": {"name": "M", "region": "NW"}}, "hub.population"),
        ("hub-registered", {"hub": {**MANCHESTER, "mayor": "x"}}, "hub.mayor"),
        ("hub-registered", {"public_key": {"crv": "Ed25519", "kty": "OKP", "x": "AA"}}, None),
        ("hub-registered", {"public_key": {"crv": "X25519", "kty": "OKP", "x": "A" * 43}}, None),
        ("key-added", {"hub": MANCHESTER}, "hub"),
        ("key-added", {"keyid": None}, "keyid"),
        ("key-revoked", {"public_key": "x"}, "public_key"),
        ("key-revoked", {"reason": None}, "reason"),
        ("key-revoked", {"reason": ""}, "reason"),
        ("key-revoked", {"keyid": None}, "keyid"),
        ("hub-revoked", {"keyid": "A" * 43}, "keyid"),
        ("hub-revoked", {"at": "2026-11-01 09:00:00"}, "at"),
        ("hub-revoked", {"at": "2026-02-30T09:00:00Z"}, "at"),
        ("hub-revoked", {"surprise": 1}, "surprise"),
    ],
)
def test_schema_errors_name_the_field(
    kind: str,
    changes: dict[str, Any],
    field: str | None,
    hub_key: Ed25519PrivateKey,
    log_key: Ed25519PrivateKey,
) -> None:
    value = event_for(kind, hub_key, **changes)
    error = refuse(SchemaViolation, _signed_anyway(value, log_key), log_key)
    assert error.status == 400
    if field is not None:
        assert error.field == field, error
    else:
        assert error.field is not None and error.field.startswith("public_key"), error
    with pytest.raises(ValueError, match="not a valid key event"):
        sign_key_event(value, log_key)


def test_payload_must_be_an_object(log_key: Ed25519PrivateKey) -> None:
    error = refuse(SchemaViolation, _signed_anyway([1], log_key), log_key)
    assert error.field == "payload"
