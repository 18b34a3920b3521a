"""`hubnet hub discover import|export`: the Discover directory in Open Referral UK format.

    hubnet hub discover import --instance DIR directory.json
    hubnet hub discover import --instance DIR services.csv organizations.csv attribute.csv …
    hubnet hub discover export --instance DIR OUT_DIR --format json|csv

Import is all or nothing: every problem in every file is printed and nothing is
stored (exit status 1). An entry whose id is already listed is updated; a new
one is added. Export writes `discover.json`, or the ORUK CSV tables, into OUT_DIR.
"""

from __future__ import annotations

from pathlib import Path

import click

from hub.discover import services
from hub.discover.openreferral import export_csv
from hub.instance import app_session, instance_option


@click.group("discover")
def discover_group() -> None:
    """The directory of groups people can join (Discover), in Open Referral UK format."""


@discover_group.command("import")
@instance_option
@click.argument(
    "files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
def import_command(instance: Path, files: tuple[Path, ...]) -> None:
    """Import FILES: an ORUK .json file, a .zip of ORUK CSV files, or the .csv files themselves."""
    contents = [(path.name, path.read_bytes()) for path in files]
    names = ", ".join(str(path) for path in files)
    with app_session(instance) as (_app, db):
        try:
            entries = services.read_files(contents)
            result = services.import_entries(db, None, entries, source=names)
        except services.DiscoverError as error:
            db.rollback()
            count = len(error.problems)
            click.echo(
                f"Nothing was imported: {count} {'problem' if count == 1 else 'problems'}:",
                err=True,
            )
            for where, message in error.problems:
                click.echo(f"- {where}: {message}" if where else f"- {message}", err=True)
            raise SystemExit(1) from error
        db.commit()
    click.echo(f"Imported {names}: {result.added} added, {result.updated} updated")


@discover_group.command("export")
@instance_option
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--format",
    "format_",
    type=click.Choice(["json", "csv"]),
    default="json",
    show_default=True,
    help="json: one discover.json file; csv: the ORUK CSV tables, one file each.",
)
def export_command(instance: Path, directory: Path, format_: str) -> None:
    """Write the directory into DIRECTORY in Open Referral UK 3.0 format."""
    with app_session(instance) as (_app, db):
        entries = services.list_entries(db)
    directory.mkdir(parents=True, exist_ok=True)
    if format_ == "json":
        path = directory / services.JSON_FILE
        path.write_text(services.export_json_text(entries), encoding="utf-8")
        written = [path]
    else:
        written = []
        for name, text in export_csv(entries).items():
            path = directory / name
            path.write_text(text, encoding="utf-8")
            written.append(path)
    click.echo(
        f"Exported {len(entries)} {'entry' if len(entries) == 1 else 'entries'} to "
        + ", ".join(str(path) for path in written)
    )
