"""Open data: every published national table as CSV and JSON, with a data dictionary.

`/data` lists the tables (national priorities, each theme in each hub, hubs
reporting and missing, hidden voices, routing) with downloads for a period
and region; `/data/dictionary` says what every column holds;
`/api/v1/data/<table>` serves the same JSON to tools. The tables are built
from the features' own services (`services.TABLES`), so a download always
agrees with the page. Published under the Open Government Licence v3.0.
"""

from __future__ import annotations

from flask import Flask

from national_aggregator.home import add_nav_link
from national_aggregator.opendata.views import blueprint


def init_app(app: Flask) -> None:
    app.register_blueprint(blueprint)
    add_nav_link(app, "Open data", "opendata.data_page")
