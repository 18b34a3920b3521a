"""What a hub registration must contain, and the JSON form of a hub in the API.

`HubSchema` documents `hub_json`'s output in the OpenAPI document.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from marshmallow import Schema, fields, post_load, validate

from federation.canonical import MAX_SAFE_INTEGER
from federation.statement import GSS_CODE
from national_aggregator.db import rfc3339
from national_aggregator.registry.models import KeyOrigin
from national_aggregator.registry.services import HubStatus


@dataclass(frozen=True)
class NewHub:
    gss: str
    name: str
    region: str
    population: int


class HubRegistrationSchema(Schema):
    gss = fields.String(
        required=True,
        validate=validate.Regexp(
            GSS_CODE, error="must be an ONS GSS code: E, N, S or W and 8 digits, e.g. E08000003"
        ),
    )
    name = fields.String(required=True, validate=validate.Length(1, 200))
    region = fields.String(required=True, validate=validate.Length(1, 100))
    population = fields.Integer(
        required=True, strict=True, validate=validate.Range(min=1, error="must be more than 0")
    )

    @post_load
    def _make(self, data: dict[str, Any], **_: Any) -> NewHub:
        return NewHub(**data)


def hub_json(status: HubStatus) -> dict[str, Any]:
    """A hub as `GET /api/v1/hubs` lists it."""
    hub = status.hub
    return {
        "gss": hub.gss,
        "name": hub.name,
        "region": hub.region,
        "population": hub.population,
        "keys": [
            {
                "keyid": key.keyid,
                "added_at": rfc3339(key.added_at),
                "added_via": key.added_via.value,
                "log_index": key.log_index,
                "expires_at": rfc3339(key.expires_at) if key.expires_at else None,
                "revoked": key.revoked_at is not None,
            }
            for key in hub.keys
        ],
        "revoked": hub.revoked_at is not None,
        "last_seq": status.last_seq,
        "last_received_at": rfc3339(status.last_received_at) if status.last_received_at else None,
    }


class HubKeySchema(Schema):
    keyid = fields.String(required=True, metadata={"description": "RFC 7638 key id"})
    added_at = fields.String(required=True, metadata={"description": "RFC 3339 UTC"})
    added_via = fields.String(required=True, validate=validate.OneOf([o.value for o in KeyOrigin]))
    log_index = fields.Integer(
        required=True,
        allow_none=True,
        validate=validate.Range(0, MAX_SAFE_INTEGER),
        metadata={"description": "the log leaf that introduced the key (a key event or rotation)"},
    )
    expires_at = fields.String(
        required=True,
        allow_none=True,
        metadata={"description": "set by a key rotation: the key counts strictly before it"},
    )
    revoked = fields.Boolean(required=True)


class HubSchema(Schema):
    gss = fields.String(required=True)
    name = fields.String(required=True)
    region = fields.String(required=True)
    population = fields.Integer(required=True)
    keys = fields.List(fields.Nested(HubKeySchema), required=True)
    revoked = fields.Boolean(required=True)
    last_seq = fields.Integer(required=True, metadata={"description": "0 before the first"})
    last_received_at = fields.String(required=True, allow_none=True)
