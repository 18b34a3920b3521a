"""Appending to the transparency log and signing its checkpoints (DESIGN.md §4).

The Merkle arithmetic is `federation.merkle`'s; this module only stores what
it asks for and reads back what it needs. Leaves out (for now): key events as
leaves, proof and entries endpoints, witness cosignatures.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from federation.canonical import canonical_json
from federation.checkpoint import Checkpoint, SignedCheckpoint, sign_checkpoint
from federation.keys import key_id, load_private_key, public_key_pem
from federation.merkle import (
    EMPTY_ROOT,
    NodeReader,
    inclusion_proof,
    leaf_hash,
    nodes_to_store,
    root_hash,
)
from national_aggregator.log.models import (
    LOG_STATE_ID,
    LeafKind,
    LogCheckpoint,
    LogLeaf,
    LogNode,
    LogState,
)


class LogKeyUnavailable(RuntimeError):
    """The log's private key cannot be read, so no checkpoint can be signed."""


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
    after it (a hub's last seq, the log size) sees every earlier commit.
    """
    size: int = session.execute(
        update(LogState)
        .where(LogState.id == LOG_STATE_ID)
        .values(size=LogState.size)
        .returning(LogState.size)
    ).scalar_one()
    return size


def node_reader(session: Session) -> NodeReader:
    """Stored subtree hashes, as `federation.merkle` reads them."""

    def read(level: int, index: int) -> bytes:
        node = session.get(LogNode, (level, index))
        if node is None:
            raise LookupError(f"log node ({level}, {index}) is missing: the log store is damaged")
        return node.hash

    return read


def append_leaf(
    session: Session,
    entry: bytes,
    *,
    size_before: int,
    kind: LeafKind,
    submission_id: str | None,
    signer: LogSigner,
    now: datetime,
) -> AppendedLeaf:
    """Append `entry` as leaf `size_before` and sign the new checkpoint (hold `lock_log` first)."""
    reader = node_reader(session)
    hashed = leaf_hash(entry)
    session.add(
        LogLeaf(
            index=size_before,
            leaf_hash=hashed,
            kind=kind,
            submission_id=submission_id,
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


def latest_checkpoint(session: Session, signer: LogSigner) -> bytes:
    """The newest signed checkpoint as JSON bytes (an empty log's is signed on demand)."""
    stored = session.scalars(
        select(LogCheckpoint.signed).order_by(LogCheckpoint.size.desc()).limit(1)
    ).first()
    if stored is not None:
        return stored
    # Ed25519 signatures are deterministic, so this is the same document every time.
    return canonical_json(signer.sign(0, EMPTY_ROOT).as_json())
