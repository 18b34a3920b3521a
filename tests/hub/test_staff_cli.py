"""`hubnet hub staff add|list`: the password comes from a prompt (twice) or stdin, never argv."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner, Result
from sqlalchemy import select

from hub import create_app
from hub.cli import hub_group
from hub.staff.models import StaffAction, StaffUser
from hub.staff.passwords import verify_password
from hubnet.db import get_session

PASSWORD = "a long enough passphrase"


def staff_cli(*args: str, stdin: str | None = None) -> Result:
    return CliRunner().invoke(hub_group, ["staff", *args], input=stdin)


def add(instance: Path, *extra: str, stdin: str) -> Result:
    return staff_cli(
        "add", "--instance", str(instance), "--email", "Ann@Example.org", "--name", "Ann Lee",
        "--role", "moderator", *extra, stdin=stdin,
    )  # fmt: skip


def stored(instance: Path) -> tuple[list[StaffUser], list[StaffAction]]:
    app = create_app({"INSTANCE_PATH": str(instance)})
    try:
        with app.app_context():
            db = get_session()
            return list(db.scalars(select(StaffUser))), list(db.scalars(select(StaffAction)))
    finally:
        app.extensions["hubnet.engine"].dispose()


def test_add_asks_for_the_password_twice(instance: Path) -> None:
    result = add(instance, stdin=f"{PASSWORD}\n{PASSWORD}\n")

    assert result.exit_code == 0, result.output
    assert "Added moderator Ann Lee <ann@example.org>" in result.output
    assert PASSWORD not in result.output
    [staff], [action] = stored(instance)
    assert staff.email == "ann@example.org" and staff.role.value == "moderator"
    assert staff.password_hash.startswith("$argon2id$")
    assert verify_password(staff.password_hash, PASSWORD)
    assert (action.action, action.staff_id, action.target) == ("staff-added", None, "staff:1")


def test_add_refuses_passwords_that_do_not_match(instance: Path) -> None:
    result = add(instance, stdin=f"{PASSWORD}\nsomething else entirely\n" * 2)

    assert result.exit_code != 0
    assert stored(instance) == ([], [])


def test_add_reads_the_password_from_stdin(instance: Path) -> None:
    result = add(instance, "--password-stdin", stdin=f"{PASSWORD}\n")

    assert result.exit_code == 0, result.output
    [staff], _ = stored(instance)
    assert verify_password(staff.password_hash, PASSWORD)


def test_add_refuses_a_short_password_and_a_second_account(instance: Path) -> None:
    short = add(instance, "--password-stdin", stdin="short\n")
    assert short.exit_code == 1
    assert "at least 12 characters" in short.output

    assert add(instance, "--password-stdin", stdin=f"{PASSWORD}\n").exit_code == 0
    again = add(instance, "--password-stdin", stdin=f"{PASSWORD}\n")
    assert again.exit_code == 1
    assert "already a staff account for ann@example.org" in again.output


def test_add_refuses_an_unknown_role(instance: Path) -> None:
    result = staff_cli(
        "add", "--instance", str(instance), "--email", "a@example.org", "--name", "A",
        "--role", "superuser", "--password-stdin", stdin=f"{PASSWORD}\n",
    )  # fmt: skip

    assert result.exit_code == 2
    assert "superuser" in result.output


def test_list_shows_accounts_and_roles(instance: Path) -> None:
    add(instance, "--password-stdin", stdin=f"{PASSWORD}\n")

    result = staff_cli("list", "--instance", str(instance))

    assert result.exit_code == 0, result.output
    assert "ann@example.org" in result.output
    assert "moderator" in result.output
    assert "last sign-in never" in result.output
    assert "$argon2" not in result.output


def test_reset_totp_turns_off_two_step_sign_in(instance: Path) -> None:
    from hub.staff import totp
    from hub.staff.services import confirm_totp, find_staff, start_totp

    add(instance, "--password-stdin", stdin=f"{PASSWORD}\n")
    app = create_app({"INSTANCE_PATH": str(instance)})
    try:
        with app.app_context():
            db = get_session()
            staff = find_staff(db, "ann@example.org")
            assert staff is not None
            key = app.config["SECRET_KEY"]
            secret = start_totp(db, staff, secret_key=key)
            confirm_totp(db, staff, totp.code_at(secret, totp.time.time()), secret_key=key)
            db.commit()
    finally:
        app.extensions["hubnet.engine"].dispose()
    assert "(two-step sign-in)" in staff_cli("list", "--instance", str(instance)).output

    result = staff_cli("reset-totp", "--instance", str(instance), "--email", "ANN@example.org")

    assert result.exit_code == 0, result.output
    assert "Two-step sign-in is off for ann@example.org" in result.output
    [staff], actions = stored(instance)
    assert staff.totp_secret is None and not staff.totp_enabled
    assert [(a.action, a.staff_id) for a in actions][-1] == ("totp-reset", None)
    again = staff_cli("reset-totp", "--instance", str(instance), "--email", "ann@example.org")
    assert "did not have two-step sign-in on" in again.output
    unknown = staff_cli("reset-totp", "--instance", str(instance), "--email", "x@example.org")
    assert unknown.exit_code == 1
