"""Releases are prepared once per period and kept; with DP the ledger pays once and refuses.

Adversarial tests 6 (re-sends give identical cells and charge the budget
once), 7 on the hub (a release past the yearly cap is refused with nothing
stored; an edited ledger row is caught by `hubnet hub privacy verify` and
refuses the next noisy release) and 4 at the hub (period differencing).
"""

from __future__ import annotations

import base64
import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from federation.canonical import parse_json
from federation.disclosure import DEFAULT_RULE
from federation.disclosure.ledger import BudgetExceeded, LedgerTampered, verify_ledger
from federation.disclosure.solver import change_between, published_bounds
from federation.periods import Period
from hub import create_app
from hub.outbox.services import enqueue_summary
from hub.privacy.models import LedgerRow
from hub.privacy.services import ledger_entries
from hub.summary.models import StoredRelease
from hub.summary.services import PeriodNotEnded, build_summary, prepare_release
from hubnet.db import get_session
from tests.hub.conftest import AUDIENCE, HUB_ID, hubnet_hub, person, raise_item
from tests.hub.fake_aggregator import FakeAggregator

OCTOBER = Period.month(2026, 10)
DP = {"DP_EPSILON": "1", "DP_YEARLY_CAP": "2"}
NOW = datetime(2026, 11, 20, 9, tzinfo=UTC)


def fill(db: Session, people: int = 30, *, day: int = 10) -> None:
    for index in range(people):
        raise_item(
            db,
            person(db),
            theme=("gp-access", "dentistry", "mental-health")[index % 3],
            at=datetime(2026, 10, day, 12, tzinfo=UTC),
        )
    db.commit()


def count(db: Session, model: type) -> int:
    db.rollback()
    return db.scalar(select(func.count()).select_from(model)) or 0


def test_a_period_is_built_once_and_then_read_back(db: Session) -> None:
    fill(db)
    first = prepare_release(db, OCTOBER, now=NOW)
    db.commit()
    fill(db, 20)  # more activity after the release was prepared

    again = prepare_release(db, OCTOBER, now=NOW)

    assert again.id == first.id
    assert build_summary(db, OCTOBER) == first.summary_body()
    assert count(db, StoredRelease) == 1


def test_a_period_that_has_not_ended_is_refused_with_its_end_date(db: Session) -> None:
    with pytest.raises(PeriodNotEnded, match="ends on 2026-10-31") as refused:
        prepare_release(db, OCTOBER, today=date(2026, 10, 31))

    assert "from 2026-11-01" in str(refused.value)
    assert count(db, StoredRelease) == 0
    assert prepare_release(db, OCTOBER, today=date(2026, 11, 1)).period == OCTOBER


def test_a_looser_rule_in_the_settings_is_refused(db: Session) -> None:
    with pytest.raises(ValueError, match="stricter"):
        prepare_release(db, OCTOBER, {"DISCLOSURE_K": 5})
    assert count(db, StoredRelease) == 0


def test_1000_resends_with_dp_give_identical_cells_and_charge_the_budget_once(
    db: Session,
) -> None:
    """Adversarial test 6 at the service level: the same stored bytes, one ledger entry."""
    fill(db)
    first = prepare_release(db, OCTOBER, DP, now=NOW)
    db.commit()
    body = first.body

    for _ in range(1000):
        assert prepare_release(db, OCTOBER, DP, now=NOW).body == body

    assert body == prepare_release(db, OCTOBER, {**DP, "DP_EPSILON": "0.5"}).body  # kept as is
    (entry,) = ledger_entries(db)
    assert (entry.epsilon, entry.release, entry.year) == ("1", "2026-10-01/2026-10-31", 2026)
    disclosure = first.summary_body()["disclosure"]
    assert disclosure["mechanism"] == "geometric" and disclosure["epsilon"] == "1"
    assert disclosure["budget"]["spent"] == "1"
    assert disclosure["budget"]["ledger_head"] == entry.entry_hash == verify_ledger([entry])


def test_a_release_past_the_yearly_cap_is_refused_and_nothing_is_stored(db: Session) -> None:
    """Adversarial test 7: ε 1 a release, cap 2: the third release of the year is refused."""
    fill(db)
    for month in (8, 9):
        prepare_release(db, Period.month(2026, month), DP, now=NOW)
        db.commit()

    with pytest.raises(BudgetExceeded, match="exceeded"):
        prepare_release(db, OCTOBER, DP, now=NOW)

    db.rollback()
    assert count(db, StoredRelease) == 2
    assert len(ledger_entries(db)) == 2
    # A new year has a new budget.
    prepare_release(db, OCTOBER, DP, now=datetime(2027, 1, 2, tzinfo=UTC))
    assert [entry.year for entry in ledger_entries(db)] == [2026, 2026, 2027]


def test_an_edited_ledger_row_is_detected_and_refuses_the_next_noisy_release(
    instance: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Adversarial test 7: someone lowers a past release's ε in the database to make room."""
    monkeypatch.setenv("HUB_DP_EPSILON", '"1"')
    monkeypatch.setenv("HUB_DP_YEARLY_CAP", '"12"')
    for month in ("2026-08", "2026-09"):
        made = hubnet_hub("preview", "--instance", str(instance), "--period", month)
        assert made.exit_code == 0, made.output
    assert hubnet_hub("privacy", "verify", "--instance", str(instance)).exit_code == 0

    app = create_app({"INSTANCE_PATH": str(instance)})
    with app.app_context():
        db = get_session()
        db.execute(update(LedgerRow).where(LedgerRow.seq == 1).values(epsilon="0.1"))
        db.commit()
    app.extensions["hubnet.engine"].dispose()

    verified = hubnet_hub("privacy", "verify", "--instance", str(instance))
    refused = hubnet_hub("preview", "--instance", str(instance), "--period", "2026-10")

    assert verified.exit_code == 1
    assert "tampered" in verified.output and "seq 1" in verified.output
    assert refused.exit_code == 1
    assert "no release for 2026-10" in refused.output and "seq 1" in refused.output
    app = create_app({"INSTANCE_PATH": str(instance)})
    with app.app_context():
        db = get_session()
        assert count(db, StoredRelease) == 2  # nothing stored for October
        with pytest.raises(LedgerTampered):
            verify_ledger(ledger_entries(db))
    app.extensions["hubnet.engine"].dispose()


def test_pushing_a_dp_period_twice_sends_the_stored_cells_and_pays_once(
    instance: Path, aggregator: FakeAggregator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Adversarial test 6 through `push`: preview, push, push again: one envelope, one charge."""
    monkeypatch.setenv("HUB_DP_EPSILON", '"0.5"')
    preview = hubnet_hub("preview", "--json", "--instance", str(instance), "--period", "2026-10")
    pushes = [
        hubnet_hub("push", "--instance", str(instance), "--period", "2026-10") for _ in range(2)
    ]

    assert all(pushed.exit_code == 0 for pushed in pushes), pushes[-1].output
    (sent,) = aggregator.requests  # the second push found it in the outbox
    payload = parse_json(base64.b64decode(json.loads(sent)["payload"]))
    assert payload["body"] == json.loads(preview.output)["body"]
    # Signing another period's statement pays for that period only; October stays as sent.
    app = create_app({"INSTANCE_PATH": str(instance)})
    with app.app_context():
        db = get_session()
        rebuilt = enqueue_summary(
            db,
            Period.month(2026, 9),
            private_key=_key(instance),
            hub_id=HUB_ID,
            aud=AUDIENCE,
            now=NOW,
        )
        assert rebuilt is not None
        for _ in range(3):
            assert build_summary(db, OCTOBER) == payload["body"]
        assert [entry.release for entry in ledger_entries(db)] == [
            "2026-10-01/2026-10-31",
            "2026-09-01/2026-09-30",
        ]
        db.rollback()
    app.extensions["hubnet.engine"].dispose()


def _key(instance: Path) -> Any:
    from federation.keys import load_private_key

    return load_private_key(instance / "hub-key.pem")


def _count_cells(body: dict[str, Any]) -> dict[str, int | None]:
    cells: dict[str, int | None] = {
        f"participation.{name}": cell["value"] for name, cell in body["participation"].items()
    }
    for row in body["themes"]:
        for name in ("people", "contributors", "supporters"):
            cells[f"themes[{row['code']}].{name}"] = row[name]["value"]
        for kind, cell in row["by_kind"].items():
            cells[f"themes[{row['code']}].by_kind.{kind}"] = cell["value"]
    return cells


@pytest.mark.parametrize("late", [1, 3, 7])
def test_differencing_two_releases_does_not_pin_a_change_of_fewer_than_8(
    db: Session, late: int
) -> None:
    """Adversarial test 4 at the hub: 1–30 October, then all October, with `late` on the 31st.

    For every count cell the attacker works out which changes the two published
    values allow (solver.change_between: rounding and suppression bounds):
    the true change is always among them, and never the only one.
    """
    fill(db, 40, day=12)
    for index in range(late):
        raise_item(
            db,
            person(db),
            theme=("gp-access", "dentistry")[index % 2],
            at=datetime(2026, 10, 31, 15, tzinfo=UTC),
        )
    db.commit()

    early = _count_cells(build_summary(db, Period(date(2026, 10, 1), date(2026, 10, 30))))
    whole = _count_cells(build_summary(db, OCTOBER))
    truth_early = _true(db, Period(date(2026, 10, 1), date(2026, 10, 30)))
    truth_whole = _true(db, OCTOBER)

    changed = 0
    for path, value in whole.items():
        feasible = change_between(early[path], value, DEFAULT_RULE)
        actual = truth_whole.get(path, 0) - truth_early.get(path, 0)
        assert actual in feasible, path
        if early[path] == value == 0:
            continue  # nobody, before or after: nothing to hide
        assert feasible.size > 1, f"{path}: {early[path]} → {value} pins the change at {feasible}"
        changed += actual > 0
    assert changed  # the late people did move some cells
    # Brute force over every pair of true counts consistent with the two published values.
    for path, value in whole.items():
        old_lo, old_hi = published_bounds(early[path], DEFAULT_RULE, minimum=DEFAULT_RULE.k)
        new_lo, new_hi = published_bounds(value, DEFAULT_RULE, minimum=DEFAULT_RULE.k)
        olds = range(old_lo, (DEFAULT_RULE.k - 1 if old_hi is None else old_hi) + 1)
        news = range(new_lo, (DEFAULT_RULE.k - 1 if new_hi is None else new_hi) + 1)
        changes = {new - old for old in olds for new in news if new >= old}
        if early[path] or value:
            assert len(changes) > 1, path


def _true(db: Session, period: Period) -> dict[str, int]:
    from hub.summary.services import count_raw

    raw = count_raw(db, period, DEFAULT_RULE)
    cells = {
        "participation.participants": raw.participants,
        "participation.contributors": raw.contributors,
        "participation.supporters": raw.supporters,
    }
    for code, theme in raw.themes.items():
        cells |= {
            f"themes[{code}].people": theme.people,
            f"themes[{code}].contributors": theme.contributors,
            f"themes[{code}].supporters": theme.supporters,
        }
        cells |= {f"themes[{code}].by_kind.{k}": v for k, v in theme.by_kind.items()}
    return cells


def test_a_ledger_rewritten_with_fresh_hashes_is_caught_by_the_summary_already_sent(
    instance: Path, aggregator: FakeAggregator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The chain alone cannot see a lone entry edited and re-hashed; the signed release can.

    October is pushed with DP (ε 1). Someone then lowers that entry's ε to 0.1
    and recomputes its hash, so the chain is self-consistent again. The
    ledger head October's signed summary declared no longer matches: verify
    exits 1 and the next noisy release is refused.
    """
    monkeypatch.setenv("HUB_DP_EPSILON", '"1"')
    pushed = hubnet_hub("push", "--instance", str(instance), "--period", "2026-10")
    assert pushed.exit_code == 0, pushed.output
    assert hubnet_hub("privacy", "verify", "--instance", str(instance)).exit_code == 0

    app = create_app({"INSTANCE_PATH": str(instance)})
    with app.app_context():
        db = get_session()
        (row,) = db.scalars(select(LedgerRow)).all()
        forged = row.entry().__class__(
            **{**row.entry().hashed_fields(), "epsilon": "0.1"} | {"entry_hash": "0" * 64}
        )
        rehashed = forged.computed_hash()
        db.execute(
            update(LedgerRow)
            .where(LedgerRow.seq == row.seq)
            .values(epsilon="0.1", entry_hash=rehashed)
        )
        db.commit()
        assert verify_ledger(ledger_entries(db)) == rehashed  # the chain alone is fooled
    app.extensions["hubnet.engine"].dispose()

    verified = hubnet_hub("privacy", "verify", "--instance", str(instance))
    refused = hubnet_hub("preview", "--instance", str(instance), "--period", "2026-09")

    assert verified.exit_code == 1
    assert "published earlier" in verified.output, verified.output
    assert refused.exit_code == 1
