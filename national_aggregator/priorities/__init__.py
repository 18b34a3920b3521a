"""National priorities: themes ranked across every hub that reported a period."""

from __future__ import annotations

from flask import Flask

from national_aggregator.priorities.views import blueprint


def init_app(app: Flask) -> None:
    app.register_blueprint(blueprint)
