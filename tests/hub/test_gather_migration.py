"""Migration 0006 on a hub that already has items: they stay on show, with a timeline."""

from __future__ import annotations

from alembic import command
from sqlalchemy import text

from hub.db import MIGRATIONS
from hubnet.db import alembic_config, make_engine
from tests.conftest import DatabaseFactory


def _migrate(url: str, target: str, *, down: bool = False) -> None:
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            config = alembic_config(url, MIGRATIONS)
            config.attributes["connection"] = connection
            (command.downgrade if down else command.upgrade)(config, target)
    finally:
        engine.dispose()


def test_existing_items_become_published_with_raised_and_published_events(
    make_database_url: DatabaseFactory,
) -> None:
    url = make_database_url("before_moderation")
    _migrate(url, "0005")
    engine = make_engine(url)
    with engine.begin() as connection:
        theme = connection.execute(text("SELECT id FROM local_themes ORDER BY id")).first()
        assert theme is not None
        connection.execute(text("INSERT INTO participants (id, created_at) VALUES ('a' , :t)"),
                           {"t": "2026-10-01 09:00:00"})  # fmt: skip
        connection.execute(
            text(
                "INSERT INTO contributions (participant_id, kind, title, body, theme_id, "
                "created_at, quote_consent) VALUES ('a', 'idea', 'Evening clinics', "
                "'Open one evening a week.', :theme, :t, false)"
            ),
            {"theme": theme[0], "t": "2026-10-01 09:00:00"},
        )
        connection.execute(
            text(
                "INSERT INTO supports (contribution_id, participant_id, created_at) "
                "SELECT id, 'a', created_at FROM contributions"
            )
        )
    engine.dispose()

    _migrate(url, "0006")

    engine = make_engine(url)
    with engine.connect() as connection:
        row = connection.execute(
            text("SELECT status, stage, channel, published_at, created_at FROM contributions")
        ).one()
        events = connection.execute(
            text("SELECT kind, stage, public FROM contribution_events ORDER BY id")
        ).all()
    engine.dispose()
    assert (row.status, row.stage, row.channel) == ("published", "published", "online")
    assert str(row.published_at) == str(row.created_at)
    assert [(e.kind, e.stage, bool(e.public)) for e in events] == [
        ("raised", "raised", True),
        ("published", "published", True),
    ]

    _migrate(url, "0005", down=True)  # and back, keeping the items and their supports

    engine = make_engine(url)
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM contributions")).scalar() == 1
        assert connection.execute(text("SELECT count(*) FROM supports")).scalar() == 1
    engine.dispose()
