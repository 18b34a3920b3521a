"""Registering, listing and revoking hubs and their keys, and the key lookup ingestion trusts.

Every change is also a key event (`federation.keyevents`): signed by the log
key and appended to the transparency log in the caller's transaction, after
the log's write lock is taken, so the registry and the log never disagree
and the log's order is the order the changes happened in.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from federation.envelope import KeyLookup, TrustedKey
from federation.keyevents import key_event_dict, sign_key_event
from federation.keys import KEY_ID, key_id, load_public_key_pem, public_key_pem
from national_aggregator.ingest.models import Submission
from national_aggregator.log.models import LeafKind
from national_aggregator.log.services import LogSigner, append_leaf, lock_log
from national_aggregator.registry.models import Hub, HubKey, KeyEvent, KeyEventKind, KeyOrigin

if TYPE_CHECKING:
    from national_aggregator.registry.schemas import NewHub

MAX_REASON_LENGTH = 1000


class RegistryError(ValueError):
    """A registry change that cannot be made; the message says why."""


@dataclass(frozen=True)
class HubStatus:
    """A hub with how far its statements have got."""

    hub: Hub
    last_seq: int  # 0 until the hub's first statement is accepted
    last_received_at: datetime | None


def register_hub(
    session: Session, new: NewHub, public_key: Ed25519PublicKey, now: datetime, *, signer: LogSigner
) -> HubKey:
    """Register a new hub with its first key, and log a `hub-registered` event."""
    size = lock_log(session)
    existing = session.get(Hub, new.gss)
    if existing is not None:
        raise RegistryError(
            f"hub {new.gss} ({existing.name}) is already registered; to give it another key, "
            "add the key with --add-key"
        )
    hub = Hub(
        gss=new.gss, name=new.name, region=new.region, population=new.population, registered_at=now
    )
    session.add(hub)
    key = _add_key(session, hub, public_key, now, KeyOrigin.REGISTRATION)
    details = {"name": hub.name, "region": hub.region, "population": hub.population}
    key.log_index = _log_key_event(
        session, KeyEventKind.HUB_REGISTERED, hub, key=key, public_key=public_key,
        details=details, reason=None, signer=signer, now=now, size_before=size,
    )  # fmt: skip
    return key


def add_key(
    session: Session, gss: str, public_key: Ed25519PublicKey, now: datetime, *, signer: LogSigner
) -> HubKey:
    """Give a registered, unrevoked hub another key, and log a `key-added` event.

    Both keys stay valid until one is revoked.
    """
    size = lock_log(session)
    hub = _registered_hub(session, gss)
    if hub.revoked_at is not None:
        raise RegistryError(f"hub {gss} ({hub.name}) is revoked; it cannot be given new keys")
    key = _add_key(session, hub, public_key, now, KeyOrigin.OPERATOR)
    key.log_index = _log_key_event(
        session, KeyEventKind.KEY_ADDED, hub, key=key, public_key=public_key, details=None,
        reason=None, signer=signer, now=now, size_before=size,
    )  # fmt: skip
    return key


def add_rotated_key(
    session: Session, hub: Hub, public_key: Ed25519PublicKey, now: datetime, *, log_index: int
) -> HubKey:
    """Register the key a hub's own key-rotation statement (leaf `log_index`) introduced."""
    key = _add_key(session, hub, public_key, now, KeyOrigin.ROTATION)
    key.log_index = log_index
    return key


def _add_key(
    session: Session, hub: Hub, public_key: Ed25519PublicKey, now: datetime, origin: KeyOrigin
) -> HubKey:
    keyid = key_id(public_key)
    existing = session.get(HubKey, keyid)
    if existing is not None:
        raise RegistryError(f"key {keyid} is already registered, to hub {existing.hub_gss}")
    key = HubKey(
        keyid=keyid,
        hub=hub,
        public_key_pem=public_key_pem(public_key).decode("ascii"),
        added_at=now,
        added_via=origin,
    )
    session.add(key)
    return key


def _registered_hub(session: Session, gss: str) -> Hub:
    hub = session.get(Hub, gss)
    if hub is None:
        raise RegistryError(f"no hub {gss} is registered (see: hubnet aggregator hubs list)")
    return hub


def _check_reason(reason: str) -> str:
    reason = reason.strip()
    if not reason or len(reason) > MAX_REASON_LENGTH or not reason.isprintable():
        raise RegistryError(
            f"the reason must be one line of 1 to {MAX_REASON_LENGTH} printable characters; "
            "it is published in the log, so name no person"
        )
    return reason


def revoke_hub(
    session: Session, gss: str, now: datetime, *, reason: str, signer: LogSigner
) -> bool:
    """Refuse every future statement from the hub, logging `hub-revoked`; False if already so."""
    reason = _check_reason(reason)
    size = lock_log(session)
    hub = _registered_hub(session, gss)
    if hub.revoked_at is not None:
        return False
    hub.revoked_at = now
    _log_key_event(
        session, KeyEventKind.HUB_REVOKED, hub, key=None, public_key=None, details=None,
        reason=reason, signer=signer, now=now, size_before=size,
    )  # fmt: skip
    return True


def revoke_key(
    session: Session, gss: str, keyid: str, now: datetime, *, reason: str, signer: LogSigner
) -> bool:
    """Refuse every future statement signed by one of the hub's keys, logging `key-revoked`.

    False if the key was already revoked.
    """
    reason = _check_reason(reason)
    size = lock_log(session)
    hub = _registered_hub(session, gss)
    key = session.get(HubKey, keyid)
    if key is None or key.hub_gss != hub.gss:
        raise RegistryError(f"hub {gss} has no key {keyid}")
    if key.revoked_at is not None:
        return False
    if hub.revoked_at is not None:
        raise RegistryError(f"hub {gss} is revoked, and with it every key it has")
    key.revoked_at = now
    _log_key_event(
        session, KeyEventKind.KEY_REVOKED, hub, key=key, public_key=None, details=None,
        reason=reason, signer=signer, now=now, size_before=size,
    )  # fmt: skip
    return True


def _log_key_event(
    session: Session,
    event: KeyEventKind,
    hub: Hub,
    *,
    key: HubKey | None,
    public_key: Ed25519PublicKey | None,
    details: dict[str, object] | None,
    reason: str | None,
    signer: LogSigner,
    now: datetime,
    size_before: int,
) -> int:
    """Sign the event with the log key, keep its envelope, append it; return its log index."""
    session.flush()  # the hub and key first: the event refers to them
    keyid = None if key is None else key.keyid
    envelope = sign_key_event(
        key_event_dict(
            event=event.value, hub_id=hub.gss, keyid=keyid, public_key=public_key, hub=details,
            reason=reason, at=now,
        ),
        signer.private_key,
    )  # fmt: skip
    row = KeyEvent(
        event=event, hub_gss=hub.gss, keyid=keyid, reason=reason, at=now, envelope=envelope
    )
    session.add(row)
    session.flush()  # the leaf refers to the event
    appended = append_leaf(
        session,
        envelope,
        size_before=size_before,
        kind=LeafKind.KEY_EVENT,
        key_event_id=row.id,
        signer=signer,
        now=now,
    )
    return appended.index


def list_hubs(session: Session) -> list[HubStatus]:
    """Every registered hub (revoked ones too), by name, with its last accepted statement."""
    latest = (
        select(
            Submission.hub_gss,
            func.max(Submission.seq).label("last_seq"),
            func.max(Submission.received_at).label("last_received_at"),
        )
        .group_by(Submission.hub_gss)
        .subquery()
    )
    rows = session.execute(
        select(Hub, latest.c.last_seq, latest.c.last_received_at)
        .outerjoin(latest, Hub.gss == latest.c.hub_gss)
        .options(selectinload(Hub.keys))
        .order_by(Hub.name, Hub.gss)
    ).all()
    return [HubStatus(hub, last_seq or 0, received) for hub, last_seq, received in rows]


def trusted_key(key: HubKey) -> TrustedKey:
    """What a receiver knows of a registered key: its owner, revocation, and expiry."""
    return TrustedKey(
        public_key=load_public_key_pem(key.public_key_pem.encode("ascii")),
        owner=key.hub_gss,
        revoked=key.revoked_at is not None or key.hub.revoked_at is not None,
        expires_at=key.expires_at,
    )


def trusted_key_lookup(session: Session, *, refresh: bool = False) -> KeyLookup:
    """The registry as `federation.envelope` asks for it: key id → key, hub, revoked, expiry.

    `refresh` re-reads each key and its hub from the database rather than from
    the session's identity map: what a check made after `lock_log` needs.
    """

    def lookup(keyid: str) -> TrustedKey | None:
        if not KEY_ID.fullmatch(keyid):
            return None  # not a key id at all (and PostgreSQL refuses strings holding NUL)
        if refresh:
            key = session.scalars(
                select(HubKey)
                .where(HubKey.keyid == keyid)
                .options(selectinload(HubKey.hub))
                .execution_options(populate_existing=True)
            ).first()
        else:
            key = session.get(HubKey, keyid)
        return None if key is None else trusted_key(key)

    return lookup
