"""Verify a whole transparency log from its entries: what `hubnet audit` runs.

`audit_log` takes the log's entries in order (index, exact envelope bytes),
the aggregator's latest signed checkpoint and the log's public key, and
checks, without trusting the aggregator for anything but the bytes:

- the checkpoint is signed by the log key;
- the entries are numbered 0, 1, 2 … and there are as many as the checkpoint says;
- every key event is signed by the log key and fits the history before it;
- every board statement (`board`) is signed by the log key, well formed, and
  follows its response's previous version (`check_board_chain`);
- every statement is signed by a key that was valid for its hub when it was
  logged (`keyhistory.KeyHistory`: registered, not revoked, not rotated out
  before its `created`), has a well-formed body, keeps the disclosure rules
  (summaries), and continues its hub's chain (`seq` = last + 1, `prev` = the
  SHA-256 of the previous payload); key rotations are checked and applied;
- the Merkle root of all the entries equals the checkpoint's root;
- each witness cosignature on the checkpoint is by a key the log records for
  that witness hub, and verifies.

The tree is rebuilt with `merkle.RootBuilder` (O(log n) memory) and the
key history keeps one record per hub and per key, so a log of millions of
entries streams through. A failure does not stop the audit: each is reported
with the leaf index (None for the log as a whole) and a typed
`ProtocolError`, and a leaf that fails does not make its hub's next leaf fail
too (its chain restarts from the next statement that verifies).

Leaves out: fetching (see `hubnet/audit.py`) and clocks.
"""

from __future__ import annotations

import base64
import binascii
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from federation.board import (
    BOARD_PAYLOAD_TYPE,
    BoardStatement,
    check_board_chain,
    verify_board_statement,
)
from federation.canonical import parse_json
from federation.checkpoint import (
    SIGNATURE_SIZE,
    Checkpoint,
    SignedCheckpoint,
    parse_signed_checkpoint,
    verify_checkpoint,
    verify_cosignature,
)
from federation.disclosure import check_cells
from federation.envelope import Statement
from federation.errors import (
    BadSignature,
    InconsistentLog,
    ProofError,
    ProtocolError,
    SchemaViolation,
    SequenceConflict,
    UnknownKey,
    WrongAudience,
)
from federation.keyevents import KeyEvent
from federation.keyhistory import KeyHistory
from federation.merkle import RootBuilder, leaf_hash
from federation.statement import validate_body


@dataclass(frozen=True)
class AuditFailure:
    """One thing that does not verify: the leaf (None: the log as a whole) and why."""

    index: int | None
    error: ProtocolError

    @property
    def reason(self) -> str:
        return self.error.detail

    def __str__(self) -> str:
        where = "log" if self.index is None else f"leaf {self.index}"
        field_note = f" [{self.error.field}]" if self.error.field else ""
        return f"{where}: {self.error.slug}{field_note}: {self.error.detail}"


@dataclass
class AuditReport:
    """What an audit found. `ok` only when nothing failed."""

    checkpoint: Checkpoint | None
    leaves: int = 0
    root: bytes = b""
    counts: Counter[str] = field(default_factory=Counter)
    hubs: set[str] = field(default_factory=set)
    witnesses: list[str] = field(default_factory=list)  # whose cosignatures verified
    failures: list[AuditFailure] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failures


@dataclass
class _Chain:
    seq: int
    payload_sha256: str


def _unverified_payload_type(raw: bytes) -> str | None:
    # Only to send a leaf to the right verifier; the verifier checks everything itself.
    try:
        payload_type = parse_json(raw).get("payloadType")
    except (ProtocolError, AttributeError):
        return None
    return payload_type if isinstance(payload_type, str) else None


def _unverified_hub_id(raw: bytes) -> str | None:
    # Only to stop one bad leaf making its hub's next leaf fail as well.
    try:
        envelope = parse_json(raw)
        payload = parse_json(base64.b64decode(envelope["payload"], validate=True))
        hub_id = payload["hub_id"]
    except (ProtocolError, binascii.Error, KeyError, TypeError, ValueError):
        return None
    return hub_id if isinstance(hub_id, str) else None


class _Auditor:
    def __init__(self, log_public_key: Ed25519PublicKey, audience: str | None) -> None:
        self.history = KeyHistory(log_public_key)
        self.log_public_key = log_public_key
        self.audience = audience
        self.board: dict[str, BoardStatement] = {}  # response id → its latest version so far
        # hub → its furthest statement so far; None: restart at its next good statement.
        self.chains: dict[str, _Chain | None] = {}

    def check_leaf(self, raw: bytes, report: AuditReport) -> None:
        if _unverified_payload_type(raw) == BOARD_PAYLOAD_TYPE:
            statement = verify_board_statement(raw, self.log_public_key)
            check_board_chain(self.board.get(statement.response_id), statement)
            self.board[statement.response_id] = statement
            report.counts["board-response"] += 1
            return
        try:
            leaf = self.history.replay(raw)
        except ProtocolError:
            self._forget_chain(raw)
            raise
        if isinstance(leaf, KeyEvent):
            report.counts[leaf.event] += 1
            report.hubs.add(leaf.hub_id)
            return
        report.counts[leaf.kind] += 1
        report.hubs.add(leaf.hub_id)
        # The statement this one must follow: seq 0 for a hub's first; None to restart.
        chain = self.chains.get(leaf.hub_id, _Chain(0, ""))
        if chain is None or leaf.seq > chain.seq:
            # Follow the furthest statement: after a swap or a gap, only the
            # leaves out of place fail, not every one after them.
            self.chains[leaf.hub_id] = _Chain(leaf.seq, leaf.payload_sha256)
        self._check_statement(leaf, chain)

    def _check_statement(self, statement: Statement, chain: _Chain | None) -> None:
        if self.audience is not None and statement.aud != self.audience:
            raise WrongAudience(
                f"statement is addressed to {statement.aud!r}, not {self.audience!r}",
                field="aud",
            )
        if chain is not None:
            expected = chain.seq + 1
            if statement.seq != expected:
                raise SequenceConflict(
                    f"hub {statement.hub_id} seq {statement.seq} follows seq {chain.seq}",
                    field="seq",
                    expected_seq=expected,
                )
            if statement.seq > 1 and statement.prev != chain.payload_sha256:
                raise SequenceConflict(
                    f"hub {statement.hub_id} seq {statement.seq} prev does not match the "
                    f"SHA-256 of seq {chain.seq}",
                    field="prev",
                    expected_seq=expected,
                )
        validate_body(statement.schema, statement.body)
        if statement.kind == "summary":
            check_cells(statement.body)

    def _forget_chain(self, raw: bytes) -> None:
        hub_id = _unverified_hub_id(raw)
        if hub_id is not None:
            self.chains[hub_id] = None


def _check_cosignature(
    cosignature: Mapping[str, Any], cp: Checkpoint, history: KeyHistory, position: int
) -> str:
    """Check one witness cosignature against the keys the log records; return the witness."""
    where = f"cosignatures[{position}]"
    witness, keyid = cosignature.get("witness"), cosignature.get("keyid")
    encoded = cosignature.get("signature")
    if not isinstance(witness, str) or not isinstance(keyid, str) or not isinstance(encoded, str):
        raise SchemaViolation(f"{where} needs witness, keyid and signature strings", field=where)
    try:
        signature = base64.b64decode(encoded.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError) as exc:
        raise SchemaViolation(f"{where}.signature is not base64", field=where) from exc
    if len(signature) != SIGNATURE_SIZE:
        raise SchemaViolation(f"{where}.signature is not {SIGNATURE_SIZE} bytes", field=where)
    trusted = history.trusted_key(keyid)
    if trusted is None or trusted.owner != witness:
        raise UnknownKey(
            f"{where}: key {keyid} is not a key the log records for witness {witness}",
            field=where,
        )
    try:
        verify_cosignature(cp, signature, trusted.public_key)
    except BadSignature as exc:
        raise BadSignature(f"{where} (witness {witness}): {exc.detail}", field=where) from exc
    return witness


def audit_log(
    entries: Iterable[tuple[int, bytes]],
    checkpoint: SignedCheckpoint | Mapping[str, Any],
    log_public_key: Ed25519PublicKey,
    *,
    audience: str | None = None,
    progress: Callable[[int], None] | None = None,
) -> AuditReport:
    """Verify every entry of the log and the tree against the checkpoint (see module doc).

    `entries` yields (index, envelope bytes) in log order, at most the
    checkpoint's size of them. `audience`, when given, is the aggregator id
    every statement must be addressed to. `progress(done)` is called after
    each entry with the number of entries checked so far.
    """
    report = AuditReport(checkpoint=None)
    signed: SignedCheckpoint | None = None
    try:
        signed = (
            checkpoint
            if isinstance(checkpoint, SignedCheckpoint)
            else parse_signed_checkpoint(checkpoint)
        )
        report.checkpoint = verify_checkpoint(signed, log_public_key)
    except ProtocolError as exc:
        report.failures.append(AuditFailure(None, exc))
    auditor = _Auditor(log_public_key, audience)
    tree = RootBuilder()
    for index, raw in entries:
        if index != tree.size:
            report.failures.append(
                AuditFailure(
                    tree.size,
                    InconsistentLog(
                        f"entry number {tree.size} is labelled index {index}", field="index"
                    ),
                )
            )
        tree.append(leaf_hash(raw))
        try:
            auditor.check_leaf(raw, report)
        except ProtocolError as exc:
            report.failures.append(AuditFailure(tree.size - 1, exc))
        if progress is not None:
            progress(tree.size)
    report.leaves, report.root = tree.size, tree.root()
    if signed is not None and report.checkpoint is not None:
        for position, cosignature in enumerate(signed.cosignatures):
            try:
                report.witnesses.append(
                    _check_cosignature(cosignature, report.checkpoint, auditor.history, position)
                )
            except ProtocolError as exc:
                report.failures.append(AuditFailure(None, exc))
    expected = report.checkpoint
    if expected is not None:
        if tree.size != expected.size:
            report.failures.append(
                AuditFailure(
                    None,
                    InconsistentLog(
                        f"the checkpoint covers {expected.size} entries; {tree.size} were checked",
                        field="size",
                    ),
                )
            )
        elif report.root != expected.root:
            report.failures.append(
                AuditFailure(
                    None,
                    ProofError(
                        f"the entries hash to root {base64.b64encode(report.root).decode()}, "
                        f"not the checkpoint's {base64.b64encode(expected.root).decode()}",
                        field="root",
                    ),
                )
            )
    return report
