"""Residents: their part of the hub, with or without an account.

Without an account, a person sees, changes and deletes what they raised from
the browser they raised it in, or anywhere through their private link
(`hub.residents.links`). An optional account (email and password) adds
following items and emails when their status changes (`hub.residents.notify`,
listening to `hub.gather.events.contribution_changed`), and signing in on
another device. Anyone can download everything the hub holds about them and
delete it (UK GDPR), after which their counts leave future summaries.
"""

from __future__ import annotations

from flask import Flask

from hub.residents import notify
from hub.residents.views import pages


def init_app(app: Flask) -> None:
    app.register_blueprint(pages)
    notify.connect()
