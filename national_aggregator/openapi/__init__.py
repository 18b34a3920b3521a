"""The OpenAPI document of the aggregator's API, generated from the marshmallow schemas.

Served at `GET /api/v1/openapi.json`. Each feature's `schemas.py` describes
its own requests and answers; `services.build_spec` says which endpoint takes
and returns which, and a test checks every `/api/v1` route is in it.
"""

from __future__ import annotations

from flask import Flask

from national_aggregator.openapi.views import blueprint


def init_app(app: Flask) -> None:
    app.register_blueprint(blueprint)
