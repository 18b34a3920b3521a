"""Triage and routing: published items sent to a named local organisation, and their responses."""

from __future__ import annotations

from flask import Flask

from hub.routing.views import public_pages, staff_pages


def init_app(app: Flask) -> None:
    app.register_blueprint(staff_pages)
    app.register_blueprint(public_pages)
