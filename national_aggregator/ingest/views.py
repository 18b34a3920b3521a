"""Where hubs send signed statements, fetch fresh receipts, and resynchronise their chain."""

from __future__ import annotations

import re

from flask import Blueprint, Response, current_app, request
from marshmallow import ValidationError
from sqlalchemy.exc import IntegrityError
from werkzeug.exceptions import RequestEntityTooLarge

from federation.canonical import canonical_json
from federation.envelope import MAX_ENVELOPE_BYTES
from federation.errors import PayloadTooLarge, SequenceConflict
from federation.statement import GSS_CODE
from hubnet.db import get_session
from hubnet.problems import validation_problem
from national_aggregator.db import utcnow
from national_aggregator.ingest.schemas import HubStatementsQuerySchema
from national_aggregator.ingest.services import (
    ConflictingStatement,
    HubNotFound,
    SubmissionNotFound,
    accept_statement,
    fresh_receipt,
    hub_statements,
    keep_equivocation_evidence,
    next_seq,
    verify_submission,
)
from national_aggregator.log import log_signer

blueprint = Blueprint("ingest", __name__)

UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


@blueprint.post("/api/v1/submissions")
def submit() -> Response:
    """Verify, store and log a hub's envelope; answer with a receipt or a problem (§3's table)."""
    raw = _read_envelope()
    session = get_session()
    now = utcnow()
    verified = verify_submission(
        session, raw, audience=current_app.config["AGGREGATOR_ID"], now=now
    )
    statement = verified.statement
    try:
        receipt = accept_statement(session, verified, raw, signer=log_signer(), now=now)
        session.commit()
    except ConflictingStatement as conflict:
        session.rollback()
        keep_equivocation_evidence(session, conflict, raw, now)
        try:
            session.commit()
        except IntegrityError:  # a concurrent request stored the same evidence first
            session.rollback()
        raise
    except IntegrityError as exc:
        # The log lock makes this unreachable in normal running; the unique
        # constraints are the backstop if two requests ever slip past it.
        session.rollback()
        raise SequenceConflict(
            f"another statement from hub {statement.hub_id} was stored at the same moment; "
            "nothing was stored from this one",
            field="seq",
            expected_seq=next_seq(session, statement.hub_id),
        ) from exc
    return Response(
        receipt.body, status=201 if receipt.created else 200, mimetype="application/json"
    )


def _read_envelope() -> bytes:
    try:
        return request.get_data(cache=False)
    except RequestEntityTooLarge as exc:
        raise PayloadTooLarge(
            f"the envelope is larger than the limit of {MAX_ENVELOPE_BYTES:,} bytes"
        ) from exc


@blueprint.get("/api/v1/submissions/<submission_id>/receipt")
def receipt(submission_id: str) -> Response:
    """A fresh receipt: the latest checkpoint, an inclusion proof at its size, its cosignatures."""
    if not UUID.fullmatch(submission_id):
        raise SubmissionNotFound(
            "a submission_id is a lower-case UUID; no statement has this one",
            field="submission_id",
        )
    return Response(fresh_receipt(get_session(), submission_id), mimetype="application/json")


@blueprint.get("/api/v1/hubs/<gss>/statements")
def statements(gss: str) -> Response:
    """The hub's accepted statements after `after_seq`, in seq order, as the exact envelopes."""
    try:
        query = HubStatementsQuerySchema().load(request.args)
    except ValidationError as exc:
        return validation_problem(exc.messages_dict)
    if not GSS_CODE.fullmatch(gss):
        raise HubNotFound(f"{gss!r} is not a GSS code, so no hub is registered as it", field="gss")
    document = hub_statements(
        get_session(), gss, after_seq=query["after_seq"], limit=query["limit"]
    )
    return Response(canonical_json(document), mimetype="application/json")
