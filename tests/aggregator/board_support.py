"""Helpers the board tests share: record responses as the board secretary would."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from flask import Flask

from federation.periods import Period
from hubnet.db import get_session
from national_aggregator.board.services import LoggedStatement, add_update, record_response
from national_aggregator.log import log_signer

PERIOD = Period.parse("2025-Q4")
MEETING = date(2026, 1, 14)
JANUARY = datetime(2026, 1, 14, 15, 0, tzinfo=UTC)  # before today: updates come later

ACCEPTED: dict[str, Any] = {
    "theme": "gp-access",
    "period": PERIOD,
    "meeting": MEETING,
    "decision": "accepted",
    "response": "The board accepts that booking a GP appointment is too hard.",
    "commitment": "One national online booking standard for every practice.",
    "owner": "Director of Primary Care",
    "due": date(2027, 6, 30),
    "progress": "on-track",
}


def record(app: Flask, **changes: Any) -> LoggedStatement:
    """Record a response (accepted, gp-access, unless changed) and commit."""
    values = {**ACCEPTED, "now": JANUARY, "staff": None, **changes}
    with app.app_context():
        session = get_session()
        logged = record_response(session, log_signer(), **values)
        session.commit()
        return logged


def update(app: Flask, response_id: str, **changes: Any) -> LoggedStatement:
    changes.setdefault("staff", None)
    with app.app_context():
        session = get_session()
        logged = add_update(session, log_signer(), response_id, **changes)
        session.commit()
        return logged
