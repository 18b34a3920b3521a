"""`GET /api/v1/openapi.json`: generated from the marshmallow schemas, covering every endpoint.

Whether the answers match it is schemathesis's job (test_openapi_fuzz.py);
this checks the document itself.
"""

from __future__ import annotations

import re
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from national_aggregator.openapi.services import build_spec


def api_routes(app: Flask) -> set[tuple[str, str]]:
    """(method, OpenAPI path) of every route under /api/v1."""
    routes = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/"):
            continue
        path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule.rule)
        for method in rule.methods or ():
            if method not in ("HEAD", "OPTIONS"):
                routes.add((method.lower(), path))
    return routes


def test_the_document_lists_every_api_route_and_nothing_else(
    client: FlaskClient, app: Flask
) -> None:
    response = client.get("/api/v1/openapi.json")

    assert response.status_code == 200 and response.content_type == "application/json"
    document = response.get_json()
    assert document["openapi"] == "3.0.3"
    documented = {(method, path) for path, item in document["paths"].items() for method in item}
    assert documented == api_routes(app)


def test_every_error_is_problem_json_and_every_success_json(client: FlaskClient) -> None:
    document = client.get("/api/v1/openapi.json").get_json()

    for path, item in document["paths"].items():
        for method, operation in item.items():
            for status, answer in operation["responses"].items():
                (media_type,) = answer["content"]
                if status.startswith("2"):
                    assert media_type == "application/json", (method, path, status)
                else:
                    assert media_type == "application/problem+json", (method, path, status)
                    schema = answer["content"][media_type]["schema"]
                    assert schema == {"$ref": "#/components/schemas/Problem"}


def test_the_submission_body_is_the_envelope_and_every_limit_is_documented(
    client: FlaskClient,
) -> None:
    document = client.get("/api/v1/openapi.json").get_json()
    operation = document["paths"]["/api/v1/submissions"]["post"]

    body = operation["requestBody"]["content"]["application/json"]["schema"]
    assert body == {"$ref": "#/components/schemas/Envelope"}
    envelope = document["components"]["schemas"]["Envelope"]
    assert set(envelope["required"]) == {"payloadType", "payload", "signatures"}
    assert set(operation["responses"]) == {
        "200", "201", "400", "401", "403", "409", "413", "422", "429",
    }  # fmt: skip
    assert "Retry-After" in operation["responses"]["429"]["headers"]


def test_query_parameters_come_from_the_schemas_that_validate_them(client: FlaskClient) -> None:
    document = client.get("/api/v1/openapi.json").get_json()

    def parameters(path: str) -> dict[str, Any]:
        operation = document["paths"][path]["get"]
        return {parameter["name"]: parameter for parameter in operation["parameters"]}

    inclusion = parameters("/api/v1/log/proof/inclusion")
    assert inclusion["leaf_index"]["required"] and inclusion["leaf_index"]["in"] == "query"
    assert inclusion["tree_size"]["schema"]["minimum"] == 0
    assert set(parameters("/api/v1/log/entries")) == {"start", "end"}
    assert set(parameters("/api/v1/log/proof/consistency")) == {"first", "second"}
    statements = parameters("/api/v1/hubs/{gss}/statements")
    assert statements["limit"]["schema"]["maximum"] == 1000
    assert statements["gss"]["in"] == "path"
    assert parameters("/api/v1/priorities")["period"]["schema"]["type"] == "string"


def test_the_document_is_built_without_an_app() -> None:
    """Pure data: tools can generate it from the code alone."""
    assert build_spec()["info"]["title"] == "hubnet national aggregator"


def test_the_document_is_valid_openapi_3_0(client: FlaskClient) -> None:
    """Against the OpenAPI 3.0 meta-schema (schemathesis ships it): e.g. no Python-only regex."""
    from schemathesis.specs.openapi.definitions import OPENAPI_30_VALIDATOR

    errors = list(OPENAPI_30_VALIDATOR.iter_errors(client.get("/api/v1/openapi.json").get_json()))

    assert errors == []
