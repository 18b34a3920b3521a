"""Every hub's keys as of a position in the log, rebuilt by replaying its leaves in order.

The log holds each change to which keys count (docs/protocol.md, "What the
log holds"): key events signed by the log key (`hub-registered`,
`key-added`, `key-revoked`, `hub-revoked`) and the hubs' own `key-rotation`
statements. `KeyHistory.replay` takes the leaves one by one; between leaves,
`trusted_key` answers what a receiver's key lookup would have answered when
the next leaf was logged, so a statement is checked against the key valid
at log time, not today's registry. A key rotated out counts while the
statement's `created` is before the rotation's `old_key_valid_until` (the log
records no receive time; `created` is what the hub signed and the
aggregator checked against its clock).

Leaves out: sequence and chain (see `audit`), and storage: the history lives
in memory, one small record per hub and per key.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from federation.canonical import parse_json
from federation.envelope import (
    MAX_ENVELOPE_BYTES,
    PAYLOAD_TYPE,
    Statement,
    TrustedKey,
    verify_envelope,
)
from federation.errors import (
    InconsistentLog,
    InvalidRotation,
    KeyExpired,
    MalformedEnvelope,
    WrongPayloadType,
)
from federation.keyevents import KEY_EVENT_PAYLOAD_TYPE, KeyEvent, verify_key_event
from federation.statement import format_utc, parse_utc, verify_rotation


@dataclass
class KeyRecord:
    """One hub key as the log has recorded it so far."""

    public_key: Ed25519PublicKey
    owner: str
    revoked: bool = False
    expires_at: datetime | None = None


@dataclass
class HubRecord:
    """One hub as the log has recorded it so far."""

    hub_id: str
    details: dict[str, Any]
    revoked: bool = False
    keyids: list[str] = field(default_factory=list)


def payload_type_of(raw: bytes) -> str:
    """The envelope's `payloadType`, read without verifying anything (to choose a verifier).

    Raises MalformedEnvelope (or a subclass) if it cannot be read.
    """
    if len(raw) > MAX_ENVELOPE_BYTES:
        # verify_* raise PayloadTooLarge; reading the type first would parse it all.
        return PAYLOAD_TYPE
    envelope = parse_json(raw)
    if not isinstance(envelope, dict):
        raise MalformedEnvelope("the envelope must be a JSON object", field="envelope")
    payload_type = envelope.get("payloadType")
    if payload_type not in (PAYLOAD_TYPE, KEY_EVENT_PAYLOAD_TYPE):
        raise WrongPayloadType(
            f"payloadType {payload_type!r} is neither a statement nor a key event",
            field="payloadType",
        )
    assert isinstance(payload_type, str)
    return payload_type


class KeyHistory:
    """Hub keys over time, from key events (signed by `log_public_key`) and rotations."""

    def __init__(self, log_public_key: Ed25519PublicKey) -> None:
        self.log_public_key = log_public_key
        self.hubs: dict[str, HubRecord] = {}
        self.keys: dict[str, KeyRecord] = {}

    def trusted_key(self, keyid: str) -> TrustedKey | None:
        """The key as a receiver knew it at the current position (a `KeyLookup`)."""
        record = self.keys.get(keyid)
        if record is None:
            return None
        hub = self.hubs.get(record.owner)
        return TrustedKey(
            public_key=record.public_key,
            owner=record.owner,
            revoked=record.revoked or (hub is not None and hub.revoked),
            expires_at=record.expires_at,
        )

    def replay(self, raw: bytes) -> KeyEvent | Statement:
        """Verify the next leaf against the history so far, apply it, and return it.

        Key events must verify with the log key and fit the history
        (InconsistentLog otherwise). Statements must verify with keys valid at
        their `created` (UnknownKey, RevokedKey, KeyExpired, BadSignature …);
        key rotations are checked with `verify_rotation` and then applied. On
        any error nothing is applied.
        """
        if payload_type_of(raw) == KEY_EVENT_PAYLOAD_TYPE:
            event = verify_key_event(raw, self.log_public_key)
            self.apply_key_event(event)
            return event
        statement = self.verify_statement(raw)
        if statement.kind == "key-rotation":
            self.apply_rotation(raw, statement)
        return statement

    def verify_statement(self, raw: bytes) -> Statement:
        """Verify a statement envelope with the keys valid at its `created`."""
        statement = verify_envelope(raw, self.trusted_key)
        for index, keyid in enumerate(statement.verified_keyids):
            record = self.keys[keyid]
            if record.expires_at is not None and statement.created >= record.expires_at:
                raise KeyExpired(
                    f"key {keyid} of hub {record.owner} expired at "
                    f"{format_utc(record.expires_at)}, before this statement was created "
                    f"({format_utc(statement.created)})",
                    field=f"signatures[{index}].keyid",
                )
        return statement

    def apply_key_event(self, event: KeyEvent) -> None:
        """Apply a verified key event; raise InconsistentLog if it contradicts the history."""
        hub = self.hubs.get(event.hub_id)
        if event.event == "hub-registered":
            if hub is not None:
                raise InconsistentLog(f"hub {event.hub_id} is registered twice", field="hub_id")
            assert event.hub is not None and event.keyid is not None
            self._check_new_key(event.keyid, event.hub_id)
            hub = self.hubs[event.hub_id] = HubRecord(event.hub_id, dict(event.hub))
            self._add_key(hub, event)
            return
        if hub is None:
            raise InconsistentLog(
                f"{event.event} for hub {event.hub_id}, which was never registered",
                field="hub_id",
            )
        if event.event == "hub-revoked":
            hub.revoked = True
            return
        if hub.revoked:
            raise InconsistentLog(
                f"{event.event} for hub {event.hub_id}, which was revoked", field="hub_id"
            )
        assert event.keyid is not None
        if event.event == "key-added":
            known = self.keys.get(event.keyid)
            if known is not None and known.owner == event.hub_id and not known.revoked:
                return  # already valid, e.g. through a rotation: nothing changes
            self._check_new_key(event.keyid, event.hub_id)
            self._add_key(hub, event)
            return
        # key-revoked
        record = self.keys.get(event.keyid)
        if record is None or record.owner != event.hub_id:
            raise InconsistentLog(
                f"key-revoked names key {event.keyid}, which is not a key of {event.hub_id}",
                field="keyid",
            )
        record.revoked = True

    def _check_new_key(self, keyid: str, hub_id: str) -> None:
        known = self.keys.get(keyid)
        if known is not None:
            state = "a revoked key" if known.revoked else "already a key"
            raise InconsistentLog(
                f"key {keyid} is {state} of hub {known.owner}; it cannot be added to {hub_id}",
                field="keyid",
            )

    def _add_key(self, hub: HubRecord, event: KeyEvent) -> None:
        assert event.keyid is not None and event.public_key is not None
        self.keys[event.keyid] = KeyRecord(event.public_key, hub.hub_id)
        hub.keyids.append(event.keyid)

    def apply_rotation(self, raw: bytes, statement: Statement) -> Ed25519PublicKey:
        """Check a verified key-rotation statement and apply it; return the new key.

        Beyond `verify_rotation`: the old key must be one of the hub's current
        keys (not already rotated out), and the new key must not belong to
        anyone else. Raises InvalidRotation (or verify_rotation's errors).
        """
        new_key = verify_rotation(raw, statement)
        old_keyid, new_keyid = statement.body["old_keyid"], statement.body["new_keyid"]
        old = self.keys[old_keyid]  # verify_rotation checked it signed: it is known
        if old.expires_at is not None:
            raise InvalidRotation(
                f"key {old_keyid} was already rotated out (valid until "
                f"{format_utc(old.expires_at)}); rotate from the hub's current key",
                field="body.old_keyid",
            )
        known = self.keys.get(new_keyid)
        if known is not None and (known.owner != statement.hub_id or known.revoked):
            raise InvalidRotation(
                f"new key {new_keyid} is already recorded for hub {known.owner}"
                + (" and revoked" if known.revoked else ""),
                field="body.new_keyid",
            )
        old.expires_at = parse_utc(statement.body["old_key_valid_until"])
        if known is None:
            self.keys[new_keyid] = KeyRecord(new_key, statement.hub_id)
            self.hubs[statement.hub_id].keyids.append(new_keyid)
        return new_key
