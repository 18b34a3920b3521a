"""Themes: the hub's local headings, each mapped onto a national theme code.

The JSON list is public (`/api/v1/themes`); admins manage themes at /staff/themes.
"""

from __future__ import annotations

from flask import Flask

from hub.themes.views import api, pages


def init_app(app: Flask) -> None:
    app.register_blueprint(api)
    app.register_blueprint(pages)
