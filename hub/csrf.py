"""Cross-site request forgery protection for the hub's HTML forms.

Each browser session gets one random token; every form that changes something
carries it in a hidden field, and a POST whose token does not match the
session's is refused before any view runs. The JSON API (`/api/…`) is not
covered here: its session cookie is `SameSite=Lax`, so a browser sends no
session on a cross-site POST, and creating a contribution needs a JSON body,
which a cross-site HTML form cannot send.
"""

from __future__ import annotations

import hmac
import secrets

from flask import Flask, Response, make_response, render_template, request, session

FIELD = "csrf_token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def csrf_token() -> str:
    """This session's token (made on first use), for a hidden form field."""
    token = session.get(FIELD)
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        session[FIELD] = token
    return token


def _refuse_forged_form() -> Response | None:
    if request.method in SAFE_METHODS or request.path.startswith("/api/"):
        return None
    expected = session.get(FIELD)
    sent = request.form.get(FIELD, "")
    if isinstance(expected, str) and sent and hmac.compare_digest(expected, sent):
        return None
    return make_response(render_template("csrf_failed.html"), 400)


def init_app(app: Flask) -> None:
    app.before_request(_refuse_forged_form)
    app.jinja_env.globals["csrf_token"] = csrf_token
