"""Gather: people raise ideas, concerns, questions and experiences, and say "me too"."""

from __future__ import annotations

from flask import Flask

from hub.gather.views import api, pages


def init_app(app: Flask) -> None:
    app.register_blueprint(pages)
    app.register_blueprint(api)
