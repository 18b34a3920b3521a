"""The public list of registered hubs."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify

from hubnet.db import get_session
from national_aggregator.registry.schemas import hub_json
from national_aggregator.registry.services import list_hubs

blueprint = Blueprint("registry", __name__)


@blueprint.get("/api/v1/hubs")
def hubs() -> Response:
    """Every registered hub, its keys, and its last accepted statement."""
    return jsonify([hub_json(status) for status in list_hubs(get_session())])
