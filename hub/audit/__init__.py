"""Audit: the hub checks the aggregator's log on every contact, and may witness it.

Each contact verifies the latest checkpoint against the pinned log key and
proves it consistent with the last one the hub verified, checks that the
hub's own delivered statements are still in the log byte for byte, and raises
an alarm, with evidence kept, when anything does not hold. `/federation`
shows all of it to the public; `hubnet hub audit` to the operator.
"""

from __future__ import annotations

from flask import Flask

from hub.audit.views import pages


def init_app(app: Flask) -> None:
    app.register_blueprint(pages)
