"""Queue signed summaries and deliver them to the aggregator, strictly in order.

`enqueue_summary` builds a period's summary once, signs it as the next
statement in the hub's chain (seq = last + 1, prev = the last payload's
SHA-256) and stores the envelope bytes. Re-running it for a period already in
the outbox builds nothing: a release is cached, so the same period never
leaves with two sets of numbers.

`relay_pending` sends entries in seq order. The aggregator accepts seq n only
after n − 1, so the relay stops at the first entry it cannot deliver. It
retries timing failures (no answer, 408/425/429/5xx) with "full jitter"
backoff, sleeping through the injected `sleep`. It never commits: after each
entry's state changes it calls `on_result`, where the caller commits, so a
crash mid-run loses nothing already recorded.
"""

from __future__ import annotations

import base64
import enum
import hashlib
import json
import logging
import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy import select
from sqlalchemy.orm import Session

from federation.canonical import canonical_json, parse_json
from federation.client import SubmissionClient, SubmitResponse, full_jitter_delay, verify_receipt
from federation.envelope import Statement, parse_statement, sign_statement, statement_dict
from federation.errors import ProtocolError, TransportError
from federation.periods import Period
from hub.outbox.models import OutboxEntry, OutboxStatus
from hub.summary.services import SCHEMA, build_summary

log = logging.getLogger(__name__)

BACKOFF_BASE = 2.0
BACKOFF_CAP = 3600.0


def find_entry(session: Session, period: Period, schema: str = SCHEMA) -> OutboxEntry | None:
    """The outbox entry for this schema and period, whatever its status."""
    return session.scalar(
        select(OutboxEntry).where(
            OutboxEntry.schema == schema,
            OutboxEntry.period_start == period.start,
            OutboxEntry.period_end == period.end,
        )
    )


def list_outbox(session: Session) -> list[OutboxEntry]:
    """Every outbox entry, oldest first."""
    return list(session.scalars(select(OutboxEntry).order_by(OutboxEntry.seq)))


def signed_statement(entry: OutboxEntry) -> Statement:
    """The statement inside an entry's envelope (the hub's own bytes, so no key lookup)."""
    envelope = parse_json(entry.envelope)
    payload = base64.b64decode(envelope["payload"])
    return parse_statement(payload, envelope["signatures"][0]["keyid"])


def _chain_position(session: Session) -> tuple[int, str | None]:
    """The next seq and its prev: last + 1 and the last payload's hash (1 and None at first)."""
    last = session.scalar(select(OutboxEntry).order_by(OutboxEntry.seq.desc()).limit(1))
    if last is None:
        return 1, None
    return last.seq + 1, last.payload_sha256


def enqueue_summary(
    session: Session,
    period: Period,
    *,
    private_key: Ed25519PrivateKey,
    hub_id: str,
    aud: str,
    now: datetime,
) -> OutboxEntry | None:
    """Build, sign and queue the period's summary; None if the period is already queued.

    Two pushes racing for the same seq (or period) cannot both succeed: the
    second one's flush or commit raises IntegrityError on the primary key (or
    the unique period), and the caller rolls back and tries again.
    """
    if find_entry(session, period) is not None:
        return None
    body = build_summary(session, period)
    seq, prev = _chain_position(session)
    submission_id = str(uuid.uuid4())
    statement = statement_dict(
        kind="summary",
        hub_id=hub_id,
        seq=seq,
        prev=prev,
        submission_id=submission_id,
        aud=aud,
        created=now,
        schema=SCHEMA,
        period=period,
        body=body,
    )
    entry = OutboxEntry(
        seq=seq,
        prev=prev,
        submission_id=submission_id,
        schema=SCHEMA,
        period_start=period.start,
        period_end=period.end,
        envelope=sign_statement(statement, private_key),
        # The same bytes sign_statement signs: the next statement's prev must match them.
        payload_sha256=hashlib.sha256(canonical_json(statement)).hexdigest(),
        status=OutboxStatus.PENDING,
        attempts=0,
        created_at=now,
    )
    session.add(entry)
    session.flush()
    return entry


class RelayOutcome(enum.StrEnum):
    DELIVERED = "delivered"
    WILL_RETRY = "will retry"  # timing failure, or a key the aggregator does not know yet
    REJECTED = "rejected"  # the aggregator refused these bytes for good
    OUT_OF_SEQUENCE = "out of sequence"  # 409: the aggregator expects another seq
    RECEIPT_UNVERIFIED = "receipt did not verify"
    BACKING_OFF = "backing off"  # not due yet (only when due_only)


@dataclass(frozen=True)
class RelayResult:
    """What happened to one outbox entry in this run."""

    seq: int
    period: str
    outcome: RelayOutcome
    status: int | None
    attempts: int
    detail: str

    @property
    def delivered(self) -> bool:
        return self.outcome is RelayOutcome.DELIVERED


def _problem_detail(response: SubmitResponse) -> str:
    detail = response.body.get("detail") or response.body.get("title") or "no detail given"
    return f"HTTP {response.status}: {detail}"


def _backoff(attempts: int, retry_after: float | None, rand: Callable[[], float]) -> float:
    """Seconds to wait before the next try; a server's Retry-After is respected up to the cap."""
    delay = full_jitter_delay(attempts - 1, base=BACKOFF_BASE, cap=BACKOFF_CAP, rand=rand)
    if retry_after is not None:
        delay = max(delay, min(retry_after, BACKOFF_CAP))
    return delay


@dataclass
class _Relay:
    client: SubmissionClient
    now: Callable[[], datetime]
    sleep: Callable[[float], None]
    max_attempts_per_run: int
    log_public_key: Ed25519PublicKey
    rand: Callable[[], float]

    def deliver(self, entry: OutboxEntry) -> RelayResult:
        delay = 0.0
        for attempt in range(self.max_attempts_per_run):
            if attempt:
                self.sleep(delay)
            entry.attempts += 1
            try:
                response = self.client.submit(entry.envelope)
            except TransportError as exc:
                entry.last_status, entry.last_error = None, f"no answer: {exc.detail}"
                delay = _backoff(entry.attempts, None, self.rand)
                continue
            entry.last_status = response.status
            if response.accepted:
                return self._accept(entry, response)
            if not response.retryable:
                return self._refused(entry, response)
            entry.last_error = _problem_detail(response)
            delay = _backoff(entry.attempts, response.retry_after, self.rand)
        entry.next_attempt_at = self.now() + timedelta(seconds=delay)
        return _result(
            entry,
            RelayOutcome.WILL_RETRY,
            f"{entry.last_error}; gave up for now after {self.max_attempts_per_run} tries; "
            f"next try after {entry.next_attempt_at:%Y-%m-%d %H:%M:%S} UTC",
        )

    def _accept(self, entry: OutboxEntry, response: SubmitResponse) -> RelayResult:
        try:
            checkpoint = verify_receipt(response.body, entry.envelope, self.log_public_key)
        except (ProtocolError, ValueError) as exc:
            detail = getattr(exc, "detail", str(exc))
            entry.last_error = (
                f"the aggregator answered {response.status} but its receipt does not verify "
                f"against the pinned log key: {detail}. Not marked delivered; tell the national "
                "team and keep this receipt as evidence"
            )
            entry.receipt = json.dumps(response.body, sort_keys=True)
            log.error("outbox seq %s: %s", entry.seq, entry.last_error)
            return _result(entry, RelayOutcome.RECEIPT_UNVERIFIED, entry.last_error)
        entry.status = OutboxStatus.DELIVERED
        entry.receipt = json.dumps(response.body, sort_keys=True)
        entry.delivered_at = self.now()
        entry.last_error = None
        entry.next_attempt_at = None
        return _result(
            entry,
            RelayOutcome.DELIVERED,
            f"HTTP {response.status}; in the log at index {response.body['log_index']} "
            f"(checkpoint size {checkpoint.size})",
        )

    def _refused(self, entry: OutboxEntry, response: SubmitResponse) -> RelayResult:
        entry.last_error = _problem_detail(response)
        entry.next_attempt_at = None
        if response.status == 409:
            entry.last_error = (
                f"{entry.last_error} (the aggregator expects seq "
                f"{response.body.get('expected_seq', '?')}, this is seq {entry.seq}). "
                "Resynchronising the outbox with the aggregator is not built yet (a later "
                "issue); ask the national team before sending anything else"
            )
            return _result(entry, RelayOutcome.OUT_OF_SEQUENCE, entry.last_error)
        if response.status == 401:
            # Not the envelope's fault: the national team has not registered this hub's key
            # yet. The same bytes will be accepted once they have, so keep the entry pending.
            entry.last_error += (
                " (the aggregator does not know this hub's key yet: send hub-key.pub to the "
                "national team, then run `hubnet hub outbox send`)"
            )
            return _result(entry, RelayOutcome.WILL_RETRY, entry.last_error)
        if 400 <= response.status <= 499:
            entry.status = OutboxStatus.REJECTED
            return _result(entry, RelayOutcome.REJECTED, entry.last_error)
        entry.last_error += " (an unexpected answer: check AGGREGATOR_URL)"
        return _result(entry, RelayOutcome.WILL_RETRY, entry.last_error)


def _result(entry: OutboxEntry, outcome: RelayOutcome, detail: str) -> RelayResult:
    period = Period(entry.period_start, entry.period_end).label
    return RelayResult(entry.seq, period, outcome, entry.last_status, entry.attempts, detail)


def relay_pending(
    session: Session,
    client: SubmissionClient,
    *,
    now: Callable[[], datetime],
    sleep: Callable[[float], None],
    log_public_key: Ed25519PublicKey,
    max_attempts_per_run: int = 5,
    due_only: bool = False,
    on_result: Callable[[RelayResult], Any] | None = None,
    rand: Callable[[], float] = random.random,
) -> list[RelayResult]:
    """Deliver undelivered entries in seq order; stop at the first that is not delivered.

    `on_result` runs after each entry's new state is in the session (the CLI
    commits there). With `due_only`, an entry whose `next_attempt_at` is still
    in the future is left alone (for timers that run this often).
    """
    relay = _Relay(client, now, sleep, max_attempts_per_run, log_public_key, rand)
    undelivered = session.scalars(
        select(OutboxEntry)
        .where(OutboxEntry.status != OutboxStatus.DELIVERED)
        .order_by(OutboxEntry.seq)
    ).all()
    results: list[RelayResult] = []
    for entry in undelivered:
        if entry.status is OutboxStatus.REJECTED:
            result = _result(
                entry,
                RelayOutcome.REJECTED,
                f"rejected earlier ({entry.last_error}); later entries chain from it, so the "
                "aggregator cannot accept them. Resynchronising is not built yet (a later issue)",
            )
        elif due_only and entry.next_attempt_at is not None and entry.next_attempt_at > now():
            result = _result(
                entry,
                RelayOutcome.BACKING_OFF,
                f"next try after {entry.next_attempt_at:%Y-%m-%d %H:%M:%S} UTC",
            )
        else:
            result = relay.deliver(entry)
        results.append(result)
        if on_result is not None:
            on_result(result)
        if not result.delivered:
            break
    return results
