"""Mail: a durable outbox of emails (`queue_mail`), sent by SMTP with retries (`send_pending`).

Features queue mail in their own transaction (`hub.mail.services.queue_mail`);
after a request that queued some, the app tries to send it at once, once the
response has gone (a failure leaves it queued). `hubnet hub mail send` (from a
timer) sends what is left; `hubnet hub mail list` shows it. `hub.mail.sink` is a
local SMTP server for the demo and the tests.
"""

from __future__ import annotations

import functools
import logging

from flask import Flask, Response, g

from hub.mail.services import QUEUED_FLAG, queue_mail, send_pending

__all__ = ["init_app", "queue_mail", "send_pending"]

log = logging.getLogger(__name__)


def _send_quietly(app: Flask) -> None:
    try:
        send_pending(app)
    except Exception:  # the response has gone; the mail stays queued for the next try
        log.exception("mail: sending after the request failed")


def init_app(app: Flask) -> None:
    @app.after_request
    def _send_queued_mail(response: Response) -> Response:
        if g.pop(QUEUED_FLAG, False) and app.config.get("SMTP_HOST"):
            response.call_on_close(functools.partial(_send_quietly, app))
        return response
