"""Hub fixtures: a migrated database, the app on it, test clients, and a session."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from hub import create_app
from hub.db import MIGRATIONS
from hub.gather.models import Contribution, Participant
from hub.gather.services import get_or_create_participant, raise_contribution
from hubnet.db import get_session, upgrade_database
from tests.conftest import DatabaseFactory

HUB_ID = "E08000003"
AUDIENCE = "hubnet-test-national"


@pytest.fixture
def database_url(make_database_url: DatabaseFactory) -> str:
    url = make_database_url("hub")
    upgrade_database(url, MIGRATIONS)
    return url


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
) -> Contribution:
    return raise_contribution(
        db,
        participant=who,
        kind=kind,
        title=title,
        body="I ring at 8am and every appointment has gone by 8.15.",
        theme_slug=theme,
        created_at=at or datetime(2026, 10, 15, 12, tzinfo=UTC),
    )
