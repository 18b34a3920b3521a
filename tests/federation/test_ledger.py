"""The privacy budget ledger: hash chain, tamper detection, the yearly cap, exact sums."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import socket
from decimal import Decimal
from typing import Any

import pytest
import rfc8785

from federation.disclosure.ledger import (
    GENESIS_HASH,
    BudgetExceeded,
    InvalidLedgerEntry,
    LedgerEntry,
    LedgerTampered,
    budget_block,
    check_budget,
    entry_for_release,
    format_decimal,
    new_entry,
    spent,
    verify_ledger,
)

CAP = Decimal(12)


def append(
    entries: list[LedgerEntry], epsilon: str, *, year: int = 2026, month: int | None = None
) -> list[LedgerEntry]:
    month = month or len(entries) + 1
    entry = new_entry(
        entries[-1] if entries else None,
        created=f"{year}-{month + 1:02d}-01T09:00:00Z" if month < 12 else f"{year}-12-31T09:00:00Z",
        year=year,
        release=f"{year}-{month:02d}-01/{year}-{month:02d}-28",
        epsilon=Decimal(epsilon),
        mechanism="geometric",
        sensitivity=53,
        cells=1000,
    )
    return [*entries, entry]


def three() -> list[LedgerEntry]:
    entries: list[LedgerEntry] = []
    for epsilon in ("0.5", "1", "2.25"):
        entries = append(entries, epsilon)
    return entries


def rehash(entry: LedgerEntry, **changes: Any) -> LedgerEntry:
    """An edited entry whose own hash is recomputed, as a careful forger would."""
    edited = dataclasses.replace(entry, **changes)
    return dataclasses.replace(edited, entry_hash=edited.computed_hash())


def test_three_entries_chain_and_verify() -> None:
    entries = three()
    assert [e.seq for e in entries] == [1, 2, 3]
    assert entries[0].prev_hash == GENESIS_HASH
    assert entries[1].prev_hash == entries[0].entry_hash
    assert entries[2].prev_hash == entries[1].entry_hash
    assert verify_ledger(entries) == entries[2].entry_hash
    assert verify_ledger([]) == GENESIS_HASH


def test_entry_hash_is_sha256_of_rfc8785_of_every_other_field() -> None:
    entry = three()[0]
    fields = {
        "seq": 1,
        "prev_hash": GENESIS_HASH,
        "created": "2026-02-01T09:00:00Z",
        "year": 2026,
        "release": "2026-01-01/2026-01-28",
        "epsilon": "0.5",
        "mechanism": "geometric",
        "sensitivity": 53,
        "cells": 1000,
    }
    assert dataclasses.asdict(entry) == {**fields, "entry_hash": entry.entry_hash}
    assert entry.entry_hash == hashlib.sha256(rfc8785.dumps(fields)).hexdigest()
    # Independent of the library: sorted keys, no spaces (all keys ASCII, no floats).
    plain = json.dumps(fields, sort_keys=True, separators=(",", ":")).encode()
    assert entry.entry_hash == hashlib.sha256(plain).hexdigest()


def test_editing_a_past_epsilon_keeping_its_hash_is_caught_at_that_entry() -> None:
    entries = three()
    entries[1] = dataclasses.replace(entries[1], epsilon="0.1")
    with pytest.raises(LedgerTampered) as caught:
        verify_ledger(entries)
    assert caught.value.index == 1
    assert "edited" in caught.value.detail


def test_editing_a_past_epsilon_and_recomputing_its_hash_breaks_the_next_link() -> None:
    entries = three()
    entries[1] = rehash(entries[1], epsilon="0.1")
    with pytest.raises(LedgerTampered) as caught:
        verify_ledger(entries)
    # The edited entry is self-consistent; the entry after it no longer links to it.
    assert caught.value.index == 2
    assert "does not link" in caught.value.detail


def test_rewriting_the_whole_tail_is_caught_by_a_published_head() -> None:
    entries = three()
    published = {2: entries[1].entry_hash}  # ledger_head of the release that made entry 2
    forged = entries[:1]
    forged.append(rehash(entries[1], epsilon="0.1", prev_hash=forged[0].entry_hash))
    forged.append(rehash(entries[2], prev_hash=forged[1].entry_hash))
    assert verify_ledger(forged)  # the chain alone cannot see a full rewrite...
    with pytest.raises(LedgerTampered) as caught:
        verify_ledger(forged, anchors=published)  # ...a head published earlier can
    assert caught.value.index == 1


def test_dropping_the_published_tail_is_caught_by_an_anchor() -> None:
    entries = three()
    with pytest.raises(LedgerTampered) as caught:
        verify_ledger(entries[:2], anchors={3: entries[2].entry_hash})
    assert caught.value.index == 2


@pytest.mark.parametrize("field", ["year", "sensitivity", "cells", "release", "created"])
def test_editing_any_field_is_caught(field: str) -> None:
    entries = three()
    value = {
        "year": 2025,
        "sensitivity": 1,
        "cells": 1,
        "release": "2026-05-01/2026-05-31",
        "created": "2026-01-01T00:00:00Z",
    }[field]
    entries[0] = dataclasses.replace(entries[0], **{field: value})
    with pytest.raises(LedgerTampered) as caught:
        verify_ledger(entries)
    assert caught.value.index == 0


def test_deleting_an_entry_is_caught() -> None:
    entries = three()
    del entries[1]
    with pytest.raises(LedgerTampered) as caught:
        verify_ledger(entries)
    assert caught.value.index == 1
    assert "seq" in caught.value.detail


def test_deleting_the_first_entry_is_caught() -> None:
    with pytest.raises(LedgerTampered) as caught:
        verify_ledger(three()[1:])
    assert caught.value.index == 0


def test_reordering_entries_is_caught() -> None:
    entries = three()
    entries[1], entries[2] = entries[2], entries[1]
    with pytest.raises(LedgerTampered) as caught:
        verify_ledger(entries)
    assert caught.value.index == 1


def test_renumbering_after_a_deletion_is_still_caught() -> None:
    entries = three()
    del entries[1]
    entries[1] = rehash(entries[1], seq=2)
    with pytest.raises(LedgerTampered) as caught:
        verify_ledger(entries)
    assert caught.value.index == 1
    assert "does not link" in caught.value.detail


def test_garbage_in_a_field_is_reported_as_tampering_not_a_crash() -> None:
    entries = three()
    entries[2] = rehash(entries[2], epsilon="lots")
    with pytest.raises(LedgerTampered) as caught:
        verify_ledger(entries)
    assert caught.value.index == 2


def test_a_release_past_the_cap_is_refused() -> None:
    entries: list[LedgerEntry] = []
    for _ in range(5):
        check_budget(entries, 2026, Decimal("2.4"), CAP)
        entries = append(entries, "2.4")
    assert spent(entries, 2026) == Decimal(12)  # exactly at the cap: allowed
    with pytest.raises(BudgetExceeded) as caught:
        check_budget(entries, 2026, Decimal("0.001"), CAP)
    message = str(caught.value)
    assert "spent ε=12" in message and "ε=0.001" in message and "cap of 12" in message
    assert (caught.value.spent, caught.value.requested, caught.value.cap) == (
        Decimal(12),
        Decimal("0.001"),
        Decimal(12),
    )


def test_the_cap_is_per_year() -> None:
    entries: list[LedgerEntry] = []
    for month in range(1, 7):
        entries = append(entries, "2", year=2026, month=month)
    with pytest.raises(BudgetExceeded):
        check_budget(entries, 2026, Decimal("0.5"), CAP)
    assert check_budget(entries, 2027, Decimal("0.5"), CAP) == Decimal("0.5")


def test_check_budget_refuses_a_tampered_ledger() -> None:
    entries = three()
    entries[0] = dataclasses.replace(entries[0], epsilon="0.001")  # make room under the cap
    with pytest.raises(LedgerTampered):
        check_budget(entries, 2026, Decimal(1), CAP)


def test_check_budget_returns_the_new_total() -> None:
    assert check_budget(three(), 2026, Decimal("0.25"), CAP) == Decimal(4)


def test_decimal_sums_are_exact() -> None:
    entries = append(append([], "0.1"), "0.2")
    assert spent(entries, 2026) == Decimal("0.3")
    assert format_decimal(spent(entries, 2026)) == "0.3"
    # A cap of 0.3 is reached exactly, not overshot: in floats 0.1 + 0.2 > 0.3.
    assert check_budget(append([], "0.1"), 2026, Decimal("0.2"), Decimal("0.3")) == Decimal("0.3")
    assert budget_block(entries, 2026, Decimal("0.3"), 53)["spent"] == "0.3"
    assert 0.1 + 0.2 > 0.3  # the failure exact decimals avoid


def test_floats_are_refused() -> None:
    with pytest.raises(InvalidLedgerEntry):
        check_budget([], 2026, 0.5, CAP)  # type: ignore[arg-type]
    with pytest.raises(InvalidLedgerEntry):
        new_entry(
            None,
            created="2026-11-01T09:00:00Z",
            year=2026,
            release="2026-10-01/2026-10-31",
            epsilon=0.5,  # type: ignore[arg-type]
            mechanism="geometric",
            sensitivity=53,
            cells=1000,
        )


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"epsilon": Decimal(0)}, "positive"),
        ({"epsilon": Decimal(-1)}, "positive"),
        ({"epsilon": Decimal("NaN")}, "positive"),
        ({"epsilon": Decimal("1E+9")}, "absurdly large"),
        ({"mechanism": "laplace"}, "mechanism"),
        ({"created": "2026-11-01 09:00"}, "RFC 3339"),
        ({"release": "October"}, "release"),
        ({"sensitivity": 0}, "at least 1"),
    ],
)
def test_new_entry_refuses_bad_values(changes: dict[str, Any], message: str) -> None:
    arguments: dict[str, Any] = {
        "created": "2026-11-01T09:00:00Z",
        "year": 2026,
        "release": "2026-10-01/2026-10-31",
        "epsilon": Decimal("0.5"),
        "mechanism": "geometric",
        "sensitivity": 53,
        "cells": 1000,
    }
    with pytest.raises(InvalidLedgerEntry, match=message):
        new_entry(None, **{**arguments, **changes})


def test_epsilon_is_stored_normalised() -> None:
    entry = new_entry(
        None,
        created="2026-11-01T09:00:00Z",
        year=2026,
        release="2026-10-01/2026-10-31",
        epsilon=Decimal("0.50"),
        mechanism="geometric",
        sensitivity=53,
        cells=1000,
    )
    assert entry.epsilon == "0.5"
    assert (format_decimal(Decimal("1.2E+1")), format_decimal(Decimal("1E-7"))) == (
        "12",
        "0.0000001",
    )


def test_budget_block_matches_the_contract() -> None:
    entries = three()
    block = budget_block(entries, 2026, Decimal("12.0"), 53)
    assert block == {
        "year": 2026,
        "yearly_cap": "12",
        "spent": "3.75",
        "sensitivity": 53,
        "ledger_head": entries[-1].entry_hash,
    }


def test_budget_block_refuses_a_ledger_over_the_cap() -> None:
    with pytest.raises(BudgetExceeded, match=r"ε=2\.25"):
        budget_block(three(), 2026, Decimal(3), 53)


def test_a_resent_release_finds_the_entry_that_paid_for_it() -> None:
    entries = three()
    assert entry_for_release(entries, "2026-02-01/2026-02-28") == entries[1]
    assert entry_for_release(entries, "2026-09-01/2026-09-30") is None


def test_ledger_works_with_sockets_blocked(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise OSError("network access attempted")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    entries = three()
    assert verify_ledger(entries) == entries[-1].entry_hash
    assert check_budget(entries, 2026, Decimal(1), CAP) == Decimal("4.75")
    assert budget_block(entries, 2026, CAP, 53)["spent"] == "3.75"
