"""The hub: one Flask app per council or city region. It owns its people's data.

Local people raise ideas, concerns, questions and experiences, and say "me
too" to what others raised (`gather`), under local themes mapped onto the
national taxonomy (`themes`). Each period the hub builds an anonymised,
disclosure-controlled summary (`summary`), signs it and queues it in its
outbox (`outbox`), which delivers it to the national aggregator in order and
keeps in step with the aggregator's copy of the hub's chain. On every contact
the hub audits the aggregator's transparency log and may witness it
(`audit`, with the public `/federation` page); its signing keys rotate over
time (`keys`).
"""

from __future__ import annotations

import base64
import os
import shlex
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import Config, Flask

from hub import (
    audit,
    csrf,
    gather,
    limits,
    mail,
    moderation,
    quotes,
    residents,
    security,
    staff,
    summary,
    themes,
)
from hub.db import MIGRATIONS
from hubnet.config import load_config
from hubnet.db import init_database
from hubnet.problems import register_api_errors

DEFAULT_INSTANCE = "instance/hub"

DEFAULTS: dict[str, Any] = {
    "HUB_ID": None,  # the ONS GSS code of the hub's area, e.g. E08000003
    "HUB_NAME": "Health and care hub",
    "REGION": None,
    "POPULATION": None,
    "DATABASE_URL": None,  # None: hub.sqlite3 in the instance folder
    "SECRET_KEY": None,
    "PRIVATE_KEY": "hub-key.pem",
    "AGGREGATOR_URL": None,
    "AGGREGATOR_ID": None,
    "AGGREGATOR_PUBLIC_KEY": "aggregator.pub",
    "DELIVERY_ALERT_DAYS": 2,  # alarm when the oldest pending entry has waited this long
    "RETRY_BASE_SECONDS": 2.0,  # full-jitter backoff between tries of one delivery …
    "RETRY_CAP_SECONDS": 3600.0,  # … never longer than this
    "RETRY_ATTEMPTS_PER_RUN": 5,  # tries per push / outbox send before waiting for the next run
    "SESSION_COOKIE_NAME": "hub_session",
    "SESSION_COOKIE_SECURE": False,  # production sets true (served over HTTPS)
    "SESSION_COOKIE_SAMESITE": "Lax",  # a cross-site POST carries no session (see hub/csrf.py)
    "PERMANENT_SESSION_LIFETIME": timedelta(days=365),
    "MAX_CONTENT_LENGTH": 64 * 1024,  # the longest contribution is 5,000 characters
    "STAFF_SESSION_HOURS": 8,  # a staff sign-in ends on the server after this long
    "SCRUB_NAMES_FILE": None,  # names quotes are scrubbed of: a text file, one per line
    "SCRUB_PLACES_FILE": None,  # places likewise (relative paths: the instance folder)
    # Disclosure control (DESIGN.md §5, docs/privacy.md): a hub may only make these stricter.
    "DISCLOSURE_K": 8,  # counts of 1..k-1 people are suppressed
    "ROUNDING_BASE": 5,  # every other count is rounded to a multiple of this
    "BREAKDOWN_THRESHOLD": 10,  # no breakdown of fewer people; no breakdown cell below it
    "CONTRIBUTION_CAP": 3,  # one person's items in a theme count at most this often (1-3)
    "QUOTE_THRESHOLD": 10,  # quotes only from themes with this many contributors
    # Optional differential privacy (geometric mechanism). None: off.
    "DP_EPSILON": None,  # ε each release spends, e.g. "1" (a decimal string)
    "DP_YEARLY_CAP": "12",  # ε all releases made in one calendar year may spend together
    "DP_MAX_THEMES_PER_PERSON": 3,  # with DP, a person counts in their first 3 themes a period
    # -- branding and public pages (issue 5, design) --
    # -- gather: moderation, comments, reports (issue 5, gather) --
    # -- residents: private links, accounts, follows, email (issue 5, residents) --
    # -- staff tools: moderation queue, TOTP, users (issue 5, staff) --
    # -- security: headers, rate limits (issue 5, security) --
}


def configure(app: Flask, config: Mapping[str, Any] | None) -> None:
    """Fill app.config: defaults → instance hub.toml → HUB_* environment → `config`."""
    overrides = {
        "INSTANCE_PATH": os.environ.get("HUB_INSTANCE", DEFAULT_INSTANCE),
        **(config or {}),
    }
    load_config(app, prefix="HUB", filename="hub.toml", defaults=DEFAULTS, overrides=overrides)
    app.config["INSTANCE_PATH"] = str(Path(app.config["INSTANCE_PATH"]).resolve())
    if not app.config["DATABASE_URL"]:
        app.config["DATABASE_URL"] = (
            f"sqlite:///{Path(app.config['INSTANCE_PATH']) / 'hub.sqlite3'}"
        )


def instance_config(instance_path: str) -> Config:
    """The configuration an app for this instance would have, without starting one."""
    app = Flask(__name__)
    configure(app, {"INSTANCE_PATH": instance_path})
    return app.config


def migrate_hint(instance_path: str) -> str:
    """The command that brings this instance's database up to date."""
    return f"hubnet hub migrate --instance {shlex.quote(instance_path)}"


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the hub app; refuses to start without a SECRET_KEY or on an unmigrated database."""
    app = Flask(__name__)
    configure(app, config)
    if not app.config["SECRET_KEY"]:
        raise RuntimeError(
            "SECRET_KEY is not set: run `hubnet hub init`, or set HUB_SECRET_KEY in the environment"
        )
    init_database(app, MIGRATIONS, fix=migrate_hint(app.config["INSTANCE_PATH"]))
    register_api_errors(app)
    security.init_app(app)
    limits.init_app(app)
    csrf.init_app(app)
    themes.init_app(app)
    gather.init_app(app)
    audit.init_app(app)
    staff.init_app(app)
    quotes.init_app(app)
    summary.init_app(app)
    mail.init_app(app)
    residents.init_app(app)
    moderation.init_app(app)
    app.jinja_env.trim_blocks = app.jinja_env.lstrip_blocks = True  # tidy HTML from templates

    @app.template_filter("b64")
    def _b64(data: bytes) -> str:
        return base64.b64encode(data).decode("ascii")

    @app.context_processor
    def _hub_identity() -> dict[str, Any]:
        return {"hub_name": app.config["HUB_NAME"]}

    return app
