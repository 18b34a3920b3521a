"""RFC 9457 problem details, as every API error answers (`hubnet.problems`).

The schemas are shared with the hub's OpenAPI document (`hubnet.openapi`).
"""

from __future__ import annotations

from hubnet.openapi import FieldErrorSchema, ProblemSchema

__all__ = ["FieldErrorSchema", "ProblemSchema"]
