"""`hubnet hub wards import|list`: the wards a person may say their item is about."""

from __future__ import annotations

from pathlib import Path

import click

from hub.gather.services import import_wards, list_wards
from hub.instance import app_session, instance_option


@click.group("wards")
def wards_group() -> None:
    """The electoral wards of the hub's area (optional on each item)."""


@wards_group.command("import")
@instance_option
@click.argument("csv_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_command(instance: Path, csv_file: Path) -> None:
    """Add or rename wards from a CSV file with the columns code,name (ONS ward codes).

    A header row `code,name` is optional. Wards not in the file are kept, so
    items raised in them keep their ward.
    """
    try:
        text = csv_file.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise click.ClickException(f"{csv_file} is not UTF-8 text") from exc
    with app_session(instance) as (_app, db):
        try:
            added, renamed = import_wards(db, text)
        except ValueError as exc:
            raise click.ClickException(str(exc)) from exc
        db.commit()
        click.echo(f"Imported wards from {csv_file}: {added} added, {renamed} renamed")


@wards_group.command("list")
@instance_option
def list_command(instance: Path) -> None:
    """List the hub's wards."""
    with app_session(instance) as (_app, db):
        for ward in list_wards(db):
            click.echo(f"{ward.code}  {ward.name}")
