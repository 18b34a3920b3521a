"""How fast does the aggregator take verified submissions, and how fast are its log proofs?

Three measurements, printed as figures (this is not a timed test):

(a) Verified submissions per second into a fresh aggregator, in-process
    through the Flask test client: `--hubs` registered hubs (20) each send
    their share of `--submissions` (2,000) seq-chained summaries, round robin,
    to `POST /api/v1/submissions`. Each one is size-checked, parsed, verified
    (Ed25519), schema- and disclosure-checked, sequence-checked, stored,
    appended to the Merkle log with a new signed checkpoint, and answered with
    a receipt carrying an inclusion proof: everything a real submission costs
    except the network.
(b) The raw rate of Ed25519 verification of the same envelopes in a loop
    (`public_key.verify(sig, pae(payloadType, payload))`, payload and
    signature already decoded), and of `federation.envelope.verify_envelope`
    (parse + verify + statement schema), for comparison. Ratios are printed.
(c) Inclusion and consistency proofs at `--leaves` (1,000,000) leaves through
    the aggregator's own log storage and proof functions
    (`national_aggregator.log.services.inclusion_proof_json` /
    `consistency_proof_json`, which read `log_node` rows). The table is filled
    in bulk with the rows `federation.merkle.nodes_to_store` produces, as if
    every leaf had been appended; then `--proofs` random proofs of each kind
    are timed, each in a fresh session (no cached rows), as the aggregator
    serves them: all the nodes a proof needs fetched in one SELECT (their
    addresses come from `federation.merkle.*_proof_addresses`). For
    comparison, the same proofs are timed again reading one node per SELECT,
    which also counts the node reads per proof. Every proof is checked with
    `federation.merkle.verify_*` outside the timing.

Usage: python bench/ingest.py [--submissions 2000] [--hubs 20] [--leaves 1000000]
       [--proofs 500] [--database-url URL] [--skip-ingest] [--skip-proofs]
(default: SQLite files in a temporary folder; pass a PostgreSQL URL to an
empty database to measure PostgreSQL: (a) and (c) each need their own empty
database, so the URL's database is used for (c) and a second database named
`<name>_ingest` is created beside it for (a).)
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import random
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import create_engine, insert, text, update
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from federation.canonical import canonical_json
from federation.disclosure import DEFAULT_RULE
from federation.disclosure.characteristics import CHARACTERISTICS
from federation.disclosure.engine import protect
from federation.disclosure.tables import RawCounts, ThemeCounts
from federation.envelope import PAYLOAD_TYPE, TrustedKey, pae, sign_statement, statement_dict
from federation.envelope import verify_envelope as federation_verify_envelope
from federation.keys import generate_key_pair, key_id
from federation.merkle import (
    NodeReader,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    nodes_to_store,
    root_hash,
    verify_consistency,
    verify_inclusion,
)
from federation.periods import Period
from federation.taxonomy import load_taxonomy
from hubnet.db import make_engine, upgrade_database
from national_aggregator import create_app
from national_aggregator.db import MIGRATIONS
from national_aggregator.log import services as log_services
from national_aggregator.log.models import LOG_STATE_ID, LeafKind, LogLeaf, LogNode, LogState

AUDIENCE = "hubnet-bench-national"
CHUNK = 50_000
FIRST_GSS = 6_000_001  # E06000001 onwards: unitary authorities, plenty of codes


# (a) and (b): ingest ---------------------------------------------------------------------------


def _split(rng: random.Random, total: int, categories: tuple[str, ...]) -> dict[str, int]:
    """`total` people shared at random among `categories` (the counts add up to `total`)."""
    shares = dict.fromkeys(categories, 0)
    for _ in range(total):
        shares[rng.choice(categories)] += 1
    return shares


def summary_body(rng: random.Random) -> dict[str, Any]:
    """A `summary/1` body from the real engine: plausible true counts, then `protect`.

    So ingest is measured on releases the size a hub really sends (every
    theme, every one-way breakdown the counts allow, suppression and all).
    """
    themes: dict[str, ThemeCounts] = {}
    breakdowns: dict[str, dict[str, dict[str, int]]] = {}
    for code in load_taxonomy().codes:
        people = rng.choice([0, 0, 3, 12, 40, 150])
        contributors = people // 2
        themes[code] = ThemeCounts(
            people=people,
            contributors=contributors,
            supporters=people - contributors,
            contributions=contributors,
            by_kind={"idea": contributors},
        )
        breakdowns[code] = {
            name: _split(rng, people, characteristic.codes)
            for name, characteristic in CHARACTERISTICS.items()
        }
    participants = sum(theme.people for theme in themes.values())
    breakdowns["all"] = {
        name: _split(rng, participants, characteristic.codes)
        for name, characteristic in CHARACTERISTICS.items()
    }
    raw = RawCounts(
        participants=participants,
        contributors=sum(theme.contributors for theme in themes.values()),
        supporters=sum(theme.supporters for theme in themes.values()),
        themes=themes,
        breakdowns=breakdowns,
    )
    return protect(raw, DEFAULT_RULE).body


def sign_submissions(
    hubs: list[tuple[str, Ed25519PrivateKey]], total: int, seed: int = 11
) -> list[bytes]:
    """`total` seq-chained summaries, round robin over the hubs, one day's period each."""
    rng = random.Random(seed)
    chains: dict[str, tuple[int, str | None]] = {gss: (0, None) for gss, _ in hubs}
    created = datetime.now(UTC).replace(microsecond=0)
    first_day = date(2020, 1, 1)
    envelopes = []
    for number in range(total):
        gss, key = hubs[number % len(hubs)]
        seq, prev = chains[gss]
        day = first_day + timedelta(days=seq)
        statement = statement_dict(
            kind="summary",
            hub_id=gss,
            seq=seq + 1,
            prev=prev,
            submission_id=str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            aud=AUDIENCE,
            created=created,
            schema="summary/1",
            period=Period(day, day),
            body=summary_body(rng),
        )
        envelopes.append(sign_statement(statement, key))
        chains[gss] = (seq + 1, hashlib.sha256(canonical_json(statement)).hexdigest())
    return envelopes


def bench_ingest(database_url: str, submissions: int, hub_count: int) -> dict[str, float]:
    """Figures (a) and (b)."""
    # Imported here: the registry's signature is the aggregator's, not this file's.
    from hubnet.db import get_session
    from national_aggregator.db import utcnow
    from national_aggregator.log import log_signer
    from national_aggregator.registry.schemas import NewHub
    from national_aggregator.registry.services import register_hub

    instance = Path(tempfile.mkdtemp(prefix="hubnet-bench-aggregator-"))
    generate_key_pair(instance / "log-key.pem", instance / "log-key.pub")
    upgrade_database(database_url, MIGRATIONS)
    app = create_app(
        {
            "TESTING": True,
            "INSTANCE_PATH": str(instance),
            "DATABASE_URL": database_url,
            "AGGREGATOR_ID": AUDIENCE,
            "SECRET_KEY": "bench",
            "RATELIMIT_ENABLED": False,  # flask-limiter: measure verification, not the limiter
        }
    )
    hubs = [
        (f"E{FIRST_GSS + number:08d}", Ed25519PrivateKey.generate()) for number in range(hub_count)
    ]
    with app.app_context():
        session = get_session()
        for number, (gss, key) in enumerate(hubs):
            new = NewHub(gss=gss, name=f"Bench hub {number}", region="Bench", population=250_000)
            register_hub(session, new, key.public_key(), utcnow(), signer=log_signer())
        session.commit()
    print(f"  signing {submissions} summaries from {hub_count} hubs …", flush=True)
    envelopes = sign_submissions(hubs, submissions)
    client = app.test_client()
    tenth = max(1, submissions // 10)
    marks = []
    started = time.perf_counter()
    for number, envelope in enumerate(envelopes):
        if number % tenth == 0:
            marks.append(time.perf_counter())
        response = client.post(
            "/api/v1/submissions", data=envelope, content_type="application/json"
        )
        if response.status_code != 201:
            raise SystemExit(
                f"submission {number} was answered {response.status_code}: {response.data[:300]!r}"
            )
    ingest_seconds = time.perf_counter() - started
    # Does a submission cost more as the log and the tables grow? First tenth vs last tenth.
    first_tenth = tenth / (marks[1] - marks[0]) if len(marks) > 1 else float("nan")
    last_tenth = tenth / (started + ingest_seconds - marks[-1]) if len(marks) > 1 else float("nan")
    app.extensions["hubnet.engine"].dispose()

    # (b) the same envelopes, verification only.
    keys = {key_id(key.public_key()): key.public_key() for _, key in hubs}
    decoded = []
    for envelope in envelopes:
        document = json.loads(envelope)
        signature = document["signatures"][0]
        decoded.append(
            (
                keys[signature["keyid"]],
                base64.b64decode(signature["sig"]),
                base64.b64decode(document["payload"]),
            )
        )
    started = time.perf_counter()
    for public_key, signature, payload in decoded:
        public_key.verify(signature, pae(PAYLOAD_TYPE, payload))
    raw_seconds = time.perf_counter() - started

    lookup = {
        keyid: TrustedKey(public_key, gss)
        for (gss, _), (keyid, public_key) in zip(hubs, keys.items(), strict=True)
    }.get
    started = time.perf_counter()
    for envelope in envelopes:
        federation_verify_envelope(envelope, lookup)
    envelope_seconds = time.perf_counter() - started
    return {
        "submissions": submissions,
        "envelope_bytes": statistics.mean(len(envelope) for envelope in envelopes),
        "ingest_per_second": submissions / ingest_seconds,
        "first_tenth_per_second": first_tenth,
        "last_tenth_per_second": last_tenth,
        "raw_verify_per_second": submissions / raw_seconds,
        "verify_envelope_per_second": submissions / envelope_seconds,
    }


# (c): proofs at a million leaves ---------------------------------------------------------------


def leaf_hashes(count: int) -> Iterator[bytes]:
    """Stand-in leaves: the hash of each index (the proofs never look at entries)."""
    for index in range(count):
        yield leaf_hash(b"bench leaf %d" % index)


def all_nodes(count: int) -> Iterator[tuple[int, int, bytes]]:
    """Every (level, index, hash) row the log stores for `count` appended leaves.

    `nodes_to_store` only ever reads the left sibling it is completing, which
    is always the newest node at that level, so one hash per level is enough.
    """
    newest: dict[int, tuple[int, bytes]] = {}

    def reader(level: int, index: int) -> bytes:
        stored_index, stored_hash = newest[level]
        assert stored_index == index, (level, index, stored_index)
        return stored_hash

    for size_before, hashed in enumerate(leaf_hashes(count)):
        for level, index, node in nodes_to_store(size_before, hashed, reader):
            newest[level] = (index, node)
            yield level, index, node


def _chunks(rows: Iterator[dict[str, Any]], size: int = CHUNK) -> Iterator[list[dict[str, Any]]]:
    batch: list[dict[str, Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def populate_log(database_url: str, leaves: int) -> float:
    """Fill log_leaf, log_node and log_state as if `leaves` entries were appended; seconds taken."""
    upgrade_database(database_url, MIGRATIONS)
    engine = make_engine(database_url)
    now = datetime.now(UTC)
    started = time.perf_counter()
    with Session(engine) as session:
        if engine.dialect.name == "sqlite":
            session.execute(text("PRAGMA synchronous = OFF"))
        # log_leaf.kind is a value enum; a leaf with neither entry is fine for proofs.
        for batch in _chunks(
            {
                "index": index,
                "leaf_hash": hashed,
                "kind": LeafKind.KEY_EVENT,
                "submission_id": None,
                "key_event_id": None,
                "appended_at": now,
            }
            for index, hashed in enumerate(leaf_hashes(leaves))
        ):
            session.execute(insert(LogLeaf), batch)
        for batch in _chunks(
            {"level": level, "index": index, "hash": node}
            for level, index, node in all_nodes(leaves)
        ):
            session.execute(insert(LogNode), batch)
        session.execute(update(LogState).where(LogState.id == LOG_STATE_ID).values(size=leaves))
        session.commit()
    engine.dispose()
    return time.perf_counter() - started


def _counting_reader(session: Session, counter: list[int]) -> NodeReader:
    """The aggregator's one-query-per-node reader, counting its reads."""
    read = log_services.node_reader(session)

    def counted(level: int, index: int) -> bytes:
        counter[0] += 1
        return read(level, index)

    return counted


def _time_proofs(
    engine: Any, cases: list[tuple[int, int]], prove: Callable[[Session, int, int], Any]
) -> tuple[list[float], list[Any]]:
    seconds, answers = [], []
    for a, b in cases:
        with Session(engine) as session:  # fresh: nothing cached from the last proof
            started = time.perf_counter()
            answers.append(prove(session, a, b))
            seconds.append(time.perf_counter() - started)
    return seconds, answers


def _per_node(
    engine: Any, cases: list[tuple[int, int]], algorithm: Callable[..., list[bytes]]
) -> tuple[list[float], list[int], list[list[bytes]]]:
    """The same proofs with one SELECT per stored node, counting the reads."""
    seconds, reads, answers = [], [], []
    for a, b in cases:
        with Session(engine) as session:
            counter = [0]
            started = time.perf_counter()
            answers.append(algorithm(a, b, _counting_reader(session, counter)))
            seconds.append(time.perf_counter() - started)
            reads.append(counter[0])
    return seconds, reads, answers


def _b64s(values: list[str]) -> list[bytes]:
    return [base64.b64decode(value) for value in values]


def bench_proofs(database_url: str, leaves: int, proofs: int, seed: int = 5) -> dict[str, Any]:
    """Figure (c)."""
    print(f"  filling log_leaf and log_node for {leaves:,} leaves …", flush=True)
    fill_seconds = populate_log(database_url, leaves)
    engine = make_engine(database_url)
    rng = random.Random(seed)
    with Session(engine) as session:
        reader = log_services.node_reader(session)
        roots: dict[int, bytes] = {}

        def root(size: int) -> bytes:
            if size not in roots:
                roots[size] = root_hash(size, reader)
            return roots[size]

        # Inclusion: half in the full tree, half in random smaller trees.
        inclusion_cases = []
        for number in range(proofs):
            size = leaves if number % 2 == 0 else rng.randrange(1, leaves + 1)
            inclusion_cases.append((rng.randrange(size), size))
        consistency_cases = []
        for number in range(proofs):
            second = leaves if number % 2 == 0 else rng.randrange(2, leaves + 1)
            consistency_cases.append((rng.randrange(1, second), second))
        for _, size in inclusion_cases:
            root(size)
        for first, second in consistency_cases:
            root(first), root(second)

    # What the aggregator serves: one SELECT of the needed nodes per proof.
    inclusion_seconds, inclusion_answers = _time_proofs(
        engine, inclusion_cases, log_services.inclusion_proof_json
    )
    consistency_seconds, consistency_answers = _time_proofs(
        engine, consistency_cases, log_services.consistency_proof_json
    )
    # The same proofs reading node by node, for comparison and the read counts.
    single_inclusion_seconds, inclusion_reads, single_inclusion = _per_node(
        engine, inclusion_cases, inclusion_proof
    )
    single_consistency_seconds, consistency_reads, single_consistency = _per_node(
        engine, consistency_cases, consistency_proof
    )
    for answer, single in zip(inclusion_answers, single_inclusion, strict=True):
        assert _b64s(answer["proof"]) == single
    for answer, single in zip(consistency_answers, single_consistency, strict=True):
        assert _b64s(answer["proof"]) == single
    for (index, size), answer in zip(inclusion_cases, inclusion_answers, strict=True):
        verify_inclusion(
            base64.b64decode(answer["leaf_hash"]), index, size, _b64s(answer["proof"]), root(size)
        )
    for (first, second), answer in zip(consistency_cases, consistency_answers, strict=True):
        verify_consistency(first, second, root(first), root(second), _b64s(answer["proof"]))
    engine.dispose()
    return {
        "fill_seconds": fill_seconds,
        "inclusion": (inclusion_seconds, inclusion_reads),
        "consistency": (consistency_seconds, consistency_reads),
        "single_inclusion": single_inclusion_seconds,
        "single_consistency": single_consistency_seconds,
    }


# Printing -------------------------------------------------------------------------------------


def _p(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def _proof_line(name: str, seconds: list[float], reads: list[int]) -> str:
    return (
        f"  {name:<12} median {statistics.median(seconds) * 1000:7.2f} ms   "
        f"p99 {_p(seconds, 0.99) * 1000:7.2f} ms   "
        f"node reads median {statistics.median(reads):.0f}, max {max(reads)}"
    )


def _sibling_database(url: str, suffix: str) -> str:
    """A new PostgreSQL database beside `url`'s, for the ingest run (`main` drops it after)."""
    parsed = make_url(url)
    name = f"{parsed.database}_{suffix}"
    admin = create_engine(
        parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False),
        isolation_level="AUTOCOMMIT",
    )
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return parsed.set(database=name).render_as_string(hide_password=False)


def _drop_database(url: str) -> None:
    parsed = make_url(url)
    admin = create_engine(
        parsed.set(drivername="postgresql+psycopg", database="postgres").render_as_string(
            hide_password=False
        ),
        isolation_level="AUTOCOMMIT",
    )
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{parsed.database}"'))
    admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--submissions", type=int, default=2000)
    parser.add_argument("--hubs", type=int, default=20)
    parser.add_argument("--leaves", type=int, default=1_000_000)
    parser.add_argument("--proofs", type=int, default=500)
    parser.add_argument("--database-url", help="an empty PostgreSQL database (default: SQLite)")
    parser.add_argument("--skip-ingest", action="store_true")
    parser.add_argument("--skip-proofs", action="store_true")
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="hubnet-bench-"))
    if args.database_url:
        proofs_url = args.database_url
        ingest_url = _sibling_database(args.database_url, "ingest")
    else:
        proofs_url = f"sqlite:///{folder / 'proofs.sqlite3'}"
        ingest_url = f"sqlite:///{folder / 'ingest.sqlite3'}"
    database = make_url(proofs_url).get_backend_name()
    print(f"hubnet ingest benchmark ({database})")

    if not args.skip_ingest:
        print("\n(a) verified submissions into the aggregator, (b) raw Ed25519 verification")
        try:
            figures = bench_ingest(ingest_url, args.submissions, args.hubs)
        finally:
            if args.database_url:
                _drop_database(ingest_url)
        ingest, raw = figures["ingest_per_second"], figures["raw_verify_per_second"]
        envelope = figures["verify_envelope_per_second"]
        print(
            f"  {figures['submissions']} summaries of {figures['envelope_bytes'] / 1024:.1f} KiB "
            f"from {args.hubs} hubs"
        )
        print(f"  (a) accepted through POST /api/v1/submissions: {ingest:10.1f} per second")
        print(
            f"      first tenth {figures['first_tenth_per_second']:.1f}/s, "
            f"last tenth {figures['last_tenth_per_second']:.1f}/s"
        )
        print(f"  (b) Ed25519 verify(sig, PAE) alone:              {raw:10.1f} per second")
        print(f"      federation verify_envelope (parse + verify): {envelope:10.1f} per second")
        print(
            f"  ratio (b) / (a): {raw / ingest:.1f}x  (a) is {ingest / raw:.2%} of raw verification"
        )
        print(f"  ratio verify_envelope / (a): {envelope / ingest:.1f}x")

    if not args.skip_proofs:
        print(f"\n(c) log proofs at {args.leaves:,} leaves, aggregator storage ({database})")
        figures = bench_proofs(proofs_url, args.leaves, args.proofs)
        print(f"  filled log_leaf + log_node in {figures['fill_seconds']:.1f} s")
        print(
            f"  {args.proofs} proofs of each kind as the aggregator serves them (one SELECT "
            "of the needed nodes), each in a fresh session:"
        )
        print(_proof_line("inclusion", *figures["inclusion"]))
        print(_proof_line("consistency", *figures["consistency"]))
        print("  the same proofs reading one stored node per SELECT:")
        for name in ("inclusion", "consistency"):
            seconds = figures[f"single_{name}"]
            print(
                f"  {name:<12} median {statistics.median(seconds) * 1000:7.2f} ms   "
                f"p99 {_p(seconds, 0.99) * 1000:7.2f} ms   "
                f"({statistics.median(seconds) / statistics.median(figures[name][0]):.1f}x "
                "slower than one SELECT)"
            )
        inclusion = statistics.median(figures["inclusion"][0])
        consistency = statistics.median(figures["consistency"][0])
        if not args.skip_ingest:
            per_submission = 1 / ingest
            print(
                f"  ratio of one submission's cost to a median inclusion proof: "
                f"{per_submission / inclusion:.1f}x; to a consistency proof: "
                f"{per_submission / consistency:.1f}x"
            )


if __name__ == "__main__":
    main()
