"""Two-step sign-in: setting it up with a QR code and a code, signing in with it, and recovery.

The secret is stored sealed with a key from SECRET_KEY (a database copy alone
gives no codes), a code is never accepted twice, five wrong codes start the
sign-in again, and an admin (or `hubnet hub staff reset-totp`) can turn it off
for someone who lost their phone.
"""

from __future__ import annotations

import re
import time

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.staff import totp
from hub.staff.auth import PENDING_KEY, SESSION_KEY
from hub.staff.models import StaffAction, StaffUser
from tests.hub.staff_helpers import form, login, make_staff, staff_client, try_login

SECRET_KEY = "test-secret"  # the app fixture's


def actions(db: Session, action: str) -> list[StaffAction]:
    db.rollback()  # see what the app committed
    return list(db.scalars(select(StaffAction).where(StaffAction.action == action)))


def code_for(secret: str, *, offset_steps: int = 0) -> str:
    return totp.code_at(secret, time.time() + offset_steps * totp.INTERVAL)


def enrol(client: FlaskClient) -> str:
    """Set up two-step sign-in through the pages; returns the secret the page showed."""
    started = client.post("/staff/account/totp/start", data=form(client))
    assert started.status_code == 302
    page = client.get("/staff/account").get_data(as_text=True)
    key = re.search(r'<code class="hub-break" id="totp-key">([A-Z2-7 ]+)</code>', page)
    assert key, page
    secret = key[1].replace(" ", "")
    confirmed = client.post(
        "/staff/account/totp/confirm", data=form(client, code=code_for(secret, offset_steps=-1))
    )
    assert confirmed.status_code == 302, confirmed.get_data(as_text=True)
    return secret


def with_totp(app: Flask, db: Session, email: str = "mo@example.org") -> tuple[StaffUser, str]:
    client, staff = staff_client(app, db, "moderator", email)
    secret = enrol(client)
    return staff, secret


# -- the secret at rest ------------------------------------------------------------------


def test_a_sealed_secret_opens_only_with_the_same_key_and_person(db: Session) -> None:
    ann = make_staff(db, "ann@example.org", "moderator")
    bob = make_staff(db, "bob@example.org", "moderator")
    secret = totp.new_secret()

    sealed = totp.seal(secret, ann, SECRET_KEY)

    assert secret not in sealed
    assert totp.unseal(sealed, ann, SECRET_KEY) == secret
    with pytest.raises(totp.TotpUnreadable):
        totp.unseal(sealed, ann, "another secret key")
    with pytest.raises(totp.TotpUnreadable):
        totp.unseal(sealed, bob, SECRET_KEY)  # copied onto someone else's row


def test_codes_within_one_step_either_side_are_accepted_and_never_twice() -> None:
    secret = totp.new_secret()
    now = 1_800_000_000.0
    here = totp.current_step(now)

    for offset in (-1, 0, 1):
        code = totp.code_at(secret, now + offset * totp.INTERVAL)
        assert totp.matching_step(secret, code, after=None, now=now) == here + offset
    assert totp.matching_step(secret, totp.code_at(secret, now - 90), after=None, now=now) is None
    code = totp.code_at(secret, now)
    assert totp.matching_step(secret, code, after=here, now=now) is None  # already used
    assert totp.matching_step(secret, code[:3] + " " + code[3:], after=None, now=now) == here
    assert totp.matching_step(secret, "12345", after=None, now=now) is None
    assert totp.matching_step(secret, "١٢٣٤٥٦", after=None, now=now) is None  # not ASCII digits


# -- setting it up -----------------------------------------------------------------------


def test_setting_up_shows_a_qr_code_and_turns_on_with_a_right_code(app: Flask, db: Session) -> None:
    client, staff = staff_client(app, db, "facilitator", "fa@example.org")
    client.post("/staff/account/totp/start", data=form(client))

    page = client.get("/staff/account").get_data(as_text=True)

    assert 'src="data:image/svg+xml' in page
    assert 'alt="QR code to add Manchester to an authenticator app"' in page
    assert 'autocomplete="one-time-code"' in page
    wrong = client.post("/staff/account/totp/confirm", data=form(client, code="000000"))
    assert wrong.status_code == 400
    assert "The code is not right" in wrong.get_data(as_text=True)
    db.rollback()
    assert db.get(StaffUser, staff.id).totp_enabled is False  # type: ignore[union-attr]

    secret = re.search(r'id="totp-key">([A-Z2-7 ]+)<', page)[1].replace(" ", "")  # type: ignore[index]
    right = client.post("/staff/account/totp/confirm", data=form(client, code=code_for(secret)))

    assert right.status_code == 302
    db.rollback()
    stored = db.get(StaffUser, staff.id)
    assert stored is not None and stored.totp_enabled
    assert stored.totp_secret is not None and secret not in stored.totp_secret
    assert [a.staff_id for a in actions(db, "totp-enabled")] == [staff.id]
    log = " ".join(f"{a.target} {a.detail}" for a in db.scalars(select(StaffAction)))
    assert secret not in log
    assert "Two-step sign-in is on" in client.get("/staff/account").get_data(as_text=True)


def test_it_cannot_be_set_up_again_while_on(app: Flask, db: Session) -> None:
    client, staff = staff_client(app, db, "moderator", "mo@example.org")
    enrol(client)
    db.rollback()
    before = db.get(StaffUser, staff.id).totp_secret  # type: ignore[union-attr]

    response = client.post("/staff/account/totp/start", data=form(client), follow_redirects=True)

    assert "Two-step sign-in is already on" in response.get_data(as_text=True)
    db.rollback()
    assert db.get(StaffUser, staff.id).totp_secret == before  # type: ignore[union-attr]


def test_turning_it_off_needs_a_current_code(app: Flask, db: Session) -> None:
    client, staff = staff_client(app, db, "moderator", "mo@example.org")
    secret = enrol(client)

    refused = client.post("/staff/account/totp/disable", data=form(client, code="123456"))
    assert refused.status_code == 400
    assert '<a href="#off-code">' in refused.get_data(as_text=True)

    done = client.post("/staff/account/totp/disable", data=form(client, code=code_for(secret)))
    assert done.status_code == 302
    db.rollback()
    assert db.get(StaffUser, staff.id).totp_enabled is False  # type: ignore[union-attr]
    assert len(actions(db, "totp-disabled")) == 1


# -- signing in with it ------------------------------------------------------------------


def test_signing_in_asks_for_the_code_after_the_password(app: Flask, db: Session) -> None:
    staff, secret = with_totp(app, db)
    client = app.test_client()

    response = login(client, staff.email, next="/staff/quotes")

    assert response.headers["Location"] == "/staff/login/code"
    with client.session_transaction() as session:
        assert SESSION_KEY not in session  # not signed in yet
    assert client.get("/staff/").status_code == 302
    page = client.get("/staff/login/code").get_data(as_text=True)
    assert '<label class="nhsuk-label" for="code">Code</label>' in page

    done = client.post(
        "/staff/login/code", data=form(client, code=code_for(secret, offset_steps=1))
    )

    assert done.status_code == 302 and done.headers["Location"] == "/staff/quotes"
    assert client.get("/staff/").status_code == 200
    assert [a.staff_id for a in actions(db, "login-password-ok")][-1] == staff.id


def test_a_code_is_not_accepted_twice(app: Flask, db: Session) -> None:
    staff, secret = with_totp(app, db)
    code = code_for(secret, offset_steps=1)
    first = app.test_client()
    login(first, staff.email)
    assert first.post("/staff/login/code", data=form(first, code=code)).status_code == 302

    second = app.test_client()
    login(second, staff.email)
    replay = second.post("/staff/login/code", data=form(second, code=code))

    assert replay.status_code == 400
    assert "Enter the current 6-digit code" in replay.get_data(as_text=True)
    assert len(actions(db, "totp-failed")) == 1


def test_five_wrong_codes_start_the_sign_in_again(app: Flask, db: Session) -> None:
    staff, _secret = with_totp(app, db)
    client = app.test_client()
    login(client, staff.email)

    for _ in range(4):
        assert client.post("/staff/login/code", data=form(client, code="000000")).status_code == 400
    fifth = client.post("/staff/login/code", data=form(client, code="000000"))

    assert fifth.status_code == 302 and fifth.headers["Location"] == "/staff/login"
    with client.session_transaction() as session:
        assert PENDING_KEY not in session
    assert client.get("/staff/login/code").headers["Location"] == "/staff/login"
    assert len(actions(db, "totp-failed")) == 5


def test_an_old_copy_of_the_cookie_buys_no_more_tries(app: Flask, db: Session) -> None:
    staff, _secret = with_totp(app, db)
    client = app.test_client()
    login(client, staff.email)
    with client.session_transaction() as session:
        kept = dict(session)

    for _ in range(4):
        client.post("/staff/login/code", data=form(client, code="000000"))
    with client.session_transaction() as session:
        session.update(kept)
    fifth = client.post("/staff/login/code", data=form(client, code="000000"))

    assert fifth.status_code == 302 and fifth.headers["Location"] == "/staff/login"


def test_the_code_step_expires(app: Flask, db: Session) -> None:
    staff, secret = with_totp(app, db)
    client = app.test_client()
    login(client, staff.email)
    with client.session_transaction() as session:
        session[PENDING_KEY] = {**session[PENDING_KEY], "at": int(time.time()) - 301}

    response = client.post("/staff/login/code", data=form(client, code=code_for(secret)))

    assert response.status_code == 302 and response.headers["Location"] == "/staff/login"
    assert client.get("/staff/").status_code == 302


def test_a_wrong_password_never_reaches_the_code_step(app: Flask, db: Session) -> None:
    staff, _secret = with_totp(app, db)
    client = app.test_client()

    response = try_login(client, staff.email, "not the password at all")

    assert response.status_code == 400
    with client.session_transaction() as session:
        assert PENDING_KEY not in session


# -- recovery ----------------------------------------------------------------------------


def test_an_admin_turns_it_off_for_someone_who_lost_their_phone(app: Flask, db: Session) -> None:
    staff, _secret = with_totp(app, db)
    admin, admin_user = staff_client(app, db, "admin", "ad@example.org")

    page = admin.get(f"/staff/users/{staff.id}").get_data(as_text=True)
    assert "Turn off two-step sign-in" in page
    response = admin.post(f"/staff/users/{staff.id}/totp-reset", data=form(admin))

    assert response.status_code == 302
    db.rollback()
    assert db.get(StaffUser, staff.id).totp_enabled is False  # type: ignore[union-attr]
    [entry] = actions(db, "totp-reset")
    assert (entry.staff_id, entry.target) == (admin_user.id, f"staff:{staff.id}")
    client = app.test_client()
    assert login(client, staff.email).headers["Location"] == "/staff/"  # password alone now


def test_a_moderator_cannot_reset_someone_elses_two_step_sign_in(app: Flask, db: Session) -> None:
    staff, _secret = with_totp(app, db)
    other, _ = staff_client(app, db, "moderator", "other@example.org")

    assert other.post(f"/staff/users/{staff.id}/totp-reset", data=form(other)).status_code == 403
    db.rollback()
    assert db.get(StaffUser, staff.id).totp_enabled  # type: ignore[union-attr]


def test_every_form_that_checks_a_password_or_code_is_rate_limited(app: Flask) -> None:
    from hub.limits import limit_of

    expected = {
        "staff.login_submit": "login",
        "staff.login_code_submit": "login",
        "staff.totp_confirm": "login",
        "staff.totp_disable": "login",
        "staff.set_password_submit": "account",
    }
    assert {name: limit_of(app.view_functions[name]) for name in expected} == expected


def test_wrong_codes_count_towards_the_sign_in_limit(app: Flask, db: Session) -> None:
    staff, _secret = with_totp(app, db)
    app.config["RATE_LIMIT_LOGIN"] = "3 per 15 minutes"
    client = app.test_client()
    login(client, staff.email)

    statuses = [
        client.post("/staff/login/code", data=form(client, code="000000")).status_code
        for _ in range(4)
    ]

    assert statuses == [400, 400, 400, 429]
