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
    assembly,
    audit,
    board,
    csrf,
    discover,
    gather,
    limits,
    mail,
    moderation,
    openapi,
    pages,
    panels,
    quotes,
    residents,
    routing,
    security,
    staff,
    stocktake,
    summary,
    themes,
    voices,
)
from hub.db import MIGRATIONS
from hubnet import guards
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
    # Cookies only over HTTPS (hub/security.py); a hub served over http://127.0.0.1 sets false.
    "SESSION_COOKIE_SECURE": True,
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
    "HUB_ORGANISATION": None,  # who runs the hub, e.g. "Leeds City Council": header and footer
    "HUB_CONTACT_EMAIL": None,  # where people write about the hub (footer, accessibility statement)
    "HUB_LOGO": None,  # the organisation's logo, a PNG/SVG/JPEG in the instance folder (header)
    # The NHS logo is for NHS organisations only (NHS identity guidelines); a council is not one,
    # so it is off. An NHS body running a hub with the right to the logo may set this true.
    "HUB_NHS_LOGO": False,
    # The accessibility statement (/accessibility, GOV.UK model): the dates it was prepared and
    # last reviewed, and who last tested the hub's pages and when ("12 March 2027 by …").
    "ACCESSIBILITY_STATEMENT_PREPARED": None,
    "ACCESSIBILITY_STATEMENT_REVIEWED": None,
    "ACCESSIBILITY_LAST_TESTED": None,
    "ACCESSIBILITY_COMPLIANCE": "partially",  # "fully", "partially" or "not" (WCAG 2.2 AA)
    # -- gather: moderation, comments, reports (issue 5, gather) --
    # "pre": new items and comments wait for a moderator; "post": on show at once, reports hide.
    "MODERATION": "pre",
    "REPORTS_TO_HIDE": 3,  # this many people's reports hide an item or comment until reviewed
    # -- residents: private links, accounts, follows, email (issue 5, residents) --
    "ACCOUNT_SESSION_DAYS": 30,  # a resident's sign-in ends on the server after this long
    "CONFIRM_LINK_DAYS": 7,  # an emailed "confirm your email address" link works this long
    "RESET_LINK_MINUTES": 60,  # an emailed "choose a new password" link works this long
    "PUBLIC_URL": None,  # the hub's address as people reach it, for links in emails
    "SMTP_HOST": None,  # None: emails stay queued (`hubnet hub mail list`) and nothing is sent
    "SMTP_PORT": 587,  # 587 with STARTTLS is the norm; a local sink listens on e.g. 8025
    "SMTP_STARTTLS": True,  # upgrade the connection to TLS before logging in (false: local sink)
    "SMTP_USERNAME": None,  # log in to the SMTP server when set
    "SMTP_PASSWORD": None,
    "MAIL_FROM": None,  # e.g. "Leeds hub <hub@leeds.example>"; None: no-reply@PUBLIC_URL's host
    "MAIL_RETRY_BASE_SECONDS": 60.0,  # wait after a failed send, doubling each time …
    "MAIL_RETRY_CAP_SECONDS": 6 * 3600.0,  # … never longer than this
    "MAIL_MAX_ATTEMPTS": 10,  # then the email is given up on (and listed as failed)
    "MAIL_KEEP_DAYS": 30,  # sent (and given-up) emails are deleted after this long
    # -- the NHS Citizen cycle (issue 6) --
    # Citizens' panels: a seldom-heard group ticked on the draw form gets this many times its
    # share of the panel's seats (quotas from the population profile; hub/assembly/selection.py).
    "PANEL_OVERSAMPLE_FACTOR": 1.5,
    # -- staff tools: moderation queue, TOTP, users (issue 5, staff) --
    "STAFF_PASSWORD_LINK_HOURS": 72,  # a new member of staff's set-password link works this long
    # The name an authenticator app shows beside a staff member's codes; None: HUB_NAME.
    # (TOTP secrets are stored encrypted with a key derived from SECRET_KEY: after changing
    # SECRET_KEY codes fail until each person's two-step sign-in is reset, by an admin on
    # /staff/users or with `hubnet hub staff reset-totp`.)
    "STAFF_TOTP_ISSUER": None,
    # -- security: headers, rate limits (issue 5, security) --
    "PROXY_COUNT": 0,  # proxies in front setting X-Forwarded-For/-Proto (nginx alone: 1)
    "RATE_LIMITS_ENABLED": True,  # false turns every limit below off (tests that hammer a form)
    "RATE_LIMIT_STORAGE_URI": "memory://",  # per gunicorn worker; redis://… for one shared count
    # Per client address (Flask-Limiter syntax, "N per minute|hour|day"); 429 past it.
    "RATE_LIMIT_RAISE": "10 per hour",  # contributions stored (form or API)
    "RATE_LIMIT_SUPPORT": "60 per hour",  # "me too"s stored
    "RATE_LIMIT_COMMENT": "20 per hour",  # comments stored
    "RATE_LIMIT_REPORT": "20 per hour",  # reports stored
    "RATE_LIMIT_LOGIN": "10 per 15 minutes",  # failed sign-ins (staff or resident)
    "RATE_LIMIT_LOGIN_PER_EMAIL": "20 per hour",  # failed sign-ins to one email, from anywhere
    "RATE_LIMIT_ACCOUNT": "10 per hour",  # register, password reset, other account forms
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
    guards.init_app(app)
    security.init_app(app)
    limits.init_app(app)
    csrf.init_app(app)
    themes.init_app(app)
    gather.init_app(app)
    audit.init_app(app)
    board.init_app(app)  # what the NHS England board said (/board)
    staff.init_app(app)
    quotes.init_app(app)
    summary.init_app(app)
    mail.init_app(app)
    residents.init_app(app)
    moderation.init_app(app)
    routing.init_app(app)
    voices.init_app(app)
    discover.init_app(app)
    panels.init_app(app)
    assembly.init_app(app)
    stocktake.init_app(app)
    openapi.init_app(app)  # GET /api/v1/openapi.json
    pages.init_app(app)  # branding, navigation, /accessibility (hub/pages.py)
    app.jinja_env.trim_blocks = app.jinja_env.lstrip_blocks = True  # tidy HTML from templates

    @app.template_filter("b64")
    def _b64(data: bytes) -> str:
        return base64.b64encode(data).decode("ascii")

    @app.context_processor
    def _hub_identity() -> dict[str, Any]:
        return {"hub_name": app.config["HUB_NAME"]}

    return app
