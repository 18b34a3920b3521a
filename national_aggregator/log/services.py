"""Appending to the transparency log, signing its checkpoints, and reading it back (DESIGN.md §4).

The Merkle arithmetic is `federation.merkle`'s; this module only stores what
it asks for and reads back what it needs. Roots and proofs are computed from
the stored complete-subtree hashes (`node_reader`), O(log n) reads each, never
by loading the log. Checkpoints are stored as signed; witness cosignatures
are kept beside them and added whenever a checkpoint is served.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import Session

from federation.canonical import canonical_json, parse_json
from federation.checkpoint import (
    Checkpoint,
    SignedCheckpoint,
    parse_signed_checkpoint,
    sign_checkpoint,
    verify_cosignature,
)
from federation.envelope import KeyLookup
from federation.errors import KeyExpired, ProtocolError, RevokedKey, UnknownKey
from federation.keys import key_id, load_private_key, public_key_pem
from federation.merkle import (
    EMPTY_ROOT,
    NodeReader,
    consistency_proof,
    consistency_proof_addresses,
    inclusion_proof,
    inclusion_proof_addresses,
    leaf_hash,
    nodes_to_store,
    root_hash,
)
from national_aggregator.board.models import StoredBoardStatement
from national_aggregator.ingest.models import Submission
from national_aggregator.log.models import (
    LOG_STATE_ID,
    Cosignature,
    LeafKind,
    LogCheckpoint,
    LogLeaf,
    LogNode,
    LogState,
)
from national_aggregator.registry.models import Hub, KeyEvent

MAX_ENTRIES = 1000


class LogKeyUnavailable(RuntimeError):
    """The log's private key cannot be read, so no checkpoint can be signed."""


class BeyondTheLog(ProtocolError):
    status = 400
    slug = "beyond-the-log"
    title = "The request names a size or index beyond the log"


class CheckpointNotFound(ProtocolError):
    status = 404
    slug = "checkpoint-not-found"
    title = "This log has issued no checkpoint of that size"


class CheckpointMismatch(ProtocolError):
    status = 422
    slug = "checkpoint-mismatch"
    title = "This log's checkpoint of that size has another root"


@dataclass(frozen=True)
class LogSigner:
    """The aggregator's log key and the name (origin) its checkpoints carry."""

    origin: str
    private_key: Ed25519PrivateKey

    @property
    def keyid(self) -> str:
        return key_id(self.private_key.public_key())

    @property
    def public_key_pem(self) -> str:
        return public_key_pem(self.private_key.public_key()).decode("ascii")

    def sign(self, size: int, root: bytes) -> SignedCheckpoint:
        return sign_checkpoint(
            Checkpoint(origin=self.origin, size=size, root=root), self.private_key
        )


def load_log_signer(path: Path, origin: str) -> LogSigner:
    """Read the log key, or explain what to do when it is missing or unsafe."""
    try:
        private_key = load_private_key(path)
    except FileNotFoundError as exc:
        raise LogKeyUnavailable(
            f"The log key {path} does not exist. Make an instance with: "
            f"hubnet aggregator init --instance {path.parent}"
        ) from exc
    except (PermissionError, ValueError, UnsupportedAlgorithm) as exc:
        raise LogKeyUnavailable(f"Cannot use the log key {path}: {exc}") from exc
    return LogSigner(origin=origin, private_key=private_key)


@dataclass(frozen=True)
class AppendedLeaf:
    """Where an entry landed, with the proof and signed checkpoint a receipt carries."""

    index: int
    leaf_hash: bytes
    inclusion_proof: list[bytes]
    checkpoint: SignedCheckpoint


def lock_log(session: Session) -> int:
    """Take the log's write lock for the rest of this transaction; return the log's size.

    A no-op UPDATE of the single `log_state` row is the lock on both databases:
    PostgreSQL holds the row until commit or rollback, and on SQLite it starts
    the write transaction. Concurrent appenders wait here, so any check made
    after it (a hub's last seq, a key's revocation, the log size) sees every
    earlier commit.
    """
    size: int = session.execute(
        update(LogState)
        .where(LogState.id == LOG_STATE_ID)
        .values(size=LogState.size)
        .returning(LogState.size)
    ).scalar_one()
    return size


def log_size(session: Session) -> int:
    """The number of leaves committed so far (no lock: for readers)."""
    size: int = session.scalars(select(LogState.size).where(LogState.id == LOG_STATE_ID)).one()
    return size


def node_reader(session: Session) -> NodeReader:
    """Stored subtree hashes, as `federation.merkle` reads them."""

    def read(level: int, index: int) -> bytes:
        node = session.get(LogNode, (level, index))
        if node is None:
            raise LookupError(f"log node ({level}, {index}) is missing: the log store is damaged")
        return node.hash

    return read


def prefetched_reader(session: Session, addresses: list[tuple[int, int]]) -> NodeReader:
    """A reader answering from one SELECT of exactly the nodes a computation will read.

    `federation.merkle`'s `*_addresses` functions say which nodes a root or
    proof needs; fetching them together is several times faster than one
    query per node (bench/ingest.py prints both). The query is one
    `level = ? AND index IN (…)` per level, which both databases answer from
    the primary key (a row-value IN may make SQLite scan the table).
    """
    by_level: dict[int, list[int]] = {}
    for level, index in addresses:
        by_level.setdefault(level, []).append(index)
    nodes: dict[tuple[int, int], bytes] = {}
    if by_level:
        rows = session.execute(
            select(LogNode.level, LogNode.index, LogNode.hash).where(
                or_(
                    *(
                        and_(LogNode.level == level, LogNode.index.in_(indexes))
                        for level, indexes in by_level.items()
                    )
                )
            )
        )
        nodes = {(row.level, row.index): row.hash for row in rows}

    def read(level: int, index: int) -> bytes:
        try:
            return nodes[(level, index)]
        except KeyError:
            raise LookupError(
                f"log node ({level}, {index}) is missing: the log store is damaged"
            ) from None

    return read


def append_leaf(
    session: Session,
    entry: bytes,
    *,
    size_before: int,
    kind: LeafKind,
    signer: LogSigner,
    now: datetime,
    submission_id: str | None = None,
    key_event_id: int | None = None,
    board_statement_id: int | None = None,
) -> AppendedLeaf:
    """Append `entry` as leaf `size_before` and sign the new checkpoint (hold `lock_log` first).

    The entry's bytes stay with the row that names it (`submission_id`,
    `key_event_id` or `board_statement_id`, which must be flushed already); the
    leaf keeps its hash.
    """
    reader = node_reader(session)
    hashed = leaf_hash(entry)
    session.add(
        LogLeaf(
            index=size_before,
            leaf_hash=hashed,
            kind=kind,
            submission_id=submission_id,
            key_event_id=key_event_id,
            board_statement_id=board_statement_id,
            appended_at=now,
        )
    )
    session.add_all(
        LogNode(level=level, index=index, hash=node)
        for level, index, node in nodes_to_store(size_before, hashed, reader)
    )
    size = size_before + 1
    session.execute(update(LogState).where(LogState.id == LOG_STATE_ID).values(size=size))
    session.flush()
    root = root_hash(size, reader)
    signed = signer.sign(size, root)
    session.add(
        LogCheckpoint(size=size, root=root, signed=canonical_json(signed.as_json()), signed_at=now)
    )
    return AppendedLeaf(size_before, hashed, inclusion_proof(size_before, size, reader), signed)


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


# Checkpoints ---------------------------------------------------------------------------------


def cosignatures_json(session: Session, size: int) -> list[dict[str, str]]:
    """The witness cosignatures of the checkpoint of `size`, by witness and key id."""
    rows = session.scalars(
        select(Cosignature)
        .where(Cosignature.checkpoint_size == size)
        .order_by(Cosignature.witness_gss, Cosignature.keyid)
    ).all()
    return [
        {"witness": row.witness_gss, "keyid": row.keyid, "signature": b64(row.signature)}
        for row in rows
    ]


@dataclass(frozen=True)
class LogOverview:
    """What the home page says about the log: its size and root, and who has witnessed it."""

    size: int
    root: str
    keyid: str
    witnessed_size: int | None  # the largest checkpoint any witness has cosigned
    witnesses: list[str]  # names of the hubs that cosigned it


def log_overview(session: Session, signer: LogSigner) -> LogOverview:
    """The latest checkpoint and the most recent one witnesses cosigned."""
    latest = latest_checkpoint_json(session, signer)
    witnessed = session.scalar(select(func.max(Cosignature.checkpoint_size)))
    names: list[str] = []
    if witnessed is not None:
        names = list(
            session.scalars(
                select(Hub.name)
                .join(Cosignature, Cosignature.witness_gss == Hub.gss)
                .where(Cosignature.checkpoint_size == witnessed)
                .distinct()
                .order_by(Hub.name)
            )
        )
    return LogOverview(latest["size"], latest["root"], signer.keyid, witnessed, names)


def _with_cosignatures(session: Session, signed: bytes) -> dict[str, Any]:
    document: dict[str, Any] = parse_json(signed)
    document["cosignatures"] = cosignatures_json(session, document["size"])
    return document


def checkpoint_json(session: Session, size: int, signer: LogSigner) -> dict[str, Any] | None:
    """The signed checkpoint of `size` with its cosignatures, or None if none was issued.

    Size 0 (the empty log) is signed on demand: Ed25519 is deterministic, so it
    is the same document every time.
    """
    if size == 0:
        return signer.sign(0, EMPTY_ROOT).as_json()
    stored = session.get(LogCheckpoint, size)
    return None if stored is None else _with_cosignatures(session, stored.signed)


def latest_checkpoint_json(session: Session, signer: LogSigner) -> dict[str, Any]:
    """The newest signed checkpoint with its cosignatures (the empty log's when there is none)."""
    stored = session.scalars(
        select(LogCheckpoint.signed).order_by(LogCheckpoint.size.desc()).limit(1)
    ).first()
    if stored is None:
        return signer.sign(0, EMPTY_ROOT).as_json()
    return _with_cosignatures(session, stored)


def latest_checkpoint(session: Session, signer: LogSigner) -> bytes:
    """The newest signed checkpoint as canonical JSON bytes, with its cosignatures."""
    return canonical_json(latest_checkpoint_json(session, signer))


# Proofs and entries ----------------------------------------------------------------------------


def _within_log(session: Session, size: int, field: str) -> None:
    current = log_size(session)
    if size > current:
        raise BeyondTheLog(
            f"{field} {size} is beyond the log, which has {current} entries", field=field
        )


def inclusion_proof_json(session: Session, leaf_index: int, tree_size: int) -> dict[str, Any]:
    """The leaf's hash and its RFC 9162 inclusion proof in the tree of `tree_size` leaves."""
    _within_log(session, tree_size, "tree_size")
    leaf = session.get(LogLeaf, leaf_index)
    if leaf is None:  # below tree_size, so committed: the store is damaged
        raise LookupError(f"log leaf {leaf_index} is missing: the log store is damaged")
    reader = prefetched_reader(session, inclusion_proof_addresses(leaf_index, tree_size))
    proof = inclusion_proof(leaf_index, tree_size, reader)
    return {
        "leaf_index": leaf_index,
        "tree_size": tree_size,
        "leaf_hash": b64(leaf.leaf_hash),
        "proof": [b64(node) for node in proof],
    }


def consistency_proof_json(session: Session, first: int, second: int) -> dict[str, Any]:
    """The RFC 9162 consistency proof from the tree of `first` leaves to that of `second`."""
    _within_log(session, second, "second")
    reader = prefetched_reader(session, consistency_proof_addresses(first, second))
    proof = consistency_proof(first, second, reader)
    return {"first": first, "second": second, "proof": [b64(node) for node in proof]}


def entries_json(session: Session, start: int, end: int) -> dict[str, Any]:
    """Leaves `start` to `end` − 1 as the exact envelope bytes that were hashed."""
    _within_log(session, end, "end")
    rows = session.execute(
        select(LogLeaf.index, Submission.envelope, KeyEvent.envelope, StoredBoardStatement.envelope)
        .outerjoin(Submission, LogLeaf.submission_id == Submission.submission_id)
        .outerjoin(KeyEvent, LogLeaf.key_event_id == KeyEvent.id)
        .outerjoin(StoredBoardStatement, LogLeaf.board_statement_id == StoredBoardStatement.id)
        .where(LogLeaf.index >= start, LogLeaf.index < end)
        .order_by(LogLeaf.index)
    ).all()
    entries = []
    for index, statement, key_event, board in rows:
        envelope = next((e for e in (statement, key_event, board) if e is not None), None)
        if envelope is None:
            raise LookupError(f"log leaf {index} has no entry: the log store is damaged")
        entries.append({"index": index, "envelope": b64(envelope)})
    return {"start": start, "end": end, "entries": entries}


# Witnesses ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CosignatureRequest:
    witness: str
    keyid: str
    size: int
    root: bytes
    signature: bytes


def add_cosignature(
    session: Session, request: CosignatureRequest, *, key_lookup: KeyLookup, now: datetime
) -> tuple[dict[str, Any], bool]:
    """Check a witness's cosignature and keep it; return the checkpoint and whether it is new.

    Raises UnknownKey (401) if the key is not the witness hub's, RevokedKey or
    KeyExpired (403), CheckpointNotFound (404) if no checkpoint of that size
    was issued, CheckpointMismatch (422) if its root differs, and BadSignature
    (401) if the signature does not verify. Nothing is stored on any error.
    """
    trusted = key_lookup(request.keyid)
    if trusted is None or trusted.owner != request.witness:
        raise UnknownKey(
            f"key {request.keyid} is not a registered key of hub {request.witness}",
            field="keyid",
        )
    if trusted.revoked:
        raise RevokedKey(
            f"key {request.keyid} (hub {request.witness}) has been revoked", field="keyid"
        )
    if trusted.expired(now):
        raise KeyExpired(
            f"key {request.keyid} (hub {request.witness}) was rotated out and has expired",
            field="keyid",
        )
    stored = session.get(LogCheckpoint, request.size) if request.size <= log_size(session) else None
    if stored is None:
        raise CheckpointNotFound(
            f"this log has issued no checkpoint of size {request.size} to cosign", field="size"
        )
    if stored.root != request.root:
        raise CheckpointMismatch(
            f"this log's checkpoint of size {request.size} has root {b64(stored.root)}, "
            f"not {b64(request.root)}",
            field="root",
        )
    checkpoint = parse_signed_checkpoint(parse_json(stored.signed)).checkpoint
    verify_cosignature(checkpoint, request.signature, trusted.public_key)  # BadSignature
    existing = session.scalar(
        select(Cosignature).where(
            Cosignature.checkpoint_size == request.size, Cosignature.keyid == request.keyid
        )
    )
    if existing is None:
        session.add(
            Cosignature(
                checkpoint_size=request.size,
                witness_gss=request.witness,
                keyid=request.keyid,
                signature=request.signature,
                received_at=now,
            )
        )
        session.flush()
    return _with_cosignatures(session, stored.signed), existing is None


def refresh_cosignatures(session: Session, checkpoint: Mapping[str, Any]) -> dict[str, Any]:
    """`checkpoint` (a signed checkpoint's JSON) with the cosignatures it has now."""
    return {**checkpoint, "cosignatures": cosignatures_json(session, checkpoint["size"])}
