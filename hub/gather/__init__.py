"""Gather: people raise ideas, concerns, questions and experiences, say "me too" and comment.

`models` (items, supports, comments, reports, wards, the timeline's events),
`services` (raise, support, comment, list and search; never commit),
`journey` (the raise question pages' session draft), `events` (`record_event`
and the `contribution_changed` signal), `moderation` (publish, reject, edit,
hide after reports, restore, remove: the staff pages call these), `values`
(the values and moderation rules as data), `views` (pages and the JSON API),
`cli` (`hubnet hub wards …`).
"""

from __future__ import annotations

from flask import Flask

from hub.gather.views import api, pages


def init_app(app: Flask) -> None:
    app.register_blueprint(pages)
    app.register_blueprint(api)
