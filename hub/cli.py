"""`hubnet hub …`: set up, migrate and serve a council's hub; feature commands join here."""

from __future__ import annotations

import os
import re
import secrets
import shlex
from pathlib import Path

import click

from federation.keys import (
    generate_key_pair,
    key_id,
    load_private_key,
    load_public_key,
    public_key_pem,
    save_public_key,
)
from hub import instance_config
from hub.audit.cli import alarms_group, audit_command, witness_command
from hub.board.cli import board_group
from hub.db import MIGRATIONS
from hub.discover.cli import discover_group
from hub.gather.cli import wards_group
from hub.instance import instance_option, load_app
from hub.keys.cli import rotate_key_command
from hub.mail.cli import mail_group
from hub.outbox.cli import outbox_group, push_command
from hub.panels.cli import panels_group
from hub.privacy.cli import privacy_group
from hub.routing.cli import routing_group
from hub.staff.cli import staff_group
from hub.summary.cli import preview_command, summary_command
from hub.themes.cli import themes_group
from hub.voices.cli import profile_group
from hubnet.config import write_toml
from hubnet.db import upgrade_database
from hubnet.serve import serve

GSS_CODE = re.compile(r"^[ENSW]\d{8}$")
PRIVATE_KEY, PUBLIC_KEY, AGGREGATOR_KEY = "hub-key.pem", "hub-key.pub", "aggregator.pub"

CONFIG_HEADER = """\
hubnet hub configuration, written by `hubnet hub init`.
Environment variables override these settings: HUB_<SETTING>, e.g. HUB_DATABASE_URL,
HUB_SECRET_KEY (and HUB_HUB_ID for HUB_ID). This file holds a secret: keep it mode 0600.

HUB_ID                 ONS GSS code of the area this hub serves; the aggregator knows the hub by it.
HUB_NAME               The name shown on every page.
REGION                 The region, for the national team's regional views (optional).
POPULATION             Resident population, for rates per 100,000 (optional).
SECRET_KEY             Signs the session cookies. Changing it signs everyone out.
PRIVATE_KEY            The hub's Ed25519 signing key, relative to this folder. Never share it.
AGGREGATOR_URL         Where `hubnet hub push` sends summaries.
AGGREGATOR_ID          The aggregator's id: every statement is addressed (`aud`) to it.
AGGREGATOR_PUBLIC_KEY  The aggregator's log key, pinned at init; every receipt must verify with it.
DELIVERY_ALERT_DAYS    Raise an alarm when a summary has waited this many days to be delivered (2).
DATABASE_URL           postgresql://user@host/dbname in production; if absent, hub.sqlite3 here.
DISCLOSURE_K, ROUNDING_BASE, BREAKDOWN_THRESHOLD, CONTRIBUTION_CAP, QUOTE_THRESHOLD
                       Disclosure rule (8, 5, 10, 3, 10): may only be made stricter.
DP_EPSILON             Turns on differential privacy: the ε each release spends, e.g. "1".
DP_YEARLY_CAP          The most ε a calendar year's releases may spend together ("12").
DP_MAX_THEMES_PER_PERSON  With DP, a person counts in at most this many themes a period (3).
SESSION_COOKIE_SECURE  true when served over HTTPS (production); false only for local trials."""


def _gss(_context: click.Context, _param: click.Parameter, value: str) -> str:
    if not GSS_CODE.fullmatch(value):
        raise click.BadParameter(f"{value!r} is not an ONS GSS code (e.g. E08000003)")
    return value


@click.group("hub")
def hub_group() -> None:
    """Run a council's hub: local people raise issues; signed summaries go to the national team.

    \b
    Set up:    hubnet hub init --instance DIR --gss E08000003 --name Manchester …
    Serve:     hubnet hub serve --instance DIR
    Preview:   hubnet hub preview --instance DIR --period 2026-10  (what will leave, and why)
    Monthly:   hubnet hub push --instance DIR
    Check:     hubnet hub audit --instance DIR  (and hubnet hub outbox)
    Witness:   hubnet hub witness --instance DIR  (from a timer)
    New key:   hubnet hub rotate-key --instance DIR

    Every command takes --instance DIR (or the HUB_INSTANCE environment variable).
    """


@hub_group.command("init")
@instance_option
@click.option(
    "--gss", required=True, callback=_gss, help="ONS GSS code of the area, e.g. E08000003."
)
@click.option("--name", required=True, help="The hub's name as people see it, e.g. Manchester.")
@click.option("--region", help="Region, e.g. 'North West'.")
@click.option("--population", type=click.IntRange(min=1), help="Resident population.")
@click.option("--aggregator-url", required=True, help="The national aggregator's base URL.")
@click.option("--aggregator-id", required=True, help="The aggregator's id (statements' `aud`).")
@click.option(
    "--aggregator-public-key",
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The aggregator's log public key (PEM), as given by the national team; pinned here.",
)
@click.option("--database-url", help="PostgreSQL URL; default: SQLite in the instance folder.")
@click.option(
    "--force",
    is_flag=True,
    help="Rewrite the settings of an existing instance. The hub's own key is kept.",
)
def init_command(
    instance: Path,
    gss: str,
    name: str,
    region: str | None,
    population: int | None,
    aggregator_url: str,
    aggregator_id: str,
    aggregator_public_key: Path,
    database_url: str | None,
    force: bool,
) -> None:
    """Create a hub instance: settings, signing key, pinned aggregator key, database."""
    config_file, private_path = instance / "hub.toml", instance / PRIVATE_KEY
    existing = [path.name for path in (config_file, private_path) if path.exists()]
    if existing and not force:
        raise click.ClickException(
            f"{instance} already holds {' and '.join(existing)}; not overwriting. "
            "Use --force to rewrite the settings (the hub's key is always kept)."
        )
    try:
        aggregator_key = load_public_key(aggregator_public_key)
    except ValueError as exc:
        raise click.ClickException(f"{aggregator_public_key}: {exc}") from exc
    instance.mkdir(parents=True, exist_ok=True)
    os.chmod(instance, 0o700)  # it holds the signing key and the session secret
    if private_path.exists():
        hub_key = load_private_key(private_path).public_key()
        save_public_key(hub_key, instance / PUBLIC_KEY)
        hub_keyid = key_id(hub_key)
        click.echo(f"Kept the existing hub key {private_path}.")
    else:
        hub_keyid = generate_key_pair(private_path, instance / PUBLIC_KEY)
    (instance / AGGREGATOR_KEY).write_bytes(public_key_pem(aggregator_key))
    settings: dict[str, str | int | bool] = {"HUB_ID": gss, "HUB_NAME": name}
    if region:
        settings["REGION"] = region
    if population:
        settings["POPULATION"] = population
    settings |= {
        "SECRET_KEY": secrets.token_hex(32),
        "PRIVATE_KEY": PRIVATE_KEY,
        "AGGREGATOR_URL": aggregator_url,
        "AGGREGATOR_ID": aggregator_id,
        "AGGREGATOR_PUBLIC_KEY": AGGREGATOR_KEY,
        "SESSION_COOKIE_SECURE": False,
    }
    if database_url:
        settings["DATABASE_URL"] = database_url
    write_toml(config_file, settings, header=CONFIG_HEADER)
    upgrade_database(instance_config(str(instance))["DATABASE_URL"], MIGRATIONS)
    _print_next_steps(instance, gss, name, region, population, hub_keyid, key_id(aggregator_key))


def _print_next_steps(
    instance: Path,
    gss: str,
    name: str,
    region: str | None,
    population: int | None,
    hub_keyid: str,
    aggregator_keyid: str,
) -> None:
    where = shlex.quote(str(instance))
    register = ["hubnet", "aggregator", "hubs", "add", "--gss", gss, "--name", name]
    if region:
        register += ["--region", region]
    if population:
        register += ["--population", str(population)]
    register += ["--public-key", PUBLIC_KEY]
    click.echo(
        f"""Hub {name} ({gss}) is set up in {instance}.
  Hub signing key id:         {hub_keyid}
  Pinned aggregator key id:   {aggregator_keyid}  (confirm it with the national team)

Next steps:
  1. Send {instance / PUBLIC_KEY} to the national team by a channel you trust, and
     read them the key id above. They register the hub with:
       {shlex.join(register)}
  2. Serve the hub (behind nginx with HTTPS in production; see docs/operators.md):
       hubnet hub serve --instance {where}
  3. Once a month, send the anonymised summary (a systemd timer or cron job):
       hubnet hub push --instance {where}
     and check deliveries with: hubnet hub outbox --instance {where}"""
    )


@hub_group.command("migrate")
@instance_option
def migrate_command(instance: Path) -> None:
    """Bring the hub's database to the newest schema (safe to run again)."""
    url = instance_config(str(instance))["DATABASE_URL"]
    upgrade_database(url, MIGRATIONS)
    click.echo(f"The database for {instance} is up to date.")


@hub_group.command("serve")
@instance_option
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8101, show_default=True, type=int, help="Port to listen on.")
@click.option(
    "--workers", default=2, show_default=True, type=click.IntRange(min=1), help="gunicorn workers."
)
def serve_command(instance: Path, host: str, port: int, workers: int) -> None:
    """Serve the hub with gunicorn (production serves it behind nginx)."""
    app = load_app(instance)  # fails here, with the fixing command, if the database is behind
    click.echo(f"Serving the {app.config['HUB_NAME']} hub at http://{host}:{port}/")
    serve(lambda: app, host=host, port=port, workers=workers)


hub_group.add_command(themes_group)
hub_group.add_command(wards_group)
hub_group.add_command(profile_group)
hub_group.add_command(routing_group)
hub_group.add_command(discover_group)
hub_group.add_command(panels_group)
hub_group.add_command(summary_command)
hub_group.add_command(preview_command)
hub_group.add_command(privacy_group)
hub_group.add_command(push_command)
hub_group.add_command(outbox_group)
hub_group.add_command(audit_command)
hub_group.add_command(alarms_group)
hub_group.add_command(witness_command)
hub_group.add_command(board_group)
hub_group.add_command(rotate_key_command)
hub_group.add_command(staff_group)
hub_group.add_command(mail_group)
