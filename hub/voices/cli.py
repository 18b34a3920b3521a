"""`hubnet hub profile …`: import and show the area's population profile (hidden voices).

The profile is a file in the instance folder (`hub.voices.store`), so these
commands need neither the database nor the app: an operator can import it
before the hub has ever been served.
"""

from __future__ import annotations

from pathlib import Path

import click

from hub.db import utcnow
from hub.instance import instance_option
from hub.voices.profile import ProfileError, parse_profile_csv
from hub.voices.store import PROFILE_CSV, load_stored_profile, save_profile


def _instance_folder(instance: Path) -> Path:
    if not instance.is_dir():
        raise click.ClickException(
            f"{instance} is not a hub instance folder; create one with `hubnet hub init --instance "
            f"{instance} …` or point --instance (or HUB_INSTANCE) at an existing one"
        )
    return instance


@click.group("profile")
def profile_group() -> None:
    """The area's population profile that hidden voices compares participants with."""


@profile_group.command("import")
@instance_option
@click.argument("csv_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--label", default="", help='What the figures are, e.g. "Census 2021, Leeds".')
def import_command(instance: Path, csv_file: Path, label: str) -> None:
    """Check a CSV of people counts (characteristic,category,count[,source]) and store it.

    Every problem in the file is listed and nothing is stored until there are
    none; a good file replaces the previous profile.
    """
    folder = _instance_folder(instance)
    try:
        text = csv_file.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise click.ClickException(f"{csv_file} is not UTF-8 text") from exc
    try:
        profile = parse_profile_csv(text, label.strip())
    except ProfileError as exc:
        click.echo(f"Nothing was imported: {csv_file} has {_problems(exc)}:", err=True)
        for error in exc.errors:
            click.echo(f"- {error}", err=True)
        raise SystemExit(1) from exc
    save_profile(folder, profile, utcnow())
    groups = len(profile.rows)
    click.echo(
        f"Imported the population profile from {csv_file}: {len(profile.characteristics)} "
        f"characteristics, {groups} groups, into {folder / PROFILE_CSV}"
    )


@profile_group.command("show")
@instance_option
def show_command(instance: Path) -> None:
    """Print the imported profile: its label, when it was imported, and its figures as CSV."""
    try:
        stored = load_stored_profile(_instance_folder(instance))
    except ProfileError as exc:
        raise click.ClickException(
            f"the stored profile in {instance / PROFILE_CSV} cannot be read ({exc}); "
            "import it again with `hubnet hub profile import`"
        ) from exc
    if stored is None:
        raise click.ClickException(
            f"no population profile has been imported into {instance}; import one with "
            f"`hubnet hub profile import --instance {instance} FILE.csv --label TEXT`"
        )
    click.echo(f"Label: {stored.profile.label or '(none)'}")
    when = stored.imported_at.isoformat() if stored.imported_at else "unknown"
    click.echo(f"Imported: {when}")
    for characteristic in stored.profile.characteristics:
        click.echo(f"Total for {characteristic}: {stored.profile.total(characteristic):,}")
    click.echo("")
    click.echo(stored.profile.to_csv(), nl=False)


def _problems(error: ProfileError) -> str:
    return "1 problem" if len(error.errors) == 1 else f"{len(error.errors)} problems"
