"""Users and roles: admins add staff with a one-time set-password link, change roles, disable.

The link is shown to the admin once and queued as an email; it works once,
for 72 hours, and only its hash is stored. There is always one active admin.
Only admins reach these pages.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.mail.models import OutgoingMail
from hub.staff.models import NO_PASSWORD, StaffAction, StaffPasswordLink, StaffUser
from hub.staff.passwords import verify_password
from hub.staff.services import find_staff
from tests.hub.staff_helpers import (
    PASSWORD,
    ROLES,
    form,
    login,
    make_staff,
    page_token,
    staff_client,
    try_login,
)

NEW_PASSWORD = "a brand new passphrase"


def actions(db: Session, action: str) -> list[StaffAction]:
    db.rollback()
    return list(db.scalars(select(StaffAction).where(StaffAction.action == action)))


def add_user(client: FlaskClient, email: str = "new@example.org", role: str = "moderator") -> str:
    """Add someone through the page; returns the set-password link it showed."""
    response = client.post(
        "/staff/users/new", data=form(client, name="Nia Evans", email=email, role=role)
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    link = re.search(r'id="set-password-link">([^<]+)<', response.get_data(as_text=True))
    assert link
    return link[1]


def set_password(client: FlaskClient, link: str, password: str = NEW_PASSWORD) -> object:
    path = link.removeprefix("http://localhost")
    token = page_token(client.get(path).get_data(as_text=True))
    return client.post(path, data={"csrf_token": token, "password": password, "confirm": password})


@pytest.fixture
def admin(app: Flask, db: Session) -> tuple[FlaskClient, StaffUser]:
    return staff_client(app, db, "admin", "ad@example.org")


def test_admins_see_every_account_with_its_role_and_state(
    app: Flask, db: Session, admin: tuple[FlaskClient, StaffUser]
) -> None:
    client, _ = admin
    make_staff(db, "mo@example.org", "moderator", name="Mo <b>Khan</b>")
    off = make_staff(db, "off@example.org", "responder")
    off.active = False
    db.commit()

    page = client.get("/staff/users").get_data(as_text=True)

    assert "<caption" in page and "Staff accounts" in page
    assert "Mo &lt;b&gt;Khan&lt;/b&gt;" in page
    assert "off@example.org" in page and "Disabled" in page
    assert 'href="/staff/users/new"' in page


def test_adding_someone_shows_and_emails_a_one_time_link(
    app: Flask, db: Session, admin: tuple[FlaskClient, StaffUser]
) -> None:
    client, me = admin

    link = add_user(client)

    assert link.startswith("http://localhost/staff/set-password/")
    db.rollback()
    new = find_staff(db, "new@example.org")
    assert new is not None and new.password_hash == NO_PASSWORD and new.role.value == "moderator"
    [stored] = db.scalars(select(StaffPasswordLink))
    token = link.rsplit("/", 1)[1]
    assert token not in stored.token_hash and len(stored.token_hash) == 64
    assert stored.expires_at - stored.created_at == timedelta(hours=72)
    [mail] = db.scalars(select(OutgoingMail))
    assert mail.recipient == "new@example.org"
    assert link in mail.text and "72 hours" in mail.text
    added = actions(db, "staff-added")[-1]
    assert (added.staff_id, added.target) == (me.id, f"staff:{new.id}")
    [issued] = actions(db, "password-link-issued")
    assert token not in issued.detail
    assert try_login(app.test_client(), "new@example.org", NO_PASSWORD).status_code == 400


def test_the_link_sets_the_password_once(
    app: Flask, db: Session, admin: tuple[FlaskClient, StaffUser]
) -> None:
    client, _ = admin
    link = add_user(client)
    newcomer = app.test_client()

    page = newcomer.get(link.removeprefix("http://localhost"))
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Choose your password" in text and "new@example.org" in text
    assert page.headers["Referrer-Policy"] == "no-referrer"
    assert page.headers["Cache-Control"] == "no-store"

    done = set_password(newcomer, link)
    assert done.status_code == 302 and done.headers["Location"] == "/staff/login"  # type: ignore[attr-defined]
    login(newcomer, "new@example.org", NEW_PASSWORD)
    db.rollback()
    user = find_staff(db, "new@example.org")
    assert user is not None and verify_password(user.password_hash, NEW_PASSWORD)
    assert [a.staff_id for a in actions(db, "password-set")] == [user.id]

    again = app.test_client().get(link.removeprefix("http://localhost"))
    assert again.status_code == 404
    assert "This link does not work" in again.get_data(as_text=True)


def test_a_link_stops_working_after_72_hours(
    app: Flask, db: Session, admin: tuple[FlaskClient, StaffUser]
) -> None:
    client, _ = admin
    link = add_user(client)
    db.rollback()
    [stored] = db.scalars(select(StaffPasswordLink))
    stored.expires_at = stored.created_at - timedelta(seconds=1)
    db.commit()

    assert app.test_client().get(link.removeprefix("http://localhost")).status_code == 404


def test_a_weak_or_mismatched_password_is_refused_and_the_link_still_works(
    app: Flask, db: Session, admin: tuple[FlaskClient, StaffUser]
) -> None:
    client, _ = admin
    link = add_user(client)
    newcomer = app.test_client()
    path = link.removeprefix("http://localhost")
    token = page_token(newcomer.get(path).get_data(as_text=True))

    short = newcomer.post(path, data={"csrf_token": token, "password": "short", "confirm": "short"})
    mismatch = newcomer.post(
        path, data={"csrf_token": token, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD + "x"}
    )

    assert short.status_code == 400
    assert '<a href="#password">Choose a password of at least 12 characters</a>' in short.get_data(
        as_text=True
    )
    assert mismatch.status_code == 400
    assert '<a href="#confirm">Enter the same password twice</a>' in mismatch.get_data(as_text=True)
    assert set_password(newcomer, link).status_code == 302  # type: ignore[attr-defined]


def test_a_new_link_replaces_the_old_one_and_resets_a_password(
    app: Flask, db: Session, admin: tuple[FlaskClient, StaffUser]
) -> None:
    client, _ = admin
    mo = make_staff(db, "mo@example.org", "moderator")
    mo_client = app.test_client()
    login(mo_client, mo.email)

    first = client.post(f"/staff/users/{mo.id}/password-link", data=form(client))
    second = client.post(f"/staff/users/{mo.id}/password-link", data=form(client))
    old = re.search(r'id="set-password-link">([^<]+)<', first.get_data(as_text=True))[1]  # type: ignore[index]
    new = re.search(r'id="set-password-link">([^<]+)<', second.get_data(as_text=True))[1]  # type: ignore[index]

    assert app.test_client().get(old.removeprefix("http://localhost")).status_code == 404
    assert set_password(app.test_client(), new).status_code == 302  # type: ignore[attr-defined]
    assert mo_client.get("/staff/").status_code == 302  # setting a password ends sign-ins
    login(app.test_client(), mo.email, NEW_PASSWORD)
    assert len(actions(db, "password-link-issued")) == 2


@pytest.mark.parametrize(
    ("fields", "anchor", "message"),
    [
        ({"name": "", "email": "x@example.org", "role": "moderator"}, "name", "Enter their name"),
        ({"name": "X", "email": "", "role": "moderator"}, "email", "Enter their email address"),
        ({"name": "X", "email": "x@example.org", "role": "boss"}, "role", "Choose a role"),
        ({"name": "X", "email": "not-an-email", "role": "moderator"}, "email", "correct format"),
        ({"name": "X", "email": "ad@example.org", "role": "moderator"}, "email", "already"),
        ({"name": "N" * 121, "email": "x@example.org", "role": "moderator"}, "name", "1 to 120"),
    ],
)
def test_a_bad_new_account_is_refused_with_the_field_named(
    db: Session,
    admin: tuple[FlaskClient, StaffUser],
    fields: dict[str, str],
    anchor: str,
    message: str,
) -> None:
    client, _ = admin

    response = client.post("/staff/users/new", data=form(client, **fields))

    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert re.search(rf'<a href="#{anchor}">[^<]*{message}', page), page
    db.rollback()
    assert len(list(db.scalars(select(StaffUser)))) == 1
    assert list(db.scalars(select(OutgoingMail))) == []


def test_changing_a_role_is_logged_and_takes_effect(
    app: Flask, db: Session, admin: tuple[FlaskClient, StaffUser]
) -> None:
    client, me = admin
    fa_client, fa = staff_client(app, db, "facilitator", "fa@example.org")
    assert fa_client.get("/staff/moderation").status_code == 403

    response = client.post(f"/staff/users/{fa.id}/role", data=form(client, role="moderator"))

    assert response.status_code == 302
    assert fa_client.get("/staff/moderation").status_code == 200
    [entry] = actions(db, "staff-role-changed")
    assert (entry.staff_id, entry.target, entry.detail) == (
        me.id,
        f"staff:{fa.id}",
        "facilitator to moderator",
    )


def test_disabling_ends_the_persons_sign_ins_and_enabling_lets_them_back(
    app: Flask, db: Session, admin: tuple[FlaskClient, StaffUser]
) -> None:
    client, _ = admin
    mo_client, mo = staff_client(app, db, "moderator", "mo@example.org")

    client.post(f"/staff/users/{mo.id}/disable", data=form(client))

    assert mo_client.get("/staff/").status_code == 302
    assert try_login(app.test_client(), mo.email, "correct horse battery staple").status_code == 400
    client.post(f"/staff/users/{mo.id}/enable", data=form(client))
    login(app.test_client(), mo.email)
    assert [len(actions(db, a)) for a in ("staff-disabled", "staff-enabled")] == [1, 1]


def test_there_is_always_an_active_admin(
    app: Flask, db: Session, admin: tuple[FlaskClient, StaffUser]
) -> None:
    client, me = admin

    demoted = client.post(
        f"/staff/users/{me.id}/role", data=form(client, role="moderator"), follow_redirects=True
    )
    own = client.post(f"/staff/users/{me.id}/disable", data=form(client), follow_redirects=True)

    assert "This is the only active admin" in demoted.get_data(as_text=True)
    assert "You cannot disable your own account" in own.get_data(as_text=True)
    db.rollback()
    user = db.get(StaffUser, me.id)
    assert user is not None and user.role.value == "admin" and user.active
    other = make_staff(db, "ad2@example.org", "admin")
    client.post(f"/staff/users/{me.id}/role", data=form(client, role="moderator"))
    db.rollback()
    assert db.get(StaffUser, me.id).role.value == "moderator"  # type: ignore[union-attr]
    assert other.active


@pytest.mark.parametrize("role", [r for r in ROLES if r != "admin"])
def test_only_admins_reach_users_and_roles(app: Flask, db: Session, role: str) -> None:
    client, me = staff_client(app, db, role)
    target = make_staff(db, "someone@example.org", "responder")

    for path in ("/staff/users", "/staff/users/new", f"/staff/users/{target.id}"):
        assert client.get(path).status_code == 403, path
    for path, data in (
        ("/staff/users/new", {"name": "X", "email": "x@example.org", "role": "admin"}),
        (f"/staff/users/{me.id}/role", {"role": "admin"}),
        (f"/staff/users/{target.id}/disable", {}),
        (f"/staff/users/{target.id}/password-link", {}),
    ):
        assert client.post(path, data=form(client, **data)).status_code == 403, path
    db.rollback()
    assert db.get(StaffUser, me.id).role.value == role  # type: ignore[union-attr]
    assert find_staff(db, "x@example.org") is None


def test_every_staff_member_reaches_their_own_account_page(app: Flask, db: Session) -> None:
    for role in ROLES:
        client, _ = staff_client(app, db, role)
        page = client.get("/staff/account")
        assert page.status_code == 200
        assert "Two-step sign-in" in page.get_data(as_text=True)


def test_changing_ones_own_password_ends_other_sign_ins_but_not_this_one(
    app: Flask, db: Session
) -> None:
    me = make_staff(db, "mo@example.org", "moderator")
    other = app.test_client()
    login(other, "mo@example.org")
    client = app.test_client()
    login(client, "mo@example.org")
    change = {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}

    wrong = client.post("/staff/account/password", data=form(client, current="nope", **change))
    weak = client.post(
        "/staff/account/password",
        data=form(client, current=PASSWORD, password="short", confirm="short"),
    )
    mismatch = client.post(
        "/staff/account/password",
        data=form(client, current=PASSWORD, password=NEW_PASSWORD, confirm="other"),
    )
    done = client.post("/staff/account/password", data=form(client, current=PASSWORD, **change))

    assert wrong.status_code == weak.status_code == mismatch.status_code == 400
    assert "Enter your current password correctly" in wrong.get_data(as_text=True)
    assert 'href="#password"' in weak.get_data(as_text=True)  # the error summary links the field
    assert "Enter the same new password twice" in mismatch.get_data(as_text=True)
    assert done.status_code == 302 and done.headers["Location"] == "/staff/account"
    assert "Your password is changed" in client.get("/staff/account").get_data(as_text=True)
    assert other.get("/staff/").status_code == 302  # signed out there
    db.rollback()
    assert verify_password(db.get(StaffUser, me.id).password_hash, NEW_PASSWORD)  # type: ignore[union-attr]
    assert len(actions(db, "password-change-failed")) == 1
    assert len(actions(db, "password-changed")) == 1
    assert try_login(app.test_client(), "mo@example.org", PASSWORD).status_code == 400
    login(app.test_client(), "mo@example.org", NEW_PASSWORD)
