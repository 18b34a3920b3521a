"""The hub registry: which councils may send summaries, and with which keys.

The national team registers each hub's public key out of band
(`hubnet aggregator hubs add`); ingestion trusts only these keys.
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from national_aggregator.registry.views import blueprint  # its models are imported widely

    app.register_blueprint(blueprint)
