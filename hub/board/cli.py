"""`hubnet hub board pull`: fetch, verify and keep the board's responses (run hourly)."""

from __future__ import annotations

from pathlib import Path

import click

from hub import instance as hub_instance
from hub.board.services import pull_board_statements
from hub.instance import aggregator_link, app_session, instance_option


@click.group("board")
def board_group() -> None:
    """What the NHS England board said: its responses to the national priorities."""


@board_group.command("pull")
@instance_option
def pull_command(instance: Path) -> None:
    """Pull the board's new responses from the aggregator, verify them and keep them.

    Each must be signed by the pinned log key, follow the version before it,
    and be proven included in a log checkpoint this hub verified; followers of
    items in the theme are emailed (`hubnet hub mail send` delivers). Exits
    non-zero when something did not verify (an alarm is raised) or the
    aggregator could not be asked.
    """
    with app_session(instance) as (app, db):
        link = aggregator_link(app)
        try:
            click.echo(f"Pulling the board's responses from {link.api.base_url}:")
            report = pull_board_statements(db, link, now=hub_instance.clock())
            db.commit()
        finally:
            link.close()
        for line in report.lines():
            click.echo(f"  {line}")
        alarm = report.alarm or report.untrusted
        if alarm is not None:
            raise click.ClickException(
                f"alarm {alarm.id} ({alarm.kind.value}) is unresolved; `hubnet hub alarms show "
                f"{alarm.id}` has the evidence, docs/operators.md says what to do"
            )
        if report.failure is not None:
            raise click.ClickException("the pull did not finish; the next one tries again")
