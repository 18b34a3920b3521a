"""`POST /api/v1/submissions`: where hubs send signed summaries."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, request
from sqlalchemy.exc import IntegrityError
from werkzeug.exceptions import RequestEntityTooLarge

from federation.envelope import MAX_ENVELOPE_BYTES
from federation.errors import PayloadTooLarge, SequenceConflict
from hubnet.db import get_session
from national_aggregator.db import utcnow
from national_aggregator.ingest.services import (
    ConflictingStatement,
    accept_statement,
    keep_equivocation_evidence,
    next_seq,
    verify_submission,
)
from national_aggregator.log import log_signer

blueprint = Blueprint("ingest", __name__)


@blueprint.post("/api/v1/submissions")
def submit() -> Response:
    """Verify, store and log a hub's envelope; answer with a receipt or a problem (§3's table)."""
    raw = _read_envelope()
    session = get_session()
    now = utcnow()
    statement = verify_submission(
        session, raw, audience=current_app.config["AGGREGATOR_ID"], now=now
    )
    try:
        receipt = accept_statement(session, statement, raw, signer=log_signer(), now=now)
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
