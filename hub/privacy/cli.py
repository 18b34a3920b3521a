"""`hubnet hub privacy ledger` and `hubnet hub privacy verify`: the differential-privacy budget.

`ledger` lists what each noisy release spent and what is left of this year's
cap; `verify` re-checks the hash chain and exits 1 naming the first entry that
was edited, removed or reordered (the next noisy release is refused until the
ledger is restored from a backup).
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import click

from federation.disclosure.ledger import LedgerTampered, format_decimal
from hub import instance as hub_instance
from hub.instance import app_session, instance_option
from hub.privacy.services import ledger_state, verify_stored_ledger
from hub.summary.services import ReleaseSettings


@click.group("privacy")
def privacy_group() -> None:
    """The differential-privacy budget ledger (only used when DP_EPSILON is set)."""


@privacy_group.command("ledger")
@instance_option
def ledger_command(instance: Path) -> None:
    """List every ledger entry, the ε spent this year and the yearly cap."""
    year = hub_instance.clock().year
    with app_session(instance) as (app, db):
        settings = ReleaseSettings.from_config(app.config)
        state = ledger_state(db, year)
    if settings.epsilon is None:
        click.echo("Differential privacy is off (DP_EPSILON is not set): releases add no noise.")
    else:
        epsilon = format_decimal(settings.epsilon)
        click.echo(f"Differential privacy is on: each release spends ε = {epsilon}.")
    if not state.entries:
        click.echo("The ledger is empty: no noisy release has been made.")
    else:
        click.echo(
            f"{'seq':>4}  {'created':<20}  {'release':<21}  {'ε':>6}  {'mechanism':<9}  "
            f"{'sensitivity':>11}  {'cells':>6}  hash"
        )
    for entry in state.entries:
        click.echo(
            f"{entry.seq:>4}  {entry.created:<20}  {entry.release:<21}  {entry.epsilon:>6}  "
            f"{entry.mechanism:<9}  {entry.sensitivity:>11}  {entry.cells:>6}  "
            f"{entry.entry_hash[:12]}…"
        )
    cap = settings.yearly_cap
    left = max(cap - state.spent, Decimal(0))
    click.echo(
        f"Spent in {year}: ε = {format_decimal(state.spent)} of the yearly cap "
        f"{format_decimal(cap)} (DP_YEARLY_CAP); {format_decimal(left)} left."
    )


@privacy_group.command("verify")
@instance_option
def verify_command(instance: Path) -> None:
    """Re-check the ledger's hash chain; exit 1 naming the first tampered entry."""
    with app_session(instance) as (_app, db):
        try:
            head = verify_stored_ledger(db)
        except LedgerTampered as exc:
            raise click.ClickException(
                f"the privacy ledger has been tampered with: {exc}. No noisy release can be "
                "made until it is restored from a backup"
            ) from exc
        count = len(ledger_state(db, hub_instance.clock().year).entries)
    click.echo(f"The privacy ledger verifies: {count} entries, head {head}.")
