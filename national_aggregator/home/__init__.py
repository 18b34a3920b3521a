"""The home page, and the aggregator's public identity that hubs pin."""

from __future__ import annotations

from flask import Flask

from national_aggregator.home.views import blueprint


def init_app(app: Flask) -> None:
    app.register_blueprint(blueprint)
