"""Stocktake: every agreed action and every planned change, tracked with dated updates."""

from __future__ import annotations

from flask import Flask

from hub.stocktake.views import public_pages, staff_pages


def init_app(app: Flask) -> None:
    """Register the Stocktake pages: staff tracking, the public page and the printable pack."""
    app.register_blueprint(staff_pages)
    app.register_blueprint(public_pages)
