"""Privacy: the hub's differential-privacy budget ledger and `hubnet hub privacy` commands.

Only used when a hub turns differential privacy on (`DP_EPSILON`). Each noisy
release appends one entry to an append-only, hash-chained ledger
(`federation.disclosure.ledger`) in the same transaction that stores the
release, so the ledger and the releases can never disagree.
"""
