"""Board responses: what the NHS England board said about the national priorities.

The national team records the board's answer to each national priority, and
each later update, as a signed statement in the transparency log
(`federation.board`). The hub pulls them hourly (`hubnet hub board pull`, the
`hubnet-hub-board.timer`) and when the aggregator nudges it
(`POST /api/v1/board/notify`), keeps only what verifies (the pinned log key,
the chain of versions, inclusion in a checkpoint it verified), shows them on
`/board` and on every item whose national theme the board answered, and emails
the residents following such items.
"""

from __future__ import annotations

from flask import Flask

from hub.board import views
from hub.board.services import DECISION_WORDS, PROGRESS_WORDS

DEFAULTS = {
    # The most pulls POST /api/v1/board/notify starts, from all callers together.
    "RATE_LIMIT_BOARD_NOTIFY": "12 per hour",
    # The national site's page of board responses, linked from /board (None: the Atom feed
    # at AGGREGATOR_URL/board/feed.atom).
    "BOARD_PUBLIC_URL": None,
}


def init_app(app: Flask) -> None:
    for key, value in DEFAULTS.items():
        app.config.setdefault(key, value)
    app.register_blueprint(views.pages)
    app.jinja_env.globals["board_for_theme"] = views.board_for_theme
    app.jinja_env.globals["board_decision_words"] = DECISION_WORDS
    app.jinja_env.globals["board_progress_words"] = PROGRESS_WORDS
