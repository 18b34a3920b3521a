"""Staff passwords: Argon2id hashes and the rules, shared with the aggregator (hubnet.passwords)."""

from hubnet.passwords import (  # noqa: F401
    HASHER,
    MAX_LENGTH,
    MIN_LENGTH,
    hash_password,
    needs_rehash,
    password_problem,
    verify_password,
)
