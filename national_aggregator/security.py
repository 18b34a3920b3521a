"""Security headers on every aggregator response (pages, the JSON API, static files, errors).

The aggregator's pages have no inline script or style (the charts are SVG whose
colours are presentation attributes), so the policy allows scripts, styles and
fonts only from the aggregator itself; images also as `data:` (the NHS.UK
frontend's icons); no page may be framed; forms only submit back to it. The API
is read by any tool, so no CORS restriction is added here. HSTS only over HTTPS
(a local trial must stay reachable over http://).
"""

from __future__ import annotations

from flask import Flask, Response, request

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'self'"
)
PERMISSIONS_POLICY = (
    "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), "
    "microphone=(), payment=(), usb=()"
)
HSTS = "max-age=31536000; includeSubDomains"
HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Permissions-Policy": PERMISSIONS_POLICY,
    "Cross-Origin-Opener-Policy": "same-origin",
}


def init_app(app: Flask) -> None:
    """Add the headers to every response."""
    app.after_request(add_security_headers)


def add_security_headers(response: Response) -> Response:
    """The headers above (a view may set a stricter one first); HSTS over HTTPS only."""
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    if request.is_secure:
        response.headers.setdefault("Strict-Transport-Security", HSTS)
    return response
