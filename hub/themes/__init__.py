"""Themes: the hub's local headings, each mapped onto a national theme code."""

from __future__ import annotations

from flask import Flask

from hub.themes.views import api


def init_app(app: Flask) -> None:
    app.register_blueprint(api)
