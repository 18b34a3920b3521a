"""Consented quotes: a resident's words, scrubbed, approved by two staff, sent in summaries.

`hub.quotes.services.approved_quotes(session)` is what `build_summary` passes
to the disclosure engine; the staff pages at /staff/quotes are where
moderators propose, edit, approve, reject and withdraw quotes.
"""

from __future__ import annotations

from flask import Flask

from hub.quotes.views import pages


def init_app(app: Flask) -> None:
    app.register_blueprint(pages)
