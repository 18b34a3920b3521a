"""The transparency log as hubs and auditors rely on it: receipts, checkpoints, concurrency."""

from __future__ import annotations

import base64
import threading
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient

from federation.checkpoint import verify_checkpoint
from federation.client import verify_receipt
from federation.keys import load_public_key
from federation.merkle import EMPTY_ROOT, leaf_hash, root_from_leaf_hashes
from tests.aggregator.conftest import RegisterHub, log_entries, post, summary_body

HUBS = [
    ("E08000003", "Manchester", "North West", 551938),
    ("E06000052", "Cornwall", "South West", 570305),
    ("E08000035", "Leeds", "Yorkshire and The Humber", 811953),
    ("E09000033", "Westminster", "London", 204236),
]


def test_an_empty_log_has_a_signed_size_0_checkpoint(client: FlaskClient, instance: Path) -> None:
    document = client.get("/api/v1/log/checkpoint").get_json()

    checkpoint = verify_checkpoint(document, load_public_key(instance / "log-key.pub"))

    assert (checkpoint.size, checkpoint.root) == (0, EMPTY_ROOT)


def test_every_receipt_verifies_and_the_checkpoint_covers_every_entry_in_order(
    client: FlaskClient, register: RegisterHub, instance: Path
) -> None:
    hubs = [register(*hub) for hub in HUBS[:3]]
    log_key = load_public_key(instance / "log-key.pub")
    envelopes = log_entries(client, 0, 3)  # the three registrations: key events
    for round_number in range(3):
        for hub in hubs:
            envelope = hub.summary({"gp-access": 10 * (round_number + 1)})
            receipt = post(client, envelope).get_json()
            assert verify_receipt(receipt, envelope, log_key).size == len(envelopes) + 1
            envelopes.append(envelope)

    document = client.get("/api/v1/log/checkpoint").get_json()

    checkpoint = verify_checkpoint(document, log_key)
    assert checkpoint.size == 12
    assert checkpoint.root == root_from_leaf_hashes([leaf_hash(e) for e in envelopes])


def _post_together(app: Flask, envelopes: list[bytes]) -> list[tuple[int, dict[str, object]]]:
    """POST each envelope from its own thread, all released at once."""
    barrier = threading.Barrier(len(envelopes))
    answers: list[tuple[int, dict[str, object]]] = [(0, {})] * len(envelopes)

    def send(position: int) -> None:
        client = app.test_client()
        barrier.wait()
        response = post(client, envelopes[position])
        answers[position] = (response.status_code, response.get_json())

    threads = [threading.Thread(target=send, args=(n,)) for n in range(len(envelopes))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answers


def test_concurrent_submissions_from_different_hubs_each_get_their_own_leaf(
    app: Flask, client: FlaskClient, register: RegisterHub
) -> None:
    hubs = [register(*hub) for hub in HUBS]
    registrations = log_entries(client, 0, len(HUBS))
    envelopes = [hub.summary({"mental-health": 20}) for hub in hubs]

    answers = _post_together(app, envelopes)

    assert [status for status, _ in answers] == [201] * len(HUBS)
    indexes = sorted(receipt["log_index"] for _, receipt in answers)
    assert indexes == list(range(len(HUBS), 2 * len(HUBS)))
    by_index = sorted(zip(answers, envelopes, strict=True), key=lambda a: a[0][1]["log_index"])
    leaves = [*registrations, *(envelope for _, envelope in by_index)]
    root = root_from_leaf_hashes([leaf_hash(envelope) for envelope in leaves])
    latest = client.get("/api/v1/log/checkpoint").get_json()
    assert (latest["size"], base64.b64decode(latest["root"])) == (2 * len(HUBS), root)


def test_racing_statements_from_one_hub_cannot_both_take_the_same_seq(
    app: Flask, client: FlaskClient, register: RegisterHub
) -> None:
    hub = register()
    rivals = [
        hub.sign(hub.statement(body=summary_body({"dentistry": 10 * n}))) for n in range(1, 5)
    ]

    answers = _post_together(app, rivals)

    statuses = sorted(status for status, _ in answers)
    assert statuses == [201, 422, 422, 422]  # the others are equivocations of seq 1
    assert client.get("/api/v1/hubs").get_json()[0]["last_seq"] == 1
    assert client.get("/api/v1/log/checkpoint").get_json()["size"] == 2  # registration + seq 1
