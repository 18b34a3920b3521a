"""hub.moderation (issue 5: being built)."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Placeholder until this package lands."""
