"""The transparency log's public endpoints: checkpoints, proofs, entries, witness cosignatures."""

from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, Response, request
from marshmallow import Schema, ValidationError
from sqlalchemy.exc import IntegrityError

from federation.canonical import canonical_json, parse_json
from federation.errors import SchemaViolation, first_error
from hubnet.db import get_session
from hubnet.problems import validation_problem
from national_aggregator.db import utcnow
from national_aggregator.log import log_signer
from national_aggregator.log.schemas import (
    ConsistencyQuerySchema,
    CosignatureRequestSchema,
    EntriesQuerySchema,
    InclusionQuerySchema,
)
from national_aggregator.log.services import (
    CheckpointNotFound,
    CosignatureRequest,
    add_cosignature,
    checkpoint_json,
    consistency_proof_json,
    entries_json,
    inclusion_proof_json,
    latest_checkpoint,
    log_size,
)
from national_aggregator.registry.services import trusted_key_lookup

blueprint = Blueprint("log", __name__)

DIGITS = re.compile(r"[0-9]+")


def _json(document: dict[str, Any], status: int = 200) -> Response:
    return Response(canonical_json(document), status=status, mimetype="application/json")


def _query(schema: Schema) -> dict[str, Any] | Response:
    try:
        loaded: dict[str, Any] = schema.load(request.args)
    except ValidationError as exc:
        return validation_problem(exc.messages_dict)
    return loaded


@blueprint.get("/api/v1/log/checkpoint")
def checkpoint() -> Response:
    """The newest signed checkpoint: origin, size, base64 root, key id, signature, cosignatures."""
    return Response(latest_checkpoint(get_session(), log_signer()), mimetype="application/json")


@blueprint.get("/api/v1/log/checkpoints/<size>")
def checkpoint_of_size(size: str) -> Response:
    """The signed checkpoint of one size, with its cosignatures."""
    if not DIGITS.fullmatch(size):
        return validation_problem({"size": ["must be a whole number from 0"]})
    session = get_session()
    # A size with more digits than any log could reach is simply not issued (and int() of
    # thousands of digits is refused by Python).
    issued = len(size) <= 16 and int(size) <= log_size(session)
    document = checkpoint_json(session, int(size), log_signer()) if issued else None
    if document is None:
        raise CheckpointNotFound(f"this log has issued no checkpoint of size {size}", field="size")
    return _json(document)


@blueprint.get("/api/v1/log/proof/inclusion")
def inclusion() -> Response:
    """An RFC 9162 inclusion proof of one leaf in a tree of a given size."""
    query = _query(InclusionQuerySchema())
    if isinstance(query, Response):
        return query
    return _json(inclusion_proof_json(get_session(), query["leaf_index"], query["tree_size"]))


@blueprint.get("/api/v1/log/proof/consistency")
def consistency() -> Response:
    """An RFC 9162 consistency proof between two tree sizes."""
    query = _query(ConsistencyQuerySchema())
    if isinstance(query, Response):
        return query
    return _json(consistency_proof_json(get_session(), query["first"], query["second"]))


@blueprint.get("/api/v1/log/entries")
def entries() -> Response:
    """Entries [start, end) as the exact envelope bytes, base64: anyone can rebuild the tree."""
    query = _query(EntriesQuerySchema())
    if isinstance(query, Response):
        return query
    return _json(entries_json(get_session(), query["start"], query["end"]))


@blueprint.post("/api/v1/log/cosignatures")
def cosign() -> Response:
    """A witness's cosignature of a checkpoint: 201 kept, 200 already kept, or a problem."""
    body = parse_json(request.get_data(cache=False))
    if not isinstance(body, dict):
        raise SchemaViolation("the body must be a JSON object", field="body")
    try:
        cosignature = CosignatureRequest(**CosignatureRequestSchema().load(body))
    except ValidationError as exc:
        field, message = first_error(exc.messages_dict)
        raise SchemaViolation(f"{field}: {message}", field=field, errors=exc.messages_dict) from exc
    session = get_session()
    now = utcnow()
    try:
        document, created = add_cosignature(
            session, cosignature, key_lookup=trusted_key_lookup(session), now=now
        )
        session.commit()
    except IntegrityError:  # the same witness key cosigned the same checkpoint at the same moment
        session.rollback()
        document, created = add_cosignature(
            session, cosignature, key_lookup=trusted_key_lookup(session), now=now
        )
    return _json(document, status=201 if created else 200)
