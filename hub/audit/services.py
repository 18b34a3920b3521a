"""Checking the aggregator's log: checkpoints, the hub's own entries, alarms, and witnessing.

`accept_checkpoint` is the hub's trust in the log. A checkpoint must be
signed by the pinned log key (the caller checks that) and consistent with the
last one the hub verified: the same size must have the same root, a larger
one needs a consistency proof from the aggregator (RFC 9162 §2.1.4, checked
by `federation.merkle.verify_consistency`), and a smaller one (an old
receipt, a cache) a proof that it is a prefix of the last verified. A larger
consistent checkpoint becomes the new last verified. Anything else raises an
alarm and the last verified checkpoint is left alone.

`check_own_entries` proves the hub's own delivered statements are still in the
log: the entries endpoint must serve exactly the envelope bytes the hub
signed, at the index its receipt gave, and an inclusion proof must put them
under the trusted root.

While a trust-breaking alarm is open (`AlarmKind.breaks_trust`), no new
checkpoint is trusted and the relay sends nothing: an operator must look at
the evidence, talk to the national team, and resolve the alarm
(`resolve_alarm`). Resolving a `log-inconsistent` alarm makes the next
contact take the aggregator's current checkpoint as a new starting point.

Failures to *ask* (no answer, 5xx, 429, an answer that is not JSON) are not
alarms: they raise `ContactFailed`, and the next contact tries again. A
definite refusal to prove something the log signed (a 4xx), or a proof that
does not verify, is an alarm.

Services take the session and never commit.
"""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from federation.canonical import canonical_json, parse_json
from federation.checkpoint import (
    Checkpoint,
    SignedCheckpoint,
    cosign_checkpoint,
    parse_signed_checkpoint,
    verify_checkpoint,
)
from federation.client import verify_receipt
from federation.errors import ProofError, ProtocolError, TransportError
from federation.keys import key_id
from federation.merkle import leaf_hash, verify_consistency, verify_inclusion
from hub.aggregator import AggregatorLink, BadAnswer, refused
from hub.audit.models import Alarm, AlarmKind, CosignedCheckpoint, VerifiedCheckpoint
from hub.outbox.models import OutboxEntry, OutboxStatus

log = logging.getLogger(__name__)


class ContactFailed(Exception):
    """The aggregator could not be asked (no answer, a server error, an unreadable answer)."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class Untrusted(Exception):
    """The log is not trusted now: an alarm is open, or was raised by this check."""

    def __init__(self, alarm: Alarm) -> None:
        super().__init__(f"alarm {alarm.id} ({alarm.kind.value}): {alarm.detail}")
        self.alarm = alarm


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


# -- alarms ------------------------------------------------------------------------


def open_alarms(session: Session) -> list[Alarm]:
    """Every unresolved alarm, oldest first."""
    return list(
        session.scalars(select(Alarm).where(Alarm.resolved_at.is_(None)).order_by(Alarm.id))
    )


def trust_alarm(session: Session) -> Alarm | None:
    """The oldest open alarm that stops the hub trusting the aggregator, if any."""
    kinds = [kind for kind in AlarmKind if kind.breaks_trust]
    return session.scalar(
        select(Alarm)
        .where(Alarm.resolved_at.is_(None), Alarm.kind.in_(kinds))
        .order_by(Alarm.id)
        .limit(1)
    )


def raise_alarm(
    session: Session, kind: AlarmKind, detail: str, evidence: Mapping[str, Any], *, now: datetime
) -> Alarm:
    """Record an alarm with its evidence and log it at ERROR."""
    alarm = Alarm(
        kind=kind,
        detail=detail,
        evidence=json.dumps(dict(evidence), sort_keys=True, indent=1),
        created_at=now,
    )
    session.add(alarm)
    session.flush()
    log.error("ALARM %s (%s): %s", alarm.id, kind.value, detail)
    return alarm


class AlarmNotFound(LookupError):
    pass


def resolve_alarm(session: Session, alarm_id: int, note: str, *, now: datetime) -> Alarm:
    """Mark an alarm resolved, with the operator's note (AlarmNotFound if there is none)."""
    alarm = session.get(Alarm, alarm_id)
    if alarm is None:
        raise AlarmNotFound(f"there is no alarm {alarm_id}")
    if alarm.resolved_at is None:
        alarm.resolved_at, alarm.resolution = now, note
    return alarm


def alarm_evidence(alarm: Alarm) -> dict[str, Any]:
    value = json.loads(alarm.evidence)
    return value if isinstance(value, dict) else {"evidence": value}


# -- checkpoints -------------------------------------------------------------------


def last_verified(session: Session) -> VerifiedCheckpoint | None:
    """The checkpoint the hub trusts now: the newest row."""
    newest = select(VerifiedCheckpoint).order_by(VerifiedCheckpoint.id.desc()).limit(1)
    return session.scalar(newest)


def signed_json(signed: SignedCheckpoint) -> bytes:
    return canonical_json(signed.as_json())


def stored_signed(row: VerifiedCheckpoint | CosignedCheckpoint) -> SignedCheckpoint:
    return parse_signed_checkpoint(parse_json(row.signed))


@dataclass(frozen=True)
class CheckpointVerdict:
    """How a signed checkpoint relates to what the hub trusted before."""

    checkpoint: Checkpoint
    stored: VerifiedCheckpoint | None  # the new last verified, when it is one
    consistent_from: int | None  # the size it was proven consistent with
    note: str


def _store(
    session: Session, signed: SignedCheckpoint, now: datetime, note: str | None
) -> VerifiedCheckpoint:
    row = VerifiedCheckpoint(
        size=signed.checkpoint.size,
        root=signed.checkpoint.root,
        signed=signed_json(signed),
        verified_at=now,
        note=note,
    )
    session.add(row)
    session.flush()
    return row


def _log_alarm(
    session: Session,
    reason: str,
    trusted: VerifiedCheckpoint | CosignedCheckpoint,
    signed: SignedCheckpoint,
    proof: Sequence[bytes] | None,
    now: datetime,
) -> Alarm:
    verb = "verified" if isinstance(trusted, VerifiedCheckpoint) else "cosigned"
    when = trusted.verified_at if isinstance(trusted, VerifiedCheckpoint) else trusted.cosigned_at
    evidence = {
        "reason": reason,
        f"last_{verb}": json.loads(trusted.signed),
        f"last_{verb}_at": when.isoformat(),
        "new": signed.as_json(),
        "proof": None if proof is None else [_b64(node) for node in proof],
    }
    detail = (
        f"the aggregator's log checkpoint of size {signed.checkpoint.size} is not consistent "
        f"with the size {trusted.size} this hub {verb}: {reason}"
    )
    return raise_alarm(session, AlarmKind.LOG_INCONSISTENT, detail, evidence, now=now)


def _fetch_consistency(link: AggregatorLink, first: int, second: int) -> list[bytes]:
    """The proof; ProofError if the aggregator refuses or botches it, ContactFailed if no answer."""
    if first in (0, second):
        return []
    try:
        return link.api.consistency_proof(first, second)
    except TransportError as exc:
        if refused(exc):
            raise ProofError(
                f"the aggregator refused a consistency proof from {first} to {second}: {exc.detail}"
            ) from exc
        raise ContactFailed(exc.detail) from exc
    except BadAnswer as exc:
        raise ProofError(f"unusable consistency proof: {exc.detail}") from exc


def _still_signs(link: AggregatorLink, previous: Checkpoint) -> None:
    """An older checkpoint is only stale if the log still stands by the newer one we verified."""
    try:
        again = link.api.checkpoint(previous.size)
        verify_checkpoint(again, link.log_key)
    except TransportError as exc:
        if refused(exc):
            raise ProofError(
                f"the log has gone back in time: it no longer serves the checkpoint of size "
                f"{previous.size} it signed ({exc.detail})"
            ) from exc
        raise ContactFailed(exc.detail) from exc
    except (BadAnswer, ProtocolError) as exc:
        raise ContactFailed(f"unusable checkpoint of size {previous.size}: {exc}") from exc
    if again.checkpoint.root != previous.root:
        raise ProofError(f"two different roots for the same tree size {previous.size}")


def _from_receipts(
    session: Session, link: AggregatorLink, now: datetime
) -> VerifiedCheckpoint | None:
    """The newest checkpoint in the receipts already stored (a hub upgraded from issue 2)."""
    best: SignedCheckpoint | None = None
    for receipt in session.scalars(
        select(OutboxEntry.receipt).where(OutboxEntry.status == OutboxStatus.DELIVERED)
    ):
        try:
            candidate = parse_signed_checkpoint(json.loads(receipt or "{}")["checkpoint"])
            verify_checkpoint(candidate, link.log_key)
        except (KeyError, TypeError, ValueError, ProtocolError):
            continue
        if best is None or candidate.checkpoint.size > best.checkpoint.size:
            best = candidate
    if best is None:
        return None
    return _store(session, best, now, "from this hub's newest receipt (verified on delivery)")


def _restart_pending(session: Session) -> list[Alarm]:
    """Resolved log-inconsistent alarms after which no new starting point was taken yet."""
    return list(
        session.scalars(
            select(Alarm).where(
                Alarm.kind == AlarmKind.LOG_INCONSISTENT,
                Alarm.resolved_at.is_not(None),
                Alarm.restarted_at_id.is_(None),
            )
        )
    )


def accept_checkpoint(
    session: Session, link: AggregatorLink, signed: SignedCheckpoint, *, now: datetime
) -> CheckpointVerdict:
    """Check a checkpoint (already signature-verified) against the trusted history.

    Returns the verdict when it is consistent (storing it when it is the
    newest). Raises Untrusted when an alarm is open or this check raised one,
    ContactFailed when a proof could not be fetched.
    """
    blocking = trust_alarm(session)
    if blocking is not None:
        raise Untrusted(blocking)
    checkpoint = signed.checkpoint
    trusted = last_verified(session)
    restarts = _restart_pending(session)
    if trusted is None and not restarts:
        trusted = _from_receipts(session, link, now)
    if trusted is None or restarts:
        if restarts:
            note = (
                f"a new starting point after alarm {', '.join(str(a.id) for a in restarts)} "
                "was resolved"
            )
        else:
            note = "the first checkpoint this hub verified (trusted on first use)"
        row = _store(session, signed, now, note)
        for alarm in restarts:
            alarm.restarted_at_id = row.id
        return CheckpointVerdict(checkpoint, row, None, note)
    previous = stored_signed(trusted).checkpoint
    proof: list[bytes] | None = None
    try:
        if checkpoint.origin != previous.origin:
            raise ProofError(
                f"it names the log {checkpoint.origin!r}, not {previous.origin!r}", field="origin"
            )
        if checkpoint.size < previous.size:
            _still_signs(link, previous)
        first, second = sorted((previous, checkpoint), key=lambda cp: cp.size)
        proof = _fetch_consistency(link, first.size, second.size)
        verify_consistency(first.size, second.size, first.root, second.root, proof)
    except ProofError as exc:
        raise Untrusted(_log_alarm(session, exc.detail, trusted, signed, proof, now)) from exc
    if checkpoint.size > previous.size:
        row = _store(session, signed, now, None)
        return CheckpointVerdict(checkpoint, row, previous.size, f"consistent with {previous.size}")
    if checkpoint.size == previous.size:
        note = "unchanged since the last verified one"
    else:
        note = f"an older checkpoint, a prefix of the last verified one (size {previous.size})"
    return CheckpointVerdict(checkpoint, None, previous.size, note)


def check_receipt(
    session: Session,
    link: AggregatorLink,
    receipt: Mapping[str, Any],
    envelope: bytes,
    *,
    now: datetime,
) -> Checkpoint:
    """A receipt for `envelope`: signature, inclusion proof, and its checkpoint's consistency.

    Raises ProtocolError/ValueError (the receipt itself does not verify),
    Untrusted or ContactFailed (from `accept_checkpoint`).
    """
    checkpoint = verify_receipt(receipt, envelope, link.log_key)
    signed = parse_signed_checkpoint(receipt["checkpoint"])
    accept_checkpoint(session, link, signed, now=now)
    return checkpoint


# -- the hub's own entries ---------------------------------------------------------


@dataclass
class EntriesCheck:
    checked: int = 0
    alarms: list[Alarm] = field(default_factory=list)


def _runs(indices: Sequence[int]) -> list[tuple[int, int]]:
    """Contiguous [start, end) ranges covering the sorted indices."""
    runs: list[tuple[int, int]] = []
    for index in indices:
        if runs and runs[-1][1] == index:
            runs[-1] = (runs[-1][0], index + 1)
        else:
            runs.append((index, index + 1))
    return runs


def _entry_alarm(
    session: Session,
    entry: OutboxEntry,
    theirs: bytes | None,
    reason: str,
    trusted: VerifiedCheckpoint,
    now: datetime,
    proof: Sequence[bytes] | None = None,
) -> Alarm:
    evidence = {
        "reason": reason,
        "log_index": entry.log_index,
        "seq": entry.seq,
        "submission_id": entry.submission_id,
        "ours": _b64(entry.envelope),
        "theirs": None if theirs is None else _b64(theirs),
        "checkpoint": json.loads(trusted.signed),
        "proof": None if proof is None else [_b64(node) for node in proof],
        "receipt": json.loads(entry.receipt) if entry.receipt else None,
    }
    detail = f"this hub's seq {entry.seq}, at log index {entry.log_index}: {reason}"
    return raise_alarm(session, AlarmKind.ENTRY_MISMATCH, detail, evidence, now=now)


def check_own_entries(
    session: Session, link: AggregatorLink, trusted: VerifiedCheckpoint, *, now: datetime
) -> EntriesCheck:
    """Every delivered statement: the log serves our exact bytes and proves their inclusion."""
    result = EntriesCheck()
    entries = list(
        session.scalars(
            select(OutboxEntry)
            .where(OutboxEntry.status == OutboxStatus.DELIVERED, OutboxEntry.log_index.is_not(None))
            .order_by(OutboxEntry.log_index)
        )
    )
    by_index = {entry.log_index: entry for entry in entries}
    inside = [index for index in by_index if index is not None and index < trusted.size]
    for index in sorted(set(by_index) - set(inside), key=lambda i: i or 0):
        result.alarms.append(
            _entry_alarm(
                session,
                by_index[index],
                None,
                f"the log has only {trusted.size} entries, so it no longer holds it",
                trusted,
                now,
            )
        )
    served: dict[int, bytes] = {}
    try:
        for start, end in _runs(inside):
            served.update(link.api.entries(start, end))
    except TransportError as exc:
        if not refused(exc):
            raise ContactFailed(exc.detail) from exc
        reason = f"the aggregator refused to serve the entries: {exc.detail}"
        for index in inside:
            result.alarms.append(_entry_alarm(session, by_index[index], None, reason, trusted, now))
        return result
    except BadAnswer as exc:
        raise ContactFailed(exc.detail) from exc
    matching: list[OutboxEntry] = []
    for index in inside:
        entry, theirs = by_index[index], served.get(index)
        result.checked += 1
        if theirs is None:
            reason = "the entries endpoint does not serve this index"
        elif theirs != entry.envelope:
            reason = "the log serves different bytes from the envelope this hub signed and sent"
        else:
            matching.append(entry)
            continue
        result.alarms.append(_entry_alarm(session, entry, theirs, reason, trusted, now))
    root = trusted.root
    for entry in matching:
        assert entry.log_index is not None
        proof: list[bytes] | None = None
        try:
            claimed, proof = link.api.inclusion_proof(entry.log_index, trusted.size)
            if claimed != leaf_hash(entry.envelope):
                raise ProofError("the log's leaf hash at this index is not our envelope's")
            verify_inclusion(claimed, entry.log_index, trusted.size, proof, root)
        except TransportError as exc:
            if not refused(exc):
                raise ContactFailed(exc.detail) from exc
            reason = f"the aggregator refused an inclusion proof: {exc.detail}"
        except (BadAnswer, ProofError) as exc:
            reason = f"no valid inclusion proof in the checkpoint of size {trusted.size}: {exc}"
        else:
            continue
        result.alarms.append(
            _entry_alarm(session, entry, entry.envelope, reason, trusted, now, proof)
        )
    return result


# -- delivery ----------------------------------------------------------------------


def oldest_pending(session: Session) -> OutboxEntry | None:
    return session.scalar(
        select(OutboxEntry)
        .where(OutboxEntry.status == OutboxStatus.PENDING)
        .order_by(OutboxEntry.created_at, OutboxEntry.seq)
        .limit(1)
    )


def _open_delivery_alarm(session: Session) -> Alarm | None:
    return session.scalar(
        select(Alarm)
        .where(Alarm.kind == AlarmKind.DELIVERY, Alarm.resolved_at.is_(None))
        .order_by(Alarm.id)
        .limit(1)
    )


def age_text(age: timedelta) -> str:
    days, hours = age.days, age.seconds // 3600
    if days:
        return f"{days} day{'s' if days != 1 else ''} {hours} h"
    return f"{hours} h {age.seconds % 3600 // 60} min"


def check_delivery(session: Session, *, alert_days: float, now: datetime) -> Alarm | None:
    """Raise (or keep) the delivery alarm while the oldest pending entry is too old."""
    entry = oldest_pending(session)
    alarm = _open_delivery_alarm(session)
    if entry is None or now - entry.created_at < timedelta(days=alert_days):
        if alarm is not None:
            alarm.resolved_at = now
            alarm.resolution = "resolved automatically: nothing has waited that long any more"
        return None
    age = now - entry.created_at
    period = entry.label
    detail = (
        f"seq {entry.seq} ({period}) has waited {age_text(age)} to be delivered "
        f"(the alert is set at DELIVERY_ALERT_DAYS = {alert_days:g}); "
        f"last error: {entry.last_error or 'none recorded'}"
    )
    evidence = {
        "seq": entry.seq,
        "period": period,
        "queued_at": entry.created_at.isoformat(),
        "attempts": entry.attempts,
        "last_status": entry.last_status,
        "last_error": entry.last_error,
    }
    if alarm is None:
        return raise_alarm(session, AlarmKind.DELIVERY, detail, evidence, now=now)
    alarm.detail, alarm.evidence = detail, json.dumps(evidence, sort_keys=True, indent=1)
    log.error("ALARM %s (%s): %s", alarm.id, alarm.kind.value, detail)
    return alarm


# -- witness -----------------------------------------------------------------------


def last_cosigned(session: Session) -> CosignedCheckpoint | None:
    newest = select(CosignedCheckpoint).order_by(CosignedCheckpoint.size.desc()).limit(1)
    return session.scalar(newest)


@dataclass(frozen=True)
class Cosigning:
    """The cosignature to post for a checkpoint (already stored), or why none is needed."""

    row: CosignedCheckpoint | None
    already_listed: bool
    note: str

    def as_json(self, hub_id: str) -> dict[str, Any]:
        assert self.row is not None
        return {
            "witness": hub_id,
            "keyid": self.row.keyid,
            "size": self.row.size,
            "root": _b64(self.row.root),
            "signature": _b64(self.row.signature),
        }


def witness_checkpoint(
    session: Session,
    link: AggregatorLink,
    signed: SignedCheckpoint,
    *,
    private_key: Ed25519PrivateKey,
    now: datetime,
) -> Cosigning:
    """Prove `signed` consistent with the last checkpoint this hub cosigned, then cosign it.

    The hub's key signs `hubnet-cosignature/1\\n` and the note text
    (`federation.checkpoint.cosign_checkpoint`). Raises Untrusted (an alarm
    is open, or raised here: nothing is signed) or ContactFailed. The
    cosignature is stored before it is posted, so a rerun posts the same one.
    """
    keyid = key_id(private_key.public_key())
    blocking = trust_alarm(session)
    if blocking is not None:
        raise Untrusted(blocking)
    checkpoint = signed.checkpoint
    listed = any(
        isinstance(cosig, Mapping)
        and cosig.get("witness") == link.hub_id
        and cosig.get("keyid") == keyid
        for cosig in signed.cosignatures
    )
    previous_row = last_cosigned(session)
    if previous_row is not None:
        previous = stored_signed(previous_row).checkpoint
        proof: list[bytes] | None = None
        try:
            if checkpoint.origin != previous.origin:
                raise ProofError(f"it names the log {checkpoint.origin!r}, not {previous.origin!r}")
            first, second = sorted((previous, checkpoint), key=lambda cp: cp.size)
            proof = _fetch_consistency(link, first.size, second.size)
            verify_consistency(first.size, second.size, first.root, second.root, proof)
        except ProofError as exc:
            alarm = _log_alarm(session, exc.detail, previous_row, signed, proof, now)
            raise Untrusted(alarm) from exc
        if checkpoint.size < previous.size:
            return Cosigning(None, listed, f"already cosigned a later checkpoint ({previous.size})")
        if checkpoint.size == previous.size:
            return Cosigning(previous_row, listed, f"already cosigned size {previous.size}")
    row = CosignedCheckpoint(
        size=checkpoint.size,
        root=checkpoint.root,
        signed=signed_json(signed),
        keyid=keyid,
        signature=cosign_checkpoint(checkpoint, private_key),
        cosigned_at=now,
    )
    session.add(row)
    session.flush()
    return Cosigning(row, listed, f"cosigned size {checkpoint.size}")


# -- status ------------------------------------------------------------------------


@dataclass(frozen=True)
class FederationStatus:
    """Everything the status page and `hubnet hub audit` show (public: no personal data)."""

    last_verified: VerifiedCheckpoint | None
    counts: dict[str, int]
    oldest_pending: OutboxEntry | None
    oldest_pending_age: timedelta | None
    open_alarms: list[Alarm]
    resolved_alarms: list[Alarm]
    last_cosigned: CosignedCheckpoint | None

    @property
    def delivery_alarm(self) -> Alarm | None:
        return next((a for a in self.open_alarms if a.kind is AlarmKind.DELIVERY), None)

    @property
    def all_well(self) -> bool:
        return not self.open_alarms


def federation_status(
    session: Session, *, now: datetime, resolved_limit: int = 10
) -> FederationStatus:
    """The hub's view of its federation, read from the database (no contact)."""
    counts = {status.value: 0 for status in OutboxStatus}
    for status, number in session.execute(
        select(OutboxEntry.status, func.count()).group_by(OutboxEntry.status)
    ):
        counts[OutboxStatus(status).value] = number
    pending = oldest_pending(session)
    resolved = list(
        session.scalars(
            select(Alarm)
            .where(Alarm.resolved_at.is_not(None))
            .order_by(Alarm.resolved_at.desc(), Alarm.id.desc())
            .limit(resolved_limit)
        )
    )
    return FederationStatus(
        last_verified=last_verified(session),
        counts=counts,
        oldest_pending=pending,
        oldest_pending_age=None if pending is None else now - pending.created_at,
        open_alarms=open_alarms(session),
        resolved_alarms=resolved,
        last_cosigned=last_cosigned(session),
    )
