"""Citizens' Jury and Assembly: fair selection (`selection`), shortlists, meetings, outcomes."""

from __future__ import annotations

from flask import Flask

from hub.assembly.views import public_pages, staff_pages


def init_app(app: Flask) -> None:
    """Register the staff pages and the public Assembly pages."""
    app.register_blueprint(staff_pages)
    app.register_blueprint(public_pages)
