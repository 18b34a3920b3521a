"""`hubnet hub push`, `hubnet hub outbox` and `hubnet hub outbox send`."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any, TypeVar

import click
import requests
from flask import Flask
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from federation.client import SubmissionClient
from federation.keys import load_private_key, load_public_key
from federation.periods import Period
from hub.db import utcnow
from hub.instance import app_session, instance_option
from hub.outbox.models import OutboxEntry
from hub.outbox.services import (
    RelayResult,
    enqueue_summary,
    find_entry,
    list_outbox,
    relay_pending,
    signed_statement,
)
from hubnet.config import instance_file

T = TypeVar("T")


def _setting(app: Flask, key: str) -> Any:
    value = app.config.get(key)
    if not value:
        raise click.ClickException(
            f"{key} is not set: add it to {instance_file(app, 'hub.toml')} or set HUB_{key}"
        )
    return value


def _key(loader: Callable[[Path], T], app: Flask, setting: str) -> T:
    """Load the key file a setting names, or say plainly what is wrong with it."""
    path = instance_file(app, app.config[setting])
    try:
        return loader(path)
    except (OSError, ValueError) as exc:
        raise click.ClickException(f"cannot use {setting} {path}: {exc}") from exc


def _describe(result: RelayResult) -> str:
    verdict = "delivered" if result.delivered else f"NOT delivered ({result.outcome})"
    return f"  seq {result.seq} ({result.period}): {verdict}: {result.detail}"


def _send(app: Flask, db: Session, *, due_only: bool = False) -> list[RelayResult]:
    """Relay the outbox, committing and printing after each entry."""
    log_key = _key(load_public_key, app, "AGGREGATOR_PUBLIC_KEY")
    http = requests.Session()
    http.headers["User-Agent"] = f"hubnet-hub/{version('hubnet')} ({app.config['HUB_ID']})"
    client = SubmissionClient(_setting(app, "AGGREGATOR_URL"), http)

    def record(result: RelayResult) -> None:
        db.commit()
        click.echo(_describe(result))

    with http:
        results = relay_pending(
            db,
            client,
            now=utcnow,
            sleep=time.sleep,
            log_public_key=log_key,
            due_only=due_only,
            on_result=record,
        )
    if not results:
        click.echo("Nothing waiting in the outbox.")
    return results


def _cell_text(cell: dict[str, Any]) -> str:
    return "fewer than 8 (suppressed)" if cell["suppressed"] else str(cell["value"])


def _built(entry: OutboxEntry, period: Period, body: dict[str, Any]) -> str:
    themes = sum(1 for row in body["themes"] if row["people"]["value"] != 0)
    prev = entry.prev[:12] + "…" if entry.prev else "none (first statement)"
    return (
        f"Built the summary for {period.label} ({period.start} to {period.end}): "
        f"{_cell_text(body['participation']['participants'])} people took part, "
        f"in {themes} national themes.\n"
        f"Signed it as seq {entry.seq} (prev {prev}), submission {entry.submission_id}."
    )


@click.command("push")
@instance_option
@click.option(
    "--period",
    "period_text",
    help="The period to summarise: 2026-10, 2026-Q4, 2026-W44 or 2026-10-01/2026-10-31. "
    "Default: the last full calendar month.",
)
def push_command(instance: Path, period_text: str | None) -> None:
    """Build, sign and queue a period's summary, then deliver the outbox in order.

    A period already in the outbox is never rebuilt: its summary was fixed
    when first built, so running push again only retries delivery. Exits
    non-zero if anything is left undelivered.
    """
    now = datetime.now(UTC)
    try:
        period = Period.parse(period_text) if period_text else Period.last_full_month(now.date())
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--period") from exc
    with app_session(instance) as (app, db):
        hub_id, aud = _setting(app, "HUB_ID"), _setting(app, "AGGREGATOR_ID")
        private_key = _key(load_private_key, app, "PRIVATE_KEY")
        if period.end >= now.date():
            click.echo(
                f"Note: {period.label} has not ended yet. Its summary is fixed now; anything "
                "raised later in the period will not be sent."
            )
        try:
            entry = enqueue_summary(
                db, period, private_key=private_key, hub_id=hub_id, aud=aud, now=now
            )
            db.commit()
        except IntegrityError as exc:
            db.rollback()
            raise click.ClickException(
                "another push for this hub was building a summary at the same moment; "
                "run this command again"
            ) from exc
        if entry is None:
            existing = find_entry(db, period)
            assert existing is not None
            click.echo(
                f"A summary for {period.label} is already in the outbox (seq {existing.seq}, "
                f"{existing.status.value}); nothing new was built."
            )
        else:
            click.echo(_built(entry, period, dict(signed_statement(entry).body)))
        click.echo(f"Delivering to {app.config['AGGREGATOR_URL']}:")
        results = _send(app, db)
    if any(not result.delivered for result in results):
        raise click.ClickException("delivery failed; the entry stays in the outbox (see above)")


@click.group("outbox", invoke_without_command=True)
@instance_option
@click.pass_context
def outbox_group(context: click.Context, instance: Path) -> None:
    """List signed summaries waiting for (or done with) delivery; `send` retries now."""
    context.obj = instance
    if context.invoked_subcommand is not None:
        return
    with app_session(instance) as (_app, db):
        entries = list_outbox(db)
    if not entries:
        click.echo("The outbox is empty: `hubnet hub push` builds and sends a summary.")
        return
    click.echo(f"{'seq':>5}  {'period':<23}  {'status':<9}  {'tries':>5}  last error")
    for entry in entries:
        period = Period(entry.period_start, entry.period_end).label
        error = entry.last_error or ""
        if entry.next_attempt_at is not None:
            error += f" (next try after {entry.next_attempt_at:%Y-%m-%d %H:%M} UTC)"
        click.echo(
            f"{entry.seq:>5}  {period:<23}  {entry.status.value:<9}  {entry.attempts:>5}  {error}"
        )


@outbox_group.command("send")
@click.option(
    "--instance",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="The hub's instance folder (default: the one given to `outbox`).",
)
@click.option(
    "--due-only",
    is_flag=True,
    help="Skip an entry still backing off from a failed try (for timers that run often).",
)
@click.pass_context
def send_command(context: click.Context, instance: Path | None, due_only: bool) -> None:
    """Deliver undelivered entries now, in order; exits non-zero if any is left."""
    with app_session(instance or context.obj) as (app, db):
        results = _send(app, db, due_only=due_only)
    if any(not result.delivered for result in results):
        raise click.ClickException("delivery failed; the entry stays in the outbox (see above)")
