"""The `--instance` option every `hubnet aggregator` command takes, and opening that instance.

An instance folder holds `aggregator.toml`, the log key pair and, by default,
the SQLite database; `hubnet aggregator init` makes one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

import click
from flask import Flask

from hubnet.db import DatabaseNotMigrated
from national_aggregator import DEFAULT_INSTANCE, create_app
from national_aggregator.log.services import LogKeyUnavailable

F = TypeVar("F", bound=Callable[..., object])


def instance_option(command: F) -> F:
    """Add `--instance DIR` (or $AGGREGATOR_INSTANCE) to a command."""
    return click.option(
        "--instance",
        type=click.Path(file_okay=False, path_type=Path),
        envvar="AGGREGATOR_INSTANCE",
        default=DEFAULT_INSTANCE,
        show_default=True,
        help="The aggregator's instance folder (config, log key, SQLite database). "
        "Also read from $AGGREGATOR_INSTANCE.",
    )(command)


def load_app(instance: Path) -> Flask:
    """The instance's app, or a command-line error saying how to make it ready."""
    try:
        return create_app({"INSTANCE_PATH": str(instance)})
    except (DatabaseNotMigrated, LogKeyUnavailable) as exc:
        raise click.ClickException(str(exc)) from exc


@contextmanager
def open_instance(instance: Path) -> Iterator[Flask]:
    """The instance's app inside an app context, for one command's work."""
    app = load_app(instance)
    try:
        with app.app_context():
            yield app
    finally:
        app.extensions["hubnet.engine"].dispose()
