"""Staff sign-in: Argon2id, no user enumeration, session rotation, no open redirect, sign-out."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from argon2 import PasswordHasher
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.csrf import FIELD
from hub.staff.auth import BAD_SIGN_IN, SESSION_KEY, safe_next
from hub.staff.models import StaffAction, StaffSession, StaffUser
from hub.staff.passwords import verify_password
from hub.staff.services import StaffAccountError, add_staff
from tests.hub.staff_helpers import (
    PASSWORD,
    form,
    login,
    logout,
    make_staff,
    page_token,
    try_login,
)


def actions(db: Session, action: str) -> list[StaffAction]:
    db.rollback()  # see what the app committed
    return list(db.scalars(select(StaffAction).where(StaffAction.action == action)))


def test_the_sign_in_form_has_labelled_inputs_and_a_csrf_token(client: FlaskClient) -> None:
    page = client.get("/staff/login").get_data(as_text=True)

    ids = re.findall(r'<(?:input|select|textarea)(?![^>]*type="hidden")[^>]*\bid="([^"]+)"', page)
    assert ids == ["email", "password"]
    for field_id in ids:
        assert f'<label for="{field_id}"' in page
    assert 'type="password"' in page
    assert page_token(page)


def test_passwords_are_stored_as_argon2id_hashes(db: Session) -> None:
    staff = make_staff(db, "mo@example.org", "moderator")

    assert staff.password_hash.startswith("$argon2id$")
    assert PASSWORD not in staff.password_hash
    assert verify_password(staff.password_hash, PASSWORD)
    assert not verify_password(staff.password_hash, PASSWORD + "!")


def test_a_weakly_hashed_password_is_upgraded_at_sign_in(client: FlaskClient, db: Session) -> None:
    staff = make_staff(db, "mo@example.org", "moderator")
    weak = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash(PASSWORD)
    staff.password_hash = weak
    db.commit()

    login(client, "mo@example.org")

    db.rollback()
    upgraded = db.get(StaffUser, staff.id)
    assert upgraded is not None
    assert upgraded.password_hash != weak and upgraded.password_hash.startswith("$argon2id$")
    assert "m=65536" in upgraded.password_hash


@pytest.mark.parametrize(
    ("email", "password", "problem"),
    [
        ("not-an-email", PASSWORD, "email address in the correct format"),
        ("a@example.org", "short", "at least 12 characters"),
        ("long.address@example.org", "long.address@example.org", "not your email address"),
    ],
)
def test_accounts_refuse_bad_emails_and_weak_passwords(
    db: Session, email: str, password: str, problem: str
) -> None:
    with pytest.raises(StaffAccountError, match=problem):
        add_staff(db, email=email, name="A", role="moderator", password=password)


def test_signing_in_goes_to_the_staff_home_and_is_logged(client: FlaskClient, db: Session) -> None:
    staff = make_staff(db, "Mo@Example.org", "moderator", name="Mo Khan")

    response = login(client, "  mo@EXAMPLE.org ")

    assert response.headers["Location"] == "/staff/"
    home = client.get("/staff/")
    assert home.status_code == 200
    assert "Signed in as Mo Khan (moderator)" in home.get_data(as_text=True)
    assert home.headers["Cache-Control"] == "no-store"
    [entry] = actions(db, "login")
    assert entry.staff_id == staff.id


def test_a_wrong_password_and_an_unknown_address_get_the_same_answer(
    client: FlaskClient, db: Session
) -> None:
    make_staff(db, "mo@example.org", "moderator")

    wrong_password = try_login(client, "mo@example.org", "not the password at all")
    unknown = try_login(client, "nobody@example.org", "not the password at all")

    for response in (wrong_password, unknown):
        assert response.status_code == 400
        page = response.get_data(as_text=True)
        assert BAD_SIGN_IN in page
        assert "There is a problem" in page
        assert "<title>Error: " in page
    strip = re.compile(r'name="csrf_token" value="[^"]+"|value="[^"]*@example.org"')
    assert strip.sub("", wrong_password.get_data(as_text=True)) == strip.sub(
        "", unknown.get_data(as_text=True)
    )
    with client.session_transaction() as session:
        assert SESSION_KEY not in session
    assert len(actions(db, "login-failed")) == 2


def test_a_disabled_account_cannot_sign_in(client: FlaskClient, db: Session) -> None:
    staff = make_staff(db, "mo@example.org", "moderator")
    staff.active = False
    db.commit()

    response = try_login(client, "mo@example.org", PASSWORD)

    assert response.status_code == 400
    assert BAD_SIGN_IN in response.get_data(as_text=True)


def test_empty_fields_are_named_in_the_error_summary(client: FlaskClient) -> None:
    response = try_login(client, "", "")

    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert '<a href="#email">Enter your email address</a>' in page
    assert '<a href="#password">Enter your password</a>' in page


def test_signing_in_without_the_csrf_token_is_refused(client: FlaskClient, db: Session) -> None:
    make_staff(db, "mo@example.org", "moderator")
    client.get("/staff/login")

    response = client.post("/staff/login", data={"email": "mo@example.org", "password": PASSWORD})

    assert response.status_code == 400
    assert "Your form could not be sent" in response.get_data(as_text=True)
    assert actions(db, "login") == []


def test_signing_in_rotates_the_session(client: FlaskClient, db: Session) -> None:
    """Nothing from before signing in survives it, the CSRF token included (session fixation)."""
    make_staff(db, "mo@example.org", "moderator")
    with client.session_transaction() as session:
        session["planted"] = "by someone else"
    before = page_token(client.get("/staff/login").get_data(as_text=True))

    login(client, "mo@example.org")

    with client.session_transaction() as session:
        assert "planted" not in session
        assert session.get(FIELD) != before
        assert isinstance(session[SESSION_KEY], str)
    refused = client.post("/staff/logout", data={FIELD: before})
    assert refused.status_code == 400  # the old token no longer works
    assert client.get("/staff/").status_code == 200


def test_the_cookie_holds_a_token_whose_hash_alone_is_stored(
    client: FlaskClient, db: Session
) -> None:
    make_staff(db, "mo@example.org", "moderator")
    login(client, "mo@example.org")
    with client.session_transaction() as session:
        token = session[SESSION_KEY]

    db.rollback()
    [row] = db.scalars(select(StaffSession))
    assert token not in row.token_hash and len(row.token_hash) == 64


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/staff/",
        "//evil.example/staff/",
        "/\\evil.example",
        "\\\\evil.example",
        "/\t/evil.example",
        "javascript:alert(1)",
        "http:/evil.example",
        "staff/quotes",
        "",
    ],
)
def test_sign_in_never_redirects_off_the_hub(client: FlaskClient, db: Session, target: str) -> None:
    make_staff(db, "mo@example.org", "moderator")

    response = login(client, "mo@example.org", next=target)

    assert response.headers["Location"] == "/staff/"
    assert safe_next(target) is None


def test_sign_in_returns_to_the_page_asked_for(client: FlaskClient, db: Session) -> None:
    make_staff(db, "mo@example.org", "moderator")

    asked = client.get("/staff/quotes?x=1")
    assert asked.status_code == 302
    location = asked.headers["Location"]
    assert location.startswith("/staff/login?next=")
    login_page = client.get(location).get_data(as_text=True)
    assert 'name="next" value="/staff/quotes?x=1"' in login_page

    response = login(client, "mo@example.org", next="/staff/quotes?x=1")

    assert response.headers["Location"] == "/staff/quotes?x=1"


def test_the_login_page_drops_an_unsafe_next(client: FlaskClient) -> None:
    page = client.get("/staff/login?next=//evil.example").get_data(as_text=True)

    assert "evil.example" not in page


def test_signing_out_ends_the_sign_in_on_the_server(client: FlaskClient, db: Session) -> None:
    """A copy of the cookie kept from before signing out opens nothing afterwards."""
    staff = make_staff(db, "mo@example.org", "moderator")
    login(client, "mo@example.org")
    with client.session_transaction() as session:
        kept = dict(session)

    response = logout(client)

    assert response.status_code == 302 and response.headers["Location"] == "/staff/login"
    assert "You have signed out." in client.get("/staff/login").get_data(as_text=True)
    with client.session_transaction() as session:
        session.update(kept)
    assert client.get("/staff/").status_code == 302
    [entry] = actions(db, "logout")
    assert entry.staff_id == staff.id


def test_signing_out_needs_a_post_with_the_csrf_token(client: FlaskClient, db: Session) -> None:
    make_staff(db, "mo@example.org", "moderator")
    login(client, "mo@example.org")

    assert client.get("/staff/logout").status_code == 405
    assert client.post("/staff/logout").status_code == 400
    assert client.get("/staff/").status_code == 200


def test_a_sign_in_ends_after_the_configured_hours(client: FlaskClient, db: Session) -> None:
    make_staff(db, "mo@example.org", "moderator")
    login(client, "mo@example.org")
    db.rollback()
    [row] = db.scalars(select(StaffSession))
    row.created_at -= timedelta(hours=8, minutes=1)
    db.commit()

    response = client.get("/staff/")

    assert response.status_code == 302
    assert response.headers["Location"].startswith("/staff/login")


def test_disabling_an_account_ends_its_sign_ins(client: FlaskClient, db: Session) -> None:
    staff = make_staff(db, "mo@example.org", "moderator")
    login(client, "mo@example.org")
    staff.active = False
    db.commit()

    assert client.get("/staff/").status_code == 302


def test_a_signed_in_person_visiting_the_login_page_goes_on(
    client: FlaskClient, db: Session
) -> None:
    make_staff(db, "mo@example.org", "moderator")
    login(client, "mo@example.org")

    response = client.get("/staff/login?next=/staff/quotes")

    assert response.status_code == 302 and response.headers["Location"] == "/staff/quotes"


def test_public_pages_are_unaffected_by_staff_sign_in(app: Flask, client: FlaskClient) -> None:
    assert client.get("/").status_code == 200
    assert "Signed in as" not in client.get("/").get_data(as_text=True)
    assert form(client)[FIELD]


def test_admins_see_the_staff_activity_log(app: Flask, db: Session) -> None:
    make_staff(db, "mo@example.org", "moderator")
    admin = make_staff(db, "ad@example.org", "admin")
    mo_client = app.test_client()
    try_login(mo_client, "mo@example.org", "wrong password, twelve+")
    client = app.test_client()
    login(client, admin.email)

    page = client.get("/staff/actions").get_data(as_text=True)

    assert '<caption class="nhsuk-table__caption">Staff actions, newest first</caption>' in page
    for action in ("staff-added", "login-failed", "login"):
        assert f'<td class="nhsuk-table__cell">{action}</td>' in page
    assert "ad@example.org" in page
