"""audit_log: verifying a whole hand-built log, and every way a log can be wrong."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from federation.audit import AuditReport, audit_log
from federation.checkpoint import cosign_checkpoint
from federation.envelope import sign_statement
from federation.errors import (
    BadSignature,
    DisclosureViolation,
    InconsistentLog,
    KeyExpired,
    MalformedJSON,
    ProofError,
    RevokedKey,
    SchemaViolation,
    SequenceConflict,
    UnknownKey,
    WrongAudience,
)
from federation.keys import key_id

HUB_ID = "E08000003"
CORNWALL = "E06000052"
AUDIENCE = "hubnet-national-england"
CREATED = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
LogFactory = Callable[[], Any]


def audit(log: Any, log_key: Ed25519PrivateKey, **kwargs: Any) -> AuditReport:
    entries = kwargs.pop("entries", None)
    checkpoint = kwargs.pop("checkpoint", None)
    return audit_log(
        entries if entries is not None else log.numbered(),
        checkpoint if checkpoint is not None else log.checkpoint(),
        log_key.public_key(),
        **kwargs,
    )


def failures(report: AuditReport) -> list[tuple[int | None, type[Exception]]]:
    return [(failure.index, type(failure.error)) for failure in report.failures]


def two_hubs(log: Any, hub_key: Ed25519PrivateKey, wrong_key: Ed25519PrivateKey) -> None:
    log.register(hub_key)
    log.register(wrong_key, CORNWALL)
    for _ in range(3):
        log.summary(hub_key)
        log.summary(wrong_key, CORNWALL)


def test_a_good_log(
    make_log: LogFactory,
    log_key: Ed25519PrivateKey,
    hub_key: Ed25519PrivateKey,
    wrong_key: Ed25519PrivateKey,
) -> None:
    log = make_log()
    two_hubs(log, hub_key, wrong_key)
    seen: list[int] = []
    report = audit(log, log_key, audience=AUDIENCE, progress=seen.append)
    assert report.ok, [str(failure) for failure in report.failures]
    assert report.leaves == 8
    assert seen == list(range(1, 9))
    assert report.counts == {"hub-registered": 2, "summary": 6}
    assert report.hubs == {HUB_ID, CORNWALL}
    assert report.checkpoint is not None and report.checkpoint.size == 8
    assert report.root == report.checkpoint.root


def test_an_empty_log(make_log: LogFactory, log_key: Ed25519PrivateKey) -> None:
    report = audit(make_log(), log_key)
    assert report.ok and report.leaves == 0


def test_tampered_leaf(
    make_log: LogFactory,
    log_key: Ed25519PrivateKey,
    hub_key: Ed25519PrivateKey,
    wrong_key: Ed25519PrivateKey,
) -> None:
    log = make_log()
    two_hubs(log, hub_key, wrong_key)
    checkpoint = log.checkpoint()
    document = json.loads(log.entries[4])
    payload = base64.b64decode(document["payload"]).replace(b'"value":10', b'"value":15', 1)
    document["payload"] = base64.b64encode(payload).decode()
    log.entries[4] = json.dumps(document).encode()
    report = audit(log, log_key, checkpoint=checkpoint)
    assert not report.ok
    # The leaf is named; the hub's next statement does not fail as well; the root differs.
    assert failures(report) == [(4, BadSignature), (None, ProofError)]
    assert "leaf 4: bad-signature" in str(report.failures[0])


def test_respelled_envelope_only_changes_the_root(
    make_log: LogFactory, log_key: Ed25519PrivateKey, hub_key: Ed25519PrivateKey
) -> None:
    log = make_log()
    log.register(hub_key)
    log.summary(hub_key)
    checkpoint = log.checkpoint()
    log.entries[1] = json.dumps(json.loads(log.entries[1]), indent=1).encode()
    assert failures(audit(log, log_key, checkpoint=checkpoint)) == [(None, ProofError)]


def test_wrong_order(
    make_log: LogFactory, log_key: Ed25519PrivateKey, hub_key: Ed25519PrivateKey
) -> None:
    log = make_log()
    log.register(hub_key)
    log.summary(hub_key)
    log.summary(hub_key)
    log.summary(hub_key)
    log.entries[1], log.entries[2] = log.entries[2], log.entries[1]
    report = audit(log, log_key)  # the checkpoint is over the swapped log
    # Both leaves out of place are named, and only they: seq 3 follows seq 2.
    assert failures(report) == [(1, SequenceConflict), (2, SequenceConflict)]
    assert report.failures[0].error.extra == {"expected_seq": 1}
    assert report.failures[1].error.extra == {"expected_seq": 3}


def test_gap_in_a_hubs_chain(
    make_log: LogFactory, log_key: Ed25519PrivateKey, hub_key: Ed25519PrivateKey
) -> None:
    log = make_log()
    log.register(hub_key)
    log.summary(hub_key)
    log.summary(hub_key)
    log.summary(hub_key)
    del log.entries[2]
    report = audit(log, log_key)
    assert failures(report) == [(2, SequenceConflict)]


def test_prev_must_chain(
    make_log: LogFactory, log_key: Ed25519PrivateKey, hub_key: Ed25519PrivateKey
) -> None:
    log = make_log()
    log.register(hub_key)
    log.summary(hub_key)
    log.summary(hub_key, prev="ab" * 32)
    report = audit(log, log_key)
    assert failures(report) == [(2, SequenceConflict)]
    assert report.failures[0].error.field == "prev"


def test_entries_misnumbered_or_missing(
    make_log: LogFactory, log_key: Ed25519PrivateKey, hub_key: Ed25519PrivateKey
) -> None:
    log = make_log()
    log.register(hub_key)
    log.summary(hub_key)
    log.summary(hub_key)
    entries = [(0, log.entries[0]), (2, log.entries[1]), (2, log.entries[2])]
    assert failures(audit(log, log_key, entries=entries)) == [(1, InconsistentLog)]
    short = audit(log, log_key, entries=log.numbered()[:2])
    assert failures(short) == [(None, InconsistentLog)]


def test_statement_by_revoked_key_before_and_after_the_revocation(
    make_log: LogFactory,
    log_key: Ed25519PrivateKey,
    hub_key: Ed25519PrivateKey,
    wrong_key: Ed25519PrivateKey,
) -> None:
    log = make_log()
    log.register(hub_key)
    log.key_event("key-added", key=wrong_key)
    log.summary(hub_key)  # leaf 2: before the revocation, fine
    log.key_event("key-revoked", keyid=key_id(hub_key.public_key()))
    assert audit(log, log_key).ok
    log.summary(hub_key)  # leaf 4: after it
    log.summary(wrong_key)  # leaf 5: the hub's other key; its chain restarts after leaf 4
    report = audit(log, log_key)
    assert failures(report) == [(4, RevokedKey)]


def test_rotation_overlap(
    make_log: LogFactory,
    log_key: Ed25519PrivateKey,
    hub_key: Ed25519PrivateKey,
    next_hub_key: Ed25519PrivateKey,
) -> None:
    log = make_log()
    log.register(hub_key)
    log.summary(hub_key)
    log.rotation(hub_key, next_hub_key, overlap_days=7)
    log.summary(hub_key, created=CREATED + timedelta(days=3))  # old key, in the overlap
    log.summary(next_hub_key, created=CREATED + timedelta(days=4))
    report = audit(log, log_key)
    assert report.ok, [str(failure) for failure in report.failures]
    assert report.counts["key-rotation"] == 1
    log.summary(hub_key, created=CREATED + timedelta(days=8))  # old key, after it
    assert failures(audit(log, log_key)) == [(5, KeyExpired)]


def test_statement_by_a_key_added_later(
    make_log: LogFactory,
    log_key: Ed25519PrivateKey,
    hub_key: Ed25519PrivateKey,
    wrong_key: Ed25519PrivateKey,
) -> None:
    log = make_log()
    log.register(hub_key)
    log.summary(wrong_key)  # not yet this hub's key
    log.key_event("key-added", key=wrong_key)
    assert failures(audit(log, log_key)) == [(1, UnknownKey)]


def test_checkpoint_by_another_key(
    make_log: LogFactory,
    log_key: Ed25519PrivateKey,
    hub_key: Ed25519PrivateKey,
) -> None:
    log = make_log()
    log.register(hub_key)
    forged = log.checkpoint().as_json()
    forged["signature"] = base64.b64encode(b"\0" * 64).decode()
    report = audit(log, log_key, checkpoint=forged)
    assert failures(report) == [(None, BadSignature)]
    assert report.checkpoint is None and report.leaves == 1


def test_audience_and_disclosure_are_rechecked(
    make_log: LogFactory,
    log_key: Ed25519PrivateKey,
    hub_key: Ed25519PrivateKey,
    valid_body: Callable[[], dict[str, Any]],
) -> None:
    log = make_log()
    log.register(hub_key)
    body = valid_body()
    body["themes"][0]["people"] = {"value": 3, "suppressed": False}
    log.summary(hub_key, body=body)
    log.summary(hub_key, aud="somewhere-else")
    report = audit(log, log_key, audience=AUDIENCE)
    assert failures(report) == [(1, DisclosureViolation), (2, WrongAudience)]
    assert failures(audit(log, log_key)) == [(1, DisclosureViolation)]


def test_garbage_leaf(
    make_log: LogFactory, log_key: Ed25519PrivateKey, hub_key: Ed25519PrivateKey
) -> None:
    log = make_log()
    log.register(hub_key)
    log.append(b"\xff not json")
    log.summary(hub_key)
    assert failures(audit(log, log_key)) == [(1, MalformedJSON)]


def test_a_statement_signed_by_the_log_key_is_not_a_key_event(
    make_log: LogFactory, log_key: Ed25519PrivateKey, hub_key: Ed25519PrivateKey
) -> None:
    log = make_log()
    log.register(hub_key)
    log.signed(sign_statement(log.statement_value(), log_key))
    assert failures(audit(log, log_key)) == [(1, UnknownKey)]


def test_witness_cosignatures(
    make_log: LogFactory,
    log_key: Ed25519PrivateKey,
    hub_key: Ed25519PrivateKey,
    wrong_key: Ed25519PrivateKey,
) -> None:
    log = make_log()
    two_hubs(log, hub_key, wrong_key)  # Cornwall (wrong_key) witnesses
    signed = log.checkpoint()
    good = {
        "witness": CORNWALL,
        "keyid": key_id(wrong_key.public_key()),
        "signature": base64.b64encode(cosign_checkpoint(signed.checkpoint, wrong_key)).decode(),
    }
    report = audit(log, log_key, checkpoint=replace(signed, cosignatures=(good,)))
    assert report.ok and report.witnesses == [CORNWALL]

    not_theirs = {**good, "witness": HUB_ID}  # Cornwall's key, claimed for Manchester
    forged = {**good, "signature": base64.b64encode(b"\1" * 64).decode()}
    by_log_key = {
        **good,
        "keyid": key_id(log_key.public_key()),
        "signature": base64.b64encode(cosign_checkpoint(signed.checkpoint, log_key)).decode(),
    }
    malformed = {"witness": CORNWALL}
    report = audit(
        log,
        log_key,
        checkpoint=replace(signed, cosignatures=(good, not_theirs, forged, by_log_key, malformed)),
    )
    assert report.witnesses == [CORNWALL]
    assert failures(report) == [
        (None, UnknownKey),
        (None, BadSignature),
        (None, UnknownKey),
        (None, SchemaViolation),
    ]
    assert report.failures[1].error.field == "cosignatures[2]"
