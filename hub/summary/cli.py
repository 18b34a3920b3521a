"""`hubnet hub preview` and `hubnet hub summary`: see exactly what would leave the hub.

Both prepare the period's release if it has not been prepared yet, and store
it: from then on the period's numbers are fixed, and `push` sends exactly
those cells (with differential privacy on, the privacy budget is charged
then, once). A period that has not ended yet is refused, so a preview never
fixes a month's numbers before everyone has had their say.
"""

from __future__ import annotations

import json
from pathlib import Path

import click
from sqlalchemy.orm import Session

from federation.disclosure.ledger import LedgerError
from federation.periods import Period
from hub import instance as hub_instance
from hub.instance import app_session, instance_option
from hub.summary.models import StoredRelease
from hub.summary.preview import preview_json, preview_tables, privacy_line, suppressed_by_reason
from hub.summary.services import ReleaseRefused, find_release, prepare_release

PERIOD_HELP = "2026-10, 2026-Q4, 2026-W44 or 2026-10-01/2026-10-31. Default: the last full month."


def _period(period_text: str | None) -> Period:
    try:
        return (
            Period.parse(period_text)
            if period_text
            else Period.last_full_month(hub_instance.clock().date())
        )
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--period") from exc


def _prepared(db: Session, period: Period) -> tuple[StoredRelease, bool]:
    """The period's release, prepared and committed now if need be (and whether it was new)."""
    existing = find_release(db, period)
    if existing is not None:
        return existing, False
    now = hub_instance.clock()
    try:
        release = prepare_release(db, period, today=now.date(), now=now)
    except (ReleaseRefused, LedgerError) as exc:
        db.rollback()
        raise click.ClickException(f"no release for {period.label}: {exc}") from exc
    db.commit()
    return release, True


@click.command("summary")
@instance_option
@click.option("--period", "period_text", help=PERIOD_HELP)
def summary_command(instance: Path, period_text: str | None) -> None:
    """Print a period's summary body as JSON, exactly as `push` signs and sends it.

    Prepares and stores the period's release if it was not prepared yet (its
    numbers are then fixed); nothing is sent. `hubnet hub preview` shows the
    same cells with the reason for each.
    """
    period = _period(period_text)
    with app_session(instance) as (_app, db):
        release, _new = _prepared(db, period)
        click.echo(json.dumps(release.summary_body(), indent=2))


@click.command("preview")
@instance_option
@click.option("--period", "period_text", help=PERIOD_HELP)
@click.option("--json", "as_json", is_flag=True, help="Print the preview as JSON.")
def preview_command(instance: Path, period_text: str | None, as_json: bool) -> None:
    """Show, cell by cell, what will leave the hub for a period, and why.

    Each cell's published value (or "suppressed"), the reason and a note;
    then how many cells were held back for each reason, and the privacy
    budget if differential privacy is on. The release is prepared and stored
    if it was not already: `push` then sends exactly these cells. With
    --json, `body` is the summary body exactly as it will be signed.
    """
    period = _period(period_text)
    with app_session(instance) as (_app, db):
        release, new = _prepared(db, period)
        if as_json:
            click.echo(json.dumps(preview_json(release), indent=2, ensure_ascii=False))
            return
        _print_preview(release, new=new)


def _print_preview(release: StoredRelease, *, new: bool) -> None:
    period = release.period
    state = "prepared now and stored" if new else "prepared earlier"
    click.echo(
        f"Release for {period.label} ({period.start} to {period.end}), {state} "
        f"({release.created_at:%Y-%m-%d %H:%M} UTC). `hubnet hub push` sends exactly this."
    )
    click.echo(privacy_line(release))
    tables = preview_tables(release)
    width = max((len(row.path) for table in tables for row in table.rows), default=10)
    for table in tables:
        click.echo(f"\n{table.caption}")
        for row in table.rows:
            click.echo(f"  {row.path:<{width}}  {row.published:>10}  {row.reason:<20}  {row.note}")
    held = suppressed_by_reason(release)
    click.echo("\nHeld back, by reason:" if held else "\nNothing was held back.")
    for reason, count in held.items():
        click.echo(f"  {reason:<20}  {count}")
