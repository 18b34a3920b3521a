"""Check a board pack's citation against the transparency log: what `hubnet audit --pack` runs.

A board pack (national_aggregator/boardpack) says which log checkpoint it was
built from (`checkpoint`: origin, size, base64 root, key id, signature) and
lists every entry it used: `submissions` (`log_index`, `hub_id`, `seq`,
`payload_sha256`) and `board_statements` (`log_index`, `response_id`,
`version`, `payload_sha256`). `PackCheck` checks, while the audit streams
the log's entries past it (`observe`, or wrap the stream with `tap`):

- the cited checkpoint is signed by the log key;
- the log being audited extends it: the Merkle root of its first `size`
  entries equals the cited root (a prefix root; the whole-log audit checks
  the rest of the tree against the newest checkpoint), and its origin is the
  same log's;
- every listed entry is the one at its `log_index`, below `size`: the
  SHA-256 of that envelope's payload matches, and so does its hub and seq
  (submissions) or response id and version (board statements).

Leaves out: whether the pack's figures follow from those entries (rebuild the
pack from the same checkpoint and compare), fetching, and the whole-log audit
itself (`audit`).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from federation.canonical import parse_json
from federation.checkpoint import Checkpoint, parse_signed_checkpoint, verify_checkpoint
from federation.errors import (
    BadSignature,
    InconsistentLog,
    ProofError,
    ProtocolError,
    SchemaViolation,
)
from federation.merkle import RootBuilder, leaf_hash


@dataclass(frozen=True)
class CitedEntry:
    """One entry a pack says it used, and what identifies it besides its payload hash."""

    where: str  # e.g. "submissions[2]", for messages
    log_index: int
    payload_sha256: str
    expect: tuple[tuple[str, Any], ...]  # payload fields that must match: ("hub_id", "E08…")


@dataclass(frozen=True)
class PackFailure:
    """One thing about the pack that does not verify, naming the field at fault."""

    error: ProtocolError

    def __str__(self) -> str:
        field_note = f" [{self.error.field}]" if self.error.field else ""
        return f"pack: {self.error.slug}{field_note}: {self.error.detail}"


def _int(value: Any, where: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise SchemaViolation(f"{where} must be a whole number from 0", field=where)
    return value


def _text(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value:
        raise SchemaViolation(f"{where} must be a non-empty string", field=where)
    return value


def cited_entries(pack: Mapping[str, Any]) -> list[CitedEntry]:
    """The submissions and board statements a pack lists; SchemaViolation naming the field."""
    entries = []
    shapes = (("submissions", ("hub_id", "seq")), ("board_statements", ("response_id", "version")))
    for name, keys in shapes:
        listed = pack.get(name, [])
        if not isinstance(listed, list):
            raise SchemaViolation(f"{name} must be a list", field=name)
        for position, item in enumerate(listed):
            where = f"{name}[{position}]"
            if not isinstance(item, Mapping):
                raise SchemaViolation(f"{where} must be an object", field=where)
            expect = tuple((key, item.get(key)) for key in keys)
            for key, value in expect:
                if value is None:
                    raise SchemaViolation(f"{where}.{key} is missing", field=f"{where}.{key}")
            entries.append(
                CitedEntry(
                    where,
                    _int(item.get("log_index"), f"{where}.log_index"),
                    _text(item.get("payload_sha256"), f"{where}.payload_sha256"),
                    expect,
                )
            )
    return entries


def _payload(raw: bytes) -> tuple[bytes, dict[str, Any]]:
    """An envelope's payload bytes and the payload parsed (signatures are the audit's job)."""
    try:
        envelope = parse_json(raw)
        payload = base64.b64decode(envelope["payload"], validate=True)
        parsed = parse_json(payload)
    except (ProtocolError, binascii.Error, KeyError, TypeError, ValueError) as exc:
        raise SchemaViolation(f"the log entry is not an envelope: {exc}") from exc
    if not isinstance(parsed, dict):
        raise SchemaViolation("the log entry's payload is not a JSON object")
    return payload, parsed


@dataclass
class PackCheck:
    """Checks one pack against a log streamed past it (see the module doc)."""

    checkpoint: Checkpoint | None
    entries: dict[int, list[CitedEntry]]
    failures: list[PackFailure] = field(default_factory=list)
    _tree: RootBuilder = field(default_factory=RootBuilder)
    _prefix_root: bytes | None = None

    @classmethod
    def start(cls, pack: Mapping[str, Any], log_public_key: Ed25519PublicKey) -> PackCheck:
        """Read the pack's citation and verify its checkpoint's signature."""
        check = cls(None, {})
        try:
            signed = parse_signed_checkpoint(pack.get("checkpoint"), prefix="checkpoint.")  # type: ignore[arg-type]
        except ProtocolError as exc:
            check.failures.append(PackFailure(exc))
        else:
            try:
                check.checkpoint = verify_checkpoint(signed, log_public_key)
            except BadSignature as exc:
                where = f"checkpoint.{exc.field or 'signature'}"
                error = BadSignature(f"the pack's {exc.detail}", field=where)
                check.failures.append(PackFailure(error))
        try:
            for entry in cited_entries(pack):
                check.entries.setdefault(entry.log_index, []).append(entry)
        except ProtocolError as exc:
            check.failures.append(PackFailure(exc))
        if check.checkpoint is not None and check.checkpoint.size == 0:
            check._prefix_root = check._tree.root()
        return check

    def observe(self, index: int, raw: bytes) -> None:
        """Take the log's next entry (index `index`, exact envelope bytes)."""
        if self.checkpoint is None or self._tree.size >= self.checkpoint.size:
            return
        self._tree.append(leaf_hash(raw))
        if self._tree.size == self.checkpoint.size:
            self._prefix_root = self._tree.root()
        for entry in self.entries.get(index, []):
            self._check_entry(entry, raw)

    def tap(self, entries: Iterable[tuple[int, bytes]]) -> Iterator[tuple[int, bytes]]:
        """Pass `entries` through unchanged, observing each one."""
        for index, raw in entries:
            self.observe(index, raw)
            yield index, raw

    def _check_entry(self, entry: CitedEntry, raw: bytes) -> None:
        try:
            payload, parsed = _payload(raw)
        except ProtocolError as exc:
            self._fail(entry, f"log entry {entry.log_index}: {exc.detail}")
            return
        actual = hashlib.sha256(payload).hexdigest()
        if actual != entry.payload_sha256:
            self._fail(
                entry,
                f"log entry {entry.log_index} has payload SHA-256 {actual}, not the pack's "
                f"{entry.payload_sha256}",
                "payload_sha256",
            )
        for key, value in entry.expect:
            if parsed.get(key) != value:
                self._fail(
                    entry,
                    f"log entry {entry.log_index} has {key} {parsed.get(key)!r}, not {value!r}",
                    key,
                )

    def _fail(self, entry: CitedEntry, detail: str, key: str | None = None) -> None:
        where = f"{entry.where}.{key}" if key else entry.where
        self.failures.append(PackFailure(ProofError(f"{where}: {detail}", field=where)))

    def finish(self, audited: Checkpoint | None) -> list[PackFailure]:
        """Every failure, once the log (checked against `audited`, its newest checkpoint) has
        streamed past."""
        cited = self.checkpoint
        if cited is None:
            return self.failures
        if audited is not None and audited.origin != cited.origin:
            self.failures.append(
                PackFailure(
                    InconsistentLog(
                        f"the pack cites log {cited.origin!r}, not the audited {audited.origin!r}",
                        field="checkpoint.origin",
                    )
                )
            )
        if self._prefix_root is None:
            self.failures.append(
                PackFailure(
                    InconsistentLog(
                        f"the pack cites a checkpoint of size {cited.size}, but the log has "
                        f"only {self._tree.size} entries",
                        field="checkpoint.size",
                    )
                )
            )
        elif self._prefix_root != cited.root:
            got = base64.b64encode(self._prefix_root).decode("ascii")
            self.failures.append(
                PackFailure(
                    InconsistentLog(
                        f"the log's first {cited.size} entries hash to root {got}, not the "
                        f"pack's {base64.b64encode(cited.root).decode('ascii')}: the log does "
                        "not extend the pack's checkpoint",
                        field="checkpoint.root",
                    )
                )
            )
        for index, entries in sorted(self.entries.items()):
            if index >= cited.size:
                for entry in entries:
                    self._fail(
                        entry,
                        f"log_index {index} is not below the checkpoint's size {cited.size}",
                        "log_index",
                    )
        return self.failures
