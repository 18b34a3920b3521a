"""The JSON of `GET /api/v1/about`, for the OpenAPI document."""

from __future__ import annotations

from marshmallow import Schema, fields


class AboutSchema(Schema):
    id = fields.String(required=True, metadata={"description": "the `aud` hubs must address"})
    log_origin = fields.String(required=True)
    log_keyid = fields.String(required=True)
    log_public_key = fields.String(required=True, metadata={"description": "PEM"})
