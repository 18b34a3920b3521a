"""Security headers and cookie settings for every hub response (issue 5: being built)."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Placeholder until the security work lands."""
