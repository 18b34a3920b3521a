"""The frame of every page: branding, navigation, the staff bar, and the accessibility statement.

`base.html` asks this module what to show: the hub's name, the organisation that runs it and
its logo (settings `HUB_NAME`, `HUB_ORGANISATION`, `HUB_LOGO`, `HUB_CONTACT_EMAIL`), the main
navigation and, while a member of staff is signed in, the staff pages their role reaches. A
link is only shown for an endpoint the app has (`has_endpoint`), so a page that is not built
yet never breaks the others. The NHS logo is off unless `HUB_NHS_LOGO` is true: a council is
not an NHS organisation, and the NHS identity guidelines keep the logo for those that are.

`/accessibility` is the accessibility statement the Public Sector Bodies Accessibility
Regulations 2018 require, in the GOV.UK model's order, filled in from the settings.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Blueprint, Flask, abort, current_app, render_template, request, send_file, url_for
from werkzeug.wrappers import Response

from hubnet.config import instance_file

pages = Blueprint("pages", __name__)

NHSUK_VERSION_FILE = Path(__file__).parent / "static" / "nhsuk" / "VERSION"
LOGO_TYPES = {
    ".png": "image/png",
    ".svg": "image/svg+xml",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
}


@dataclass(frozen=True)
class NavLink:
    """A link in a navigation bar; `current` marks the page the visitor is on."""

    text: str
    href: str
    current: bool


# The main navigation: (text, endpoints in order of preference, prefixes of the endpoints
# it is the current page for).
# "Raise something" is `gather.raise_start` (the question pages) or, before those, `raise_form`.
MAIN_NAV: list[tuple[str, tuple[str, ...], tuple[str, ...]]] = [
    ("Home", ("gather.home",), ("gather.home",)),
    ("Raise something", ("gather.raise_start", "gather.raise_form"), ("gather.raise",)),
    ("What people have raised", ("gather.contributions_page",), ("gather.contribution",)),
    ("Values", ("gather.values_page",), ("gather.values_page",)),
    ("Take part", ("discover_public.take_part",),
     ("discover_public.", "panels_public.", "assembly_public.")),
    ("You said, we did", ("routing_public.you_said_we_did",),
     ("routing_public.", "stocktake_public.")),
    ("What the board said", ("board.board_page",), ("board.",)),
    ("Your part", ("residents.your_part",), ("residents.",)),
]  # fmt: skip

# The staff bar: (text, endpoint, roles that may use it; none: every role). Staff pages that
# are not listed here are still reachable from the staff home page.
STAFF_NAV: list[tuple[str, str, tuple[str, ...]]] = [
    ("Staff home", "staff.home", ()),
    ("Moderation", "moderation.queue", ("moderator",)),
    ("Escalations", "moderation.escalations_page", ("moderator",)),
    ("Status updates", "moderation.updates", ("moderator", "responder")),
    ("Assisted digital", "moderation.assisted", ("moderator", "facilitator")),
    ("Routing", "routing.triage_list", ("moderator",)),
    ("Responses", "routing.responses", ("responder",)),
    ("Hidden voices", "voices.hidden_voices", ("moderator", "facilitator")),
    ("Discover", "discover.index", ("moderator", "facilitator")),
    ("Citizens' panels", "panels.index", ("facilitator",)),
    ("Jury and Assembly", "assembly.index", ("moderator", "facilitator")),
    ("Stocktake", "stocktake.index", ("moderator", "facilitator", "responder")),
    ("Quotes", "quotes.index", ("moderator",)),
    ("Release preview", "releases.index", ("admin",)),
    ("Themes", "themes.staff_index", ("admin",)),
    ("Users", "staff.users", ("admin",)),
    ("Staff activity log", "staff.actions", ("admin",)),
    ("Your account", "staff.account", ()),
]


def has_endpoint(name: str) -> bool:
    """True if the app has a view called `name` (templates link only to pages that exist)."""
    return name in current_app.view_functions


def first_endpoint(*names: str) -> str | None:
    """The first of `names` the app has."""
    return next((name for name in names if has_endpoint(name)), None)


def raise_endpoint() -> str:
    """The endpoint where a resident starts raising something."""
    return first_endpoint("gather.raise_start", "gather.raise_form") or "gather.home"


def main_nav() -> list[NavLink]:
    """The header's navigation, without the pages this hub does not have (yet)."""
    here = request.endpoint or ""
    links = []
    for text, endpoints, current_for in MAIN_NAV:
        endpoint = first_endpoint(*endpoints)
        if endpoint is None:
            continue
        current = any(here.startswith(prefix) for prefix in current_for)
        links.append(NavLink(text, url_for(endpoint), current))
    return links


def staff_nav(staff: Any) -> list[NavLink]:
    """The staff pages this member of staff's role reaches."""
    here = request.endpoint or ""
    return [
        NavLink(text, url_for(endpoint), here == endpoint)
        for text, endpoint, roles in STAFF_NAV
        if has_endpoint(endpoint) and staff.may(*roles)
    ]


def nhsuk_version() -> str:
    """The vendored NHS.UK frontend's version, for cache-busting its URLs."""
    try:
        first = NHSUK_VERSION_FILE.read_text(encoding="utf-8").splitlines()[0]
    except (OSError, IndexError):
        return "unknown"
    return first.rpartition(" ")[2]


def _logo_path(app: Flask) -> Path | None:
    name = app.config.get("HUB_LOGO")
    if not name:
        return None
    path = instance_file(app, str(name))
    return path if path.suffix.lower() in LOGO_TYPES and path.is_file() else None


@pages.get("/accessibility")
def accessibility() -> str:
    """The accessibility statement."""
    return render_template("accessibility.html")


@pages.get("/branding/logo")
def logo() -> Response:
    """The organisation's logo from the instance folder (HUB_LOGO)."""
    path = _logo_path(current_app)
    if path is None:
        abort(404)
    return send_file(path, mimetype=LOGO_TYPES[path.suffix.lower()], max_age=3600)


def init_app(app: Flask) -> None:
    """Register the pages and the helpers every template may use."""
    app.register_blueprint(pages)
    version = nhsuk_version()
    app.jinja_env.globals.update(
        has_endpoint=has_endpoint,
        raise_endpoint=raise_endpoint,
        main_nav=main_nav,
        staff_nav=staff_nav,
    )

    @app.context_processor
    def _branding() -> dict[str, Any]:
        config = app.config
        return {
            "hub_organisation": config.get("HUB_ORGANISATION") or None,
            "hub_contact_email": config.get("HUB_CONTACT_EMAIL") or None,
            "hub_logo_url": url_for("pages.logo") if _logo_path(app) else None,
            "hub_nhs_logo": config.get("HUB_NHS_LOGO") is True,
            "nhsuk_version": version,
        }
