"""Key events: the log's record of which hub keys count (docs/protocol.md, "What the log holds").

When the national team registers a hub, adds a key, revokes a key or revokes
a hub, the aggregator appends a key event to the transparency log in the same
transaction, so anyone replaying the log knows every hub's keys at every
leaf. A key event is a canonical JSON payload in the same DSSE-style envelope
as a statement, under its own payloadType
(`application/vnd.hubnet.key-event+json;v=1`) and signed by the aggregator's
log key (the key that signs checkpoints):

    {"v": 1, "event": "hub-registered", "hub_id": "E08000003",
     "keyid": "<RFC 7638>", "public_key": {"crv": "Ed25519", "kty": "OKP", "x": "…"},
     "hub": {"name": "Manchester", "region": "North West", "population": 551943},
     "reason": null, "at": "2026-11-01T09:00:00Z"}

Which members are set depends on the event (`EVENT_FIELDS`): `hub-registered`
has a key and the hub's details, `key-added` a key, `key-revoked` a key id
and a reason, `hub-revoked` only a reason. When a key is given, `keyid` must be
its thumbprint. Leaves out: the registry itself, and replaying events into a
key history (see `keyhistory`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from federation.canonical import canonical_json, parse_canonical
from federation.envelope import MAX_ENVELOPE_BYTES, _open_envelope, _sign_envelope, pae
from federation.errors import BadSignature, SchemaViolation, first_error
from federation.keys import key_id, public_jwk, public_key_from_jwk
from federation.statement import (
    GSS_CODE,
    JwkSchema,
    format_utc,
    keyid_field,
    parse_utc,
    utc_field,
)

KEY_EVENT_PAYLOAD_TYPE = "application/vnd.hubnet.key-event+json;v=1"
KEY_EVENTS = ("hub-registered", "key-added", "key-revoked", "hub-revoked")

EVENT_FIELDS: dict[str, dict[str, bool]] = {
    # event → {member: must it be set (True) or null (False)}
    "hub-registered": {"keyid": True, "public_key": True, "hub": True, "reason": False},
    "key-added": {"keyid": True, "public_key": True, "hub": False, "reason": False},
    "key-revoked": {"keyid": True, "public_key": False, "hub": False, "reason": True},
    "hub-revoked": {"keyid": False, "public_key": False, "hub": False, "reason": True},
}


@dataclass(frozen=True)
class KeyEvent:
    """A verified key event, with the exact payload bytes the log key signed."""

    event: str
    hub_id: str
    keyid: str | None
    public_key: Ed25519PublicKey | None
    hub: dict[str, Any] | None
    reason: str | None
    at: datetime
    payload: bytes


class HubDetailsSchema(Schema):
    """The hub's registry entry as the log records it."""

    name = fields.String(required=True, validate=validate.Length(1, 200))
    region = fields.String(required=True, validate=validate.Length(0, 100))
    population = fields.Integer(required=True, strict=True, validate=validate.Range(0, 2**53 - 1))


class KeyEventSchema(Schema):
    """The key-event payload; which members are null depends on `event` (EVENT_FIELDS)."""

    v = fields.Integer(required=True, strict=True, validate=validate.Equal(1))
    event = fields.String(required=True, validate=validate.OneOf(KEY_EVENTS))
    hub_id = fields.String(
        required=True, validate=validate.Regexp(GSS_CODE, error="must be an ONS GSS code")
    )
    keyid = keyid_field(allow_none=True)
    public_key = fields.Nested(JwkSchema, required=True, allow_none=True)
    hub = fields.Nested(HubDetailsSchema, required=True, allow_none=True)
    reason = fields.String(required=True, allow_none=True, validate=validate.Length(1, 1000))
    at = utc_field()

    @validates_schema
    def _fields_of_the_event(self, data: dict[str, Any], **_: Any) -> None:
        for name, required in EVENT_FIELDS[data["event"]].items():
            if required and data[name] is None:
                raise ValidationError(f"a {data['event']} event needs {name}", name)
            if not required and data[name] is not None:
                raise ValidationError(f"must be null in a {data['event']} event", name)
        if data["public_key"] is not None:
            thumbprint = key_id(public_key_from_jwk(data["public_key"]))
            if data["keyid"] != thumbprint:
                raise ValidationError(
                    f"is not the RFC 7638 thumbprint of public_key ({thumbprint})", "keyid"
                )


def key_event_dict(
    *,
    event: str,
    hub_id: str,
    keyid: str | None,
    public_key: Ed25519PublicKey | None,
    hub: Mapping[str, Any] | None,
    reason: str | None,
    at: datetime,
) -> dict[str, Any]:
    """The key-event payload as plain JSON values, ready to sign."""
    return {
        "v": 1,
        "event": event,
        "hub_id": hub_id,
        "keyid": keyid,
        "public_key": None if public_key is None else public_jwk(public_key),
        "hub": None if hub is None else dict(hub),
        "reason": reason,
        "at": format_utc(at),
    }


def _schema_errors(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        return {"_schema": ["the key event must be a JSON object"]}
    errors: dict[str, Any] = KeyEventSchema().validate(value)
    return errors


def sign_key_event(event: Mapping[str, Any], log_private_key: Ed25519PrivateKey) -> bytes:
    """Canonicalise and sign a key event with the log key; return the envelope bytes.

    Raises ValueError if the event does not match the schema: an invalid leaf
    would make every audit of the log fail.
    """
    errors = _schema_errors(dict(event))
    if errors:
        field, message = first_error(errors)
        raise ValueError(f"not a valid key event: {field}: {message}")
    return _sign_envelope(KEY_EVENT_PAYLOAD_TYPE, canonical_json(dict(event)), [log_private_key])


def open_log_signed(
    raw: bytes,
    payload_type: str,
    log_public_key: Ed25519PublicKey,
    what: str,
    max_bytes: int = MAX_ENVELOPE_BYTES,
) -> bytes:
    """Open an envelope of `payload_type` that the log key must have signed; return the payload.

    Used for every leaf the aggregator itself signs (key events, board
    statements). Signatures by other keys are ignored; BadSignature if none is
    by the log key or the log key's does not verify.
    """
    payload, signatures = _open_envelope(raw, payload_type, max_bytes=max_bytes)
    log_keyid = key_id(log_public_key)
    message = pae(payload_type, payload)
    found = False
    for index, (keyid, signature) in enumerate(signatures):
        if keyid != log_keyid:
            continue
        try:
            log_public_key.verify(signature, message)
        except InvalidSignature as exc:
            raise BadSignature(
                f"{what} signature by the log key {log_keyid} does not verify",
                field=f"signatures[{index}].sig",
            ) from exc
        found = True
    if not found:
        keyids = ", ".join(keyid for keyid, _ in signatures)
        raise BadSignature(
            f"{what} is not signed by the log key {log_keyid} (key ids: {keyids})",
            field="signatures",
        )
    return payload


def verify_key_event(
    raw: bytes, log_public_key: Ed25519PublicKey, *, max_bytes: int = MAX_ENVELOPE_BYTES
) -> KeyEvent:
    """Check a key-event envelope signed by the log key and return the event.

    Raises a ProtocolError subclass: PayloadTooLarge, MalformedEnvelope (and its
    kinds: WrongPayloadType, BadBase64, MalformedJSON, DuplicateKey,
    NonCanonical), BadSignature (no signature by the log key, or one that does
    not verify), SchemaViolation. Signatures by other keys are ignored.
    """
    payload = open_log_signed(raw, KEY_EVENT_PAYLOAD_TYPE, log_public_key, "key event", max_bytes)
    value = parse_canonical(payload)
    errors = _schema_errors(value)
    if errors:
        field, detail = first_error(errors)
        field = field or "payload"
        raise SchemaViolation(f"{field}: {detail}", field=field, errors=errors)
    jwk = value["public_key"]
    return KeyEvent(
        event=value["event"],
        hub_id=value["hub_id"],
        keyid=value["keyid"],
        public_key=None if jwk is None else public_key_from_jwk(jwk),
        hub=value["hub"],
        reason=value["reason"],
        at=parse_utc(value["at"]),
        payload=payload,
    )
