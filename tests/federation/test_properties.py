"""Property-based tests (hypothesis) over the parsers: no input raises anything but typed errors.

Every receiver-facing function is fed arbitrary bytes, arbitrary JSON, and
correctly signed envelopes around arbitrary (or nearly valid) payloads: it
may refuse them only with a `federation.errors.ProtocolError` subclass, never
with a KeyError, TypeError, RecursionError … that would become a 500. Then
round trips: what is signed verifies back to the same statement or event.

Runs are derandomised and keep no example database, so CI sees the same
examples every time; `max_examples` keeps the whole file to a few seconds.
"""

from __future__ import annotations

import base64
import contextlib
import json
import string
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from federation.canonical import canonical_json, parse_canonical, parse_json
from federation.checkpoint import parse_signed_checkpoint
from federation.disclosure import check_release, protect_count
from federation.envelope import (
    PAYLOAD_TYPE,
    TrustedKey,
    pae,
    parse_statement,
    sign_statement,
    statement_dict,
    verify_envelope,
)
from federation.errors import ProtocolError
from federation.keyevents import (
    KEY_EVENT_PAYLOAD_TYPE,
    KEY_EVENTS,
    key_event_dict,
    sign_key_event,
    verify_key_event,
)
from federation.keys import key_id
from federation.periods import Period
from federation.statement import check_statement, validate_body
from federation.taxonomy import CURRENT_VERSION, load_taxonomy

HUB_ID = "E08000003"
AUDIENCE = "hubnet-national-england"
NOW = datetime(2026, 11, 1, 9, 2, tzinfo=UTC)

PROPERTIES = settings(
    max_examples=200,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
# For properties whose every example signs or validates a whole 26-theme summary.
HEAVY_PROPERTIES = settings(PROPERTIES, max_examples=100)

# JSON-ish values: what parse_json could hand a schema, plus the awkward
# corners (big and negative integers, floats, empty strings, unicode, nesting).
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**53) + 1, max_value=2**53 - 1),
    st.integers(),  # beyond the safe range: canonical_json must refuse, not crash
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=20),
    st.sampled_from(["", "2026-11-01T09:00:00Z", "2026-10-01", HUB_ID, "summary/1", "null"]),
)
json_values = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=5),
        st.dictionaries(st.text(max_size=10), children, max_size=5),
    ),
    max_leaves=30,
)
json_objects = st.dictionaries(st.text(max_size=10), json_values, max_size=8)


def only_typed_errors(call: Callable[[], Any]) -> None:
    """Run `call`; it may succeed or raise a ProtocolError, nothing else."""
    with contextlib.suppress(ProtocolError):
        call()


def json_bytes(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False).encode("utf-8")


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def signed_envelope(payload: bytes, key: Ed25519PrivateKey, payload_type: str) -> bytes:
    return canonical_json(
        {
            "payloadType": payload_type,
            "payload": b64(payload),
            "signatures": [
                {
                    "keyid": key_id(key.public_key()),
                    "sig": b64(key.sign(pae(payload_type, payload))),
                }
            ],
        }
    )


def canonical_or_none(value: Any) -> bytes | None:
    try:
        return canonical_json(value)
    except ProtocolError:
        return None


@pytest.fixture(scope="module")
def lookup(hub_key: Ed25519PrivateKey) -> Callable[[str], TrustedKey | None]:
    return {key_id(hub_key.public_key()): TrustedKey(hub_key.public_key(), HUB_ID)}.get


# Arbitrary bytes.


@PROPERTIES
@given(st.binary(max_size=300))
def test_arbitrary_bytes_into_the_json_parsers(raw: bytes) -> None:
    only_typed_errors(lambda: parse_json(raw))
    only_typed_errors(lambda: parse_canonical(raw))
    only_typed_errors(lambda: parse_statement(raw, "keyid"))


@PROPERTIES
@given(raw=st.binary(max_size=300))
def test_arbitrary_bytes_into_the_verifiers(
    raw: bytes,
    lookup: Callable[[str], TrustedKey | None],
    log_key: Ed25519PrivateKey,
) -> None:
    with pytest.raises(ProtocolError):
        verify_envelope(raw, lookup)
    with pytest.raises(ProtocolError):
        verify_key_event(raw, log_key.public_key())


@PROPERTIES
@given(text=st.text(alphabet=string.printable + '{}[]":,éü\u2028\x00', max_size=200))
def test_json_looking_text(text: str, lookup: Callable[[str], TrustedKey | None]) -> None:
    raw = text.encode("utf-8")
    only_typed_errors(lambda: parse_canonical(raw))
    with pytest.raises(ProtocolError):
        verify_envelope(raw, lookup)


def test_deep_nesting_is_a_typed_error(lookup: Callable[[str], TrustedKey | None]) -> None:
    for raw in (b"[" * 100_000, b'{"a":' * 50_000 + b"1" + b"}" * 50_000):
        with pytest.raises(ProtocolError):
            parse_json(raw)
        with pytest.raises(ProtocolError):
            verify_envelope(raw, lookup)


# Arbitrary JSON structures.


@PROPERTIES
@given(value=json_values)
def test_arbitrary_json(
    value: Any, lookup: Callable[[str], TrustedKey | None], log_key: Ed25519PrivateKey
) -> None:
    raw = json_bytes(value)
    only_typed_errors(lambda: parse_json(raw))
    only_typed_errors(lambda: parse_canonical(raw))
    only_typed_errors(lambda: parse_statement(raw, "keyid"))
    with pytest.raises(ProtocolError):
        verify_envelope(raw, lookup)
    with pytest.raises(ProtocolError):
        verify_key_event(raw, log_key.public_key())
    if isinstance(value, Mapping):
        only_typed_errors(lambda: parse_signed_checkpoint(value))


@PROPERTIES
@given(
    payload_type=st.one_of(st.just(PAYLOAD_TYPE), json_values),
    payload=st.one_of(st.just("e30="), json_values),
    signatures=st.one_of(
        json_values,
        st.lists(
            st.fixed_dictionaries({"keyid": json_values, "sig": json_values}),
            max_size=3,
        ),
    ),
)
def test_envelope_shaped_json(
    payload_type: Any,
    payload: Any,
    signatures: Any,
    lookup: Callable[[str], TrustedKey | None],
    log_key: Ed25519PrivateKey,
) -> None:
    raw = json_bytes({"payloadType": payload_type, "payload": payload, "signatures": signatures})
    with pytest.raises(ProtocolError):
        verify_envelope(raw, lookup)
    with pytest.raises(ProtocolError):
        verify_key_event(raw, log_key.public_key())


@PROPERTIES
@given(value=json_values)
def test_signed_arbitrary_payloads(
    value: Any,
    hub_key: Ed25519PrivateKey,
    log_key: Ed25519PrivateKey,
    lookup: Callable[[str], TrustedKey | None],
) -> None:
    # A correctly signed envelope around any JSON: the payload parser must cope.
    for payload in (json_bytes(value), canonical_or_none(value)):
        if payload is None:
            continue
        with pytest.raises(ProtocolError):
            verify_envelope(signed_envelope(payload, hub_key, PAYLOAD_TYPE), lookup)
        with pytest.raises(ProtocolError):
            verify_key_event(
                signed_envelope(payload, log_key, KEY_EVENT_PAYLOAD_TYPE), log_key.public_key()
            )


# Nearly valid statements and key events: one member replaced by anything.

STATEMENT_FIELDS = [
    "v",
    "kind",
    "hub_id",
    "seq",
    "prev",
    "submission_id",
    "aud",
    "created",
    "schema",
    "period",
    "body",
]


def base_statement(body: Mapping[str, Any]) -> dict[str, Any]:
    return statement_dict(
        kind="summary",
        hub_id=HUB_ID,
        seq=1,
        prev=None,
        submission_id="5f0c2b1e-8d7a-4c3b-9e2f-1a2b3c4d5e6f",
        aud=AUDIENCE,
        created=datetime(2026, 11, 1, 9, 0, tzinfo=UTC),
        schema="summary/1",
        period=Period.month(2026, 10),
        body=body,
    )


def body_paths(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path into a JSON value (dict keys and list indexes)."""
    paths = [path]
    if isinstance(value, dict):
        for key, child in value.items():
            paths += body_paths(child, (*path, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            paths += body_paths(child, (*path, index))
    return paths


def replaced(value: Any, path: tuple[Any, ...], new: Any) -> Any:
    if not path:
        return new
    copy: Any = dict(value) if isinstance(value, dict) else list(value)
    copy[path[0]] = replaced(value[path[0]], path[1:], new)
    return copy


@HEAVY_PROPERTIES
@given(data=st.data())
def test_statements_with_one_member_replaced(
    data: st.DataObject,
    hub_key: Ed25519PrivateKey,
    lookup: Callable[[str], TrustedKey | None],
    valid_body: Callable[[], dict[str, Any]],
) -> None:
    statement = base_statement(valid_body())
    paths = body_paths(statement)
    path = data.draw(st.sampled_from(paths), label="path")
    new = data.draw(json_values, label="new value")
    mutated = replaced(statement, path, new)
    payload = canonical_or_none(mutated)
    if payload is None:
        return
    raw = signed_envelope(payload, hub_key, PAYLOAD_TYPE)

    def receive() -> None:
        verified = verify_envelope(raw, lookup)
        check_statement(verified, audience=AUDIENCE, now=NOW)

    only_typed_errors(receive)


@PROPERTIES
@given(field=st.sampled_from(STATEMENT_FIELDS), new=json_values)
def test_check_statement_on_parsed_statements(
    field: str, new: Any, valid_body: Callable[[], dict[str, Any]]
) -> None:
    statement = base_statement(valid_body())
    statement[field] = new
    payload = canonical_or_none(statement)
    if payload is None:
        return

    def receive() -> None:
        check_statement(parse_statement(payload, "keyid"), audience=AUDIENCE, now=NOW)

    only_typed_errors(receive)


@PROPERTIES
@given(body=json_objects)
def test_arbitrary_bodies(body: dict[str, Any]) -> None:
    only_typed_errors(lambda: validate_body("summary/1", body))
    only_typed_errors(lambda: validate_body("key-rotation/1", body))
    only_typed_errors(lambda: check_release(body))


@HEAVY_PROPERTIES
@given(data=st.data())
def test_check_release_on_mutated_bodies(
    data: st.DataObject, valid_body: Callable[[], dict[str, Any]]
) -> None:
    body = valid_body()
    path = data.draw(st.sampled_from(body_paths(body)), label="path")
    mutated = replaced(body, path, data.draw(json_values, label="new value"))
    if isinstance(mutated, dict):
        only_typed_errors(lambda: check_release(mutated))
        only_typed_errors(lambda: validate_body("summary/1", mutated))


@PROPERTIES
@given(data=st.data())
def test_key_events_with_one_member_replaced(
    data: st.DataObject, hub_key: Ed25519PrivateKey, log_key: Ed25519PrivateKey
) -> None:
    event = key_event_dict(
        event="hub-registered",
        hub_id=HUB_ID,
        keyid=key_id(hub_key.public_key()),
        public_key=hub_key.public_key(),
        hub={"name": "Manchester", "region": "North West", "population": 551943},
        reason=None,
        at=datetime(2026, 11, 1, 9, 0, tzinfo=UTC),
    )
    path = data.draw(st.sampled_from(body_paths(event)), label="path")
    mutated = replaced(event, path, data.draw(json_values, label="new value"))
    payload = canonical_or_none(mutated)
    if payload is None:
        return
    raw = signed_envelope(payload, log_key, KEY_EVENT_PAYLOAD_TYPE)
    only_typed_errors(lambda: verify_key_event(raw, log_key.public_key()))


# Round trips.

gss_codes = st.from_regex(r"[ENSW][0-9]{8}", fullmatch=True)
moments = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2999, 12, 31), timezones=st.just(UTC)
).map(lambda moment: moment.replace(microsecond=0))
periods = st.tuples(
    st.dates(min_value=date(2000, 1, 1), max_value=date(2999, 1, 1)),
    st.integers(min_value=0, max_value=400),
).map(lambda pair: Period(pair[0], pair[0] + timedelta(days=pair[1])))


@HEAVY_PROPERTIES
@given(
    hub_id=gss_codes,
    seq=st.integers(min_value=1, max_value=2**53 - 1),
    prev=st.binary(min_size=32, max_size=32).map(bytes.hex),
    submission_id=st.uuids(version=4).map(str),
    aud=st.text(min_size=1, max_size=50),
    created=moments,
    period=periods,
    counts=st.lists(st.integers(min_value=0, max_value=10**6), min_size=1, max_size=30),
)
def test_sign_then_verify_returns_the_same_statement(
    hub_id: str,
    seq: int,
    prev: str,
    submission_id: str,
    aud: str,
    created: datetime,
    period: Period,
    counts: list[int],
    hub_key: Ed25519PrivateKey,
    valid_body: Callable[[], dict[str, Any]],
) -> None:
    body = valid_body()
    for row, count in zip(body["themes"], counts, strict=False):
        # by_kind, not people: a theme's people is the margin of its breakdown tables
        row["by_kind"]["idea"] = protect_count(count).as_json()
    value = statement_dict(
        kind="summary",
        hub_id=hub_id,
        seq=seq,
        prev=None if seq == 1 else prev,
        submission_id=submission_id,
        aud=aud,
        created=created,
        schema="summary/1",
        period=period,
        body=body,
    )
    lookup = {key_id(hub_key.public_key()): TrustedKey(hub_key.public_key(), hub_id)}.get
    raw = sign_statement(value, hub_key)
    statement = verify_envelope(raw, lookup)
    assert (statement.hub_id, statement.seq, statement.submission_id) == (
        hub_id,
        seq,
        submission_id,
    )
    assert (statement.aud, statement.created, statement.period) == (aud, created, period)
    assert statement.prev == value["prev"]
    assert statement.body == body
    assert statement.payload == canonical_json(value)
    assert parse_json(statement.payload) == value
    check_statement(statement, audience=aud, now=created)
    assert sign_statement(value, hub_key) == raw  # deterministic bytes


@PROPERTIES
@given(
    event=st.sampled_from(KEY_EVENTS),
    hub_id=gss_codes,
    at=moments,
    reason=st.text(min_size=1, max_size=100),
    name=st.text(min_size=1, max_size=50),
    population=st.integers(min_value=0, max_value=10**8),
)
def test_sign_then_verify_returns_the_same_key_event(
    event: str,
    hub_id: str,
    at: datetime,
    reason: str,
    name: str,
    population: int,
    hub_key: Ed25519PrivateKey,
    log_key: Ed25519PrivateKey,
) -> None:
    public = hub_key.public_key()
    with_key = event in ("hub-registered", "key-added")
    value = key_event_dict(
        event=event,
        hub_id=hub_id,
        keyid=None if event == "hub-revoked" else key_id(public),
        public_key=public if with_key else None,
        hub={"name": name, "region": "", "population": population}
        if event == "hub-registered"
        else None,
        reason=reason if event.endswith("revoked") else None,
        at=at,
    )
    verified = verify_key_event(sign_key_event(value, log_key), log_key.public_key())
    assert (verified.event, verified.hub_id, verified.at, verified.reason) == (
        event,
        hub_id,
        at,
        value["reason"],
    )
    assert verified.hub == value["hub"]
    assert parse_json(verified.payload) == value


def test_the_taxonomy_is_what_the_strategies_assume() -> None:
    assert len(load_taxonomy(CURRENT_VERSION).codes) == 26
