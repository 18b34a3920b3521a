"""`hubnet hub rotate-key`: replace the hub's signing key, end to end and safe to rerun."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import click
from sqlalchemy.exc import IntegrityError

from federation.keys import key_id, load_private_key
from hub import instance as hub_instance
from hub.audit.cli import run_contact
from hub.instance import aggregator_link, app_session, hub_keys, instance_option, key_files, setting
from hub.keys.services import (
    RotationRefused,
    enqueue_rotation,
    ensure_next_key,
    find_rotation,
    rotation_to_finish,
)
from hub.outbox.cli import deliver, finish, finish_rotation
from hub.outbox.models import OutboxStatus
from hub.outbox.services import undelivered_entries


@click.command("rotate-key")
@instance_option
@click.option(
    "--overlap-days",
    type=click.IntRange(0, 30),
    default=7,
    show_default=True,
    help="How long the aggregator still accepts the old key after the rotation (0–30 days).",
)
def rotate_key_command(instance: Path, overlap_days: int) -> None:
    """Make a new signing key and move the hub onto it, end to end.

    \b
    1. makes hub-key.next.pem/.pub (mode 0600);
    2. queues a key-rotation statement, signed by the old and the new key;
    3. delivers it and verifies its receipt;
    4. keeps the old key as retired/hub-key-<old key id>.pem and makes the
       new one hub-key.pem/.pub. Later statements are signed with it.

    If anything stops it (the aggregator is down, the machine crashes), run it
    again: it finishes the same rotation instead of making another key.
    """
    with app_session(instance) as (app, db):
        hub_id, aud = setting(app, "HUB_ID"), setting(app, "AGGREGATOR_ID")
        files = key_files(app)
        if not files.next_private.exists() and rotation_to_finish(db, files) is not None:
            new_keyid = finish_rotation(db, files)  # a crash between the final two renames
            click.echo(f"New key id: {new_keyid}")
            return
        old_keyid = key_id(load_private_key(files.private).public_key())
        following, made = ensure_next_key(files)
        new_keyid = key_id(following.public_key())
        if made:
            click.echo(f"Made the new key {new_keyid} in {files.next_private}.")
        else:
            click.echo(f"Carrying on with the rotation to key {new_keyid} ({files.next_private}).")
        keys, link = hub_keys(app), aggregator_link(app)
        try:
            report = run_contact(db, link, keys)
            entry = find_rotation(db, new_keyid)
            if entry is None:
                now = hub_instance.clock()
                try:
                    entry = enqueue_rotation(
                        db,
                        current=keys.current,
                        following=following,
                        hub_id=hub_id,
                        aud=aud,
                        now=now,
                        overlap=timedelta(days=overlap_days),
                    )
                    db.commit()
                except (RotationRefused, IntegrityError) as exc:
                    db.rollback()
                    raise click.ClickException(str(exc)) from exc
                until = now + timedelta(days=overlap_days)
                click.echo(
                    f"Queued the key rotation {old_keyid} → {new_keyid} as seq {entry.seq}; "
                    f"the old key stays valid until {until:%Y-%m-%d %H:%M} UTC."
                )
            else:
                click.echo(
                    f"The key rotation to {new_keyid} is already in the outbox "
                    f"(seq {entry.seq}, {entry.status.value})."
                )
            if entry.status is OutboxStatus.DELIVERED:
                finish_rotation(db, files)
            else:
                deliver(db, link, keys, files, report)
        finally:
            link.close()
        if key_id(load_private_key(files.private).public_key()) == new_keyid:
            click.echo(f"New key id: {new_keyid}")
        else:
            click.echo(
                f"The key rotation to {new_keyid} is not delivered yet, so the hub still signs "
                f"with {old_keyid}. Run `hubnet hub rotate-key` again to finish it."
            )
        finish(db, delivered_all=not undelivered_entries(db))
