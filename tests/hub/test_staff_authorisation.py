"""Every staff route, for someone not signed in and for every role.

Not signed in: pages send you to sign in (and back); forms are refused the
same way. Signed in without the role: a 403 page. `test_every_staff_route_is_in_the_table`
fails when a route is added under /staff (or to the staff, quotes, moderation or themes
blueprints) without a row here.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask, url_for
from flask.testing import FlaskClient
from sqlalchemy.orm import Session
from werkzeug.routing import IntegerConverter

from hub.gather.services import add_comment
from hub.quotes.services import propose
from hub.routing import services as routing
from hub.themes.services import find_theme
from tests.hub.conftest import person, raise_item
from tests.hub.staff_helpers import ROLES, form, make_staff, staff_client

# endpoint → (method, path, roles allowed besides admin; None = any signed-in staff).
# Paths name the sample they need: {quote}, {item}, {comment}, {staff}, {theme}, {routing}.
MODERATOR = ("moderator",)
UPDATERS = ("moderator", "responder")
ENTERERS = ("moderator", "facilitator")
RESPONDERS = ("responder",)
ROUTES: dict[str, tuple[str, str, tuple[str, ...] | None]] = {
    "staff.home": ("GET", "/staff/", None),
    "staff.actions": ("GET", "/staff/actions", ()),
    "staff.account": ("GET", "/staff/account", None),
    "staff.totp_start": ("POST", "/staff/account/totp/start", None),
    "staff.totp_confirm": ("POST", "/staff/account/totp/confirm", None),
    "staff.totp_disable": ("POST", "/staff/account/totp/disable", None),
    "staff.users": ("GET", "/staff/users", ()),
    "staff.user_new": ("GET", "/staff/users/new", ()),
    "staff.user_add": ("POST", "/staff/users/new", ()),
    "staff.user_page": ("GET", "/staff/users/{staff}", ()),
    "staff.user_role": ("POST", "/staff/users/{staff}/role", ()),
    "staff.user_disable": ("POST", "/staff/users/{staff}/disable", ()),
    "staff.user_enable": ("POST", "/staff/users/{staff}/enable", ()),
    "staff.user_totp_reset": ("POST", "/staff/users/{staff}/totp-reset", ()),
    "staff.user_password_link": ("POST", "/staff/users/{staff}/password-link", ()),
    "quotes.index": ("GET", "/staff/quotes", MODERATOR),
    "quotes.review": ("GET", "/staff/quotes/{quote}", MODERATOR),
    "quotes.propose_submit": ("POST", "/staff/quotes/propose", MODERATOR),
    "quotes.edit_submit": ("POST", "/staff/quotes/{quote}/edit", MODERATOR),
    "quotes.approve_submit": ("POST", "/staff/quotes/{quote}/approve", MODERATOR),
    "quotes.reject_submit": ("POST", "/staff/quotes/{quote}/reject", MODERATOR),
    "quotes.withdraw_submit": ("POST", "/staff/quotes/{quote}/withdraw", MODERATOR),
    "moderation.queue": ("GET", "/staff/moderation", MODERATOR),
    "moderation.item": ("GET", "/staff/moderation/items/{item}", MODERATOR),
    "moderation.item_publish": ("POST", "/staff/moderation/items/{item}/publish", MODERATOR),
    "moderation.item_reject": ("POST", "/staff/moderation/items/{item}/reject", MODERATOR),
    "moderation.item_edit": ("POST", "/staff/moderation/items/{item}/edit", MODERATOR),
    "moderation.item_restore": ("POST", "/staff/moderation/items/{item}/restore", MODERATOR),
    "moderation.item_remove": ("POST", "/staff/moderation/items/{item}/remove", MODERATOR),
    "moderation.item_criticality": (
        "POST",
        "/staff/moderation/items/{item}/criticality",
        MODERATOR,
    ),
    "moderation.item_escalate": ("POST", "/staff/moderation/items/{item}/escalate", MODERATOR),
    "moderation.item_close_escalation": (
        "POST",
        "/staff/moderation/items/{item}/close-escalation",
        MODERATOR,
    ),
    "moderation.comment": ("GET", "/staff/moderation/comments/{comment}", MODERATOR),
    "moderation.comment_publish": (
        "POST",
        "/staff/moderation/comments/{comment}/publish",
        MODERATOR,
    ),
    "moderation.comment_reject": (
        "POST",
        "/staff/moderation/comments/{comment}/reject",
        MODERATOR,
    ),
    "moderation.comment_edit": ("POST", "/staff/moderation/comments/{comment}/edit", MODERATOR),
    "moderation.comment_restore": (
        "POST",
        "/staff/moderation/comments/{comment}/restore",
        MODERATOR,
    ),
    "moderation.comment_remove": (
        "POST",
        "/staff/moderation/comments/{comment}/remove",
        MODERATOR,
    ),
    "moderation.escalations_page": ("GET", "/staff/escalations", MODERATOR),
    "moderation.updates": ("GET", "/staff/updates", UPDATERS),
    "moderation.update_page": ("GET", "/staff/updates/{item}", UPDATERS),
    "moderation.update_submit": ("POST", "/staff/updates/{item}", UPDATERS),
    "moderation.assisted": ("GET", "/staff/assisted", ENTERERS),
    "moderation.assisted_submit": ("POST", "/staff/assisted", ENTERERS),
    "releases.index": ("GET", "/staff/releases", ()),
    "releases.prepare": ("POST", "/staff/releases", ()),
    "themes.staff_index": ("GET", "/staff/themes", ()),
    "themes.add": ("POST", "/staff/themes", ()),
    "themes.edit": ("GET", "/staff/themes/{theme}", ()),
    "themes.update": ("POST", "/staff/themes/{theme}", ()),
    "themes.retire": ("POST", "/staff/themes/{theme}/retire", ()),
    "themes.restore": ("POST", "/staff/themes/{theme}/restore", ()),
    "voices.hidden_voices": ("GET", "/staff/hidden-voices", ("moderator", "facilitator")),
    "routing.triage_list": ("GET", "/staff/routing", MODERATOR),
    "routing.triage_page": ("GET", "/staff/routing/{item}", MODERATOR),
    "routing.triage_submit": ("POST", "/staff/routing/{item}", MODERATOR),
    "routing.organisations": ("GET", "/staff/organisations", MODERATOR),
    "routing.organisation_add": ("POST", "/staff/organisations", ()),
    "routing.organisation_link": ("POST", "/staff/organisations/link", ()),
    "routing.responses": ("GET", "/staff/responses", RESPONDERS),
    "routing.response_page": ("GET", "/staff/responses/{routing}", RESPONDERS),
    "routing.response_submit": ("POST", "/staff/responses/{routing}", RESPONDERS),
    "routing.change_submit": ("POST", "/staff/responses/{routing}/change", RESPONDERS),
}
# Reached without signing in: signing in and out, and a one-time set-password link.
PUBLIC = {
    "staff.login",
    "staff.login_submit",
    "staff.login_code",
    "staff.login_code_submit",
    "staff.logout",
    "staff.set_password",
    "staff.set_password_submit",
}
BLUEPRINTS = ("staff.", "quotes.", "moderation.", "themes.")


@pytest.fixture
def samples(db: Session) -> dict[str, int]:
    """One of each thing a staff path names: a quote, an item, a comment, a colleague, a theme,
    a routed item."""
    contribution = raise_item(db, person(db), publish=True)
    contribution.quote_consent = True
    quote = propose(db, contribution)
    comment = add_comment(db, contribution=contribution, participant=person(db), body="Me too.")
    colleague = make_staff(db, "colleague@example.org", "responder")
    theme = find_theme(db, "gp-access")
    assert theme is not None
    router = make_staff(db, "router@example.org", "moderator")
    organisation = routing.add_organisation(db, router, "Adult Social Care", "council-department")
    routed = routing.route(db, raise_item(db, person(db), publish=True), organisation, None, router)
    db.commit()
    return {
        "quote": quote.id,
        "item": contribution.id,
        "comment": comment.id,
        "staff": colleague.id,
        "theme": theme.id,
        "routing": routed.id,
    }


def test_every_staff_route_is_in_the_table(app: Flask) -> None:
    endpoints = {
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith(BLUEPRINTS) or rule.rule.startswith("/staff")
    }
    assert endpoints == set(ROUTES) | PUBLIC


def test_every_page_under_staff_sends_anonymous_people_to_sign_in(
    app: Flask, client: FlaskClient, samples: dict[str, int]
) -> None:
    """Covers pages other features add under /staff/ too, not only the table above."""
    checked = 0
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/staff") or rule.endpoint in PUBLIC:
            continue
        if "GET" not in (rule.methods or ()):
            continue
        values = {
            name: samples["item"] if isinstance(converter, IntegerConverter) else "2026-10"
            for name, converter in rule._converters.items()
        }
        with app.test_request_context():
            path = url_for(rule.endpoint, **values)
        response = client.get(path)
        assert response.status_code == 302, path
        assert response.headers["Location"].startswith("/staff/login?next="), path
        checked += 1
    assert checked >= 4


def _call(client: FlaskClient, endpoint: str, samples: dict[str, int]) -> tuple[str, int, str]:
    method, path, _roles = ROUTES[endpoint]
    path = path.format(**samples)
    if method == "GET":
        response = client.get(path)
    else:
        data = form(client, contribution_id=0, text="Some words to quote.", revision=1)
        response = client.post(path, data=data)
    return path, response.status_code, response.headers.get("Location", "")


@pytest.mark.parametrize("endpoint", sorted(ROUTES))
def test_anonymous_requests_go_to_sign_in(
    client: FlaskClient, samples: dict[str, int], endpoint: str
) -> None:
    path, status, location = _call(client, endpoint, samples)

    assert status == 302
    parts = urlsplit(location)
    assert parts.path == "/staff/login"
    if ROUTES[endpoint][0] == "GET":
        assert parse_qs(parts.query)["next"] == [path]


@pytest.mark.parametrize("role", ROLES)
def test_each_role_reaches_only_its_routes(
    app: Flask, db: Session, samples: dict[str, int], role: str
) -> None:
    client, _staff = staff_client(app, db, role)

    for endpoint in sorted(ROUTES):
        method, path, allowed = ROUTES[endpoint]
        may = allowed is None or role == "admin" or role in allowed

        _path, status, location = _call(client, endpoint, samples)

        if may:
            assert status not in (401, 403), endpoint
            assert not location.startswith("/staff/login"), endpoint
        else:
            assert status == 403, endpoint
            if method == "GET":
                response = client.get(path.format(**samples))
                assert "You cannot use this page" in response.get_data(as_text=True)
                assert response.headers["Cache-Control"] == "no-store"


# staff page → (link text in the staff navigation, roles allowed besides admin)
LINKS = {
    "/staff/moderation": ("Moderation", MODERATOR),
    "/staff/escalations": ("Escalations", MODERATOR),
    "/staff/updates": ("Status updates", UPDATERS),
    "/staff/assisted": ("Assisted digital", ENTERERS),
    "/staff/routing": ("Routing", MODERATOR),
    "/staff/responses": ("Responses", RESPONDERS),
    "/staff/hidden-voices": ("Hidden voices", ("moderator", "facilitator")),
    "/staff/quotes": ("Quotes", MODERATOR),
    "/staff/releases": ("Release preview", ()),
    "/staff/themes": ("Themes", ()),
    "/staff/users": ("Users", ()),
    "/staff/actions": ("Staff activity log", ()),
    "/staff/account": ("Your account", ("moderator", "facilitator", "responder")),
}


@pytest.mark.parametrize("role", ROLES)
def test_the_staff_home_and_navigation_link_to_exactly_the_pages_the_role_may_use(
    app: Flask, db: Session, role: str
) -> None:
    client, _staff = staff_client(app, db, role)

    page = client.get("/staff/").get_data(as_text=True)

    nav, _, home = page[page.index('<nav class="hub-staff-bar__nav"') :].partition("</nav>")
    for path, (text, allowed) in LINKS.items():
        may = role == "admin" or role in allowed
        assert (f'<a href="{path}">{text}</a>' in nav) is may, (path, "navigation")
        assert (f'href="{path}"' in home) is may, (path, "staff home")
