"""Cross-site request forgery protection for the aggregator's HTML forms.

Each browser session gets one random token; every form that changes something
carries it in a hidden field named `csrf_token` (`{{ csrf_token() }}` in a
template), and a POST (PUT, PATCH, DELETE) whose token does not match the
session's is refused with a 400 page before any view runs. Nothing is stored.

The JSON API (`/api/…`) is exempt: hubs post signed envelopes to it from
their servers, with no browser session, and a forged browser request could not
sign one. The approach is `hub.csrf`'s; it is not imported from there because
the two apps never import each other, and the refusal page is the aggregator's.
"""

from __future__ import annotations

import hmac
import secrets

from flask import Flask, Response, make_response, render_template, request, session

FIELD = "csrf_token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
EXTENSION = "national_aggregator.csrf"


def csrf_token() -> str:
    """This session's token (made on first use), for a hidden form field."""
    token = session.get(FIELD)
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        session[FIELD] = token
    return token


def token_matches() -> bool:
    """Whether the posted form carries this browser session's token."""
    expected = session.get(FIELD)
    sent = request.form.get(FIELD, "")
    return isinstance(expected, str) and bool(sent) and hmac.compare_digest(expected, sent)


def _refuse_forged_request() -> Response | None:
    if request.method in SAFE_METHODS or request.path.startswith("/api/"):
        return None
    if token_matches():
        return None
    return make_response(render_template("staff/csrf_failed.html"), 400)


def init_app(app: Flask) -> None:
    """Check every form post of `app` (once, however often it is called)."""
    if app.extensions.get(EXTENSION):
        return
    app.extensions[EXTENSION] = True
    app.before_request(_refuse_forged_request)
    app.jinja_env.globals["csrf_token"] = csrf_token
