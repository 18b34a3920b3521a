"""Ingestion: the aggregator's one write endpoint for hubs.

Every envelope is checked in DESIGN.md §3's order; an accepted one is stored
exactly as received, its theme cells are denormalised for the priorities
query, and it becomes a leaf of the transparency log, all in one transaction.
"""

from __future__ import annotations

from flask import Flask

from national_aggregator.ingest.views import blueprint


def init_app(app: Flask) -> None:
    app.register_blueprint(blueprint)
