"""The instance folder as `hubnet hub` commands see it: the option, the app, a session, keys.

An instance folder holds one hub's `hub.toml`, its keys and (by default) its
SQLite database. Commands build the same app the web server runs, so they read
the same configuration and refuse the same unmigrated database.
`aggregator_link` and `hub_keys` turn the settings into what a contact with
the aggregator needs, or a message saying which setting to fix.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

import click
import requests
from flask import Flask
from sqlalchemy.orm import Session

from federation.client import SubmissionClient
from federation.keys import load_public_key
from hub import DEFAULT_INSTANCE, create_app
from hub.aggregator import AggregatorAPI, AggregatorLink, user_agent
from hub.db import utcnow
from hub.keys.services import HubKeys, KeyFiles, load_hub_keys
from hubnet.config import instance_file
from hubnet.db import DatabaseNotMigrated, get_session

F = TypeVar("F", bound=Callable[..., Any])

clock: Callable[[], datetime] = utcnow
"""The time every command works with (tests replace it to move time on)."""


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


def setting(app: Flask, key: str) -> Any:
    """A required setting, or a ClickException saying where to set it."""
    value = app.config.get(key)
    if not value:
        raise click.ClickException(
            f"{key} is not set: add it to {instance_file(app, 'hub.toml')} or set HUB_{key}"
        )
    return value


def key_files(app: Flask) -> KeyFiles:
    return KeyFiles(instance_file(app, app.config["PRIVATE_KEY"]))


def hub_keys(app: Flask) -> HubKeys:
    """The hub's current, next and retired keys, or a ClickException naming the bad file."""
    files = key_files(app)
    try:
        return load_hub_keys(files)
    except (OSError, ValueError) as exc:
        raise click.ClickException(
            f"cannot use the hub's key files ({files.private}): {exc}"
        ) from exc


def aggregator_link(app: Flask) -> AggregatorLink:
    """The aggregator this hub reports to, with the pinned log key (close it when done)."""
    hub_id, url = setting(app, "HUB_ID"), setting(app, "AGGREGATOR_URL")
    path = instance_file(app, setting(app, "AGGREGATOR_PUBLIC_KEY"))
    try:
        log_key = load_public_key(path)
    except (OSError, ValueError) as exc:
        raise click.ClickException(f"cannot use AGGREGATOR_PUBLIC_KEY {path}: {exc}") from exc
    http = requests.Session()
    http.headers["User-Agent"] = user_agent(hub_id)
    return AggregatorLink(
        api=AggregatorAPI(SubmissionClient(url, http)),
        log_key=log_key,
        hub_id=hub_id,
        aud=setting(app, "AGGREGATOR_ID"),
        delivery_alert_days=float(app.config["DELIVERY_ALERT_DAYS"]),
        http=http,
    )
