"""Signed checkpoints of the transparency log (DESIGN.md §4).

A checkpoint states "the log has `size` entries and this Merkle root". Its
signed text is the body of a C2SP tlog-checkpoint
(https://c2sp.org/tlog-checkpoint):

    <origin>\\n<size in decimal>\\n<base64 root hash>\\n

and the aggregator's log key signs exactly those UTF-8 bytes with Ed25519,
as a C2SP signed note's Ed25519 signature does. Over HTTP the checkpoint
travels as JSON (`SignedCheckpoint.as_json()`), naming the signing key by its
RFC 7638 key id like every other hubnet key.

A witness (a hub, docs/protocol.md "Witnesses") cosigns a checkpoint it has
checked by signing `hubnet-cosignature/1\n` followed by the same note text
with its own key (`cosign_checkpoint`, `verify_cosignature`); the context line
keeps a cosignature from ever being mistaken for the log's own signature.
`SignedCheckpoint.cosignatures` carries them as the aggregator lists them
(`{"witness", "keyid", "signature"}`); which witness keys count is the
caller's business (see `audit`).

Leaves out: where checkpoints are stored, how often they are made, and the
Merkle arithmetic (see `merkle`).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from federation.canonical import MAX_SAFE_INTEGER
from federation.errors import BadSignature, SchemaViolation
from federation.keys import key_id
from federation.merkle import HASH_SIZE

SIGNATURE_SIZE = 64
COSIGNATURE_CONTEXT = b"hubnet-cosignature/1\n"


@dataclass(frozen=True)
class Checkpoint:
    """The log's size and root hash, under the log's name (`origin`)."""

    origin: str
    size: int
    root: bytes

    def __post_init__(self) -> None:
        if not self.origin or "\n" in self.origin or not self.origin.isprintable():
            raise ValueError("origin must be one non-empty line of printable text")
        if isinstance(self.size, bool) or not 0 <= self.size <= MAX_SAFE_INTEGER:
            raise ValueError(f"size must be a whole number from 0 to 2^53−1, got {self.size!r}")
        if len(self.root) != HASH_SIZE:
            raise ValueError(f"root must be a {HASH_SIZE}-byte hash, got {len(self.root)} bytes")

    def note_text(self) -> str:
        """The C2SP tlog-checkpoint body: origin, size and base64 root, each ending in \\n."""
        return f"{self.origin}\n{self.size}\n{base64.b64encode(self.root).decode('ascii')}\n"


@dataclass(frozen=True)
class SignedCheckpoint:
    """A checkpoint with the log key's signature over its note text."""

    checkpoint: Checkpoint
    keyid: str
    signature: bytes
    cosignatures: tuple[Mapping[str, Any], ...] = field(default=())

    def as_json(self) -> dict[str, Any]:
        """The JSON form served at `/api/v1/log/checkpoint` and embedded in receipts."""
        return {
            "origin": self.checkpoint.origin,
            "size": self.checkpoint.size,
            "root": base64.b64encode(self.checkpoint.root).decode("ascii"),
            "keyid": self.keyid,
            "signature": base64.b64encode(self.signature).decode("ascii"),
            "cosignatures": [dict(cosignature) for cosignature in self.cosignatures],
        }


def sign_checkpoint(cp: Checkpoint, private_key: Ed25519PrivateKey) -> SignedCheckpoint:
    """Sign the checkpoint's note text with the log's Ed25519 key."""
    return SignedCheckpoint(
        checkpoint=cp,
        keyid=key_id(private_key.public_key()),
        signature=private_key.sign(cp.note_text().encode("utf-8")),
    )


def _b64(obj: Mapping[str, Any], name: str, size: int, prefix: str) -> bytes:
    value = obj.get(name)
    where = f"{prefix}{name}"
    if not isinstance(value, str):
        raise SchemaViolation(f"{where} must be a base64 string", field=where)
    try:
        decoded = base64.b64decode(value.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError) as exc:
        raise SchemaViolation(f"{where} is not valid base64: {exc}", field=where) from exc
    if len(decoded) != size:
        raise SchemaViolation(f"{where} must decode to {size} bytes", field=where)
    return decoded


def parse_signed_checkpoint(obj: Mapping[str, Any], *, prefix: str = "") -> SignedCheckpoint:
    """Read the JSON form back; raise SchemaViolation naming the field at fault.

    `prefix` is prepended to field names (e.g. "checkpoint." inside a receipt).
    Does not check the signature: see `verify_checkpoint`.
    """
    if not isinstance(obj, Mapping):
        where = prefix.rstrip(".") or "checkpoint"
        raise SchemaViolation(f"{where} must be a JSON object", field=where)
    origin, size, keyid = obj.get("origin"), obj.get("size"), obj.get("keyid")
    if not isinstance(origin, str) or not origin or "\n" in origin or not origin.isprintable():
        raise SchemaViolation(
            f"{prefix}origin must be one line of printable text", field=f"{prefix}origin"
        )
    if not isinstance(size, int) or isinstance(size, bool) or not 0 <= size <= MAX_SAFE_INTEGER:
        raise SchemaViolation(
            f"{prefix}size must be a whole number from 0 to 2^53−1", field=f"{prefix}size"
        )
    root = _b64(obj, "root", HASH_SIZE, prefix)
    if not isinstance(keyid, str) or not keyid:
        raise SchemaViolation(f"{prefix}keyid must be a key id string", field=f"{prefix}keyid")
    signature = _b64(obj, "signature", SIGNATURE_SIZE, prefix)
    cosignatures = obj.get("cosignatures", [])
    if not isinstance(cosignatures, list) or not all(
        isinstance(item, Mapping) for item in cosignatures
    ):
        raise SchemaViolation(
            f"{prefix}cosignatures must be a list of objects", field=f"{prefix}cosignatures"
        )
    return SignedCheckpoint(
        checkpoint=Checkpoint(origin=origin, size=size, root=root),
        keyid=keyid,
        signature=signature,
        cosignatures=tuple(cosignatures),
    )


def verify_checkpoint(
    obj_or_signed: Mapping[str, Any] | SignedCheckpoint, public_key: Ed25519PublicKey
) -> Checkpoint:
    """Check a checkpoint's signature by the pinned log key and return the checkpoint.

    Raises SchemaViolation if the JSON is malformed, BadSignature if it names
    another key or the signature does not verify.
    """
    signed = (
        obj_or_signed
        if isinstance(obj_or_signed, SignedCheckpoint)
        else parse_signed_checkpoint(obj_or_signed)
    )
    expected = key_id(public_key)
    if signed.keyid != expected:
        raise BadSignature(
            f"checkpoint is signed by key {signed.keyid}, not the pinned log key {expected}",
            field="keyid",
        )
    try:
        public_key.verify(signed.signature, signed.checkpoint.note_text().encode("utf-8"))
    except InvalidSignature as exc:
        raise BadSignature(
            "checkpoint signature does not verify with the log key", field="signature"
        ) from exc
    return signed.checkpoint


def cosignature_message(cp: Checkpoint) -> bytes:
    """What a witness signs: `hubnet-cosignature/1\\n` followed by the checkpoint's note text."""
    return COSIGNATURE_CONTEXT + cp.note_text().encode("utf-8")


def cosign_checkpoint(cp: Checkpoint, witness_private_key: Ed25519PrivateKey) -> bytes:
    """A witness's Ed25519 cosignature over a checkpoint it has checked."""
    return witness_private_key.sign(cosignature_message(cp))


def verify_cosignature(
    cp: Checkpoint, signature: bytes, witness_public_key: Ed25519PublicKey
) -> None:
    """Raise BadSignature unless `signature` is the witness key's cosignature of `cp`."""
    try:
        witness_public_key.verify(signature, cosignature_message(cp))
    except InvalidSignature as exc:
        raise BadSignature(
            f"the cosignature by key {key_id(witness_public_key)} does not verify over "
            "'hubnet-cosignature/1\\n' and the checkpoint's note text",
            field="signature",
        ) from exc
