"""The committed envelope vectors: each fails exactly as the manifest says, and all regenerate.

See tests/federation/vectors/README.md for the manifest's format.
"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from federation import errors
from federation.envelope import KeyLookup, TrustedKey, verify_envelope
from federation.keys import key_id, load_public_key
from federation.statement import check_statement

VECTORS = Path(__file__).parent / "vectors"
MANIFEST: dict[str, Any] = json.loads((VECTORS / "manifest.json").read_text(encoding="utf-8"))
ENTRIES: list[dict[str, Any]] = MANIFEST["vectors"]


def registered_lookup() -> KeyLookup:
    table = {}
    for label, owner in MANIFEST["registered"].items():
        public_key = load_public_key(VECTORS / MANIFEST["keys"][label]["public"])
        table[key_id(public_key)] = TrustedKey(public_key, owner)
    return table.get


def receiver_now() -> datetime:
    return datetime.strptime(MANIFEST["receiver_now"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


def test_the_manifest_covers_the_required_cases() -> None:
    expected = {entry["error"] for entry in ENTRIES}
    assert expected >= {
        None,
        "BadSignature",
        "UnknownKey",
        "NonCanonical",
        "DuplicateKey",
        "WrongPayloadType",
        "BadBase64",
        "PayloadTooLarge",
        "SchemaViolation",
    }
    files = {entry["file"] for entry in ENTRIES}
    assert len(files) == len(ENTRIES)
    for name in files:
        assert (VECTORS / name).is_file(), name


@pytest.mark.parametrize("entry", ENTRIES, ids=[entry["file"] for entry in ENTRIES])
def test_vector(entry: dict[str, Any]) -> None:
    raw = (VECTORS / entry["file"]).read_bytes()
    lookup = registered_lookup()
    expected = getattr(errors, entry["error"]) if entry["error"] else None
    if expected is not None:
        assert (expected.status, expected.slug) == (entry["status"], entry["slug"])
    if entry["stage"] == "verify_envelope" and expected is not None:
        with pytest.raises(errors.ProtocolError) as caught:
            verify_envelope(raw, lookup)
        assert type(caught.value) is expected, caught.value
        assert caught.value.field == entry["field"]
        return
    statement = verify_envelope(raw, lookup)
    assert statement.hub_id == MANIFEST["hub_id"]
    if expected is None:
        check_statement(statement, audience=MANIFEST["audience"], now=receiver_now())
        assert entry["status"] == 201
        return
    with pytest.raises(errors.ProtocolError) as caught:
        check_statement(statement, audience=MANIFEST["audience"], now=receiver_now())
    assert type(caught.value) is expected, caught.value
    assert caught.value.field == entry["field"]


def test_good_vectors_chain() -> None:
    lookup = registered_lookup()
    by_file = {entry["file"]: entry for entry in ENTRIES}
    second = verify_envelope((VECTORS / "good-seq2.json").read_bytes(), lookup)
    first_file = by_file["good-seq2.json"]["after"]
    first = verify_envelope((VECTORS / first_file).read_bytes(), lookup)
    assert (first.seq, second.seq) == (1, 2)
    assert second.prev == first.payload_sha256


def test_wrong_key_vector_verifies_once_that_key_is_known() -> None:
    # The UnknownKey vector is a genuine signature: only registration is missing.
    public_key = load_public_key(VECTORS / MANIFEST["keys"]["wrong"]["public"])
    lookup = {key_id(public_key): TrustedKey(public_key, MANIFEST["hub_id"])}.get
    verify_envelope((VECTORS / "wrong-key-unknown.json").read_bytes(), lookup)


@pytest.mark.parametrize("label", ["hub", "wrong"])
def test_key_files_match(label: str) -> None:
    names = MANIFEST["keys"][label]
    private_key = serialization.load_pem_private_key(
        (VECTORS / names["private"]).read_bytes(), password=None
    )
    assert isinstance(private_key, Ed25519PrivateKey)
    public_key = load_public_key(VECTORS / names["public"])
    assert key_id(private_key.public_key()) == key_id(public_key) == names["keyid"]


def test_make_vectors_regenerates_identical_bytes(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, str(VECTORS / "make_vectors.py"), "--out", str(tmp_path)],
        check=True,
        capture_output=True,
    )
    generated = sorted(path.name for path in tmp_path.iterdir())
    committed = sorted(
        path.name
        for path in VECTORS.iterdir()
        if path.name not in {"README.md", "make_vectors.py"} and path.is_file()
    )
    assert generated == committed
    for name in generated:
        assert (tmp_path / name).read_bytes() == (VECTORS / name).read_bytes(), name
