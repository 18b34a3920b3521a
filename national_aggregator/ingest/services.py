"""Receiving a hub's signed statement: DESIGN.md §3's checks in its order, then store and log.

`verify_submission` runs everything that needs only the registry and the
clock (envelope, key, signature, statement, audience, schema, disclosure, and
for a key rotation `federation.statement.verify_rotation`). `accept_statement`
takes the log's write lock, checks again that the signing keys still count
(a revocation may have been committed meanwhile), decides sequence and chain,
so two racing requests never both take one seq, and stores the statement,
its published cells, withheld breakdown tables, quotes, representation and
routing figures (summaries) or the hub's new key (rotations), and its log
leaf, in the caller's transaction.
Also here: fresh receipts, and a hub's accepted statements for
resynchronising.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import Row, insert, select
from sqlalchemy.orm import Session

from federation.canonical import canonical_json, parse_json
from federation.disclosure.routing import COUNTS as ROUTING_COUNTS
from federation.envelope import KeyLookup, Statement, verify_envelope
from federation.errors import Equivocation as EquivocationError
from federation.errors import (
    InvalidRotation,
    KeyExpired,
    ProtocolError,
    RevokedKey,
    SequenceConflict,
    UnknownKey,
)
from federation.merkle import inclusion_proof
from federation.statement import check_statement, format_utc, parse_utc, verify_rotation
from national_aggregator.db import MAX_INTEGER, rfc3339
from national_aggregator.ingest.models import (
    Equivocation,
    Submission,
    SummaryBreakdownCell,
    SummaryQuote,
    SummaryRepresentation,
    SummaryRouting,
    SummaryRoutingType,
    SummaryTheme,
    SummaryWithheldTable,
)
from national_aggregator.log.models import LeafKind, LogCheckpoint, LogLeaf
from national_aggregator.log.services import (
    LogSigner,
    append_leaf,
    b64,
    lock_log,
    node_reader,
    refresh_cosignatures,
)
from national_aggregator.registry.models import Hub, HubKey
from national_aggregator.registry.services import add_rotated_key, trusted_key_lookup


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


class SubmissionNotFound(ProtocolError):
    status = 404
    slug = "submission-not-found"
    title = "No statement with this submission_id was accepted"


class HubNotFound(ProtocolError):
    status = 404
    slug = "hub-not-found"
    title = "No hub with this GSS code is registered"


@dataclass(frozen=True)
class VerifiedSubmission:
    """A statement whose signatures, shape and content checked out, before sequence and chain."""

    statement: Statement
    key_fields: dict[str, str]  # key id → where its signature is, e.g. "signatures[0].keyid"
    new_key: Ed25519PublicKey | None = None  # the key a key rotation introduces


def verify_submission(
    session: Session, raw: bytes, *, audience: str, now: datetime
) -> VerifiedSubmission:
    """Envelope, key, signature, statement, audience, clock, schema, disclosure, rotation.

    Raises the `ProtocolError` of the first check that fails.
    """
    lookup = trusted_key_lookup(session)
    statement = verify_envelope(raw, lookup, now=now)
    signatures = parse_json(raw)["signatures"]  # verify_envelope read them: a list of objects
    key_fields = {
        keyid: f"signatures[{index}].keyid"
        for index, signature in reversed(list(enumerate(signatures)))
        if (keyid := signature["keyid"]) in statement.verified_keyids
    }
    verified = VerifiedSubmission(statement, key_fields)
    _check_keys(verified, lookup, now)
    check_statement(statement, audience=audience, now=now)
    if statement.kind == "key-rotation":
        return VerifiedSubmission(statement, key_fields, verify_rotation(raw, statement))
    return verified


def _check_keys(verified: VerifiedSubmission, lookup: KeyLookup, now: datetime) -> None:
    """Every key that signed is registered, unrevoked, and unexpired both now and at `created`.

    `verify_envelope` checks expiry against the receiver's clock; an auditor
    replaying the log can only check it against the statement's `created`
    (`federation.keyhistory`), so both must hold for the log to audit clean.
    """
    statement = verified.statement
    for keyid in statement.verified_keyids:
        field = verified.key_fields[keyid]
        trusted = lookup(keyid)
        if trusted is None:
            raise UnknownKey(f"key {keyid} is no longer registered", field=field)
        if trusted.revoked:
            raise RevokedKey(f"key {keyid} (hub {trusted.owner}) has been revoked", field=field)
        for moment in (now, statement.created):
            if trusted.expired(moment):
                assert trusted.expires_at is not None
                raise KeyExpired(
                    f"key {keyid} (hub {trusted.owner}) was rotated out and expired at "
                    f"{format_utc(trusted.expires_at)}; sign with the hub's new key",
                    field=field,
                )


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
    session: Session, verified: VerifiedSubmission, raw: bytes, *, signer: LogSigner, now: datetime
) -> Receipt:
    """Replay, equivocation, keys, sequence and chain, rotation; then store and log.

    The caller commits.
    """
    statement = verified.statement
    size_before = lock_log(session)  # first: every check below must see every earlier commit
    accepted = (
        session.scalar(
            select(Submission).where(
                Submission.hub_gss == statement.hub_id, Submission.seq == statement.seq
            )
        )
        if statement.seq <= MAX_INTEGER  # no seq past the column's range was ever accepted
        else None
    )
    if accepted is not None:
        # The signature binds the payload, not the envelope's spelling: the same signed
        # statement re-sent in a re-serialised envelope is a replay, not an equivocation.
        if accepted.payload_sha256 == statement.payload_sha256:
            return Receipt(_with_current_cosignatures(session, accepted.receipt), created=False)
        raise ConflictingStatement(statement, accepted)
    # A revocation or rotation committed since verify_submission must count: the log
    # puts this leaf after it, and an auditor checks the key valid at that position.
    _check_keys(verified, trusted_key_lookup(session, refresh=True), now)
    _check_chain(session, statement)
    if session.get(Submission, statement.submission_id) is not None:
        raise SubmissionIdReused(
            f"submission_id {statement.submission_id} belongs to an earlier statement; "
            "each statement needs a new UUIDv4",
            field="submission_id",
        )
    if verified.new_key is not None:
        _check_rotation(session, statement)
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
    if verified.new_key is not None:
        _apply_rotation(session, statement, verified.new_key, now, log_index=appended.index)
    submission.receipt = canonical_json(
        _receipt_json(submission, appended.index, appended.leaf_hash, appended.inclusion_proof,
                      appended.checkpoint.as_json())
    )  # fmt: skip
    return Receipt(submission.receipt, created=True)


def _check_rotation(session: Session, statement: Statement) -> None:
    """The old key is the hub's current key; the new key is no one else's (nor spent)."""
    old_keyid, new_keyid = statement.body["old_keyid"], statement.body["new_keyid"]
    old = session.get(HubKey, old_keyid)
    assert old is not None  # verify_rotation checked that it signed, so it is registered
    if old.expires_at is not None:
        raise InvalidRotation(
            f"key {old_keyid} was already rotated out (valid until "
            f"{format_utc(old.expires_at)}); rotate from the hub's current key",
            field="body.old_keyid",
        )
    taken = session.get(HubKey, new_keyid)
    if taken is None:
        return
    if taken.hub_gss != statement.hub_id:
        raise InvalidRotation(
            f"new key {new_keyid} is registered to hub {taken.hub_gss}; make a new key",
            field="body.new_keyid",
        )
    if taken.revoked_at is not None or taken.expires_at is not None:
        state = "revoked" if taken.revoked_at is not None else "rotated out"
        raise InvalidRotation(
            f"new key {new_keyid} was {state} before; make a new key", field="body.new_keyid"
        )


def _apply_rotation(
    session: Session, statement: Statement, new_key: Ed25519PublicKey, now: datetime,
    *, log_index: int,
) -> None:  # fmt: skip
    """The new key counts from now; the old one until `old_key_valid_until`."""
    old = session.get(HubKey, statement.body["old_keyid"])
    assert old is not None
    old.expires_at = parse_utc(statement.body["old_key_valid_until"])
    if session.get(HubKey, statement.body["new_keyid"]) is None:  # else: already this hub's
        hub = session.get(Hub, statement.hub_id)
        assert hub is not None
        add_rotated_key(session, hub, new_key, now, log_index=log_index)


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
    summary = statement.kind == "summary"
    disclosure = statement.body["disclosure"] if summary else None
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
        disclosure_k=disclosure["k"] if disclosure else None,
        mechanism=disclosure["mechanism"] if disclosure else None,
        epsilon=disclosure["epsilon"] if disclosure else None,
        payload_sha256=statement.payload_sha256,
        envelope=raw,
        receipt=b"",  # set once the log has placed the envelope
    )
    session.add(submission)
    session.flush()  # the cells and the log leaf refer to the submission
    if summary:
        _store_cells(session, statement)
    return submission


def _store_cells(session: Session, statement: Statement) -> None:
    """Copy a summary's published cells, withheld tables and quotes into their tables.

    Bulk INSERTs (one executemany per table) rather than ORM objects: a
    summary has up to about 1,300 breakdown cells, and building an object for
    each cost more than checking the whole release.
    """
    body = statement.body
    where = {
        "submission_id": statement.submission_id,
        "hub_gss": statement.hub_id,
        "period_start": statement.period.start,
        "period_end": statement.period.end,
    }
    themes = [
        {
            "theme_code": theme["code"],
            **where,
            **_cell_columns("people", theme["people"]),
            **_cell_columns("contributors", theme["contributors"]),
            **_cell_columns("supporters", theme["supporters"]),
            **_cell_columns("contributions", theme["contributions"]),
        }
        for theme in body["themes"]
    ]
    withheld: list[dict[str, Any]] = []
    cells: list[dict[str, Any]] = []
    for scope, tables in body["breakdowns"].items():
        for characteristic, table in tables.items():
            if table.get("withheld"):
                withheld.append({"scope": scope, "characteristic": characteristic, **where})
                continue
            cells.extend(
                {
                    "scope": scope,
                    "characteristic": characteristic,
                    "category": category,
                    "value": cell["value"],
                    "suppressed": cell["suppressed"],
                    **where,
                }
                for category, cell in table["cells"].items()
            )
    quotes = [
        {"position": position, "theme_code": quote["theme"], "text": quote["text"], **where}
        for position, quote in enumerate(body["quotes"])
    ]
    routing = body.get("routing")
    for model, rows in (
        (SummaryTheme, themes),
        (SummaryWithheldTable, withheld),
        (SummaryBreakdownCell, cells),
        (SummaryQuote, quotes),
        (SummaryRepresentation, representation_rows(body.get("representation"), where)),
        (SummaryRouting, [] if routing is None else [routing_row(routing, where)]),
        (SummaryRoutingType, [] if routing is None else routing_type_rows(routing, where)),
    ):
        if rows:
            session.execute(insert(model), rows)


def representation_rows(
    block: dict[str, Any] | None, where: dict[str, Any]
) -> list[dict[str, Any]]:
    """One row per group of a `representation` block; none when the hub has no profile."""
    if block is None:
        return []
    return [
        {
            "characteristic": characteristic,
            "category": category,
            "population_share": block["shares"][characteristic][category],
            **{name: figures[name] for name in ("ratio", "lower", "upper", "flag")},
            **where,
        }
        for characteristic, groups in block["groups"].items()
        for category, figures in groups.items()
    ]


def routing_row(block: dict[str, Any], where: dict[str, Any]) -> dict[str, Any]:
    """The `routing` block's window and national cell."""
    return {
        "window_start": date.fromisoformat(block["window"]["start"]),
        "window_end": date.fromisoformat(block["window"]["end"]),
        **_cell_columns("national", block["national"]),
        **where,
    }


def routing_type_rows(block: dict[str, Any], where: dict[str, Any]) -> list[dict[str, Any]]:
    """The `routing` block's cells, one row per organisation type."""
    return [
        {
            "organisation_type": kind,
            **{
                column: value
                for name in ROUTING_COUNTS
                for column, value in _cell_columns(name, row[name]).items()
            },
            "response_rate": row["response_rate"],
            "median_working_days": row["median_working_days"],
            **where,
        }
        for kind, row in block["by_organisation_type"].items()
    ]


def _cell_columns(name: str, cell: dict[str, Any]) -> dict[str, Any]:
    return {f"{name}_value": cell["value"], f"{name}_suppressed": cell["suppressed"]}


def _receipt_json(
    submission: Submission,
    log_index: int,
    leaf_hash: bytes,
    proof: list[bytes],
    checkpoint: dict[str, Any],
) -> dict[str, Any]:
    return {
        "submission_id": submission.submission_id,
        "hub_id": submission.hub_gss,
        "seq": submission.seq,
        "received_at": rfc3339(submission.received_at),
        "log_index": log_index,
        "leaf_hash": b64(leaf_hash),
        "inclusion_proof": [b64(node) for node in proof],
        "checkpoint": checkpoint,
    }


def _with_current_cosignatures(session: Session, receipt: bytes) -> bytes:
    """A stored receipt with the cosignatures its checkpoint has now.

    Byte for byte the original while no witness has cosigned that checkpoint.
    """
    document = parse_json(receipt)
    document["checkpoint"] = refresh_cosignatures(session, document["checkpoint"])
    return canonical_json(document)


def fresh_receipt(session: Session, submission_id: str) -> bytes:
    """A receipt for an accepted statement against the latest checkpoint, with its cosignatures.

    Raises SubmissionNotFound. The inclusion proof is computed now, for the
    latest checkpoint's size, so the hub can check it against that root.
    """
    submission = session.get(Submission, submission_id)
    leaf = session.scalar(select(LogLeaf).where(LogLeaf.submission_id == submission_id))
    if submission is None or leaf is None:
        raise SubmissionNotFound(
            f"no statement with submission_id {submission_id} was accepted here",
            field="submission_id",
        )
    latest = session.scalars(
        select(LogCheckpoint).order_by(LogCheckpoint.size.desc()).limit(1)
    ).one()  # the leaf exists, so a checkpoint covering it does
    proof = inclusion_proof(leaf.index, latest.size, node_reader(session))
    checkpoint = refresh_cosignatures(session, parse_json(latest.signed))
    return canonical_json(_receipt_json(submission, leaf.index, leaf.leaf_hash, proof, checkpoint))


def hub_statements(session: Session, gss: str, *, after_seq: int, limit: int) -> dict[str, Any]:
    """The hub's accepted statements after `after_seq`, in seq order, with their exact bytes.

    What a hub resynchronises from: after restoring a backup, or after a 409.
    Raises HubNotFound.
    """
    hub = session.get(Hub, gss)
    if hub is None:
        raise HubNotFound(f"no hub {gss} is registered here", field="gss")
    last = _last_accepted(session, gss)
    rows = session.execute(
        select(Submission, LogLeaf.index)
        .join(LogLeaf, LogLeaf.submission_id == Submission.submission_id)
        .where(Submission.hub_gss == gss, Submission.seq > min(after_seq, MAX_INTEGER))
        .order_by(Submission.seq)
        .limit(limit)
    ).all()
    return {
        "hub_id": gss,
        "last_seq": 0 if last is None else last.seq,
        "statements": [
            {
                "seq": submission.seq,
                "submission_id": submission.submission_id,
                "payload_sha256": submission.payload_sha256,
                "log_index": log_index,
                "envelope": b64(submission.envelope),
            }
            for submission, log_index in rows
        ],
    }


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
