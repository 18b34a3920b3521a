"""Pieces both apps' OpenAPI documents share: the RFC 9457 problem schema and small builders.

The hub (`hub.openapi`) and the national aggregator
(`national_aggregator.openapi`) each describe their own `/api/v1` in an
OpenAPI 3.0.3 document generated with apispec from marshmallow schemas. Every
API error of either app is a problem document made by `hubnet.problems`;
`ProblemSchema` describes it once, for both.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from typing import Any

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from marshmallow import INCLUDE, Schema, fields

JSON = "application/json"
PROBLEM_JSON = "application/problem+json"
OPENAPI_VERSION = "3.0.3"


class FieldErrorSchema(Schema):
    field = fields.String(required=True, metadata={"description": "e.g. body.themes[3].people"})
    reason = fields.String(required=True)


class ProblemSchema(Schema):
    """A problem document; some carry more members (`expected_seq`, `retry_after` …)."""

    class Meta:
        unknown = INCLUDE

    type = fields.String(required=True, metadata={"description": "urn:hubnet:problem:<slug>"})
    title = fields.String(required=True)
    status = fields.Integer(required=True)
    detail = fields.String(required=True)
    instance = fields.String(required=True, metadata={"description": "the request path"})
    errors = fields.List(fields.Nested(FieldErrorSchema))


RETRY_AFTER = {
    "Retry-After": {
        "description": "seconds to wait",
        "required": True,
        "schema": {"type": "integer", "minimum": 1},
    }
}


def ok(schema: Any, description: str, **extra: Any) -> dict[str, Any]:
    """A JSON success answer with `schema` (a marshmallow schema, its name, or a dict)."""
    return {"description": description, "content": {JSON: {"schema": schema}}, **extra}


def problem(description: str, **extra: Any) -> dict[str, Any]:
    """An error answer: problem JSON (`hubnet.problems`)."""
    return {"description": description, "content": {PROBLEM_JSON: {"schema": "Problem"}}, **extra}


def path_parameter(name: str, description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"in": "path", "name": name, "required": True, "description": description,
            "schema": schema}  # fmt: skip


def query(schema: type[Schema]) -> list[dict[str, Any]]:
    """The query parameters a marshmallow schema validates, one per field."""
    return [{"in": "query", "schema": schema}]


def hubnet_version() -> str:
    try:
        return version("hubnet")
    except PackageNotFoundError:  # running from a source tree without installing
        return "0"


def new_spec(title: str, description: str) -> tuple[APISpec, MarshmallowPlugin]:
    """An empty OpenAPI 3.0.3 document with the `Problem` component, and its plugin."""
    plugin = MarshmallowPlugin()
    spec = APISpec(
        title=title,
        version=hubnet_version(),
        openapi_version=OPENAPI_VERSION,
        plugins=[plugin],
        info={"description": description, "license": {"name": "MIT"}},
    )
    spec.components.schema("Problem", schema=ProblemSchema)
    return spec, plugin
