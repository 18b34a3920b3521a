"""The national aggregator: verifies hubs' signed summaries, logs them, ranks priorities.

Holds no personal data: only the anonymised summaries hubs choose to send,
exactly as signed. `create_app` loads config (defaults → the instance
folder's `aggregator.toml` → `AGGREGATOR_…` environment → the dict passed in),
refuses an unmigrated database or a missing log key, and registers each
feature: registry, ingest, log, priorities, hidden voices, home, openapi.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from federation.envelope import MAX_ENVELOPE_BYTES
from hubnet import guards
from hubnet.config import instance_file, load_config
from hubnet.db import init_database
from hubnet.problems import register_api_errors
from national_aggregator import (
    board,
    boardpack,
    home,
    ingest,
    log,
    openapi,
    opendata,
    priorities,
    registry,
    security,
    staff,
    voices,
)
from national_aggregator.db import MIGRATIONS

DEFAULT_INSTANCE = Path("instance/aggregator")
CONFIG_FILE = "aggregator.toml"
DEFAULTS: Mapping[str, Any] = {
    "AGGREGATOR_ID": "hubnet-national-england",
    "LOG_ORIGIN": "hubnet.national/log",
    "LOG_PRIVATE_KEY": "log-key.pem",
    # Flask answers 413 past this, before reading the body; the API turns it into problem JSON.
    "MAX_CONTENT_LENGTH": MAX_ENVELOPE_BYTES,
    # POST /api/v1/submissions per client address (Flask-Limiter syntax); 429 past it.
    "SUBMISSION_RATE_LIMIT": "120 per minute",
    # Where the limiter counts: memory:// is per gunicorn worker; redis://… shares one count.
    "RATELIMIT_STORAGE_URI": "memory://",
    # How many proxies in front set X-Forwarded-For (nginx: 1), so limits see the client.
    "PROXY_COUNT": 0,
    # -- national team access (issue 7): staff sign-in; sessions need SECRET_KEY --
    "SECRET_KEY": None,  # signs the session cookie; `hubnet aggregator init` writes one
    "SESSION_COOKIE_NAME": "aggregator_session",
    "SESSION_COOKIE_SAMESITE": "Lax",  # a cross-site POST carries no session
    "NATIONAL_STAFF_SESSION_HOURS": 8,  # a staff sign-in ends on the server after this long
    "NATIONAL_STAFF_PASSWORD_LINK_HOURS": 72,  # a set-password link works this long
    "NATIONAL_STAFF_LOGIN_RATE_LIMIT": "10 per 15 minutes",  # failed sign-ins per address
    "NATIONAL_STAFF_LOGIN_RATE_LIMIT_PER_EMAIL": "20 per hour",  # to one email, from anywhere
}


def load_settings(config: Mapping[str, Any] | None = None) -> Flask:
    """An app with its configuration loaded and nothing else (what `migrate` needs)."""
    app = Flask(__name__)
    overrides = dict(config or {})
    if "INSTANCE_PATH" not in overrides and not os.environ.get("AGGREGATOR_INSTANCE"):
        overrides["INSTANCE_PATH"] = str(DEFAULT_INSTANCE)
    load_config(
        app, prefix="AGGREGATOR", filename=CONFIG_FILE, defaults=DEFAULTS, overrides=overrides
    )
    app.config.setdefault("DATABASE_URL", f"sqlite:///{instance_file(app, 'aggregator.sqlite3')}")
    return app


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """The aggregator app; raises DatabaseNotMigrated or LogKeyUnavailable with the fix."""
    app = load_settings(config)
    instance = Path(app.config["INSTANCE_PATH"])
    init_database(app, MIGRATIONS, fix=f"hubnet aggregator migrate --instance {instance}")
    register_api_errors(app)
    guards.init_app(app)
    for feature in (security, registry, ingest, log, priorities, voices, home, openapi, staff):
        feature.init_app(app)
    opendata.init_app(app)  # after home: it adds a nav link
    board.init_app(app)
    boardpack.init_app(app)  # after home: it adds a nav link
    proxies = int(app.config["PROXY_COUNT"])
    if proxies:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)  # type: ignore[method-assign]
    return app
