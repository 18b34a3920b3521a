"""Registering, listing and revoking hubs and their keys, and the key lookup ingestion trusts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from federation.envelope import KeyLookup, TrustedKey
from federation.keys import key_id, load_public_key_pem, public_key_pem
from national_aggregator.ingest.models import Submission
from national_aggregator.registry.models import Hub, HubKey

if TYPE_CHECKING:
    from national_aggregator.registry.schemas import NewHub


class RegistryError(ValueError):
    """A registry change that cannot be made; the message says why."""


@dataclass(frozen=True)
class HubStatus:
    """A hub with how far its statements have got."""

    hub: Hub
    last_seq: int  # 0 until the hub's first statement is accepted
    last_received_at: datetime | None


def register_hub(
    session: Session, new: NewHub, public_key: Ed25519PublicKey, now: datetime
) -> HubKey:
    """Register a new hub with its first key."""
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
    return _add_key(session, hub, public_key, now)


def add_key(session: Session, gss: str, public_key: Ed25519PublicKey, now: datetime) -> HubKey:
    """Give a registered, unrevoked hub another key (both stay valid until one is revoked)."""
    hub = _registered_hub(session, gss)
    if hub.revoked_at is not None:
        raise RegistryError(f"hub {gss} ({hub.name}) is revoked; it cannot be given new keys")
    return _add_key(session, hub, public_key, now)


def _add_key(session: Session, hub: Hub, public_key: Ed25519PublicKey, now: datetime) -> HubKey:
    keyid = key_id(public_key)
    existing = session.get(HubKey, keyid)
    if existing is not None:
        raise RegistryError(f"key {keyid} is already registered, to hub {existing.hub_gss}")
    key = HubKey(
        keyid=keyid,
        hub=hub,
        public_key_pem=public_key_pem(public_key).decode("ascii"),
        added_at=now,
    )
    session.add(key)
    return key


def _registered_hub(session: Session, gss: str) -> Hub:
    hub = session.get(Hub, gss)
    if hub is None:
        raise RegistryError(f"no hub {gss} is registered (see: hubnet aggregator hubs list)")
    return hub


def revoke_hub(session: Session, gss: str, now: datetime) -> bool:
    """Refuse every future statement from the hub; False if it was already revoked."""
    hub = _registered_hub(session, gss)
    if hub.revoked_at is not None:
        return False
    hub.revoked_at = now
    return True


def revoke_key(session: Session, gss: str, keyid: str, now: datetime) -> bool:
    """Refuse every future statement signed by one of the hub's keys; False if already revoked."""
    hub = _registered_hub(session, gss)
    key = session.get(HubKey, keyid)
    if key is None or key.hub_gss != hub.gss:
        raise RegistryError(f"hub {gss} has no key {keyid}")
    if key.revoked_at is not None:
        return False
    key.revoked_at = now
    return True


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


def trusted_key_lookup(session: Session) -> KeyLookup:
    """The registry as `federation.envelope` asks for it: key id → key, hub, revoked or not."""

    def lookup(keyid: str) -> TrustedKey | None:
        key = session.get(HubKey, keyid)
        if key is None:
            return None
        return TrustedKey(
            public_key=load_public_key_pem(key.public_key_pem.encode("ascii")),
            owner=key.hub_gss,
            revoked=key.revoked_at is not None or key.hub.revoked_at is not None,
        )

    return lookup
