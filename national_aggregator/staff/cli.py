"""`hubnet aggregator staff add|list|link|disable|enable|reset-totp`: national team accounts.

A new account gets a one-time set-password link, printed once for the operator
to pass on (the owner chooses their own password), or, for scripts, a password
read from the first line of standard input with `--password-stdin`. A password
is never a command-line argument: it would sit in shell history and in `ps`.
Admins can do the same on /staff/users; `reset-totp` is the way back in for
the only admin when they lose the phone with their authenticator app.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import Flask

from hubnet.db import get_session
from national_aggregator.instance import instance_option, open_instance
from national_aggregator.staff import SETTINGS
from national_aggregator.staff.auth import pages
from national_aggregator.staff.models import ROLES, Role, StaffUser
from national_aggregator.staff.services import (
    StaffAccountError,
    add_staff,
    find_staff,
    issue_password_link,
    list_staff,
    reset_totp,
    set_active,
)

LOCAL_URL = "http://127.0.0.1:8100"  # `hubnet aggregator serve`'s default address

url_option = click.option(
    "--url",
    help="The aggregator's address as staff reach it, for the link "
    f"(default: PUBLIC_URL from its settings, else {LOCAL_URL}).",
)


@click.group("staff")
def staff_group() -> None:
    """National team accounts: analysts, the board secretary and admins.

    \b
    Roles:
      analyst          builds board packs, checks national figures
      board-secretary  records the board's responses and commitments
      admin            everything, and the staff activity log
    """


def _link(app: Flask, token: str, base: str | None) -> str:
    """The set-password page's address (`views.set_password`) under the aggregator's URL."""
    base = str(base or app.config.get("PUBLIC_URL") or LOCAL_URL).rstrip("/")
    return f"{base}{pages.url_prefix}/set-password/{token}"


def _hours(app: Flask) -> float:
    key = "NATIONAL_STAFF_PASSWORD_LINK_HOURS"
    return float(app.config.get(key, SETTINGS[key]))


def _echo_link(staff: StaffUser, link: str, hours: float) -> None:
    click.echo(
        f"Give {staff.name} this one-time link to choose their password "
        f"(it works once, for {hours:g} hours; anyone holding it can use it):\n  {link}"
    )


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
    help="Read their password from the first line of standard input instead of "
    "printing a set-password link.",
)
@url_option
def add_command(
    instance: Path, email: str, name: str, role: str, password_stdin: bool, url: str | None
) -> None:
    """Add a staff account and print its one-time set-password link."""
    password = sys.stdin.readline().rstrip("\r\n") if password_stdin else None
    with open_instance(instance) as app:
        db = get_session()
        try:
            staff = add_staff(db, email=email, name=name, role=role, password=password)
            token = (
                None
                if password_stdin
                else issue_password_link(db, staff, by=None, hours=_hours(app))
            )
        except StaffAccountError as exc:
            db.rollback()
            raise click.ClickException(str(exc)) from exc
        db.commit()
        click.echo(f"Added {ROLES[staff.role].title.lower()} {staff.name} <{staff.email}>.")
        if token is None:
            click.echo("They sign in at /staff/login with the password given.")
        else:
            _echo_link(staff, _link(app, token, url), _hours(app))


@staff_group.command("link")
@instance_option
@click.option("--email", required=True, help="Whose password to (re)set.")
@url_option
def link_command(instance: Path, email: str, url: str | None) -> None:
    """Print a new one-time set-password link (a password reset); older links stop working."""
    with open_instance(instance) as app:
        db = get_session()
        staff = find_staff(db, email)
        if staff is None:
            raise click.ClickException(f"there is no staff account for {email.strip()}")
        if not staff.active:
            raise click.ClickException(f"{staff.email}'s account is disabled: enable it first")
        token = issue_password_link(db, staff, by=None, hours=_hours(app))
        db.commit()
        _echo_link(staff, _link(app, token, url), _hours(app))


@staff_group.command("list")
@instance_option
def list_command(instance: Path) -> None:
    """List staff accounts, their roles and last sign-in."""
    with open_instance(instance):
        people = list_staff(get_session())
        if not people:
            click.echo("No staff accounts yet. Add one with: hubnet aggregator staff add --help")
        for staff in people:
            state = "" if staff.active else "  (disabled)"
            state += "" if staff.has_password else "  (no password yet)"
            state += "  (two-step sign-in)" if staff.totp_enabled else ""
            last = (
                staff.last_login_at.strftime("%Y-%m-%d %H:%M") if staff.last_login_at else "never"
            )
            click.echo(
                f"{staff.email:<40}  {staff.role.value:<15}  last sign-in {last}  "
                f"{staff.name}{state}"
            )


def _set_active(instance: Path, email: str, active: bool) -> None:
    with open_instance(instance):
        db = get_session()
        staff = find_staff(db, email)
        if staff is None:
            raise click.ClickException(f"there is no staff account for {email.strip()}")
        try:
            changed = set_active(db, staff, active, by=None)
        except StaffAccountError as exc:
            db.rollback()
            raise click.ClickException(f"{staff.email} is not disabled: {exc}") from exc
        db.commit()
        state = "enabled" if active else "disabled (every sign-in ended)"
        click.echo(f"{staff.email} is {state}." if changed else f"{staff.email} already was.")


@staff_group.command("disable")
@instance_option
@click.option("--email", required=True, help="Whose account to disable.")
def disable_command(instance: Path, email: str) -> None:
    """Disable an account: its sign-ins end at once and it cannot sign in."""
    _set_active(instance, email, False)


@staff_group.command("enable")
@instance_option
@click.option("--email", required=True, help="Whose account to enable again.")
def enable_command(instance: Path, email: str) -> None:
    """Enable a disabled account."""
    _set_active(instance, email, True)


@staff_group.command("reset-totp")
@instance_option
@click.option("--email", required=True, help="Whose two-step sign-in to turn off.")
def reset_totp_command(instance: Path, email: str) -> None:
    """Turn off someone's two-step sign-in (a lost phone): their password alone works again."""
    with open_instance(instance):
        db = get_session()
        staff = find_staff(db, email)
        if staff is None:
            raise click.ClickException(f"there is no staff account for {email.strip()}")
        changed = reset_totp(db, staff, by=None)
        db.commit()
        click.echo(
            f"Two-step sign-in is off for {staff.email}: their password alone works, "
            "and they can set it up again on /staff/account."
            if changed
            else f"{staff.email} did not have two-step sign-in."
        )
