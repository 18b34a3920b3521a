"""The signed envelope: round trip, and every way verification refuses."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from federation.canonical import canonical_json
from federation.envelope import (
    PAYLOAD_TYPE,
    KeyLookup,
    pae,
    parse_statement,
    sign_statement,
    statement_dict,
    verify_envelope,
)
from federation.errors import (
    BadBase64,
    BadSignature,
    DuplicateKey,
    MalformedEnvelope,
    MalformedJSON,
    NonCanonical,
    PayloadTooLarge,
    ProtocolError,
    RevokedKey,
    SchemaViolation,
    UnknownKey,
    WrongPayloadType,
)
from federation.keys import key_id
from federation.periods import Period

HUB_ID = "E08000003"
AUDIENCE = "hubnet-national-england"
StatementFactory = Callable[..., dict[str, Any]]
LookupFactory = Callable[..., KeyLookup]


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def envelope_for(
    payload: bytes,
    *signers: Ed25519PrivateKey,
    payload_type: str = PAYLOAD_TYPE,
) -> bytes:
    """An envelope over arbitrary payload bytes (sign_statement would canonicalise them)."""
    return canonical_json(
        {
            "payloadType": payload_type,
            "payload": b64(payload),
            "signatures": [
                {
                    "keyid": key_id(signer.public_key()),
                    "sig": b64(signer.sign(pae(payload_type, payload))),
                }
                for signer in signers
            ],
        }
    )


def edited(raw: bytes, **changes: Any) -> bytes:
    document = json.loads(raw)
    document.update(changes)
    return json.dumps(document).encode()


def refuse(
    error: type[ProtocolError], raw: bytes, lookup: KeyLookup, **kwargs: Any
) -> ProtocolError:
    with pytest.raises(ProtocolError) as caught:
        verify_envelope(raw, lookup, **kwargs)
    assert type(caught.value) is error, caught.value
    return caught.value


def test_pae_matches_the_dsse_specification_example() -> None:
    assert (
        pae("http://example.com/HelloWorld", b"hello world")
        == b"DSSEv1 29 http://example.com/HelloWorld 11 hello world"
    )


def test_pae_counts_bytes_not_characters() -> None:
    assert pae("é", "ü".encode()) == "DSSEv1 2 é 2 ü".encode()


def test_round_trip(
    hub_key: Ed25519PrivateKey, hub_lookup: KeyLookup, make_statement: StatementFactory
) -> None:
    value = make_statement()
    raw = sign_statement(value, hub_key)
    assert canonical_json(json.loads(raw)) == raw
    statement = verify_envelope(raw, hub_lookup)
    assert statement.payload == canonical_json(value)
    assert statement.keyid == key_id(hub_key.public_key())
    assert (statement.v, statement.kind, statement.hub_id, statement.seq) == (
        1,
        "summary",
        HUB_ID,
        1,
    )
    assert statement.prev is None
    assert statement.aud == AUDIENCE
    assert statement.created == datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
    assert statement.period == Period(date(2026, 10, 1), date(2026, 10, 31))
    assert statement.body == value["body"]
    assert statement.payload_sha256 == hashlib.sha256(statement.payload).hexdigest()


def test_chained_statement(
    hub_key: Ed25519PrivateKey, hub_lookup: KeyLookup, make_statement: StatementFactory
) -> None:
    first = verify_envelope(sign_statement(make_statement(), hub_key), hub_lookup)
    second = verify_envelope(
        sign_statement(make_statement(seq=2, prev=first.payload_sha256), hub_key), hub_lookup
    )
    assert second.prev == first.payload_sha256


def test_statement_dict_needs_an_aware_time(make_statement: StatementFactory) -> None:
    with pytest.raises(ValueError, match="timezone"):
        statement_dict(
            kind="summary",
            hub_id=HUB_ID,
            seq=1,
            prev=None,
            submission_id="5f0c2b1e-8d7a-4c3b-9e2f-1a2b3c4d5e6f",
            aud=AUDIENCE,
            created=datetime(2026, 11, 1, 9, 0),
            schema="summary/1",
            period=Period.month(2026, 10),
            body={},
        )


def test_statement_dict_writes_utc_seconds(make_statement: StatementFactory) -> None:
    from datetime import timedelta, timezone

    moment = datetime(2026, 11, 1, 10, 0, 0, 999_999, tzinfo=timezone(timedelta(hours=1)))
    value = statement_dict(
        kind="summary",
        hub_id=HUB_ID,
        seq=1,
        prev=None,
        submission_id="5f0c2b1e-8d7a-4c3b-9e2f-1a2b3c4d5e6f",
        aud=AUDIENCE,
        created=moment,
        schema="summary/1",
        period=Period.month(2026, 10),
        body={},
    )
    assert value["created"] == "2026-11-01T09:00:00Z"


def test_too_large(
    hub_key: Ed25519PrivateKey, hub_lookup: KeyLookup, make_statement: StatementFactory
) -> None:
    raw = sign_statement(make_statement(), hub_key)
    verify_envelope(raw, hub_lookup, max_bytes=len(raw))
    error = refuse(PayloadTooLarge, raw, hub_lookup, max_bytes=len(raw) - 1)
    assert error.status == 413


@pytest.mark.parametrize(
    ("raw", "error", "field"),
    [
        (b"not json", MalformedJSON, None),
        (b"[]", MalformedEnvelope, "envelope"),
        (b'{"payloadType": "x", "payloadType": "y"}', DuplicateKey, "payloadType"),
    ],
)
def test_unreadable_envelopes(
    raw: bytes, error: type[ProtocolError], field: str | None, hub_lookup: KeyLookup
) -> None:
    assert refuse(error, raw, hub_lookup).field == field


def test_envelope_shape(
    hub_key: Ed25519PrivateKey, hub_lookup: KeyLookup, make_statement: StatementFactory
) -> None:
    good = sign_statement(make_statement(), hub_key)
    cases: list[tuple[bytes, type[ProtocolError], str]] = [
        (edited(good, extra=1), MalformedEnvelope, "extra"),
        (edited(good, payloadType="application/json"), WrongPayloadType, "payloadType"),
        (edited(good, payload=None), MalformedEnvelope, "payload"),
        (edited(good, payload="not base64!"), BadBase64, "payload"),
        (edited(good, payload="e30"), BadBase64, "payload"),  # unpadded
        (edited(good, payload="e31="), BadBase64, "payload"),  # non-canonical spelling of "{}"
        (edited(good, signatures=[]), MalformedEnvelope, "signatures"),
        (edited(good, signatures={"keyid": "x"}), MalformedEnvelope, "signatures"),
        (edited(good, signatures=[{"sig": "AA=="}]), MalformedEnvelope, "signatures[0]"),
        (
            edited(good, signatures=[{"keyid": "k", "sig": 5}]),
            MalformedEnvelope,
            "signatures[0].sig",
        ),
        (edited(good, signatures=[{"keyid": "k", "sig": "%%"}]), BadBase64, "signatures[0].sig"),
    ]
    document = json.loads(good)
    del document["payload"]
    cases.append((json.dumps(document).encode(), MalformedEnvelope, "payload"))
    for raw, error, field in cases:
        assert refuse(error, raw, hub_lookup).field == field, raw[:80]


def test_unknown_key(
    wrong_key: Ed25519PrivateKey, hub_lookup: KeyLookup, make_statement: StatementFactory
) -> None:
    error = refuse(UnknownKey, sign_statement(make_statement(), wrong_key), hub_lookup)
    assert error.status == 401
    assert key_id(wrong_key.public_key()) in error.detail


def test_key_of_another_hub(
    hub_key: Ed25519PrivateKey, make_statement: StatementFactory, make_lookup: LookupFactory
) -> None:
    lookup = make_lookup((hub_key, "E06000052"))  # registered to Cornwall
    error = refuse(UnknownKey, sign_statement(make_statement(), hub_key), lookup)
    assert error.field == "hub_id"


def test_revoked_key(
    hub_key: Ed25519PrivateKey, make_statement: StatementFactory, make_lookup: LookupFactory
) -> None:
    lookup = make_lookup((hub_key, HUB_ID), revoked=True)
    error = refuse(RevokedKey, sign_statement(make_statement(), hub_key), lookup)
    assert error.status == 403
    assert error.field == "signatures[0].keyid"


def test_bad_signature(
    hub_key: Ed25519PrivateKey, hub_lookup: KeyLookup, make_statement: StatementFactory
) -> None:
    good = json.loads(sign_statement(make_statement(), hub_key))
    payload = bytearray(base64.b64decode(good["payload"]))
    payload[-2] ^= 1
    error = refuse(
        BadSignature, edited(json.dumps(good).encode(), payload=b64(payload)), hub_lookup
    )
    assert error.status == 401
    assert error.field == "signatures[0].sig"


def test_signature_over_another_payload_type(
    hub_key: Ed25519PrivateKey, hub_lookup: KeyLookup, make_statement: StatementFactory
) -> None:
    # Signed for a different payloadType but relabelled: PAE binds the type.
    payload = canonical_json(make_statement())
    raw = envelope_for(payload, hub_key, payload_type="application/vnd.other+json")
    refuse(BadSignature, edited(raw, payloadType=PAYLOAD_TYPE), hub_lookup)


def test_extra_signatures(
    hub_key: Ed25519PrivateKey,
    wrong_key: Ed25519PrivateKey,
    make_statement: StatementFactory,
    make_lookup: LookupFactory,
) -> None:
    payload = canonical_json(make_statement())
    # An unknown co-signer (a witness, say) is ignored.
    verify_envelope(envelope_for(payload, wrong_key, hub_key), make_lookup((hub_key, HUB_ID)))
    # Two keys of the same hub (a rotation overlap) both count.
    both = make_lookup((hub_key, HUB_ID), (wrong_key, HUB_ID))
    statement = verify_envelope(envelope_for(payload, hub_key, wrong_key), both)
    assert statement.keyid == key_id(wrong_key.public_key())
    # A known key of another hub may not co-sign.
    mixed = make_lookup((hub_key, HUB_ID), (wrong_key, "E06000052"))
    assert refuse(UnknownKey, envelope_for(payload, hub_key, wrong_key), mixed).field == "hub_id"


def test_every_known_signature_must_verify(
    hub_key: Ed25519PrivateKey,
    wrong_key: Ed25519PrivateKey,
    make_statement: StatementFactory,
    make_lookup: LookupFactory,
) -> None:
    payload = canonical_json(make_statement())
    document = json.loads(envelope_for(payload, hub_key, wrong_key))
    document["signatures"][1]["sig"] = document["signatures"][0]["sig"]
    both = make_lookup((hub_key, HUB_ID), (wrong_key, HUB_ID))
    error = refuse(BadSignature, json.dumps(document).encode(), both)
    assert error.field == "signatures[1].sig"


def test_payload_must_be_canonical(
    hub_key: Ed25519PrivateKey, hub_lookup: KeyLookup, make_statement: StatementFactory
) -> None:
    payload = json.dumps(make_statement(), sort_keys=True).encode()  # with spaces
    refuse(NonCanonical, envelope_for(payload, hub_key), hub_lookup)


def test_payload_must_not_repeat_keys(
    hub_key: Ed25519PrivateKey, hub_lookup: KeyLookup, make_statement: StatementFactory
) -> None:
    payload = canonical_json(make_statement()).replace(b'{"aud":', b'{"aud":"x","aud":', 1)
    assert refuse(DuplicateKey, envelope_for(payload, hub_key), hub_lookup).field == "aud"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"v": 2}, "v"),
        ({"seq": 0}, "seq"),
        ({"seq": True}, "seq"),
        ({"prev": "ab" * 32}, "prev"),  # seq 1 must have prev null
        ({"seq": 2}, "prev"),  # seq 2 needs a prev
        ({"prev": "AB" * 32, "seq": 2}, "prev"),
        ({"hub_id": "Manchester"}, "hub_id"),
        # `$` would match before a final newline; the patterns must match the whole value.
        ({"hub_id": "E08000003\n"}, "hub_id"),
        ({"submission_id": "5f0c2b1e-8d7a-4c3b-9e2f-1a2b3c4d5e6f\n"}, "submission_id"),
        ({"prev": "ab" * 32 + "\n", "seq": 2}, "prev"),
        ({"created": "2026-11-01T09:00:00Z\n"}, "created"),
        ({"submission_id": "5F0C2B1E-8D7A-4C3B-9E2F-1A2B3C4D5E6F"}, "submission_id"),
        ({"created": "2026-11-01T09:00:00+00:00"}, "created"),
        ({"created": "2026-02-30T09:00:00Z"}, "created"),
        ({"kind": "gossip"}, "kind"),
        ({"schema": "summary/9"}, "schema"),
        ({"period": {"start": "2026-10-31", "end": "2026-10-01"}}, "period.end"),
        ({"period": {"start": "20261001", "end": "2026-10-31"}}, "period.start"),
        ({"period": {"start": "2026-W40-4", "end": "2026-10-31"}}, "period.start"),
        ({"period": {"start": "2026-10-01"}}, "period.end"),
        ({"body": []}, "body"),
        ({"surprise": 1}, "surprise"),
    ],
)
def test_statement_schema_errors_name_the_field(
    changes: dict[str, Any],
    field: str,
    hub_key: Ed25519PrivateKey,
    hub_lookup: KeyLookup,
    make_statement: StatementFactory,
) -> None:
    raw = sign_statement(make_statement(**changes), hub_key)
    error = refuse(SchemaViolation, raw, hub_lookup)
    assert error.field == field
    assert error.detail.startswith(f"{field}: ")
    assert error.status == 400


def test_statement_must_be_an_object() -> None:
    with pytest.raises(SchemaViolation) as caught:
        parse_statement(b"[1]", "keyid")
    assert caught.value.field == "payload"


def test_missing_fields_are_named(make_statement: StatementFactory) -> None:
    value = make_statement()
    del value["aud"], value["seq"]
    with pytest.raises(SchemaViolation) as caught:
        parse_statement(canonical_json(value), "keyid")
    assert caught.value.field == "aud"
    assert set(caught.value.errors) == {"aud", "seq"}
