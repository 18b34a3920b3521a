"""`hubnet aggregator …`: set up, migrate and serve the national aggregator.

Feature commands live with their feature (`registry/cli.py` for `hubs`) and
are gathered here.
"""

from __future__ import annotations

import secrets
from pathlib import Path

import click
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from federation.keys import generate_key_pair, key_id, load_private_key
from hubnet.config import write_toml
from hubnet.db import upgrade_database
from hubnet.serve import serve
from national_aggregator import CONFIG_FILE, DEFAULTS, load_settings
from national_aggregator.board.cli import board_group
from national_aggregator.db import MIGRATIONS
from national_aggregator.instance import instance_option, load_app
from national_aggregator.registry.cli import hubs_group
from national_aggregator.staff.cli import staff_group

LOG_PUBLIC_KEY = "log-key.pub"
CONFIG_HEADER = """\
hubnet national aggregator settings. An environment variable named
AGGREGATOR_ + the setting overrides it (AGGREGATOR_DATABASE_URL,
AGGREGATOR_AGGREGATOR_ID, …).

AGGREGATOR_ID     the `aud` every hub's statements must name; hubs are told it
                  at `hubnet hub init --aggregator-id`. Changing it makes every
                  hub's next push fail with 422 wrong-audience.
LOG_ORIGIN        the name written into every signed log checkpoint.
LOG_PRIVATE_KEY   the log's Ed25519 private key (relative to this folder). Hubs
                  pin its public half (log-key.pub); keep it mode 0600 and back
                  it up: a new key means every hub must pin again.
SECRET_KEY        Flask's secret for signed cookies; keep it private.
DATABASE_URL      where the data lives. Absent: aggregator.sqlite3 in this
                  folder. Production: postgresql://user@host/dbname.

Optional (add them here or as environment variables):
SUBMISSION_RATE_LIMIT  POST /api/v1/submissions per client address, e.g.
                  "120 per minute" (the default); more get 429.
RATELIMIT_STORAGE_URI  where that limit counts: "memory://" (the default)
                  counts in each gunicorn worker; "redis://host:6379" shares one.
PROXY_COUNT       proxies in front that set X-Forwarded-For (1 behind nginx),
                  so the limit sees the hub's address rather than the proxy's."""


@click.group("aggregator")
def aggregator_group() -> None:
    """Run the national aggregator (for the national team).

    The aggregator receives hubs' signed summaries, records each in a public
    transparency log, and ranks national priorities.

    \b
    Set up:    hubnet aggregator init --instance DIR
    Register:  hubnet aggregator hubs add --gss E08000003 --name … --public-key hub-key.pub
    Run:       hubnet aggregator serve --instance DIR
    """


@aggregator_group.command("init")
@instance_option
@click.option(
    "--id", "aggregator_id", default=DEFAULTS["AGGREGATOR_ID"], show_default=True,
    help="The aggregator id hubs address their statements to (`aud`).",
)  # fmt: skip
@click.option(
    "--origin", default=DEFAULTS["LOG_ORIGIN"], show_default=True,
    help="The transparency log's name, written into every signed checkpoint.",
)  # fmt: skip
@click.option(
    "--database-url",
    help="SQLAlchemy URL, e.g. postgresql://hubnet@localhost/aggregator "
    "(default: aggregator.sqlite3 in the instance folder).",
)
@click.option(
    "--force", is_flag=True,
    help="Rewrite an existing instance's config; its log key is kept.",
)  # fmt: skip
def init_command(
    instance: Path, aggregator_id: str, origin: str, database_url: str | None, force: bool
) -> None:
    """Make an instance: config, log key, database.

    Writes aggregator.toml, makes the log key pair (log-key.pem, mode 0600, and
    log-key.pub for hubs to pin), and migrates the database.
    """
    config_path = instance / CONFIG_FILE
    private_path = instance / DEFAULTS["LOG_PRIVATE_KEY"]
    if (config_path.exists() or private_path.exists()) and not force:
        raise click.ClickException(
            f"{instance} already holds an aggregator; use --force to rewrite its config "
            "(the log key is kept)"
        )
    kept_keyid = _existing_log_key(private_path)
    settings = {
        "AGGREGATOR_ID": aggregator_id,
        "LOG_ORIGIN": origin,
        "LOG_PRIVATE_KEY": DEFAULTS["LOG_PRIVATE_KEY"],
        "SECRET_KEY": secrets.token_hex(32),
    }
    if database_url:
        settings["DATABASE_URL"] = database_url
    write_toml(config_path, settings, header=CONFIG_HEADER)
    keyid = kept_keyid or generate_key_pair(private_path, instance / LOG_PUBLIC_KEY)
    url = load_settings({"INSTANCE_PATH": str(instance)}).config["DATABASE_URL"]
    try:
        upgrade_database(url, MIGRATIONS)
    except SQLAlchemyError as exc:
        raise click.ClickException(
            f"Config and log key are written, but the database {_safe_url(url)} could not be "
            f"migrated: {str(exc).splitlines()[0]}. Fix it, then run: "
            f"hubnet aggregator migrate --instance {instance}"
        ) from exc
    click.echo(f"Aggregator instance in {instance.resolve()}:")
    made = "kept" if kept_keyid else "new"
    for name, what in [
        (CONFIG_FILE, f"settings (aggregator id {aggregator_id!r})"),
        (private_path.name, f"log private key, mode 0600 ({made}; key id {keyid})"),
        (LOG_PUBLIC_KEY, "log public key: give it to every hub to pin"),
        ("database", f"migrated ({_safe_url(url)})"),
    ]:
        click.echo(f"  {name:<17}{what}")
    click.echo(
        "\nNext:\n"
        "  1. Register each hub's key (check its key id with the council by phone):\n"
        f"     hubnet aggregator hubs add --instance {instance} --gss … --name … --region … "
        "--population … --public-key hub-key.pub --expect-keyid …\n"
        f"  2. Serve: hubnet aggregator serve --instance {instance}\n"
        f"  3. Tell each hub the id {aggregator_id!r} and send it {LOG_PUBLIC_KEY} "
        "(also served at /api/v1/about)."
    )


def _existing_log_key(private_path: Path) -> str | None:
    """The key id of a log key `init --force` keeps, or None if there is none yet."""
    if not private_path.exists():
        return None
    try:
        return key_id(load_private_key(private_path).public_key())
    except (PermissionError, ValueError) as exc:
        raise click.ClickException(f"Cannot keep the log key {private_path}: {exc}") from exc


def _safe_url(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


@aggregator_group.command("migrate")
@instance_option
def migrate_command(instance: Path) -> None:
    """Bring the database up to date.

    Creates the tables on first run; run it after every hubnet upgrade.
    """
    url = load_settings({"INSTANCE_PATH": str(instance)}).config["DATABASE_URL"]
    upgrade_database(url, MIGRATIONS)
    click.echo("The aggregator database is up to date.")


@aggregator_group.command("serve")
@instance_option
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8100, show_default=True, help="Port to listen on.")
@click.option("--workers", default=2, show_default=True, help="gunicorn worker processes.")
def serve_command(instance: Path, host: str, port: int, workers: int) -> None:
    """Serve the aggregator with gunicorn.

    In production, put nginx with TLS in front (see docs/national-team.md).
    """
    app = load_app(instance)  # fails here, naming the fix, rather than in every worker
    click.echo(f"National aggregator on http://{host}:{port}/ (Ctrl-C stops it)")
    serve(lambda: app, host=host, port=port, workers=workers)


aggregator_group.add_command(hubs_group)
aggregator_group.add_command(staff_group)
aggregator_group.add_command(board_group)
