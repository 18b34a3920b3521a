"""The log's read endpoints: checkpoints by size, inclusion and consistency proofs, entries.

Every proof is checked the way an auditor checks it: with
`federation.merkle.verify_inclusion` / `verify_consistency` against the roots
of checkpoints signed by the log key, and every entry by rebuilding the tree.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event

from federation.checkpoint import verify_checkpoint
from federation.keys import load_public_key
from federation.merkle import (
    EMPTY_ROOT,
    leaf_hash,
    root_from_leaf_hashes,
    verify_consistency,
    verify_inclusion,
)
from hubnet.db import get_session
from national_aggregator.db import utcnow
from national_aggregator.log import log_signer
from national_aggregator.log.models import LeafKind
from national_aggregator.log.services import append_leaf, lock_log
from tests.aggregator.conftest import RegisterHub, assert_problem, log_entries, post, row_counts


@pytest.fixture
def log_key(instance: Path) -> Ed25519PublicKey:
    return load_public_key(instance / "log-key.pub")


@pytest.fixture
def seven_leaves(client: FlaskClient, register: RegisterHub) -> list[bytes]:
    """Two registrations and five summaries: seven leaves, not a power of two."""
    manchester = register()
    cornwall = register("E06000052", "Cornwall", "South West", 570305)
    for hub, people in [(manchester, 10), (cornwall, 20), (manchester, 30), (cornwall, 40),
                        (manchester, 50)]:  # fmt: skip
        assert post(client, hub.summary({"gp-access": people})).status_code == 201
    entries = log_entries(client, 0, 7)
    assert len(entries) == 7
    return entries


def root_of(client: FlaskClient, size: int, log_key: Ed25519PublicKey) -> bytes:
    """The root of the checkpoint of `size`, after checking the log key signed it."""
    response = client.get(f"/api/v1/log/checkpoints/{size}")
    assert response.status_code == 200, response.data
    checkpoint = verify_checkpoint(response.get_json(), log_key)
    assert checkpoint.size == size
    return checkpoint.root


def test_every_size_has_a_signed_checkpoint_whose_root_covers_that_many_entries(
    client: FlaskClient, seven_leaves: list[bytes], log_key: Ed25519PublicKey
) -> None:
    hashes = [leaf_hash(entry) for entry in seven_leaves]

    for size in range(8):
        assert root_of(client, size, log_key) == root_from_leaf_hashes(hashes[:size])

    assert root_of(client, 0, log_key) == EMPTY_ROOT
    latest = client.get("/api/v1/log/checkpoint").get_json()
    assert latest == client.get("/api/v1/log/checkpoints/7").get_json()


def test_every_inclusion_proof_verifies_against_its_checkpoint(
    client: FlaskClient, seven_leaves: list[bytes], log_key: Ed25519PublicKey
) -> None:
    for tree_size in range(1, 8):
        root = root_of(client, tree_size, log_key)
        for leaf_index in range(tree_size):
            response = client.get(
                f"/api/v1/log/proof/inclusion?leaf_index={leaf_index}&tree_size={tree_size}"
            )
            assert response.status_code == 200
            document = response.get_json()
            assert (document["leaf_index"], document["tree_size"]) == (leaf_index, tree_size)
            leaf = base64.b64decode(document["leaf_hash"])
            assert leaf == leaf_hash(seven_leaves[leaf_index])
            proof = [base64.b64decode(node) for node in document["proof"]]
            verify_inclusion(leaf, leaf_index, tree_size, proof, root)


def test_every_consistency_proof_verifies_between_its_checkpoints(
    client: FlaskClient, seven_leaves: list[bytes], log_key: Ed25519PublicKey
) -> None:
    roots = [root_of(client, size, log_key) for size in range(8)]
    for second in range(8):
        for first in range(second + 1):
            response = client.get(f"/api/v1/log/proof/consistency?first={first}&second={second}")
            assert response.status_code == 200
            document = response.get_json()
            assert (document["first"], document["second"]) == (first, second)
            proof = [base64.b64decode(node) for node in document["proof"]]
            verify_consistency(first, second, roots[first], roots[second], proof)


def test_entries_are_the_exact_bytes_and_rebuild_the_tree(
    client: FlaskClient, register: RegisterHub, log_key: Ed25519PublicKey
) -> None:
    hub = register()
    sent = [hub.summary({"dentistry": 10}), hub.summary({"dentistry": 20})]
    for envelope in sent:
        post(client, envelope)

    document = client.get("/api/v1/log/entries?start=0&end=3").get_json()
    partial = client.get("/api/v1/log/entries?start=1&end=2").get_json()
    empty = client.get("/api/v1/log/entries?start=3&end=3").get_json()

    assert (document["start"], document["end"]) == (0, 3)
    assert [entry["index"] for entry in document["entries"]] == [0, 1, 2]
    entries = [base64.b64decode(entry["envelope"]) for entry in document["entries"]]
    assert entries[1:] == sent  # byte for byte, after the registration's key event
    assert partial["entries"] == document["entries"][1:2]
    assert empty == {"start": 3, "end": 3, "entries": []}
    root = root_of(client, 3, log_key)
    assert root_from_leaf_hashes([leaf_hash(entry) for entry in entries]) == root


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("leaf_index=abc&tree_size=3", "leaf_index"),
        ("leaf_index=-1&tree_size=3", "leaf_index"),
        ("leaf_index=1.5&tree_size=3", "leaf_index"),
        ("leaf_index=0", "tree_size"),
        ("leaf_index=3&tree_size=3", "leaf_index"),
        ("leaf_index=0&tree_size=1&extra=1", "extra"),
        ("leaf_index=0&tree_size=9007199254740992", "tree_size"),
    ],
    ids=["not-a-number", "negative", "fraction", "missing", "index-not-in-tree", "unknown",
         "over-2^53"],
)  # fmt: skip
def test_a_bad_inclusion_query_is_a_400_problem_naming_the_parameter(
    client: FlaskClient, seven_leaves: list[bytes], query: str, field: str
) -> None:
    response = client.get(f"/api/v1/log/proof/inclusion?{query}")

    problem = assert_problem(response, 400, "validation-error", field)
    assert problem["instance"] == "/api/v1/log/proof/inclusion"


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/api/v1/log/proof/consistency?first=3&second=2", "first"),
        ("/api/v1/log/proof/consistency?first=x&second=2", "first"),
        ("/api/v1/log/proof/consistency?first=1&second=-2", "second"),
        ("/api/v1/log/entries?start=5&end=4", "end"),
        ("/api/v1/log/entries?start=0&end=1001", "end"),
        ("/api/v1/log/entries?start=0", "end"),
        ("/api/v1/log/entries?start=a&end=2", "start"),
    ],
    ids=["first-after-second", "not-a-number", "negative", "end-before-start", "range-too-long",
         "missing", "start-not-a-number"],
)  # fmt: skip
def test_a_bad_consistency_or_entries_query_is_a_400_problem(
    client: FlaskClient, seven_leaves: list[bytes], path: str, field: str
) -> None:
    assert_problem(client.get(path), 400, "validation-error", field)


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/api/v1/log/proof/inclusion?leaf_index=0&tree_size=8", "tree_size"),
        ("/api/v1/log/proof/consistency?first=1&second=8", "second"),
        ("/api/v1/log/entries?start=5&end=8", "end"),
        ("/api/v1/log/entries?start=900&end=1000", "end"),
    ],
    ids=["inclusion", "consistency", "entries", "entries-far-beyond"],
)
def test_a_size_beyond_the_log_is_a_400_problem(
    client: FlaskClient, seven_leaves: list[bytes], path: str, field: str
) -> None:
    problem = assert_problem(client.get(path), 400, "beyond-the-log", field)

    assert "which has 7 entries" in problem["detail"]


@pytest.mark.parametrize(
    ("size", "status", "slug"),
    [("8", 404, "checkpoint-not-found"), ("99999999999999999999999", 404, "checkpoint-not-found"),
     ("9" * 5000, 404, "checkpoint-not-found"),
     ("abc", 400, "validation-error"), ("-1", 400, "validation-error"),
     ("1.0", 400, "validation-error")],
    ids=["beyond", "huge", "5000-digits", "not-a-number", "negative", "fraction"],
)  # fmt: skip
def test_a_checkpoint_that_was_never_issued_is_404_and_a_bad_size_400(
    client: FlaskClient, seven_leaves: list[bytes], size: str, status: int, slug: str
) -> None:
    assert_problem(client.get(f"/api/v1/log/checkpoints/{size}"), status, slug, "size")


def test_reading_the_log_stores_nothing(
    client: FlaskClient, seven_leaves: list[bytes], app: Flask
) -> None:
    before = row_counts(app)

    client.get("/api/v1/log/proof/inclusion?leaf_index=2&tree_size=7")
    client.get("/api/v1/log/proof/consistency?first=2&second=7")
    client.get("/api/v1/log/entries?start=0&end=7")
    client.get("/api/v1/log/checkpoints/0")

    assert row_counts(app) == before


@pytest.fixture
def big_log(app: Flask) -> int:
    """A log of 300 leaves appended directly (proof tests need size, not real statements)."""
    size = 300
    with app.app_context():
        session = get_session()
        for number in range(size):
            append_leaf(
                session, f"entry {number}".encode(), size_before=lock_log(session),
                kind=LeafKind.STATEMENT, signer=log_signer(), now=utcnow(),
            )  # fmt: skip
        session.commit()
    return size


@pytest.fixture
def count_queries(app: Flask) -> Iterator[list[str]]:
    """Every SQL statement the app runs while the test collects them."""
    statements: list[str] = []
    engine = app.extensions["hubnet.engine"]

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    yield statements
    event.remove(engine, "before_cursor_execute", record)


def test_proofs_read_a_few_stored_subtrees_not_the_whole_log(
    client: FlaskClient, big_log: int, count_queries: list[str], log_key: Ed25519PublicKey
) -> None:
    """A proof reads its O(log n) stored subtree hashes in one query, never the whole log."""
    root = root_of(client, big_log, log_key)
    count_queries.clear()

    inclusion = client.get(f"/api/v1/log/proof/inclusion?leaf_index=123&tree_size={big_log}")
    consistency = client.get(f"/api/v1/log/proof/consistency?first=77&second={big_log}")

    node_queries = [sql for sql in count_queries if "FROM log_node" in sql]
    assert len(node_queries) == 2  # one SELECT of exactly the needed nodes per proof
    assert not any("FROM log_leaf" in sql and "LIMIT" not in sql and "WHERE" not in sql
                   for sql in count_queries)  # fmt: skip
    document = inclusion.get_json()
    verify_inclusion(
        leaf_hash(b"entry 123"), 123, big_log,
        [base64.b64decode(node) for node in document["proof"]], root,
    )  # fmt: skip
    proof = [base64.b64decode(node) for node in consistency.get_json()["proof"]]
    verify_consistency(77, big_log, root_of(client, 77, log_key), root, proof)
