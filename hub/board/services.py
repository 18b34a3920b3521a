"""Pulling the board's responses from the aggregator, checking and keeping them, telling followers.

`pull_board_statements` asks `GET /api/v1/board/statements?after=<n>` for every
board statement after the largest log index this hub has already dealt with
(stored or rejected), page by page. Then, as every contact does, it takes the
aggregator's latest checkpoint, checks it with the pinned log key and proves it
consistent with the last one this hub verified (`hub.audit.services.
accept_checkpoint`). Each statement, in log order, must then

1. verify with the pinned log key (`federation.board.verify_board_statement`),
   and be the response and version the aggregator said it was;
2. follow the version of its response this hub already holds
   (`check_board_chain`): version 1 first, each later one chained by `prev`;
3. be proven included, by `GET /api/v1/log/proof/inclusion`, under the
   trusted checkpoint (leaf hash SHA-256(0x00 ‖ envelope bytes)).

What verifies is stored (`BoardResponseVersion`) and each follower of an item
whose national theme it answers is emailed once (`hub.mail.queue_mail`), in
the caller's transaction. The first statement that does not verify is
recorded as a `BoardRejection`, raises a `board-statement` alarm with the
evidence (which, like any log alarm, stops the hub trusting the aggregator
until an operator resolves it), and ends the pull: nothing after it is looked
at. Later versions of a response this hub rejected a version of are rejected
quietly (they cannot follow a gap), so a response never shows past the gap.
A statement beyond the trusted checkpoint waits for the next pull. Failures
to ask (no answer, 5xx, an unreadable answer) store nothing more and raise no
alarm: the next pull tries again. Services never commit.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from federation.board import (
    BoardStatement,
    check_board_chain,
    verify_board_statement,
)
from federation.errors import ProofError, ProtocolError, TransportError
from federation.merkle import leaf_hash, verify_inclusion
from federation.taxonomy import CURRENT_VERSION, load_taxonomy
from hub.aggregator import AggregatorLink, BadAnswer, refused
from hub.audit.contact import fetch_signed_checkpoint
from hub.audit.models import Alarm, AlarmKind, VerifiedCheckpoint
from hub.audit.services import (
    ContactFailed,
    Untrusted,
    accept_checkpoint,
    last_verified,
    raise_alarm,
    trust_alarm,
)
from hub.board.models import BoardNotice, BoardRejection, BoardResponseVersion

log = logging.getLogger(__name__)

STATEMENTS_PATH = "/api/v1/board/statements"
PAGE_SIZE = 100
MAX_PAGES = 1000  # a guard against an aggregator that never stops paging

DECISION_WORDS = {
    "accepted": "Accepted",
    "under-consideration": "Under consideration",
    "not-accepted": "Not accepted",
}
DECISION_SENTENCES = {
    "accepted": "The board accepted this priority and committed to a change.",
    "under-consideration": "The board is still considering this priority and will decide.",
    "not-accepted": "The board did not accept this priority.",
}
PROGRESS_WORDS = {
    "not-started": "Not started",
    "on-track": "On track",
    "done": "Done",
    "stalled": "Stalled",
}


def theme_name(code: str) -> str:
    """The national theme's name, or the code itself if the taxonomy does not know it."""
    try:
        return load_taxonomy(CURRENT_VERSION).name_of(code)
    except (KeyError, ValueError):
        return code


# -- what the aggregator serves -----------------------------------------------------


@dataclass(frozen=True)
class ServedStatement:
    """One row of `GET /api/v1/board/statements`, as the aggregator claims it."""

    log_index: int
    response_id: str
    version: int
    envelope: bytes


def _whole(value: Any, where: str, *, minimum: int = 0) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        raise BadAnswer(f"{where} is not a whole number >= {minimum}")
    return value


def _page(link: AggregatorLink, after: int, limit: int) -> tuple[list[ServedStatement], int]:
    """One page of board statements after `after`, and the log's last board index."""
    where = f"board statements after log index {after}"
    answer = link.api.client.fetch_json(STATEMENTS_PATH, params={"after": after, "limit": limit})
    rows = answer.get("statements")
    if not isinstance(rows, list):
        raise BadAnswer(f"{where}: statements is not a list")
    last = _whole(answer.get("last_index"), f"{where}: last_index", minimum=-1)
    served: list[ServedStatement] = []
    for row in rows:
        if not isinstance(row, Mapping):
            raise BadAnswer(f"{where}: a statement is not an object")
        index = _whole(row.get("log_index"), f"{where}: log_index")
        if index <= after or (served and index <= served[-1].log_index):
            raise BadAnswer(f"{where}: log index {index} is out of order")
        response_id = row.get("response_id")
        if not isinstance(response_id, str):
            raise BadAnswer(f"{where}: log index {index} has no response_id")
        version = _whole(row.get("version"), f"{where}: log index {index} version", minimum=1)
        envelope = row.get("envelope")
        if not isinstance(envelope, str):
            raise BadAnswer(f"{where}: log index {index} has no envelope")
        try:
            raw = base64.b64decode(envelope.encode("ascii"), validate=True)
        except (binascii.Error, UnicodeEncodeError) as exc:
            raise BadAnswer(f"{where}: log index {index} envelope is not base64") from exc
        served.append(ServedStatement(index, response_id, version, raw))
    return served, last


def fetch_statements(
    link: AggregatorLink, after: int, *, page_size: int = PAGE_SIZE
) -> list[ServedStatement]:
    """Every board statement after `after`, paging (ContactFailed if the aggregator fails us)."""
    found: list[ServedStatement] = []
    try:
        for _ in range(MAX_PAGES):
            rows, last = _page(link, after, page_size)
            found.extend(rows)
            if not rows or rows[-1].log_index >= last:
                break
            after = rows[-1].log_index
    except TransportError as exc:
        raise ContactFailed(f"no board statements: {exc.detail}") from exc
    except BadAnswer as exc:
        raise ContactFailed(f"unusable board statements: {exc.detail}") from exc
    return found


# -- what this hub holds ----------------------------------------------------------------


def last_seen_index(session: Session) -> int:
    """The largest log index this hub stored or rejected a board statement at (-1: none)."""
    stored = session.scalar(select(func.max(BoardResponseVersion.log_index)))
    rejected = session.scalar(select(func.max(BoardRejection.log_index)))
    return max(-1, stored if stored is not None else -1, rejected if rejected is not None else -1)


def newest_version(session: Session, response_id: str) -> BoardResponseVersion | None:
    return session.scalar(
        select(BoardResponseVersion)
        .where(BoardResponseVersion.response_id == response_id)
        .order_by(BoardResponseVersion.version.desc())
        .limit(1)
    )


def _rejected_before(session: Session, response_id: str) -> BoardRejection | None:
    return session.scalar(
        select(BoardRejection)
        .where(BoardRejection.response_id == response_id)
        .order_by(BoardRejection.log_index)
        .limit(1)
    )


# -- the pull ----------------------------------------------------------------------------


@dataclass
class PullReport:
    """What one pull did."""

    fetched: int = 0
    checkpoint_size: int | None = None
    stored: list[BoardResponseVersion] = field(default_factory=list)
    rejected: list[BoardRejection] = field(default_factory=list)
    waiting: int = 0  # beyond the trusted checkpoint: the next pull takes them
    emails: int = 0
    alarm: Alarm | None = None  # raised by this pull
    untrusted: Alarm | None = None  # an open alarm that stopped the pull
    failure: str | None = None  # the aggregator could not be asked

    @property
    def ok(self) -> bool:
        return self.alarm is None and self.untrusted is None and self.failure is None

    def lines(self) -> list[str]:
        out: list[str] = []
        if self.checkpoint_size is not None:
            out.append(
                f"Checked against the verified log checkpoint of size {self.checkpoint_size}."
            )
        for row in self.stored:
            out.append(
                f"Stored response {row.response_id} version {row.version} "
                f"({theme_name(row.theme)}: {DECISION_WORDS.get(row.decision, row.decision)}), "
                f"log index {row.log_index}."
            )
        for rejection in self.rejected:
            out.append(f"NOT stored: log index {rejection.log_index}: {rejection.reason}")
        if self.waiting:
            out.append(
                f"{self.waiting} statement(s) are newer than the verified checkpoint; "
                "the next pull takes them."
            )
        if self.emails:
            out.append(f"Queued {self.emails} email(s) to residents following these themes.")
        if self.alarm is not None:
            out.append(f"ALARM {self.alarm.id} ({self.alarm.kind.value}): {self.alarm.detail}")
        if self.untrusted is not None:
            out.append(
                f"Nothing pulled: the aggregator's log is NOT trusted while alarm "
                f"{self.untrusted.id} ({self.untrusted.kind.value}) is unresolved."
            )
        if self.failure is not None:
            out.append(f"Could not pull the board's responses: {self.failure}")
        if self.ok and not self.stored and not self.rejected and not self.waiting:
            out.append("Nothing new from the board.")
        return out


def trusted_checkpoint(
    session: Session, link: AggregatorLink, *, now: datetime
) -> VerifiedCheckpoint:
    """The aggregator's latest checkpoint, checked as every contact checks it; the trusted one.

    Raises Untrusted (an alarm is open, or was raised) or ContactFailed.
    """
    signed = fetch_signed_checkpoint(link)
    accept_checkpoint(session, link, signed, now=now)
    trusted = last_verified(session)
    assert trusted is not None  # accept_checkpoint stored one or proved against one
    return trusted


class _Refused(Exception):
    """A statement did not verify: why, and the proof if one came."""

    def __init__(
        self, reason: str, proof: Sequence[bytes] | None = None, *, chain: bool = False
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.proof = proof
        self.chain = chain  # it does not follow the version this hub holds


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _previous(
    session: Session, link: AggregatorLink, response_id: str
) -> tuple[BoardResponseVersion | None, BoardStatement | None]:
    row = newest_version(session, response_id)
    if row is None:
        return None, None
    # What was stored verified; it is read back through the same check, never trusted raw.
    return row, verify_board_statement(row.envelope, link.log_key)


def _check_inclusion(
    link: AggregatorLink, served: ServedStatement, trusted: VerifiedCheckpoint
) -> None:
    proof: list[bytes] | None = None
    try:
        claimed, proof = link.api.inclusion_proof(served.log_index, trusted.size)
        if claimed != leaf_hash(served.envelope):
            raise ProofError("the log's leaf hash at this index is not this envelope's")
        verify_inclusion(claimed, served.log_index, trusted.size, proof, trusted.root)
    except TransportError as exc:
        if not refused(exc):
            raise ContactFailed(exc.detail) from exc
        raise _Refused(f"the aggregator refused an inclusion proof: {exc.detail}") from exc
    except (BadAnswer, ProofError) as exc:
        raise _Refused(
            f"no valid inclusion proof in the checkpoint of size {trusted.size}: {exc}", proof
        ) from exc


def _store(
    session: Session,
    served: ServedStatement,
    statement: BoardStatement,
    trusted: VerifiedCheckpoint,
    now: datetime,
) -> BoardResponseVersion:
    row = BoardResponseVersion(
        response_id=statement.response_id,
        version=statement.version,
        log_index=served.log_index,
        envelope=served.envelope,
        payload_sha256=statement.payload_sha256,
        theme=statement.theme,
        period_start=statement.period_start,
        period_end=statement.period_end,
        meeting=statement.meeting,
        decision=statement.decision,
        progress=statement.progress,
        due=statement.due,
        response=statement.response,
        reason=statement.reason,
        commitment=statement.commitment,
        owner=statement.owner,
        update=statement.update,
        at=statement.at,
        verified_checkpoint_size=trusted.size,
        received_at=now,
    )
    session.add(row)
    session.flush()
    return row


def _reject(
    session: Session,
    served: ServedStatement,
    reason: str,
    *,
    now: datetime,
    alarm: Alarm | None,
    statement: BoardStatement | None = None,
) -> BoardRejection:
    rejection = BoardRejection(
        log_index=served.log_index,
        response_id=statement.response_id if statement else served.response_id,
        version=statement.version if statement else served.version,
        envelope=served.envelope,
        reason=reason,
        alarm_id=None if alarm is None else alarm.id,
        rejected_at=now,
    )
    session.add(rejection)
    session.flush()
    return rejection


def _alarm(
    session: Session,
    link: AggregatorLink,
    served: ServedStatement,
    refusal: _Refused,
    trusted: VerifiedCheckpoint,
    previous: BoardResponseVersion | None,
    now: datetime,
) -> Alarm:
    evidence = {
        "reason": refusal.reason,
        "log_index": served.log_index,
        "response_id": served.response_id,
        "version": served.version,
        "theirs": _b64(served.envelope),
        "previous": None
        if previous is None
        else {"log_index": previous.log_index, "envelope": _b64(previous.envelope)},
        "checkpoint": json.loads(trusted.signed),
        "proof": None if refusal.proof is None else [_b64(node) for node in refusal.proof],
        "log_keyid": link.log_keyid,
    }
    detail = (
        f"the board statement at log index {served.log_index} (response {served.response_id}, "
        f"version {served.version}) was not stored: {refusal.reason}"
    )
    return raise_alarm(session, AlarmKind.BOARD_STATEMENT, detail, evidence, now=now)


def _verify(
    session: Session,
    link: AggregatorLink,
    served: ServedStatement,
    trusted: VerifiedCheckpoint,
) -> tuple[BoardStatement, BoardResponseVersion | None]:
    """The statement, checked in every way but inclusion; _Refused if it is not."""
    try:
        statement = verify_board_statement(served.envelope, link.log_key)
    except ProtocolError as exc:
        raise _Refused(
            f"it does not verify as a board statement signed by the pinned log key "
            f"{link.log_keyid}: {exc.detail}"
        ) from exc
    if (statement.response_id, statement.version) != (served.response_id, served.version):
        raise _Refused(
            f"the aggregator listed it as response {served.response_id} version "
            f"{served.version}, but it is response {statement.response_id} version "
            f"{statement.version}"
        )
    previous_row, previous = _previous(session, link, statement.response_id)
    try:
        check_board_chain(previous, statement)
    except ProtocolError as exc:
        raise _Refused(
            f"it does not follow the version this hub holds: {exc.detail}", chain=True
        ) from exc
    return statement, previous_row


def pull_board_statements(
    session: Session,
    link: AggregatorLink,
    *,
    now: datetime,
    page_size: int = PAGE_SIZE,
    notify: bool = True,
) -> PullReport:
    """Pull, verify, store and tell followers (see the module docstring). The caller commits.

    `notify`: queue the followers' emails (needs the app context, for the templates).
    """
    report = PullReport()
    blocking = trust_alarm(session)
    if blocking is not None:  # nothing the log says is trusted until an operator resolves it
        report.untrusted = blocking
        return report
    try:
        served = fetch_statements(link, last_seen_index(session), page_size=page_size)
        report.fetched = len(served)
        if not served:
            return report
        trusted = trusted_checkpoint(session, link, now=now)
        report.checkpoint_size = trusted.size
        for number, item in enumerate(served):
            if item.log_index >= trusted.size:
                report.waiting = len(served) - number
                break
            previous: BoardResponseVersion | None = None
            try:
                statement, previous = _verify(session, link, item, trusted)
                _check_inclusion(link, item, trusted)
            except _Refused as refusal:
                earlier = _rejected_before(session, item.response_id)
                if earlier is not None and refusal.chain:
                    reason = (
                        f"it follows version {earlier.version} of response {item.response_id} "
                        f"(log index {earlier.log_index}), which this hub did not store"
                    )
                    report.rejected.append(_reject(session, item, reason, now=now, alarm=None))
                    continue
                alarm = _alarm(session, link, item, refusal, trusted, previous, now)
                report.alarm = alarm
                report.rejected.append(_reject(session, item, refusal.reason, now=now, alarm=alarm))
                break
            row = _store(session, item, statement, trusted, now)
            report.stored.append(row)
            if notify:
                report.emails += notify_followers(session, row, now=now)
    except Untrusted as exc:
        report.untrusted = exc.alarm
    except ContactFailed as exc:
        report.failure = exc.detail
    return report


# -- followers ---------------------------------------------------------------------------


def notify_followers(session: Session, row: BoardResponseVersion, *, now: datetime) -> int:
    """Email every confirmed follower of a public item in this theme, once per version."""
    from hub.board.mail import queue_board_email  # the templates need Flask; import late

    people = followers_of_theme(session, row.theme)
    told = set(
        session.scalars(
            select(BoardNotice.account_id).where(
                BoardNotice.response_id == row.response_id, BoardNotice.version == row.version
            )
        )
    )
    sent = 0
    for account, items in people:
        if account.id in told:
            continue
        queue_board_email(session, account, items, row)
        session.add(
            BoardNotice(
                account_id=account.id,
                response_id=row.response_id,
                version=row.version,
                queued_at=now,
            )
        )
        sent += 1
    session.flush()
    return sent


def followers_of_theme(session: Session, code: str) -> list[tuple[Any, list[Any]]]:
    """(account, the public items it follows whose local theme maps to `code`), by account."""
    from hub.gather.models import Contribution, Status
    from hub.residents.models import Account, Follow
    from hub.themes.models import LocalTheme

    rows = session.execute(
        select(Account, Contribution)
        .join(Follow, Follow.account_id == Account.id)
        .join(Contribution, Contribution.id == Follow.contribution_id)
        .join(LocalTheme, LocalTheme.id == Contribution.theme_id)
        .where(
            LocalTheme.national_code == code,
            Account.confirmed_at.is_not(None),
            Contribution.status == Status.PUBLISHED,
            Contribution.hidden_at.is_(None),
        )
        .order_by(Account.id, Contribution.id)
    ).all()
    grouped: dict[int, tuple[Any, list[Any]]] = {}
    for account, contribution in rows:
        grouped.setdefault(account.id, (account, []))[1].append(contribution)
    return list(grouped.values())


# -- reading, for the pages ----------------------------------------------------------------


@dataclass(frozen=True)
class BoardResponseView:
    """A response as the pages show it: the newest version and the history before it."""

    current: BoardResponseVersion
    history: list[BoardResponseVersion]  # every version, oldest first
    today: date

    @property
    def theme_name(self) -> str:
        return theme_name(self.current.theme)

    @property
    def late(self) -> bool:
        return self.current.is_late(self.today)

    @property
    def decision_words(self) -> str:
        return DECISION_WORDS.get(self.current.decision, self.current.decision)

    @property
    def decision_sentence(self) -> str:
        return DECISION_SENTENCES.get(self.current.decision, "")

    @property
    def progress_words(self) -> str | None:
        progress = self.current.progress
        return None if progress is None else PROGRESS_WORDS.get(progress, progress)

    @property
    def updates(self) -> list[BoardResponseVersion]:
        """The later versions, newest first: what changed and when."""
        return [row for row in reversed(self.history) if row.version > 1]


def board_responses(
    session: Session, *, today: date, theme: str | None = None
) -> list[BoardResponseView]:
    """Every response this hub holds (optionally for one national theme), newest meeting first."""
    query = select(BoardResponseVersion).order_by(
        BoardResponseVersion.response_id, BoardResponseVersion.version
    )
    if theme is not None:
        query = query.where(BoardResponseVersion.theme == theme)
    grouped: dict[str, list[BoardResponseVersion]] = {}
    for row in session.scalars(query):
        grouped.setdefault(row.response_id, []).append(row)
    views = [BoardResponseView(rows[-1], rows, today) for rows in grouped.values()]
    views.sort(key=lambda view: (view.current.meeting, view.current.at), reverse=True)
    return views
