"""`GET /api/v1/openapi.json`."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, json

from national_aggregator.openapi.services import build_spec

blueprint = Blueprint("openapi", __name__)
EXTENSION = "national_aggregator.openapi"


@blueprint.get("/api/v1/openapi.json")
def openapi_document() -> Response:
    """The OpenAPI 3.0 document of every /api/v1 endpoint."""
    document = current_app.extensions.get(EXTENSION)
    if document is None:
        document = current_app.extensions[EXTENSION] = json.dumps(build_spec())
    return Response(document, mimetype="application/json")
