"""Every staff route, for someone not signed in and for every role.

Not signed in: pages send you to sign in (and back); forms are refused the
same way. Signed in without the role: a 403 page. `test_every_staff_route_is_in_the_table`
fails when a route is added to the staff or quotes blueprints without a row here.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask, url_for
from flask.testing import FlaskClient
from sqlalchemy.orm import Session
from werkzeug.routing import IntegerConverter

from hub.quotes.services import propose
from tests.hub.conftest import person, raise_item
from tests.hub.staff_helpers import ROLES, form, staff_client

# endpoint → (method, path, roles allowed besides admin; None = any signed-in staff)
ROUTES: dict[str, tuple[str, str, tuple[str, ...] | None]] = {
    "staff.home": ("GET", "/staff/", None),
    "staff.actions": ("GET", "/staff/actions", ()),
    "quotes.index": ("GET", "/staff/quotes", ("moderator",)),
    "quotes.review": ("GET", "/staff/quotes/{quote}", ("moderator",)),
    "quotes.propose_submit": ("POST", "/staff/quotes/propose", ("moderator",)),
    "quotes.edit_submit": ("POST", "/staff/quotes/{quote}/edit", ("moderator",)),
    "quotes.approve_submit": ("POST", "/staff/quotes/{quote}/approve", ("moderator",)),
    "quotes.reject_submit": ("POST", "/staff/quotes/{quote}/reject", ("moderator",)),
    "quotes.withdraw_submit": ("POST", "/staff/quotes/{quote}/withdraw", ("moderator",)),
}
PUBLIC = {"staff.login", "staff.login_submit", "staff.logout"}


@pytest.fixture
def quote_id(db: Session) -> int:
    contribution = raise_item(db, person(db))
    contribution.quote_consent = True
    quote = propose(db, contribution)
    db.commit()
    return quote.id


def test_every_staff_route_is_in_the_table(app: Flask) -> None:
    endpoints = {
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith(("staff.", "quotes."))
    }
    assert endpoints == set(ROUTES) | PUBLIC


def test_every_page_under_staff_sends_anonymous_people_to_sign_in(
    app: Flask, client: FlaskClient, quote_id: int
) -> None:
    """Covers pages other features add under /staff/ too, not only the table above."""
    checked = 0
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/staff") or rule.endpoint in PUBLIC:
            continue
        if "GET" not in (rule.methods or ()):
            continue
        samples = {
            name: quote_id if isinstance(converter, IntegerConverter) else "2026-10"
            for name, converter in rule._converters.items()
        }
        with app.test_request_context():
            path = url_for(rule.endpoint, **samples)
        response = client.get(path)
        assert response.status_code == 302, path
        assert response.headers["Location"].startswith("/staff/login?next="), path
        checked += 1
    assert checked >= 4


def _call(client: FlaskClient, endpoint: str, quote_id: int) -> tuple[str, int, str]:
    method, path, _roles = ROUTES[endpoint]
    path = path.format(quote=quote_id)
    if method == "GET":
        response = client.get(path)
    else:
        data = form(client, contribution_id=0, text="Some words to quote.", revision=1)
        response = client.post(path, data=data)
    return path, response.status_code, response.headers.get("Location", "")


@pytest.mark.parametrize("endpoint", sorted(ROUTES))
def test_anonymous_requests_go_to_sign_in(
    client: FlaskClient, quote_id: int, endpoint: str
) -> None:
    path, status, location = _call(client, endpoint, quote_id)

    assert status == 302
    parts = urlsplit(location)
    assert parts.path == "/staff/login"
    if ROUTES[endpoint][0] == "GET":
        assert parse_qs(parts.query)["next"] == [path]


@pytest.mark.parametrize("role", ROLES)
def test_each_role_reaches_only_its_routes(
    app: Flask, db: Session, quote_id: int, role: str
) -> None:
    client, _staff = staff_client(app, db, role)

    for endpoint in sorted(ROUTES):
        method, path, allowed = ROUTES[endpoint]
        may = allowed is None or role == "admin" or role in allowed

        _path, status, location = _call(client, endpoint, quote_id)

        if may:
            assert status not in (401, 403), endpoint
            assert not location.startswith("/staff/login"), endpoint
        else:
            assert status == 403, endpoint
            if method == "GET":
                response = client.get(path.format(quote=quote_id))
                assert "You cannot use this page" in response.get_data(as_text=True)
                assert response.headers["Cache-Control"] == "no-store"


# staff page → (link text in the staff navigation, roles allowed besides admin)
LINKS = {
    "/staff/quotes": ("Quotes", ("moderator",)),
    "/staff/releases": ("Release preview", ()),
    "/staff/actions": ("Staff activity log", ()),
}


@pytest.mark.parametrize("role", ROLES)
def test_the_staff_home_and_navigation_link_to_exactly_the_pages_the_role_may_use(
    app: Flask, db: Session, role: str
) -> None:
    client, _staff = staff_client(app, db, role)

    page = client.get("/staff/").get_data(as_text=True)

    nav, _, home = page[page.index('<nav class="staff-bar"') :].partition("</nav>")
    for path, (text, allowed) in LINKS.items():
        may = role == "admin" or role in allowed
        assert (f'<a href="{path}">{text}</a>' in nav) is may, (path, "navigation")
        assert (f'href="{path}"' in home) is may, (path, "staff home")
