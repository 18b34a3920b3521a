"""Ingestion: the aggregator's one write endpoint for hubs, and what hubs read back.

Every envelope is checked in DESIGN.md §3's order; an accepted one is stored
exactly as received, its theme cells are denormalised for the priorities
query, and it becomes a leaf of the transparency log, all in one transaction.

`POST /api/v1/submissions` is rate limited per client address
(`SUBMISSION_RATE_LIMIT`, Flask-Limiter). The counters live in
`RATELIMIT_STORAGE_URI`: the default `memory://` keeps them in each gunicorn
worker, so the real limit is the setting times the number of workers; point it
at Redis or Memcached for one shared count.
"""

from __future__ import annotations

import math
import time

from flask import Flask, Response, current_app
from flask_limiter import Limiter, RateLimitExceeded
from flask_limiter.util import get_remote_address

from hubnet.problems import problem

LIMITER = "national_aggregator.limiter"


def init_app(app: Flask) -> None:
    # Imported here: the models of this package are imported by the log and the registry,
    # and the views import theirs.
    from national_aggregator.ingest.views import blueprint, submit

    app.register_blueprint(blueprint)
    limiter = Limiter(
        get_remote_address,
        app=app,
        storage_uri=app.config["RATELIMIT_STORAGE_URI"],
        headers_enabled=False,
    )
    app.extensions[LIMITER] = limiter
    # The limit wraps this app's view: another app (a test's) keeps its own counters.
    app.view_functions["ingest.submit"] = limiter.limit(
        lambda: str(current_app.config["SUBMISSION_RATE_LIMIT"]), methods=["POST"]
    )(submit)
    app.register_error_handler(RateLimitExceeded, _too_many_requests)


def _too_many_requests(error: RateLimitExceeded) -> Response:
    limiter: Limiter = current_app.extensions[LIMITER]
    current = limiter.current_limit
    wait = max(1, math.ceil(current.reset_at - time.time())) if current is not None else 60
    response = problem(
        429,
        "too-many-requests",
        "Too many submissions from this address",
        f"this address may send at most {error.limit.limit} to /api/v1/submissions; "
        f"nothing was stored; send it again in {wait} seconds",
        retry_after=wait,
    )
    response.headers["Retry-After"] = str(wait)
    return response
