"""`hubnet aggregator staff …`: accounts made from the command line, links that work once."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from flask import Flask
from flask.testing import FlaskClient

from hubnet.db import get_session
from national_aggregator import staff as staff_feature
from national_aggregator.staff.cli import staff_group
from national_aggregator.staff.models import Role
from national_aggregator.staff.services import find_staff

PASSWORD = "correct horse battery"


@pytest.fixture
def app(app: Flask) -> Flask:
    if "staff" not in app.blueprints:
        staff_feature.init_app(app)
    return app


@pytest.fixture
def runner(app: Flask, instance: Path, database_url: str) -> CliRunner:
    return CliRunner(
        env={"AGGREGATOR_INSTANCE": str(instance), "AGGREGATOR_DATABASE_URL": database_url}
    )


def staff(runner: CliRunner, *args: str, stdin: str | None = None) -> Result:
    return runner.invoke(staff_group, list(args), input=stdin)


def csrf(client: FlaskClient, path: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).get_data(as_text=True))
    assert match
    return match.group(1)


def test_add_prints_a_one_time_link_that_sets_the_password(
    runner: CliRunner, client: FlaskClient
) -> None:
    result = staff(runner, "add", "--email", "Sec@Example.org", "--name", "Sam Secretary",
                   "--role", "board-secretary", "--url", "https://national.example/")  # fmt: skip

    assert result.exit_code == 0, result.output
    assert "Added board secretary Sam Secretary <sec@example.org>." in result.output
    link = re.search(r"https://national\.example(/staff/set-password/\S+)", result.output)
    assert link, result.output
    path = link.group(1)
    form = {"csrf_token": csrf(client, path), "password": PASSWORD, "confirm": PASSWORD}
    assert client.post(path, data=form).headers["Location"] == "/staff/login"
    signed_in = client.post(
        "/staff/login",
        data={"csrf_token": csrf(client, "/staff/login"), "email": "sec@example.org",
              "password": PASSWORD},
    )  # fmt: skip
    assert signed_in.headers["Location"] == "/staff/"


def test_add_reads_a_password_from_stdin_and_never_prints_it(app: Flask, runner: CliRunner) -> None:
    result = staff(runner, "add", "--email", "ana@example.org", "--name", "Ana",
                   "--role", "analyst", "--password-stdin", stdin=PASSWORD + "\n")  # fmt: skip

    assert result.exit_code == 0, result.output
    assert PASSWORD not in result.output and "set-password" not in result.output
    with app.app_context():
        person = find_staff(get_session(), "ana@example.org")
        assert person is not None and person.role is Role.ANALYST and person.has_password


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (["--email", "not-an-email", "--name", "A", "--role", "admin"], None, "correct format"),
        (["--email", "a@example.org", "--name", " ", "--role", "admin"], None, "1 to 120"),
        (["--email", "a@example.org", "--name", "A", "--role", "admin", "--password-stdin"],
         "short\n", "at least 12 characters"),
        (["--email", "a@example.org", "--name", "A", "--role", "chair"], None, "chair"),
    ],
)  # fmt: skip
def test_add_refuses_bad_input_and_stores_nothing(
    app: Flask, runner: CliRunner, args: list[str], stdin: str | None, message: str
) -> None:
    result = staff(runner, "add", *args, stdin=stdin)

    assert result.exit_code != 0
    assert message in result.output
    with app.app_context():
        assert find_staff(get_session(), "a@example.org") is None


def test_a_second_account_for_one_email_is_refused(runner: CliRunner) -> None:
    first = ["add", "--email", "a@example.org", "--name", "A", "--role", "admin"]
    assert staff(runner, *first).exit_code == 0

    again = staff(runner, *first)

    assert again.exit_code != 0
    assert "already a staff account for a@example.org" in again.output


def test_link_replaces_the_old_link_and_list_shows_each_account(
    runner: CliRunner, client: FlaskClient
) -> None:
    added = staff(runner, "add", "--email", "a@example.org", "--name", "Ann", "--role", "admin")
    old = re.search(r"(/staff/set-password/\S+)", added.output)
    assert old

    renewed = staff(runner, "link", "--email", "A@example.org")
    listed = staff(runner, "list")

    assert renewed.exit_code == 0 and "http://127.0.0.1:8100/staff/set-password/" in renewed.output
    assert client.get(old.group(1)).status_code == 404
    assert re.search(r"a@example\.org\s+admin\s+last sign-in never\s+Ann  \(no password yet\)",
                     listed.output)  # fmt: skip
    assert staff(runner, "link", "--email", "nobody@example.org").exit_code != 0


def test_disable_and_enable(runner: CliRunner) -> None:
    staff(runner, "add", "--email", "a@example.org", "--name", "Ann", "--role", "analyst")

    off = staff(runner, "disable", "--email", "a@example.org")
    again = staff(runner, "disable", "--email", "a@example.org")
    link = staff(runner, "link", "--email", "a@example.org")
    on = staff(runner, "enable", "--email", "a@example.org")

    assert "a@example.org is disabled" in off.output
    assert "already was" in again.output
    assert link.exit_code != 0 and "disabled" in link.output
    assert "a@example.org is enabled" in on.output
    assert "(disabled)" not in staff(runner, "list").output
