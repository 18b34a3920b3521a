"""`GET /api/v1/openapi.json`."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, json

from hub.openapi.services import build_spec

blueprint = Blueprint("hub_openapi", __name__)
EXTENSION = "hub.openapi"


@blueprint.get("/api/v1/openapi.json")
def openapi_document() -> Response:
    """The OpenAPI 3.0 document of every /api/v1 endpoint (built once per app)."""
    document = current_app.extensions.get(EXTENSION)
    if document is None:
        spec = build_spec(cookie_name=current_app.config["SESSION_COOKIE_NAME"])
        document = current_app.extensions[EXTENSION] = json.dumps(spec)
    return Response(document, mimetype="application/json")
