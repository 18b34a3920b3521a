"""`hubnet hub summary`: preview exactly what would leave the hub for a period."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import click

from federation.periods import Period
from hub.instance import app_session, instance_option
from hub.summary.services import build_summary


@click.command("summary")
@instance_option
@click.option(
    "--period",
    "period_text",
    help="2026-10, 2026-Q4, 2026-W44 or 2026-10-01/2026-10-31. Default: the last full month.",
)
def summary_command(instance: Path, period_text: str | None) -> None:
    """Print a period's summary body as JSON, exactly as `push` would sign it.

    Nothing is stored or sent: this is the release preview, for checking what
    leaves the hub before it does.
    """
    try:
        period = (
            Period.parse(period_text)
            if period_text
            else Period.last_full_month(datetime.now(UTC).date())
        )
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--period") from exc
    with app_session(instance) as (_app, db):
        body = build_summary(db, period)
    click.echo(json.dumps(body, indent=2))
