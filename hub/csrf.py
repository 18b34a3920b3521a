"""Cross-site request forgery protection for the hub's HTML forms and its JSON API.

Each browser session gets one random token; every form that changes something
carries it in a hidden field, and a POST whose token does not match the
session's is refused before any view runs.

The JSON API (`/api/…`) has no token: scripts and other servers use it. Its
session cookie is `SameSite=Lax`, so a browser sends no session on a cross-site
POST; but another site could still make its visitors' browsers post as new,
anonymous people (say "me too" to an item thousands of times). So a write to the
API that a browser marks as coming from another site is refused: the
`Sec-Fetch-Site: cross-site` header every current browser sends, or, from a
browser too old to send it, an `Origin` naming another host. Scripts and
servers send neither and are not affected.

A view marked `@signed_link` takes a POST with no form token: its URL carries a
signed token only the recipient of an email holds, which is the proof. The one
such view is `/unfollow/<token>`, the one-click unsubscribe link in emails about
followed items (RFC 8058), which mail programs POST to without a session.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import urlsplit

from flask import Flask, Response, current_app, make_response, render_template, request, session

from hubnet.problems import problem

FIELD = "csrf_token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
SIGNED_LINK = "csrf_signed_link"  # the attribute `signed_link` sets on a view

F = TypeVar("F", bound=Callable[..., Any])


def signed_link(view: F) -> F:
    """Let this view take a POST without the session's form token.

    Only for a view whose URL carries a token signed by the hub and sent to one
    person (an email's one-click unsubscribe link, RFC 8058, which a mail program
    POSTs to with no cookie); the view must check that token and refuse others.
    """
    setattr(view, SIGNED_LINK, True)
    return view


def is_signed_link(view: Callable[..., Any] | None) -> bool:
    return bool(getattr(view, SIGNED_LINK, False))


def csrf_token() -> str:
    """This session's token (made on first use), for a hidden form field."""
    token = session.get(FIELD)
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        session[FIELD] = token
    return token


def _from_another_site() -> bool:
    fetch_site = request.headers.get("Sec-Fetch-Site")
    if fetch_site is not None:
        return fetch_site == "cross-site"
    origin = request.headers.get("Origin")
    if not origin:
        return False
    ours = {request.host}
    public_url = current_app.config.get("PUBLIC_URL")
    if public_url:
        ours.add(urlsplit(str(public_url)).netloc)
    return urlsplit(origin).netloc not in ours


def _refuse_forged_request() -> Response | None:
    if request.method in SAFE_METHODS:
        return None
    if request.path.startswith("/api/"):
        if not _from_another_site():
            return None
        return problem(
            403,
            "cross-site-request",
            "Cross-site request refused",
            "a page on another website tried to write to this hub's API through a visitor's "
            "browser; nothing was stored",
        )
    if request.endpoint and is_signed_link(current_app.view_functions.get(request.endpoint)):
        return None  # the view checks the signed token in its URL
    expected = session.get(FIELD)
    sent = request.form.get(FIELD, "")
    if isinstance(expected, str) and sent and hmac.compare_digest(expected, sent):
        return None
    return make_response(render_template("csrf_failed.html"), 400)


def init_app(app: Flask) -> None:
    app.before_request(_refuse_forged_request)
    app.jinja_env.globals["csrf_token"] = csrf_token
