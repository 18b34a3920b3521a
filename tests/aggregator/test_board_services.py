"""Board responses: recorded, signed by the log key, logged, chained, and read back from the log."""

from __future__ import annotations

import base64
from datetime import UTC, date, datetime, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from federation.board import check_board_chain, verify_board_statement
from federation.merkle import leaf_hash
from hubnet.db import get_session
from national_aggregator.board.models import BoardNotification, StoredBoardStatement
from national_aggregator.board.services import (
    BoardInputError,
    UnknownResponse,
    add_update,
    deliver_notifications,
    latest_board_statements,
    record_response,
)
from national_aggregator.log import log_signer
from national_aggregator.log.models import LeafKind, LogLeaf
from national_aggregator.registry.models import Hub
from national_aggregator.staff.models import StaffAction
from tests.aggregator.board_support import ACCEPTED, JANUARY, record, update
from tests.aggregator.conftest import RegisterHub, log_entries, row_counts

FEBRUARY = JANUARY + timedelta(days=30)


def public_key(app: Flask):  # type: ignore[no-untyped-def]
    with app.app_context():
        return log_signer().private_key.public_key()


def test_a_response_is_signed_by_the_log_key_and_served_byte_for_byte_by_the_log(
    app: Flask, client: FlaskClient, register: RegisterHub
) -> None:
    register()  # one key event first: the board leaf is not leaf 0
    logged = record(app)

    assert logged.log_index == 1
    [entry] = log_entries(client, 1, 2)
    statement = verify_board_statement(entry, public_key(app))
    assert statement.theme == "gp-access" and statement.version == 1 and statement.prev is None
    assert statement.commitment == ACCEPTED["commitment"]
    with app.app_context():
        session = get_session()
        leaf = session.get(LogLeaf, 1)
        row = session.scalars(select(StoredBoardStatement)).one()
        assert leaf is not None and leaf.kind is LeafKind.BOARD
        assert leaf.board_statement_id == row.id
        assert leaf.leaf_hash == leaf_hash(row.envelope) == leaf_hash(entry)
        assert row.payload_sha256 == statement.payload_sha256


def test_updates_chain_and_keep_the_whole_state(app: Flask) -> None:
    first = record(app)
    second = update(
        app, first.statement.response_id, update_text="Funding came late.", progress="stalled",
        reason="The funding was delayed to the next financial year.", due=date(2027, 9, 30),
        now=FEBRUARY,
    )  # fmt: skip
    third = update(app, first.statement.response_id, update_text="Back on track.",
                   progress="on-track", reason=None, now=FEBRUARY + timedelta(days=1))  # fmt: skip

    check_board_chain(None, first.statement)
    check_board_chain(first.statement, second.statement)
    check_board_chain(second.statement, third.statement)
    assert second.statement.commitment == ACCEPTED["commitment"]  # carried over
    assert second.statement.due == date(2027, 9, 30) and second.statement.progress == "stalled"
    assert third.statement.reason is None and third.statement.due == date(2027, 9, 30)
    assert [s.version for s in latest_board_statements_in(app)] == [3]


def latest_board_statements_in(app: Flask, before: int | None = None):  # type: ignore[no-untyped-def]
    with app.app_context():
        return latest_board_statements(get_session(), before_log_index=before)


def test_latest_board_statements_stops_at_a_log_index(app: Flask) -> None:
    gp = record(app)
    dentistry = record(
        app,
        theme="dentistry",
        decision="under-consideration",
        commitment=None,
        progress=None,
        owner="Chief Dental Officer",
        due=date(2027, 3, 31),
    )
    later = update(app, gp.statement.response_id, update_text="Done early.", progress="done",
                   now=FEBRUARY)  # fmt: skip

    everything = latest_board_statements_in(app)
    at_checkpoint_two = latest_board_statements_in(app, before=later.log_index)

    assert [(s.theme, s.version) for s in everything] == [("gp-access", 2), ("dentistry", 1)]
    assert [(s.theme, s.version) for s in at_checkpoint_two] == [("gp-access", 1), ("dentistry", 1)]
    assert latest_board_statements_in(app, before=dentistry.log_index)[0].progress == "on-track"
    assert latest_board_statements_in(app, before=0) == []
    with app.app_context():  # the key may be passed instead of read from the app
        assert latest_board_statements(get_session(), log_public_key=public_key(app)) == everything


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"theme": "not-a-theme"}, "theme", "not a national theme"),
        ({"decision": "maybe"}, "decision", "choose one of"),
        ({"response": "   "}, "response", "say what the board said"),
        ({"commitment": None}, "commitment", "required when the decision is accepted"),
        ({"progress": "stalled"}, "reason", "stalled: say why"),
        ({"decision": "not-accepted"}, "commitment", "leave this empty"),
        ({"decision": "not-accepted", "commitment": None, "due": None, "progress": None},
         "reason", "required when the decision is not accepted"),
        ({"decision": "under-consideration", "commitment": None, "progress": None, "due": None},
         "due", "required when the decision is under consideration"),
        ({"owner": "x" * 201}, "owner", "Length"),
    ],
)  # fmt: skip
def test_a_response_the_rules_refuse_names_the_field_and_stores_nothing(
    app: Flask, changes: dict[str, object], field: str, words: str
) -> None:
    before = row_counts(app)
    with app.app_context(), pytest.raises(BoardInputError) as caught:
        record_response(get_session(), log_signer(), **{**ACCEPTED, **changes}, staff=None)  # type: ignore[arg-type]

    assert caught.value.field == field
    assert words.lower() in caught.value.message.lower()
    assert row_counts(app) == before


def test_an_update_needs_words_a_known_response_and_valid_changes(app: Flask) -> None:
    first = record(app)
    before = row_counts(app)
    with app.app_context():
        session, signer = get_session(), log_signer()
        rid = first.statement.response_id
        with pytest.raises(BoardInputError, match="say what changed"):
            add_update(session, signer, rid, update_text=" ", progress="done", staff=None)
        with pytest.raises(UnknownResponse):
            add_update(session, signer, "0" * 8 + "-0000-4000-8000-" + "0" * 12,
                       update_text="x", staff=None)  # fmt: skip
        with pytest.raises(BoardInputError) as caught:
            add_update(session, signer, rid, update_text="Stalled.", progress="stalled",
                       staff=None)  # fmt: skip
        assert caught.value.field == "reason"
        session.rollback()
    assert row_counts(app) == before


def test_changing_the_decision_clears_what_the_new_decision_does_not_use(app: Flask) -> None:
    first = record(
        app,
        decision="under-consideration",
        commitment=None,
        progress=None,
        owner="Chief Dental Officer",
        due=date(2027, 3, 31),
        theme="dentistry",
    )
    not_accepted = update(app, first.statement.response_id, decision="not-accepted",
                          update_text="Decided.", reason="Out of the board's remit.",
                          now=FEBRUARY)  # fmt: skip

    assert not_accepted.statement.due is None
    assert not_accepted.statement.owner == "Chief Dental Officer"  # optional: kept


def test_writes_land_in_the_staff_activity_log(app: Flask) -> None:
    first = record(app)
    update(app, first.statement.response_id, update_text="Progress.", progress="done",
           now=FEBRUARY)  # fmt: skip

    with app.app_context():
        rows = get_session().scalars(select(StaffAction).order_by(StaffAction.id)).all()
        board = [(r.action, r.target) for r in rows if r.action.startswith("board")]
    target = f"board-response:{first.statement.response_id}"
    assert board == [("board-response-recorded", target), ("board-response-updated", target)]


class FakeHub:
    def __init__(self, fail: bool = False) -> None:
        self.calls: list[str] = []
        self.fail = fail

    def __call__(self, url: str) -> None:
        self.calls.append(url)
        if self.fail:
            raise ConnectionError("connection refused")


def test_hubs_with_a_notify_url_are_owed_a_push_and_failures_stay_pending(
    app: Flask, register: RegisterHub
) -> None:
    register("E08000003", "Manchester")
    register("E06000052", "Cornwall")
    register("E08000035", "Leeds")  # no notify URL: polls only
    with app.app_context():
        session = get_session()
        session.get(Hub, "E08000003").notify_url = "https://manchester.example/api/v1/board/notify"  # type: ignore[union-attr]
        session.get(Hub, "E06000052").notify_url = "https://cornwall.example/api/v1/board/notify"  # type: ignore[union-attr]
        session.commit()
    first = record(app)
    update(app, first.statement.response_id, update_text="On track.", now=FEBRUARY,
           progress="not-started")  # fmt: skip

    down = FakeHub(fail=True)
    with app.app_context():
        session = get_session()
        report = deliver_notifications(session, post=down)
        session.commit()
        assert sorted(report.failed) == ["E06000052", "E08000003"]
        rows = session.scalars(select(BoardNotification)).all()
        assert len(rows) == 4 and all(r.delivered_at is None and r.attempts == 1 for r in rows)
        assert all("connection refused" in (r.last_error or "") for r in rows)
    assert len(down.calls) == 2  # one push per hub, however many statements

    up = FakeHub()
    with app.app_context():
        session = get_session()
        report = deliver_notifications(session, post=up)
        session.commit()
        rows = session.scalars(select(BoardNotification)).all()
        assert all(r.delivered_at is not None and r.attempts == 2 for r in rows)
    assert sorted(up.calls) == [
        "https://cornwall.example/api/v1/board/notify",
        "https://manchester.example/api/v1/board/notify",
    ]
    with app.app_context():
        assert deliver_notifications(get_session(), post=up).delivered == []


def test_statements_page_is_in_log_order_with_the_exact_envelopes(
    app: Flask, client: FlaskClient, register: RegisterHub
) -> None:
    first = record(app)
    register()
    second = update(app, first.statement.response_id, update_text="x", progress="done",
                    now=datetime(2027, 2, 1, tzinfo=UTC))  # fmt: skip

    document = client.get("/api/v1/board/statements").get_json()

    assert document["last_index"] == second.log_index == 2
    assert [(s["log_index"], s["version"]) for s in document["statements"]] == [(0, 1), (2, 2)]
    assert base64.b64decode(document["statements"][1]["envelope"]) == log_entries(client, 2, 3)[0]
