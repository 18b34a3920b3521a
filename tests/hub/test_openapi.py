"""The hub's `GET /api/v1/openapi.json`: made from marshmallow schemas, covering every endpoint.

Whether the answers match it is schemathesis's job (test_openapi_fuzz.py);
this checks the document itself, against the app's own routes.
"""

from __future__ import annotations

import re
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from hub.gather.models import ABOUT_YOU
from hub.gather.views import MAX_ID
from hub.limits import limit_of
from hub.openapi.services import build_spec


def api_routes(app: Flask) -> set[tuple[str, str]]:
    """(method, OpenAPI path) of every route of the hub app under /api/."""
    routes = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/"):
            continue
        path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule.rule)
        for method in rule.methods or ():
            if method not in ("HEAD", "OPTIONS"):
                routes.add((method.lower(), path))
    return routes


def document(client: FlaskClient) -> dict[str, Any]:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200 and response.content_type == "application/json"
    body = response.get_json()
    assert isinstance(body, dict)
    return body


def test_the_document_lists_every_api_route_and_nothing_else(
    client: FlaskClient, app: Flask
) -> None:
    served = document(client)

    assert served["openapi"] == "3.0.3"
    assert served["info"]["title"] == "hubnet hub"
    documented = {(method, path) for path, item in served["paths"].items() for method in item}
    routes = api_routes(app)
    assert documented == routes
    assert ("post", "/api/v1/contributions") in routes  # the derivation finds the real routes


def test_the_document_is_valid_openapi_3_0(client: FlaskClient) -> None:
    """Against the OpenAPI 3.0 meta-schema (schemathesis ships it)."""
    from schemathesis.specs.openapi.definitions import OPENAPI_30_VALIDATOR

    errors = list(OPENAPI_30_VALIDATOR.iter_errors(document(client)))

    assert errors == []


def test_every_error_is_problem_json_and_every_success_json(client: FlaskClient) -> None:
    served = document(client)

    for path, item in served["paths"].items():
        for method, operation in item.items():
            assert any(status.startswith("2") for status in operation["responses"]), (method, path)
            for status, answer in operation["responses"].items():
                (media_type,) = answer["content"]
                if status.startswith("2"):
                    assert media_type == "application/json", (method, path, status)
                else:
                    assert media_type == "application/problem+json", (method, path, status)
                    schema = answer["content"][media_type]["schema"]
                    assert schema == {"$ref": "#/components/schemas/Problem"}
    problem = served["components"]["schemas"]["Problem"]
    assert set(problem["required"]) == {"type", "title", "status", "detail", "instance"}


def test_every_rate_limited_write_documents_its_429_with_retry_after(
    client: FlaskClient, app: Flask
) -> None:
    """Derived from the views' @limit decorators, and the notify endpoint's own limit."""
    served = document(client)
    limited = set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/") and limit_of(app.view_functions[rule.endpoint]):
            limited.add(re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule.rule))
    assert limited == {
        "/api/v1/contributions",
        "/api/v1/contributions/{contribution_id}/support",
        "/api/v1/contributions/{contribution_id}/comments",
    }

    for path in (*limited, "/api/v1/board/notify"):
        answer = served["paths"][path]["post"]["responses"]["429"]
        assert answer["headers"]["Retry-After"]["required"] is True, path
    # Every write to the API can be refused as a cross-site request (hub/csrf.py).
    for path, item in served["paths"].items():
        if "post" in item:
            assert "403" in item["post"]["responses"], path


def test_the_raise_body_is_described_from_the_validating_schema(client: FlaskClient) -> None:
    served = document(client)
    operation = served["paths"]["/api/v1/contributions"]["post"]
    schemas = served["components"]["schemas"]

    body = operation["requestBody"]["content"]["application/json"]["schema"]
    assert body == {"$ref": "#/components/schemas/ContributionRequest"}
    request = schemas["ContributionRequest"]
    assert set(request["required"]) == {"kind", "title", "body", "theme"}
    assert set(request["properties"]) == {
        "kind", "title", "body", "theme", "ward", "about_you", "quote_consent",
    }  # fmt: skip
    assert request["additionalProperties"] is False  # an unknown field is a 400
    assert request["properties"]["kind"]["enum"] == ["idea", "concern", "question", "experience"]
    about_you = schemas["AboutYou"]
    assert set(about_you["properties"]) == set(ABOUT_YOU)
    assert "prefer-not-to-say" in about_you["properties"]["age_band"]["enum"]
    assert "not-stated" not in about_you["properties"]["age_band"]["enum"]
    assert set(operation["responses"]) == {"201", "400", "403", "413", "415", "429"}
    assert operation["responses"]["201"]["headers"]["Location"]["required"] is True


def test_query_parameters_come_from_the_schema_that_validates_them(client: FlaskClient) -> None:
    served = document(client)
    operation = served["paths"]["/api/v1/contributions"]["get"]
    parameters = {parameter["name"]: parameter for parameter in operation["parameters"]}

    assert set(parameters) == {"q", "theme", "kind", "stage", "limit", "offset"}
    assert all(p["in"] == "query" and not p["required"] for p in parameters.values())
    assert parameters["limit"]["schema"]["minimum"] == 1
    assert parameters["limit"]["schema"]["maximum"] == 100
    assert parameters["q"]["schema"]["maxLength"] == 200
    assert "change-made" in parameters["stage"]["schema"]["enum"]
    item = served["paths"]["/api/v1/contributions/{contribution_id}"]["get"]
    (identifier,) = item["parameters"]
    assert identifier["in"] == "path" and identifier["schema"]["maximum"] == MAX_ID


def test_the_session_cookie_is_described_as_optional_identity(app: Flask) -> None:
    app.config["SESSION_COOKIE_NAME"] = "leeds_hub"
    served = document(app.test_client())

    scheme = served["components"]["securitySchemes"]["participant"]
    assert scheme == {**scheme, "type": "apiKey", "in": "cookie", "name": "leeds_hub"}
    assert "participant id" in scheme["description"]
    paths = served["paths"]
    for method, path in [
        ("post", "/api/v1/contributions"),
        ("get", "/api/v1/contributions/{contribution_id}"),
        ("post", "/api/v1/contributions/{contribution_id}/support"),
        ("post", "/api/v1/contributions/{contribution_id}/comments"),
    ]:
        assert paths[path][method]["security"] == [{}, {"participant": []}], (method, path)
    assert "security" not in paths["/api/v1/board/notify"]["post"]
    support = paths["/api/v1/contributions/{contribution_id}/support"]["post"]
    assert set(support["responses"]) == {"201", "403", "404", "409", "429"}


def test_the_document_is_built_without_an_app() -> None:
    """Pure data: tools can generate it from the code alone."""
    spec = build_spec()
    assert spec["info"]["title"] == "hubnet hub"
    assert spec["components"]["securitySchemes"]["participant"]["name"] == "hub_session"
