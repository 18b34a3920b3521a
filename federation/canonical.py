"""Canonical JSON (RFC 8785, via the `rfc8785` package) and a strict parser.

Signatures cover bytes, so every statement travels in one exact byte form. The
strict parser refuses what a lenient `json.loads` would quietly accept: repeated
keys (the last one would win, and two parties could read different documents),
numbers outside the I-JSON safe range, NaN/Infinity, and bytes that are not
their own canonical form. Leaves out: schema checks (see `statement`).
"""

from __future__ import annotations

import json
from typing import Any

import rfc8785

from federation.errors import DuplicateKey, MalformedJSON, NonCanonical

MAX_SAFE_INTEGER = 2**53 - 1


def canonical_json(value: Any) -> bytes:
    """Serialise `value` to RFC 8785 canonical bytes (UTF-8)."""
    try:
        return rfc8785.dumps(value)
    except rfc8785.IntegerDomainError as exc:
        raise MalformedJSON(f"integer outside ±(2^53−1): {exc}") from exc
    except rfc8785.CanonicalizationError as exc:
        raise MalformedJSON(f"value cannot be canonicalised: {exc}") from exc


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise DuplicateKey(f"key {key!r} appears more than once in one object", field=key)
        result[key] = value
    return result


def _reject_constant(name: str) -> Any:
    raise MalformedJSON(f"{name} is not allowed in hubnet JSON")


def _parse_int(text: str) -> int:
    number = int(text)
    if abs(number) > MAX_SAFE_INTEGER:
        raise MalformedJSON(f"integer {text} is outside ±(2^53−1); send it as a string")
    return number


def parse_json(raw: bytes) -> Any:
    """Parse UTF-8 JSON, refusing duplicate keys, NaN/Infinity and unsafe integers."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise MalformedJSON(f"not UTF-8: {exc.reason} at byte {exc.start}") from exc
    try:
        return json.loads(
            text,
            object_pairs_hook=_no_duplicates,
            parse_constant=_reject_constant,
            parse_int=_parse_int,
        )
    except json.JSONDecodeError as exc:
        raise MalformedJSON(f"not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})") from exc


def parse_canonical(raw: bytes) -> Any:
    """Parse JSON that must already be in canonical form; anything else is an error."""
    value = parse_json(raw)
    if canonical_json(value) != raw:
        raise NonCanonical("payload bytes are not the RFC 8785 canonical form of their content")
    return value
