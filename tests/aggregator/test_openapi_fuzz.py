"""schemathesis against the aggregator's own OpenAPI document: no 5xx, and every answer fits it.

The app has hubs registered, summaries accepted, a key revoked, and a witness
cosignature, so the generated requests meet a log with real content. Bounded
and deterministic (derandomized, no shrinking, no example database) so it
runs in seconds in `make test`.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
import schemathesis
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.generation.modes import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from federation.checkpoint import Checkpoint, cosignature_message
from federation.keys import key_id
from hubnet.db import get_session
from national_aggregator.db import utcnow
from national_aggregator.log import log_signer
from national_aggregator.openapi.services import build_spec
from national_aggregator.registry.services import revoke_hub
from tests.aggregator.conftest import RegisterHub, post

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    negative_data_rejection,
]


@pytest.fixture
def api_schema(app: Flask, client: FlaskClient, register: RegisterHub) -> Any:
    """The document as the app serves it, over a log with statements, key events, a cosignature."""
    manchester = register()
    cornwall = register("E06000052", "Cornwall", "South West", 570305)
    leeds = register("E08000035", "Leeds", "Yorkshire and The Humber", 811953)
    for hub, people in ((manchester, 40), (cornwall, 25), (manchester, 15)):
        assert post(client, hub.summary({"gp-access": people})).status_code == 201
    checkpoint = client.get("/api/v1/log/checkpoint").get_json()
    signed = Checkpoint(
        checkpoint["origin"], checkpoint["size"], base64.b64decode(checkpoint["root"])
    )
    cosigned = client.post(
        "/api/v1/log/cosignatures",
        json={
            "witness": cornwall.gss,
            "keyid": key_id(cornwall.private_key.public_key()),
            "size": checkpoint["size"],
            "root": checkpoint["root"],
            "signature": base64.b64encode(
                cornwall.private_key.sign(cosignature_message(signed))
            ).decode(),
        },
    )
    assert cosigned.status_code == 201, cosigned.data
    with app.app_context():
        revoke_hub(get_session(), leeds.gss, utcnow(), reason="left", signer=log_signer())
        get_session().commit()
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)


# schemathesis's own pytest integration (`schema.parametrize()`) does not run under pytest 9.2
# (it reads a private `Function._nodeid` that pytest renamed), so each operation's cases come
# from its Hypothesis strategy. The operations are read from the document itself.
OPERATIONS = [
    (method.upper(), path, bool(spec.get("parameters") or spec.get("requestBody")))
    for path, methods in build_spec()["paths"].items()
    for method, spec in methods.items()
]


@pytest.mark.parametrize(
    ("method", "path", "takes_input"), OPERATIONS, ids=[f"{m} {p}" for m, p, _ in OPERATIONS]
)
def test_every_answer_fits_the_openapi_document(
    api_schema: Any, method: str, path: str, takes_input: bool
) -> None:
    operation = api_schema[path][method]
    # An operation with no parameters and no body has no invalid input to send.
    modes = [GenerationMode.POSITIVE, *([GenerationMode.NEGATIVE] if takes_input else [])]
    for mode in modes:

        @settings(
            max_examples=25,
            derandomize=True,
            database=None,
            deadline=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy(generation_mode=mode))
        def call_and_validate(case: Any) -> None:
            case.call_and_validate(checks=CHECKS)

        call_and_validate()


def test_successful_answers_fit_the_openapi_document(
    api_schema: Any, client: FlaskClient, register: RegisterHub
) -> None:
    """Random input rarely finds a real leaf or hub, so every success is also asked for directly."""
    hub = register("E09000033", "Westminster", "London", 204236)
    envelope = json.loads(hub.summary({"dentistry": 30}))
    submitted = api_schema["/api/v1/submissions"]["POST"].Case(
        body=envelope, media_type="application/json"
    )
    assert submitted.call_and_validate(checks=CHECKS).status_code == 201
    assert submitted.call_and_validate(checks=CHECKS).status_code == 200
    size = client.get("/api/v1/log/checkpoint").get_json()["size"]
    root = client.get(f"/api/v1/log/checkpoints/{size}").get_json()["root"]
    cosignature = {
        "witness": hub.gss,
        "keyid": key_id(hub.private_key.public_key()),
        "size": size,
        "root": root,
        "signature": base64.b64encode(
            hub.private_key.sign(
                cosignature_message(Checkpoint("hubnet.national/log", size, base64.b64decode(root)))
            )
        ).decode(),
    }
    submission_id = json.loads(base64.b64decode(envelope["payload"]))["submission_id"]
    requests: list[tuple[str, str, dict[str, Any], int]] = [
        ("GET", "/api/v1/submissions/{submission_id}/receipt",
         {"path_parameters": {"submission_id": submission_id}}, 200),
        ("GET", "/api/v1/hubs", {}, 200),
        ("GET", "/api/v1/hubs/{gss}/statements", {"path_parameters": {"gss": "E08000003"}}, 200),
        ("GET", "/api/v1/hubs/{gss}/statements",
         {"path_parameters": {"gss": "E08000003"}, "query": {"after_seq": 1, "limit": 1}}, 200),
        ("GET", "/api/v1/log/checkpoint", {}, 200),
        ("GET", "/api/v1/log/checkpoints/{size}", {"path_parameters": {"size": 0}}, 200),
        ("GET", "/api/v1/log/checkpoints/{size}", {"path_parameters": {"size": size}}, 200),
        ("GET", "/api/v1/log/proof/inclusion",
         {"query": {"leaf_index": 3, "tree_size": size}}, 200),
        ("GET", "/api/v1/log/proof/consistency", {"query": {"first": 3, "second": size}}, 200),
        ("GET", "/api/v1/log/proof/consistency", {"query": {"first": 0, "second": 0}}, 200),
        ("GET", "/api/v1/log/entries", {"query": {"start": 0, "end": size}}, 200),
        ("POST", "/api/v1/log/cosignatures",
         {"body": cosignature, "media_type": "application/json"}, 201),
        ("POST", "/api/v1/log/cosignatures",
         {"body": cosignature, "media_type": "application/json"}, 200),
        ("GET", "/api/v1/priorities", {"query": {"period": "2026-10"}}, 200),
        ("GET", "/api/v1/priorities", {}, 200),
        ("GET", "/api/v1/about", {}, 200),
        ("GET", "/api/v1/openapi.json", {}, 200),
    ]  # fmt: skip
    for method, path, parts, status in requests:
        case = api_schema[path][method].Case(**parts)
        assert case.call_and_validate(checks=CHECKS).status_code == status, (method, path, parts)
