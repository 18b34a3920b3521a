"""Rate limits on the staff forms that check a password or a two-step sign-in code.

Failed attempts only count (any answer that is not a redirect: a right
password, or a saved one, redirects), per client address across the sign-in,
sign-in code, change-password, set-password and two-step set-up forms
(`NATIONAL_STAFF_LOGIN_RATE_LIMIT`),
and per email address tried from anywhere (`NATIONAL_STAFF_LOGIN_RATE_LIMIT_PER_EMAIL`),
against slow guessing spread over many machines. Past a limit: a 429 page with
`Retry-After`; nothing is checked or stored.

This app's own Flask-Limiter instance, counting in `RATELIMIT_STORAGE_URI`
(the ingest limit's storage setting; memory:// is per gunicorn worker).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

from flask import Flask, Response, current_app, render_template, request
from flask_limiter import Limiter, RateLimitExceeded
from flask_limiter.util import get_remote_address

from national_aggregator.staff.auth import pages

EXTENSION = "national_aggregator.staff_limiter"
LIMITED_VIEWS = (
    "staff.login_submit",
    "staff.login_code_submit",
    "staff.account_password",
    "staff.set_password_submit",
    "staff.totp_confirm",
    "staff.totp_disable",
)


def _setting(key: str) -> Callable[[], str]:
    return lambda: str(current_app.config[key])


def _failed(response: Response) -> bool:
    return not 300 <= response.status_code < 400


def _email_tried() -> str:
    return "email:" + request.form.get("email", "").strip().lower()


def _no_email() -> bool:
    return not request.form.get("email", "").strip()


def init_app(app: Flask) -> None:
    """Wrap this app's password forms in its own limiter (another app keeps its own counts)."""
    limiter = Limiter(
        get_remote_address,
        app=app,
        storage_uri=app.config["RATELIMIT_STORAGE_URI"],
        headers_enabled=False,
    )
    app.extensions[EXTENSION] = limiter
    for endpoint in LIMITED_VIEWS:
        view = app.view_functions[endpoint]
        per_address = limiter.shared_limit(
            _setting("NATIONAL_STAFF_LOGIN_RATE_LIMIT"),
            scope="staff-login",
            deduct_when=_failed,
        )
        per_email = limiter.shared_limit(
            _setting("NATIONAL_STAFF_LOGIN_RATE_LIMIT_PER_EMAIL"),
            scope="staff-login-email",
            key_func=_email_tried,
            exempt_when=_no_email,
            deduct_when=_failed,
        )
        app.view_functions[endpoint] = per_email(per_address(view))


@pages.errorhandler(RateLimitExceeded)
def too_many_attempts(error: RateLimitExceeded) -> Response:
    """429: the page says when to try again."""
    limiter: Limiter = current_app.extensions[EXTENSION]
    current = limiter.current_limit
    window = error.limit.limit.get_expiry()
    wait = math.ceil(current.reset_at - time.time()) if current is not None else window
    wait = min(max(1, wait), window)
    page = render_template("staff/too_many.html", minutes=max(1, math.ceil(wait / 60)))
    response = Response(page, status=429)
    response.headers["Retry-After"] = str(wait)
    response.headers["Cache-Control"] = "no-store"
    return response
