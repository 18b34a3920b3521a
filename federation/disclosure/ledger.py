"""The per-hub privacy budget ledger: append-only, hash-chained (DESIGN.md §5).

A hub that turns on differential privacy spends ε with every release, and the
guarantee holds only while the total for the year stays under the cap the hub
declared. The ledger is the record of that spending: one entry per noisy
release, stating ε, the mechanism, its sensitivity and how many cells were
noised. Each entry carries the SHA-256 of the previous one, so an edit to any
past entry (to make room under the cap, or to hide a release) breaks the
chain from that point on, and the head hash (published in every release's
`disclosure.budget.ledger_head`) pins the whole history: anyone holding an
earlier release can check the hub has not rewritten what came before.

Pure data: the hub stores these rows (table `privacy_ledger`) and calls
`new_entry`, `check_budget` and `verify_ledger`; nothing here touches a
database or the network. Amounts are `Decimal` and travel as decimal strings,
so 0.1 + 0.2 is exactly 0.3 and no rounding ever lets a release slip under
the cap. Leaves out: choosing ε (the hub's settings) and caching releases
(a re-sent period reuses its stored release and is never charged again; see
`entry_for_release`).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from federation.canonical import canonical_json

GENESIS_HASH = "0" * 64
FIRST_SEQ = 1
MECHANISMS = ("geometric",)
RFC3339_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
_RFC3339_UTC = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z\Z")
_SHA256_HEX = re.compile(r"^[0-9a-f]{64}\Z")
_RELEASE = re.compile(r"^\d{4}-\d{2}-\d{2}/\d{4}-\d{2}-\d{2}\Z")
# A ceiling on a single figure, far above any sensible ε or yearly cap (the
# literature treats ε above ~10 as offering little protection); it keeps
# absurd or mistyped values ("1e9") out of a record that cannot be edited.
MAX_AMOUNT = Decimal(1000)


class LedgerError(ValueError):
    """Base class for ledger failures (a ValueError, so callers may catch either)."""


class InvalidLedgerEntry(LedgerError):
    """An entry, or the arguments for one, that the ledger cannot record."""


class LedgerTampered(LedgerError):
    """The chain does not verify: `index` is the position of the first entry that fails."""

    def __init__(self, index: int, detail: str) -> None:
        super().__init__(f"privacy ledger entry at index {index}: {detail}")
        self.index = index
        self.detail = detail


class BudgetExceeded(LedgerError):
    """A release would take the year's spending past the cap: it must not be made."""

    def __init__(self, *, year: int, spent: Decimal, requested: Decimal, cap: Decimal) -> None:
        super().__init__(
            f"privacy budget for {year} exceeded: already spent ε={format_decimal(spent)}, "
            f"this release asks for ε={format_decimal(requested)}, which would make "
            f"{format_decimal(spent + requested)} against a yearly cap of {format_decimal(cap)}"
        )
        self.year = year
        self.spent = spent
        self.requested = requested
        self.cap = cap


@dataclass(frozen=True)
class LedgerEntry:
    """One release's privacy spending, chained to the entry before it.

    `epsilon` is a normalised decimal string ("0.5", "2"), never a float, so
    the hashed bytes and the arithmetic are both exact.
    """

    seq: int
    prev_hash: str
    created: str
    year: int
    release: str
    epsilon: str
    mechanism: str
    sensitivity: int
    cells: int
    entry_hash: str

    def hashed_fields(self) -> dict[str, Any]:
        """Every field except `entry_hash`: what the hash covers."""
        fields = asdict(self)
        del fields["entry_hash"]
        return fields

    def computed_hash(self) -> str:
        """SHA-256 hex of the RFC 8785 canonical JSON of `hashed_fields()`."""
        return hashlib.sha256(canonical_json(self.hashed_fields())).hexdigest()

    @property
    def amount(self) -> Decimal:
        """ε as a Decimal."""
        return parse_amount(self.epsilon, "epsilon")


def format_decimal(value: Decimal) -> str:
    """A decimal as plain digits, no exponent and no trailing zeros: "0.5", "12", "0"."""
    if not value.is_finite():
        raise InvalidLedgerEntry(f"{value} is not a finite number")
    text = format(value.normalize(), "f")
    return "0" if text in ("-0", "0") else text


def parse_amount(value: Decimal | str, name: str) -> Decimal:
    """A positive, finite ε or cap no larger than MAX_AMOUNT, from a Decimal or decimal string.

    Floats are refused: 0.1 as a float is not 0.1, and the ledger must add up exactly.
    """
    if isinstance(value, bool) or not isinstance(value, Decimal | str):
        raise InvalidLedgerEntry(f"{name} must be a Decimal or a decimal string, not {value!r}")
    try:
        number = Decimal(value)
    except InvalidOperation as exc:
        raise InvalidLedgerEntry(f"{name} {value!r} is not a decimal number") from exc
    if not number.is_finite() or number <= 0:
        raise InvalidLedgerEntry(f"{name} must be a positive finite number, got {value}")
    if number > MAX_AMOUNT:
        raise InvalidLedgerEntry(f"{name} {value} is absurdly large (more than {MAX_AMOUNT})")
    return number


def _created_text(created: str | datetime) -> str:
    if isinstance(created, datetime):
        if created.tzinfo is None:
            raise InvalidLedgerEntry("created must be a timezone-aware time")
        return created.astimezone(UTC).strftime(RFC3339_FORMAT)
    if not _RFC3339_UTC.match(created):
        raise InvalidLedgerEntry(
            f"created {created!r} is not RFC 3339 UTC, e.g. 2026-11-01T09:00:00Z"
        )
    try:
        datetime.strptime(created, RFC3339_FORMAT)
    except ValueError as exc:
        raise InvalidLedgerEntry(f"created {created!r} is not a real time") from exc
    return created


def _check_fields(entry: LedgerEntry) -> None:
    """Each field is of the type and form the ledger writes (raises InvalidLedgerEntry)."""
    for name in ("seq", "year", "sensitivity", "cells"):
        value = getattr(entry, name)
        if isinstance(value, bool) or not isinstance(value, int):
            raise InvalidLedgerEntry(f"{name} must be a whole number, not {value!r}")
    for name in ("prev_hash", "created", "release", "epsilon", "mechanism", "entry_hash"):
        if not isinstance(getattr(entry, name), str):
            raise InvalidLedgerEntry(f"{name} must be a string")
    if entry.seq < FIRST_SEQ:
        raise InvalidLedgerEntry(f"seq must be {FIRST_SEQ} or more, got {entry.seq}")
    if not _SHA256_HEX.match(entry.prev_hash):
        raise InvalidLedgerEntry("prev_hash must be lower-case hex SHA-256")
    _created_text(entry.created)
    if not 1970 <= entry.year <= 9999:
        raise InvalidLedgerEntry(f"year {entry.year} is out of range")
    if not _RELEASE.match(entry.release):
        raise InvalidLedgerEntry(
            f"release {entry.release!r} must name its period, e.g. 2026-10-01/2026-10-31"
        )
    if entry.epsilon != format_decimal(parse_amount(entry.epsilon, "epsilon")):
        raise InvalidLedgerEntry(f"epsilon {entry.epsilon!r} is not a normalised decimal string")
    if entry.mechanism not in MECHANISMS:
        raise InvalidLedgerEntry(f"mechanism must be one of {MECHANISMS}, got {entry.mechanism!r}")
    if entry.sensitivity < 1 or entry.cells < 1:
        raise InvalidLedgerEntry("sensitivity and cells must be at least 1")


def new_entry(
    previous: LedgerEntry | None,
    *,
    created: str | datetime,
    year: int,
    release: str,
    epsilon: Decimal,
    mechanism: str,
    sensitivity: int,
    cells: int,
) -> LedgerEntry:
    """The entry that follows `previous` (or the first entry, when `previous` is None).

    The first entry has seq 1 and prev_hash of 64 zeros; each later one has
    seq + 1 and the previous entry's hash. Check the budget first
    (`check_budget`): this only builds the record.
    """
    draft = LedgerEntry(
        seq=FIRST_SEQ if previous is None else previous.seq + 1,
        prev_hash=GENESIS_HASH if previous is None else previous.entry_hash,
        created=_created_text(created),
        year=year,
        release=release,
        epsilon=format_decimal(parse_amount(epsilon, "epsilon")),
        mechanism=mechanism,
        sensitivity=sensitivity,
        cells=cells,
        entry_hash=GENESIS_HASH,
    )
    _check_fields(draft)
    return LedgerEntry(**{**draft.hashed_fields(), "entry_hash": draft.computed_hash()})


def verify_ledger(
    entries: Sequence[LedgerEntry], *, anchors: Mapping[int, str] | None = None
) -> str:
    """Check the whole chain and return its head hash (64 zeros for an empty ledger).

    Raises LedgerTampered naming the first entry whose own hash, link to the
    previous entry, sequence number or fields are wrong. An entry edited and
    re-hashed is caught at the entry after it (its prev_hash no longer
    matches); only rewriting every later entry too hides an edit from the chain
    alone, which is why releases publish the head: `anchors` maps seq to an
    entry hash seen earlier (e.g. the `ledger_head` of a past release) and
    each one must still match.
    """
    previous_hash = GENESIS_HASH
    for index, entry in enumerate(entries):
        expected_seq = FIRST_SEQ + index
        try:
            _check_fields(entry)
        except InvalidLedgerEntry as exc:
            raise LedgerTampered(index, f"seq {entry.seq}: {exc}") from exc
        if entry.seq != expected_seq:
            raise LedgerTampered(
                index,
                f"seq is {entry.seq} but should be {expected_seq}: an entry was removed, "
                "inserted or moved",
            )
        if entry.prev_hash != previous_hash:
            raise LedgerTampered(
                index,
                f"seq {entry.seq} does not link to the entry before it (prev_hash "
                f"{entry.prev_hash[:12]}…, expected {previous_hash[:12]}…): an earlier entry "
                "was changed, removed or reordered",
            )
        if entry.computed_hash() != entry.entry_hash:
            raise LedgerTampered(
                index, f"seq {entry.seq}'s contents do not match its entry_hash: it was edited"
            )
        if anchors and entry.seq in anchors and anchors[entry.seq] != entry.entry_hash:
            raise LedgerTampered(
                index,
                f"seq {entry.seq}'s hash differs from the one published earlier: the ledger "
                "was rewritten from here on",
            )
        previous_hash = entry.entry_hash
    if anchors:
        missing = sorted(seq for seq in anchors if not FIRST_SEQ <= seq < FIRST_SEQ + len(entries))
        if missing:
            raise LedgerTampered(
                len(entries),
                f"seq {missing[0]} was published earlier but is no longer in the ledger",
            )
    return previous_hash


def head(entries: Sequence[LedgerEntry]) -> str:
    """The last entry's hash (64 zeros when empty), without verifying the chain."""
    return entries[-1].entry_hash if entries else GENESIS_HASH


def spent(entries: Iterable[LedgerEntry], year: int) -> Decimal:
    """Total ε recorded for `year`, exactly."""
    return sum((entry.amount for entry in entries if entry.year == year), Decimal(0))


def entry_for_release(entries: Iterable[LedgerEntry], release: str) -> LedgerEntry | None:
    """The entry that already paid for `release`, if any: a re-send must not pay again."""
    for entry in entries:
        if entry.release == release:
            return entry
    return None


def check_budget(
    entries: Sequence[LedgerEntry], year: int, epsilon: Decimal, cap: Decimal
) -> Decimal:
    """The year's new total if a release spending `epsilon` is allowed; else BudgetExceeded.

    Verifies the chain first: a budget check over an edited ledger would trust
    exactly the numbers an attacker changed. Allowed means spent + ε <= cap
    (reaching the cap exactly is allowed).
    """
    verify_ledger(entries)
    requested = parse_amount(epsilon, "epsilon")
    limit = parse_amount(cap, "yearly cap")
    already = spent(entries, year)
    total = already + requested
    if total > limit:
        raise BudgetExceeded(year=year, spent=already, requested=requested, cap=limit)
    return total


def budget_block(
    entries_after_append: Sequence[LedgerEntry], year: int, cap: Decimal, sensitivity: int
) -> dict[str, Any]:
    """The release's `disclosure.budget` block, from the ledger with this release appended.

    {"year", "yearly_cap", "spent", "sensitivity", "ledger_head"}, amounts as
    normalised decimal strings. Verifies the chain, and refuses a ledger that
    is already past the cap (the aggregator would reject the release anyway).
    """
    ledger_head = verify_ledger(entries_after_append)
    limit = parse_amount(cap, "yearly cap")
    total = spent(entries_after_append, year)
    if total > limit:
        last = entries_after_append[-1]
        requested = last.amount if last.year == year else Decimal(0)
        raise BudgetExceeded(year=year, spent=total - requested, requested=requested, cap=limit)
    if isinstance(sensitivity, bool) or not isinstance(sensitivity, int) or sensitivity < 1:
        raise InvalidLedgerEntry(f"sensitivity must be a whole number >= 1, got {sensitivity!r}")
    return {
        "year": year,
        "yearly_cap": format_decimal(limit),
        "spent": format_decimal(total),
        "sensitivity": sensitivity,
        "ledger_head": ledger_head,
    }
