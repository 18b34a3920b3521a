"""`hubnet hub panels withdraw NUMBER`: take someone out of the pool who lost their private link.

A volunteer asks the hub (by phone, letter or email) to be removed; staff check it is them
and an operator runs this with the number the hub gave them (or finds it by email address).
"""

from __future__ import annotations

from pathlib import Path

import click
from sqlalchemy import func, select

from hub.instance import app_session, instance_option
from hub.panels.models import PanelVolunteer
from hub.panels.services import withdraw
from hub.staff.audit import record_action


@click.group("panels")
def panels_group() -> None:
    """Citizens' panels: the pool of volunteers for Citizens' Juries and Assemblies."""


@panels_group.command("withdraw")
@instance_option
@click.option("--number", help="The volunteer's number, e.g. V-0042.")
@click.option("--email", help="Or the email address they joined with.")
def withdraw_command(instance: Path, number: str | None, email: str | None) -> None:
    """Remove a volunteer from the pool and erase what they told the hub.

    A volunteer no draw chose is deleted; one a draw chose keeps only their number
    (the published report refers to it).
    """
    if bool(number) == bool(email):
        raise click.UsageError("give exactly one of --number or --email")
    with app_session(instance) as (_app, db):
        query = select(PanelVolunteer).where(PanelVolunteer.withdrawn_at.is_(None))
        if number:
            query = query.where(PanelVolunteer.number == number.strip().upper())
        else:
            query = query.where(func.lower(PanelVolunteer.email) == str(email).strip().lower())
        found = list(db.scalars(query))
        if not found:
            raise click.ClickException("no volunteer in the pool has that number or email address")
        for volunteer in found:
            shown = volunteer.number
            withdraw(db, volunteer)
            record_action(
                db, None, "panel-volunteer-withdrawn", f"volunteer:{shown}", "by an operator"
            )
            click.echo(f"Withdrew {shown} from the pool.")
        db.commit()
