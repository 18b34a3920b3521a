"""Regenerate the envelope test vectors in this folder, byte for byte.

    .venv/bin/python tests/federation/vectors/make_vectors.py            # rewrite in place
    .venv/bin/python tests/federation/vectors/make_vectors.py --out DIR  # write elsewhere

Everything is fixed: the TEST-ONLY keys come from fixed seeds, the statements
from fixed times, ids and counts, and Ed25519 signatures are deterministic, so
a second run writes identical bytes (tests/federation/test_vectors.py checks).
See README.md for what each file is and how the manifest reads.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from federation import errors
from federation.canonical import canonical_json
from federation.disclosure import CHARACTERISTICS, DEFAULT_RULE, RawCounts, ThemeCounts, protect
from federation.envelope import (
    MAX_ENVELOPE_BYTES,
    PAYLOAD_TYPE,
    pae,
    sign_statement,
    statement_dict,
)
from federation.keys import key_id, public_key_pem
from federation.periods import Period
from federation.taxonomy import CURRENT_VERSION, load_taxonomy

HERE = Path(__file__).resolve().parent
HUB_ID = "E08000003"  # Manchester
AUDIENCE = "hubnet-national-england"
CREATED = datetime(2026, 11, 1, 9, 0, 0, tzinfo=UTC)
RECEIVER_NOW = "2026-11-01T09:02:00Z"
PERIOD = Period.month(2026, 10)
SUBMISSION_IDS = {
    1: "0b7e4c6a-3f1d-4a2b-9c8e-5d6f7a8b9c01",
    2: "0b7e4c6a-3f1d-4a2b-9c8e-5d6f7a8b9c02",
}
KEY_NAMES = {"hub": "test-hub-key", "wrong": "test-wrong-key"}


def test_key(name: str) -> Ed25519PrivateKey:
    """A TEST-ONLY key from a public seed: anyone can recompute it, so it protects nothing."""
    seed = hashlib.sha256(f"hubnet TEST-ONLY key, never for real use: {name}".encode()).digest()
    return Ed25519PrivateKey.from_private_bytes(seed)


def _share(total: int, codes: tuple[str, ...], salt: int) -> dict[str, int]:
    """`total` people shared among categories by a fixed formula (every person in one)."""
    weights = [((salt + 3) * (position + 5)) % 7 for position in range(len(codes))]
    if not any(weights):
        weights[-1] = 1
    shares = [total * weight // sum(weights) for weight in weights]
    shares[weights.index(max(weights))] += total - sum(shares)
    return dict(zip(codes, shares, strict=True))


def summary_body(month_offset: int) -> dict[str, Any]:
    """A valid summary/1 body from fixed raw counts, protected by the default rule."""
    codes = load_taxonomy(CURRENT_VERSION).codes
    themes = {}
    for index, code in enumerate(codes):
        raw = (index * 37 + month_offset * 11) % 97  # fixed and varied
        if index % 9 == 8:
            raw = 0  # a theme nobody raised: 0 stays 0
        elif index % 7 == 6:
            raw = 2 + month_offset  # a handful of people: suppressed
        contributors = (raw * 2) // 3 + (1 if raw else 0)
        themes[code] = ThemeCounts(
            people=raw,
            contributors=contributors,
            supporters=raw - contributors // 2,
            contributions=contributors * 2,
            by_kind={
                kind: (contributors * (position + 1)) // 4
                for position, kind in enumerate(("idea", "concern", "question", "experience"))
            },
        )
    participants = 1234 + month_offset
    margins = {"all": participants, **{code: counts.people for code, counts in themes.items()}}
    breakdowns = {
        scope: {
            name: _share(margin, characteristic.codes, salt + len(name))
            for name, characteristic in CHARACTERISTICS.items()
        }
        for salt, (scope, margin) in enumerate(margins.items())
    }
    raw_counts = RawCounts(
        participants=participants,
        contributors=812 + month_offset,
        supporters=655 + month_offset,
        themes=themes,
        breakdowns=breakdowns,
    )
    return protect(raw_counts, DEFAULT_RULE).body


def statement(seq: int, prev: str | None, **changes: Any) -> dict[str, Any]:
    value = statement_dict(
        kind="summary",
        hub_id=HUB_ID,
        seq=seq,
        prev=prev,
        submission_id=SUBMISSION_IDS[seq],
        aud=AUDIENCE,
        created=CREATED,
        schema="summary/1",
        period=PERIOD,
        body=summary_body(seq),
    )
    value.update(changes)
    return value


def envelope(
    payload: bytes,
    key: Ed25519PrivateKey,
    *,
    payload_type: str = PAYLOAD_TYPE,
    keyid: str | None = None,
) -> dict[str, Any]:
    """Sign arbitrary payload bytes (sign_statement would canonicalise them first)."""
    signature = key.sign(pae(payload_type, payload))
    return {
        "payloadType": payload_type,
        "payload": base64.b64encode(payload).decode("ascii"),
        "signatures": [
            {
                "keyid": keyid or key_id(key.public_key()),
                "sig": base64.b64encode(signature).decode("ascii"),
            }
        ],
    }


def flip_last_spare_bit(encoded: str) -> str:
    """The same bytes in a non-canonical base64 spelling (a padding bit set)."""
    data = encoded.rstrip("=")
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    assert len(encoded) > len(data), "needs padding to have spare bits"
    last = alphabet[alphabet.index(data[-1]) | 1]
    assert last != data[-1], "the spare bit was already set"
    return data[:-1] + last + encoded[len(data) :]


def build() -> tuple[dict[str, bytes], list[dict[str, Any]]]:
    """Every vector file's bytes, and the manifest's entries."""
    hub, wrong = test_key("hub"), test_key("wrong")
    hub_keyid = key_id(hub.public_key())
    files: dict[str, bytes] = {}
    entries: list[dict[str, Any]] = []

    def add(
        name: str,
        data: bytes,
        error: type[errors.ProtocolError] | None,
        description: str,
        *,
        stage: str = "verify_envelope",
        field: str | None = None,
        after: str | None = None,
    ) -> None:
        files[name] = data
        entries.append(
            {
                "file": name,
                "error": error.__name__ if error else None,
                "status": error.status if error else 201,
                "slug": error.slug if error else None,
                "field": field,
                "stage": stage,
                "after": after,
                "description": description,
            }
        )

    first = statement(1, None)
    good1 = sign_statement(first, hub)
    add("good-seq1.json", good1, None, "A valid summary, seq 1 (prev null).")
    first_payload = canonical_json(first)
    second = statement(2, hashlib.sha256(first_payload).hexdigest())
    good2 = sign_statement(second, hub)
    add(
        "good-seq2.json",
        good2,
        None,
        "A valid summary, seq 2, chained to good-seq1 (prev = SHA-256 of its payload).",
        after="good-seq1.json",
    )

    tampered = bytearray(first_payload)
    position = tampered.index(b'"kind":"summary"') + len(b'"kind":"')
    tampered[position] ^= 0x20  # "summary" -> "Summary": still JSON, no longer signed
    good_env = json.loads(good1)
    good_env["payload"] = base64.b64encode(bytes(tampered)).decode("ascii")
    add(
        "tampered-payload-byte.json",
        canonical_json(good_env),
        errors.BadSignature,
        "good-seq1 with one payload byte changed after signing.",
        field="signatures[0].sig",
    )

    add(
        "wrong-key-unknown.json",
        canonical_json(envelope(first_payload, wrong)),
        errors.UnknownKey,
        "good-seq1's statement signed by test-wrong-key under its own key id.",
        field="signatures",
    )
    add(
        "wrong-key-claims-hub-keyid.json",
        canonical_json(envelope(first_payload, wrong, keyid=hub_keyid)),
        errors.BadSignature,
        "Signed by test-wrong-key but claiming test-hub-key's key id.",
        field="signatures[0].sig",
    )

    pretty = json.dumps(first, indent=2).encode("utf-8")
    add(
        "non-canonical-payload.json",
        canonical_json(envelope(pretty, hub)),
        errors.NonCanonical,
        "Correctly signed, but the payload is indented JSON, not its RFC 8785 form.",
    )

    duplicated = first_payload.replace(
        b'{"aud":', b'{"aud":' + json.dumps(AUDIENCE).encode() + b',"aud":', 1
    )
    assert duplicated != first_payload
    add(
        "duplicate-key-payload.json",
        canonical_json(envelope(duplicated, hub)),
        errors.DuplicateKey,
        'Correctly signed payload whose statement repeats the key "aud".',
        field="aud",
    )

    good_text = good1.decode("ascii")
    assert good_text.startswith('{"payload":"')
    duplicate_envelope = '{"payload":"e30=",' + good_text[1:]
    add(
        "duplicate-key-envelope.json",
        duplicate_envelope.encode("ascii"),
        errors.DuplicateKey,
        'good-seq1 with a second "payload" key in the envelope JSON.',
        field="payload",
    )

    add(
        "wrong-payload-type.json",
        canonical_json(envelope(first_payload, hub, payload_type="application/vnd.in-toto+json")),
        errors.WrongPayloadType,
        "Correctly signed over PAE with payloadType application/vnd.in-toto+json.",
        field="payloadType",
    )

    bad = json.loads(good1)
    bad["payload"] = "!" + bad["payload"][1:]
    add(
        "bad-base64.json",
        canonical_json(bad),
        errors.BadBase64,
        "good-seq1 with a character outside the base64 alphabet in payload.",
        field="payload",
    )

    loose = json.loads(good1)
    loose["signatures"][0]["sig"] = flip_last_spare_bit(loose["signatures"][0]["sig"])
    add(
        "non-canonical-base64-sig.json",
        canonical_json(loose),
        errors.BadBase64,
        "good-seq1 with the signature's base64 respelled (a padding bit set): same bytes, "
        "different text.",
        field="signatures[0].sig",
    )

    padding = MAX_ENVELOPE_BYTES + 1 - len(good1)
    add(
        "too-large.json",
        good1 + b" " * padding,
        errors.PayloadTooLarge,
        f"good-seq1 followed by spaces: {MAX_ENVELOPE_BYTES + 1} bytes, one over the limit.",
    )

    broken = statement(1, None, created="2026-11-01 09:00:00")
    add(
        "statement-schema-error.json",
        sign_statement(broken, hub),
        errors.SchemaViolation,
        "Correctly signed statement whose created is not RFC 3339 UTC.",
        field="created",
    )

    body_error = statement(1, None)
    body_error["body"]["themes"][3]["people"]["value"] = "10"
    add(
        "body-schema-error.json",
        sign_statement(body_error, hub),
        errors.SchemaViolation,
        "Verifies; its body has a count written as a string (checked by check_statement).",
        stage="check_statement",
        field="body.themes[3].people.value",
    )

    leaky = statement(1, None)
    theme = leaky["body"]["themes"][2]
    theme["supporters"] = {"value": 3, "suppressed": False}
    add(
        "disclosure-violation.json",
        sign_statement(leaky, hub),
        errors.DisclosureViolation,
        "Verifies and matches the schema, but publishes a count of 3 people.",
        stage="check_statement",
        field=f"body.themes[{theme['code']}].supporters",
    )

    add(
        "wrong-audience.json",
        sign_statement(statement(1, None, aud="another-aggregator"), hub),
        errors.WrongAudience,
        "Verifies, but is addressed to another aggregator.",
        stage="check_statement",
        field="aud",
    )
    return files, entries


def key_files() -> dict[str, bytes]:
    files = {}
    for label, name in KEY_NAMES.items():
        key = test_key(label)
        files[f"{name}.pem"] = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        files[f"{name}.pub"] = public_key_pem(key.public_key())
    return files


def manifest(entries: list[dict[str, Any]]) -> bytes:
    document = {
        "about": "hubnet/1 envelope test vectors; see README.md. TEST-ONLY keys.",
        "hub_id": HUB_ID,
        "audience": AUDIENCE,
        "receiver_now": RECEIVER_NOW,
        "keys": {
            label: {
                "private": f"{name}.pem",
                "public": f"{name}.pub",
                "keyid": key_id(test_key(label).public_key()),
            }
            for label, name in KEY_NAMES.items()
        },
        "registered": {"hub": HUB_ID},
        "vectors": entries,
    }
    return (json.dumps(document, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def write_all(out: Path) -> list[str]:
    """Write every generated file into `out`; return their names."""
    out.mkdir(parents=True, exist_ok=True)
    files, entries = build()
    files.update(key_files())
    files["manifest.json"] = manifest(entries)
    for name, data in files.items():
        (out / name).write_bytes(data)
    return sorted(files)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=HERE, help="folder to write (default: here)")
    args = parser.parse_args()
    for name in write_all(args.out):
        print(args.out / name)


if __name__ == "__main__":
    main()
