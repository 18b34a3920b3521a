"""The hub's signing keys over time: the current key, the next one during a rotation, retired ones.

Files, beside the current key `hub-key.pem` (the PRIVATE_KEY setting):

    hub-key.pem / hub-key.pub              the key that signs now
    hub-key.next.pem / hub-key.next.pub    the new key while a rotation is under way
    retired/hub-key-<keyid>.pem            every key rotated out, kept to check old statements

A rotation (`hubnet hub rotate-key`) is a sequence of steps, each safe to
repeat, so a rerun after a crash at any point finishes the same rotation:

1. `ensure_next_key`: make the next key (written to a temporary file and
   renamed into place, so a crash leaves either no next key or a whole one);
   if one is already there, use it.
2. `enqueue_rotation`: queue the `key-rotation/1` statement, signed by both
   keys, unless the outbox already holds the rotation to this next key.
3. Deliver it (the outbox relay) and verify its receipt.
4. `complete_rotation`: copy the current key into `retired/`, then rename
   the next key over the current one (private, then public). Every step
   checks what is already done.

Private keys are written 0600 and never logged or stored in the database.
"""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy import select
from sqlalchemy.orm import Session

from federation.keys import (
    generate_private_key,
    key_id,
    load_private_key,
    load_public_key,
    save_private_key,
    save_public_key,
)
from federation.periods import Period
from federation.statement import rotation_body, sign_rotation
from hub.outbox.models import OutboxEntry, OutboxStatus
from hub.outbox.services import append_statement, signed_statement

ROTATION_SCHEMA = "key-rotation/1"
DEFAULT_OVERLAP = timedelta(days=7)


@dataclass(frozen=True)
class KeyFiles:
    """Where this hub's key files are, derived from the PRIVATE_KEY path."""

    private: Path

    @property
    def public(self) -> Path:
        return self.private.with_suffix(".pub")

    @property
    def next_private(self) -> Path:
        return self.private.with_name(f"{self.private.stem}.next.pem")

    @property
    def next_public(self) -> Path:
        return self.private.with_name(f"{self.private.stem}.next.pub")

    @property
    def retired_dir(self) -> Path:
        return self.private.parent / "retired"

    def retired(self, keyid: str) -> Path:
        return self.retired_dir / f"{self.private.stem}-{keyid}.pem"


@dataclass(frozen=True)
class HubKeys:
    """The keys a contact may sign with or must recognise as this hub's own."""

    current: Ed25519PrivateKey
    next: Ed25519PrivateKey | None = None
    retired: tuple[Ed25519PublicKey, ...] = ()

    @property
    def current_keyid(self) -> str:
        return key_id(self.current.public_key())

    def own_public_keys(self) -> dict[str, Ed25519PublicKey]:
        """Every key this hub has signed with or will: current, next and retired, by key id."""
        keys = [self.current.public_key(), *self.retired]
        if self.next is not None:
            keys.append(self.next.public_key())
        return {key_id(key): key for key in keys}


def load_hub_keys(files: KeyFiles) -> HubKeys:
    """Read the current key, the next one if a rotation is under way, and the retired ones.

    Raises OSError or ValueError (e.g. a key file other users can read).
    """
    current = load_private_key(files.private)
    following = load_private_key(files.next_private) if files.next_private.exists() else None
    retired: list[Ed25519PublicKey] = []
    if files.retired_dir.is_dir():
        for path in sorted(files.retired_dir.glob(f"{files.private.stem}-*.pem")):
            retired.append(load_private_key(path).public_key())
    return HubKeys(current=current, next=following, retired=tuple(retired))


def _write_private_atomically(private_key: Ed25519PrivateKey, path: Path) -> None:
    """Write a 0600 key file whole or not at all: a temporary file, fsync, then rename."""
    temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    save_private_key(private_key, temporary)
    with temporary.open("rb") as handle:
        os.fsync(handle.fileno())
    os.replace(temporary, path)
    _sync_directory(path.parent)


def _sync_directory(folder: Path) -> None:
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def ensure_next_key(files: KeyFiles) -> tuple[Ed25519PrivateKey, bool]:
    """The next key, made now or found from an earlier run; True if it was made now."""
    for stray in files.private.parent.glob(f".{files.next_private.name}.*.tmp"):
        stray.unlink()  # a crash before the rename: that key never signed anything
    if files.next_private.exists():
        following = load_private_key(files.next_private)
        made = False
    else:
        following = generate_private_key()
        _write_private_atomically(following, files.next_private)
        made = True
    if not files.next_public.exists() or key_id(load_public_key(files.next_public)) != key_id(
        following.public_key()
    ):
        save_public_key(following.public_key(), files.next_public)
    return following, made


def find_rotation(session: Session, new_keyid: str) -> OutboxEntry | None:
    """The outbox entry rotating to `new_keyid`, whatever its status."""
    for entry in session.scalars(
        select(OutboxEntry).where(OutboxEntry.schema == ROTATION_SCHEMA).order_by(OutboxEntry.seq)
    ):
        if signed_statement(entry).body.get("new_keyid") == new_keyid:
            return entry
    return None


class RotationRefused(Exception):
    """The rotation cannot be queued now (the reason says what to do)."""


def enqueue_rotation(
    session: Session,
    *,
    current: Ed25519PrivateKey,
    following: Ed25519PrivateKey,
    hub_id: str,
    aud: str,
    now: datetime,
    overlap: timedelta = DEFAULT_OVERLAP,
) -> OutboxEntry:
    """Queue the `key-rotation/1` statement to `following`, signed by both keys (caller commits)."""
    today = Period(now.date(), now.date())
    clash = session.scalar(
        select(OutboxEntry).where(
            OutboxEntry.schema == ROTATION_SCHEMA,
            OutboxEntry.period_start == today.start,
            OutboxEntry.period_end == today.end,
        )
    )
    if clash is not None:
        raise RotationRefused(
            f"this hub already rotated its key today (seq {clash.seq}, {clash.status.value}); "
            "one rotation a day: try again tomorrow"
        )
    return append_statement(
        session,
        kind="key-rotation",
        schema=ROTATION_SCHEMA,
        period=today,
        body=rotation_body(
            old_key=current.public_key(),
            new_key=following.public_key(),
            old_key_valid_until=now + overlap,
        ),
        hub_id=hub_id,
        aud=aud,
        now=now,
        sign=lambda statement: sign_rotation(statement, current, following),
    )


def complete_rotation(files: KeyFiles, new_keyid: str) -> list[str]:
    """Retire the current key and make the next one current; say what was done (idempotent).

    Call only once the rotation statement to `new_keyid` is delivered.
    """
    done: list[str] = []
    if files.next_private.exists():
        following = load_private_key(files.next_private)
        if key_id(following.public_key()) != new_keyid:
            raise ValueError(
                f"{files.next_private} holds key {key_id(following.public_key())}, "
                f"not {new_keyid}: not swapping"
            )
        current = load_private_key(files.private)
        old_keyid = key_id(current.public_key())
        retired = files.retired(old_keyid)
        if not retired.exists():
            files.retired_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
            _write_private_atomically(current, retired)
            done.append(f"kept the old key {old_keyid} as {retired}")
        os.replace(files.next_private, files.private)
        _sync_directory(files.private.parent)
        done.append(f"{files.private} is now key {new_keyid}")
    current_keyid = key_id(load_private_key(files.private).public_key())
    if current_keyid != new_keyid:
        raise ValueError(f"{files.private} holds key {current_keyid}, not {new_keyid}")
    if files.next_public.exists():
        os.replace(files.next_public, files.public)
        done.append(f"{files.public} is now key {new_keyid}")
    elif not files.public.exists() or key_id(load_public_key(files.public)) != new_keyid:
        save_public_key(load_private_key(files.private).public_key(), files.public)
        done.append(f"{files.public} is now key {new_keyid}")
    return done


def rotation_to_finish(session: Session, files: KeyFiles) -> str | None:
    """The new key id when a rotation's statement is delivered but the files are not swapped yet.

    Also covers a crash between the two renames of `complete_rotation` (the
    private key already swapped, the public one not).
    """
    if files.next_private.exists():
        new_keyid = key_id(load_private_key(files.next_private).public_key())
        entry = find_rotation(session, new_keyid)
        if entry is not None and entry.status is OutboxStatus.DELIVERED:
            return new_keyid
        return None
    if files.next_public.exists():
        current = key_id(load_private_key(files.private).public_key())
        if key_id(load_public_key(files.next_public)) == current:
            return current
    return None
