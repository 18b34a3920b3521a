"""Security headers, cookie flags, rate limits and CSRF, as a browser or a script meets them.

The rate-limit mechanism is tested on small views added to the test app (so the
limits are exact and fast); `test_every_action_view_is_rate_limited` checks the
real views carry the right `@limit(...)`.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, Response, request
from flask.testing import FlaskClient
from sqlalchemy import func, inspect, select, table
from sqlalchemy.orm import Session
from werkzeug.routing import AnyConverter, IntegerConverter

from hub import create_app
from hub.csrf import is_signed_link
from hub.limits import NAMES, limit, limit_of
from hub.security import CONTENT_SECURITY_POLICY
from hubnet.db import get_session
from tests.hub.conftest import HUB_ID, person, raise_item
from tests.hub.staff_helpers import form, make_staff, staff_client, try_login

TEMPLATES = Path(__file__).parents[2] / "hub" / "templates"
EXPECTED_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'self'"
)


@pytest.fixture
def make_app(database_url: str, tmp_path: Path) -> Iterator[Callable[..., Flask]]:
    """Another app on the test database, with settings of the test's choosing."""
    made: list[Flask] = []

    def make(**config: Any) -> Flask:
        app = create_app(
            {
                "TESTING": True,
                "INSTANCE_PATH": str(tmp_path / "instance"),
                "DATABASE_URL": database_url,
                "SECRET_KEY": "test-secret",
                "HUB_ID": HUB_ID,
                **config,
            }
        )
        made.append(app)
        return app

    yield make
    for app in made:
        app.extensions["hubnet.engine"].dispose()


def _static_file(app: Flask) -> str:
    assert app.static_folder
    first = next(p for p in sorted(Path(app.static_folder).rglob("*")) if p.is_file())
    return "/static/" + first.relative_to(app.static_folder).as_posix()


# -- headers -------------------------------------------------------------------------


def test_the_content_security_policy_is_the_agreed_one() -> None:
    assert CONTENT_SECURITY_POLICY == EXPECTED_CSP
    assert "unsafe-inline" not in CONTENT_SECURITY_POLICY
    assert "unsafe-eval" not in CONTENT_SECURITY_POLICY


@pytest.mark.parametrize("kind", ["page", "api", "static", "not found", "api not found"])
def test_every_kind_of_response_carries_the_security_headers(
    app: Flask, client: FlaskClient, kind: str
) -> None:
    path = {
        "page": "/",
        "api": "/api/v1/themes",
        "static": _static_file(app),
        "not found": "/no-such-page",
        "api not found": "/api/v1/no-such-thing",
    }[kind]

    response = client.get(path)

    assert response.status_code in (200, 404)
    headers = response.headers
    assert headers["Content-Security-Policy"] == EXPECTED_CSP
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] in ("same-origin", "strict-origin-when-cross-origin")
    assert headers["Cross-Origin-Opener-Policy"] == "same-origin"
    assert "camera=()" in headers["Permissions-Policy"]
    assert "geolocation=()" in headers["Permissions-Policy"]
    assert "Strict-Transport-Security" not in headers  # plain http://


def test_hsts_only_over_https(client: FlaskClient) -> None:
    assert "Strict-Transport-Security" not in client.get("/").headers

    secure = client.get("/", base_url="https://hub.example.org")

    assert secure.headers["Strict-Transport-Security"].startswith("max-age=31536000")


def test_behind_a_proxy_the_forwarded_scheme_counts_only_when_the_proxy_is_trusted(
    make_app: Callable[..., Flask],
) -> None:
    forwarded = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"}

    untrusted = make_app().test_client().get("/", headers=forwarded)
    behind_nginx = make_app(PROXY_COUNT=1).test_client().get("/", headers=forwarded)

    assert "Strict-Transport-Security" not in untrusted.headers
    assert "Strict-Transport-Security" in behind_nginx.headers


def test_errors_under_api_are_problem_json_and_pages_are_html(client: FlaskClient) -> None:
    api_404 = client.get("/api/v1/no-such-thing")
    api_405 = client.delete("/api/v1/themes")
    page_404 = client.get("/no-such-page")
    page_405 = client.get("/staff/logout")  # a form's address opened as a page

    assert api_404.status_code == 404
    assert api_404.content_type == "application/problem+json"
    assert api_404.json is not None and api_404.json["status"] == 404
    assert api_405.status_code == 405
    assert api_405.content_type == "application/problem+json"
    assert "GET" in api_405.headers["Allow"]
    assert page_404.status_code == 404
    assert page_404.content_type.startswith("text/html")
    assert "<h1" in page_404.get_data(as_text=True)
    assert page_405.status_code == 405
    assert page_405.content_type.startswith("text/html")
    assert "POST" in page_405.headers["Allow"]
    assert "Nothing was saved" in page_405.get_data(as_text=True)


def test_a_crash_is_problem_json_under_api_and_keeps_the_headers(app: Flask) -> None:
    def crash() -> str:
        raise RuntimeError("boom")

    app.add_url_rule("/api/v1/crash", "api_crash", crash)
    app.add_url_rule("/crash", "crash", crash)
    client = app.test_client()

    api = client.get("/api/v1/crash")
    page = client.get("/crash")

    assert api.status_code == 500
    assert api.content_type == "application/problem+json"
    assert "boom" not in api.get_data(as_text=True)  # no internals leak
    assert page.status_code == 500
    assert "boom" not in page.get_data(as_text=True)
    for response in (api, page):
        assert response.headers["Content-Security-Policy"] == EXPECTED_CSP
        assert response.headers["X-Frame-Options"] == "DENY"


# Inline script, inline style and event-handler attributes: the CSP blocks them, so a
# template holding one is broken in every browser (and a sign of unsafe habits).
INLINE = [
    (re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I), "inline <script>"),
    (re.compile(r"<style[\s>]", re.I), "<style> element"),
    (re.compile(r"\sstyle\s*=", re.I), "style= attribute"),
    (re.compile(r"\son[a-z]+\s*=", re.I), "on…= event handler attribute"),
    (re.compile(r"javascript:", re.I), "javascript: URL"),
]


def test_no_template_holds_inline_script_or_style() -> None:
    found = []
    for template in sorted(TEMPLATES.rglob("*.html")):
        if "mail" in template.relative_to(TEMPLATES).parts[:1]:
            continue  # email bodies are not served as pages (mail clients want inline style)
        text = template.read_text()
        for pattern, what in INLINE:
            for match in pattern.finditer(text):
                line = text.count("\n", 0, match.start()) + 1
                found.append(f"{template.relative_to(TEMPLATES)}:{line}: {what}")
    assert not found, "\n".join(found)


# -- cookies --------------------------------------------------------------------------


def _session_cookie(response: Any) -> str:
    cookies = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("hub_session=")]
    assert cookies, "the response set the session cookie"
    return str(cookies[0])


def test_the_session_cookie_is_httponly_samesite_lax_and_secure_by_default(
    app: Flask, db: Session
) -> None:
    assert app.config["SESSION_COOKIE_SECURE"] is True  # nothing in the settings said otherwise
    make_staff(db, "ad@example.org", "admin")

    response = try_login(app.test_client(), "ad@example.org", "correct horse battery staple")

    cookie = _session_cookie(response)
    assert "; HttpOnly" in cookie
    assert "; SameSite=Lax" in cookie
    assert "; Secure" in cookie


def test_a_hub_served_over_http_can_turn_secure_off_and_is_warned_off_public_names(
    make_app: Callable[..., Flask], caplog: pytest.LogCaptureFixture
) -> None:
    app = make_app(SESSION_COOKIE_SECURE=False)
    client = app.test_client()

    with caplog.at_level(logging.WARNING, logger="hub.security"):
        local = client.get("/staff/login")
        assert not caplog.records
        client.get("/staff/login", base_url="http://hub.example.org")
        client.get("/staff/login", base_url="http://hub.example.org")

    cookie = _session_cookie(local)
    assert "; Secure" not in cookie
    assert "; HttpOnly" in cookie
    assert "; SameSite=Lax" in cookie
    warnings = [r.getMessage() for r in caplog.records]
    assert len(warnings) == 1  # once, not on every request
    assert "hub.example.org" in warnings[0]
    assert "SESSION_COOKIE_SECURE" in warnings[0]


def test_a_setting_that_is_not_true_or_false_is_refused(make_app: Callable[..., Flask]) -> None:
    with pytest.raises(RuntimeError, match="SESSION_COOKIE_SECURE"):
        make_app(SESSION_COOKIE_SECURE="yes")


# -- rate limits: the mechanism ------------------------------------------------------------


def _add_limited_views(app: Flask) -> None:
    """/t/<name> (a form) and /api/t/<name> for each limit; ?status= picks the answer."""

    def answer() -> Response:
        status = int(request.args.get("status", "201"))
        if status in (302, 303):
            return Response("", status=status, headers={"Location": "/"})
        return Response("done", status=status)

    for name in NAMES:
        page = limit(name)(lambda: answer())
        page.__name__ = page.__qualname__ = f"page_{name}"
        app.add_url_rule(f"/t/{name}", f"t_{name}", page, methods=["GET", "POST"])
        api = limit(name)(lambda: answer())
        api.__name__ = api.__qualname__ = f"api_{name}"
        app.add_url_rule(f"/api/t/{name}", f"api_t_{name}", api, methods=["POST"])


@pytest.fixture
def limited(app: Flask) -> Flask:
    _add_limited_views(app)
    for name in NAMES:
        app.config[f"RATE_LIMIT_{name.upper()}"] = "3 per hour"
    app.config["RATE_LIMIT_LOGIN_PER_EMAIL"] = "5 per hour"
    return app


def _post(client: FlaskClient, path: str, **data: Any) -> Any:
    if path.startswith("/api/"):
        return client.post(path, json=data)
    return client.post(path, data=form(client, **data))


def test_past_the_limit_a_page_answers_429_with_an_nhs_page(
    limited: Flask, client: FlaskClient
) -> None:
    statuses = [_post(client, "/t/comment").status_code for _ in range(3)]
    refused = _post(client, "/t/comment")

    assert statuses == [201, 201, 201]
    assert refused.status_code == 429
    assert refused.content_type.startswith("text/html")
    page = refused.get_data(as_text=True)
    assert "Too many attempts" in page
    assert "Nothing you just sent was saved" in page
    assert 0 < int(refused.headers["Retry-After"]) <= 3600
    assert refused.headers["Content-Security-Policy"] == EXPECTED_CSP


def test_past_the_limit_the_api_answers_429_problem_json(
    limited: Flask, client: FlaskClient
) -> None:
    for _ in range(3):
        assert _post(client, "/api/t/support").status_code == 201

    refused = _post(client, "/api/t/support")

    assert refused.status_code == 429
    assert refused.content_type == "application/problem+json"
    body = refused.json
    assert body is not None
    assert body["type"] == "urn:hubnet:problem:too-many-requests"
    assert body["status"] == 429
    assert "nothing was stored" in body["detail"]
    assert body["retry_after"] == int(refused.headers["Retry-After"])


def test_the_form_and_the_api_share_one_count_per_name_and_names_do_not(
    limited: Flask, client: FlaskClient
) -> None:
    for path in ("/t/raise", "/api/t/raise", "/t/raise"):
        assert _post(client, path).status_code == 201

    assert _post(client, "/api/t/raise").status_code == 429
    assert _post(client, "/t/raise").status_code == 429
    assert _post(client, "/t/support").status_code == 201


def test_each_address_has_its_own_count(limited: Flask) -> None:
    first = limited.test_client()
    for _ in range(3):
        first.post("/api/t/report", environ_base={"REMOTE_ADDR": "198.51.100.1"})
    second = limited.test_client()

    blocked = first.post("/api/t/report", environ_base={"REMOTE_ADDR": "198.51.100.1"})
    other = second.post("/api/t/report", environ_base={"REMOTE_ADDR": "198.51.100.2"})

    assert blocked.status_code == 429
    assert other.status_code == 201


def test_a_form_sent_back_with_mistakes_does_not_count_for_raising(
    limited: Flask, client: FlaskClient
) -> None:
    for _ in range(5):
        assert client.post("/api/t/raise?status=400").status_code == 400

    accepted = [_post(client, "/api/t/raise").status_code for _ in range(4)]

    assert accepted == [201, 201, 201, 429]


def test_only_failed_sign_ins_count(limited: Flask, client: FlaskClient) -> None:
    for _ in range(5):
        assert _post(client, "/t/login?status=302", email="a@example.org").status_code == 302

    failures = [
        _post(client, "/t/login?status=400", email="a@example.org").status_code for _ in range(4)
    ]

    assert failures == [400, 400, 400, 429]
    # once blocked, even the right password waits
    assert _post(client, "/t/login?status=302", email="a@example.org").status_code == 429


def test_failed_sign_ins_to_one_email_are_limited_across_addresses(limited: Flask) -> None:
    limited.config["RATE_LIMIT_LOGIN"] = "100 per hour"

    def attempt(address: str, email: str) -> int:
        client = limited.test_client()
        data = form(client, email=email)
        environ = {"REMOTE_ADDR": address}
        return client.post("/t/login?status=400", data=data, environ_base=environ).status_code

    tries = [attempt(f"198.51.100.{n}", "Admin@Example.org ") for n in range(1, 6)]

    assert tries == [400] * 5
    assert attempt("198.51.100.77", "admin@example.org") == 429
    assert attempt("198.51.100.77", "someone-else@example.org") == 400


def test_every_account_form_attempt_counts(limited: Flask, client: FlaskClient) -> None:
    codes = [_post(client, "/t/account?status=200").status_code for _ in range(2)]
    codes.append(_post(client, "/t/account?status=400").status_code)

    assert codes == [200, 200, 400]
    assert _post(client, "/t/account?status=303").status_code == 429


def test_opening_a_limited_page_never_counts(limited: Flask, client: FlaskClient) -> None:
    for _ in range(10):
        assert client.get("/t/raise").status_code == 201

    assert _post(client, "/t/raise").status_code == 201


def test_the_count_starts_again_after_the_window(limited: Flask, client: FlaskClient) -> None:
    limited.config["RATE_LIMIT_SUPPORT"] = "2 per 1 second"
    time.sleep(1 - time.time() % 1 + 0.02)  # start of a fixed one-second window
    assert [_post(client, "/api/t/support").status_code for _ in range(3)] == [201, 201, 429]

    time.sleep(1.05)

    assert _post(client, "/api/t/support").status_code == 201


def test_limits_can_be_turned_off(make_app: Callable[..., Flask]) -> None:
    app = make_app(RATE_LIMITS_ENABLED=False, RATE_LIMIT_RAISE="1 per hour")
    _add_limited_views(app)
    client = app.test_client()

    assert [client.post("/api/t/raise").status_code for _ in range(5)] == [201] * 5


def test_two_apps_keep_their_own_counts(make_app: Callable[..., Flask]) -> None:
    first, second = make_app(RATE_LIMIT_RAISE="1 per hour"), make_app(RATE_LIMIT_RAISE="1 per hour")
    _add_limited_views(first)
    _add_limited_views(second)

    assert first.test_client().post("/api/t/raise").status_code == 201
    assert first.test_client().post("/api/t/raise").status_code == 429
    assert second.test_client().post("/api/t/raise").status_code == 201


def test_an_unknown_limit_name_is_a_mistake_found_at_import() -> None:
    with pytest.raises(ValueError, match="unknown rate limit"):
        limit("rise")


# -- rate limits: the real views -------------------------------------------------------------

# endpoint → the limit its POST must carry. Every view that stores something a resident
# sends (raise, me too, comment, report), signs someone in, or sends account email.
LIMITED_VIEWS = {
    "gather.raise_send": "raise",  # the last question page's "Send" (steps store nothing)
    "gather_api.api_raise": "raise",
    "gather.support_submit": "support",
    "gather_api.api_support": "support",
    "gather.comment_submit": "comment",
    "gather_api.api_comment": "comment",
    "gather.report_submit": "report",
    "staff.login_submit": "login",
    "staff.login_code_submit": "login",  # the TOTP code
    "residents.sign_in": "login",
    "residents.register": "account",
    "residents.resend_confirmation": "account",
    "residents.reset_request": "account",
    "residents.reset_password": "account",
    "staff.set_password_submit": "account",
    "panels_public.volunteer_submit": "raise",  # joining the pool of volunteers
    "panels_public.withdraw_submit": "account",
}


def test_every_action_view_is_rate_limited(app: Flask) -> None:
    missing, wrong = [], []
    for endpoint, name in sorted(LIMITED_VIEWS.items()):
        view = app.view_functions.get(endpoint)
        if view is None:
            missing.append(endpoint)
        elif limit_of(view) != name:
            wrong.append(f"{endpoint}: has {limit_of(view)!r}, wants @limit({name!r})")
    assert not missing, f"views gone (update LIMITED_VIEWS): {missing}"
    assert not wrong, "\n".join(wrong)


def test_staff_sign_in_is_limited_by_address(app: Flask, db: Session) -> None:
    app.config["RATE_LIMIT_LOGIN"] = "3 per 15 minutes"
    make_staff(db, "ad@example.org", "admin")
    client = app.test_client()

    codes = [try_login(client, "ad@example.org", "wrong password").status_code for _ in range(4)]

    assert codes == [400, 400, 400, 429]
    assert try_login(client, "ad@example.org", "correct horse battery staple").status_code == 429


# -- CSRF -----------------------------------------------------------------------------------


def _row_counts(db: Session) -> dict[str, int]:
    db.rollback()
    names = inspect(db.get_bind()).get_table_names()
    return {
        name: int(db.scalar(select(func.count()).select_from(table(name))) or 0)
        for name in names
        if name != "alembic_version"
    }


def _sample(converter: Any) -> Any:
    if isinstance(converter, IntegerConverter):
        return 1
    if isinstance(converter, AnyConverter):
        return sorted(converter.items)[0]
    return "x"


def _post_rules(app: Flask) -> list[tuple[str, str]]:
    """(endpoint, path) of every form POST (outside /api/), URL parameters filled with 1."""
    rules = []
    for rule in app.url_map.iter_rules():
        if "POST" not in (rule.methods or ()) or rule.rule.startswith("/api/"):
            continue
        values = {name: _sample(converter) for name, converter in rule._converters.items()}
        rules.append((rule.endpoint, rule.build(values, append_unknown=False)[1]))  # type: ignore[index]
    return sorted(rules)


# Forms whose URL carries a signed token instead (`hub.csrf.signed_link`): an email's
# one-click unsubscribe link (RFC 8058), which a mail program POSTs to with no session.
# An unsigned token gets 404. A new exemption has to be added here on purpose.
TOKEN_IN_URL = {"residents.unfollow_link"}


def test_every_form_refuses_a_post_without_the_sessions_token(app: Flask, db: Session) -> None:
    rules = _post_rules(app)
    assert len(rules) >= 10
    exempt = {endpoint for endpoint, view in app.view_functions.items() if is_signed_link(view)}
    assert exempt == TOKEN_IN_URL
    client, _admin = staff_client(app, db, "admin")
    with app.app_context():
        before = _row_counts(get_session())
    refused = []
    for endpoint, path in rules:
        for token in (None, "forged-token"):
            data = {"title": "x", "body": "y", "email": "a@example.org"}
            if token:
                data["csrf_token"] = token
            response = client.post(path, data=data)
            if endpoint in TOKEN_IN_URL:
                if response.status_code != 404:
                    refused.append(f"{endpoint} {path} ({token}): {response.status_code}")
            elif response.status_code != 400 or "could not be sent" not in response.get_data(
                as_text=True
            ):
                refused.append(f"{endpoint} {path} ({token}): {response.status_code}")
    with app.app_context():
        after = _row_counts(get_session())
    assert not refused, "forms that did not refuse a forged post:\n" + "\n".join(refused)
    assert after == before
    assert client.get("/staff/").status_code == 200  # still signed in: logout refused too


def test_the_api_needs_json_so_a_cross_site_form_cannot_post_to_it(client: FlaskClient) -> None:
    response = client.post(
        "/api/v1/contributions",
        data={"kind": "idea", "title": "x", "body": "y", "theme": "gp-access"},
    )

    assert response.status_code in (400, 415)
    assert response.content_type == "application/problem+json"


@pytest.mark.parametrize(
    "headers",
    [{"Sec-Fetch-Site": "cross-site"}, {"Origin": "https://elsewhere.example"}],
    ids=["fetch-metadata", "origin"],
)
def test_another_site_cannot_make_browsers_write_to_the_api(
    client: FlaskClient, db: Session, headers: dict[str, str]
) -> None:
    item = raise_item(db, person(db))
    db.commit()
    with client.application.app_context():
        before = _row_counts(get_session())

    support = client.post(f"/api/v1/contributions/{item.id}/support", headers=headers)
    raised = client.post(
        "/api/v1/contributions",
        json={"kind": "idea", "title": "A new idea here", "body": "Words.", "theme": "gp-access"},
        headers=headers,
    )

    for response in (support, raised):
        assert response.status_code == 403
        assert response.content_type == "application/problem+json"
        assert response.json is not None
        assert response.json["type"] == "urn:hubnet:problem:cross-site-request"
    with client.application.app_context():
        assert _row_counts(get_session()) == before


def test_the_hubs_own_pages_and_scripts_may_write_to_the_api(
    client: FlaskClient, db: Session
) -> None:
    item = raise_item(db, person(db))
    db.commit()

    script = client.post(f"/api/v1/contributions/{item.id}/support")
    same_origin = client.post(
        f"/api/v1/contributions/{item.id}/support",
        headers={"Sec-Fetch-Site": "same-origin", "Origin": "http://localhost"},
    )
    old_browser = app_client_with_origin(client, item.id)

    assert script.status_code in (200, 201)
    assert same_origin.status_code in (200, 201, 409)  # one "me too" per person
    assert old_browser.status_code in (200, 201, 409)


def app_client_with_origin(client: FlaskClient, item_id: int) -> Any:
    fresh = client.application.test_client()
    return fresh.post(
        f"/api/v1/contributions/{item_id}/support", headers={"Origin": "http://localhost"}
    )
