"""The board pack: the priorities, evidence, hidden voices and outstanding commitments the
board reads before a meeting, built from one log checkpoint so anyone can check what it used.

Public and read-only, like everything the aggregator publishes: `/board/pack` (choose one),
`/board/pack/<size>.html` (prints), `.pdf`, `.json`, `/board/pack/<size>/<table>.csv`,
and `GET /api/v1/board/pack/<size>`.
"""

from __future__ import annotations

from flask import Flask

from national_aggregator.boardpack.views import blueprint
from national_aggregator.home import add_nav_link


def init_app(app: Flask) -> None:
    app.register_blueprint(blueprint)
    add_nav_link(app, "Board pack", "boardpack.pack_form")
