"""`hubnet hub mail send|list` (the outbox of emails) and `hubnet mail-sink` (a local SMTP sink)."""

from __future__ import annotations

import logging
import signal
import threading
from pathlib import Path
from typing import Any

import click

from hub.instance import app_session, instance_option
from hub.mail.services import list_mail, mail_status, send_pending


@click.group("mail")
def mail_group() -> None:
    """Emails the hub sends (status updates, account links): queued first, then sent by SMTP."""


@mail_group.command("send")
@instance_option
def send_command(instance: Path) -> None:
    """Send the queued emails that are due now (run from a timer as a backstop)."""
    with app_session(instance) as (app, _db):
        report = send_pending(app)
    if not report.configured:
        raise click.ClickException(
            "SMTP_HOST is not set, so the emails stay queued: set SMTP_HOST (and SMTP_PORT, "
            "MAIL_FROM, PUBLIC_URL) in hub.toml or the HUB_* environment"
        )
    click.echo(
        f"Sent {report.sent}; {report.retrying} to try again later; {report.failed} given up."
    )
    if report.error:
        click.echo(f"Last error: {report.error}")


@mail_group.command("list")
@instance_option
@click.option("--all", "include_sent", is_flag=True, help="Include sent emails still kept.")
def list_command(instance: Path, include_sent: bool) -> None:
    """List emails not yet sent (newest first): state, tries, next try and the last error."""
    with app_session(instance) as (app, db):
        status = mail_status(db, app.config)
        rows = list_mail(db, include_sent=include_sent)
        if not status.configured:
            click.echo("SMTP_HOST is not set: nothing is sent until it is.")
        click.echo(f"{status.queued} queued, {status.failed} given up.")
        for row in rows:
            when = row.sent_at or row.failed_at or row.next_attempt_at
            line = (
                f"{row.id:>6}  {row.state:<8}  {row.recipient}  tries {row.attempts}  "
                f"{when:%Y-%m-%d %H:%M}Z  {row.subject}"
            )
            click.echo(line)
            if row.last_error and row.sent_at is None:
                click.echo(f"        last error: {row.last_error}")


@click.command("mail-sink")
@click.option("--port", default=8025, show_default=True, type=int, help="Port on 127.0.0.1.")
@click.option(
    "--dir",
    "directory",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder each received message is written to, as an .eml file.",
)
def mail_sink_command(port: int, directory: Path) -> None:
    """A local SMTP server for demos and tests: keeps every message as a file, relays nothing."""
    from hub.mail.sink import MailSink  # aiosmtpd is only needed here

    logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd's per-command chatter
    stop = threading.Event()

    def _stop(_signum: int, _frame: Any) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    with MailSink(directory, port=port, announce=lambda line: click.echo(line)):
        click.echo(f"mail-sink: listening on 127.0.0.1:{port}, writing to {directory}")
        stop.wait()
