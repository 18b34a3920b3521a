"""The log endpoints' query strings and request body, and the JSON they answer with.

The query and request schemas validate what comes in; the response schemas
document what goes out, in the OpenAPI document (`national_aggregator.openapi`),
and schemathesis checks the two agree.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema

from federation.canonical import MAX_SAFE_INTEGER
from federation.checkpoint import SIGNATURE_SIZE
from federation.keys import KEY_ID
from federation.merkle import HASH_SIZE
from federation.statement import GSS_CODE
from national_aggregator.log.services import MAX_ENTRIES

SIZE = validate.Range(0, MAX_SAFE_INTEGER)


def _size(description: str, example: int, **kwargs: Any) -> fields.Integer:
    return fields.Integer(
        validate=SIZE, metadata={"description": description, "example": example}, **kwargs
    )


def _b64(description: str) -> fields.String:
    return fields.String(required=True, metadata={"format": "byte", "description": description})


class InclusionQuerySchema(Schema):
    class Meta:
        unknown = RAISE

    leaf_index = _size("the leaf's index, from 0", 0, required=True)
    tree_size = _size("the tree the proof is for: at most the log's size", 2, required=True)

    @validates_schema
    def _in_the_tree(self, data: dict[str, Any], **_: Any) -> None:
        if data["leaf_index"] >= data["tree_size"]:
            raise ValidationError("must be less than tree_size", "leaf_index")


class ConsistencyQuerySchema(Schema):
    class Meta:
        unknown = RAISE

    first = _size("the earlier tree size", 1, required=True)
    second = _size("the later tree size: at most the log's size", 3, required=True)

    @validates_schema
    def _ordered(self, data: dict[str, Any], **_: Any) -> None:
        if data["first"] > data["second"]:
            raise ValidationError("must not be greater than second: a log only grows", "first")


class EntriesQuerySchema(Schema):
    class Meta:
        unknown = RAISE

    start = _size("the first entry's index", 0, required=True)
    end = _size(
        f"one past the last entry's index (at most start + {MAX_ENTRIES})", 2, required=True
    )

    @validates_schema
    def _a_short_range(self, data: dict[str, Any], **_: Any) -> None:
        if data["end"] < data["start"]:
            raise ValidationError("must not be less than start", "end")
        if data["end"] - data["start"] > MAX_ENTRIES:
            raise ValidationError(f"at most {MAX_ENTRIES} entries per request", "end")


class CosignatureSchema(Schema):
    witness = fields.String(required=True, metadata={"description": "the witness hub's GSS code"})
    keyid = fields.String(required=True, metadata={"description": "the key that cosigned"})
    signature = _b64("Ed25519 over 'hubnet-cosignature/1\\n' and the checkpoint's note text")


class CheckpointSchema(Schema):
    origin = fields.String(required=True)
    size = fields.Integer(required=True, validate=SIZE)
    root = _b64("the Merkle root of the first `size` leaves")
    keyid = fields.String(required=True, metadata={"description": "the log key's key id"})
    signature = _b64("the log key's Ed25519 signature over the note text")
    cosignatures = fields.List(fields.Nested(CosignatureSchema), required=True)


class InclusionProofSchema(Schema):
    leaf_index = fields.Integer(required=True, validate=SIZE)
    tree_size = fields.Integer(required=True, validate=SIZE)
    leaf_hash = _b64("SHA-256(0x00 ‖ the entry)")
    proof = fields.List(_b64("a subtree hash"), required=True)


class ConsistencyProofSchema(Schema):
    first = fields.Integer(required=True, validate=SIZE)
    second = fields.Integer(required=True, validate=SIZE)
    proof = fields.List(_b64("a subtree hash"), required=True)


class EntrySchema(Schema):
    index = fields.Integer(required=True, validate=SIZE)
    envelope = _b64("the envelope exactly as logged (statement or key event)")


class EntriesSchema(Schema):
    start = fields.Integer(required=True, validate=SIZE)
    end = fields.Integer(required=True, validate=SIZE)
    entries = fields.List(fields.Nested(EntrySchema), required=True)


class Base64Bytes(fields.String):
    """Canonical standard base64 of exactly `size` bytes, loaded as those bytes."""

    def __init__(self, size: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.size = size

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> Any:
        text = super()._deserialize(value, attr, data, **kwargs)
        try:
            decoded = base64.b64decode(text.encode("ascii"), validate=True)
        except (binascii.Error, UnicodeEncodeError) as exc:
            raise ValidationError("must be standard base64") from exc
        if len(decoded) != self.size or base64.b64encode(decoded).decode("ascii") != text:
            raise ValidationError(f"must be the canonical base64 of {self.size} bytes")
        return decoded


class CosignatureRequestSchema(Schema):
    """What a witness posts: its cosignature of a checkpoint this log issued."""

    class Meta:
        unknown = RAISE

    witness = fields.String(
        required=True,
        validate=validate.Regexp(GSS_CODE, error="must be an ONS GSS code"),
        # the same rule as GSS_CODE, written for JSON Schema (ECMA-262), which has no \\Z
        metadata={"description": "the witness hub's GSS code", "pattern": "^[ENSW][0-9]{8}$"},
    )
    keyid = fields.String(
        required=True,
        validate=validate.Regexp(KEY_ID, error="must be an RFC 7638 key id (43 base64url)"),
        metadata={
            "description": "the witness's registered key that signed",
            "pattern": "^[A-Za-z0-9_-]{43}$",
        },
    )
    size = fields.Integer(required=True, strict=True, validate=SIZE)
    root = Base64Bytes(HASH_SIZE, required=True, metadata={"format": "byte"})
    signature = Base64Bytes(
        SIGNATURE_SIZE,
        required=True,
        metadata={
            "format": "byte",
            "description": "Ed25519 over 'hubnet-cosignature/1\\n' and the checkpoint's note text",
        },
    )
