"""Two-step sign-in for the national team: a QR code and a code to set it up, a code to sign in.

The secret is stored sealed with a key from the aggregator's SECRET_KEY (a
database copy alone gives no codes), a code is never accepted twice, five
wrong codes start the sign-in again, wrong codes count towards the sign-in
rate limit, and an admin (or `hubnet aggregator staff reset-totp`) can turn
it off for someone who lost their phone.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from hubnet import totp
from hubnet.db import get_session
from national_aggregator.staff.auth import SESSION_KEY
from national_aggregator.staff.cli import staff_group
from national_aggregator.staff.models import Role, StaffAction, StaffUser
from national_aggregator.staff.services import (
    check_totp,
    seal_totp_secret,
    unseal_totp_secret,
)
from national_aggregator.staff.views import PENDING_KEY
from tests.aggregator.conftest import row_counts
from tests.aggregator.test_staff_users import (
    PASSWORD,
    actions,
    form,
    make_staff,
    post,
    sign_in,
    signed_in,
    user,
)

SECRET_KEY = "test"  # the app fixture's


def code_for(secret: str, *, offset_steps: int = 0) -> str:
    return totp.code_at(secret, time.time() + offset_steps * totp.INTERVAL)


def shown_secret(client: FlaskClient) -> str:
    page = client.get("/staff/account").get_data(as_text=True)
    key = re.search(r'<code class="nat-break" id="totp-key">([A-Z2-7 ]+)</code>', page)
    assert key, page
    return key[1].replace(" ", "")


def enrol(client: FlaskClient) -> str:
    """Set up two-step sign-in through the pages; returns the secret the page showed."""
    assert post(client, "/staff/account/totp/start").status_code == 302
    secret = shown_secret(client)
    confirmed = post(client, "/staff/account/totp/confirm", code=code_for(secret, offset_steps=-1))
    assert confirmed.status_code == 302, confirmed.get_data(as_text=True)
    return secret


def with_totp(app: Flask, email: str = "sec@example.org") -> tuple[int, str]:
    """A board secretary with two-step sign-in on (signed in elsewhere); their id and secret."""
    client, staff_id = signed_in(app, email, Role.BOARD_SECRETARY)
    return staff_id, enrol(client)


# -- the secret at rest ------------------------------------------------------------------


def test_a_sealed_secret_opens_only_with_the_same_key_and_person(app: Flask) -> None:
    ann_id = make_staff(app, "ann@example.org", Role.ANALYST)
    bob_id = make_staff(app, "bob@example.org", Role.ANALYST)
    ann, bob = user(app, ann_id), user(app, bob_id)
    secret = totp.new_secret()

    sealed = seal_totp_secret(secret, ann, SECRET_KEY)

    assert secret not in sealed
    assert unseal_totp_secret(sealed, ann, SECRET_KEY) == secret
    with pytest.raises(totp.TotpUnreadable):
        unseal_totp_secret(sealed, ann, "another secret key")
    with pytest.raises(totp.TotpUnreadable):
        unseal_totp_secret(sealed, bob, SECRET_KEY)  # copied onto someone else's row
    with pytest.raises(totp.TotpUnreadable):  # the hub's label: the apps' keys differ
        totp.unseal(sealed, secret_key=SECRET_KEY, info=b"hubnet hub staff TOTP secret v1",
                    associated=f"staff_user:{ann_id}".encode())  # fmt: skip


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


def test_setting_up_shows_a_qr_code_and_turns_on_with_a_right_code(app: Flask) -> None:
    client, staff_id = signed_in(app, "ana@example.org", Role.ANALYST)
    assert post(client, "/staff/account/totp/start").status_code == 302

    page = client.get("/staff/account").get_data(as_text=True)

    assert 'src="data:image/svg+xml' in page
    assert 'alt="QR code to add hubnet national to an authenticator app"' in page
    assert 'autocomplete="one-time-code"' in page and 'inputmode="numeric"' in page
    wrong = post(client, "/staff/account/totp/confirm", code="000000")
    assert wrong.status_code == 400
    assert "The code is not right" in wrong.get_data(as_text=True)
    assert '<a href="#code">' in wrong.get_data(as_text=True)
    assert not user(app, staff_id).totp_enabled

    secret = shown_secret(client)
    right = post(client, "/staff/account/totp/confirm", code=code_for(secret))

    assert right.status_code == 302
    stored = user(app, staff_id)
    assert stored.totp_enabled and stored.totp_secret is not None
    assert secret not in stored.totp_secret
    assert [a[0] for a in actions(app, "totp-enabled")] == [staff_id]
    with app.app_context():
        log = " ".join(f"{a.target} {a.detail}" for a in get_session().scalars(select(StaffAction)))
    assert secret not in log
    assert "Two-step sign-in is on" in client.get("/staff/account").get_data(as_text=True)


def test_a_code_that_is_not_a_code_is_refused_with_a_clear_message(app: Flask) -> None:
    client, staff_id = signed_in(app, "ana@example.org", Role.ANALYST)
    post(client, "/staff/account/totp/start")
    before = row_counts(app)

    response = post(client, "/staff/account/totp/confirm", code="12ab")

    assert response.status_code == 400
    assert "Enter the 6-digit code from your authenticator app" in response.get_data(as_text=True)
    assert not user(app, staff_id).totp_enabled
    assert row_counts(app) == before


def test_it_cannot_be_set_up_again_while_on(app: Flask) -> None:
    client, staff_id = signed_in(app, "ana@example.org", Role.ANALYST)
    enrol(client)
    before = user(app, staff_id).totp_secret

    response = post(client, "/staff/account/totp/start")

    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Not done: Two-step sign-in is already on." in page
    assert user(app, staff_id).totp_secret == before


def test_turning_it_off_needs_a_current_code(app: Flask) -> None:
    client, staff_id = signed_in(app, "ana@example.org", Role.ANALYST)
    secret = enrol(client)

    refused = post(client, "/staff/account/totp/disable", code="123456")
    assert refused.status_code == 400
    assert '<a href="#code">' in refused.get_data(as_text=True)
    assert user(app, staff_id).totp_enabled

    done = post(client, "/staff/account/totp/disable", code=code_for(secret))
    assert done.status_code == 302
    assert not user(app, staff_id).totp_enabled
    assert user(app, staff_id).totp_secret is None
    assert len(actions(app, "totp-disabled")) == 1


# -- signing in with it ------------------------------------------------------------------


def test_signing_in_asks_for_the_code_after_the_password(app: Flask) -> None:
    staff_id, secret = with_totp(app)
    client = app.test_client()

    response = client.post(
        "/staff/login",
        data=form(client, email="sec@example.org", password=PASSWORD, next="/staff/account"),
    )

    assert response.status_code == 302 and response.headers["Location"] == "/staff/login/code"
    with client.session_transaction() as session:
        assert SESSION_KEY not in session  # not signed in yet
    assert client.get("/staff/").status_code == 302
    page = client.get("/staff/login/code").get_data(as_text=True)
    assert '<label class="nhsuk-label" for="code">Code</label>' in page

    done = post(client, "/staff/login/code", code=code_for(secret, offset_steps=1))

    assert done.status_code == 302 and done.headers["Location"] == "/staff/account"
    assert client.get("/staff/").status_code == 200
    assert [a[0] for a in actions(app, "login-password-ok")][-1] == staff_id
    assert user(app, staff_id).last_login_at is not None


def test_a_code_is_not_accepted_twice(app: Flask) -> None:
    _staff_id, secret = with_totp(app)
    code = code_for(secret, offset_steps=1)
    first = app.test_client()
    sign_in(first, "sec@example.org")
    assert post(first, "/staff/login/code", code=code).status_code == 302

    second = app.test_client()
    sign_in(second, "sec@example.org")
    replay = post(second, "/staff/login/code", code=code)

    assert replay.status_code == 400
    assert "Enter the current 6-digit code" in replay.get_data(as_text=True)
    assert len(actions(app, "totp-failed")) == 1
    assert second.get("/staff/").status_code == 302


def test_check_totp_never_takes_an_earlier_code_after_a_later_one(app: Flask) -> None:
    staff_id, secret = with_totp(app)  # enrolled with the code of the step before now
    with app.app_context():
        db = get_session()
        person = db.get(StaffUser, staff_id)
        assert person is not None
        assert check_totp(db, person, code_for(secret, offset_steps=1), secret_key=SECRET_KEY)
        assert not check_totp(db, person, code_for(secret), secret_key=SECRET_KEY)
        assert not check_totp(db, person, code_for(secret), secret_key="another key")
        db.rollback()


def test_five_wrong_codes_start_the_sign_in_again(app: Flask) -> None:
    _staff_id, _secret = with_totp(app)
    client = app.test_client()
    sign_in(client, "sec@example.org")

    for _ in range(4):
        assert post(client, "/staff/login/code", code="000000").status_code == 400
    fifth = post(client, "/staff/login/code", code="000000")

    assert fifth.status_code == 302 and fifth.headers["Location"] == "/staff/login"
    with client.session_transaction() as session:
        assert PENDING_KEY not in session
    assert client.get("/staff/login/code").headers["Location"] == "/staff/login"
    assert len(actions(app, "totp-failed")) == 5


def test_an_old_copy_of_the_cookie_buys_no_more_tries(app: Flask) -> None:
    _staff_id, _secret = with_totp(app)
    client = app.test_client()
    sign_in(client, "sec@example.org")
    with client.session_transaction() as session:
        kept = dict(session)

    for _ in range(4):
        post(client, "/staff/login/code", code="000000")
    with client.session_transaction() as session:
        session.update(kept)
    fifth = post(client, "/staff/login/code", code="000000")

    assert fifth.status_code == 302 and fifth.headers["Location"] == "/staff/login"


def test_the_code_step_expires(app: Flask) -> None:
    _staff_id, secret = with_totp(app)
    client = app.test_client()
    sign_in(client, "sec@example.org")
    with client.session_transaction() as session:
        session[PENDING_KEY] = {**session[PENDING_KEY], "at": int(time.time()) - 301}

    response = post(client, "/staff/login/code", code=code_for(secret))

    assert response.status_code == 302 and response.headers["Location"] == "/staff/login"
    assert client.get("/staff/").status_code == 302


def test_a_wrong_password_never_reaches_the_code_step(app: Flask) -> None:
    with_totp(app)
    client = app.test_client()

    response = sign_in(client, "sec@example.org", "not the password at all")

    assert response.status_code == 400
    with client.session_transaction() as session:
        assert PENDING_KEY not in session
    assert client.get("/staff/login/code").headers["Location"] == "/staff/login"


def test_an_account_disabled_between_the_steps_cannot_finish(app: Flask) -> None:
    staff_id, secret = with_totp(app)
    client = app.test_client()
    sign_in(client, "sec@example.org")
    admin, _ = signed_in(app, "root@example.org", Role.ADMIN)
    post(admin, f"/staff/users/{staff_id}/disable")

    response = post(client, "/staff/login/code", code=code_for(secret, offset_steps=1))

    assert response.status_code == 302 and response.headers["Location"] == "/staff/login"
    assert client.get("/staff/").status_code == 302


@pytest.mark.parametrize("app_config", [{"NATIONAL_STAFF_LOGIN_RATE_LIMIT": "4 per 15 minutes"}])
def test_wrong_codes_count_towards_the_sign_in_limit(app: Flask) -> None:
    with_totp(app)
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = "192.0.2.9"
    sign_in(client, "sec@example.org")  # a right password: not counted

    statuses = [post(client, "/staff/login/code", code="000000").status_code for _ in range(5)]

    assert statuses == [400, 400, 400, 400, 429]
    assert len(actions(app, "totp-failed")) == 4  # past the limit nothing is checked


@pytest.mark.parametrize("app_config", [{"NATIONAL_STAFF_LOGIN_RATE_LIMIT": "2 per 15 minutes"}])
@pytest.mark.parametrize("step", ["confirm", "disable"])
def test_wrong_codes_from_a_signed_in_browser_are_limited_too(app: Flask, step: str) -> None:
    client, _ = signed_in(app, "ana@example.org", Role.ANALYST)
    if step == "confirm":
        post(client, "/staff/account/totp/start")
    else:
        enrol(client)

    statuses = [post(client, f"/staff/account/totp/{step}", code="000000").status_code
                for _ in range(3)]  # fmt: skip

    assert statuses == [400, 400, 429]


# -- recovery ----------------------------------------------------------------------------


def test_an_admin_turns_it_off_for_someone_who_lost_their_phone(app: Flask) -> None:
    staff_id, _secret = with_totp(app)
    admin, admin_id = signed_in(app, "root@example.org", Role.ADMIN)

    page = admin.get(f"/staff/users/{staff_id}").get_data(as_text=True)
    assert "Turn off two-step sign-in" in page
    response = post(admin, f"/staff/users/{staff_id}/totp-reset")

    assert response.status_code == 302
    assert not user(app, staff_id).totp_enabled and user(app, staff_id).totp_secret is None
    assert [(a[0], a[1]) for a in actions(app, "totp-reset")] == [(admin_id, f"staff:{staff_id}")]
    assert sign_in(app.test_client(), "sec@example.org").headers["Location"] == "/staff/"


def test_only_an_admin_may_reset_someone_elses_two_step_sign_in(app: Flask) -> None:
    staff_id, _secret = with_totp(app)
    other, _ = signed_in(app, "other@example.org", Role.BOARD_SECRETARY)
    before = row_counts(app)

    assert post(other, f"/staff/users/{staff_id}/totp-reset").status_code == 403
    assert user(app, staff_id).totp_enabled
    assert row_counts(app) == before


def test_the_command_line_turns_it_off_too(app: Flask, instance: Path, database_url: str) -> None:
    staff_id, _secret = with_totp(app)
    runner = CliRunner(
        env={"AGGREGATOR_INSTANCE": str(instance), "AGGREGATOR_DATABASE_URL": database_url}
    )

    listed = runner.invoke(staff_group, ["list"])
    done = runner.invoke(staff_group, ["reset-totp", "--email", "SEC@example.org"])
    again = runner.invoke(staff_group, ["reset-totp", "--email", "sec@example.org"])
    unknown = runner.invoke(staff_group, ["reset-totp", "--email", "nobody@example.org"])

    assert "(two-step sign-in)" in listed.output
    assert done.exit_code == 0 and "Two-step sign-in is off for sec@example.org" in done.output
    assert not user(app, staff_id).totp_enabled
    assert actions(app, "totp-reset") == [(None, f"staff:{staff_id}", "")]
    assert again.exit_code == 0 and "did not have two-step sign-in" in again.output
    assert unknown.exit_code != 0 and "no staff account" in unknown.output
