"""The home page, the page frame every aggregator page shares, and the aggregator's identity.

The pages use the NHS.UK frontend the hub vendors (hub/static/nhsuk/, one
copy in the repository): the `nhsuk` blueprint serves that folder at
/static/nhsuk/, and this package's own few styles are at /static/aggregator/.
No page has inline script or style.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from flask import Blueprint, Flask

from national_aggregator.home.views import NAV_EXTENSION, blueprint, nav_context


def nhsuk_folder() -> Path:
    """hub/static/nhsuk, found without importing the hub app (a sibling top-level package)."""
    spec = importlib.util.find_spec("hub")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the hub package (which vendors the NHS.UK frontend) is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "static" / "nhsuk"


def nhsuk_version(folder: Path) -> str:
    """The vendored NHS.UK frontend's version, for cache-busting its URLs."""
    try:
        first = (folder / "VERSION").read_text(encoding="utf-8").splitlines()[0]
    except (OSError, IndexError):
        return "unknown"
    return first.rpartition(" ")[2]


def add_nav_link(app: Flask, text: str, endpoint: str) -> None:
    """Add a link to the header's navigation, after Home and National priorities.

    A feature calls this from its own `init_app` (e.g. "Hidden voices").
    """
    app.extensions.setdefault(NAV_EXTENSION, []).append((text, endpoint))


def init_app(app: Flask) -> None:
    folder = nhsuk_folder()
    assets = Blueprint(
        "nhsuk", __name__, static_folder=str(folder), static_url_path="/static/nhsuk"
    )
    app.register_blueprint(assets)
    app.register_blueprint(blueprint)
    app.extensions.setdefault(NAV_EXTENSION, [])
    version = nhsuk_version(folder)
    app.context_processor(lambda: {"nhsuk_version": version, **nav_context()})
