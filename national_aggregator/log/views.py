"""Public, read-only views of the transparency log."""

from __future__ import annotations

from flask import Blueprint, Response

from hubnet.db import get_session
from national_aggregator.log import log_signer
from national_aggregator.log.services import latest_checkpoint

blueprint = Blueprint("log", __name__)


@blueprint.get("/api/v1/log/checkpoint")
def checkpoint() -> Response:
    """The newest signed checkpoint: origin, size, base64 root, key id, signature."""
    return Response(latest_checkpoint(get_session(), log_signer()), mimetype="application/json")
