"""The signed envelope of protocol `hubnet/1` (DSSE-style, DESIGN.md §3).

The signer canonicalises a statement (RFC 8785), base64-encodes those bytes
as `payload`, and signs PAE(payloadType, payload bytes) with Ed25519. The
receiver verifies the signature over the bytes it received, and only then
parses them, refusing duplicate keys and non-canonical forms. Nothing is ever
re-serialised before verification.

`verify_envelope` covers the receiver's order up to and including "parse
statement": size, envelope shape, key, signature, statement shape. The checks
that need the receiver's own context (audience, clock, body schema,
disclosure, sequence) are in `statement.check_statement` and in the receiver.
The private `_sign_envelope` / `_open_envelope` are shared with the log's key
events (`keyevents`), which use the same envelope under another payloadType.
Leaves out: key storage, clocks, HTTP.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from federation.canonical import canonical_json, parse_canonical, parse_json
from federation.errors import (
    BadBase64,
    BadSignature,
    KeyExpired,
    MalformedEnvelope,
    PayloadTooLarge,
    RevokedKey,
    SchemaViolation,
    UnknownKey,
    WrongPayloadType,
    first_error,
)
from federation.keys import key_id
from federation.periods import Period

PAYLOAD_TYPE = "application/vnd.hubnet.statement+json;v=1"
MAX_ENVELOPE_BYTES = 1024 * 1024


@dataclass(frozen=True)
class TrustedKey:
    """What a receiver knows about a signing key: whose it is and whether it still counts.

    `expires_at` is set once a rotation has replaced the key: it is valid
    strictly before that moment and refused (KeyExpired) from it on, like a
    JWT's `exp`. None means no expiry.
    """

    public_key: Ed25519PublicKey
    owner: str
    revoked: bool = False
    expires_at: datetime | None = None

    def __post_init__(self) -> None:
        if self.expires_at is not None and self.expires_at.tzinfo is None:
            raise ValueError("expires_at must be timezone-aware (UTC)")

    def expired(self, at: datetime) -> bool:
        """Whether the key no longer counts at `at` (timezone-aware) because it expired."""
        if at.tzinfo is None:
            raise ValueError("the time must be timezone-aware")
        return self.expires_at is not None and at >= self.expires_at


KeyLookup = Callable[[str], TrustedKey | None]
"""Given a key id, the receiver's record of that key, or None if it is unknown."""


@dataclass(frozen=True)
class Statement:
    """A verified statement, with the exact bytes that were signed."""

    v: int
    kind: str
    hub_id: str
    seq: int
    prev: str | None
    submission_id: str
    aud: str
    created: datetime
    schema: str
    period: Period
    body: Mapping[str, Any]
    payload: bytes
    keyid: str
    verified_keyids: tuple[str, ...] = ()
    """Every key id whose signature the receiver verified, in envelope order (keyid is last)."""

    @property
    def payload_sha256(self) -> str:
        """Hex SHA-256 of the payload bytes: what the next statement's `prev` must be."""
        return hashlib.sha256(self.payload).hexdigest()


def pae(payload_type: str, payload: bytes) -> bytes:
    """DSSE pre-authentication encoding: `DSSEv1 SP len(type) SP type SP len(body) SP body`."""
    encoded_type = payload_type.encode("utf-8")
    return b"DSSEv1 %d %s %d %s" % (len(encoded_type), encoded_type, len(payload), payload)


def statement_dict(
    *,
    kind: str,
    hub_id: str,
    seq: int,
    prev: str | None,
    submission_id: str,
    aud: str,
    created: datetime,
    schema: str,
    period: Period,
    body: Mapping[str, Any],
) -> dict[str, Any]:
    """The statement as plain JSON values, ready to canonicalise."""
    return {
        "v": 1,
        "kind": kind,
        "hub_id": hub_id,
        "seq": seq,
        "prev": prev,
        "submission_id": submission_id,
        "aud": aud,
        "created": _rfc3339(created),
        "schema": schema,
        "period": period.as_json(),
        "body": dict(body),
    }


def _rfc3339(moment: datetime) -> str:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("created must be timezone-aware (UTC)")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _sign_envelope(
    payload_type: str, payload: bytes, private_keys: Sequence[Ed25519PrivateKey]
) -> bytes:
    """An envelope over `payload`, one signature per key in the given order, as canonical JSON."""
    if not private_keys:
        raise ValueError("an envelope needs at least one signature")
    message = pae(payload_type, payload)
    envelope = {
        "payloadType": payload_type,
        "payload": base64.b64encode(payload).decode("ascii"),
        "signatures": [
            {
                "keyid": key_id(private_key.public_key()),
                "sig": base64.b64encode(private_key.sign(message)).decode("ascii"),
            }
            for private_key in private_keys
        ],
    }
    return canonical_json(envelope)


def sign_statement(statement: Mapping[str, Any], private_key: Ed25519PrivateKey) -> bytes:
    """Canonicalise and sign a statement; return the envelope as canonical JSON bytes."""
    return _sign_envelope(PAYLOAD_TYPE, canonical_json(dict(statement)), [private_key])


def _b64decode(value: Any, field: str) -> bytes:
    # Standard alphabet, padded, and canonical: an encoding with stray bits in
    # its last character decodes to the same bytes as the canonical one, so
    # accepting it would let anyone make "different" envelopes of one signature.
    if not isinstance(value, str):
        raise MalformedEnvelope(f"{field} must be a base64 string", field=field)
    try:
        decoded = base64.b64decode(value.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError) as exc:
        raise BadBase64(f"{field} is not valid base64: {exc}", field=field) from exc
    if base64.b64encode(decoded).decode("ascii") != value:
        raise BadBase64(f"{field} is not canonical base64 (RFC 4648 §3.5)", field=field)
    return decoded


def _open_envelope(
    raw: bytes, payload_type: str, *, max_bytes: int = MAX_ENVELOPE_BYTES
) -> tuple[bytes, list[tuple[str, bytes]]]:
    """Size limit and envelope shape: the payload bytes and the (keyid, signature) pairs.

    Nothing is verified yet; the caller checks signatures over
    `pae(payload_type, payload)` before it parses the payload.
    """
    if len(raw) > max_bytes:
        raise PayloadTooLarge(f"envelope is {len(raw)} bytes; the limit is {max_bytes}")
    envelope = parse_json(raw)
    if not isinstance(envelope, dict):
        raise MalformedEnvelope("the envelope must be a JSON object", field="envelope")
    unknown = set(envelope) - {"payloadType", "payload", "signatures"}
    if unknown:
        field = sorted(unknown)[0]
        raise MalformedEnvelope(f"unexpected envelope field {field!r}", field=field)
    found_type = envelope.get("payloadType")
    if found_type != payload_type:
        raise WrongPayloadType(
            f"payloadType must be {payload_type!r}, got {found_type!r}", field="payloadType"
        )
    if "payload" not in envelope:
        raise MalformedEnvelope("payload is missing", field="payload")
    payload = _b64decode(envelope["payload"], "payload")
    signatures = envelope.get("signatures")
    if not isinstance(signatures, list) or not signatures:
        raise MalformedEnvelope("signatures must be a non-empty list", field="signatures")
    parsed: list[tuple[str, bytes]] = []
    for index, entry in enumerate(signatures):
        where = f"signatures[{index}]"
        if not isinstance(entry, dict) or not isinstance(entry.get("keyid"), str):
            raise MalformedEnvelope(f"{where} needs a string keyid and a sig", field=where)
        parsed.append((entry["keyid"], _b64decode(entry.get("sig"), f"{where}.sig")))
    return payload, parsed


def verify_envelope(
    raw: bytes,
    key_lookup: KeyLookup,
    *,
    max_bytes: int = MAX_ENVELOPE_BYTES,
    now: datetime | None = None,
) -> Statement:
    """Check an envelope in the order of DESIGN.md §3 and return its statement.

    Raises a `federation.errors.ProtocolError` subclass at the first failure:
    PayloadTooLarge, MalformedEnvelope (and its kinds), UnknownKey, RevokedKey
    (KeyExpired), BadSignature, NonCanonical, SchemaViolation. At least one
    signature must be by a known key; every signature by a known key must
    verify; every such key's owner must be the statement's `hub_id`. Signatures
    by unknown keys are ignored (a witness may add one, and a key-rotation
    envelope carries the new key's). `Statement.keyid` is the last known key,
    `Statement.verified_keyids` all of them.

    `now` (timezone-aware) is the moment the keys must be valid at: the
    receiver's clock, or an auditor's replay time. A known key whose
    `expires_at` is at or before it raises KeyExpired. None skips expiry checks.
    """
    if now is not None and now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    payload, signatures = _open_envelope(raw, PAYLOAD_TYPE, max_bytes=max_bytes)
    message = pae(PAYLOAD_TYPE, payload)
    verified: list[tuple[str, TrustedKey]] = []
    for index, (keyid, signature) in enumerate(signatures):
        trusted = key_lookup(keyid)
        if trusted is None:
            continue
        where = f"signatures[{index}]"
        if trusted.revoked:
            raise RevokedKey(
                f"key {keyid} (hub {trusted.owner}) has been revoked", field=f"{where}.keyid"
            )
        if now is not None and trusted.expired(now):
            assert trusted.expires_at is not None
            raise KeyExpired(
                f"key {keyid} (hub {trusted.owner}) was rotated out and expired at "
                f"{_rfc3339(trusted.expires_at)}",
                field=f"{where}.keyid",
            )
        try:
            trusted.public_key.verify(signature, message)
        except InvalidSignature as exc:
            raise BadSignature(
                f"signature by key {keyid} does not verify", field=f"{where}.sig"
            ) from exc
        verified.append((keyid, trusted))
    if not verified:
        keyids = ", ".join(keyid for keyid, _ in signatures)
        raise UnknownKey(
            f"no signature is by a registered key (key ids: {keyids})", field="signatures"
        )
    statement = parse_statement(
        payload, verified[-1][0], verified_keyids=tuple(keyid for keyid, _ in verified)
    )
    for keyid, trusted in verified:
        if statement.hub_id != trusted.owner:
            raise UnknownKey(
                f"key {keyid} belongs to {trusted.owner}, not to hub_id {statement.hub_id}",
                field="hub_id",
            )
    return statement


def parse_statement(
    payload: bytes, keyid: str, *, verified_keyids: tuple[str, ...] | None = None
) -> Statement:
    """Parse canonical statement bytes into a `Statement` (shape only; body is checked later).

    `verified_keyids` defaults to `(keyid,)`.
    """
    from federation.statement import StatementSchema  # schema module imports this one

    value = parse_canonical(payload)
    if isinstance(value, dict):
        errors = StatementSchema().validate(value)
    else:
        errors = {"_schema": ["the statement must be a JSON object"]}
    if errors:
        field, message = first_error(errors)
        field = field or "payload"
        raise SchemaViolation(f"{field}: {message}", field=field, errors=errors)
    return Statement(
        v=value["v"],
        kind=value["kind"],
        hub_id=value["hub_id"],
        seq=value["seq"],
        prev=value["prev"],
        submission_id=value["submission_id"],
        aud=value["aud"],
        created=datetime.strptime(value["created"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC),
        schema=value["schema"],
        period=Period(
            date.fromisoformat(value["period"]["start"]),
            date.fromisoformat(value["period"]["end"]),
        ),
        body=value["body"],
        payload=payload,
        keyid=keyid,
        verified_keyids=(keyid,) if verified_keyids is None else verified_keyids,
    )
