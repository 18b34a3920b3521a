"""The instance folder as `hubnet hub` commands see it: the option, the app, a session.

An instance folder holds one hub's `hub.toml`, its keys and (by default) its
SQLite database. Commands build the same app the web server runs, so they read
the same configuration and refuse the same unmigrated database.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import click
from flask import Flask
from sqlalchemy.orm import Session

from hub import DEFAULT_INSTANCE, create_app
from hubnet.db import DatabaseNotMigrated, get_session

F = TypeVar("F", bound=Callable[..., Any])


def instance_option(command: F) -> F:
    """`--instance DIR` (or HUB_INSTANCE), shared by every hub command."""
    return click.option(
        "--instance",
        type=click.Path(file_okay=False, path_type=Path),
        envvar="HUB_INSTANCE",
        default=DEFAULT_INSTANCE,
        show_default=True,
        help="The hub's instance folder: hub.toml, keys and the SQLite database.",
    )(command)


def load_app(instance: Path) -> Flask:
    """The hub app for this instance, or a ClickException saying how to fix the set-up."""
    if not instance.is_dir():
        raise click.ClickException(
            f"{instance} is not a hub instance folder; create one with `hubnet hub init --instance "
            f"{instance} …` or point --instance (or HUB_INSTANCE) at an existing one"
        )
    try:
        return create_app({"INSTANCE_PATH": str(instance)})
    except (DatabaseNotMigrated, RuntimeError) as exc:
        raise click.ClickException(str(exc)) from exc


@contextmanager
def app_session(instance: Path) -> Iterator[tuple[Flask, Session]]:
    """The app and a database session inside its app context; the caller commits."""
    app = load_app(instance)
    try:
        with app.app_context():
            yield app, get_session()
    finally:
        app.extensions["hubnet.engine"].dispose()
