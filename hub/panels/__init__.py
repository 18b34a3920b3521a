"""Citizens' panels: residents volunteer, and juries are drawn fairly from the pool.

The selection method itself is `hub.assembly.selection` (maximin, Flanigan et al. 2021).
"""

from __future__ import annotations

from flask import Flask

from hub.panels.views import public_pages, staff_pages


def init_app(app: Flask) -> None:
    """Register the volunteer, report and staff pages."""
    app.register_blueprint(staff_pages)
    app.register_blueprint(public_pages)
