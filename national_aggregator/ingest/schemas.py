"""What hubs send and get back: the envelope, receipts, and a hub's accepted statements.

`HubStatementsQuerySchema` validates a query string; the others document the
JSON in the OpenAPI document (`national_aggregator.openapi`). Receipts and
envelopes are built and checked by `federation`, byte for byte, not by these
schemas.
"""

from __future__ import annotations

from marshmallow import RAISE, Schema, fields, validate

from federation.canonical import MAX_SAFE_INTEGER
from federation.envelope import PAYLOAD_TYPE
from national_aggregator.log.schemas import SIZE, CheckpointSchema

MAX_STATEMENTS = 1000


def _b64(description: str) -> fields.String:
    return fields.String(required=True, metadata={"format": "byte", "description": description})


class SignatureSchema(Schema):
    class Meta:
        unknown = RAISE

    keyid = fields.String(required=True, metadata={"description": "RFC 7638 key id"})
    sig = _b64("Ed25519 over PAE(payloadType, payload bytes)")


class EnvelopeSchema(Schema):
    """The signed envelope a hub POSTs, as its exact bytes (DSSE style, docs/protocol.md)."""

    class Meta:
        unknown = RAISE

    payloadType = fields.String(required=True, validate=validate.OneOf([PAYLOAD_TYPE]))
    payload = _b64("the RFC 8785 canonical statement")
    signatures = fields.List(
        fields.Nested(SignatureSchema), required=True, validate=validate.Length(min=1)
    )


class ReceiptSchema(Schema):
    submission_id = fields.String(required=True)
    hub_id = fields.String(required=True)
    seq = fields.Integer(required=True, validate=validate.Range(1, MAX_SAFE_INTEGER))
    received_at = fields.String(required=True, metadata={"description": "RFC 3339 UTC"})
    log_index = fields.Integer(required=True, validate=SIZE)
    leaf_hash = _b64("SHA-256(0x00 ‖ the envelope bytes)")
    inclusion_proof = fields.List(_b64("a subtree hash"), required=True)
    checkpoint = fields.Nested(CheckpointSchema, required=True)


class HubStatementsQuerySchema(Schema):
    class Meta:
        unknown = RAISE

    after_seq = fields.Integer(
        load_default=0,
        validate=SIZE,
        metadata={
            "description": "list the statements after this seq (0: from the first)",
            "example": 0,
        },
    )
    limit = fields.Integer(
        load_default=100,
        validate=validate.Range(1, MAX_STATEMENTS),
        metadata={
            "description": f"at most this many statements (1 to {MAX_STATEMENTS})",
            "example": 100,
        },
    )


class HubStatementSchema(Schema):
    seq = fields.Integer(required=True, validate=validate.Range(1, MAX_SAFE_INTEGER))
    submission_id = fields.String(required=True)
    payload_sha256 = fields.String(
        required=True, metadata={"description": "what the next statement's prev must be"}
    )
    log_index = fields.Integer(required=True, validate=SIZE)
    envelope = _b64("the envelope exactly as received")


class HubStatementsSchema(Schema):
    hub_id = fields.String(required=True)
    last_seq = fields.Integer(
        required=True, validate=SIZE, metadata={"description": "0 before the first statement"}
    )
    statements = fields.List(fields.Nested(HubStatementSchema), required=True)
