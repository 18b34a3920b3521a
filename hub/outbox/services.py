"""Queue signed summaries and deliver them to the aggregator, strictly in order.

`enqueue_summary` builds a period's summary once, signs it as the next
statement in the hub's chain (seq = last + 1, prev = the last payload's
SHA-256) and stores the envelope bytes. Re-running it for a period already in
the outbox builds nothing: a release is cached, so the same period never
leaves with two sets of numbers. For the same reason a period that has not
ended is refused (`PeriodNotEnded`): its numbers would be fixed, and sent,
before everyone had their say.

`relay_pending` sends entries in seq order. The aggregator accepts seq n only
after n − 1, so the relay stops at the first entry it cannot deliver. It
retries timing failures (no answer, 408/425/429/5xx) with "full jitter"
backoff, sleeping through the injected `sleep`. An entry is delivered only
when its receipt verifies and its checkpoint is consistent with the log the
hub has verified (`hub.audit.services.check_receipt`); while a trust-breaking
alarm is open nothing is sent. A 409 (or a 422 equivocation) calls the
injected `resync` once (`hub.outbox.resync`). It never commits: after each
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
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any, Protocol

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select
from sqlalchemy.orm import Session

from federation.canonical import canonical_json, parse_json
from federation.client import SubmitResponse, full_jitter_delay
from federation.envelope import Statement, parse_statement, sign_statement, statement_dict
from federation.errors import ProtocolError, TransportError
from federation.periods import Period
from hub.aggregator import AggregatorLink
from hub.audit.services import ContactFailed, Untrusted, check_receipt, trust_alarm
from hub.outbox.models import OutboxEntry, OutboxStatus
from hub.summary.services import SCHEMA, PeriodNotEnded, prepare_release

log = logging.getLogger(__name__)

ROTATION_SCHEMA = "key-rotation/1"
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


def chain_position(session: Session) -> tuple[int, str | None]:
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
    today: date | None = None,
) -> OutboxEntry | None:
    """Build, sign and queue the period's summary; None if the period is already queued.

    With `today` (`hubnet hub push` passes the current UTC date), a period
    that has not ended by then raises PeriodNotEnded and nothing is stored or
    queued: the release is cached, so a month pushed early would leave with
    its figures frozen at that moment, and later contributions would never
    be counted. Two pushes racing for the same seq (or period) cannot both
    succeed: the second one's flush or commit raises IntegrityError on the
    primary key (or the unique period), and the caller rolls back and tries
    again.
    """
    if find_entry(session, period) is not None:
        return None
    if today is not None and period.end >= today:
        # Checked here, not only by prepare_release, which returns a release
        # already stored without looking at the date.
        raise PeriodNotEnded(period)
    body = prepare_release(session, period, now=now).summary_body()
    return append_statement(
        session,
        kind="summary",
        schema=SCHEMA,
        period=period,
        body=body,
        hub_id=hub_id,
        aud=aud,
        now=now,
        sign=lambda statement: sign_statement(statement, private_key),
    )


def append_statement(
    session: Session,
    *,
    kind: str,
    schema: str,
    period: Period,
    body: Mapping[str, Any],
    hub_id: str,
    aud: str,
    now: datetime,
    sign: Callable[[Mapping[str, Any]], bytes],
) -> OutboxEntry:
    """Sign `body` as the next statement in the hub's chain and queue it (seq = last + 1)."""
    seq, prev = chain_position(session)
    statement = statement_dict(
        kind=kind,
        hub_id=hub_id,
        seq=seq,
        prev=prev,
        submission_id=str(uuid.uuid4()),
        aud=aud,
        created=now,
        schema=schema,
        period=period,
        body=body,
    )
    entry = OutboxEntry(
        seq=seq,
        prev=prev,
        submission_id=statement["submission_id"],
        schema=schema,
        period_start=period.start,
        period_end=period.end,
        envelope=sign(statement),
        # The bytes that were signed: the next statement's prev must match them.
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
    OUT_OF_SEQUENCE = "out of sequence"  # 409, or 422 equivocation: resynchronise
    RESYNCHRONISED = "resynchronised"  # the outbox was brought in line with the aggregator
    RECEIPT_UNVERIFIED = "receipt did not verify"
    BLOCKED = "blocked by an alarm"  # an open alarm: nothing is sent until it is resolved
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


class ResyncResult(Protocol):
    """What a resynchronisation reports back to the relay (see `hub.outbox.resync`)."""

    @property
    def detail(self) -> str: ...

    @property
    def may_continue(self) -> bool: ...


def _problem_detail(response: SubmitResponse) -> str:
    detail = response.body.get("detail") or response.body.get("title") or "no detail given"
    return f"HTTP {response.status}: {detail}"


def _problem_slug(response: SubmitResponse) -> str:
    kind = response.body.get("type")
    return kind.rsplit(":", 1)[-1] if isinstance(kind, str) else ""


@dataclass(frozen=True)
class RetryPolicy:
    """How the relay retries one entry within a run (HUB settings RETRY_*)."""

    base: float = BACKOFF_BASE  # seconds; full jitter doubles the ceiling each try
    cap: float = BACKOFF_CAP
    attempts_per_run: int = 5

    def backoff(self, attempts: int, retry_after: float | None, rand: Callable[[], float]) -> float:
        """Seconds before the next try; a Retry-After is respected up to the cap."""
        delay = full_jitter_delay(attempts - 1, base=self.base, cap=self.cap, rand=rand)
        if retry_after is not None:
            delay = max(delay, min(retry_after, self.cap))
        return delay


@dataclass
class _Relay:
    session: Session
    link: AggregatorLink
    now: Callable[[], datetime]
    sleep: Callable[[float], None]
    retry: RetryPolicy
    rand: Callable[[], float]

    def deliver(self, entry: OutboxEntry) -> RelayResult:
        delay = 0.0
        for attempt in range(self.retry.attempts_per_run):
            if attempt:
                self.sleep(delay)
            entry.attempts += 1
            try:
                response = self.link.api.submit(entry.envelope)
            except TransportError as exc:
                entry.last_status, entry.last_error = None, f"no answer: {exc.detail}"
                delay = self.retry.backoff(entry.attempts, None, self.rand)
                continue
            entry.last_status = response.status
            if response.accepted:
                return self._accept(entry, response)
            if not response.retryable:
                return self._refused(entry, response)
            entry.last_error = _problem_detail(response)
            delay = self.retry.backoff(entry.attempts, response.retry_after, self.rand)
        entry.next_attempt_at = self.now() + timedelta(seconds=delay)
        return _result(
            entry,
            RelayOutcome.WILL_RETRY,
            f"{entry.last_error}; gave up for now after {self.retry.attempts_per_run} tries; "
            f"next try after {entry.next_attempt_at:%Y-%m-%d %H:%M:%S} UTC",
        )

    def _accept(self, entry: OutboxEntry, response: SubmitResponse) -> RelayResult:
        entry.receipt = json.dumps(response.body, sort_keys=True)  # kept, verified or not
        try:
            checkpoint = check_receipt(
                self.session, self.link, response.body, entry.envelope, now=self.now()
            )
        except (ProtocolError, ValueError) as exc:
            detail = getattr(exc, "detail", str(exc))
            entry.last_error = (
                f"the aggregator answered {response.status} but its receipt does not verify "
                f"against the pinned log key: {detail}. Not marked delivered; tell the national "
                "team and keep this receipt as evidence"
            )
            log.error("outbox seq %s: %s", entry.seq, entry.last_error)
            return _result(entry, RelayOutcome.RECEIPT_UNVERIFIED, entry.last_error)
        except Untrusted as exc:
            entry.last_error = (
                f"the aggregator answered {response.status}, but its receipt's checkpoint cannot "
                f"be trusted: {exc}. Not marked delivered; see `hubnet hub audit`"
            )
            return _result(entry, RelayOutcome.BLOCKED, entry.last_error)
        except ContactFailed as exc:
            entry.last_error = (
                f"the aggregator answered {response.status}, but the proof that its receipt's "
                f"checkpoint is consistent with the last verified one could not be fetched "
                f"({exc.detail}); not marked delivered yet, the next run checks again"
            )
            return _result(entry, RelayOutcome.WILL_RETRY, entry.last_error)
        entry.status = OutboxStatus.DELIVERED
        entry.log_index = response.body["log_index"]
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
        if response.status == 409 and "expected_seq" in response.body:
            entry.last_error = (
                f"{entry.last_error} (the aggregator expects seq "
                f"{response.body.get('expected_seq', '?')}, this is seq {entry.seq})"
            )
            return _result(entry, RelayOutcome.OUT_OF_SEQUENCE, entry.last_error)
        if response.status == 422 and _problem_slug(response) == "equivocation":
            # These bytes were never accepted: the aggregator holds another statement at
            # this seq (a restored hub database). Resynchronising renumbers this entry.
            entry.last_error += " (the aggregator already holds another statement at this seq)"
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
    return RelayResult(entry.seq, entry.label, outcome, entry.last_status, entry.attempts, detail)


def undelivered_entries(session: Session) -> list[OutboxEntry]:
    """Entries not yet delivered, in seq order."""
    return list(
        session.scalars(
            select(OutboxEntry)
            .where(OutboxEntry.status != OutboxStatus.DELIVERED)
            .order_by(OutboxEntry.seq)
        )
    )


def relay_pending(
    session: Session,
    link: AggregatorLink,
    *,
    now: Callable[[], datetime],
    sleep: Callable[[float], None],
    max_attempts_per_run: int | None = None,
    retry: RetryPolicy | None = None,
    due_only: bool = False,
    on_result: Callable[[RelayResult], Any] | None = None,
    rand: Callable[[], float] = random.random,
    resync: Callable[[], ResyncResult] | None = None,
) -> list[RelayResult]:
    """Deliver undelivered entries in seq order; stop at the first that is not delivered.

    A receipt is accepted only if it verifies against the pinned log key and
    its checkpoint is consistent with the last one the hub verified
    (`hub.audit.services.check_receipt`). While an alarm that breaks trust is
    open, nothing is sent. On a 409 (or a 422 equivocation: another statement
    holds this seq) the relay calls `resync` once, then carries on if it may;
    a second conflict in the same run stops it. It also stops after
    delivering a key rotation, so the caller can move to the new key before
    anything else is sent. `on_result` runs after each
    entry's new state is in the session (the CLI commits there). With
    `due_only`, an entry whose `next_attempt_at` is still in the future is
    left alone (for timers that run this often).
    """
    retry = retry or RetryPolicy()
    if max_attempts_per_run is not None:
        retry = replace(retry, attempts_per_run=max_attempts_per_run)
    relay = _Relay(session, link, now, sleep, retry, rand)
    results: list[RelayResult] = []

    def record(result: RelayResult) -> RelayResult:
        results.append(result)
        if on_result is not None:
            on_result(result)
        return result

    while True:
        again = False
        for entry in undelivered_entries(session):
            blocking = trust_alarm(session)
            if blocking is not None:
                record(
                    _result(
                        entry,
                        RelayOutcome.BLOCKED,
                        f"not sent: alarm {blocking.id} ({blocking.kind.value}) is unresolved; "
                        "see `hubnet hub audit`",
                    )
                )
                break
            if entry.status is OutboxStatus.REJECTED:
                record(
                    _result(
                        entry,
                        RelayOutcome.REJECTED,
                        f"rejected earlier ({entry.last_error}); later entries chain from it, so "
                        "the aggregator cannot accept them: tell the national team",
                    )
                )
                break
            if due_only and entry.next_attempt_at is not None and entry.next_attempt_at > now():
                record(
                    _result(
                        entry,
                        RelayOutcome.BACKING_OFF,
                        f"next try after {entry.next_attempt_at:%Y-%m-%d %H:%M:%S} UTC",
                    )
                )
                break
            result = record(relay.deliver(entry))
            if result.outcome is RelayOutcome.OUT_OF_SEQUENCE and resync is not None:
                done, resync = resync(), None  # one resynchronisation per run, never a loop
                again = done.may_continue
                record(
                    RelayResult(
                        result.seq,
                        result.period,
                        RelayOutcome.RESYNCHRONISED,
                        result.status,
                        result.attempts,
                        done.detail,
                    )
                )
                break
            if not result.delivered:
                break
            if entry.schema == ROTATION_SCHEMA:
                break  # the caller swaps keys first: later entries are signed with the new one
        if not again:
            return results
