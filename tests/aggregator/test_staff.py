"""National team access: sign-in, roles, sessions that end, CSRF, rate limits, the audit log.

Public pages stay public; everything behind `staff_required` needs a sign-in
and a role. Until `national_aggregator.staff` is registered in `create_app`,
the `app` fixture here registers it itself (the same `init_app` call).
"""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask import Blueprint, Flask
from flask.testing import FlaskClient
from markupsafe import escape
from sqlalchemy import inspect, select, update
from werkzeug.test import TestResponse

from hubnet.db import alembic_config, get_session, make_engine, upgrade_database
from national_aggregator import create_app
from national_aggregator import staff as staff_feature
from national_aggregator.db import MIGRATIONS, Base, utcnow
from national_aggregator.staff import Role, add_staff_task, record_action, staff_required
from national_aggregator.staff.audit import recent_actions
from national_aggregator.staff.models import StaffAction, StaffPasswordLink, StaffSession, StaffUser
from national_aggregator.staff.services import (
    add_staff,
    issue_password_link,
    session_staff,
    start_session,
)
from tests.conftest import DatabaseFactory

PASSWORD = "correct horse battery"
TEMPLATES = Path(__file__).parents[2] / "national_aggregator" / "templates" / "staff"

probe = Blueprint("probe", __name__, url_prefix="/probe")


@probe.post("/board-response")
@staff_required(Role.BOARD_SECRETARY)
def board_response() -> str:
    """Stands in for a write only the board secretary (and admins) may make."""
    return "recorded"


@probe.get("/board-pack")
@staff_required(Role.ANALYST, Role.BOARD_SECRETARY)
def board_pack() -> str:
    return "pack"


@pytest.fixture
def app(app: Flask) -> Flask:
    """The conftest's aggregator, with staff access (if create_app does not add it yet)."""
    if "staff" not in app.blueprints:
        staff_feature.init_app(app)
    app.register_blueprint(probe)
    add_staff_task(app, "Record a board response", "probe.board_pack", Role.BOARD_SECRETARY)
    add_staff_task(app, "Build a board pack", "probe.board_pack", Role.ANALYST)
    return app


def make_staff(app: Flask, email: str, role: Role, password: str | None = PASSWORD) -> int:
    with app.app_context():
        db = get_session()
        person = add_staff(db, email=email, name=email.split("@")[0].title(), role=role,
                           password=password)  # fmt: skip
        db.commit()
        return person.id


def token_of(client: FlaskClient, path: str = "/staff/login") -> str:
    page = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert match, page
    return match.group(1)


def sign_in(
    client: FlaskClient, email: str, password: str = PASSWORD, **extra: str
) -> TestResponse:
    form = {"csrf_token": token_of(client), "email": email, "password": password, **extra}
    return client.post("/staff/login", data=form)


def actions(app: Flask) -> list[tuple[int | None, str, str]]:
    with app.app_context():
        rows = get_session().scalars(select(StaffAction).order_by(StaffAction.id))
        return [(row.staff_id, row.action, row.target) for row in rows]


# -- public pages stay public ------------------------------------------------------------


@pytest.mark.parametrize("path", ["/", "/priorities", "/api/v1/about", "/api/v1/openapi.json"])
def test_public_pages_need_no_sign_in_and_set_no_cookie(client: FlaskClient, path: str) -> None:
    response = client.get(path)

    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers


def test_the_submissions_api_needs_no_csrf_token(client: FlaskClient) -> None:
    response = client.post("/api/v1/submissions", data=b"{}", content_type="application/json")

    assert response.status_code != 400 or response.content_type == "application/problem+json"
    assert "form could not be sent" not in response.get_data(as_text=True)


# -- signing in --------------------------------------------------------------------------


def test_staff_pages_send_someone_not_signed_in_to_the_sign_in_page(client: FlaskClient) -> None:
    response = client.get("/staff/account")

    assert response.status_code == 302
    assert response.headers["Location"] == "/staff/login?next=/staff/account"
    assert response.headers["Cache-Control"] == "no-store"


def test_signing_in_goes_back_to_the_page_asked_for_and_is_logged(
    app: Flask, client: FlaskClient
) -> None:
    analyst = make_staff(app, "ana@example.org", Role.ANALYST)

    response = sign_in(client, "  Ana@Example.org ", next="/staff/account")

    assert response.status_code == 302
    assert response.headers["Location"] == "/staff/account"
    page = client.get("/staff/account")
    assert page.status_code == 200
    assert "ana@example.org" in page.get_data(as_text=True)
    assert actions(app)[-1] == (analyst, "login", f"staff:{analyst}")
    with app.app_context():
        assert get_session().get(StaffUser, analyst).last_login_at is not None  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "target", ["//evil.example/x", "https://evil.example/", "/\\evil.example", "staff", ""]
)
def test_signing_in_never_redirects_off_the_site(
    app: Flask, client: FlaskClient, target: str
) -> None:
    make_staff(app, "ana@example.org", Role.ANALYST)

    response = sign_in(client, "ana@example.org", next=target)

    assert response.headers["Location"] == "/staff/"


def test_every_failed_sign_in_says_the_same_and_is_logged(app: Flask, client: FlaskClient) -> None:
    analyst = make_staff(app, "ana@example.org", Role.ANALYST)
    make_staff(app, "new@example.org", Role.ANALYST, password=None)  # no password yet
    gone = make_staff(app, "gone@example.org", Role.ADMIN)
    with app.app_context():
        db = get_session()
        db.get(StaffUser, gone).active = False  # type: ignore[union-attr]
        db.commit()
    before = len(actions(app))

    answers = [
        sign_in(client, "ana@example.org", "wrong password here"),
        sign_in(client, "nobody@example.org"),
        sign_in(client, "new@example.org", "!"),
        sign_in(client, "gone@example.org"),
    ]

    for answer in answers:
        assert answer.status_code == 400
        assert "Enter a correct email address and password" in answer.get_data(as_text=True)
    logged = actions(app)[before:]
    assert [action for _, action, _ in logged] == ["login-failed"] * 4
    assert logged[0] == (analyst, "login-failed", "email:ana@example.org")
    assert logged[1] == (None, "login-failed", "email:nobody@example.org")
    assert client.get("/staff/").status_code == 302  # still not signed in


def test_an_empty_form_names_each_missing_field(client: FlaskClient) -> None:
    response = client.post("/staff/login", data={"csrf_token": token_of(client)})

    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Enter your email address" in page and "Enter your password" in page
    assert '<a href="#email">' in page and '<a href="#password">' in page


def test_signing_in_starts_a_new_browser_session(app: Flask, client: FlaskClient) -> None:
    make_staff(app, "ana@example.org", Role.ANALYST)
    before = token_of(client)

    sign_in(client, "ana@example.org")

    assert token_of(client, "/staff/account") != before


# -- CSRF --------------------------------------------------------------------------------


@pytest.mark.parametrize("token", [None, "", "forged"])
def test_a_form_post_without_the_sessions_token_is_refused_before_anything_happens(
    app: Flask, client: FlaskClient, token: str | None
) -> None:
    make_staff(app, "ana@example.org", Role.ANALYST)
    token_of(client)  # the session has a token, the form does not carry it
    form = {"email": "ana@example.org", "password": PASSWORD}
    if token is not None:
        form["csrf_token"] = token
    before = actions(app)

    response = client.post("/staff/login", data=form)

    assert response.status_code == 400
    assert "The form could not be sent" in response.get_data(as_text=True)
    assert actions(app) == before
    assert client.get("/staff/").status_code == 302


def test_signing_out_needs_the_token_too(app: Flask, client: FlaskClient) -> None:
    make_staff(app, "ana@example.org", Role.ANALYST)
    sign_in(client, "ana@example.org")

    assert client.post("/staff/logout").status_code == 400
    assert client.get("/staff/").status_code == 200


# -- sessions end ------------------------------------------------------------------------


def test_signing_out_ends_the_sign_in_on_the_server(app: Flask, client: FlaskClient) -> None:
    analyst = make_staff(app, "ana@example.org", Role.ANALYST)
    sign_in(client, "ana@example.org")
    stolen = client.get_cookie(app.config["SESSION_COOKIE_NAME"])
    assert stolen is not None

    response = client.post("/staff/logout", data={"csrf_token": token_of(client, "/staff/")})

    assert response.headers["Location"] == "/staff/login"
    assert client.get("/staff/").status_code == 302
    replayed = app.test_client()
    replayed.set_cookie(app.config["SESSION_COOKIE_NAME"], stolen.value)
    assert replayed.get("/staff/").status_code == 302
    assert actions(app)[-1] == (analyst, "logout", f"staff:{analyst}")


@pytest.mark.parametrize("app_config", [{"NATIONAL_STAFF_SESSION_HOURS": 2}])
def test_a_sign_in_ends_after_the_configured_hours(app: Flask, client: FlaskClient) -> None:
    make_staff(app, "ana@example.org", Role.ANALYST)
    sign_in(client, "ana@example.org")

    def started(ago: timedelta) -> None:
        with app.app_context():
            db = get_session()
            db.execute(update(StaffSession).values(created_at=utcnow() - ago))
            db.commit()

    started(timedelta(hours=1, minutes=59))
    assert client.get("/staff/").status_code == 200
    started(timedelta(hours=2, seconds=1))
    assert client.get("/staff/").status_code == 302


def test_session_staff_ends_exactly_at_max_age(app: Flask) -> None:
    staff_id = make_staff(app, "ana@example.org", Role.ANALYST)
    with app.app_context():
        db = get_session()
        person = db.get(StaffUser, staff_id)
        assert person is not None
        start = utcnow()
        token = start_session(db, person, now=start)
        db.commit()
        eight = timedelta(hours=8)
        just_before = start + eight - timedelta(seconds=1)
        assert session_staff(db, token, max_age=eight, now=just_before) is person
        assert session_staff(db, token, max_age=eight, now=start + eight) is None
        assert session_staff(db, token + "x", max_age=eight, now=start) is None
        assert session_staff(db, "é" * 10, max_age=eight, now=start) is None


def test_disabling_an_account_ends_its_sign_ins(app: Flask, client: FlaskClient) -> None:
    from national_aggregator.staff.services import set_active

    staff_id = make_staff(app, "ana@example.org", Role.ANALYST)
    sign_in(client, "ana@example.org")
    with app.app_context():
        db = get_session()
        person = db.get(StaffUser, staff_id)
        assert person is not None
        assert set_active(db, person, False, by=None)
        db.commit()

    assert client.get("/staff/").status_code == 302


# -- roles -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "respond", "pack"),
    [
        (Role.ANALYST, 403, 200),
        (Role.BOARD_SECRETARY, 200, 200),
        (Role.ADMIN, 200, 200),
    ],
)
def test_each_role_may_do_only_its_own_writes(
    app: Flask, client: FlaskClient, role: Role, respond: int, pack: int
) -> None:
    make_staff(app, "someone@example.org", role)
    sign_in(client, "someone@example.org")

    response = client.post(
        "/probe/board-response", data={"csrf_token": token_of(client, "/staff/")}
    )

    assert response.status_code == respond
    assert response.headers["Cache-Control"] == "no-store"
    if respond == 403:
        assert "for board-secretary and admin" in response.get_data(as_text=True)
    assert client.get("/probe/board-pack").status_code == pack


def test_a_write_without_a_sign_in_is_sent_to_sign_in_and_nothing_runs(
    client: FlaskClient,
) -> None:
    response = client.post("/probe/board-response", data={"csrf_token": token_of(client)})

    assert response.status_code == 302
    assert response.headers["Location"] == "/staff/login"  # no `next` for a POST


@pytest.mark.parametrize(
    ("role", "shown", "hidden"),
    [
        (Role.ANALYST, ["Build a board pack"], ["Record a board response", "Staff activity log"]),
        (Role.BOARD_SECRETARY, ["Record a board response"], ["Build a board pack"]),
        (Role.ADMIN, ["Record a board response", "Build a board pack", "Staff activity log"], []),
    ],
)
def test_the_staff_home_page_lists_what_the_role_may_do(
    app: Flask, client: FlaskClient, role: Role, shown: list[str], hidden: list[str]
) -> None:
    make_staff(app, "someone@example.org", role)
    sign_in(client, "someone@example.org")

    page = client.get("/staff/").get_data(as_text=True)

    assert str(escape(staff_feature.ROLES[role].may[0])) in page
    for text in shown:
        assert text in page
    for text in hidden:
        assert text not in page


def test_an_unknown_role_is_refused_when_the_page_is_defined() -> None:
    with pytest.raises(ValueError, match="board_secretary"):
        staff_required("board_secretary")


def test_only_admins_see_the_activity_log(app: Flask, client: FlaskClient) -> None:
    make_staff(app, "ana@example.org", Role.ANALYST)
    make_staff(app, "root@example.org", Role.ADMIN)
    sign_in(client, "ana@example.org")
    assert client.get("/staff/actions").status_code == 403

    admin = app.test_client()
    sign_in(admin, "root@example.org")
    page = admin.get("/staff/actions").get_data(as_text=True)
    assert "staff-added" in page and "ana@example.org" in page


# -- passwords ---------------------------------------------------------------------------


def test_a_set_password_link_works_once_and_then_the_person_can_sign_in(
    app: Flask, client: FlaskClient
) -> None:
    staff_id = make_staff(app, "sec@example.org", Role.BOARD_SECRETARY, password=None)
    with app.app_context():
        db = get_session()
        person = db.get(StaffUser, staff_id)
        assert person is not None
        token = issue_password_link(db, person, by=None)
        db.commit()
    path = f"/staff/set-password/{token}"
    form = {"csrf_token": token_of(client, path)}

    short = client.post(path, data={**form, "password": "short", "confirm": "short"})
    differ = client.post(path, data={**form, "password": PASSWORD, "confirm": PASSWORD + "!"})
    own_email = "sec@example.org"
    email = client.post(path, data={**form, "password": own_email, "confirm": own_email})
    saved = client.post(path, data={**form, "password": PASSWORD, "confirm": PASSWORD})

    assert short.status_code == 400 and "at least 12 characters" in short.get_data(as_text=True)
    assert differ.status_code == 400 and "same password twice" in differ.get_data(as_text=True)
    assert email.status_code == 400 and "not your email" in email.get_data(as_text=True)
    assert saved.headers["Location"] == "/staff/login"
    assert short.headers["Referrer-Policy"] == "no-referrer"  # the token is in the path
    assert client.get(path).status_code == 404
    assert sign_in(client, "sec@example.org").headers["Location"] == "/staff/"


def test_an_expired_or_unknown_link_is_a_clear_404(app: Flask, client: FlaskClient) -> None:
    staff_id = make_staff(app, "sec@example.org", Role.BOARD_SECRETARY, password=None)
    with app.app_context():
        db = get_session()
        person = db.get(StaffUser, staff_id)
        assert person is not None
        token = issue_password_link(db, person, by=None)
        db.execute(update(StaffPasswordLink).values(expires_at=utcnow()))
        db.commit()

    for path in (
        f"/staff/set-password/{token}",
        "/staff/set-password/nothing",
        "/staff/set-password/" + "x" * 200,
    ):
        response = client.get(path)
        assert response.status_code == 404
        assert "This link does not work" in response.get_data(as_text=True)


def test_changing_ones_password_ends_other_sign_ins_but_not_this_one(
    app: Flask, client: FlaskClient
) -> None:
    staff_id = make_staff(app, "ana@example.org", Role.ANALYST)
    other = app.test_client()
    sign_in(other, "ana@example.org")
    sign_in(client, "ana@example.org")
    new = "a different long passphrase"
    form = {"csrf_token": token_of(client, "/staff/account")}

    wrong = client.post(
        "/staff/account/password", data={**form, "current": "nope", "password": new, "confirm": new}
    )
    done = client.post(
        "/staff/account/password",
        data={**form, "current": PASSWORD, "password": new, "confirm": new},
    )

    assert wrong.status_code == 400
    assert "Enter your current password correctly" in wrong.get_data(as_text=True)
    assert done.headers["Location"] == "/staff/account"
    assert client.get("/staff/").status_code == 200
    assert other.get("/staff/").status_code == 302
    trail = [action for who, action, _ in actions(app) if who == staff_id]
    assert trail[-2:] == ["password-change-failed", "password-changed"]
    assert sign_in(app.test_client(), "ana@example.org", new).status_code == 302


# -- rate limits -------------------------------------------------------------------------


@pytest.mark.parametrize("app_config", [{"NATIONAL_STAFF_LOGIN_RATE_LIMIT": "3 per minute"}])
def test_failed_sign_ins_from_one_address_are_limited(app: Flask, client: FlaskClient) -> None:
    make_staff(app, "ana@example.org", Role.ANALYST)
    assert sign_in(client, "ana@example.org").status_code == 302  # a success does not count
    client.post("/staff/logout", data={"csrf_token": token_of(client, "/staff/")})

    tries = [sign_in(client, "ana@example.org", "wrong password!").status_code for _ in range(3)]
    before = len(actions(app))
    blocked = sign_in(client, "ana@example.org")  # even the right password

    assert tries == [400, 400, 400]
    assert blocked.status_code == 429
    assert 1 <= int(blocked.headers["Retry-After"]) <= 60
    assert "Too many tries" in blocked.get_data(as_text=True)
    assert len(actions(app)) == before  # nothing checked, nothing logged


@pytest.mark.parametrize(
    "app_config",
    [{"NATIONAL_STAFF_LOGIN_RATE_LIMIT_PER_EMAIL": "2 per hour"}],
)
def test_failed_sign_ins_to_one_email_are_limited_from_any_address(
    app: Flask, client: FlaskClient
) -> None:
    make_staff(app, "ana@example.org", Role.ANALYST)
    make_staff(app, "bob@example.org", Role.ANALYST)
    answers = []
    for number in range(3):
        other = app.test_client()
        other.environ_base["REMOTE_ADDR"] = f"192.0.2.{number + 1}"
        answers.append(sign_in(other, "ana@example.org", "wrong password!").status_code)

    assert answers == [400, 400, 429]
    assert sign_in(client, "bob@example.org").status_code == 302


# -- the audit log, the pages, the migration ---------------------------------------------


def test_record_action_keeps_who_what_and_when_newest_first(app: Flask) -> None:
    staff_id = make_staff(app, "sec@example.org", Role.BOARD_SECRETARY)
    with app.app_context():
        db = get_session()
        person = db.get(StaffUser, staff_id)
        first = record_action(db, person, "board-response-recorded", "priority:gp-access", "x" * 3)
        second = record_action(db, None, "staff-disabled", "staff:9" + "9" * 200)
        db.commit()
        newest = recent_actions(db, limit=2)
        assert [row.id for row in newest] == [second.id, first.id]
        assert len(second.target) == 120
        assert first.staff_id == staff_id and first.at.tzinfo is not None
        with pytest.raises(ValueError):
            record_action(db, None, "a" * 41, "x")


@pytest.mark.parametrize("app_config", [{"SECRET_KEY": None}])
def test_without_a_secret_key_sign_in_says_it_is_not_set_up(client: FlaskClient) -> None:
    response = client.get("/staff/login")

    assert response.status_code == 503
    assert "SECRET_KEY" in response.get_data(as_text=True)
    assert client.get("/").status_code == 200


def test_staff_templates_have_no_inline_script_or_style() -> None:
    for template in TEMPLATES.glob("*.html"):
        text = template.read_text(encoding="utf-8")
        assert "<script" not in text and "<style" not in text, template.name
        assert not re.search(r"\sstyle=", text), template.name
        assert not re.search(r"\son[a-z]+=", text), template.name


def test_staff_pages_keep_the_strict_content_security_policy(
    app: Flask, client: FlaskClient
) -> None:
    make_staff(app, "root@example.org", Role.ADMIN)
    sign_in(client, "root@example.org")

    for path in ("/staff/login", "/staff/", "/staff/account", "/staff/actions"):
        response = client.get(path, follow_redirects=True)
        assert response.status_code == 200, path
        assert "script-src 'self'" in response.headers["Content-Security-Policy"]


def test_migration_0005_builds_exactly_the_staff_models_and_downgrades_to_0004(
    make_database_url: DatabaseFactory,
) -> None:
    url = make_database_url("staff-migration")
    upgrade_database(url, MIGRATIONS)
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
        assert differences == []
        with engine.begin() as connection:
            config = alembic_config(url, MIGRATIONS)
            config.attributes["connection"] = connection
            command.downgrade(config, "0004")
        tables = set(inspect(engine).get_table_names())
        assert not {name for name in tables if name.startswith("staff_")}
        assert "submission" in tables
    finally:
        engine.dispose()


def test_an_app_made_twice_keeps_separate_limits_and_one_csrf_check(
    instance: Path, database_url: str
) -> None:
    config: dict[str, Any] = {
        "TESTING": True, "INSTANCE_PATH": str(instance), "DATABASE_URL": database_url,
        "SECRET_KEY": "test", "AGGREGATOR_ID": "x",
    }  # fmt: skip
    made: list[Flask] = []
    try:
        for _ in range(2):
            app = create_app(config)
            made.append(app)
            if "staff" not in app.blueprints:
                staff_feature.init_app(app)
            staff_feature.csrf.init_app(app)  # a second call adds no second check
            hooks = app.before_request_funcs[None]
            assert sum(hook.__name__ == "_refuse_forged_request" for hook in hooks) == 1
        limiters = [app.extensions["national_aggregator.staff_limiter"] for app in made]
        assert limiters[0] is not limiters[1]
    finally:
        for app in made:
            app.extensions["hubnet.engine"].dispose()
