"""`hubnet aggregator hubs …`: register, list and revoke hubs and their keys."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import click
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from marshmallow import ValidationError

from federation.keys import key_id, load_public_key
from hubnet.db import get_session
from national_aggregator.db import rfc3339, utcnow
from national_aggregator.instance import instance_option, open_instance
from national_aggregator.log import log_signer
from national_aggregator.registry.models import Hub, HubKey
from national_aggregator.registry.schemas import HubRegistrationSchema, NewHub
from national_aggregator.registry.services import (
    HubStatus,
    RegistryError,
    add_key,
    list_hubs,
    register_hub,
    revoke_hub,
    revoke_key,
)
from national_aggregator.staff.audit import record_action

NO_REASON = "no reason given"


@click.group("hubs")
def hubs_group() -> None:
    """Register, list and revoke the hubs allowed to send summaries.

    A hub's public key reaches the national team out of band (email, a
    shared drive). Before registering it, read its key id back to the
    council by phone: `--expect-keyid` refuses a file whose key differs.
    """


def _read_public_key(path: Path) -> Ed25519PublicKey:
    try:
        return load_public_key(path)
    except (ValueError, UnsupportedAlgorithm) as exc:
        raise click.ClickException(
            f"{path} is not an Ed25519 public key in PEM form ({exc}); "
            "the hub's key is the hub-key.pub file its `hubnet hub init` made"
        ) from exc


@hubs_group.command("add")
@instance_option
@click.option("--gss", required=True, help="ONS GSS code of the hub's area, e.g. E08000003.")
@click.option("--name", help="Display name, e.g. Manchester.")
@click.option("--region", help='Region, e.g. "North West".')
@click.option("--population", type=int, help="Resident population, for per-100k rates.")
@click.option(
    "--public-key",
    "public_key_path",
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The hub's Ed25519 public key (PEM), e.g. hub-key.pub.",
)
@click.option(
    "--expect-keyid",
    help="The key id the council read out to you; refuse the file if its key differs.",
)
@click.option(
    "--add-key",
    "another_key",
    is_flag=True,
    help="Add this key to a hub already registered; omit name, region, population. "
    "(A hub rotating its own key sends a key-rotation statement instead.)",
)
def add_command(
    instance: Path,
    gss: str,
    name: str | None,
    region: str | None,
    population: int | None,
    public_key_path: Path,
    expect_keyid: str | None,
    another_key: bool,
) -> None:
    """Register a hub and its public key.

    With --add-key, give a registered hub another key. Either way the change
    is a key event in the public transparency log.
    """
    public_key = _read_public_key(public_key_path)
    keyid = key_id(public_key)
    if expect_keyid is not None and expect_keyid.strip() != keyid:
        raise click.ClickException(
            f"{public_key_path} holds key {keyid}, not {expect_keyid.strip()}: "
            "do not register it; ask the council to send its key again"
        )
    if another_key and any(value is not None for value in (name, region, population)):
        raise click.UsageError(
            "--add-key adds a key only: leave out --name, --region, --population"
        )
    with open_instance(instance):
        session = get_session()
        signer = log_signer()
        try:
            if another_key:
                key = add_key(session, gss, public_key, utcnow(), signer=signer)
            else:
                new = _registration(gss=gss, name=name, region=region, population=population)
                key = register_hub(session, new, public_key, utcnow(), signer=signer)
        except RegistryError as exc:
            raise click.ClickException(str(exc)) from exc
        session.commit()
        hub = key.hub
        click.echo(
            f"Registered key {keyid} for {hub.name} ({hub.gss}, {hub.region}, "
            f"population {hub.population:,}); logged as leaf {key.log_index}."
        )
        if expect_keyid is None:
            click.echo(
                "Check this key id with the council by a separate channel (a phone call) "
                "before trusting its summaries."
            )


def _registration(**values: object) -> NewHub:
    """Validate the command-line values, naming each option at fault."""
    given = {field: value for field, value in values.items() if value is not None}
    try:
        new: NewHub = HubRegistrationSchema().load(given)
    except ValidationError as exc:
        problems = "; ".join(
            f"--{field}: {' '.join(str(m) for m in messages)}"
            for field, messages in sorted(exc.messages_dict.items())
        )
        raise click.UsageError(problems) from exc
    return new


@hubs_group.command("list")
@instance_option
def list_command(instance: Path) -> None:
    """Show the hubs, their keys, last statements."""
    with open_instance(instance):
        statuses = list_hubs(get_session())
        if not statuses:
            click.echo("No hubs registered yet. Add one with: hubnet aggregator hubs add --help")
            return
        header = (
            "GSS",
            "Name",
            "Region",
            "Population",
            "Keys",
            "Last seq",
            "Last received",
            "Status",
        )
        rows = [header, *(_hub_row(status) for status in statuses)]
        widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
        for row in rows:
            cells = (cell.ljust(width) for cell, width in zip(row, widths, strict=True))
            click.echo("  ".join(cells).rstrip())
        click.echo("")
        for status in statuses:
            for key in status.hub.keys:
                click.echo(
                    f"{status.hub.gss} key {key.keyid}, added {rfc3339(key.added_at)} "
                    f"({key.added_via.value}), {_key_state(key)}"
                )


def _key_state(key: HubKey) -> str:
    if key.revoked_at is not None:
        return f"revoked {rfc3339(key.revoked_at)}"
    if key.expires_at is not None:
        return f"rotated out: valid until {rfc3339(key.expires_at)}"
    return "active"


def _hub_row(status: HubStatus) -> tuple[str, ...]:
    hub = status.hub
    now = utcnow()
    active = sum(
        1
        for key in hub.keys
        if key.revoked_at is None and (key.expires_at is None or now < key.expires_at)
    )
    return (
        hub.gss,
        hub.name,
        hub.region,
        f"{hub.population:,}",
        f"{active} of {len(hub.keys)} active",
        str(status.last_seq),
        rfc3339(status.last_received_at) if status.last_received_at else "never",
        "revoked" if hub.revoked_at else "active",
    )


@hubs_group.command("revoke")
@instance_option
@click.option("--gss", required=True, help="The hub's GSS code.")
@click.option("--keyid", help="Revoke only this key of the hub (e.g. after a key leak).")
@click.option(
    "--reason",
    default=NO_REASON,
    show_default=True,
    help="Why, in one line. It is published in the transparency log: name no person.",
)
def revoke_command(instance: Path, gss: str, keyid: str | None, reason: str) -> None:
    """Revoke a hub, or one of its keys, and log why.

    Later statements are refused with 403. Summaries accepted before the
    revocation stay in the log and in the priorities. The revocation and its
    reason become a key event in the public log.
    """
    with open_instance(instance):
        session = get_session()
        signer = log_signer()
        try:
            changed = (
                revoke_key(session, gss, keyid, utcnow(), reason=reason, signer=signer)
                if keyid
                else revoke_hub(session, gss, utcnow(), reason=reason, signer=signer)
            )
        except RegistryError as exc:
            raise click.ClickException(str(exc)) from exc
        session.commit()
    what = f"key {keyid} of hub {gss}" if keyid else f"hub {gss}"
    click.echo(
        f"Revoked {what} (reason: {reason.strip()})."
        if changed
        else f"{what.capitalize()} was already revoked."
    )


NOTIFY_URL_LENGTH = 500


def _checked_notify_url(url: str) -> str:
    parts = urlsplit(url.strip())
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise click.BadParameter(
            "must be an http:// or https:// URL, e.g. https://hub.example/api/v1/board/notify",
            param_hint="--url",
        )
    if len(url.strip()) > NOTIFY_URL_LENGTH:
        raise click.BadParameter(f"at most {NOTIFY_URL_LENGTH} characters", param_hint="--url")
    return url.strip()


@hubs_group.command("set-notify-url")
@instance_option
@click.option("--gss", required=True, help="The hub's GSS code.")
@click.option(
    "--url",
    help="Where to POST (no body) when a board statement is logged, e.g. "
    "https://hub.example/api/v1/board/notify.",
)
@click.option("--clear", is_flag=True, help="Stop pushing to this hub (it still polls).")
def set_notify_url_command(instance: Path, gss: str, url: str | None, clear: bool) -> None:
    """Set (or --clear) the URL the aggregator POSTs to when a board statement is logged.

    The push carries no data: the hub pulls the new statements and verifies
    them, so a push to the wrong place tells nobody anything.
    """
    if clear == (url is not None):
        raise click.UsageError("give --url URL or --clear")
    checked = None if url is None else _checked_notify_url(url)
    with open_instance(instance):
        session = get_session()
        hub = session.get(Hub, gss)
        if hub is None:
            raise click.ClickException(f"no hub with GSS code {gss} is registered")
        hub.notify_url = checked
        record_action(session, None, "hub-notify-url-set", f"hub:{gss}", checked or "cleared")
        session.commit()
    click.echo(
        f"Hub {gss} will be notified at {checked}."
        if checked
        else f"Hub {gss} will not be notified."
    )
