"""`hubnet hub themes list|add`: the hub's local themes."""

from __future__ import annotations

from pathlib import Path

import click

from hub.instance import app_session, instance_option
from hub.themes.services import add_local_theme, list_themes


@click.group("themes")
def themes_group() -> None:
    """Local themes people choose from, each counted under a national theme."""


@themes_group.command("list")
@instance_option
def list_command(instance: Path) -> None:
    """List local themes and the national code each one counts under."""
    with app_session(instance) as (_app, db):
        themes = list_themes(db, include_retired=True)
        width = max((len(theme.slug) for theme in themes), default=4)
        click.echo(f"{'slug':<{width}}  {'national code':<28}  name")
        for theme in themes:
            retired = "  (retired)" if theme.retired else ""
            click.echo(f"{theme.slug:<{width}}  {theme.national_code:<28}  {theme.name}{retired}")


@themes_group.command("add")
@instance_option
@click.option("--slug", required=True, help="Short id used in links, e.g. hospital-discharge.")
@click.option("--name", required=True, help="What people see, e.g. 'Leaving hospital'.")
@click.option(
    "--national",
    "national_code",
    required=True,
    help="The national theme code it counts under (see `themes list`; 'other' if none fits).",
)
def add_command(instance: Path, slug: str, name: str, national_code: str) -> None:
    """Add a local theme mapped onto a national theme code."""
    with app_session(instance) as (_app, db):
        try:
            theme = add_local_theme(db, slug=slug, name=name, national_code=national_code)
        except ValueError as exc:
            raise click.ClickException(str(exc)) from exc
        db.commit()
        click.echo(f"Added local theme {theme.slug} ({theme.name}) → {theme.national_code}")
