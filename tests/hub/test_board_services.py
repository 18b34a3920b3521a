"""Pulling the board's responses: only what verifies is stored; anything else raises an alarm."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from federation.canonical import canonical_json
from hub.aggregator import AggregatorLink
from hub.audit.models import Alarm, AlarmKind
from hub.audit.services import alarm_evidence, resolve_alarm, trust_alarm
from hub.board.models import BoardRejection, BoardResponseVersion
from hub.board.services import board_responses, last_seen_index, pull_board_statements
from tests.hub.fake_aggregator import link_to
from tests.hub.fake_board_log import HUB_ID, FakeBoardLog, first_version, next_version

NOW = datetime(2027, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def board_log() -> FakeBoardLog:
    return FakeBoardLog()


@pytest.fixture
def link(board_log: FakeBoardLog) -> AggregatorLink:
    return link_to(board_log, hub_id=HUB_ID)


def stored(db: Session) -> list[tuple[str, int]]:
    rows = db.scalars(select(BoardResponseVersion).order_by(BoardResponseVersion.log_index))
    return [(row.response_id, row.version) for row in rows]


def alarms(db: Session) -> list[Alarm]:
    return list(db.scalars(select(Alarm).order_by(Alarm.id)))


def tampered(envelope: bytes) -> bytes:
    """The same envelope with its payload's words changed and the signatures kept."""
    document = json.loads(envelope)
    payload = json.loads(base64.b64decode(document["payload"]))
    payload["response"] = "The board rejects everything."
    document["payload"] = base64.b64encode(canonical_json(payload)).decode("ascii")
    return canonical_json(document)


def test_a_good_chain_is_stored_with_the_checkpoint_it_was_proven_in(
    db: Session, board_log: FakeBoardLog, link: AggregatorLink
) -> None:
    board_log.append_foreign(b"another hub's statement")
    one = first_version()
    two = next_version(one, "Triage is live in half the practices.", progress="on-track")
    other = first_version(theme="maternity", decision="not-accepted")
    board_log.publish(one)
    board_log.publish(other)
    board_log.append_foreign(b"a key event")
    board_log.publish(two)
    three = next_version(two, "Every practice now offers triage.", progress="done")
    last = board_log.publish(three)

    report = pull_board_statements(db, link, now=NOW)
    db.commit()

    assert report.ok, report.lines()
    assert stored(db) == [
        (one["response_id"], 1),
        (other["response_id"], 1),
        (one["response_id"], 2),
        (one["response_id"], 3),
    ]
    assert all(row.verified_checkpoint_size == board_log.size for row in report.stored)
    assert alarms(db) == []
    views = {view.current.response_id: view for view in board_responses(db, today=NOW.date())}
    newest = views[one["response_id"]]
    assert (newest.current.version, newest.current.progress) == (3, "done")
    assert [row.version for row in newest.history] == [1, 2, 3]
    assert views[other["response_id"]].current.reason == other["reason"]
    assert last_seen_index(db) == last
    # the envelope kept is the log's leaf, byte for byte
    assert report.stored[-1].envelope == board_log.entries[last]


def test_pulling_again_stores_nothing_new_and_asks_only_after_what_it_has(
    db: Session, board_log: FakeBoardLog, link: AggregatorLink
) -> None:
    one = first_version()
    first_index = board_log.publish(one)
    pull_board_statements(db, link, now=NOW)
    db.commit()

    again = pull_board_statements(db, link, now=NOW)
    db.commit()
    assert again.ok and again.stored == [] and again.fetched == 0
    assert board_log.board_queries[-1]["after"] == first_index

    board_log.publish(next_version(one, "Half the practices have triage."))
    later = pull_board_statements(db, link, now=NOW)
    db.commit()
    assert [(row.version, row.log_index) for row in later.stored] == [(2, first_index + 1)]
    assert db.scalar(select(func.count()).select_from(BoardResponseVersion)) == 2


def test_pages_of_statements_are_all_pulled(
    db: Session, board_log: FakeBoardLog, link: AggregatorLink
) -> None:
    for _ in range(5):
        board_log.publish(first_version())
    report = pull_board_statements(db, link, now=NOW, page_size=2)
    db.commit()
    assert len(report.stored) == 5
    assert [query["after"] for query in board_log.board_queries] == [-1, 1, 3]


def _only_alarm(db: Session) -> Alarm:
    raised = alarms(db)
    assert len(raised) == 1
    assert raised[0].kind is AlarmKind.BOARD_STATEMENT
    assert raised[0].resolved_at is None
    return raised[0]


def test_a_tampered_envelope_stores_nothing_and_raises_an_alarm_with_the_evidence(
    db: Session, board_log: FakeBoardLog, link: AggregatorLink
) -> None:
    index = board_log.publish(first_version())
    served = tampered(board_log.entries[index])
    board_log.serve_instead[index] = served

    report = pull_board_statements(db, link, now=NOW)
    db.commit()

    assert not report.ok and report.stored == []
    assert stored(db) == []
    alarm = _only_alarm(db)
    assert report.alarm is alarm
    evidence = alarm_evidence(alarm)
    assert evidence["log_index"] == index
    assert base64.b64decode(evidence["theirs"]) == served
    assert "pinned log key" in evidence["reason"]
    rejection = db.scalar(select(BoardRejection))
    assert rejection is not None and rejection.alarm_id == alarm.id
    # the alarm breaks trust, as any log alarm does: the next pull stores nothing either
    assert trust_alarm(db) is alarm
    blocked = pull_board_statements(db, link, now=NOW)
    assert blocked.untrusted is alarm and blocked.stored == []


def test_a_statement_signed_by_another_key_is_refused(
    db: Session, board_log: FakeBoardLog, link: AggregatorLink
) -> None:
    board_log.publish(first_version(), key=Ed25519PrivateKey.generate())

    report = pull_board_statements(db, link, now=NOW)
    db.commit()

    assert stored(db) == [] and not report.ok
    alarm = _only_alarm(db)
    assert link.log_keyid in alarm.detail


def test_a_version_after_a_gap_is_refused_and_nothing_past_the_gap_is_ever_shown(
    db: Session, board_log: FakeBoardLog, link: AggregatorLink
) -> None:
    one = first_version()
    two = next_version(one, "Started.")
    three = next_version(two, "Halfway.")
    board_log.publish(one)
    board_log.hidden.add(board_log.publish(two))  # the aggregator leaves version 2 out
    board_log.publish(three)
    unrelated = first_version(theme="maternity")
    board_log.publish(unrelated)

    report = pull_board_statements(db, link, now=NOW)
    db.commit()

    assert stored(db) == [(one["response_id"], 1)]  # version 1 verified before the gap
    alarm = _only_alarm(db)
    assert "version 3 does not follow version 1" in alarm.detail
    # the pull stopped at the bad statement: the next one waits until the alarm is resolved
    assert report.waiting == 0 and len(report.rejected) == 1

    resolve_alarm(db, alarm.id, "national team lost version 2", now=NOW)
    board_log.publish(next_version(three, "Done.", progress="done"))
    after = pull_board_statements(db, link, now=NOW)
    db.commit()

    # the unrelated response is stored; version 4 follows the rejected 3: refused, no new alarm
    assert stored(db) == [(one["response_id"], 1), (unrelated["response_id"], 1)]
    assert [r.version for r in after.rejected] == [4] and after.alarm is None
    assert len(alarms(db)) == 1
    (view,) = board_responses(db, today=NOW.date(), theme="gp-access")
    assert view.current.version == 1


def test_a_first_statement_that_is_not_version_1_is_refused(
    db: Session, board_log: FakeBoardLog, link: AggregatorLink
) -> None:
    one = first_version()
    board_log.hidden.add(board_log.publish(one))
    board_log.publish(next_version(one, "Started."))

    pull_board_statements(db, link, now=NOW)
    db.commit()

    assert stored(db) == []
    assert "starts at version 2" in _only_alarm(db).detail


def test_a_version_whose_prev_is_wrong_is_refused(
    db: Session, board_log: FakeBoardLog, link: AggregatorLink
) -> None:
    one = first_version()
    board_log.publish(one)
    two = next_version(one, "Started.")
    two["prev"] = "0" * 64
    board_log.publish(two)

    pull_board_statements(db, link, now=NOW)
    db.commit()

    assert stored(db) == [(one["response_id"], 1)]
    assert "prev is not the SHA-256" in _only_alarm(db).detail


def test_a_bad_inclusion_proof_stores_nothing_and_raises_an_alarm(
    db: Session, board_log: FakeBoardLog, link: AggregatorLink
) -> None:
    board_log.append_foreign(b"something else")
    index = board_log.publish(first_version())
    board_log.bad_proofs.add(index)

    pull_board_statements(db, link, now=NOW)
    db.commit()

    assert stored(db) == []
    alarm = _only_alarm(db)
    evidence = alarm_evidence(alarm)
    assert "inclusion proof" in evidence["reason"]
    assert evidence["proof"] and evidence["checkpoint"]["size"] == board_log.size


def test_bytes_that_are_not_the_logs_leaf_fail_inclusion_even_if_signed(
    db: Session, board_log: FakeBoardLog, link: AggregatorLink
) -> None:
    one = first_version()
    index = board_log.publish(one)
    # validly signed by the log key, but not what the log holds at this index
    from federation.board import sign_board_statement

    board_log.serve_instead[index] = sign_board_statement(
        {**one, "response": "Something the log never held."}, board_log.log_key
    )

    pull_board_statements(db, link, now=NOW)
    db.commit()

    assert stored(db) == []
    assert "leaf hash" in _only_alarm(db).detail


def test_nothing_after_a_bad_statement_is_stored_until_the_alarm_is_resolved(
    db: Session, board_log: FakeBoardLog, link: AggregatorLink
) -> None:
    board_log.publish(first_version(), key=Ed25519PrivateKey.generate())
    good = first_version(theme="maternity")
    board_log.publish(good)

    pull_board_statements(db, link, now=NOW)
    db.commit()
    assert stored(db) == []

    resolve_alarm(db, _only_alarm(db).id, "the national team re-signed it", now=NOW)
    report = pull_board_statements(db, link, now=NOW)
    db.commit()
    assert report.ok
    assert stored(db) == [(good["response_id"], 1)]


def test_a_statement_newer_than_the_verified_checkpoint_waits_for_the_next_pull(
    db: Session, board_log: FakeBoardLog, link: AggregatorLink
) -> None:
    board_log.publish(first_version())
    board_log.stale_size = board_log.size  # a cache serves this checkpoint for a while
    board_log.publish(first_version(theme="maternity"))

    report = pull_board_statements(db, link, now=NOW)
    db.commit()
    assert len(report.stored) == 1 and report.waiting == 1 and report.ok

    board_log.stale_size = None
    later = pull_board_statements(db, link, now=NOW)
    db.commit()
    assert len(later.stored) == 1 and later.stored[0].theme == "maternity"
    assert later.stored[0].verified_checkpoint_size == board_log.size


def test_an_aggregator_that_cannot_answer_stores_nothing_and_raises_no_alarm(
    db: Session, board_log: FakeBoardLog, link: AggregatorLink
) -> None:
    board_log.publish(first_version())
    board_log.unavailable = True

    report = pull_board_statements(db, link, now=NOW)
    db.commit()

    assert report.failure is not None and "503" in report.failure
    assert stored(db) == [] and alarms(db) == []
    board_log.unavailable = False
    assert len(pull_board_statements(db, link, now=NOW).stored) == 1


def test_a_log_that_rewrote_its_history_is_caught_by_the_checkpoint_check(
    db: Session, board_log: FakeBoardLog, link: AggregatorLink
) -> None:
    board_log.publish(first_version())
    pull_board_statements(db, link, now=NOW)
    db.commit()
    board_log.rewrite_entry(0, b"history rewritten")
    board_log.publish(first_version(theme="maternity"))

    report = pull_board_statements(db, link, now=NOW)
    db.commit()

    assert report.untrusted is not None
    assert report.untrusted.kind is AlarmKind.LOG_INCONSISTENT
    assert len(stored(db)) == 1
