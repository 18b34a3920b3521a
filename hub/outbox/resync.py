"""Bring the outbox back in line with what the aggregator holds for this hub.

The hub's chain and the aggregator's copy of it can drift apart: the hub's
database is restored from a backup (it forgets statements it sent), an
answer is lost (the aggregator has a statement the hub still has as pending),
or the aggregator is restored from a backup (it forgets statements the hub
has as delivered). `resynchronise` reads the aggregator's statements for this
hub (`GET /api/v1/hubs/<gss>/statements`) from the last seq the hub knows it
delivered, and then:

(a) a statement the aggregator holds that the outbox lacks, or has as pending
    with the same payload, is stored (or marked) delivered, with a fresh
    receipt that is verified like any other (`check_receipt`). It must be
    signed by one of this hub's own keys. A pending entry for the same
    period with other bytes is dropped: that period has been delivered.
(b) the hub's still-pending entries are renumbered to follow the aggregator's
    last seq, re-signing the same body with the new seq and prev (and with
    the current key, if an older one signed it): those bytes were never
    accepted, so nothing that counts changes.
(c) statements the hub has as delivered but the aggregator no longer holds
    are marked pending again; the relay resends the same bytes in order.
(d) if the aggregator holds a *different* statement at a seq the hub has as
    delivered (or one this hub's keys did not sign), nothing is changed: an
    alarm is raised with both envelopes as evidence, and the relay stops.

Everything is fetched and checked before anything is changed, so a failure
half-way (`ContactFailed`) leaves the outbox as it was. A rejected entry
stops resynchronisation: the relay cannot pass it either (see the operators'
guide). Services take the session and never commit.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session

from federation.canonical import canonical_json, parse_json
from federation.envelope import Statement, TrustedKey, sign_statement, verify_envelope
from federation.errors import ProtocolError, TransportError
from federation.keys import key_id
from federation.statement import sign_rotation
from hub.aggregator import AggregatorLink, AggregatorStatement, BadAnswer, StatementsPage
from hub.audit.models import Alarm, AlarmKind
from hub.audit.services import ContactFailed, Untrusted, check_receipt, raise_alarm
from hub.keys.services import HubKeys
from hub.outbox.models import OutboxEntry, OutboxStatus
from hub.outbox.services import list_outbox

ROTATION_SCHEMA = "key-rotation/1"


@dataclass
class ResyncReport:
    """What one resynchronisation found and did."""

    aggregator_last_seq: int = 0
    imported: list[int] = field(default_factory=list)  # (a) now delivered, from the aggregator
    superseded: list[int] = field(default_factory=list)  # (a) pending, same period delivered
    renumbered: list[tuple[int, int]] = field(default_factory=list)  # (b) old seq → new seq
    resigned: list[int] = field(default_factory=list)  # (b) re-signed with the current key
    requeued: list[int] = field(default_factory=list)  # (c) delivered, the aggregator lost it
    conflict: Alarm | None = None  # (d)
    blocked: str | None = None  # why nothing was done

    @property
    def changed(self) -> bool:
        return bool(
            self.imported or self.superseded or self.renumbered or self.resigned or self.requeued
        )

    @property
    def may_continue(self) -> bool:
        return self.conflict is None and self.blocked is None

    @property
    def detail(self) -> str:
        if self.conflict is not None:
            return f"ALARM {self.conflict.id} ({self.conflict.kind.value}): {self.conflict.detail}"
        if self.blocked is not None:
            return f"not resynchronised: {self.blocked}"
        parts = []
        if self.imported:
            parts.append(f"marked delivered from the aggregator's copy: seq {_seqs(self.imported)}")
        if self.superseded:
            parts.append(
                f"dropped seq {_seqs(self.superseded)} (the aggregator already has that period)"
            )
        if self.requeued:
            parts.append(
                f"the aggregator no longer holds seq {_seqs(self.requeued)}: pending again, "
                "to be sent again in order"
            )
        if self.renumbered:
            moves = ", ".join(f"{old}→{new}" for old, new in self.renumbered)
            parts.append(f"renumbered pending entries {moves} and signed them again")
        if self.resigned:
            parts.append(f"signed seq {_seqs(self.resigned)} again with the current key")
        if not parts:
            return (
                "in step with the aggregator (its last seq for this hub is "
                f"{self.aggregator_last_seq})"
            )
        return (
            f"resynchronised with the aggregator (its last seq for this hub is "
            f"{self.aggregator_last_seq}): " + "; ".join(parts)
        )


def _seqs(seqs: list[int]) -> str:
    return ", ".join(str(seq) for seq in seqs)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _fetch(link: AggregatorLink, after_seq: int) -> StatementsPage:
    try:
        return link.api.statements(link.hub_id, after_seq)
    except (TransportError, BadAnswer) as exc:
        raise ContactFailed(f"could not read the aggregator's statements: {exc}") from exc


def _aggregator_view(
    link: AggregatorLink, known: int
) -> tuple[int, dict[int, AggregatorStatement]]:
    """The aggregator's last seq, and its statements from seq `known` (or its last, if lower)."""
    page = _fetch(link, max(known - 1, 0))
    last = page.last_seq
    held = {row.seq: row for row in page.statements}
    while page.statements and max(held) < last:
        page = _fetch(link, max(held))
        held.update({row.seq: row for row in page.statements})
    if 1 <= last < known and last not in held:
        held.update({row.seq: row for row in _fetch(link, last - 1).statements if row.seq == last})
    return last, {seq: row for seq, row in held.items() if seq <= last}


def _conflict(
    session: Session,
    mine: OutboxEntry | None,
    theirs: AggregatorStatement,
    reason: str,
    last_seq: int,
    now: datetime,
) -> Alarm:
    evidence: dict[str, Any] = {
        "reason": reason,
        "seq": theirs.seq,
        "aggregator_last_seq": last_seq,
        "theirs": {
            "submission_id": theirs.submission_id,
            "payload_sha256": theirs.payload_sha256,
            "log_index": theirs.log_index,
            "envelope": _b64(theirs.envelope),
        },
        "ours": None,
    }
    if mine is not None:
        evidence["ours"] = {
            "status": mine.status.value,
            "submission_id": mine.submission_id,
            "payload_sha256": mine.payload_sha256,
            "log_index": mine.log_index,
            "envelope": _b64(mine.envelope),
            "receipt": json.loads(mine.receipt) if mine.receipt else None,
        }
    detail = f"the aggregator holds a different statement at this hub's seq {theirs.seq}: {reason}"
    return raise_alarm(session, AlarmKind.SEQUENCE_CONFLICT, detail, evidence, now=now)


def _own_statement(link: AggregatorLink, keys: HubKeys, row: AggregatorStatement) -> Statement:
    """Check a statement the aggregator holds was signed by this hub; ProtocolError if not."""
    own = {keyid: TrustedKey(key, link.hub_id) for keyid, key in keys.own_public_keys().items()}
    statement = verify_envelope(row.envelope, own.get)
    if statement.hub_id != link.hub_id or statement.seq != row.seq:
        raise ProtocolError(f"the envelope is seq {statement.seq} of hub {statement.hub_id}")
    if statement.payload_sha256 != row.payload_sha256:
        raise ProtocolError("the envelope's payload hash is not the one listed")
    return statement


@dataclass
class _Import:
    row: AggregatorStatement
    statement: Statement
    mine: OutboxEntry | None  # an undelivered entry with the same payload, to mark delivered
    receipt: dict[str, Any] = field(default_factory=dict)


def _signing_keyid(entry: OutboxEntry) -> str:
    return str(parse_json(entry.envelope)["signatures"][0]["keyid"])


def _resign(entry: OutboxEntry, seq: int, prev: str | None, keys: HubKeys) -> tuple[bytes, str]:
    """The entry's statement with a new seq and prev, signed again: (envelope, payload hash)."""
    payload = base64.b64decode(parse_json(entry.envelope)["payload"])
    statement = dict(parse_json(payload))
    statement["seq"], statement["prev"] = seq, prev
    if entry.schema == ROTATION_SCHEMA:
        body = statement["body"]
        if keys.next is None or key_id(keys.next.public_key()) != body["new_keyid"]:
            raise ValueError(f"the rotation in seq {entry.seq} is not to hub-key.next.pem")
        if keys.current_keyid != body["old_keyid"]:
            raise ValueError(f"the rotation in seq {entry.seq} is not from hub-key.pem")
        envelope = sign_rotation(statement, keys.current, keys.next)
    else:
        envelope = sign_statement(statement, keys.current)
    return envelope, hashlib.sha256(canonical_json(statement)).hexdigest()


def resynchronise(
    session: Session, link: AggregatorLink, keys: HubKeys, *, now: datetime
) -> ResyncReport:
    """Compare the outbox with the aggregator's statements for this hub, and reconcile them.

    Raises ContactFailed (nothing changed) if the aggregator could not be read
    or a receipt could not be checked, and `Untrusted` (from `check_receipt`)
    when the log is not trusted.
    """
    report = ResyncReport()
    entries = list_outbox(session)
    mine = {entry.seq: entry for entry in entries}
    known = max((e.seq for e in entries if e.status is OutboxStatus.DELIVERED), default=0)
    last, held = _aggregator_view(link, known)
    report.aggregator_last_seq = last

    # Plan: check everything the aggregator holds against the outbox; change nothing yet.
    imports: list[_Import] = []
    for seq in sorted(held):
        row, entry = held[seq], mine.get(seq)
        if entry is not None and entry.status is OutboxStatus.DELIVERED:
            if entry.payload_sha256 != row.payload_sha256:
                reason = "this hub delivered other bytes at that seq"
                report.conflict = _conflict(session, entry, row, reason, last, now)
                return report
            continue  # the same statement; its bytes in the log are checked by the audit
        try:
            statement = _own_statement(link, keys, row)
        except ProtocolError as exc:
            reason = f"it is not signed by this hub's keys ({exc.detail})"
            report.conflict = _conflict(session, entry, row, reason, last, now)
            return report
        same = entry if entry is not None and entry.payload_sha256 == row.payload_sha256 else None
        imports.append(_Import(row, statement, same))
    matched = {item.mine.seq for item in imports if item.mine is not None}
    rejected = [
        e.seq for e in entries if e.status is OutboxStatus.REJECTED and e.seq not in matched
    ]
    if rejected:
        report.blocked = (
            f"seq {_seqs(rejected)} was rejected by the aggregator and later entries chain from "
            "it (see docs/operators.md, the outbox)"
        )
        return report
    delivered_periods = {_period_key(e): e for e in entries if e.status is OutboxStatus.DELIVERED}
    for item in imports:
        other = delivered_periods.get(_statement_period_key(item.statement))
        if other is not None:
            reason = f"this hub delivered {item.statement.period.label} as seq {other.seq}"
            report.conflict = _conflict(session, other, item.row, reason, last, now)
            return report
    for item in imports:
        try:
            item.receipt = link.api.receipt(item.row.submission_id)
        except (TransportError, BadAnswer) as exc:
            detail = f"could not fetch the receipt for seq {item.row.seq}: {exc}"
            raise ContactFailed(detail) from exc
        try:
            check_receipt(session, link, item.receipt, item.row.envelope, now=now)
        except (ProtocolError, ValueError) as exc:
            detail = getattr(exc, "detail", str(exc))
            raise ContactFailed(
                f"the aggregator's receipt for seq {item.row.seq} does not verify: {detail}"
            ) from exc

    # (c) delivered here, lost there: pending again, same bytes, same seq.
    for seq in range(last + 1, known + 1):
        entry = mine.get(seq)
        if entry is not None and entry.status is OutboxStatus.DELIVERED:
            entry.status = OutboxStatus.PENDING
            entry.receipt = entry.delivered_at = entry.next_attempt_at = None
            entry.log_index = None
            entry.last_error = (
                "the aggregator no longer holds this statement (restored from a backup?); "
                "it will be sent again, byte for byte"
            )
            report.requeued.append(seq)

    # (a) held there: delivered here, with the aggregator's exact bytes and a fresh receipt.
    imported_periods = {_statement_period_key(item.statement) for item in imports}
    waiting = [
        e
        for e in entries
        if e.status is OutboxStatus.PENDING
        and e.seq not in matched
        and e.seq not in report.requeued
    ]
    superseded = [e for e in waiting if _period_key(e) in imported_periods]
    report.superseded = [e.seq for e in superseded]

    # (b) the rest of the pending entries follow the aggregator's last seq.
    chain_top = max(last, known) if report.requeued else last
    prev = _payload_hash_at(chain_top, held, mine)
    moves: list[tuple[dict[str, Any], int]] = []
    for offset, entry in enumerate((e for e in waiting if e not in superseded), start=1):
        seq = chain_top + offset
        stale_key = entry.schema != ROTATION_SCHEMA and _signing_keyid(entry) != keys.current_keyid
        if entry.seq == seq and entry.prev == prev and not stale_key:
            prev = entry.payload_sha256
            continue
        envelope, digest = _resign(entry, seq, prev, keys)
        if entry.seq == seq:
            entry.prev, entry.envelope, entry.payload_sha256 = prev, envelope, digest
            entry.last_error = "signed again with the current key (never accepted before)"
            report.resigned.append(seq)
        else:
            columns = _columns(entry) | {"seq": seq, "prev": prev, "envelope": envelope}
            columns["payload_sha256"] = digest
            columns["last_error"] = (
                f"renumbered from seq {entry.seq} to {seq} to follow the aggregator's seq "
                f"{last}, and signed again (the old bytes were never accepted)"
            )
            moves.append((columns, entry.seq))
            report.renumbered.append((entry.seq, seq))
        prev = digest
    moved = {old for _, old in moves}
    for entry in entries:  # first out of the way: imported and renumbered rows reuse seqs
        if entry in superseded or entry.seq in moved:
            session.delete(entry)
    session.flush()
    for item in imports:
        if item.mine is not None:
            entry = item.mine
        else:
            entry = OutboxEntry(
                seq=item.row.seq,
                prev=item.statement.prev,
                submission_id=item.row.submission_id,
                schema=item.statement.schema,
                period_start=item.statement.period.start,
                period_end=item.statement.period.end,
                attempts=0,
                created_at=item.statement.created,
            )
            session.add(entry)
        entry.envelope = item.row.envelope  # exactly what the log holds
        entry.payload_sha256 = item.row.payload_sha256
        entry.status = OutboxStatus.DELIVERED
        entry.receipt = json.dumps(item.receipt, sort_keys=True)
        entry.log_index = int(item.receipt["log_index"])
        entry.delivered_at = now
        entry.last_error = entry.next_attempt_at = None
        report.imported.append(item.row.seq)
    for columns, _old in moves:
        session.add(OutboxEntry(**columns))
    session.flush()
    return report


def _period_key(entry: OutboxEntry) -> tuple[str, date, date]:
    return entry.schema, entry.period_start, entry.period_end


def _statement_period_key(statement: Statement) -> tuple[str, date, date]:
    return statement.schema, statement.period.start, statement.period.end


def _columns(entry: OutboxEntry) -> dict[str, Any]:
    return {
        "submission_id": entry.submission_id,
        "schema": entry.schema,
        "period_start": entry.period_start,
        "period_end": entry.period_end,
        "status": OutboxStatus.PENDING,
        "attempts": entry.attempts,
        "created_at": entry.created_at,
    }


def _payload_hash_at(
    seq: int, held: dict[int, AggregatorStatement], mine: dict[int, OutboxEntry]
) -> str | None:
    if seq == 0:
        return None
    if seq in held:
        return held[seq].payload_sha256
    entry = mine.get(seq)
    return None if entry is None else entry.payload_sha256


def resync_once(
    session: Session, link: AggregatorLink, keys: HubKeys, *, now: datetime
) -> ResyncReport:
    """`resynchronise` for the relay after a 409: failures become a report, not an exception."""
    try:
        return resynchronise(session, link, keys, now=now)
    except ContactFailed as exc:
        return ResyncReport(blocked=exc.detail)
    except Untrusted as exc:
        return ResyncReport(blocked=f"the log is not trusted: {exc}")
