"""Hidden voices nationally: representation against each area's population, across hubs.

Also the national routing totals (`GET /api/v1/routing`): both come from
the optional `representation` and `routing` blocks of the hubs' summaries.
"""

from __future__ import annotations

from flask import Flask

from national_aggregator.voices.views import blueprint


def init_app(app: Flask) -> None:
    app.register_blueprint(blueprint)
