"""/board, the panel on item pages, and POST /api/v1/board/notify, through the Flask client."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from federation.keys import save_public_key
from hub import create_app
from hub import instance as hub_instance
from hub.board.models import BoardResponseVersion
from hub.board.services import pull_board_statements
from hub.db import utcnow
from hubnet.db import get_session
from tests.hub.conftest import person, raise_item
from tests.hub.fake_aggregator import link_to
from tests.hub.fake_board_log import HUB_ID, FakeBoardLog, first_version, next_version


@pytest.fixture
def board_log(monkeypatch: pytest.MonkeyPatch) -> FakeBoardLog:
    fake = FakeBoardLog()
    monkeypatch.setattr(hub_instance.requests, "Session", lambda: fake)
    return fake


@pytest.fixture
def app(database_url: str, tmp_path: Path, board_log: FakeBoardLog) -> Iterator[Flask]:
    """A hub that knows its aggregator (URL, id, pinned log key), so it can pull when told."""
    instance = tmp_path / "instance"
    instance.mkdir()
    save_public_key(board_log.log_public_key, instance / "aggregator.pub")
    app = create_app(
        {
            "TESTING": True,
            "INSTANCE_PATH": str(instance),
            "DATABASE_URL": database_url,
            "SECRET_KEY": "test-secret",
            "HUB_ID": HUB_ID,
            "HUB_NAME": "Manchester",
            "AGGREGATOR_URL": "http://aggregator.test",
            "AGGREGATOR_ID": "hubnet-test-national",
            "RATE_LIMIT_BOARD_NOTIFY": "2 per hour",
        }
    )
    yield app
    app.extensions["hubnet.engine"].dispose()


def pull(db: Session, board_log: FakeBoardLog) -> None:
    report = pull_board_statements(db, link_to(board_log, hub_id=HUB_ID), now=utcnow())
    db.commit()
    assert report.ok, report.lines()


def test_the_board_page_explains_what_will_appear_before_anything_has(
    client: FlaskClient,
) -> None:
    page = client.get("/board")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "<h1>What the board said</h1>" in text
    assert "The board has not answered any national priority yet" in text
    assert "http://aggregator.test/board/feed.atom" in text
    # linked from every page's footer
    assert 'href="/board"' in client.get("/").get_data(as_text=True)


def test_the_board_page_shows_each_response_its_updates_and_what_is_late(
    client: FlaskClient, db: Session, board_log: FakeBoardLog
) -> None:
    today = utcnow().date()
    late = first_version(due=today - timedelta(days=10), progress="on-track")
    board_log.publish(late)
    board_log.publish(
        next_version(
            late,
            "Recruitment of call handlers is behind.",
            progress="stalled",
            reason="Not enough call handlers.",
        )
    )
    done = first_version(
        theme="maternity",
        due=today - timedelta(days=10),
        progress="done",
        commitment="Scans within two weeks.",
    )
    board_log.publish(done)
    refused = first_version(theme="dentistry", decision="not-accepted")
    last = board_log.publish(refused)
    pull(db, board_log)

    text = client.get("/board").get_data(as_text=True)

    assert "GP access" in text and "Maternity" in text
    assert "The board accepted this priority and committed to a change." in text
    assert "Every practice offers same-day telephone triage." in text
    assert "Director of Primary Care" in text
    assert "Stalled" in text and "Not enough call handlers." in text
    assert "Recruitment of call handlers is behind." in text  # the update, dated
    assert "first answer: Accepted" in text
    assert "The board did not accept this priority." in text
    assert "The money is committed elsewhere this year." in text
    assert (
        f"Verified against the national transparency log (entry {last}, checkpoint size "
        f"{board_log.size})." in text
    )
    # exactly one response is late: the stalled one (done is never late; not accepted has no due)
    sections = text.split('<section class="nhsuk-u-margin-bottom-7"')[1:]
    late_flags = {
        ("GP access" in section, "Maternity" in section): ">Late<" in section
        for section in sections
    }
    assert late_flags[(True, False)] is True
    assert late_flags[(False, True)] is False
    assert text.count(">Late<") == 2  # beside the heading and beside the progress


def test_an_item_whose_theme_the_board_answered_shows_the_answer(
    client: FlaskClient, db: Session, board_log: FakeBoardLog
) -> None:
    gp = raise_item(db, person(db))
    other = raise_item(db, person(db), theme="maternity", title="Scan waits")
    db.commit()
    assert "What the NHS England board said" not in client.get(f"/contributions/{gp.id}").get_data(
        as_text=True
    )

    board_log.publish(first_version())
    pull(db, board_log)

    text = client.get(f"/contributions/{gp.id}").get_data(as_text=True)
    assert "What the NHS England board said about GP access" in text
    assert "<strong>Accepted</strong>" in text
    assert "Every practice offers same-day telephone triage." in text
    assert "Progress: On track" in text
    assert 'href="/board#response-' in text
    other_page = client.get(f"/contributions/{other.id}").get_data(as_text=True)
    assert "What the NHS England board said" not in other_page


def count(app: Flask) -> int:
    with app.app_context():
        return get_session().scalar(select(func.count()).select_from(BoardResponseVersion)) or 0


def test_notify_answers_202_then_pulls_and_trusts_no_body(
    app: Flask, client: FlaskClient, board_log: FakeBoardLog
) -> None:
    board_log.publish(first_version())

    response = client.post(
        "/api/v1/board/notify",
        data=json.dumps({"statements": ["forged"], "after": 99}),
        content_type="application/json",
    )
    response.close()

    assert response.status_code == 202
    assert response.get_json() == {"status": "pulling"}
    assert count(app) == 1
    assert board_log.board_queries[0]["after"] == -1  # the hub's own cursor, not the body's


def test_notify_is_rate_limited_for_all_callers_together(
    app: Flask, client: FlaskClient, board_log: FakeBoardLog
) -> None:
    for address in ("10.0.0.1", "10.0.0.2"):
        ok = client.post("/api/v1/board/notify", environ_base={"REMOTE_ADDR": address})
        ok.close()
        assert ok.status_code == 202
    pulls = len(board_log.board_queries)

    refused = client.post("/api/v1/board/notify", environ_base={"REMOTE_ADDR": "10.0.0.3"})
    refused.close()

    assert refused.status_code == 429
    assert refused.mimetype == "application/problem+json"
    body = refused.get_json()
    assert body["type"] == "urn:hubnet:problem:too-many-requests"
    assert body["status"] == 429 and body["retry_after"] > 0
    assert int(refused.headers["Retry-After"]) > 0
    assert len(board_log.board_queries) == pulls  # no pull was started


def test_notify_from_a_browser_on_another_site_is_refused(
    app: Flask, client: FlaskClient, board_log: FakeBoardLog
) -> None:
    board_log.publish(first_version())
    refused = client.post("/api/v1/board/notify", headers={"Sec-Fetch-Site": "cross-site"})
    refused.close()
    assert refused.status_code == 403
    assert refused.mimetype == "application/problem+json"
    assert count(app) == 0


def test_a_pull_started_by_notify_that_fails_verification_raises_the_alarm(
    app: Flask, client: FlaskClient, board_log: FakeBoardLog
) -> None:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    board_log.publish(first_version(), key=Ed25519PrivateKey.generate())
    response = client.post("/api/v1/board/notify")
    response.close()
    assert response.status_code == 202
    assert count(app) == 0
    federation = client.get("/federation").get_data(as_text=True)
    assert "board-statement" in federation
