"""What a hub registration must contain, and the JSON form of a hub in the API."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from marshmallow import Schema, fields, post_load, validate

from federation.statement import GSS_CODE
from national_aggregator.db import rfc3339
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
                "revoked": key.revoked_at is not None,
            }
            for key in hub.keys
        ],
        "revoked": hub.revoked_at is not None,
        "last_seq": status.last_seq,
        "last_received_at": rfc3339(status.last_received_at) if status.last_received_at else None,
    }
