"""Security headers on every hub response, the session cookie's flags, and error pages.

Every response (pages, the JSON API, static files, errors) carries:

- `Content-Security-Policy`: scripts, styles, fonts and frames only from the hub
  itself, no inline script or style (templates have none), images also as `data:`
  (the TOTP QR code), forms only post back to the hub, and no page may be framed;
- `X-Content-Type-Options: nosniff`, `X-Frame-Options: DENY` (older browsers'
  form of `frame-ancestors 'none'`), `Cross-Origin-Opener-Policy: same-origin`;
- `Referrer-Policy: same-origin`: another site never learns which hub page
  linked to it, so a private link (`/your-part/<token>`) cannot leak that way;
- `Permissions-Policy` turning off powerful features no hub page uses;
- `Strict-Transport-Security` only on a request that came over HTTPS (a browser
  ignores it over http://, and a local demo must stay reachable over http://).

The session cookie is always `HttpOnly` and `SameSite=Lax`, and `Secure` unless
`SESSION_COOKIE_SECURE` is false. The default is true, so a hub whose settings do
not say otherwise never sends its cookie over plain HTTP. A hub served over
http:// (the demo, the tests, a developer's machine: 127.0.0.1) sets it to false,
and the hub logs a warning once if it is then reached under any other name.

Behind a reverse proxy, `PROXY_COUNT` (nginx alone: 1) makes the hub trust that
many `X-Forwarded-For`/`X-Forwarded-Proto` hops, so rate limits see the
resident's address and HSTS sees HTTPS.

HTML pages get NHS.UK-styled 404 and 405 pages here; under `/api/` every error
stays RFC 9457 problem JSON (`hubnet.problems`).
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, Response, current_app, render_template, request
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound
from werkzeug.middleware.proxy_fix import ProxyFix

from hubnet.problems import problem

log = logging.getLogger(__name__)

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'self'"
)
PERMISSIONS_POLICY = (
    "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), "
    "microphone=(), payment=(), usb=()"
)
HSTS = "max-age=31536000; includeSubDomains"  # one year; not preloaded (a council's choice)
HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Permissions-Policy": PERMISSIONS_POLICY,
    "Cross-Origin-Opener-Policy": "same-origin",
}
LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1", "[::1]"})
_WARNED = "hub.security.warned-insecure-cookie"


def init_app(app: Flask) -> None:
    """Set the cookie flags, add the headers to every response, answer 404/405 for pages."""
    app.config["SESSION_COOKIE_HTTPONLY"] = True
    app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
    secure = app.config["SESSION_COOKIE_SECURE"]
    if not isinstance(secure, bool):
        raise RuntimeError(f"SESSION_COOKIE_SECURE must be true or false, not {secure!r}")
    proxies = int(app.config["PROXY_COUNT"])
    if proxies:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)  # type: ignore[method-assign]
    public_url = app.config.get("PUBLIC_URL")
    if not secure and public_url and not _is_local(urlsplit(str(public_url)).hostname):
        log.warning(
            "SESSION_COOKIE_SECURE is false but PUBLIC_URL is %s: browsers will send the "
            "session cookie over plain HTTP. Serve the hub over HTTPS and set it to true.",
            public_url,
        )
    app.before_request(_warn_if_cookie_not_secure)
    app.after_request(add_security_headers)
    app.register_error_handler(NotFound, _error_page)
    app.register_error_handler(MethodNotAllowed, _error_page)


def _is_local(hostname: str | None) -> bool:
    return hostname is None or hostname in LOCAL_HOSTS or hostname.startswith("127.")


def _warn_if_cookie_not_secure() -> None:
    if current_app.config["SESSION_COOKIE_SECURE"] or current_app.extensions.get(_WARNED):
        return
    hostname = urlsplit(f"//{request.host}").hostname
    if _is_local(hostname):
        return
    current_app.extensions[_WARNED] = True
    log.warning(
        "The hub is served as %s with SESSION_COOKIE_SECURE false: the session cookie "
        "may travel over plain HTTP. Serve it over HTTPS and set SESSION_COOKIE_SECURE = true.",
        request.host,
    )


def add_security_headers(response: Response) -> Response:
    """The headers above (a view may set a stricter one first); HSTS over HTTPS only."""
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    if request.is_secure:
        response.headers.setdefault("Strict-Transport-Security", HSTS)
    return response


def _error_page(error: HTTPException) -> Any:
    """404 and 405: problem JSON under /api/, an NHS.UK page otherwise."""
    code = error.code or 500
    if request.path.startswith("/api/"):
        slug = (error.name or "error").lower().replace(" ", "-")
        response = problem(code, slug, error.name, error.description or error.name)
    else:
        template = "not_found.html" if code == 404 else "errors/405.html"
        response = Response(render_template(template), status=code)
    if isinstance(error, MethodNotAllowed):
        for name, value in error.get_headers():
            if name == "Allow":
                response.headers["Allow"] = value
    return response
