"""`hubnet hub push`, `hubnet hub outbox` and `hubnet hub outbox send`.

`push` and `send` begin with a contact (`hub.audit.contact`: the log is
checked and the outbox resynchronised if it has drifted from the
aggregator's copy), then relay the outbox in order, then finish a key
rotation whose statement was just delivered. They exit non-zero if anything
is left undelivered or any alarm is unresolved.
"""

from __future__ import annotations

import time
from datetime import datetime
from pathlib import Path
from typing import Any

import click
from flask import current_app
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from federation.periods import Period
from hub import instance as hub_instance
from hub.aggregator import AggregatorLink
from hub.audit.cli import alarms_message, echo_alarms, run_contact
from hub.audit.contact import ContactReport
from hub.instance import aggregator_link, app_session, hub_keys, instance_option, key_files, setting
from hub.keys.services import (
    HubKeys,
    KeyFiles,
    complete_rotation,
    load_hub_keys,
    rotation_to_finish,
)
from hub.outbox.models import OutboxEntry
from hub.outbox.resync import ResyncReport, resync_once
from hub.outbox.services import (
    RelayOutcome,
    RelayResult,
    RetryPolicy,
    enqueue_summary,
    find_entry,
    list_outbox,
    relay_pending,
    signed_statement,
    undelivered_entries,
)
from hub.summary.services import PeriodNotEnded

DELIVERY_FAILED = "delivery failed; the entry stays in the outbox (see above)"


def describe(result: RelayResult) -> str:
    if result.outcome is RelayOutcome.RESYNCHRONISED:
        return f"  resynchronised after seq {result.seq}: {result.detail}"
    verdict = "delivered" if result.delivered else f"NOT delivered ({result.outcome})"
    return f"  seq {result.seq} ({result.period}): {verdict}: {result.detail}"


def deliver(
    db: Session,
    link: AggregatorLink,
    keys: HubKeys,
    files: KeyFiles,
    report: ContactReport,
    *,
    due_only: bool = False,
) -> list[RelayResult]:
    """Relay the outbox (committing and printing after each entry), then finish a rotation."""

    def record(result: RelayResult) -> None:
        db.commit()
        click.echo(describe(result))

    resynced = report.resynchronised  # one resynchronisation per run, never a loop

    def resync() -> ResyncReport:
        nonlocal resynced
        resynced = True
        return resync_once(db, link, keys, now=hub_instance.clock())

    click.echo(f"Delivering to {link.api.base_url}:")
    results: list[RelayResult] = []
    while True:
        results += relay_pending(
            db,
            link,
            now=hub_instance.clock,
            sleep=time.sleep,
            retry=retry_policy(),
            due_only=due_only,
            on_result=record,
            resync=None if resynced else resync,
        )
        db.commit()
        if finish_rotation(db, files) is None or not undelivered_entries(db):
            break
        # Statements queued behind the rotation are signed again with the new key.
        keys = load_hub_keys(files)
        again = resync_once(db, link, keys, now=hub_instance.clock())
        db.commit()
        click.echo(f"  {again.detail}")
        if not again.may_continue:
            break
    if not results:
        click.echo("  Nothing waiting in the outbox.")
    return results


def retry_policy() -> RetryPolicy:
    """The relay's retry timing from the hub's settings."""
    config = current_app.config
    return RetryPolicy(
        base=float(config["RETRY_BASE_SECONDS"]),
        cap=float(config["RETRY_CAP_SECONDS"]),
        attempts_per_run=int(config["RETRY_ATTEMPTS_PER_RUN"]),
    )


def finish_rotation(db: Session, files: KeyFiles) -> str | None:
    """Swap in the next key if its rotation statement is delivered; the new key id, or None."""
    new_keyid = rotation_to_finish(db, files)
    if new_keyid is None:
        return None
    for step in complete_rotation(files, new_keyid):
        click.echo(f"  Key rotation: {step}.")
    click.echo(
        f"Key rotation complete: this hub now signs with key {new_keyid}. The national team "
        "needs to do nothing (the rotation is in the log); give them this key id for their records."
    )
    return new_keyid


def finish(db: Session, *, delivered_all: bool) -> None:
    """Print unresolved alarms; exit non-zero if anything is undelivered or alarmed."""
    alarms = echo_alarms(db)
    problems = [] if delivered_all else [DELIVERY_FAILED]
    if alarms:
        problems.append(alarms_message(alarms))
    if problems:
        raise click.ClickException("; ".join(problems))


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

    First checks the aggregator's log and, if the aggregator holds statements
    this hub does not (a restored database), resynchronises before signing.
    A period already in the outbox is never rebuilt: running push again only
    retries delivery. A period that has not ended yet is refused before
    anything is built or sent: its release is cached, so pushing it early
    would freeze its figures and drop everything said later in the period.
    Exits non-zero if anything is left undelivered or any alarm is unresolved.
    """
    now = hub_instance.clock()
    try:
        period = Period.parse(period_text) if period_text else Period.last_full_month(now.date())
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--period") from exc
    if period.end >= now.date():  # refused before contacting the aggregator
        raise click.ClickException(_not_pushed(PeriodNotEnded(period)))
    with app_session(instance) as (app, db):
        hub_id, aud = setting(app, "HUB_ID"), setting(app, "AGGREGATOR_ID")
        keys, files, link = hub_keys(app), key_files(app), aggregator_link(app)
        try:
            report = run_contact(db, link, keys)
            _enqueue(db, period, keys, hub_id=hub_id, aud=aud, now=now)
            deliver(db, link, keys, files, report)
        finally:
            link.close()
        finish(db, delivered_all=not undelivered_entries(db))


def _not_pushed(refusal: PeriodNotEnded) -> str:
    return f"nothing was pushed: {refusal}"


def _enqueue(
    db: Session, period: Period, keys: HubKeys, *, hub_id: str, aud: str, now: datetime
) -> None:
    try:
        entry = enqueue_summary(
            db,
            period,
            private_key=keys.current,
            hub_id=hub_id,
            aud=aud,
            now=now,
            today=now.date(),
        )
        db.commit()
    except PeriodNotEnded as exc:
        db.rollback()
        raise click.ClickException(_not_pushed(exc)) from exc
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


@click.group("outbox", invoke_without_command=True)
@instance_option
@click.pass_context
def outbox_group(context: click.Context, instance: Path) -> None:
    """List signed statements waiting for (or done with) delivery; `send` retries now.

    Exits non-zero while an alarm (e.g. the delivery alert) is unresolved.
    """
    context.obj = instance
    if context.invoked_subcommand is not None:
        return
    with app_session(instance) as (_app, db):
        entries = list_outbox(db)
        if not entries:
            click.echo("The outbox is empty: `hubnet hub push` builds and sends a summary.")
        else:
            click.echo(f"{'seq':>5}  {'period':<23}  {'status':<9}  {'tries':>5}  last error")
        for entry in entries:
            period = entry.label
            error = entry.last_error or ""
            if entry.next_attempt_at is not None:
                error += f" (next try after {entry.next_attempt_at:%Y-%m-%d %H:%M} UTC)"
            click.echo(
                f"{entry.seq:>5}  {period:<23}  {entry.status.value:<9}  {entry.attempts:>5}  "
                f"{error}"
            )
        alarms = echo_alarms(db, err=True)  # stdout stays the table alone
    if alarms:
        raise click.ClickException(alarms_message(alarms))


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
    """Check the log, then deliver undelivered entries now, in order.

    Exits non-zero if any entry is left undelivered or any alarm is unresolved.
    """
    with app_session(instance or context.obj) as (app, db):
        keys, files, link = hub_keys(app), key_files(app), aggregator_link(app)
        try:
            report = run_contact(db, link, keys)
            deliver(db, link, keys, files, report, due_only=due_only)
        finally:
            link.close()
        finish(db, delivered_all=not undelivered_entries(db))
