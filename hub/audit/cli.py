"""`hubnet hub audit`, `hubnet hub alarms …` and `hubnet hub witness`.

Also the pieces every command that contacts the aggregator shares: running a
contact and printing it, and printing the open alarms at the end (a command
exits non-zero while any is open).
"""

from __future__ import annotations

import json
from pathlib import Path

import click
from flask import current_app
from sqlalchemy.orm import Session

from federation.errors import TransportError
from federation.keys import key_id
from hub import instance as hub_instance
from hub.aggregator import AggregatorLink
from hub.audit.contact import ContactReport, contact
from hub.audit.models import Alarm, AlarmKind
from hub.audit.services import (
    AlarmNotFound,
    ContactFailed,
    Untrusted,
    age_text,
    alarm_evidence,
    check_delivery,
    federation_status,
    open_alarms,
    resolve_alarm,
    witness_checkpoint,
)
from hub.instance import aggregator_link, app_session, hub_keys, instance_option
from hub.keys.services import HubKeys


def run_contact(db: Session, link: AggregatorLink, keys: HubKeys | None) -> ContactReport:
    """One contact with the aggregator, committed and printed."""
    click.echo(f"Contacting {link.api.base_url} (log key {link.log_keyid}):")
    report = contact(db, link, keys, now=hub_instance.clock())
    db.commit()
    for line in report.lines():
        click.echo(f"  {line}")
    return report


def echo_alarms(db: Session, *, err: bool = False) -> int:
    """Print every unresolved alarm (after refreshing the delivery alarm); return how many."""
    check_delivery(db, alert_days=_alert_days(), now=hub_instance.clock())
    db.commit()
    alarms = open_alarms(db)
    for alarm in alarms:
        click.echo(
            f"ALARM {alarm.id} ({alarm.kind.value}) since {alarm.created_at:%Y-%m-%d %H:%M} UTC: "
            f"{alarm.detail}",
            err=err,
        )
    return len(alarms)


def _alert_days() -> float:
    return float(current_app.config["DELIVERY_ALERT_DAYS"])


def alarms_message(count: int) -> str:
    return (
        f"{count} unresolved alarm{'s' if count != 1 else ''} (see above; "
        "`hubnet hub alarms` lists them, docs/operators.md says what to do)"
    )


# -- hubnet hub audit -------------------------------------------------------------


def _echo_status(db: Session, link: AggregatorLink) -> bool:
    """Print the hub's federation state; True when there is nothing to worry about."""
    now = hub_instance.clock()
    status = federation_status(db, now=now)
    click.echo(f"Aggregator: {link.api.base_url}")
    click.echo(f"  pinned log key id: {link.log_keyid}")
    cp = status.last_verified
    if cp is None:
        click.echo("Last verified checkpoint: none yet")
    else:
        click.echo(
            f"Last verified checkpoint: size {cp.size}, verified {cp.verified_at:%Y-%m-%d %H:%M} "
            f"UTC{f' ({cp.note})' if cp.note else ''}"
        )
    counts = status.counts
    line = (
        f"Outbox: {counts['delivered']} delivered, {counts['pending']} pending, "
        f"{counts['rejected']} rejected"
    )
    if status.oldest_pending is not None and status.oldest_pending_age is not None:
        line += (
            f"; the oldest pending (seq {status.oldest_pending.seq}) has waited "
            f"{age_text(status.oldest_pending_age)}"
        )
    click.echo(line + ".")
    witness = status.last_cosigned
    if witness is None:
        click.echo("Witness: this hub has cosigned no checkpoint.")
    else:
        click.echo(
            f"Witness: last cosigned size {witness.size} "
            f"at {witness.cosigned_at:%Y-%m-%d %H:%M} UTC."
        )
    return counts["rejected"] == 0


@click.command("audit")
@instance_option
def audit_command(instance: Path) -> None:
    """Check the aggregator's log now and show this hub's federation state.

    Verifies the latest checkpoint against the pinned key and its consistency
    with the last verified one, checks that every statement this hub delivered
    is still in the log unchanged, resynchronises the outbox if needed (it
    sends nothing), and lists unresolved alarms. Exits 0 only when all is well.
    """
    with app_session(instance) as (app, db):
        link = aggregator_link(app)
        try:
            report = run_contact(db, link, hub_keys(app))
            well = _echo_status(db, link)
            alarms = echo_alarms(db)
        finally:
            link.close()
    problems = []
    if report.failure is not None:
        problems.append("the aggregator's log could not be checked")
    if not well:
        problems.append("a rejected entry blocks the outbox")
    if alarms:
        problems.append(alarms_message(alarms))
    if problems:
        raise click.ClickException("not all is well: " + "; ".join(problems))
    click.echo("All is well.")


# -- hubnet hub alarms ------------------------------------------------------------


@click.group("alarms", invoke_without_command=True)
@instance_option
@click.option("--all", "show_all", is_flag=True, help="Resolved alarms too.")
@click.pass_context
def alarms_group(context: click.Context, instance: Path, show_all: bool) -> None:
    """List alarms (`show ID` prints one's evidence; `resolve ID` closes one)."""
    context.obj = instance
    if context.invoked_subcommand is not None:
        return
    with app_session(instance) as (_app, db):
        status = federation_status(db, now=hub_instance.clock(), resolved_limit=1000)
        alarms = status.open_alarms + (status.resolved_alarms if show_all else [])
        if not alarms:
            click.echo("No unresolved alarms." if not show_all else "No alarms.")
            return
        for alarm in sorted(alarms, key=lambda a: a.id):
            state = (
                "UNRESOLVED"
                if alarm.resolved_at is None
                else f"resolved {alarm.resolved_at:%Y-%m-%d %H:%M} UTC: {alarm.resolution}"
            )
            click.echo(
                f"{alarm.id:>4}  {alarm.kind.value:<17}  {alarm.created_at:%Y-%m-%d %H:%M} UTC  "
                f"{state}\n      {alarm.detail}"
            )
    if status.open_alarms:
        raise click.ClickException(alarms_message(len(status.open_alarms)))


def _instance_arg(context: click.Context, value: Path | None) -> Path:
    return value or context.obj


_sub_instance = click.option(
    "--instance",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="The hub's instance folder (default: the one given to `alarms`).",
)


@alarms_group.command("show")
@click.argument("alarm_id", type=int)
@_sub_instance
@click.pass_context
def show_command(context: click.Context, alarm_id: int, instance: Path | None) -> None:
    """Print one alarm with all its evidence, as JSON."""
    with app_session(_instance_arg(context, instance)) as (_app, db):
        alarm = db.get(Alarm, alarm_id)
        if alarm is None:
            raise click.ClickException(f"there is no alarm {alarm_id}")
        document = {
            "id": alarm.id,
            "kind": alarm.kind.value,
            "detail": alarm.detail,
            "created_at": alarm.created_at.isoformat(),
            "resolved_at": None if alarm.resolved_at is None else alarm.resolved_at.isoformat(),
            "resolution": alarm.resolution,
            "evidence": alarm_evidence(alarm),
        }
    click.echo(json.dumps(document, indent=2))


@alarms_group.command("resolve")
@click.argument("alarm_id", type=int)
@click.option(
    "--note",
    required=True,
    help="What was found and who agreed it, e.g. 'national team restored from backup, ticket 42'.",
)
@_sub_instance
@click.pass_context
def resolve_command(
    context: click.Context, alarm_id: int, note: str, instance: Path | None
) -> None:
    """Close an alarm once its cause is understood (the evidence is kept).

    Resolving a log-inconsistent alarm makes the next contact take the
    aggregator's current checkpoint as a new starting point.
    """
    with app_session(_instance_arg(context, instance)) as (_app, db):
        try:
            alarm = resolve_alarm(db, alarm_id, note, now=hub_instance.clock())
        except AlarmNotFound as exc:
            raise click.ClickException(str(exc)) from exc
        db.commit()
        click.echo(f"Alarm {alarm.id} ({alarm.kind.value}) is resolved: {alarm.resolution}")
        if alarm.kind is AlarmKind.LOG_INCONSISTENT:
            click.echo(
                "The next contact (`hubnet hub audit`, `push` or `outbox send`) takes the "
                "aggregator's current checkpoint as this hub's new starting point."
            )
        if alarm.kind is AlarmKind.DELIVERY:
            click.echo("It is raised again if the oldest pending entry is still too old.")
        remaining = open_alarms(db)
        if remaining:
            click.echo(f"Still unresolved: {', '.join(str(a.id) for a in remaining)}.")


# -- hubnet hub witness -----------------------------------------------------------


@click.command("witness")
@instance_option
def witness_command(instance: Path) -> None:
    """Check the aggregator's latest checkpoint and cosign it (run it from a timer).

    The checkpoint must verify with the pinned log key and be consistent with
    the last checkpoint this hub verified and the last one it cosigned. The
    hub then signs `hubnet-cosignature/1` and the checkpoint's note text with
    its own key and posts it to the aggregator. Running it again for the same
    checkpoint sends the same cosignature only if the aggregator lacks it.
    """
    with app_session(instance) as (app, db):
        link, keys = aggregator_link(app), hub_keys(app)
        try:
            report = run_contact(db, link, keys)
            message = _cosign(db, link, keys, report)
            alarms = echo_alarms(db)
        finally:
            link.close()
    if message is not None:
        raise click.ClickException(message)
    if alarms:
        raise click.ClickException(alarms_message(alarms))


def _cosign(db: Session, link: AggregatorLink, keys: HubKeys, report: ContactReport) -> str | None:
    """Cosign the contact's checkpoint and post it; an error message, or None."""
    if report.untrusted is not None or report.signed is None or report.verdict is None:
        return "not cosigned: the checkpoint could not be verified (see above)"
    keyid = key_id(keys.current.public_key())
    try:
        cosigning = witness_checkpoint(
            db, link, report.signed, private_key=keys.current, now=hub_instance.clock()
        )
    except Untrusted as exc:
        db.commit()
        return f"not cosigned: {exc}"
    except ContactFailed as exc:
        return f"not cosigned: {exc.detail}"
    db.commit()
    size = report.signed.checkpoint.size
    if cosigning.row is None or cosigning.already_listed:
        click.echo(f"Witness: checkpoint size {size}: {cosigning.note}; nothing to send.")
        return None
    try:
        answer = link.api.post_cosignature(cosigning.as_json(link.hub_id))
    except TransportError as exc:
        return f"cosigned size {cosigning.row.size} but could not send it: {exc.detail}"
    if answer.status in (200, 201):
        click.echo(
            f"Witness: cosigned checkpoint size {cosigning.row.size} with key {keyid} "
            "and the aggregator accepted the cosignature."
        )
        return None
    detail = answer.body.get("detail") or answer.body.get("title") or "no detail given"
    return f"the aggregator refused the cosignature: HTTP {answer.status}: {detail}"
