"""Users and roles on the national staff pages: admins add people, change roles, disable, reset.

A new account has no password until its owner uses the one-time link the
admin was shown once; only the link's hash is stored. There is always one
active admin. Every write needs the form's CSRF token and an admin (bar one's
own account and password), is in the staff activity log, and a refused one
stores nothing.
"""

from __future__ import annotations

import re
import secrets
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.test import TestResponse

from hubnet.db import get_session
from hubnet.passwords import verify_password
from national_aggregator.staff.models import (
    NO_PASSWORD,
    Role,
    StaffAction,
    StaffPasswordLink,
    StaffUser,
)
from national_aggregator.staff.services import add_staff, find_staff, set_active
from tests.aggregator.conftest import row_counts

PASSWORD = "correct horse battery"
NEW_PASSWORD = "a brand new national passphrase"


# -- helpers (test_staff_totp.py uses them too) -------------------------------------------


def make_staff(app: Flask, email: str, role: Role, password: str | None = PASSWORD) -> int:
    with app.app_context():
        db = get_session()
        person = add_staff(db, email=email, name=email.split("@")[0].title(), role=role,
                           password=password)  # fmt: skip
        db.commit()
        return person.id


def csrf_of(client: FlaskClient) -> str:
    """This browser session's CSRF token, as a page with a form would carry it."""
    with client.session_transaction() as session:
        token = session.setdefault("csrf_token", secrets.token_urlsafe(32))
    return str(token)


def form(client: FlaskClient, **fields: str) -> dict[str, str]:
    """`fields` with this browser session's CSRF token."""
    return {"csrf_token": csrf_of(client), **fields}


def sign_in(client: FlaskClient, email: str, password: str = PASSWORD) -> TestResponse:
    return client.post("/staff/login", data=form(client, email=email, password=password))


def signed_in(app: Flask, email: str, role: Role) -> tuple[FlaskClient, int]:
    """A client signed in as a new member of staff with `role`, and their id."""
    staff_id = make_staff(app, email, role)
    client = app.test_client()
    assert sign_in(client, email).status_code == 302
    return client, staff_id


def user(app: Flask, staff_id: int) -> StaffUser:
    with app.app_context():
        found = get_session().get(StaffUser, staff_id)
        assert found is not None
        get_session().expunge(found)
        return found


def actions(app: Flask, action: str) -> list[tuple[int | None, str, str]]:
    with app.app_context():
        query = select(StaffAction).where(StaffAction.action == action).order_by(StaffAction.id)
        return [(row.staff_id, row.target, row.detail) for row in get_session().scalars(query)]


def post(client: FlaskClient, path: str, **fields: str) -> TestResponse:
    return client.post(path, data=form(client, **fields))


def add_user(client: FlaskClient, email: str = "new@example.org", role: str = "analyst") -> str:
    """Add someone through the page; returns the path of the set-password link it showed."""
    response = post(client, "/staff/users/new", name="Nia Evans", email=email, role=role)
    assert response.status_code == 200, response.get_data(as_text=True)
    link = re.search(r'id="set-password-link">([^<]+)<', response.get_data(as_text=True))
    assert link
    assert link[1].startswith("http://localhost/staff/set-password/")
    return link[1].removeprefix("http://localhost")


def choose_password(client: FlaskClient, path: str, password: str = NEW_PASSWORD) -> TestResponse:
    return client.post(path, data=form(client, password=password, confirm=password))


@pytest.fixture
def admin(app: Flask) -> tuple[FlaskClient, int]:
    return signed_in(app, "root@example.org", Role.ADMIN)


# -- the list and adding someone ----------------------------------------------------------


def test_admins_see_every_account_with_its_role_and_state(
    app: Flask, admin: tuple[FlaskClient, int]
) -> None:
    client, _ = admin
    make_staff(app, "mo@example.org", Role.BOARD_SECRETARY)
    off = make_staff(app, "off@example.org", Role.ANALYST)
    with app.app_context():
        db = get_session()
        person = db.get(StaffUser, off)
        assert person is not None
        person.name = "Off <b>Line</b>"
        db.commit()
    make_staff(app, "invited@example.org", Role.ANALYST, password=None)
    post(client, f"/staff/users/{off}/disable")

    page = client.get("/staff/users").get_data(as_text=True)

    assert "<caption" in page and "Staff accounts" in page
    assert "Off &lt;b&gt;Line&lt;/b&gt;" in page and "<b>Line" not in page
    rows = re.findall(r"<tr class=\"nhsuk-table__row\">(.*?)</tr>", page, re.S)
    by_email = {re.search(r"[\w.]+@example\.org", row)[0]: row for row in rows[1:]}  # type: ignore[index]
    assert "Board secretary" in by_email["mo@example.org"]
    assert "Disabled" in by_email["off@example.org"]
    assert "Invited" in by_email["invited@example.org"]
    assert "Active" in by_email["root@example.org"]
    assert 'href="/staff/users/new"' in page


def test_adding_someone_shows_a_one_time_link_once_and_stores_only_its_hash(
    app: Flask, admin: tuple[FlaskClient, int]
) -> None:
    client, me = admin

    path = add_user(client, email="New@Example.org ", role="board-secretary")

    with app.app_context():
        db = get_session()
        new = find_staff(db, "new@example.org")
        assert new is not None and new.password_hash == NO_PASSWORD
        assert new.role is Role.BOARD_SECRETARY and new.name == "Nia Evans"
        [stored] = db.scalars(select(StaffPasswordLink))
        token = path.rsplit("/", 1)[1]
        assert stored.token_hash != token and token not in stored.token_hash
        assert stored.expires_at - stored.created_at == timedelta(hours=72)
        new_id = new.id
    assert actions(app, "staff-added")[-1] == (
        me,
        f"staff:{new_id}",
        "new@example.org as board-secretary",
    )
    [issued] = actions(app, "password-link-issued")
    assert issued[0] == me and token not in issued[2]
    assert sign_in(app.test_client(), "new@example.org", NO_PASSWORD).status_code == 400


def test_the_link_sets_the_password_once_and_then_they_sign_in(
    app: Flask, admin: tuple[FlaskClient, int]
) -> None:
    client, _ = admin
    path = add_user(client)
    newcomer = app.test_client()

    page = newcomer.get(path)
    assert page.status_code == 200 and "Choose your password" in page.get_data(as_text=True)
    done = choose_password(newcomer, path)

    assert done.status_code == 302 and done.headers["Location"] == "/staff/login"
    assert sign_in(newcomer, "new@example.org", NEW_PASSWORD).status_code == 302
    with app.app_context():
        person = find_staff(get_session(), "new@example.org")
        assert person is not None and verify_password(person.password_hash, NEW_PASSWORD)
    assert app.test_client().get(path).status_code == 404


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"name": "", "email": "a@example.org", "role": "analyst"}, "name", "Enter their name"),
        ({"name": "A", "email": "", "role": "analyst"}, "email", "Enter their email address"),
        ({"name": "A", "email": "not-an-email", "role": "analyst"}, "email", "correct format"),
        ({"name": "A", "email": "a@example.org", "role": "chief"}, "role", "Choose a role"),
        ({"name": "A" * 121, "email": "a@example.org", "role": "analyst"}, "name", "1 to 120"),
        ({"name": "A", "email": "ROOT@example.org", "role": "analyst"}, "email", "already a staff"),
    ],
)
def test_a_bad_new_account_is_refused_naming_the_field_and_stores_nothing(
    app: Flask, admin: tuple[FlaskClient, int], fields: dict[str, str], field: str, message: str
) -> None:
    client, _ = admin
    before = row_counts(app)

    response = post(client, "/staff/users/new", **fields)

    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert f'<a href="#{field}">' in page and message in page
    assert 'id="set-password-link"' not in page
    assert row_counts(app) == before


# -- changing someone ---------------------------------------------------------------------


def test_changing_a_role_is_logged_and_takes_effect(
    app: Flask, admin: tuple[FlaskClient, int]
) -> None:
    client, me = admin
    analyst, analyst_id = signed_in(app, "ana@example.org", Role.ANALYST)
    assert analyst.get("/staff/actions").status_code == 403

    response = post(client, f"/staff/users/{analyst_id}/role", role="admin")

    assert response.status_code == 302
    assert response.headers["Location"] == f"/staff/users/{analyst_id}"
    assert user(app, analyst_id).role is Role.ADMIN
    assert actions(app, "staff-role-changed") == [(me, f"staff:{analyst_id}", "analyst to admin")]
    assert analyst.get("/staff/actions").status_code == 200  # the same sign-in, the new role
    page = client.get(f"/staff/users/{analyst_id}").get_data(as_text=True)
    assert "Ana is now admin." in page


def test_an_unknown_role_is_refused_and_nothing_changes(
    app: Flask, admin: tuple[FlaskClient, int]
) -> None:
    client, _ = admin
    analyst_id = make_staff(app, "ana@example.org", Role.ANALYST)
    before = row_counts(app)

    response = post(client, f"/staff/users/{analyst_id}/role", role="chief")

    assert response.status_code == 302
    assert "Not changed: Choose a role" in client.get(response.headers["Location"]).get_data(
        as_text=True
    )
    assert user(app, analyst_id).role is Role.ANALYST
    assert row_counts(app) == before


def test_disabling_ends_the_persons_sign_ins_and_enabling_lets_them_back(
    app: Flask, admin: tuple[FlaskClient, int]
) -> None:
    client, me = admin
    analyst, analyst_id = signed_in(app, "ana@example.org", Role.ANALYST)

    assert post(client, f"/staff/users/{analyst_id}/disable").status_code == 302

    assert analyst.get("/staff/").status_code == 302  # signed out on the server
    assert sign_in(app.test_client(), "ana@example.org").status_code == 400
    assert post(client, f"/staff/users/{analyst_id}/enable").status_code == 302
    assert sign_in(app.test_client(), "ana@example.org").status_code == 302
    assert [(a[0], a[1]) for a in actions(app, "staff-disabled")] == [(me, f"staff:{analyst_id}")]
    assert [(a[0], a[1]) for a in actions(app, "staff-enabled")] == [(me, f"staff:{analyst_id}")]


def test_there_is_always_an_active_admin(app: Flask, admin: tuple[FlaskClient, int]) -> None:
    _, me = admin
    other, other_id = signed_in(app, "second@example.org", Role.ADMIN)
    assert post(other, f"/staff/users/{me}/disable").status_code == 302  # two admins: fine
    assert not user(app, me).active
    before = row_counts(app)

    demote = post(other, f"/staff/users/{other_id}/role", role="analyst")
    own = post(other, f"/staff/users/{other_id}/disable")

    assert demote.status_code == own.status_code == 302
    page = other.get(f"/staff/users/{other_id}").get_data(as_text=True)
    assert "Not changed: This is the only active admin" in page
    assert "Not changed: You cannot disable your own account" in page
    assert user(app, other_id).role is Role.ADMIN and user(app, other_id).active
    assert row_counts(app) == before
    with app.app_context():  # the command line (no signed-in person) is held to it too
        db = get_session()
        last = db.get(StaffUser, other_id)
        assert last is not None
        with pytest.raises(ValueError, match="only active admin"):
            set_active(db, last, False, by=None)
        db.rollback()


def test_a_new_link_replaces_the_old_one_and_resets_a_password(
    app: Flask, admin: tuple[FlaskClient, int]
) -> None:
    client, me = admin
    analyst, analyst_id = signed_in(app, "ana@example.org", Role.ANALYST)
    first = post(client, f"/staff/users/{analyst_id}/password-link").get_data(as_text=True)
    second = post(client, f"/staff/users/{analyst_id}/password-link")
    old = re.search(r'id="set-password-link">http://localhost([^<]+)<', first)
    new = re.search(
        r'id="set-password-link">http://localhost([^<]+)<', second.get_data(as_text=True)
    )
    assert old and new and old[1] != new[1]
    assert second.headers["Referrer-Policy"] == "no-referrer"
    assert second.headers["Cache-Control"] == "no-store"

    assert app.test_client().get(old[1]).status_code == 404
    assert sign_in(app.test_client(), "ana@example.org").status_code == 302  # still works
    assert choose_password(app.test_client(), new[1]).status_code == 302

    assert analyst.get("/staff/").status_code == 302  # a reset ends their sign-ins
    assert sign_in(app.test_client(), "ana@example.org").status_code == 400
    assert sign_in(app.test_client(), "ana@example.org", NEW_PASSWORD).status_code == 302
    assert [a[0] for a in actions(app, "password-link-issued")][-2:] == [me, me]


def test_no_link_for_a_disabled_account(app: Flask, admin: tuple[FlaskClient, int]) -> None:
    client, _ = admin
    analyst_id = make_staff(app, "ana@example.org", Role.ANALYST)
    post(client, f"/staff/users/{analyst_id}/disable")
    before = row_counts(app)

    response = post(client, f"/staff/users/{analyst_id}/password-link")

    assert response.status_code == 302
    assert "enable the account first" in client.get(response.headers["Location"]).get_data(
        as_text=True
    )
    assert row_counts(app) == before


def test_an_unknown_account_is_a_404(app: Flask, admin: tuple[FlaskClient, int]) -> None:
    client, _ = admin
    before = row_counts(app)

    assert client.get("/staff/users/9999").status_code == 404
    for change in ("role", "disable", "enable", "totp-reset", "password-link"):
        assert post(client, f"/staff/users/9999/{change}", role="admin").status_code == 404
    assert row_counts(app) == before


# -- who may ------------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.ANALYST, Role.BOARD_SECRETARY])
def test_only_admins_reach_users_and_roles(app: Flask, role: Role) -> None:
    client, me = signed_in(app, "someone@example.org", role)
    target = make_staff(app, "ana@example.org", Role.ANALYST)
    before = row_counts(app)

    for path in ("/staff/users", "/staff/users/new", f"/staff/users/{target}"):
        assert client.get(path).status_code == 403, path
    writes = {
        "/staff/users/new": {"name": "X", "email": "x@example.org", "role": "admin"},
        f"/staff/users/{target}/role": {"role": "admin"},
        f"/staff/users/{me}/role": {"role": "admin"},
        f"/staff/users/{target}/disable": {},
        f"/staff/users/{target}/password-link": {},
        f"/staff/users/{target}/totp-reset": {},
    }
    for path, fields in writes.items():
        assert post(client, path, **fields).status_code == 403, path

    assert row_counts(app) == before
    assert "Users and roles" not in client.get("/staff/").get_data(as_text=True)


def test_admins_find_users_and_roles_on_the_staff_home_page(
    admin: tuple[FlaskClient, int],
) -> None:
    client, _ = admin

    page = client.get("/staff/").get_data(as_text=True)

    assert 'href="/staff/users"' in page and "Users and roles" in page


def test_without_a_sign_in_or_the_csrf_token_nothing_happens(
    app: Flask, admin: tuple[FlaskClient, int]
) -> None:
    client, _ = admin
    target = make_staff(app, "ana@example.org", Role.ANALYST)
    before = row_counts(app)
    anonymous = app.test_client()

    assert anonymous.get("/staff/users").headers["Location"] == "/staff/login?next=/staff/users"
    sent = post(anonymous, f"/staff/users/{target}/disable")
    forged = client.post(f"/staff/users/{target}/disable", data={"csrf_token": "forged"})
    no_token = client.post("/staff/users/new", data={"name": "X", "email": "x@example.org",
                                                     "role": "admin"})  # fmt: skip

    assert sent.status_code == 302 and sent.headers["Location"].startswith("/staff/login")
    assert forged.status_code == no_token.status_code == 400
    assert "The form could not be sent" in forged.get_data(as_text=True)
    assert user(app, target).active
    assert row_counts(app) == before


@pytest.mark.parametrize("role", list(Role))
def test_everyone_reaches_their_own_account_page(app: Flask, role: Role) -> None:
    client, _ = signed_in(app, "someone@example.org", role)

    page = client.get("/staff/account").get_data(as_text=True)

    assert "Change your password" in page and "Two-step sign-in" in page
