"""Hub fixtures: a migrated database, the app on it, test clients, a session; CLI instances."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from federation.keys import load_public_key, save_public_key
from hub import create_app
from hub import instance as hub_instance
from hub.cli import hub_group
from hub.db import MIGRATIONS
from hub.gather.models import Contribution, Participant
from hub.gather.services import get_or_create_participant, raise_contribution
from hubnet.db import get_session
from tests.conftest import DatabaseFactory, MigratedDatabaseFactory
from tests.hub.fake_aggregator import Answer, FakeAggregator

HUB_ID = "E08000003"
AUDIENCE = "hubnet-test-national"


@pytest.fixture
def database_url(make_migrated_database_url: MigratedDatabaseFactory) -> str:
    return make_migrated_database_url("hub", MIGRATIONS)


@pytest.fixture
def app(database_url: str, tmp_path: Path) -> Iterator[Flask]:
    app = create_app(
        {
            "TESTING": True,
            "INSTANCE_PATH": str(tmp_path / "instance"),
            "DATABASE_URL": database_url,
            "SECRET_KEY": "test-secret",
            "HUB_ID": HUB_ID,
            "HUB_NAME": "Manchester",
        }
    )
    yield app
    app.extensions["hubnet.engine"].dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def db(app: Flask) -> Iterator[Session]:
    """A session inside an app context; tests commit what they want the app to see."""
    with app.app_context():
        yield get_session()


@pytest.fixture
def hub_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


def person(db: Session) -> Participant:
    """A new participant (a new person with their own cookie)."""
    return get_or_create_participant(db, None)


def raise_item(
    db: Session,
    who: Participant,
    *,
    theme: str = "gp-access",
    kind: str = "concern",
    at: datetime | None = None,
    title: str = "Cannot get an appointment",
    publish: bool = True,
) -> Contribution:
    """An item raised by `who`, published unless `publish=False` (waiting for a moderator)."""
    return raise_contribution(
        db,
        participant=who,
        kind=kind,
        title=title,
        body="I ring at 8am and every appointment has gone by 8.15.",
        theme_slug=theme,
        created_at=at or datetime(2026, 10, 15, 12, tzinfo=UTC),
        publish=publish,
    )


# -- `hubnet hub …` commands on a real instance folder ---------------------------------

LOG_KEY = Ed25519PrivateKey.generate()


def hubnet_hub(*args: str) -> Result:
    return CliRunner().invoke(hub_group, list(args), catch_exceptions=False)


@pytest.fixture
def aggregator_pub(tmp_path: Path) -> Path:
    path = tmp_path / "log-key.pub"
    save_public_key(LOG_KEY.public_key(), path)
    return path


def init_args(instance: Path, aggregator_pub: Path, database_url: str) -> list[str]:
    return [
        "init",
        "--instance", str(instance),
        "--gss", "E08000003",
        "--name", "Manchester",
        "--region", "North West",
        "--population", "551938",
        "--aggregator-url", "http://aggregator.test",
        "--aggregator-id", "hubnet-test-national",
        "--aggregator-public-key", str(aggregator_pub),
        "--database-url", database_url,
    ]  # fmt: skip


@pytest.fixture
def instance(tmp_path: Path, aggregator_pub: Path, make_database_url: DatabaseFactory) -> Path:
    folder = tmp_path / "hub"
    result = hubnet_hub(*init_args(folder, aggregator_pub, make_database_url("cli")))
    assert result.exit_code == 0, result.output
    return folder


def seed(instance: Path, people: int) -> None:
    app = create_app({"INSTANCE_PATH": str(instance)})
    with app.app_context():
        db = get_session()
        for _ in range(people):
            raise_item(db, person(db))
        db.commit()
    app.extensions["hubnet.engine"].dispose()


@pytest.fixture
def aggregator(instance: Path, monkeypatch: pytest.MonkeyPatch) -> FakeAggregator:
    fake = FakeAggregator(
        load_public_key(instance / "hub-key.pub"), hub_id="E08000003", log_key=LOG_KEY
    )
    monkeypatch.setattr(hub_instance.requests, "Session", lambda: fake)
    return fake


def script(fake: FakeAggregator, *answers: Answer) -> None:
    fake.script.extend(answers)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> list[datetime]:
    """The commands' clock: set `clock[0]` to move time on."""
    moment = [datetime.now(UTC)]
    monkeypatch.setattr(hub_instance, "clock", lambda: moment[0])
    return moment
