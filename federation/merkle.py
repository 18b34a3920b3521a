"""RFC 9162 Merkle tree hashing, proofs and proof verification.

Leaf hash = SHA-256(0x00 ‖ entry), node hash = SHA-256(0x01 ‖ left ‖ right),
and the tree over n leaves splits at the largest power of two below n
(RFC 9162 §2.1.1), so any other RFC 6962/9162 implementation computes the
same roots and accepts the same proofs.

The log is meant to be stored, not held in memory. A store keeps the hash of
every *complete, aligned* subtree, addressed by (level, index): level 0 index
i is leaf i, and level L index i covers leaves [i·2^L, (i+1)·2^L). Appending
leaf n writes the leaf and each parent it completes (`nodes_to_store`: at
most log₂ n + 1 rows, reading one sibling per row). Every range the RFC's
recursion visits starts on a multiple of the next power of two at or above its
length, so its hash folds from at most log₂ n stored subtrees; roots and proofs
therefore read O(log n) stored hashes and never the whole log. The caller
reads them through a `NodeReader` (a dict lookup in tests, a SELECT in the
aggregator).

`root_from_leaf_hashes` is the plain recursive definition, kept as an
independent reference for tests and for `hubnet audit`, which rebuilds the tree
from the entries themselves.

Leaves out: storage, checkpoints and signatures (see `checkpoint`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence

from federation.errors import ProofError

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()
"""The root of the empty tree: SHA-256 of the empty string (RFC 9162 §2.1.1)."""

NodeReader = Callable[[int, int], bytes]
"""(level, index) → the stored hash of that complete, aligned subtree."""


def leaf_hash(entry: bytes) -> bytes:
    """SHA-256(0x00 ‖ entry): the hash of one log entry."""
    return hashlib.sha256(b"\x00" + entry).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """SHA-256(0x01 ‖ left ‖ right): the hash of an interior node."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two strictly below n (n ≥ 2)."""
    return 1 << ((n - 1).bit_length() - 1)


def root_from_leaf_hashes(leaves: Sequence[bytes]) -> bytes:
    """MTH of the given leaf hashes by the RFC's recursive definition (reads them all)."""
    if not leaves:
        return EMPTY_ROOT
    if len(leaves) == 1:
        return leaves[0]
    k = _split(len(leaves))
    return node_hash(root_from_leaf_hashes(leaves[:k]), root_from_leaf_hashes(leaves[k:]))


class RootBuilder:
    """The Merkle root of a stream of leaf hashes, in O(log n) memory.

    Keeps one hash per complete subtree on the right edge of the tree (the
    binary digits of the size), merging equal-sized neighbours as leaves
    arrive, as a log appends them. `root()` folds the stack from the right,
    which is the RFC 9162 split at the largest power of two. Used by
    `hubnet audit` to rebuild a log of any length from its entries.
    """

    def __init__(self) -> None:
        self.size = 0
        self._stack: list[tuple[int, bytes]] = []  # (level, hash), larger subtrees first

    def append(self, leaf: bytes) -> None:
        """Add the next leaf hash (SHA-256(0x00 ‖ entry), see `leaf_hash`)."""
        if len(leaf) != HASH_SIZE:
            raise ValueError(f"a leaf hash is {HASH_SIZE} bytes, got {len(leaf)}")
        level, current = 0, leaf
        while self._stack and self._stack[-1][0] == level:
            current = node_hash(self._stack.pop()[1], current)
            level += 1
        self._stack.append((level, current))
        self.size += 1

    def root(self) -> bytes:
        """MTH of the leaves appended so far (EMPTY_ROOT before the first)."""
        if not self._stack:
            return EMPTY_ROOT
        result = self._stack[-1][1]
        for _, left in reversed(self._stack[:-1]):
            result = node_hash(left, result)
        return result


def nodes_to_store(
    size_before: int, new_leaf_hash: bytes, reader: NodeReader
) -> list[tuple[int, int, bytes]]:
    """The (level, index, hash) rows to persist when appending leaf number `size_before`.

    The leaf itself, then each parent it completes (while the new node is a
    right child, its left sibling is already stored). Reads one stored hash
    per parent.
    """
    if size_before < 0:
        raise ValueError(f"size_before must be >= 0, got {size_before}")
    if len(new_leaf_hash) != HASH_SIZE:
        raise ValueError(f"a leaf hash is {HASH_SIZE} bytes, got {len(new_leaf_hash)}")
    level, index, current = 0, size_before, new_leaf_hash
    rows = [(level, index, current)]
    while index & 1:
        current = node_hash(reader(level, index - 1), current)
        level, index = level + 1, index >> 1
        rows.append((level, index, current))
    return rows


def _subtree_hash(start: int, count: int, reader: NodeReader) -> bytes:
    """MTH of leaves [start, start + count), folded from stored complete subtrees.

    `start` must be a multiple of the smallest power of two ≥ count, which holds
    for every range the RFC 9162 recursion visits. The range then splits, from
    the left, into complete aligned subtrees of strictly decreasing size (the
    binary digits of `count`), and folding them from the right reproduces the
    RFC's split at the largest power of two below each length.
    """
    assert count >= 1 and start % (1 << (count - 1).bit_length()) == 0, (start, count)
    parts: list[bytes] = []
    position, remaining = start, count
    while remaining:
        level = remaining.bit_length() - 1
        parts.append(reader(level, position >> level))
        position += 1 << level
        remaining -= 1 << level
    result = parts.pop()
    while parts:
        result = node_hash(parts.pop(), result)
    return result


def root_hash(size: int, reader: NodeReader) -> bytes:
    """MTH of the first `size` leaves (O(log size) reads)."""
    if size < 0:
        raise ValueError(f"size must be >= 0, got {size}")
    if size == 0:
        return EMPTY_ROOT
    return _subtree_hash(0, size, reader)


def inclusion_proof(index: int, size: int, reader: NodeReader) -> list[bytes]:
    """PATH(index, D[size]) of RFC 9162 §2.1.3.1, nearest the leaf first."""
    if not 0 <= index < size:
        raise ValueError(f"leaf index {index} is not in a tree of size {size}")
    path: list[bytes] = []
    start, n, m = 0, size, index
    # Walk down from the root; each step's sibling goes in front of the ones
    # found deeper, so the list is built root-side last.
    while n > 1:
        k = _split(n)
        if m < k:
            path.append(_subtree_hash(start + k, n - k, reader))
            n = k
        else:
            path.append(_subtree_hash(start, k, reader))
            start, n, m = start + k, n - k, m - k
    path.reverse()
    return path


def consistency_proof(first: int, second: int, reader: NodeReader) -> list[bytes]:
    """PROOF(first, D[second]) of RFC 9162 §2.1.4.1 (empty when first is 0 or equals second)."""
    if not 0 <= first <= second:
        raise ValueError(f"no consistency proof from size {first} to size {second}")
    if first in (0, second):
        return []
    proof: list[bytes] = []
    start, n, m, whole = 0, second, first, True
    # SUBPROOF(m, D[start:start+n], whole), unrolled; as above, entries found
    # nearer the root come last.
    while m != n:
        k = _split(n)
        if m <= k:
            proof.append(_subtree_hash(start + k, n - k, reader))
            n = k
        else:
            proof.append(_subtree_hash(start, k, reader))
            start, n, m, whole = start + k, n - k, m - k, False
    if not whole:
        proof.append(_subtree_hash(start, n, reader))
    proof.reverse()
    return proof


def _addresses(compute: Callable[[NodeReader], object]) -> list[tuple[int, int]]:
    # Which stored nodes an algorithm reads depends only on the sizes and
    # indexes, never on the hashes, so a reader that records and returns
    # zeros finds them exactly.
    seen: list[tuple[int, int]] = []

    def record(level: int, index: int) -> bytes:
        if (level, index) not in seen:
            seen.append((level, index))
        return bytes(HASH_SIZE)

    compute(record)
    return seen


def root_addresses(size: int) -> list[tuple[int, int]]:
    """The (level, index) of every stored node `root_hash(size, …)` reads.

    With `inclusion_proof_addresses` and `consistency_proof_addresses`, this
    lets a store fetch everything one computation needs in a single query and
    then answer from a dict.
    """
    return _addresses(lambda reader: root_hash(size, reader))


def inclusion_proof_addresses(index: int, size: int) -> list[tuple[int, int]]:
    """The (level, index) of every stored node `inclusion_proof(index, size, …)` reads."""
    return _addresses(lambda reader: inclusion_proof(index, size, reader))


def consistency_proof_addresses(first: int, second: int) -> list[tuple[int, int]]:
    """The (level, index) of every stored node `consistency_proof(first, second, …)` reads."""
    return _addresses(lambda reader: consistency_proof(first, second, reader))


def _check_hash(value: bytes, what: str) -> None:
    if not isinstance(value, bytes) or len(value) != HASH_SIZE:
        raise ProofError(f"{what} must be a {HASH_SIZE}-byte SHA-256 hash", field=what)


def _inclusion_proof_length(index: int, size: int) -> int:
    length = 0
    while size > 1:
        k = _split(size)
        if index < k:
            size = k
        else:
            index, size = index - k, size - k
        length += 1
    return length


def _consistency_proof_length(first: int, second: int) -> int:
    length, n, m, whole = 0, second, first, True
    while m != n:
        k = _split(n)
        if m <= k:
            n = k
        else:
            n, m, whole = n - k, m - k, False
        length += 1
    return length + (0 if whole else 1)


def verify_inclusion(
    leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes
) -> None:
    """Check an inclusion proof by RFC 9162 §2.1.3.2; raise ProofError if it fails."""
    if not 0 <= index < size:
        raise ProofError(f"leaf index {index} is not in a tree of size {size}", field="leaf_index")
    _check_hash(leaf_hash, "leaf_hash")
    _check_hash(root, "root")
    expected = _inclusion_proof_length(index, size)
    if len(proof) != expected:
        raise ProofError(
            f"inclusion proof for leaf {index} of {size} has {len(proof)} hashes; "
            f"it must have {expected}",
            field="inclusion_proof",
        )
    for position, element in enumerate(proof):
        _check_hash(element, f"inclusion_proof[{position}]")
    fn, sn, r = index, size - 1, leaf_hash
    for p in proof:
        if sn == 0:
            raise ProofError("inclusion proof is too long", field="inclusion_proof")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while fn != 0 and not fn & 1:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise ProofError("inclusion proof is too short", field="inclusion_proof")
    if r != root:
        raise ProofError(
            f"inclusion proof for leaf {index} does not lead to the root of tree size {size}",
            field="inclusion_proof",
        )


def verify_consistency(
    first: int, second: int, first_root: bytes, second_root: bytes, proof: Sequence[bytes]
) -> None:
    """Check a consistency proof by RFC 9162 §2.1.4.2; raise ProofError if it fails.

    Beyond the RFC's algorithm (which covers 0 < first < second): sizes must
    not go backwards; equal sizes need an empty proof and equal roots; from
    size 0 the proof is empty and the first root is the empty tree's.
    """
    if first < 0 or first > second:
        raise ProofError(
            f"tree size went from {first} to {second}: a log only grows", field="tree_size"
        )
    _check_hash(first_root, "first_root")
    _check_hash(second_root, "second_root")
    for position, element in enumerate(proof):
        _check_hash(element, f"consistency_proof[{position}]")
    if first == second or first == 0:
        if proof:
            raise ProofError(
                f"consistency proof from size {first} to {second} must be empty",
                field="consistency_proof",
            )
        if first == second and first_root != second_root:
            raise ProofError(f"two different roots for the same tree size {first}", field="root")
        if first == 0 and first_root != EMPTY_ROOT:
            raise ProofError("the root of an empty tree must be SHA-256('')", field="first_root")
        return
    expected = _consistency_proof_length(first, second)
    if len(proof) != expected:
        raise ProofError(
            f"consistency proof from size {first} to {second} has {len(proof)} hashes; "
            f"it must have {expected}",
            field="consistency_proof",
        )
    path = list(proof)
    if first & (first - 1) == 0:  # first is an exact power of two
        path.insert(0, first_root)
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise ProofError("consistency proof is too long", field="consistency_proof")
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            while fn != 0 and not fn & 1:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise ProofError("consistency proof is too short", field="consistency_proof")
    if fr != first_root:
        raise ProofError(
            f"consistency proof does not reproduce the root of tree size {first}",
            field="consistency_proof",
        )
    if sr != second_root:
        raise ProofError(
            f"consistency proof does not reproduce the root of tree size {second}",
            field="consistency_proof",
        )
