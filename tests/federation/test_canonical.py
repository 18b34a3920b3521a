"""Canonical JSON (RFC 8785) and the strict parser."""

from __future__ import annotations

import pytest

from federation.canonical import MAX_SAFE_INTEGER, canonical_json, parse_canonical, parse_json
from federation.errors import DuplicateKey, MalformedJSON, NonCanonical


def test_canonical_form_sorts_keys_and_drops_whitespace() -> None:
    value = {"b": 1, "a": [True, None, "é", 1.0, -0.0], "c": {"z": 1, "y": 2}}
    assert canonical_json(value) == (b'{"a":[true,null,"\xc3\xa9",1,0],"b":1,"c":{"y":2,"z":1}}')


def test_canonical_form_sorts_keys_by_utf16_code_units() -> None:
    # RFC 8785 §3.2.3: "\u20ac" (€) sorts before "\ud83d\ude00" (😀) in UTF-16 order.
    value = {"😀": 2, "€": 1, "a": 0}
    assert canonical_json(value) == '{"a":0,"€":1,"😀":2}'.encode()


@pytest.mark.parametrize("value", [2**53, -(2**53), 10**20])
def test_canonical_form_refuses_unsafe_integers(value: int) -> None:
    with pytest.raises(MalformedJSON):
        canonical_json({"n": value})


@pytest.mark.parametrize("value", [float("nan"), float("inf"), "\ud800", {1: "a"}])
def test_canonical_form_refuses_what_json_cannot_carry(value: object) -> None:
    with pytest.raises(MalformedJSON):
        canonical_json(value)


def test_parse_accepts_ordinary_json() -> None:
    raw = b'{"a": [1, 2.5, "x", null, true], "b": {"c": -9007199254740991}}'
    assert parse_json(raw) == {"a": [1, 2.5, "x", None, True], "b": {"c": -MAX_SAFE_INTEGER}}


def test_duplicate_keys_are_refused_and_named() -> None:
    with pytest.raises(DuplicateKey) as caught:
        parse_json(b'{"a": {"seq": 1, "seq": 2}}')
    assert caught.value.field == "seq"
    assert caught.value.status == 400


@pytest.mark.parametrize(
    "raw",
    [
        b"NaN",
        b"[Infinity]",
        b'{"x": -Infinity}',
        b"9007199254740992",
        b"-9007199254740992",
        b"1" * 5000,  # past Python's int() digit limit: must not escape as ValueError
        b"1e400",
        b"[" * 100_000 + b"]" * 100_000,  # deep enough to exhaust the stack
        b"\xff\xfe",
        b'{"a": 1',
        b"",
        b'{"a": 1} {"b": 2}',
    ],
)
def test_parse_refuses_with_a_protocol_error(raw: bytes) -> None:
    with pytest.raises(MalformedJSON):
        parse_json(raw)


def test_parse_canonical_accepts_its_own_output() -> None:
    value = {"z": [1, 2, {"b": "é", "a": None}], "a": "x"}
    raw = canonical_json(value)
    assert parse_canonical(raw) == value


@pytest.mark.parametrize(
    "raw",
    [
        b'{"a": 1}',  # whitespace
        b'{"b":1,"a":2}',  # key order
        b'{"a":1.0}',  # number form
        b'{"a":"\\u00e9"}',  # needless escape
        b'{"a":1}\n',  # trailing newline
    ],
)
def test_parse_canonical_refuses_other_forms(raw: bytes) -> None:
    with pytest.raises(NonCanonical):
        parse_canonical(raw)


def test_parse_canonical_reports_duplicates_before_form() -> None:
    with pytest.raises(DuplicateKey):
        parse_canonical(b'{"a":1,"a":1}')
