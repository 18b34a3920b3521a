"""`hubnet hub routing remind`: email the organisations that owe an answer (run daily)."""

from __future__ import annotations

from pathlib import Path

import click

from hub.instance import app_session, instance_option
from hub.routing.reminders import DAYS_BEFORE, send_reminders


@click.group("routing")
def routing_group() -> None:
    """Triage and routing: reminders to the organisations that owe an answer."""


@routing_group.command("remind")
@instance_option
@click.option(
    "--days-before",
    type=click.IntRange(0, 60),
    default=DAYS_BEFORE,
    show_default=True,
    help="Start reminding this many working days before an item's deadline.",
)
def remind_command(instance: Path, days_before: int) -> None:
    """Queue one reminder per unanswered item that is due soon or late (once a day).

    `hubnet hub mail send` then delivers them. Items whose organisation has no
    email address and no named responder are listed, so someone can add one.
    """
    with app_session(instance) as (_app, db):
        report = send_reminders(db, days_before=days_before)
        db.commit()
        click.echo(f"Queued {len(report.sent)} reminder(s).")
        for routing in report.no_address:
            name = routing.organisation.name if routing.organisation else "?"
            click.echo(
                f"No one to remind for item {routing.contribution_id} ({name}): name a "
                "responder on its routing page or give the organisation an email address"
            )
