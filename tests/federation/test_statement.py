"""The receiver's context checks and the summary/1 body schema."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from federation.envelope import KeyLookup, Statement, sign_statement, verify_envelope
from federation.errors import (
    CreatedInFuture,
    DisclosureViolation,
    SchemaViolation,
    WrongAudience,
)
from federation.statement import check_statement, validate_body

AUDIENCE = "hubnet-national-england"
CREATED = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
StatementFactory = Callable[..., dict[str, Any]]
BodyFactory = Callable[[], dict[str, Any]]


@pytest.fixture
def verified(
    hub_key: Ed25519PrivateKey, hub_lookup: KeyLookup, make_statement: StatementFactory
) -> Callable[..., Statement]:
    def make(**changes: Any) -> Statement:
        return verify_envelope(sign_statement(make_statement(**changes), hub_key), hub_lookup)

    return make


def test_a_good_statement_passes(verified: Callable[..., Statement]) -> None:
    check_statement(verified(), audience=AUDIENCE, now=CREATED)


def test_wrong_audience(verified: Callable[..., Statement]) -> None:
    with pytest.raises(WrongAudience) as caught:
        check_statement(verified(aud="somebody-else"), audience=AUDIENCE, now=CREATED)
    assert (caught.value.status, caught.value.field) == (422, "aud")


def test_created_up_to_five_minutes_ahead_is_tolerated(
    verified: Callable[..., Statement],
) -> None:
    statement = verified()
    check_statement(statement, audience=AUDIENCE, now=CREATED - timedelta(minutes=5))
    with pytest.raises(CreatedInFuture) as caught:
        check_statement(statement, audience=AUDIENCE, now=CREATED - timedelta(minutes=5, seconds=1))
    assert (caught.value.status, caught.value.field) == (422, "created")


def test_audience_is_checked_before_the_clock(verified: Callable[..., Statement]) -> None:
    with pytest.raises(WrongAudience):
        check_statement(verified(aud="x"), audience=AUDIENCE, now=CREATED - timedelta(days=1))


def test_body_schema_is_checked(
    verified: Callable[..., Statement], valid_body: BodyFactory
) -> None:
    body = valid_body()
    body["themes"][3]["people"]["value"] = "ten"
    with pytest.raises(SchemaViolation) as caught:
        check_statement(verified(body=body), audience=AUDIENCE, now=CREATED)
    assert caught.value.field == "body.themes[3].people.value"


def test_disclosure_is_checked(verified: Callable[..., Statement], valid_body: BodyFactory) -> None:
    body = valid_body()
    body["themes"][0]["supporters"] = {"value": 4, "suppressed": False}
    with pytest.raises(DisclosureViolation) as caught:
        check_statement(verified(body=body), audience=AUDIENCE, now=CREATED)
    assert caught.value.field == "body.themes[gp-access].supporters"
    assert caught.value.status == 422


def test_valid_body_passes(valid_body: BodyFactory) -> None:
    validate_body("summary/1", valid_body())


def _edit(body: dict[str, Any], path: str, value: Any) -> None:
    *parents, last = path.split("/")
    target: Any = body
    for part in parents:
        target = target[int(part)] if part.isdigit() else target[part]
    if value is DELETE:
        del target[int(last) if last.isdigit() else last]
    else:
        target[int(last) if last.isdigit() else last] = value


DELETE = object()


@pytest.mark.parametrize(
    ("path", "value", "field"),
    [
        ("themes/3/people/value", "ten", "body.themes[3].people.value"),
        ("themes/3/people/value", 12.0, "body.themes[3].people.value"),
        ("themes/12/people/value", -5, "body.themes[12].people.value"),
        ("themes/0/people/suppressed", 1, "body.themes[0].people.suppressed"),
        ("themes/0/people/suppressed", "false", "body.themes[0].people.suppressed"),
        ("themes/0/by_kind/idea", DELETE, "body.themes[0].by_kind.idea"),
        ("themes/0/by_kind/rant", {"value": 0, "suppressed": False}, "body.themes[0].by_kind.rant"),
        ("themes/4/code", "potholes", "body.themes[4].code"),
        ("themes/5/code", "gp-access", "body.themes[5].code"),  # a second gp-access row
        ("themes/25", DELETE, "body.themes"),  # "other" has no row
        ("taxonomy", "national/0", "body.taxonomy"),
        ("disclosure", DELETE, "body.disclosure"),
        ("disclosure/unit", "household", "body.disclosure.unit"),
        ("disclosure/k", True, "body.disclosure.k"),
        ("participation/participants/value", None, None),  # null but not suppressed: disclosure
        ("extra", 1, "body.extra"),
    ],
)
def test_body_errors_name_the_full_path(
    path: str, value: Any, field: str | None, valid_body: BodyFactory
) -> None:
    body = valid_body()
    _edit(body, path, value)
    if field is None:
        validate_body("summary/1", body)  # the schema allows it; check_cells does not
        return
    with pytest.raises(SchemaViolation) as caught:
        validate_body("summary/1", body)
    assert caught.value.field == field
    assert caught.value.detail.startswith(f"{field}: ")


def test_schema_violation_keeps_every_error(valid_body: BodyFactory) -> None:
    body = valid_body()
    body["themes"][10]["people"]["value"] = "x"
    body["themes"][3]["contributors"]["value"] = "y"
    with pytest.raises(SchemaViolation) as caught:
        validate_body("summary/1", body)
    # Indexes compare as numbers: 3 comes before 10.
    assert caught.value.field == "body.themes[3].contributors.value"
    assert set(caught.value.errors["themes"]) == {3, 10}


def test_the_receiver_clock_must_be_aware(verified: Callable[..., Statement]) -> None:
    with pytest.raises(ValueError, match="timezone"):
        check_statement(verified(), audience=AUDIENCE, now=datetime(2026, 11, 1, 9, 0))
