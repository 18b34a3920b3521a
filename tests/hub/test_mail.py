"""The mail outbox: queued in the caller's transaction, sent to a real SMTP server, retried.

Every test that sends uses a real aiosmtpd server on 127.0.0.1 (`hub.mail.sink`),
so what is checked is what an SMTP server actually received.
"""

from __future__ import annotations

import smtplib
import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from hub import create_app
from hub.db import utcnow
from hub.mail.models import OutgoingMail
from hub.mail.services import backoff, mail_status, queue_mail, send_pending
from hub.mail.sink import MailSink, body_text, free_port, read_folder
from hubnet.db import get_session
from tests.hub.conftest import HUB_ID, hubnet_hub


def make_app(database_url: str, tmp_path: Path, **settings: Any) -> Flask:
    return create_app(
        {
            "TESTING": True,
            "INSTANCE_PATH": str(tmp_path / "instance"),
            "DATABASE_URL": database_url,
            "SECRET_KEY": "test-secret",
            "HUB_ID": HUB_ID,
            "HUB_NAME": "Manchester",
            "SMTP_STARTTLS": False,
            "MAIL_FROM": "Manchester hub <hub@manchester.example>",
            **settings,
        }
    )


@pytest.fixture
def sink(tmp_path: Path) -> Iterator[MailSink]:
    with MailSink(tmp_path / "mail") as running:
        yield running


@pytest.fixture
def mail_app(database_url: str, tmp_path: Path, sink: MailSink) -> Iterator[Flask]:
    app = make_app(database_url, tmp_path, SMTP_HOST="127.0.0.1", SMTP_PORT=sink.port)
    yield app
    app.extensions["hubnet.engine"].dispose()


def queue(app: Flask, *messages: tuple[str, str, str]) -> None:
    with app.app_context():
        db = get_session()
        for to, subject, text in messages:
            queue_mail(db, to=to, subject=subject, text=text)
        db.commit()


def rows(app: Flask) -> list[OutgoingMail]:
    with app.app_context():
        return list(get_session().scalars(select(OutgoingMail).order_by(OutgoingMail.id)))


def test_queued_mail_is_sent_to_the_smtp_server_once(mail_app: Flask, sink: MailSink) -> None:
    queue(
        mail_app,
        ("sam@example.org", "Update on\nyour item", "It is now: change planned.\n"),
        ("kim@example.org", "Hello", "Second message.\n"),
    )

    report = send_pending(mail_app)

    assert (report.configured, report.sent, report.retrying, report.failed) == (True, 2, 0, 0)
    first, second = sink.wait_for(2)
    assert first["To"] == "sam@example.org"
    assert first["From"] == "Manchester hub <hub@manchester.example>"
    assert first["Subject"] == "Update on your item"  # a newline never reaches a header
    assert body_text(first) == "It is now: change planned.\n"
    assert first["List-Unsubscribe"] is None  # only emails about a followed item have one
    assert second["To"] == "kim@example.org"
    assert all(row.sent_at is not None for row in rows(mail_app))
    assert send_pending(mail_app).sent == 0  # nothing is sent twice
    assert len(sink.messages()) == 2


def test_a_rolled_back_transaction_queues_nothing(mail_app: Flask) -> None:
    with mail_app.app_context():
        db = get_session()
        queue_mail(db, to="sam@example.org", subject="Never", text="Rolled back.")
        db.rollback()
    assert rows(mail_app) == []


def test_when_the_server_is_down_mail_stays_queued_and_backs_off(
    database_url: str, tmp_path: Path
) -> None:
    port = free_port()  # nothing listens here yet
    app = make_app(
        database_url,
        tmp_path,
        SMTP_HOST="127.0.0.1",
        SMTP_PORT=port,
        MAIL_RETRY_BASE_SECONDS=60,
        MAIL_MAX_ATTEMPTS=3,
    )
    queue(app, ("sam@example.org", "Hello", "Body.\n"))
    now = utcnow()

    report = send_pending(app, now=now)

    assert (report.sent, report.retrying, report.failed) == (0, 1, 0)
    assert report.error is not None
    (row,) = rows(app)
    assert (row.attempts, row.sent_at, row.failed_at) == (1, None, None)
    assert row.next_attempt_at == now + timedelta(seconds=60)
    assert send_pending(app, now=now + timedelta(seconds=30)).retrying == 0  # not due yet

    send_pending(app, now=now + timedelta(seconds=61))
    (row,) = rows(app)
    assert row.attempts == 2
    assert row.next_attempt_at == now + timedelta(seconds=61 + 120)  # doubled

    with MailSink(tmp_path / "late", port=port) as late:  # the server is back
        report = send_pending(app, now=now + timedelta(seconds=200))
        assert report.sent == 1
        (message,) = late.wait_for(1)
    assert message["To"] == "sam@example.org"
    app.extensions["hubnet.engine"].dispose()


def test_mail_is_given_up_after_the_last_attempt(database_url: str, tmp_path: Path) -> None:
    app = make_app(
        database_url, tmp_path, SMTP_HOST="127.0.0.1", SMTP_PORT=free_port(), MAIL_MAX_ATTEMPTS=2
    )
    queue(app, ("sam@example.org", "Hello", "Body.\n"))
    now = utcnow()
    send_pending(app, now=now)
    report = send_pending(app, now=now + timedelta(hours=1))
    assert report.failed == 1
    (row,) = rows(app)
    assert row.state == "failed" and row.last_error
    with app.app_context():
        status = mail_status(get_session(), app.config)
    assert (status.queued, status.failed) == (0, 1)
    app.extensions["hubnet.engine"].dispose()


def test_backoff_doubles_up_to_the_cap(app: Flask) -> None:
    config = {"MAIL_RETRY_BASE_SECONDS": 60, "MAIL_RETRY_CAP_SECONDS": 300}
    assert [backoff(config, n).total_seconds() for n in (1, 2, 3, 4)] == [60, 120, 240, 300]


def test_without_smtp_host_nothing_is_sent_and_the_status_says_so(app: Flask) -> None:
    queue(app, ("sam@example.org", "Hello", "Body.\n"))
    assert not send_pending(app).configured
    with app.app_context():
        status = mail_status(get_session(), app.config)
    assert (status.configured, status.queued) == (False, 1)
    assert status.oldest_queued_at is not None


def test_mail_queued_by_a_request_is_sent_when_the_response_ends(
    mail_app: Flask, sink: MailSink
) -> None:
    @mail_app.post("/test-queue-mail")
    def _queue() -> str:
        db = get_session()
        queue_mail(db, to="sam@example.org", subject="From a request", text="Sent after.\n")
        db.commit()
        return "queued"

    client = mail_app.test_client()
    with client.session_transaction() as session:
        session["csrf_token"] = "t"
    response = client.post("/test-queue-mail", data={"csrf_token": "t"})
    assert response.status_code == 200
    response.close()
    (message,) = sink.wait_for(1)
    assert message["Subject"] == "From a request"


def test_cli_lists_and_sends_the_queue(
    instance: Path, sink: MailSink, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = create_app({"INSTANCE_PATH": str(instance)})
    queue(app, ("sam@example.org", "Listed", "Body.\n"))
    app.extensions["hubnet.engine"].dispose()

    unset = hubnet_hub("mail", "send", "--instance", str(instance))
    assert unset.exit_code == 1 and "SMTP_HOST is not set" in unset.output
    listed = hubnet_hub("mail", "list", "--instance", str(instance))
    assert listed.exit_code == 0, listed.output
    assert "1 queued" in listed.output and "sam@example.org" in listed.output

    monkeypatch.setenv("HUB_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("HUB_SMTP_PORT", str(sink.port))
    monkeypatch.setenv("HUB_SMTP_STARTTLS", "false")
    sent = hubnet_hub("mail", "send", "--instance", str(instance))
    assert sent.exit_code == 0, sent.output
    assert "Sent 1" in sent.output
    (message,) = sink.wait_for(1)
    assert message["Subject"] == "Listed"


def test_the_mail_sink_command_keeps_each_message_as_a_file(tmp_path: Path) -> None:
    port = free_port()
    folder = tmp_path / "sink"
    process = subprocess.Popen(
        [sys.executable, "-m", "hubnet", "mail-sink", "--port", str(port), "--dir", str(folder)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        assert "listening on 127.0.0.1:" in process.stdout.readline()
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = "a@x.example", "b@y.example", "Hi"
        message.set_content("Hello.")
        with smtplib.SMTP("127.0.0.1", port, timeout=10) as smtp:
            smtp.send_message(message)
        line = process.stdout.readline()
        assert "to b@y.example: Hi" in line
    finally:
        process.terminate()
        process.wait(timeout=10)
    (saved,) = read_folder(folder)
    assert saved["Subject"] == "Hi" and body_text(saved) == "Hello.\n"
