"""The themes a person can choose from, as JSON."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify

from hub.themes.schemas import theme_json
from hub.themes.services import list_themes
from hubnet.db import get_session

api = Blueprint("themes_api", __name__, url_prefix="/api/v1")


@api.get("/themes")
def api_themes() -> Response:
    """Every local theme with the national theme it counts under."""
    return jsonify(items=[theme_json(theme) for theme in list_themes(get_session())])
