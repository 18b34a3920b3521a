"""Receiving a hub's signed statement: DESIGN.md §3's checks in its order, then store and log.

`verify_submission` runs everything that needs only the registry and the
clock (envelope, key, signature, statement, audience, schema, disclosure).
`accept_statement` takes the log's write lock and then decides sequence and
chain, so two racing requests never both take one seq, and stores the
statement, its theme cells and its log leaf in the caller's transaction.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Row, select
from sqlalchemy.orm import Session

from federation.canonical import canonical_json
from federation.envelope import Statement, verify_envelope
from federation.errors import Equivocation as EquivocationError
from federation.errors import ProtocolError, SequenceConflict
from federation.statement import check_statement
from national_aggregator.db import rfc3339
from national_aggregator.ingest.models import Equivocation, Submission, SummaryTheme
from national_aggregator.log.models import LeafKind
from national_aggregator.log.services import AppendedLeaf, LogSigner, append_leaf, lock_log
from national_aggregator.registry.services import trusted_key_lookup


@dataclass(frozen=True)
class Receipt:
    body: bytes  # canonical JSON, returned byte for byte whenever the same envelope comes again
    created: bool  # False when these exact bytes had already been accepted


class ConflictingStatement(EquivocationError):
    """The hub signed a different statement for a seq already accepted."""

    def __init__(self, statement: Statement, accepted: Submission) -> None:
        super().__init__(
            f"hub {statement.hub_id} already has a different statement accepted at seq "
            f"{statement.seq} (submission {accepted.submission_id}); these bytes are kept "
            "as evidence of equivocation",
            field="seq",
            accepted_submission_id=accepted.submission_id,
        )
        self.hub_gss = statement.hub_id
        self.seq = statement.seq
        self.accepted_submission_id = accepted.submission_id


class SubmissionIdReused(ProtocolError):
    status = 409
    slug = "submission-id-reused"
    title = "The submission_id was already used by another statement"


def verify_submission(session: Session, raw: bytes, *, audience: str, now: datetime) -> Statement:
    """Envelope, key, signature, statement, audience, clock, schema, disclosure.

    Raises the `ProtocolError` of the first check that fails.
    """
    statement = verify_envelope(raw, trusted_key_lookup(session))
    check_statement(statement, audience=audience, now=now)
    return statement


def _last_accepted(session: Session, hub_gss: str) -> Row[tuple[int, str]] | None:
    """The seq and payload hash of the hub's last accepted statement."""
    return session.execute(
        select(Submission.seq, Submission.payload_sha256)
        .where(Submission.hub_gss == hub_gss)
        .order_by(Submission.seq.desc())
        .limit(1)
    ).first()


def next_seq(session: Session, hub_gss: str) -> int:
    """The seq the hub's next statement must carry."""
    last = _last_accepted(session, hub_gss)
    return 1 if last is None else last.seq + 1


def accept_statement(
    session: Session, statement: Statement, raw: bytes, *, signer: LogSigner, now: datetime
) -> Receipt:
    """Replay, equivocation, sequence and chain; then store and log (the caller commits)."""
    size_before = lock_log(session)  # first: every check below must see every earlier commit
    accepted = session.scalar(
        select(Submission).where(
            Submission.hub_gss == statement.hub_id, Submission.seq == statement.seq
        )
    )
    if accepted is not None:
        # The signature binds the payload, not the envelope's spelling: the same signed
        # statement re-sent in a re-serialised envelope is a replay, not an equivocation.
        if accepted.payload_sha256 == statement.payload_sha256:
            return Receipt(accepted.receipt, created=False)
        raise ConflictingStatement(statement, accepted)
    _check_chain(session, statement)
    if session.get(Submission, statement.submission_id) is not None:
        raise SubmissionIdReused(
            f"submission_id {statement.submission_id} belongs to an earlier statement; "
            "each statement needs a new UUIDv4",
            field="submission_id",
        )
    submission = _store(session, statement, raw, now)
    appended = append_leaf(
        session,
        raw,
        size_before=size_before,
        kind=LeafKind.STATEMENT,
        submission_id=submission.submission_id,
        signer=signer,
        now=now,
    )
    submission.receipt = canonical_json(_receipt_json(statement, now, appended))
    return Receipt(submission.receipt, created=True)


def _check_chain(session: Session, statement: Statement) -> None:
    last = _last_accepted(session, statement.hub_id)
    expected_seq = 1 if last is None else last.seq + 1
    if statement.seq != expected_seq:
        raise SequenceConflict(
            f"seq {statement.seq} does not follow the last statement accepted from hub "
            f"{statement.hub_id}; the next seq is {expected_seq}",
            field="seq",
            expected_seq=expected_seq,
        )
    if last is not None and statement.prev != last.payload_sha256:
        raise SequenceConflict(
            f"prev {statement.prev} is not the SHA-256 of the payload of seq {last.seq} "
            f"({last.payload_sha256})",
            field="prev",
            expected_seq=expected_seq,
        )


def _store(session: Session, statement: Statement, raw: bytes, now: datetime) -> Submission:
    submission = Submission(
        submission_id=statement.submission_id,
        hub_gss=statement.hub_id,
        seq=statement.seq,
        keyid=statement.keyid,
        kind=statement.kind,
        schema=statement.schema,
        period_start=statement.period.start,
        period_end=statement.period.end,
        created=statement.created,
        received_at=now,
        disclosure_k=statement.body["disclosure"]["k"],
        payload_sha256=statement.payload_sha256,
        envelope=raw,
        receipt=b"",  # set once the log has placed the envelope
    )
    session.add(submission)
    session.add_all(
        SummaryTheme(
            submission_id=statement.submission_id,
            theme_code=theme["code"],
            hub_gss=statement.hub_id,
            period_start=statement.period.start,
            period_end=statement.period.end,
            **_cell_columns("people", theme["people"]),
            **_cell_columns("contributors", theme["contributors"]),
            **_cell_columns("supporters", theme["supporters"]),
        )
        for theme in statement.body["themes"]
    )
    session.flush()  # the log leaf refers to the submission
    return submission


def _cell_columns(name: str, cell: dict[str, Any]) -> dict[str, Any]:
    return {f"{name}_value": cell["value"], f"{name}_suppressed": cell["suppressed"]}


def _receipt_json(
    statement: Statement, received_at: datetime, appended: AppendedLeaf
) -> dict[str, Any]:
    return {
        "submission_id": statement.submission_id,
        "hub_id": statement.hub_id,
        "seq": statement.seq,
        "received_at": rfc3339(received_at),
        "log_index": appended.index,
        "leaf_hash": _b64(appended.leaf_hash),
        "inclusion_proof": [_b64(node) for node in appended.inclusion_proof],
        "checkpoint": appended.checkpoint.as_json(),
    }


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def keep_equivocation_evidence(
    session: Session, conflict: ConflictingStatement, raw: bytes, now: datetime
) -> None:
    """Store the conflicting envelope once (the same bytes sent again add nothing)."""
    digest = hashlib.sha256(raw).hexdigest()
    already = session.scalar(
        select(Equivocation.id).where(
            Equivocation.hub_gss == conflict.hub_gss, Equivocation.envelope_sha256 == digest
        )
    )
    if already is None:
        session.add(
            Equivocation(
                hub_gss=conflict.hub_gss,
                seq=conflict.seq,
                accepted_submission_id=conflict.accepted_submission_id,
                envelope_sha256=digest,
                envelope=raw,
                received_at=now,
            )
        )
