"""The board's responses in public: `/board`, the panel on item pages, and the push endpoint.

- `GET /board` ("What the board said"): every response this hub pulled and
  verified, newest meeting first, with its history of updates.
- The item page includes `board/_item_panel.html`, which asks
  `board_for_theme(code)` (a template global registered here) for the
  responses on the item's national theme.
- `POST /api/v1/board/notify`: the aggregator's nudge that something new is in
  the log. No body is read or trusted: the hub answers 202 and then pulls
  (after the answer has gone, so the aggregator is never kept waiting), as
  `hubnet hub board pull` does. One limit for every caller together
  (`RATE_LIMIT_BOARD_NOTIFY`), so the endpoint cannot be used to make this hub
  hammer the aggregator; past it: 429 problem JSON with Retry-After.
"""

from __future__ import annotations

import logging
import math
import time
from typing import Any

from flask import Blueprint, Flask, Response, current_app, render_template
from limits import parse

from hub.board.services import board_responses, pull_board_statements
from hub.db import utcnow
from hub.mail import send_pending
from hubnet.db import get_session
from hubnet.problems import problem

log = logging.getLogger(__name__)

pages = Blueprint("board", __name__)

NOTIFY_KEY = "hub.board.notify"
LIMITS_EXTENSION = "hub.limits"  # hub/limits.py keeps each app's limiter here


def _today() -> Any:
    return utcnow().date()


@pages.get("/board")
def board_page() -> str:
    """What the NHS England board said about the national priorities."""
    aggregator = current_app.config.get("AGGREGATOR_URL")
    national = current_app.config.get("BOARD_PUBLIC_URL") or (
        str(aggregator).rstrip("/") + "/board/feed.atom" if aggregator else None
    )
    return render_template(
        "board/board.html",
        responses=board_responses(get_session(), today=_today()),
        national_url=national,
        national_is_feed=not current_app.config.get("BOARD_PUBLIC_URL"),
    )


def board_for_theme(code: str | None) -> list[Any]:
    """The board's responses on a national theme, for the item page's panel."""
    if not code:
        return []
    return board_responses(get_session(), today=_today(), theme=code)


# -- the push -------------------------------------------------------------------------------


def _over_limit() -> int | None:
    """Seconds to wait if the notify limit is used up (counting this call), else None."""
    state = current_app.extensions.get(LIMITS_EXTENSION)
    if state is None or not state.enabled:
        return None
    item = parse(str(current_app.config["RATE_LIMIT_BOARD_NOTIFY"]))
    strategy = state.limiter.limiter
    if strategy.hit(item, NOTIFY_KEY):
        return None
    reset_at, _remaining = strategy.get_window_stats(item, NOTIFY_KEY)
    wait = math.ceil(float(reset_at) - time.time())
    return min(max(1, wait), int(item.get_expiry()))


def pull_now(app: Flask) -> None:
    """One pull, as `hubnet hub board pull` does it, committed; failures are logged, not raised."""
    from hub.instance import aggregator_link  # hub.instance builds the app: import late

    with app.app_context():
        db = get_session()
        try:
            link = aggregator_link(app)
        except Exception as exc:  # a missing setting: say so in the log, nothing else to do
            log.error("board notify: cannot contact the aggregator: %s", exc)
            return
        try:
            report = pull_board_statements(db, link, now=utcnow())
            db.commit()
        except Exception:
            db.rollback()
            log.exception("board notify: the pull failed")
            return
        finally:
            link.close()
        for line in report.lines():
            (log.info if report.ok else log.error)("board notify: %s", line)
    if app.config.get("SMTP_HOST"):  # followers' emails, as after any request that queues mail
        try:
            send_pending(app)
        except Exception:  # they stay queued for `hubnet hub mail send`
            log.exception("board notify: sending the followers' emails failed")


@pages.post("/api/v1/board/notify")
def notify() -> Response:
    """Something new may be in the log: answer 202, then pull (the body is ignored)."""
    wait = _over_limit()
    if wait is not None:
        response = problem(
            429,
            "too-many-requests",
            "Too many requests",
            f"this hub pulls the board's responses at most "
            f"{current_app.config['RATE_LIMIT_BOARD_NOTIFY']} when notified; it will pull "
            f"anyway within the hour; try again in {wait} seconds",
            retry_after=wait,
        )
        response.headers["Retry-After"] = str(wait)
        return response
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    response = current_app.response_class(
        '{"status": "pulling"}', status=202, mimetype="application/json"
    )
    response.call_on_close(lambda: pull_now(app))
    return response
