"""Board responses: recording, updating, reading back, and pushing word of them to hubs.

A response to a national priority and each later update is a board statement
(`federation.board`), signed with the log key and appended to the
transparency log in the same transaction as its `board_statement` row, so
the log is the record and nothing the board said can change unseen. Every
version carries the whole state; `add_update` builds version n+1 from
version n and the changes, and chains it by `prev`.

Reading back always goes through the signed bytes: `latest_board_statements`
and `response_history` parse the stored envelopes with
`verify_board_statement`, so what a page shows is what the log holds.

Pushes: after a statement is logged, each hub with a notify URL is owed a
POST with no body (`board_notification`); `deliver_notifications` sends them
(2 s timeout), recording failures for the next run of
`hubnet aggregator board notify`. A push carries no data to trust: the hub
pulls `GET /api/v1/board/statements` and verifies.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Final

import requests
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from federation.board import (
    DECISIONS,
    PROGRESS,
    BoardStatement,
    BoardStatementSchema,
    board_statement_dict,
    check_board_chain,
    new_response_id,
    sign_board_statement,
    verify_board_statement,
)
from federation.errors import first_error
from federation.periods import Period
from federation.taxonomy import load_taxonomy
from national_aggregator.board.models import BoardNotification, StoredBoardStatement
from national_aggregator.db import utcnow
from national_aggregator.log.models import LeafKind, LogLeaf
from national_aggregator.log.services import LogSigner, append_leaf, lock_log, log_size
from national_aggregator.registry.models import Hub
from national_aggregator.staff.audit import record_action
from national_aggregator.staff.models import StaffUser

NOTIFY_TIMEOUT_SECONDS: Final = 2.0
MAX_STATEMENTS_PAGE: Final = 1000
ERROR_LENGTH: Final = 500

# Which optional fields each decision uses (federation.board's rules, said for people).
USES: Final[dict[str, frozenset[str]]] = {
    "accepted": frozenset({"commitment", "owner", "due", "progress", "reason"}),
    "under-consideration": frozenset({"owner", "due", "reason"}),
    "not-accepted": frozenset({"owner", "reason"}),
}
DECISION_TITLES: Final = {
    "accepted": "Accepted",
    "under-consideration": "Under consideration",
    "not-accepted": "Not accepted",
}
PROGRESS_TITLES: Final = {
    "not-started": "Not started",
    "on-track": "On track",
    "done": "Done",
    "stalled": "Stalled",
}


class BoardInputError(ValueError):
    """What someone entered cannot make a valid board statement; nothing was stored."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class UnknownResponse(LookupError):
    """No board response has this id."""


class _Keep:
    def __repr__(self) -> str:
        return "KEEP"


KEEP: Final = _Keep()
"""For `add_update`: leave this field as the previous version has it."""


@dataclass(frozen=True)
class LoggedStatement:
    """A board statement as the log holds it: the verified statement, its row and leaf index."""

    statement: BoardStatement
    log_index: int
    row: StoredBoardStatement

    @property
    def envelope(self) -> bytes:
        return self.row.envelope


# Reading -------------------------------------------------------------------------------------


def _default_public_key() -> Ed25519PublicKey:
    from national_aggregator.log import log_signer  # needs an app context

    return log_signer().private_key.public_key()


def _board_rows(
    session: Session, *, before_log_index: int | None = None, response_id: str | None = None
) -> list[tuple[int, StoredBoardStatement]]:
    query = (
        select(LogLeaf.index, StoredBoardStatement)
        .join(StoredBoardStatement, LogLeaf.board_statement_id == StoredBoardStatement.id)
        .where(LogLeaf.kind == LeafKind.BOARD)
        .order_by(LogLeaf.index)
    )
    if before_log_index is not None:
        query = query.where(LogLeaf.index < before_log_index)
    if response_id is not None:
        query = query.where(StoredBoardStatement.response_id == response_id)
    return [(index, row) for index, row in session.execute(query).tuples()]


def latest_board_statements(
    session: Session,
    *,
    before_log_index: int | None = None,
    log_public_key: Ed25519PublicKey | None = None,
) -> list[BoardStatement]:
    """The newest version of every board response among the log's first `before_log_index` leaves.

    `before_log_index` None means the whole log; a board pack built from a
    checkpoint of size n passes n, so it shows exactly what that checkpoint
    covers. Each statement is parsed from its stored envelope with
    `verify_board_statement` against `log_public_key` (default: the running
    app's log key, which needs an app context), so a damaged row raises a
    `federation.errors.ProtocolError` rather than showing something unsigned.
    Ordered by when each response was first recorded (its version 1's log
    index), oldest first.
    """
    key = log_public_key or _default_public_key()
    newest: dict[str, tuple[int, int, StoredBoardStatement]] = {}  # id -> (first, index, row)
    for index, row in _board_rows(session, before_log_index=before_log_index):
        first = newest[row.response_id][0] if row.response_id in newest else index
        newest[row.response_id] = (first, index, row)
    ordered = sorted(newest.values(), key=lambda item: item[0])
    return [verify_board_statement(row.envelope, key) for _, _, row in ordered]


def latest_logged(session: Session, log_public_key: Ed25519PublicKey) -> list[LoggedStatement]:
    """`latest_board_statements` with each newest version's log index and row."""
    newest: dict[str, tuple[int, int, StoredBoardStatement]] = {}
    for index, row in _board_rows(session):
        first = newest[row.response_id][0] if row.response_id in newest else index
        newest[row.response_id] = (first, index, row)
    ordered = sorted(newest.values(), key=lambda item: item[0])
    return [
        LoggedStatement(verify_board_statement(row.envelope, log_public_key), index, row)
        for _, index, row in ordered
    ]


def response_history(
    session: Session, response_id: str, log_public_key: Ed25519PublicKey
) -> list[LoggedStatement]:
    """Every version of one response, oldest first; raises UnknownResponse if there is none."""
    rows = _board_rows(session, response_id=response_id)
    if not rows:
        raise UnknownResponse(f"no board response has the id {response_id}")
    return [
        LoggedStatement(verify_board_statement(row.envelope, log_public_key), index, row)
        for index, row in rows
    ]


def all_versions(session: Session, log_public_key: Ed25519PublicKey) -> list[LoggedStatement]:
    """Every version of every response in log order (for the Atom feed)."""
    return [
        LoggedStatement(verify_board_statement(row.envelope, log_public_key), index, row)
        for index, row in _board_rows(session)
    ]


def statements_page(session: Session, *, after: int, limit: int) -> dict[str, Any]:
    """`GET /api/v1/board/statements`: board leaves after `after`, in log order, at most `limit`.

    `last_index` is the largest log index of any board statement (−1 when
    there is none), so a hub knows whether to ask again. An `after` past the
    log's end finds nothing (and never reaches the database's integer range).
    """
    after = min(after, log_size(session))
    query = (
        select(LogLeaf.index, StoredBoardStatement)
        .join(StoredBoardStatement, LogLeaf.board_statement_id == StoredBoardStatement.id)
        .where(LogLeaf.kind == LeafKind.BOARD, LogLeaf.index > after)
        .order_by(LogLeaf.index)
        .limit(limit)
    )
    statements = [
        {
            "log_index": index,
            "response_id": row.response_id,
            "version": row.version,
            "envelope": base64.b64encode(row.envelope).decode("ascii"),
        }
        for index, row in session.execute(query).tuples()
    ]
    last = session.scalar(select(func.max(LogLeaf.index)).where(LogLeaf.kind == LeafKind.BOARD))
    return {"statements": statements, "last_index": -1 if last is None else last}


# Writing -------------------------------------------------------------------------------------


def _clean(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip()
    return value or None


def _check_schema(values: dict[str, Any]) -> None:
    errors = BoardStatementSchema().validate(values)
    if errors:
        field, message = first_error(errors)
        raise BoardInputError(field or "statement", message)


def _check_choices(theme: str | None, decision: str | None, progress: str | None) -> None:
    if theme is not None and theme not in load_taxonomy().codes:
        raise BoardInputError("theme", f"{theme!r} is not a national theme code")
    if decision is not None and decision not in DECISIONS:
        raise BoardInputError("decision", f"choose one of {', '.join(DECISIONS)}")
    if progress is not None and progress not in PROGRESS:
        raise BoardInputError("progress", f"choose one of {', '.join(PROGRESS)}")


def _check_uses(decision: str, values: dict[str, Any]) -> None:
    """Refuse, in words, a field the decision does not use, or a missing one it needs."""
    uses = USES[decision]
    title = DECISION_TITLES[decision].lower()
    for name in ("commitment", "owner", "due", "progress", "reason"):
        if name not in uses and values.get(name) is not None:
            raise BoardInputError(name, f"leave this empty when the decision is {title}")
    needs = {
        "accepted": ("commitment", "owner", "due", "progress"),
        "under-consideration": ("owner", "due"),
        "not-accepted": ("reason",),
    }[decision]
    for name in needs:
        if values.get(name) is None:
            raise BoardInputError(name, f"is required when the decision is {title}")
    if values.get("progress") == "stalled" and values.get("reason") is None:
        raise BoardInputError("reason", "is required when progress is stalled: say why")


def _append(
    session: Session,
    signer: LogSigner,
    values: dict[str, Any],
    *,
    size_before: int,
    staff: StaffUser | None,
    now: datetime,
) -> LoggedStatement:
    try:
        envelope = sign_board_statement(values, signer.private_key)
    except ValueError as exc:  # the checks above should have caught it; still, say what
        raise BoardInputError("statement", str(exc)) from exc
    statement = verify_board_statement(envelope, signer.private_key.public_key())
    row = StoredBoardStatement(
        response_id=statement.response_id,
        version=statement.version,
        theme=statement.theme,
        decision=statement.decision,
        progress=statement.progress,
        due=statement.due,
        meeting=statement.meeting,
        period_start=statement.period_start,
        period_end=statement.period_end,
        at=statement.at,
        envelope=envelope,
        payload_sha256=statement.payload_sha256,
        recorded_by=None if staff is None else staff.id,
    )
    session.add(row)
    session.flush()
    append_leaf(
        session,
        envelope,
        size_before=size_before,
        kind=LeafKind.BOARD,
        signer=signer,
        now=now,
        board_statement_id=row.id,
    )
    _enqueue_notifications(session, row, size_before, now)
    return LoggedStatement(statement, size_before, row)


def record_response(
    session: Session,
    signer: LogSigner,
    *,
    theme: str,
    period: Period,
    meeting: date,
    decision: str,
    response: str,
    reason: str | None = None,
    commitment: str | None = None,
    owner: str | None = None,
    due: date | None = None,
    progress: str | None = None,
    staff: StaffUser | None,
    now: datetime | None = None,
) -> LoggedStatement:
    """Record the board's response to a priority (`theme` in `period`) as version 1, and log it.

    Raises BoardInputError naming the field (nothing stored) when the
    response breaks `federation.board`'s rules. The caller commits, then may
    call `deliver_notifications` for the pushes this queued.
    """
    now = now or utcnow()
    values: dict[str, Any] = {
        "reason": _clean(reason),
        "commitment": _clean(commitment),
        "owner": _clean(owner),
        "due": due,
        "progress": _clean(progress),
    }
    response_text = _clean(response)
    _check_choices(theme, decision, values["progress"])
    if response_text is None:
        raise BoardInputError("response", "say what the board said")
    _check_uses(decision, values)
    statement = board_statement_dict(
        response_id=new_response_id(),
        version=1,
        prev=None,
        theme=theme,
        period_start=period.start,
        period_end=period.end,
        meeting=meeting,
        decision=decision,
        response=response_text,
        at=now,
        **values,
    )
    _check_schema(statement)
    size = lock_log(session)
    logged = _append(session, signer, statement, size_before=size, staff=staff, now=now)
    record_action(
        session,
        staff,
        "board-response-recorded",
        f"board-response:{logged.statement.response_id}",
        f"{theme} {period.label}: {DECISION_TITLES[decision].lower()} (log index {size})",
    )
    return logged


def add_update(
    session: Session,
    signer: LogSigner,
    response_id: str,
    *,
    update_text: str,
    decision: str | _Keep = KEEP,
    response: str | _Keep = KEEP,
    reason: str | _Keep | None = KEEP,
    commitment: str | _Keep | None = KEEP,
    owner: str | _Keep | None = KEEP,
    due: date | _Keep | None = KEEP,
    progress: str | _Keep | None = KEEP,
    staff: StaffUser | None,
    now: datetime | None = None,
) -> LoggedStatement:
    """Log version n+1 of a response: version n with the changes, and `update_text` about them.

    A field left as KEEP keeps its value, unless a changed decision no longer
    uses it (then it is cleared); a field given explicitly is checked as
    given. Raises UnknownResponse for an unknown id and BoardInputError
    (nothing stored) for a change the rules refuse or an update that changes
    nothing.
    """
    now = now or utcnow()
    size = lock_log(session)  # also serialises updates to one response
    rows = _board_rows(session, response_id=response_id)
    if not rows:
        raise UnknownResponse(f"no board response has the id {response_id}")
    previous = verify_board_statement(rows[-1][1].envelope, signer.private_key.public_key())
    text = _clean(update_text)
    if text is None:
        raise BoardInputError("update", "say what changed, in words")
    new_decision = previous.decision if isinstance(decision, _Keep) else decision
    _check_choices(None, new_decision, None if isinstance(progress, _Keep) else _clean(progress))
    uses = USES[new_decision]
    given = {
        "reason": reason,
        "commitment": commitment,
        "owner": owner,
        "due": due,
        "progress": progress,
    }
    values: dict[str, Any] = {}
    for name, value in given.items():
        if isinstance(value, _Keep):
            old = getattr(previous, name)
            values[name] = old if name in uses else None
        else:
            values[name] = _clean(value) if isinstance(value, str) else value
    if (
        new_decision == "accepted"
        and previous.decision != "accepted"
        and isinstance(progress, _Keep)
    ):
        values["progress"] = values["progress"] or "not-started"
    response_text = previous.response if isinstance(response, _Keep) else _clean(response)
    if response_text is None:
        raise BoardInputError("response", "say what the board said")
    _check_uses(new_decision, values)
    if now < previous.at:
        raise BoardInputError("at", "the clock is behind the previous version's time")
    statement = board_statement_dict(
        response_id=response_id,
        version=previous.version + 1,
        prev=previous.payload_sha256,
        theme=previous.theme,
        period_start=previous.period_start,
        period_end=previous.period_end,
        meeting=previous.meeting,
        decision=new_decision,
        response=response_text,
        update=text,
        at=now,
        **values,
    )
    unchanged = (
        new_decision == previous.decision
        and response_text == previous.response
        and all(values[name] == getattr(previous, name) for name in given)
    )
    if unchanged and previous.update == text:
        raise BoardInputError("update", "this update is the same as the last one")
    _check_schema(statement)
    logged = _append(session, signer, statement, size_before=size, staff=staff, now=now)
    check_board_chain(previous, logged.statement)  # BrokenBoardChain: a bug, never stored
    record_action(
        session,
        staff,
        "board-response-updated",
        f"board-response:{response_id}",
        f"version {logged.statement.version} (log index {size}): {text[:200]}",
    )
    return logged


# Pushes to hubs ------------------------------------------------------------------------------


def _enqueue_notifications(
    session: Session, row: StoredBoardStatement, log_index: int, now: datetime
) -> None:
    hubs = session.scalars(
        select(Hub.gss).where(Hub.notify_url.is_not(None), Hub.revoked_at.is_(None))
    ).all()
    session.add_all(
        BoardNotification(
            hub_gss=gss,
            board_statement_id=row.id,
            log_index=log_index,
            created_at=now,
            attempts=0,
        )
        for gss in hubs
    )
    session.flush()


def pending_notifications(session: Session) -> list[BoardNotification]:
    """Pushes not yet delivered, oldest first."""
    query = (
        select(BoardNotification)
        .where(BoardNotification.delivered_at.is_(None))
        .order_by(BoardNotification.id)
    )
    return list(session.scalars(query))


Post = Callable[[str], None]
"""Send an empty POST to a URL; raise OSError (requests' errors are OSErrors) when the hub
could not be reached, or NotificationRefused when it answered with anything but 2xx."""


class NotificationRefused(Exception):
    """A hub answered a push with a status other than 2xx."""


def post_notification(url: str) -> None:
    """POST with no body, 2 s timeout; a status other than 2xx is a failure."""
    answer = requests.post(url, data=b"", timeout=NOTIFY_TIMEOUT_SECONDS)
    if not 200 <= answer.status_code < 300:
        raise NotificationRefused(f"HTTP {answer.status_code}")


@dataclass(frozen=True)
class DeliveryReport:
    delivered: list[str]  # hub GSS codes
    failed: dict[str, str]  # hub GSS code -> the error

    @property
    def pending(self) -> int:
        return len(self.failed)


def deliver_notifications(
    session: Session, *, post: Post = post_notification, now: datetime | None = None
) -> DeliveryReport:
    """Try each hub owed a push once; a delivery settles every pending row for that hub.

    Failures stay pending, with the attempt counted and the error kept. The
    caller commits.
    """
    now = now or utcnow()
    by_hub: dict[str, list[BoardNotification]] = {}
    for row in pending_notifications(session):
        by_hub.setdefault(row.hub_gss, []).append(row)
    delivered: list[str] = []
    failed: dict[str, str] = {}
    for gss, rows in by_hub.items():
        hub = session.get(Hub, gss)
        url = None if hub is None or hub.revoked_at is not None else hub.notify_url
        error: str | None = None
        if url is None:
            error = "the hub has no notify URL now (or is revoked)"
        else:
            try:
                post(url)
            except (OSError, NotificationRefused) as exc:  # unreachable or refused: pending
                error = f"{type(exc).__name__}: {exc}"[:ERROR_LENGTH]
        for row in rows:
            row.attempts += 1
            row.last_attempt_at = now
            row.last_error = error
            if error is None:
                row.delivered_at = now
        if error is None:
            delivered.append(gss)
        else:
            failed[gss] = error
    session.flush()
    return DeliveryReport(delivered, failed)
