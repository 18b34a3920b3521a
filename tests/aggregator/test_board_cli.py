"""`hubnet aggregator hubs set-notify-url`, `board notify` (real HTTP, 127.0.0.1), `board list`."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from flask import Flask
from sqlalchemy import select

from hubnet.db import get_session
from national_aggregator.board.cli import board_group
from national_aggregator.board.models import BoardNotification
from national_aggregator.registry.cli import hubs_group
from national_aggregator.registry.models import Hub
from tests.aggregator.board_support import record
from tests.aggregator.conftest import RegisterHub


@pytest.fixture
def runner(app: Flask, instance: Path, database_url: str) -> CliRunner:
    return CliRunner(
        env={"AGGREGATOR_INSTANCE": str(instance), "AGGREGATOR_DATABASE_URL": database_url}
    )


class NotifyServer:
    """A hub's notify endpoint: counts POSTs and their bodies, answers `status`."""

    def __init__(self, status: int = 202) -> None:
        self.status = status
        self.bodies: list[bytes] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                outer.bodies.append(self.rfile.read(length))
                self.send_response(outer.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/api/v1/board/notify"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def hub_server() -> Iterator[NotifyServer]:
    server = NotifyServer()
    yield server
    server.server.shutdown()
    server.server.server_close()


def hubs(runner: CliRunner, *args: str) -> Result:
    return runner.invoke(hubs_group, list(args))


def board(runner: CliRunner, *args: str) -> Result:
    return runner.invoke(board_group, list(args))


def notifications(app: Flask) -> list[tuple[str, int, bool, str | None]]:
    with app.app_context():
        rows = get_session().scalars(select(BoardNotification).order_by(BoardNotification.id))
        return [(r.hub_gss, r.attempts, r.delivered_at is not None, r.last_error) for r in rows]


@pytest.mark.parametrize(
    "url", ["ftp://hub.example/notify", "javascript:alert(1)", "hub.example/notify", "https://"]
)
def test_set_notify_url_takes_only_http_and_https(
    app: Flask, runner: CliRunner, register: RegisterHub, url: str
) -> None:
    register()

    result = hubs(runner, "set-notify-url", "--gss", "E08000003", "--url", url)

    assert result.exit_code == 2
    assert "http:// or https://" in result.output
    with app.app_context():
        assert get_session().get(Hub, "E08000003").notify_url is None  # type: ignore[union-attr]


def test_set_notify_url_sets_and_clears_and_names_unknown_hubs(
    app: Flask, runner: CliRunner, register: RegisterHub
) -> None:
    register()
    url = "https://manchester.example/api/v1/board/notify"

    assert hubs(runner, "set-notify-url", "--gss", "E08000003", "--url", url).exit_code == 0
    with app.app_context():
        assert get_session().get(Hub, "E08000003").notify_url == url  # type: ignore[union-attr]
    unknown = hubs(runner, "set-notify-url", "--gss", "E06000052", "--url", url)
    assert unknown.exit_code == 1 and "no hub with GSS code E06000052" in unknown.output
    assert hubs(runner, "set-notify-url", "--gss", "E08000003", "--clear").exit_code == 0
    with app.app_context():
        assert get_session().get(Hub, "E08000003").notify_url is None  # type: ignore[union-attr]


def test_a_write_pushes_once_and_notify_delivers_what_failed(
    app: Flask, runner: CliRunner, register: RegisterHub, hub_server: NotifyServer
) -> None:
    register()
    hubs(runner, "set-notify-url", "--gss", "E08000003", "--url", hub_server.url)
    hub_server.status = 503  # the hub is down when the response is recorded
    record(app)
    with app.app_context():  # what the staff page does after committing
        from national_aggregator.board.services import deliver_notifications

        deliver_notifications(get_session())
        get_session().commit()
    assert notifications(app) == [("E08000003", 1, False, "NotificationRefused: HTTP 503")]

    failed = board(runner, "notify")
    assert failed.exit_code == 1 and "Could not notify E08000003" in failed.output
    hub_server.status = 202
    result = board(runner, "notify")

    assert result.exit_code == 0 and "Notified E08000003." in result.output
    assert notifications(app) == [("E08000003", 3, True, None)]
    assert hub_server.bodies == [b"", b"", b""]  # a push carries no data
    assert board(runner, "notify").output.strip() == "Nothing to send."


def test_the_staff_form_tries_the_push_right_after_the_write(
    app: Flask, register: RegisterHub, hub_server: NotifyServer
) -> None:
    from tests.aggregator.test_board_pages import FORM, post_form, signed_in

    register()
    with app.app_context():
        get_session().get(Hub, "E08000003").notify_url = hub_server.url  # type: ignore[union-attr]
        get_session().commit()
    client = app.test_client()
    signed_in(app, client)

    assert post_form(client, "/staff/board/responses/new", FORM).status_code == 302

    assert hub_server.bodies == [b""]
    assert notifications(app) == [("E08000003", 1, True, None)]


def test_a_push_that_cannot_connect_never_fails_the_write(
    app: Flask, register: RegisterHub
) -> None:
    from tests.aggregator.test_board_pages import FORM, post_form, signed_in

    register()
    with app.app_context():
        hub = get_session().get(Hub, "E08000003")
        hub.notify_url = "http://127.0.0.1:9/api/v1/board/notify"  # type: ignore[union-attr]  # discard port
        get_session().commit()
    client = app.test_client()
    signed_in(app, client)

    assert post_form(client, "/staff/board/responses/new", FORM).status_code == 302

    [(gss, attempts, delivered, error)] = notifications(app)
    assert (gss, attempts, delivered) == ("E08000003", 1, False) and error


def test_list_prints_each_response(app: Flask, runner: CliRunner) -> None:
    assert board(runner, "list").output.strip() == "No board responses yet."
    record(app, due=date(2020, 1, 1))

    result = board(runner, "list")

    assert result.exit_code == 0
    header, line = result.output.strip().splitlines()
    assert header.startswith("response_id\tv\tperiod\ttheme")
    assert "\tAccepted\tOn track\t2020-01-01\tDirector of Primary Care\tlate" in line
