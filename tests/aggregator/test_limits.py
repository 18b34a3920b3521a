"""Rate and size limits on `POST /api/v1/submissions`, answered as problems a hub can act on."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from federation.envelope import MAX_ENVELOPE_BYTES
from national_aggregator import create_app
from tests.aggregator.conftest import AUDIENCE, RegisterHub, assert_problem, post, row_counts


@pytest.fixture
def app_config() -> dict[str, Any]:
    return {"SUBMISSION_RATE_LIMIT": "2 per minute"}


def test_past_the_rate_limit_a_submission_is_429_with_retry_after_and_nothing_is_stored(
    client: FlaskClient, register: RegisterHub, app: Flask
) -> None:
    hub = register()
    assert post(client, hub.summary()).status_code == 201
    assert post(client, hub.summary()).status_code == 201
    before = row_counts(app)

    refused = post(client, hub.summary())

    problem = assert_problem(refused, 429, "too-many-requests", None)
    wait = int(refused.headers["Retry-After"])
    assert 1 <= wait <= 61  # the window's reset, rounded up
    assert problem["retry_after"] == wait
    assert "2 per 1 minute" in problem["detail"] and "nothing was stored" in problem["detail"]
    assert row_counts(app) == before


def test_the_limit_is_per_client_address_and_only_on_submissions(
    client: FlaskClient, register: RegisterHub
) -> None:
    hub = register()
    assert [post(client, hub.summary()).status_code for _ in range(2)] == [201, 201]
    third = hub.summary()
    assert post(client, third).status_code == 429

    elsewhere = client.post(
        "/api/v1/submissions",
        data=third,
        content_type="application/json",
        environ_base={"REMOTE_ADDR": "192.0.2.7"},
    )

    assert elsewhere.status_code == 201
    for path in ("/api/v1/log/checkpoint", "/api/v1/hubs", "/api/v1/log/entries?start=0&end=1"):
        assert [client.get(path).status_code for _ in range(3)] == [200, 200, 200]


def test_behind_a_proxy_the_limit_counts_the_forwarded_client(
    instance: Path, database_url: str, register: RegisterHub
) -> None:
    """With PROXY_COUNT set, X-Forwarded-For names the client (nginx sets it)."""
    app = create_app(
        {"TESTING": True, "INSTANCE_PATH": str(instance), "DATABASE_URL": database_url,
         "AGGREGATOR_ID": AUDIENCE, "SUBMISSION_RATE_LIMIT": "1 per minute", "PROXY_COUNT": 1}
    )  # fmt: skip
    try:
        client = app.test_client()
        hub = register()
        first = hub.summary()
        answers = [
            post_from(client, first, "198.51.100.1").status_code,
            post_from(client, hub.summary(), "198.51.100.1").status_code,
            post_from(client, first, "198.51.100.2").status_code,  # the same bytes again: 200
        ]
    finally:
        app.extensions["hubnet.engine"].dispose()

    assert answers == [201, 429, 200]


def post_from(client: FlaskClient, envelope: bytes, address: str) -> Any:
    return client.post(
        "/api/v1/submissions",
        data=envelope,
        content_type="application/json",
        headers={"X-Forwarded-For": address},
    )


def test_over_1_mib_is_still_413(client: FlaskClient, register: RegisterHub, app: Flask) -> None:
    before = row_counts(app)

    response = post(client, b" " * (MAX_ENVELOPE_BYTES + 1))

    assert_problem(response, 413, "payload-too-large", None)
    assert row_counts(app) == before
