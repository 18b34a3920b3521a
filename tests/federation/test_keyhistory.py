"""KeyHistory: hub keys as of each position in the log, replayed from its leaves."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from federation.envelope import Statement, sign_statement
from federation.errors import (
    BadSignature,
    InconsistentLog,
    InvalidRotation,
    KeyExpired,
    MalformedJSON,
    ProtocolError,
    RevokedKey,
    UnknownKey,
    WrongPayloadType,
)
from federation.keyevents import KeyEvent
from federation.keyhistory import KeyHistory, payload_type_of
from federation.keys import key_id

HUB_ID = "E08000003"
CORNWALL = "E06000052"
CREATED = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
LogFactory = Callable[[], Any]


def replay_all(log: Any, log_key: Ed25519PrivateKey) -> KeyHistory:
    history = KeyHistory(log_key.public_key())
    for raw in log.entries:
        history.replay(raw)
    return history


def refuse(error: type[ProtocolError], history: KeyHistory, raw: bytes) -> ProtocolError:
    with pytest.raises(ProtocolError) as caught:
        history.replay(raw)
    assert type(caught.value) is error, caught.value
    return caught.value


def test_registration_then_statements(
    make_log: LogFactory, log_key: Ed25519PrivateKey, hub_key: Ed25519PrivateKey
) -> None:
    log = make_log()
    log.register(hub_key)
    log.summary(hub_key)
    history = KeyHistory(log_key.public_key())
    assert history.trusted_key(key_id(hub_key.public_key())) is None
    event = history.replay(log.entries[0])
    assert isinstance(event, KeyEvent)
    trusted = history.trusted_key(key_id(hub_key.public_key()))
    assert trusted is not None
    assert (trusted.owner, trusted.revoked, trusted.expires_at) == (HUB_ID, False, None)
    statement = history.replay(log.entries[1])
    assert isinstance(statement, Statement)
    assert statement.seq == 1
    assert history.hubs[HUB_ID].details["name"] == "Manchester"


def test_a_statement_before_registration_is_unknown(
    make_log: LogFactory, log_key: Ed25519PrivateKey, hub_key: Ed25519PrivateKey
) -> None:
    log = make_log()
    log.summary(hub_key)
    refuse(UnknownKey, KeyHistory(log_key.public_key()), log.entries[0])


def test_revoked_key_counts_until_the_revocation_leaf(
    make_log: LogFactory,
    log_key: Ed25519PrivateKey,
    hub_key: Ed25519PrivateKey,
    wrong_key: Ed25519PrivateKey,
) -> None:
    log = make_log()
    log.register(hub_key)
    log.key_event("key-added", key=wrong_key)
    log.summary(hub_key)  # before the revocation: fine
    log.key_event("key-revoked", keyid=key_id(hub_key.public_key()))
    history = replay_all(log, log_key)
    after = sign_statement(log.statement_value(), hub_key)
    refuse(RevokedKey, history, after)
    # The hub's other key still works.
    assert isinstance(history.replay(sign_statement(log.statement_value(), wrong_key)), Statement)


def test_hub_revocation_revokes_every_key(
    make_log: LogFactory,
    log_key: Ed25519PrivateKey,
    hub_key: Ed25519PrivateKey,
    wrong_key: Ed25519PrivateKey,
) -> None:
    log = make_log()
    log.register(hub_key)
    log.key_event("key-added", key=wrong_key)
    log.key_event("hub-revoked")
    history = replay_all(log, log_key)
    for key in (hub_key, wrong_key):
        refuse(RevokedKey, history, sign_statement(log.statement_value(), key))
    # Nothing more may happen to a revoked hub.
    log.key_event("key-added", key=Ed25519PrivateKey.generate())
    refuse(InconsistentLog, history, log.entries[-1])


def test_rotation_overlap_and_expiry(
    make_log: LogFactory,
    log_key: Ed25519PrivateKey,
    hub_key: Ed25519PrivateKey,
    next_hub_key: Ed25519PrivateKey,
) -> None:
    log = make_log()
    log.register(hub_key)
    log.summary(hub_key)
    log.rotation(hub_key, next_hub_key, overlap_days=7)
    history = replay_all(log, log_key)
    old = history.trusted_key(key_id(hub_key.public_key()))
    new = history.trusted_key(key_id(next_hub_key.public_key()))
    assert old is not None and new is not None
    assert old.expires_at == CREATED + timedelta(days=7)
    assert new.expires_at is None and new.owner == HUB_ID
    # During the overlap both keys count (judged by the statement's created).
    during = CREATED + timedelta(days=6, hours=23)
    history.replay(sign_statement(log.statement_value(created=during), hub_key))
    history.replay(sign_statement(log.statement_value(created=during), next_hub_key))
    # From old_key_valid_until on, the old key is refused; the new one is not.
    after = CREATED + timedelta(days=7)
    error = refuse(KeyExpired, history, sign_statement(log.statement_value(created=after), hub_key))
    assert error.status == 403
    history.replay(sign_statement(log.statement_value(created=after), next_hub_key))


def test_rotating_from_a_key_already_rotated_out(
    make_log: LogFactory,
    log_key: Ed25519PrivateKey,
    hub_key: Ed25519PrivateKey,
    next_hub_key: Ed25519PrivateKey,
) -> None:
    log = make_log()
    log.register(hub_key)
    log.rotation(hub_key, next_hub_key)
    history = replay_all(log, log_key)
    third = Ed25519PrivateKey.generate()
    log.rotation(hub_key, third, created=CREATED + timedelta(days=1))
    error = refuse(InvalidRotation, history, log.entries[-1])
    assert error.field == "body.old_keyid"
    # Nothing was applied: the old key's expiry is unchanged, the third key unknown.
    old = history.trusted_key(key_id(hub_key.public_key()))
    assert old is not None and old.expires_at == CREATED + timedelta(days=7)
    assert history.trusted_key(key_id(third.public_key())) is None


def test_rotation_to_another_hubs_key(
    make_log: LogFactory,
    log_key: Ed25519PrivateKey,
    hub_key: Ed25519PrivateKey,
    next_hub_key: Ed25519PrivateKey,
) -> None:
    log = make_log()
    log.register(hub_key)
    log.register(next_hub_key, CORNWALL)
    log.rotation(hub_key, next_hub_key)
    history = KeyHistory(log_key.public_key())
    history.replay(log.entries[0])
    history.replay(log.entries[1])
    # verify_envelope sees Cornwall's key co-signing a Manchester statement.
    refuse(UnknownKey, history, log.entries[2])


def test_key_added_after_a_rotation_is_harmless(
    make_log: LogFactory,
    log_key: Ed25519PrivateKey,
    hub_key: Ed25519PrivateKey,
    next_hub_key: Ed25519PrivateKey,
) -> None:
    log = make_log()
    log.register(hub_key)
    log.rotation(hub_key, next_hub_key)
    log.key_event("key-added", key=next_hub_key)  # an aggregator may record it too
    replay_all(log, log_key)


@pytest.mark.parametrize(
    "build",
    [
        lambda log, a, b: (log.register(a), log.register(b)),  # hub registered twice
        lambda log, a, b: log.key_event("key-added", key=a),  # hub never registered
        lambda log, a, b: (log.register(a), log.register(a, CORNWALL)),  # one key, two hubs
        lambda log, a, b: (
            log.register(a),
            log.key_event("key-revoked", keyid=key_id(b.public_key())),
        ),
        lambda log, a, b: (
            log.register(a),
            log.key_event("key-revoked", keyid=key_id(a.public_key())),
            log.key_event("key-added", key=a),  # a revoked key comes back
        ),
    ],
)
def test_inconsistent_key_events(
    build: Callable[..., Any],
    make_log: LogFactory,
    log_key: Ed25519PrivateKey,
    hub_key: Ed25519PrivateKey,
    wrong_key: Ed25519PrivateKey,
) -> None:
    log = make_log()
    build(log, hub_key, wrong_key)
    history = KeyHistory(log_key.public_key())
    for raw in log.entries[:-1]:
        history.replay(raw)
    refuse(InconsistentLog, history, log.entries[-1])


def test_key_events_must_be_signed_by_the_log_key(
    make_log: LogFactory, hub_key: Ed25519PrivateKey
) -> None:
    log = make_log()
    log.register(hub_key)
    refuse(BadSignature, KeyHistory(hub_key.public_key()), log.entries[0])


def test_payload_type_of() -> None:
    with pytest.raises(MalformedJSON):
        payload_type_of(b"{")
    with pytest.raises(WrongPayloadType):
        payload_type_of(b'{"payloadType": "text/plain"}')
    assert payload_type_of(b" " * (2 << 20)).startswith("application/vnd.hubnet.statement")
