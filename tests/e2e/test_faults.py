"""Delivery survives real faults, and every summary is accepted exactly once.

Real processes on 127.0.0.1: an aggregator (gunicorn), a hub's `push` and
`outbox send` commands, and a `FaultProxy` between them. Each test breaks the
network or a process at a chosen moment, lets the hub's next contact finish
the job, and then counts what the aggregator stored (submission rows and
statement leaves in its database, `last_seq` from `/api/v1/hubs`) and checks
that the hub's outbox holds the aggregator's receipt and that the log is still
one consistent Merkle tree under the latest signed checkpoint.
"""

from __future__ import annotations

import base64
import json
import signal
import subprocess
from collections.abc import Mapping

import pytest
import requests
from sqlalchemy import func, select

from federation.checkpoint import verify_checkpoint
from federation.client import verify_receipt
from federation.keys import load_public_key
from federation.merkle import (
    consistency_proof,
    leaf_hash,
    root_from_leaf_hashes,
    root_hash,
    verify_consistency,
    verify_inclusion,
)
from hub.audit.models import Alarm, AlarmKind
from hub.outbox.models import OutboxEntry, OutboxStatus
from national_aggregator.ingest.models import Submission
from national_aggregator.log.models import LeafKind, LogCheckpoint, LogLeaf, LogNode, LogState
from tests.e2e.conftest import FaultyNetwork
from tests.e2e.network import command_env, hubnet, hubnet_command, reading

pytestmark = pytest.mark.e2e

SEPTEMBER, OCTOBER = "2026-09", "2026-10"


def push(
    net: FaultyNetwork, period: str, env: Mapping[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """`hubnet hub push` for a period, with retry waits cut short (it makes every try)."""
    return hubnet(
        "hub", "push", "--instance", str(net.hub.instance), "--period", period,
        check=False, short_waits=True, env=env,
    )  # fmt: skip


def start_push(
    net: FaultyNetwork, period: str, *, short_waits: bool = False
) -> subprocess.Popen[bytes]:
    """Start `hubnet hub push` as a process the test can kill (output: stdout and stderr)."""
    command = hubnet_command(
        "hub", "push", "--instance", str(net.hub.instance), "--period", period
    )  # fmt: skip
    return subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env=command_env(short_waits=short_waits, env=None),
    )


def send(
    net: FaultyNetwork, env: Mapping[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """`hubnet hub outbox send`: the hub's next contact after a fault."""
    return hubnet(
        "hub", "outbox", "send", "--instance", str(net.hub.instance), short_waits=True, env=env
    )


def delivered_again(output: str, seq: int, period: str) -> bool:
    """Whether a command's output says it finished delivering `seq` without a new statement.

    Either the relay resent the stored bytes and the aggregator answered 200
    with the original receipt, or the hub's contact found the statement in
    the aggregator's copy of its chain and marked it delivered (resync).
    """
    replayed = f"seq {seq} ({period}): delivered: HTTP 200" in output
    found = f"marked delivered from the aggregator's copy: seq {seq}" in output
    return replayed or found


def outbox(net: FaultyNetwork) -> list[OutboxEntry]:
    """The hub's outbox entries, oldest first, read from its database."""
    with reading(net.hub) as session:
        return list(session.scalars(select(OutboxEntry).order_by(OutboxEntry.seq)))


def outbox_statuses(net: FaultyNetwork) -> dict[int, str]:
    """seq → status, as `hubnet hub outbox` lists them for the operator."""
    listing = hubnet("hub", "outbox", "--instance", str(net.hub.instance)).stdout
    statuses = {}
    for line in listing.splitlines()[1:]:
        seq, _period, status = line.split()[:3]
        statuses[int(seq)] = status
    return statuses


def assert_exactly_once(net: FaultyNetwork, periods: list[str]) -> None:
    """Each period's statement was accepted once, logged once, and delivered with its receipt."""
    entries = outbox(net)
    assert [entry.seq for entry in entries] == list(range(1, len(periods) + 1))
    assert outbox_statuses(net) == {entry.seq: "delivered" for entry in entries}
    with reading(net.aggregator) as session:
        submissions = list(
            session.scalars(
                select(Submission).where(Submission.hub_gss == net.gss).order_by(Submission.seq)
            )
        )
        leaves = list(
            session.scalars(
                select(LogLeaf).where(LogLeaf.kind == LeafKind.STATEMENT).order_by(LogLeaf.index)
            )
        )
    assert len(submissions) == len(leaves) == len(periods)  # nothing lost, nothing twice
    # one row per statement the hub signed: the same bytes, in the same order
    assert [row.seq for row in submissions] == [entry.seq for entry in entries]
    assert [row.envelope for row in submissions] == [entry.envelope for entry in entries]
    assert [row.submission_id for row in submissions] == [entry.submission_id for entry in entries]
    # one statement leaf per submission, in seq order, hashing the stored envelope
    by_submission = {row.submission_id: row for row in submissions}
    assert [leaf.submission_id for leaf in leaves] == [row.submission_id for row in submissions]
    for leaf in leaves:
        assert leaf.leaf_hash == leaf_hash(by_submission[leaf.submission_id].envelope)
    # the hub holds a receipt for that leaf which proves it is in the log
    log_key = load_public_key(net.hub.instance / "aggregator.pub")
    for entry, row, leaf in zip(entries, submissions, leaves, strict=True):
        assert entry.status is OutboxStatus.DELIVERED
        assert entry.receipt is not None
        receipt, original = json.loads(entry.receipt), json.loads(row.receipt)
        for name in ("submission_id", "hub_id", "seq", "received_at", "log_index", "leaf_hash"):
            assert receipt[name] == original[name], name
        assert receipt["log_index"] == leaf.index
        assert base64.b64decode(receipt["leaf_hash"]) == leaf.leaf_hash
        verify_receipt(receipt, entry.envelope, log_key)
    hubs = requests.get(f"{net.aggregator.url}/api/v1/hubs", timeout=10).json()
    assert next(hub for hub in hubs if hub["gss"] == net.gss)["last_seq"] == len(periods)
    assert_log_consistent(net)


def assert_log_consistent(net: FaultyNetwork) -> None:
    """The stored leaves, the stored subtree hashes and every signed checkpoint agree.

    From the database (read-only): leaves are numbered 0..n-1 with no gap; every
    stored subtree hash is the hash of the leaves it covers; the root folded
    from the stored nodes, the root recomputed from the leaves (RFC 9162's
    recursive definition) and the latest checkpoint's root are one root; each
    stored checkpoint is the root of its prefix. Over HTTP: the served
    checkpoint verifies with the pinned log key, the entries rebuild the tree,
    and every inclusion and consistency proof verifies.
    """
    served = requests.get(f"{net.aggregator.url}/api/v1/log/checkpoint", timeout=10).json()
    checkpoint = verify_checkpoint(served, load_public_key(net.hub.instance / "aggregator.pub"))
    with reading(net.aggregator) as session:
        leaves = list(session.scalars(select(LogLeaf).order_by(LogLeaf.index)))
        nodes = {(node.level, node.index): node.hash for node in session.scalars(select(LogNode))}
        checkpoints = list(session.scalars(select(LogCheckpoint).order_by(LogCheckpoint.size)))
        state_size = session.scalar(select(LogState.size))
    size = len(leaves)
    hashes = [leaf.leaf_hash for leaf in leaves]
    assert [leaf.index for leaf in leaves] == list(range(size))
    assert state_size == size == checkpoint.size
    for (level, index), stored in nodes.items():
        first, end = index << level, (index + 1) << level
        assert end <= size, f"log node ({level}, {index}) covers leaves the log does not have"
        assert stored == root_from_leaf_hashes(hashes[first:end]), (level, index)
    assert root_hash(size, lambda level, index: nodes[(level, index)]) == checkpoint.root
    assert root_from_leaf_hashes(hashes) == checkpoint.root
    assert [row.size for row in checkpoints] == list(range(1, size + 1))
    for row in checkpoints:
        assert row.root == root_from_leaf_hashes(hashes[: row.size]), row.size
    for row in checkpoints:  # the log only grew: each earlier tree is a prefix of the latest
        proof = consistency_proof(row.size, size, lambda level, index: nodes[(level, index)])
        verify_consistency(row.size, size, row.root, checkpoint.root, proof)
    _check_log_endpoints(net, hashes, checkpoint.root)


def _check_log_endpoints(net: FaultyNetwork, hashes: list[bytes], root: bytes) -> None:
    """Entries and proofs as a stranger would fetch them."""
    size = len(hashes)
    base = f"{net.aggregator.url}/api/v1/log"
    entries = requests.get(f"{base}/entries", params={"start": 0, "end": size}, timeout=10)
    assert entries.status_code == 200, entries.text
    envelopes = [base64.b64decode(item["envelope"]) for item in entries.json()["entries"]]
    assert [leaf_hash(envelope) for envelope in envelopes] == hashes
    for index, hashed in enumerate(hashes):
        proof = requests.get(
            f"{base}/proof/inclusion", params={"leaf_index": index, "tree_size": size}, timeout=10
        )
        assert proof.status_code == 200, proof.text
        path = [base64.b64decode(node) for node in proof.json()["proof"]]
        verify_inclusion(hashed, index, size, path, root)
    for first in range(1, size):
        proof = requests.get(
            f"{base}/proof/consistency", params={"first": first, "second": size}, timeout=10
        )
        assert proof.status_code == 200, proof.text
        path = [base64.b64decode(node) for node in proof.json()["proof"]]
        verify_consistency(first, size, root_from_leaf_hashes(hashes[:first]), root, path)


def test_aggregator_down_during_a_push_then_back(faulty_network: FaultyNetwork) -> None:
    net = faulty_network
    net.aggregator.stop()

    pushed = push(net, OCTOBER)

    assert pushed.returncode != 0, pushed.stdout
    assert "will retry" in pushed.stdout, pushed.stdout
    assert "stays in the outbox" in pushed.stderr, pushed.stderr
    [entry] = outbox(net)
    assert entry.status is OutboxStatus.PENDING
    assert entry.attempts == 5  # it tried every time it said it would, then gave up for now
    assert net.proxy.forwarded.count == 0

    net.aggregator.restart()
    sent = send(net)

    assert "seq 1 (2026-10): delivered: HTTP 201" in sent.stdout, sent.stdout
    assert net.proxy.statuses == [201]
    assert_exactly_once(net, [OCTOBER])


def test_hub_killed_mid_push_then_pushed_again(faulty_network: FaultyNetwork) -> None:
    net = faulty_network
    net.proxy.hold()
    with start_push(net, OCTOBER) as pushing:
        try:
            net.proxy.answered.wait_for(1, timeout=30)  # the aggregator has stored and answered
            pushing.send_signal(signal.SIGKILL)
        finally:
            pushing.kill()  # no-op once it is dead; never leave it running
            output = pushing.communicate(timeout=15)[0].decode()
    assert pushing.returncode == -signal.SIGKILL, output
    net.proxy.release()  # the answer goes to a process that no longer exists
    net.proxy.pass_through()
    assert net.proxy.statuses == [201]
    [entry] = outbox(net)
    assert entry.status is OutboxStatus.PENDING and entry.receipt is None

    again = push(net, OCTOBER)

    assert again.returncode == 0, again.stdout + again.stderr
    # not signed again: the same seq 1, whether the contact or the relay then delivered it
    assert "already in the outbox (seq 1, " in again.stdout, again.stdout
    assert "nothing new was built" in again.stdout, again.stdout
    assert delivered_again(again.stdout, 1, OCTOBER), again.stdout
    assert net.proxy.statuses in ([201], [201, 200])  # never a second 201
    [resent] = outbox(net)
    assert resent.envelope == entry.envelope
    assert_exactly_once(net, [OCTOBER])


@pytest.mark.parametrize("moment", ["request forwarded", "answer written"])
def test_aggregator_killed_mid_ingest(faulty_network: FaultyNetwork, moment: str) -> None:
    """SIGKILL the aggregator mid-request: the hub's next contact gets it accepted once.

    "request forwarded": the kill lands as the last byte of the request is in,
    before any answer (in practice before the commit). "answer written": the
    aggregator committed and answered, and the answer died with it.
    """
    net = faulty_network
    net.proxy.hold()  # nothing the aggregator says reaches the hub before the kill
    with start_push(net, OCTOBER, short_waits=True) as pushing:
        try:
            tally = net.proxy.forwarded if moment == "request forwarded" else net.proxy.answered
            tally.wait_for(1, timeout=30)
            net.aggregator.kill()  # SIGKILL to the whole process group
            net.proxy.drop_held()
            output = pushing.communicate(timeout=90)[0].decode()
        finally:
            pushing.kill()
    assert pushing.returncode != 0, output
    assert "will retry" in output, output
    assert [entry.status for entry in outbox(net)] == [OutboxStatus.PENDING]
    with reading(net.aggregator) as session:  # the killed aggregator's database, as it was left
        stored = session.scalar(select(func.count()).select_from(Submission))
    assert stored in (0, 1)
    committed = stored == 1
    assert net.proxy.statuses in ([], [201])
    assert committed or not net.proxy.statuses  # it never answered 201 without storing
    assert committed or moment == "request forwarded"
    print(f"aggregator killed at {moment!r}; it had committed: {committed}")  # for -s runs

    net.aggregator.restart()
    net.proxy.pass_through()
    sent = send(net)

    if committed:  # the kill came after the commit
        assert delivered_again(sent.stdout, 1, OCTOBER), sent.stdout
    else:
        assert "seq 1 (2026-10): delivered: HTTP 201" in sent.stdout, sent.stdout
    assert net.proxy.statuses.count(201) == 1
    assert_exactly_once(net, [OCTOBER])


def test_connection_cut_before_the_answer_arrived(faulty_network: FaultyNetwork) -> None:
    """Every try of a push loses its answer; the hub's next contact finishes the job."""
    net = faulty_network
    net.proxy.drop_responses()

    pushed = push(net, OCTOBER)

    assert pushed.returncode != 0, pushed.stdout
    assert "will retry" in pushed.stdout, pushed.stdout
    # Every try reached the aggregator: the first was stored, the rest were replays.
    assert net.proxy.statuses == [201, 200, 200, 200, 200]
    [entry] = outbox(net)
    assert entry.status is OutboxStatus.PENDING and entry.receipt is None

    net.proxy.pass_through()
    sent = send(net)

    assert delivered_again(sent.stdout, 1, OCTOBER), sent.stdout
    assert net.proxy.statuses.count(201) == 1
    assert_exactly_once(net, [OCTOBER])


def test_a_lost_answer_is_replayed_with_the_original_receipt(
    faulty_network: FaultyNetwork,
) -> None:
    """The first answer is lost; the relay's retry gets 200 and the receipt first issued."""
    net = faulty_network
    net.proxy.drop_responses(count=1)

    pushed = push(net, OCTOBER)

    assert pushed.returncode == 0, pushed.stdout + pushed.stderr
    assert "seq 1 (2026-10): delivered: HTTP 200" in pushed.stdout, pushed.stdout
    assert net.proxy.statuses == [201, 200]
    [entry] = outbox(net)
    assert entry.attempts == 2 and entry.receipt is not None
    with reading(net.aggregator) as session:
        original = session.scalars(select(Submission.receipt)).one()
    assert json.loads(entry.receipt) == json.loads(original)  # the receipt first issued
    assert_exactly_once(net, [OCTOBER])


@pytest.mark.parametrize("outage", ["aggregator stopped", "connections refused"])
def test_summaries_queued_during_an_outage_arrive_in_order(
    faulty_network: FaultyNetwork, outage: str
) -> None:
    net = faulty_network
    if outage == "aggregator stopped":
        net.aggregator.stop()
    else:  # the aggregator is up but the hub cannot reach it (firewall, network down)
        net.proxy.refuse()

    alert_now = {"HUB_DELIVERY_ALERT_DAYS": "0"}  # the visible alert, without waiting two days
    for period in (SEPTEMBER, OCTOBER):
        pushed = push(net, period, env=alert_now)
        assert pushed.returncode != 0, pushed.stdout
        assert "will retry" in pushed.stdout, pushed.stdout
    assert "(delivery)" in pushed.stdout and "seq 1 (2026-09) has waited" in pushed.stdout
    assert [entry.status for entry in outbox(net)] == [OutboxStatus.PENDING] * 2
    assert net.proxy.forwarded.count == 0

    if outage == "aggregator stopped":
        net.aggregator.restart()
    else:
        net.proxy.pass_through()
    sent = send(net, env=alert_now)

    assert sent.returncode == 0, sent.stdout + sent.stderr
    first = sent.stdout.find("seq 1 (2026-09): delivered: HTTP 201")
    second = sent.stdout.find("seq 2 (2026-10): delivered: HTTP 201")
    assert 0 <= first < second, sent.stdout
    assert net.proxy.statuses == [201, 201]
    with reading(net.hub) as session:  # the alert was raised once and went away by itself
        [alarm] = session.scalars(select(Alarm)).all()
        assert alarm.kind is AlarmKind.DELIVERY and alarm.resolved_at is not None
    assert_exactly_once(net, [SEPTEMBER, OCTOBER])
