"""The OpenAPI document of the hub's JSON API, generated from the marshmallow schemas.

Served at `GET /api/v1/openapi.json`. The query and request checks come from
the features' `schemas.py` (`hub.gather.schemas`); the answers, which the
views build as dicts, are described in `hub.openapi.schemas`;
`services.build_spec` says which endpoint takes and returns which. Tests check
every `/api/v1` route is in it and that the answers fit it.
"""

from __future__ import annotations

from flask import Flask

from hub.openapi.views import blueprint


def init_app(app: Flask) -> None:
    app.register_blueprint(blueprint)
