"""RFC 9457 problem details for every API error.

`problem()` builds an `application/problem+json` response; `register_api_errors`
makes every error under an API prefix (404, 405, 413, 500, and any
`federation.errors.ProtocolError`) answer as a problem document naming the
field and the reason, never as an HTML page.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from flask import Flask, Response, json, request
from werkzeug.exceptions import HTTPException

from federation.errors import ProtocolError

PROBLEM_TYPE_BASE = "urn:hubnet:problem:"
log = logging.getLogger(__name__)


def problem(
    status: int,
    slug: str,
    title: str,
    detail: str,
    *,
    errors: list[Mapping[str, Any]] | None = None,
    **extra: Any,
) -> Response:
    """An RFC 9457 response. `errors` lists `{"field": …, "reason": …}` pairs."""
    document: dict[str, Any] = {
        "type": PROBLEM_TYPE_BASE + slug,
        "title": title,
        "status": status,
        "detail": detail,
        "instance": request.path,
    }
    if errors:
        document["errors"] = [dict(error) for error in errors]
    document.update(extra)
    response = Response(json.dumps(document), status=status, mimetype="application/problem+json")
    return response


def validation_problem(errors: Mapping[str, Any], *, detail: str | None = None) -> Response:
    """A 400 problem from a marshmallow error dict (field → messages)."""
    listed = [
        {"field": field, "reason": "; ".join(_flatten(messages))}
        for field, messages in errors.items()
    ]
    summary = detail or "; ".join(f"{e['field']}: {e['reason']}" for e in listed)
    return problem(400, "validation-error", "The request is not valid", summary, errors=listed)


def _flatten(messages: Any) -> list[str]:
    if isinstance(messages, str):
        return [messages]
    if isinstance(messages, Mapping):
        return [f"{key}: {text}" for key, value in messages.items() for text in _flatten(value)]
    if isinstance(messages, list | tuple):
        return [text for item in messages for text in _flatten(item)]
    return [str(messages)]


def protocol_problem(error: ProtocolError) -> Response:
    """The problem document for a refused envelope or statement."""
    errors = [{"field": error.field, "reason": error.detail}] if error.field else None
    return problem(
        error.status, error.slug, error.title, error.detail, errors=errors, **error.extra
    )


def register_api_errors(app: Flask, prefix: str = "/api/") -> None:
    """Answer errors under `prefix` as problem JSON; leave HTML pages to their own handlers."""

    @app.errorhandler(ProtocolError)
    def _protocol(error: ProtocolError) -> Response:
        return protocol_problem(error)

    @app.errorhandler(HTTPException)
    def _http(error: HTTPException) -> Any:
        if not request.path.startswith(prefix):
            return error
        slug = (error.name or "error").lower().replace(" ", "-")
        return problem(error.code or 500, slug, error.name, error.description or error.name)

    @app.errorhandler(Exception)
    def _unexpected(error: Exception) -> Any:
        if isinstance(error, HTTPException):
            return _http(error)
        log.exception("unhandled error on %s %s", request.method, request.path)
        if not request.path.startswith(prefix):
            return Response(
                "Something went wrong on our side. Please try again in a few minutes.",
                status=500,
                mimetype="text/plain",
            )
        return problem(
            500,
            "internal-error",
            "Internal server error",
            "The server failed while handling this request; nothing was stored. Try again later.",
        )
