"""hubnet's protocol library, shared by every hub and the national aggregator.

Covers: canonical JSON (RFC 8785), Ed25519 keys and RFC 7638 key ids, the
DSSE-style signed envelope, statement and summary schemas, key rotation
(`statement`) and the log's key events (`keyevents`), the national theme
taxonomy, disclosure control, RFC 9162 Merkle log proofs, signed checkpoints
and witness cosignatures, replaying a log's key history (`keyhistory`) and
auditing a whole log (`audit`), and the HTTP client a hub uses to push
envelopes and check receipts.

Leaves out: any web framework, any database, any clock or key storage of its
own. Callers pass in time, keys and transport, so the same code runs in the
hub, the aggregator, the demo and the tests. `tests/federation/test_boundaries.py`
fails if this package imports flask, sqlalchemy, hub or national_aggregator.
"""

PROTOCOL = "hubnet/1"
