"""The home page, `GET /api/v1/about`, and the header's navigation."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, render_template, request, url_for

from hubnet.db import get_session
from national_aggregator.log import log_signer
from national_aggregator.log.services import log_overview

blueprint = Blueprint(
    "home", __name__, static_folder="static", static_url_path="/static/aggregator"
)
NAV_EXTENSION = "aggregator.nav"  # app.extensions key: (text, endpoint) links features add
# A link whose endpoint the app does not have (yet) is left out.
MAIN_NAV = (
    ("Home", "home.home"),
    ("National priorities", "priorities.priorities_page"),
    ("Hidden voices", "voices.hidden_voices_page"),
)


@dataclass(frozen=True)
class NavLink:
    text: str
    href: str
    current: bool


def main_nav() -> list[NavLink]:
    """The header's links; the current one is the link to the page's own section."""
    here = request.endpoint or ""
    entries = [
        (text, endpoint)
        for text, endpoint in (*MAIN_NAV, *current_app.extensions.get(NAV_EXTENSION, []))
        if endpoint in current_app.view_functions
    ]
    # a page with its own link marks only that link (/stocktake, not also "What the board said")
    exact = any(endpoint == here for _text, endpoint in entries)
    links = []
    for text, endpoint in entries:
        section = endpoint.partition(".")[0]
        in_section = section != "home" and here.startswith(section + ".")
        current = here == endpoint or (not exact and in_section)
        links.append(NavLink(text, url_for(endpoint), current))
    return links


def nav_context() -> dict[str, Any]:
    return {"main_nav": main_nav}


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
