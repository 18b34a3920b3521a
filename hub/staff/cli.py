"""`hubnet hub staff add|list`: staff accounts, made by whoever runs the hub.

The password is never a command-line argument (it would sit in shell history
and in `ps`): it is asked for twice at a prompt, or read from standard input
with `--password-stdin` for scripts.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from hub.instance import app_session, instance_option
from hub.staff.models import Role
from hub.staff.services import StaffAccountError, add_staff, find_staff, list_staff, reset_totp


@click.group("staff")
def staff_group() -> None:
    """Staff accounts: admins, moderators, facilitators and responders."""


@staff_group.command("add")
@instance_option
@click.option("--email", required=True, help="The address they sign in with.")
@click.option("--name", required=True, help="Their name, as other staff see it.")
@click.option(
    "--role", required=True, type=click.Choice([role.value for role in Role]), help="What they do."
)
@click.option(
    "--password-stdin",
    is_flag=True,
    help="Read the password from the first line of standard input instead of a prompt.",
)
def add_command(instance: Path, email: str, name: str, role: str, password_stdin: bool) -> None:
    """Add a staff account; the password is asked for (twice) at a prompt."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    with app_session(instance) as (_app, db):
        try:
            staff = add_staff(db, email=email, name=name, role=role, password=password)
        except StaffAccountError as exc:
            raise click.ClickException(str(exc)) from exc
        db.commit()
        click.echo(
            f"Added {staff.role.value} {staff.name} <{staff.email}>; they sign in at /staff/login"
        )


@staff_group.command("list")
@instance_option
def list_command(instance: Path) -> None:
    """List staff accounts and their roles."""
    with app_session(instance) as (_app, db):
        for staff in list_staff(db):
            state = "" if staff.active else "  (disabled)"
            state += "  (two-step sign-in)" if staff.totp_enabled else ""
            last = (
                staff.last_login_at.strftime("%Y-%m-%d %H:%M") if staff.last_login_at else "never"
            )
            click.echo(
                f"{staff.email:<40}  {staff.role.value:<11}  last sign-in {last}  "
                f"{staff.name}{state}"
            )


@staff_group.command("reset-totp")
@instance_option
@click.option("--email", required=True, help="Whose two-step sign-in to turn off.")
def reset_totp_command(instance: Path, email: str) -> None:
    """Turn off someone's two-step sign-in (a lost phone, or after SECRET_KEY changed)."""
    with app_session(instance) as (_app, db):
        staff = find_staff(db, email)
        if staff is None:
            raise click.ClickException(f"there is no staff account for {email}")
        changed = reset_totp(db, staff, by=None)
        db.commit()
        if changed:
            click.echo(f"Two-step sign-in is off for {staff.email}; they can set it up again.")
        else:
            click.echo(f"{staff.email} did not have two-step sign-in on.")
