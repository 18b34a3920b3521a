"""The demo's national team: a board secretary records the board's answer, every hub shows it.

After the hubs push, the board answers the top two national priorities (one
accepted with a commitment and a first dated update, one under
consideration), exactly as the board
secretary's page would: `national_aggregator.board.services` signs each
answer with the log key, appends it to the transparency log and pushes a
notification to every hub's notify URL. Each hub then pulls, verifies the
signature, the chain and the leaf's inclusion under a checkpoint it trusts,
and shows the answer on its "What the board said" page and on its items in
that theme; `wait_for_hubs` checks that from outside, over HTTP.

The demo's national accounts (one per role) can sign in at the aggregator's
/staff/login; like the hubs' demo staff, they exist only on a local demo.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import requests

from federation.periods import Period

DEMO_NATIONAL_STAFF = (  # (email, name, role, what the role does)
    ("analyst@national.demo.hubnet.invalid", "Demo analyst", "analyst",
     "reads everything, writes nothing but notes"),
    ("secretary@national.demo.hubnet.invalid", "Demo board secretary", "board-secretary",
     "records the board's responses and their updates"),
    ("admin@national.demo.hubnet.invalid", "Demo national administrator", "admin",
     "everything"),
)  # fmt: skip
SECRETARY_EMAIL = DEMO_NATIONAL_STAFF[1][0]


@dataclass(frozen=True)
class BoardAnswer:
    theme: str
    name: str
    decision: str
    response_id: str
    log_index: int


def _demo_app(instance: Path) -> Any:
    from national_aggregator import create_app

    return create_app({"INSTANCE_PATH": str(instance)})


def add_national_staff(instance: Path, password: str) -> None:
    """One national account per role, with the demo password."""
    from hubnet.db import get_session
    from national_aggregator.staff.services import add_staff

    app = _demo_app(instance)
    with app.app_context():
        session = get_session()
        for email, name, role, _does in DEMO_NATIONAL_STAFF:
            add_staff(session, email=email, name=name, role=role, password=password)
        session.commit()
    app.extensions["hubnet.engine"].dispose()


def record_board_answers(
    instance: Path, period: Period, priorities: dict[str, Any]
) -> list[BoardAnswer]:
    """The board answers the top two priorities; returns what was logged.

    The hubs are told at once (each hub's notify URL); a hub that misses the
    push gets the answers at its next scheduled pull.
    """
    from hubnet.db import get_session
    from national_aggregator.board.services import (
        add_update,
        deliver_notifications,
        record_response,
    )
    from national_aggregator.log import log_signer
    from national_aggregator.staff.services import find_staff

    top = priorities["priorities"][:2]
    if not top:
        return []
    meeting = period.end + timedelta(days=10)
    now = datetime.now(UTC).replace(microsecond=0)
    answers: list[BoardAnswer] = []
    app = _demo_app(instance)
    with app.app_context():
        session = get_session()
        secretary = find_staff(session, SECRETARY_EMAIL)
        first, *rest = top
        logged = [
            (
                first,
                record_response(
                    session,
                    log_signer(),
                    theme=first["code"],
                    period=period,
                    meeting=meeting,
                    decision="accepted",
                    response=(
                        f"The board heard that {first['name']} came first across the "
                        "hubs that reported. It accepts that this needs national action and "
                        "commits to the change below, reporting progress here."
                    ),
                    commitment=(
                        "Publish, with each integrated care board, a plan that answers the "
                        "issues people raised, and report progress every quarter."
                    ),
                    owner="National Director for this priority (demo)",
                    due=meeting + timedelta(days=120),
                    progress="not-started",
                    staff=secretary,
                    now=now,
                ),
            )
        ]
        for row in rest:
            logged.append(
                (
                    row,
                    record_response(
                        session,
                        log_signer(),
                        theme=row["code"],
                        period=period,
                        meeting=meeting,
                        decision="under-consideration",
                        response=(
                            f"The board is considering what people said about {row['name']} "
                            "and will decide at a later meeting."
                        ),
                        owner="Board secretary (demo)",
                        due=meeting + timedelta(days=60),
                        staff=secretary,
                        now=now,
                    ),
                )
            )
        # a dated update: the accepted commitment is under way
        add_update(
            session,
            log_signer(),
            logged[0][1].statement.response_id,
            update_text=(
                "Work has started: the integrated care boards have named their leads and the "
                "first quarterly report is scheduled."
            ),
            progress="on-track",
            staff=secretary,
            now=now,
        )
        session.commit()
        for row, statement in logged:
            answers.append(
                BoardAnswer(
                    theme=row["code"],
                    name=row["name"],
                    decision=statement.statement.decision,
                    response_id=statement.statement.response_id,
                    log_index=statement.log_index,
                )
            )
        deliver_notifications(session)
        session.commit()
    app.extensions["hubnet.engine"].dispose()
    return answers


def wait_for_hubs(
    hub_urls: list[str], answers: list[BoardAnswer], *, timeout: float = 60
) -> dict[str, bool]:
    """Whether each hub's public "What the board said" page shows every answer's theme."""
    deadline = time.monotonic() + timeout
    shown: dict[str, bool] = dict.fromkeys(hub_urls, False)
    while time.monotonic() < deadline and not all(shown.values()):
        for url in hub_urls:
            if shown[url]:
                continue
            try:
                page = requests.get(url + "/board", timeout=5).text
            except requests.RequestException:
                continue
            shown[url] = all(answer.name in page for answer in answers)
        if not all(shown.values()):
            time.sleep(0.5)
    return shown
