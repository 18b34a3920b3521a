"""Typed protocol errors: DESIGN.md §3's statuses, and error paths from marshmallow."""

from __future__ import annotations

from typing import Any

import pytest

from federation import errors
from federation.errors import first_error, first_message


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (errors.MalformedJSON, 400),
        (errors.DuplicateKey, 400),
        (errors.BadBase64, 400),
        (errors.NonCanonical, 400),
        (errors.WrongPayloadType, 400),
        (errors.SchemaViolation, 400),
        (errors.UnknownKey, 401),
        (errors.BadSignature, 401),
        (errors.RevokedKey, 403),
        (errors.KeyExpired, 403),
        (errors.SequenceConflict, 409),
        (errors.PayloadTooLarge, 413),
        (errors.WrongAudience, 422),
        (errors.DisclosureViolation, 422),
        (errors.CreatedInFuture, 422),
        (errors.Equivocation, 422),
        (errors.ProofError, 422),
        (errors.InvalidRotation, 422),
    ],
)
def test_statuses_follow_the_design_table(error: type[errors.ProtocolError], status: int) -> None:
    assert error.status == status
    assert error.slug and error.title


def test_slugs_are_distinct() -> None:
    classes = [
        value
        for value in vars(errors).values()
        if isinstance(value, type) and issubclass(value, errors.ProtocolError)
    ]
    slugs = [cls.slug for cls in classes]
    assert len(slugs) == len(set(slugs))


def test_sequence_conflict_carries_the_expected_seq() -> None:
    error = errors.SequenceConflict("seq 5 is not 3", field="seq", expected_seq=3)
    assert error.expected_seq == 3
    assert error.extra == {"expected_seq": 3}


def test_transport_error_is_not_a_refusal() -> None:
    error = errors.TransportError("GET … answered 503", status=503)
    assert not isinstance(error, errors.ProtocolError)
    assert error.status == 503


@pytest.mark.parametrize(
    ("messages", "prefix", "expected"),
    [
        (
            {"seq": ["Missing data for required field."]},
            "",
            ("seq", "Missing data for required field."),
        ),
        ({"period": {"end": ["end is before start"]}}, "", ("period.end", "end is before start")),
        (
            {"themes": {3: {"people": {"value": ["Not a valid integer."]}}}},
            "body",
            ("body.themes[3].people.value", "Not a valid integer."),
        ),
        ({"themes": {10: {"a": ["x"]}, 2: {"b": ["y"]}}}, "body", ("body.themes[2].b", "y")),
        ({"_schema": ["not an object"]}, "", ("", "not an object")),
        ({"themes": {"_schema": ["missing rows"]}}, "body", ("body.themes", "missing rows")),
        ({"b": ["second"], "a": ["first"]}, "", ("a", "first")),
        ({"tags": {0: ["Not a valid string."]}}, "", ("tags[0]", "Not a valid string.")),
        ({"m": {"k": {"value": ["bad"]}}}, "", ("m.k.value", "bad")),
        ({}, "body", ("body", "{}")),
    ],
)
def test_first_error_gives_the_full_path(
    messages: dict[Any, Any], prefix: str, expected: tuple[str, str]
) -> None:
    assert first_error(messages, prefix) == expected


def test_first_message_is_the_message_of_first_error() -> None:
    assert first_message({"a": {"b": ["deep"]}}) == "deep"
