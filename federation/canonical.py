"""Canonical JSON (RFC 8785, via the `rfc8785` package) and a strict parser.

Signatures cover bytes, so every statement travels in one exact byte form. The
strict parser refuses what a lenient `json.loads` would quietly accept: repeated
keys (the last one would win, and two parties could read different documents),
numbers outside the I-JSON safe range, NaN/Infinity, nesting deep enough to
exhaust the stack, and bytes that are not their own canonical form. Every
failure is a `MalformedJSON` (or a subclass), never a bare ValueError.
Leaves out: schema checks (see `statement`).
"""

from __future__ import annotations

import json
import math
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
    except RecursionError as exc:
        raise MalformedJSON("value is nested too deeply to canonicalise") from exc


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
    # Check the length first: int() of thousands of digits is slow, and past
    # Python's digit limit it raises a plain ValueError the caller would not expect.
    if len(text.lstrip("-")) > len(str(MAX_SAFE_INTEGER)) or abs(int(text)) > MAX_SAFE_INTEGER:
        shown = text if len(text) <= 24 else f"{text[:20]}… ({len(text)} characters)"
        raise MalformedJSON(f"integer {shown} is outside ±(2^53−1); send it as a string")
    return int(text)


def _parse_float(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise MalformedJSON(f"number {text[:24]} is too large to represent")
    return number


def parse_json(raw: bytes) -> Any:
    """Parse UTF-8 JSON, refusing duplicate keys, NaN/Infinity, unsafe integers, deep nesting."""
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
            parse_float=_parse_float,
        )
    except json.JSONDecodeError as exc:
        raise MalformedJSON(
            f"not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})"
        ) from exc
    except RecursionError as exc:
        raise MalformedJSON("not valid JSON: arrays or objects are nested too deeply") from exc


def parse_canonical(raw: bytes) -> Any:
    """Parse JSON that must already be in canonical form; anything else is an error."""
    value = parse_json(raw)
    if canonical_json(value) != raw:
        raise NonCanonical("payload bytes are not the RFC 8785 canonical form of their content")
    return value
