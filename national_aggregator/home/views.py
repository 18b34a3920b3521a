"""The home page and `GET /api/v1/about`."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify, render_template

from hubnet.db import get_session
from national_aggregator.log import log_signer
from national_aggregator.log.services import log_overview

blueprint = Blueprint("home", __name__)


@blueprint.get("/")
def home() -> str:
    """What this service is, the state of its public log, and links to the priorities and API."""
    return render_template("home.html", log=log_overview(get_session(), log_signer()))


@blueprint.get("/api/v1/about")
def about() -> Response:
    """The aggregator id hubs address (`aud`) and the log key they pin."""
    signer = log_signer()
    return jsonify(
        {
            "id": current_app.config["AGGREGATOR_ID"],
            "log_origin": signer.origin,
            "log_keyid": signer.keyid,
            "log_public_key": signer.public_key_pem,
        }
    )
