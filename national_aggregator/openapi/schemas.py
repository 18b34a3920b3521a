"""RFC 9457 problem details, as every API error answers (`hubnet.problems`)."""

from __future__ import annotations

from marshmallow import INCLUDE, Schema, fields


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
