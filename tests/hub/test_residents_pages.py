"""Your part, accounts and following, through the pages, with email to a real SMTP server.

The app here sends its mail to an aiosmtpd server started by the test
(`hub.mail.sink.MailSink`): the links a person follows are read out of the
emails that server received.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from hub import create_app
from hub.gather import moderation
from hub.gather.events import record_event
from hub.gather.models import Contribution, Participant, Stage, Status
from hub.gather.services import support_contribution
from hub.limits import limit_of
from hub.mail import send_pending
from hub.mail.sink import MailSink, body_text
from hub.residents.links import issue_private_link
from hub.residents.models import Account, Follow
from tests.hub.conftest import HUB_ID, person, raise_item
from tests.hub.staff_helpers import form, make_staff

PASSWORD = "a long enough password"


@pytest.fixture
def sink(tmp_path: Path) -> Iterator[MailSink]:
    with MailSink(tmp_path / "mail") as running:
        yield running


@pytest.fixture
def app(database_url: str, tmp_path: Path, sink: MailSink) -> Iterator[Flask]:
    app = create_app(
        {
            "TESTING": True,
            "INSTANCE_PATH": str(tmp_path / "instance"),
            "DATABASE_URL": database_url,
            "SECRET_KEY": "test-secret",
            "HUB_ID": HUB_ID,
            "HUB_NAME": "Manchester",
            "SESSION_COOKIE_SECURE": False,
            "RATE_LIMITS_ENABLED": False,
            "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": sink.port,
            "SMTP_STARTTLS": False,
            "PUBLIC_URL": "https://hub.example",
        }
    )
    yield app
    app.extensions["hubnet.engine"].dispose()


def as_participant(client: FlaskClient, who: Participant) -> FlaskClient:
    with client.session_transaction() as session:
        session["participant_id"] = who.id
    return client


def text(response: Any) -> str:
    return str(response.get_data(as_text=True))


def link_in(message: EmailMessage, path: str) -> str:
    """The path of the first https://hub.example<path>… link in an email."""
    found = re.search(rf"https://hub\.example({re.escape(path)}\S*)", body_text(message))
    assert found, body_text(message)
    return found[1]


def post(client: FlaskClient, url: str, **fields: str) -> Any:
    """POST a form, then end the response the way a WSGI server does (mail is sent then)."""
    response = client.post(url, data=form(client, **fields))
    response.close()
    return response


def register(client: FlaskClient, email: str, password: str = PASSWORD) -> Any:
    return post(client, "/account/register", email=email, password=password)


def sign_in(client: FlaskClient, email: str, password: str = PASSWORD) -> Any:
    return post(client, "/account/sign-in", email=email, password=password)


def confirmed_client(
    app: Flask, sink: MailSink, email: str, who: Participant | None = None
) -> FlaskClient:
    """A browser that registered (as `who`, if given), confirmed by email, and signed in."""
    client = app.test_client()
    if who is not None:
        as_participant(client, who)
    before = len(sink.messages())
    assert register(client, email).status_code == 302
    message = sink.wait_for(before + 1)[-1]
    assert client.get(link_in(message, "/account/confirm/")).status_code == 200
    assert sign_in(client, email).status_code == 302
    return client


# -- your part without an account ---------------------------------------------------------


def test_your_part_shows_what_this_browser_raised_with_its_status(app: Flask, db: Session) -> None:
    me = person(db)
    raise_item(db, me, title="Waiting item", publish=False)
    raise_item(db, me, title="Shown item")
    raise_item(db, person(db), title="Someone else's item")
    db.commit()
    client = as_participant(app.test_client(), me)

    page = client.get("/your-part")

    assert page.status_code == 200
    body = text(page)
    assert "Waiting item" in body and "Waiting for a moderator" in body
    assert "Shown item" in body and "Published" in body
    assert "Someone else&#39;s item" not in body and "Someone else's item" not in body
    assert page.headers["Cache-Control"] == "no-store"
    empty = app.test_client().get("/your-part")
    assert "Nothing you have raised is linked to this browser" in text(empty)


def test_a_private_link_opens_your_part_anywhere_and_a_wrong_one_does_not(
    app: Flask, db: Session
) -> None:
    me = person(db)
    raise_item(db, me, title="Raised on my phone")
    path = issue_private_link(db, me)
    db.commit()

    page = app.test_client().get(path)  # a different browser

    assert page.status_code == 200 and "Raised on my phone" in text(page)
    assert page.headers["Referrer-Policy"] == "no-referrer"
    assert f'href="{path}/download"' in text(page)  # every link keeps the private link
    wrong = app.test_client().get("/your-part/" + "x" * 43)
    assert wrong.status_code == 404 and "This link does not work" in text(wrong)


def test_a_rejected_item_says_which_value_it_broke(app: Flask, db: Session) -> None:
    me = person(db)
    staff = make_staff(db, "mod@example.org", "moderator")
    item = raise_item(db, me, publish=False, title="Dr Smith was rude")
    moderation.reject_contribution(db, item, staff, "no-personal-details", "Leave out the name")
    db.commit()

    body = text(as_participant(app.test_client(), me).get("/your-part"))

    assert "Not published" in body
    assert "No personal details of others" in body
    assert "Do not name or describe other people" in body
    assert "Leave out the name" in body


def test_changing_an_item_through_the_page(app: Flask, db: Session) -> None:
    me = person(db)
    item = raise_item(db, me)
    theirs = raise_item(db, person(db), title="Not mine")
    db.commit()
    client = as_participant(app.test_client(), me)
    url = f"/your-part/items/{item.id}/change"

    assert 'value="Cannot get an appointment"' in text(client.get(url))
    bad = client.post(url, data=form(client, title="No", body="Long enough text here"))
    assert bad.status_code == 400
    assert "There is a problem" in text(bad) and 'href="#title"' in text(bad)
    done = client.post(url, data=form(client, title="A better title", body="Long enough text here"))
    assert done.status_code == 302 and done.headers["Location"] == "/your-part"
    assert client.get(f"/your-part/items/{theirs.id}/change").status_code == 404

    db.expire_all()
    changed = db.get(Contribution, item.id)
    assert changed is not None
    assert (changed.title, changed.status) == ("A better title", Status.PENDING)  # pre-moderation


def test_deleting_an_item_asks_first(app: Flask, db: Session) -> None:
    me = person(db)
    item = raise_item(db, me, title="Delete me")
    db.commit()
    client = as_participant(app.test_client(), me)
    url = f"/your-part/items/{item.id}/delete"

    assert "Are you sure you want to delete “Delete me”?" in text(client.get(url))
    assert db.get(Contribution, item.id) is not None
    item_id = item.id
    assert client.post(url, data=form(client)).status_code == 302
    db.expire_all()
    assert db.get(Contribution, item_id) is None


def test_download_is_a_json_file_of_everything_about_you(app: Flask, db: Session) -> None:
    me = person(db)
    me.age_band = "25-34"
    raise_item(db, me, title="In my download")
    path = issue_private_link(db, me)
    db.commit()

    response = app.test_client().get(f"{path}/download")

    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.headers["Content-Disposition"].startswith('attachment; filename="your-data-')
    data = json.loads(response.get_data())
    assert data["you"]["participant_id"] == me.id
    assert data["you"]["about_you"]["age_band"]["answer"] == "25-34"
    assert [item["title"] for item in data["raised"]] == ["In my download"]


def test_deleting_all_your_data_through_the_page(app: Flask, db: Session, sink: MailSink) -> None:
    me = person(db)
    raise_item(db, me, title="Mine to delete")
    other = raise_item(db, person(db), title="Theirs")
    support_contribution(db, contribution_id=other.id, participant=me)
    db.commit()
    client = confirmed_client(app, sink, "me@example.org", who=me)
    me_id = me.id

    confirm = client.get("/your-part/delete")
    assert confirm.status_code == 200
    assert "me@example.org" in text(confirm) and "This cannot be undone" in text(confirm)
    done = client.post("/your-part/delete", data=form(client))
    assert done.status_code == 302 and done.headers["Location"] == "/your-part/deleted"

    db.expire_all()
    assert db.get(Participant, me_id) is None
    assert db.scalar(select(Account)) is None
    assert "Nothing you have raised" in text(client.get("/your-part"))  # this browser forgot them
    assert sign_in(client, "me@example.org").status_code == 400  # the account is gone


# -- accounts -------------------------------------------------------------------------------


def test_register_confirm_and_sign_in_by_email(app: Flask, db: Session, sink: MailSink) -> None:
    me = person(db)
    raise_item(db, me, title="Before my account")
    db.commit()
    client = as_participant(app.test_client(), me)

    response = register(client, "Sam@Example.org")

    assert response.status_code == 302
    assert response.headers["Location"] == "/account/check-your-email?sent=register"
    (message,) = sink.wait_for(1)
    assert message["To"] == "sam@example.org"
    assert "Confirm your email address" in message["Subject"]
    account = db.scalar(select(Account))
    assert account is not None and account.participant_id == me.id and not account.confirmed
    confirm = link_in(message, "/account/confirm/")
    assert "Email address confirmed" in text(client.get(confirm))
    assert client.get(confirm).status_code == 404  # a link works once

    elsewhere = app.test_client()  # another device: the account brings its participant
    bad = sign_in(elsewhere, "sam@example.org", "wrong password!!")
    assert bad.status_code == 400 and "Enter a correct email address and password" in text(bad)
    assert sign_in(elsewhere, "sam@example.org").status_code == 302
    page = text(elsewhere.get("/your-part"))
    assert "Before my account" in page and "sam@example.org" in page


def test_registering_a_taken_address_looks_the_same_and_tells_its_owner(
    app: Flask, db: Session, sink: MailSink
) -> None:
    confirmed_client(app, sink, "taken@example.org")
    stranger = app.test_client()

    response = register(stranger, "taken@example.org", "a different password")

    assert response.headers["Location"] == "/account/check-your-email?sent=register"
    message = sink.wait_for(2)[-1]
    assert message["To"] == "taken@example.org"
    assert "There already is one" in body_text(message)
    assert len(db.scalars(select(Account)).all()) == 1


def test_sign_out_ends_the_sign_in_on_the_server(app: Flask, sink: MailSink) -> None:
    client = confirmed_client(app, sink, "out@example.org")
    with client.session_transaction() as session:
        kept = dict(session)
    assert client.post("/account/sign-out", data=form(client)).status_code == 302
    assert "out@example.org" not in text(client.get("/your-part"))

    replay = app.test_client()
    with replay.session_transaction() as session:
        session.update(kept)  # a copy of the signed-in cookie
    assert "out@example.org" not in text(replay.get("/your-part"))


def test_password_reset_by_email(app: Flask, db: Session, sink: MailSink) -> None:
    confirmed_client(app, sink, "forgot@example.org")
    client = app.test_client()

    asked = post(client, "/account/reset", email="forgot@example.org")
    nobody = post(client, "/account/reset", email="nobody@example.org")

    assert asked.headers["Location"] == nobody.headers["Location"]  # says nothing either way
    message = sink.wait_for(2)[-1]
    assert message["To"] == "forgot@example.org"
    reset = link_in(message, "/account/reset/")
    short = client.post(reset, data=form(client, password="short"))
    assert short.status_code == 400 and "at least 12 characters" in text(short)
    assert client.post(reset, data=form(client, password="my new long password")).status_code == 302
    assert client.get(reset).status_code == 404  # used
    assert sign_in(client, "forgot@example.org").status_code == 400
    assert sign_in(client, "forgot@example.org", "my new long password").status_code == 302
    assert len(sink.messages()) == 2  # nothing was sent to the unknown address


def test_account_forms_are_rate_limited(app: Flask) -> None:
    views = app.view_functions
    for endpoint in ("register", "reset_request", "reset_password", "resend_confirmation"):
        assert limit_of(views[f"residents.{endpoint}"]) == "account", endpoint
    assert limit_of(views["residents.sign_in"]) == "login"


# -- following and status emails ---------------------------------------------------------


def test_follow_needs_a_confirmed_account(app: Flask, db: Session, sink: MailSink) -> None:
    item = raise_item(db, person(db))
    db.commit()
    anonymous = app.test_client()
    response = anonymous.post(f"/contributions/{item.id}/follow", data=form(anonymous))
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/account/sign-in?next=")

    unconfirmed = app.test_client()
    register(unconfirmed, "new@example.org")
    sink.wait_for(1)
    sign_in(unconfirmed, "new@example.org")
    unconfirmed.post(f"/contributions/{item.id}/follow", data=form(unconfirmed))
    assert db.scalar(select(Follow)) is None


def test_followers_and_the_author_are_emailed_when_the_stage_changes(
    app: Flask, db: Session, sink: MailSink
) -> None:
    author = person(db)
    db.commit()
    author_client = confirmed_client(app, sink, "author@example.org", who=author)
    staff = make_staff(db, "mod@example.org", "moderator")
    item = raise_item(db, author, title="Longer GP opening hours", publish=False)
    moderation.publish_contribution(db, item, staff)
    db.commit()
    send_pending(app)  # no request ran: the timer's `hubnet hub mail send` does this
    published = sink.wait_for(2)[-1]  # the author follows their own item from the start
    assert published["To"] == "author@example.org"
    assert "Published" in published["Subject"]

    reader = confirmed_client(app, sink, "reader@example.org")
    assert post(reader, f"/contributions/{item.id}/follow").status_code == 302
    record_event(
        db,
        item,
        "status",
        stage=Stage.CHANGE_PLANNED,
        note="Evening surgeries from May.",
        staff=staff,
    )
    db.commit()
    send_pending(app)

    updates = [m for m in sink.wait_for(5) if "Change planned" in str(m["Subject"])]
    assert sorted(str(m["To"]) for m in updates) == ["author@example.org", "reader@example.org"]
    to_reader = next(m for m in updates if m["To"] == "reader@example.org")
    words = body_text(to_reader)
    assert "Longer GP opening hours" in words and "Evening surgeries from May." in words
    assert f"https://hub.example/contributions/{item.id}" in words

    unfollow = link_in(to_reader, "/unfollow/")
    anyone = app.test_client()  # the link works without signing in
    assert "Stop following “Longer GP opening hours”?" in text(anyone.get(unfollow))
    assert anyone.post(unfollow, data=form(anyone)).status_code == 200
    follows = db.scalars(select(Follow)).all()
    assert [f.account.email for f in follows] == ["author@example.org"]
    assert author_client.get("/your-part").status_code == 200

    # The same link is the mail program's own "Unsubscribe" button (RFC 8058): it POSTs
    # "List-Unsubscribe=One-Click" with no cookie and no form token.
    to_author = next(m for m in updates if m["To"] == "author@example.org")
    header = str(to_author["List-Unsubscribe"]).strip()  # a long header is folded
    assert header == f"<https://hub.example{link_in(to_author, '/unfollow/')}>"
    assert to_author["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    mail_program = app.test_client()
    one_click = mail_program.post(
        header.strip("<>").removeprefix("https://hub.example"),
        data={"List-Unsubscribe": "One-Click"},
    )
    assert one_click.status_code == 200
    db.rollback()
    assert db.scalars(select(Follow)).all() == []
    forged = mail_program.post(f"/unfollow/{'x' * 40}", data={"List-Unsubscribe": "One-Click"})
    assert forged.status_code == 404  # a token this hub did not sign stops nothing


@pytest.mark.parametrize("removed", [False, True], ids=["rejected", "removed"])
def test_the_author_is_told_which_value_a_rejection_broke(
    app: Flask, db: Session, sink: MailSink, removed: bool
) -> None:
    author = person(db)
    db.commit()
    confirmed_client(app, sink, "author@example.org", who=author)
    staff = make_staff(db, "mod@example.org", "moderator")
    item = raise_item(db, author, title="About my neighbour", publish=removed)
    value, note = "no-personal-details", "Please leave out names."
    if removed:
        moderation.remove(db, item, staff, value, note)
    else:
        moderation.reject_contribution(db, item, staff, value, note)
    db.commit()
    send_pending(app)

    # the confirmation link, "published" (for the removed one), then the notice; nobody else
    messages = sink.wait_for(3 if removed else 2)
    notice = messages[-1]
    assert notice["To"] == "author@example.org"
    assert ("was taken down" if removed else "was not published") in notice["Subject"]
    assert len(messages) == (3 if removed else 2)
    words = body_text(notice)
    assert "No personal details of others" in words
    assert "Do not name or describe other people" in words
    assert "Please leave out names." in words
    assert "https://hub.example/your-part" in words
