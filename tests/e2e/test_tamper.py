"""Someone changes the aggregator's database behind the hubs' backs; the next contact notices.

Issue 3's "done when": a test tampers with a stored envelope in the
aggregator's database and the next hub contact raises the alarm with the
evidence kept. Two ways to tamper, with real processes:

- rewrite one envelope the log serves, leaving the tree alone: the hub's
  check of its own entries finds bytes it never signed (`entry-mismatch`);
- rewrite the history properly, as someone holding the log key could: the
  envelope, its leaf, every subtree hash, and every checkpoint re-signed, so
  the log is consistent with itself. The hub still holds the checkpoint it
  verified before, so it has two signed checkpoints of one size with two
  roots (`log-inconsistent`): proof that the log key signed two histories.
"""

from __future__ import annotations

import base64
import hashlib
import json
import subprocess
from typing import Any

import pytest
import requests
from sqlalchemy import select
from sqlalchemy.orm import Session

from federation.canonical import canonical_json, parse_json
from federation.checkpoint import Checkpoint, sign_checkpoint, verify_checkpoint
from federation.client import verify_receipt
from federation.keys import load_private_key, load_public_key
from federation.merkle import leaf_hash, root_from_leaf_hashes
from hub.audit.models import Alarm, AlarmKind
from hub.outbox.models import OutboxEntry, OutboxStatus
from national_aggregator.ingest.models import Submission
from national_aggregator.log.models import LogCheckpoint, LogLeaf, LogNode
from tests.e2e.conftest import FaultyNetwork
from tests.e2e.network import Server, hubnet, reading, writable_engine

pytestmark = pytest.mark.e2e

SEPTEMBER, OCTOBER = "2026-09", "2026-10"


def hub_command(net: FaultyNetwork, *args: str) -> subprocess.CompletedProcess[str]:
    return hubnet("hub", *args, "--instance", str(net.hub.instance), check=False)


def delivered_entry(net: FaultyNetwork, period: str) -> OutboxEntry:
    """Push a period through the (healthy) network and return its delivered outbox entry."""
    pushed = hub_command(net, "push", "--period", period)
    assert pushed.returncode == 0, pushed.stdout + pushed.stderr
    with reading(net.hub) as session:
        [entry] = session.scalars(select(OutboxEntry)).all()
    assert entry.status is OutboxStatus.DELIVERED and entry.log_index is not None
    return entry


def forge(envelope: bytes) -> tuple[bytes, bytes]:
    """The envelope with its published participant count raised by 100: (envelope, payload).

    The hub's signature is left as it was, so it no longer matches.
    """
    document = parse_json(envelope)
    statement = parse_json(base64.b64decode(document["payload"]))
    cell = statement["body"]["participation"]["participants"]
    cell["value"], cell["suppressed"] = (cell["value"] or 0) + 100, False
    payload = canonical_json(statement)
    document["payload"] = base64.b64encode(payload).decode("ascii")
    return canonical_json(document), payload


def tamper(aggregator: Server) -> Session:
    assert aggregator.database_url is not None
    return Session(writable_engine(aggregator.database_url))


def open_alarms(net: FaultyNetwork) -> list[Alarm]:
    with reading(net.hub) as session:
        return list(session.scalars(select(Alarm).where(Alarm.resolved_at.is_(None))))


def served_entry(net: FaultyNetwork, index: int) -> bytes:
    answer = requests.get(
        f"{net.aggregator.url}/api/v1/log/entries",
        params={"start": index, "end": index + 1},
        timeout=10,
    )
    assert answer.status_code == 200, answer.text
    [entry] = answer.json()["entries"]
    return base64.b64decode(entry["envelope"])


def test_a_rewritten_envelope_raises_an_alarm_at_the_next_audit(
    faulty_network: FaultyNetwork,
) -> None:
    net = faulty_network
    entry = delivered_entry(net, OCTOBER)
    forged, _payload = forge(entry.envelope)
    with tamper(net.aggregator) as session, session.begin():
        submission = session.get(Submission, entry.submission_id)
        assert submission is not None and submission.envelope == entry.envelope
        submission.envelope = forged  # what the entries endpoint serves for that leaf
    assert served_entry(net, entry.log_index) == forged

    audit = hub_command(net, "audit")

    assert audit.returncode != 0, audit.stdout
    assert "ALARM" in audit.stdout and "(entry-mismatch)" in audit.stdout, audit.stdout
    assert "not all is well" in audit.stderr, audit.stderr
    [alarm] = open_alarms(net)
    assert alarm.kind is AlarmKind.ENTRY_MISMATCH
    evidence = json.loads(alarm.evidence)
    # the hub kept what it signed, what the log now serves, and the proof it was logged as sent
    assert base64.b64decode(evidence["ours"]) == entry.envelope
    assert base64.b64decode(evidence["theirs"]) == forged
    log_key = load_public_key(net.hub.instance / "aggregator.pub")
    verify_receipt(evidence["receipt"], entry.envelope, log_key)
    verify_checkpoint(evidence["checkpoint"], log_key)
    assert evidence["receipt"]["leaf_hash"] != base64.b64encode(leaf_hash(forged)).decode()

    # The alarm stays until an operator resolves it: the next contact still reports it.
    again = hub_command(net, "outbox", "send")
    assert again.returncode != 0 and "(entry-mismatch)" in again.stdout, again.stdout
    assert [alarm.id for alarm in open_alarms(net)] == [alarm.id]


def rewrite_history(aggregator: Server, submission_id: str, forged: bytes, payload: bytes) -> None:
    """Replace a statement and re-sign the log with its own key, so it is consistent again."""
    log_key = load_private_key(aggregator.instance / "log-key.pem")
    with tamper(aggregator) as session, session.begin():
        submission = session.get(Submission, submission_id)
        assert submission is not None
        submission.envelope = forged
        submission.payload_sha256 = hashlib.sha256(payload).hexdigest()
        leaf = session.scalars(select(LogLeaf).where(LogLeaf.submission_id == submission_id)).one()
        leaf.leaf_hash = leaf_hash(forged)
        session.flush()
        hashes = list(session.scalars(select(LogLeaf.leaf_hash).order_by(LogLeaf.index)))
        for node in session.scalars(select(LogNode)):
            first, end = node.index << node.level, (node.index + 1) << node.level
            node.hash = root_from_leaf_hashes(hashes[first:end])
        for row in session.scalars(select(LogCheckpoint)):
            origin = parse_json(row.signed)["origin"]
            row.root = root_from_leaf_hashes(hashes[: row.size])
            signed = sign_checkpoint(Checkpoint(origin, row.size, row.root), log_key)
            row.signed = canonical_json(signed.as_json())


def test_a_rewritten_history_raises_an_alarm_and_nothing_more_is_sent(
    faulty_network: FaultyNetwork,
) -> None:
    net = faulty_network
    entry = delivered_entry(net, OCTOBER)
    log_key = load_public_key(net.hub.instance / "aggregator.pub")
    before = requests.get(f"{net.aggregator.url}/api/v1/log/checkpoint", timeout=10).json()
    forged, payload = forge(entry.envelope)
    rewrite_history(net.aggregator, entry.submission_id, forged, payload)
    after = requests.get(f"{net.aggregator.url}/api/v1/log/checkpoint", timeout=10).json()
    # a log that is consistent with itself, signed by the real key, and serving the forgery
    rewritten = verify_checkpoint(after, log_key)
    assert rewritten.size == before["size"] and after["root"] != before["root"]
    assert served_entry(net, entry.log_index) == forged

    pushed = hub_command(net, "push", "--period", SEPTEMBER)  # the hub's next contact

    assert pushed.returncode != 0, pushed.stdout
    assert "ALARM" in pushed.stdout and "(log-inconsistent)" in pushed.stdout, pushed.stdout
    [alarm] = open_alarms(net)
    assert alarm.kind is AlarmKind.LOG_INCONSISTENT
    evidence: dict[str, Any] = json.loads(alarm.evidence)
    # the evidence: two checkpoints of one size, both signed by the pinned log key
    kept, new = evidence["last_verified"], evidence["new"]
    assert (kept["size"], kept["root"]) == (before["size"], before["root"])
    assert (new["size"], new["root"]) == (after["size"], after["root"])
    assert verify_checkpoint(kept, log_key).root != verify_checkpoint(new, log_key).root
    # nothing is sent while the log is not trusted
    with reading(net.aggregator) as session:
        assert session.scalars(select(Submission.seq)).all() == [1]
    assert net.proxy.forwarded.count == 1
    with reading(net.hub) as session:
        statuses = session.scalars(select(OutboxEntry.status).order_by(OutboxEntry.seq)).all()
    assert statuses[0] is OutboxStatus.DELIVERED
    assert all(status is OutboxStatus.PENDING for status in statuses[1:])

    # The hub's federation page shows the alarm, and serves its evidence.
    net.hub.start()
    page = requests.get(f"{net.hub.url}/federation", timeout=10)
    assert page.status_code == 200 and "log-inconsistent" in page.text.lower(), page.text
    shown = requests.get(f"{net.hub.url}/federation/alarms/{alarm.id}.json", timeout=10).json()
    assert shown["evidence"]["new"]["root"] == after["root"]
