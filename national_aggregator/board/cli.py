"""`hubnet aggregator board …`: list board responses and push word of new ones to hubs."""

from __future__ import annotations

from pathlib import Path

import click

from federation.taxonomy import load_taxonomy
from hubnet.db import get_session
from national_aggregator.board.services import (
    DECISION_TITLES,
    PROGRESS_TITLES,
    deliver_notifications,
    latest_logged,
    pending_notifications,
)
from national_aggregator.db import utcnow
from national_aggregator.instance import instance_option, open_instance
from national_aggregator.log import log_signer


@click.group("board")
def board_group() -> None:
    """Board responses: list them, and notify hubs that there are new ones.

    Responses and updates are recorded by the board secretary on the staff
    pages (/staff/board/); each is signed with the log key and logged.
    """


@board_group.command("list")
@instance_option
def list_command(instance: Path) -> None:
    """Print every response's current state, one per line (tab-separated)."""
    with open_instance(instance):
        session = get_session()
        today = utcnow().date()
        responses = latest_logged(session, log_signer().private_key.public_key())
        taxonomy = load_taxonomy()
        if not responses:
            click.echo("No board responses yet.")
            return
        click.echo("response_id\tv\tperiod\ttheme\tdecision\tprogress\tdue\towner\tlate")
        for logged in responses:
            s = logged.statement
            period = f"{s.period_start.isoformat()}/{s.period_end.isoformat()}"
            click.echo(
                "\t".join(
                    (
                        s.response_id,
                        str(s.version),
                        period,
                        taxonomy.name_of(s.theme),
                        DECISION_TITLES[s.decision],
                        PROGRESS_TITLES[s.progress] if s.progress else "-",
                        s.due.isoformat() if s.due else "-",
                        s.owner or "-",
                        "late" if s.is_late(today) else "-",
                    )
                )
            )


@board_group.command("notify")
@instance_option
def notify_command(instance: Path) -> None:
    """POST (no body) to each hub owed word of a new board statement; keep failures for next time.

    Run it from cron or a systemd timer (every few minutes): pushes are also
    tried once right after each write, and anything that failed waits here.
    Exits 1 if any push failed.
    """
    with open_instance(instance):
        session = get_session()
        if not pending_notifications(session):
            click.echo("Nothing to send.")
            return
        report = deliver_notifications(session)
        session.commit()
    for gss in report.delivered:
        click.echo(f"Notified {gss}.")
    for gss, error in report.failed.items():
        click.echo(f"Could not notify {gss}: {error} (will retry)", err=True)
    if report.failed:
        raise SystemExit(1)
