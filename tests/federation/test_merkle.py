"""RFC 9162 Merkle tree: published test vectors, stored-node algorithms, and failing proofs.

The leaves, roots and proofs below are the Certificate Transparency test
vectors as published in transparency-dev/merkle (proof/verify_test.go,
originally from google/certificate-transparency), copied here as data.
Inclusion vectors there number leaves from 1; here they are 0-based.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

import pytest

from federation.errors import ProofError
from federation.merkle import (
    EMPTY_ROOT,
    RootBuilder,
    consistency_proof,
    consistency_proof_addresses,
    inclusion_proof,
    inclusion_proof_addresses,
    leaf_hash,
    node_hash,
    nodes_to_store,
    root_addresses,
    root_from_leaf_hashes,
    root_hash,
    verify_consistency,
    verify_inclusion,
)

ENTRIES = [
    bytes.fromhex(text)
    for text in (
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    )
]

# Root of the tree of the first n entries, n = 0..8.
ROOTS = [
    bytes.fromhex(text)
    for text in (
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    )
]


def h(text: str) -> bytes:
    return bytes.fromhex(text)


# (leaf index, tree size, proof)
INCLUSION_VECTORS = [
    (0, 1, []),
    (
        0,
        8,
        [
            h("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"),
            h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
            h("6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"),
        ],
    ),
    (
        5,
        8,
        [
            h("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
            h("ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"),
            h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
        ],
    ),
    (2, 3, [h("fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125")]),
    (
        1,
        5,
        [
            h("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"),
            h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
            h("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
        ],
    ),
]

# (first size, second size, proof)
CONSISTENCY_VECTORS = [
    (1, 1, []),
    (
        1,
        8,
        [
            h("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"),
            h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
            h("6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"),
        ],
    ),
    (
        6,
        8,
        [
            h("0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a"),
            h("ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"),
            h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
        ],
    ),
    (
        2,
        5,
        [
            h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
            h("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
        ],
    ),
    (
        6,
        7,
        [
            h("0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a"),
            h("b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f"),
            h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
        ],
    ),
]


class Store:
    """What a log's table holds: one hash per complete, aligned subtree, plus a read counter."""

    def __init__(self) -> None:
        self.nodes: dict[tuple[int, int], bytes] = {}
        self.size = 0
        self.reads = 0

    def read(self, level: int, index: int) -> bytes:
        self.reads += 1
        return self.nodes[(level, index)]

    def append(self, entry: bytes) -> list[tuple[int, int, bytes]]:
        rows = nodes_to_store(self.size, leaf_hash(entry), self.read)
        for level, index, value in rows:
            assert (level, index) not in self.nodes, "a stored node is never rewritten"
            self.nodes[(level, index)] = value
        self.size += 1
        return rows


def store_of(entries: list[bytes]) -> Store:
    store = Store()
    for entry in entries:
        store.append(entry)
    return store


@pytest.fixture(scope="module")
def vectors_store() -> Store:
    return store_of(ENTRIES)


def synthetic(n: int) -> list[bytes]:
    return [hashlib.sha256(b"entry %d" % i).digest()[: i % 40] for i in range(n)]


# The plain recursive definitions of RFC 9162 §2.1.3.1 and §2.1.4.1, over a list.
def reference_path(m: int, leaves: list[bytes]) -> list[bytes]:
    n = len(leaves)
    if n == 1:
        return []
    k = 1 << ((n - 1).bit_length() - 1)
    if m < k:
        return [*reference_path(m, leaves[:k]), root_from_leaf_hashes(leaves[k:])]
    return [*reference_path(m - k, leaves[k:]), root_from_leaf_hashes(leaves[:k])]


def reference_subproof(m: int, leaves: list[bytes], whole: bool) -> list[bytes]:
    n = len(leaves)
    if m == n:
        return [] if whole else [root_from_leaf_hashes(leaves)]
    k = 1 << ((n - 1).bit_length() - 1)
    if m <= k:
        return [*reference_subproof(m, leaves[:k], whole), root_from_leaf_hashes(leaves[k:])]
    return [*reference_subproof(m - k, leaves[k:], False), root_from_leaf_hashes(leaves[:k])]


def test_hashes_use_the_rfc_prefixes() -> None:
    assert leaf_hash(b"") == hashlib.sha256(b"\x00").digest() == ROOTS[1]
    assert (
        node_hash(b"L" * 32, b"R" * 32) == hashlib.sha256(b"\x01" + b"L" * 32 + b"R" * 32).digest()
    )
    assert EMPTY_ROOT == hashlib.sha256(b"").digest() == ROOTS[0]


def test_published_roots_by_recursive_definition() -> None:
    leaves = [leaf_hash(entry) for entry in ENTRIES]
    for size, root in enumerate(ROOTS):
        assert root_from_leaf_hashes(leaves[:size]) == root, size


def test_published_roots_from_stored_nodes() -> None:
    store = Store()
    assert root_hash(0, store.read) == ROOTS[0]
    for size, entry in enumerate(ENTRIES, start=1):
        store.append(entry)
        assert root_hash(size, store.read) == ROOTS[size], size


def test_stored_nodes_are_the_complete_aligned_subtrees(vectors_store: Store) -> None:
    leaves = [leaf_hash(entry) for entry in ENTRIES]
    expected = {
        (level, index): root_from_leaf_hashes(leaves[index << level : (index + 1) << level])
        for level in range(4)
        for index in range(len(leaves) >> level)
    }
    assert vectors_store.nodes == expected


def test_append_writes_the_leaf_and_each_completed_parent() -> None:
    store = Store()
    written = [[(level, index) for level, index, _ in store.append(e)] for e in ENTRIES]
    assert written == [
        [(0, 0)],
        [(0, 1), (1, 0)],
        [(0, 2)],
        [(0, 3), (1, 1), (2, 0)],
        [(0, 4)],
        [(0, 5), (1, 2)],
        [(0, 6)],
        [(0, 7), (1, 3), (2, 1), (3, 0)],
    ]


@pytest.mark.parametrize(("index", "size", "proof"), INCLUSION_VECTORS)
def test_published_inclusion_proofs(
    index: int, size: int, proof: list[bytes], vectors_store: Store
) -> None:
    assert inclusion_proof(index, size, vectors_store.read) == proof
    verify_inclusion(leaf_hash(ENTRIES[index]), index, size, proof, ROOTS[size])


@pytest.mark.parametrize(("first", "second", "proof"), CONSISTENCY_VECTORS)
def test_published_consistency_proofs(
    first: int, second: int, proof: list[bytes], vectors_store: Store
) -> None:
    assert consistency_proof(first, second, vectors_store.read) == proof
    verify_consistency(first, second, ROOTS[first], ROOTS[second], proof)


def test_every_proof_up_to_eight_leaves(vectors_store: Store) -> None:
    leaves = [leaf_hash(entry) for entry in ENTRIES]
    for size in range(1, 9):
        for index in range(size):
            proof = inclusion_proof(index, size, vectors_store.read)
            assert proof == reference_path(index, leaves[:size])
            verify_inclusion(leaves[index], index, size, proof, ROOTS[size])
        for first in range(0, size + 1):
            proof = consistency_proof(first, size, vectors_store.read)
            expected = reference_subproof(first, leaves[:size], True) if first else []
            assert proof == expected, (first, size)
            verify_consistency(first, size, ROOTS[first], ROOTS[size], proof)


def test_stored_node_algorithms_match_the_reference_up_to_70_leaves() -> None:
    entries = synthetic(70)
    leaves = [leaf_hash(entry) for entry in entries]
    store = Store()
    for size in range(1, len(entries) + 1):
        store.append(entries[size - 1])
        root = root_from_leaf_hashes(leaves[:size])
        assert root_hash(size, store.read) == root
        for index in range(size):
            proof = inclusion_proof(index, size, store.read)
            assert proof == reference_path(index, leaves[:size]), (index, size)
            verify_inclusion(leaves[index], index, size, proof, root)
        for first in range(1, size + 1):
            proof = consistency_proof(first, size, store.read)
            assert proof == reference_subproof(first, leaves[:size], True), (first, size)
            verify_consistency(first, size, root_from_leaf_hashes(leaves[:first]), root, proof)


def test_reads_grow_logarithmically() -> None:
    store = store_of(synthetic(1000))
    for size in (1000, 999, 513, 512):
        store.reads = 0
        root_hash(size, store.read)
        assert store.reads <= 10
        for index in (0, size // 3, size - 1):
            store.reads = 0
            inclusion_proof(index, size, store.read)
            assert store.reads <= 2 * 10 + 1
        store.reads = 0
        consistency_proof(size // 2 + 1, size, store.read)
        assert store.reads <= 2 * 10 + 2
    store.reads = 0
    store.append(b"one more")  # leaf 1000 = 0b1111101000: a left child, no parents
    assert store.reads == 0


def test_bad_arguments_to_the_prover(vectors_store: Store) -> None:
    with pytest.raises(ValueError):
        inclusion_proof(8, 8, vectors_store.read)
    with pytest.raises(ValueError):
        inclusion_proof(0, 0, vectors_store.read)
    with pytest.raises(ValueError):
        consistency_proof(5, 4, vectors_store.read)
    with pytest.raises(ValueError):
        root_hash(-1, vectors_store.read)
    with pytest.raises(ValueError):
        nodes_to_store(0, b"short", vectors_store.read)


# Every way to spoil a good inclusion proof must fail.
def spoiled_inclusions(
    index: int, size: int, proof: list[bytes], root: bytes, leaf: bytes
) -> list[tuple[str, int, int, list[bytes], bytes, bytes]]:
    other = h("abacaba000000000000000000000000000000000000000000060061e00123456")
    cases = [
        ("index - 1", index - 1, size, proof, root, leaf),
        ("index + 1", index + 1, size, proof, root, leaf),
        ("index ^ 2", index ^ 2, size, proof, root, leaf),
        ("size * 2", index, size * 2, proof, root, leaf),
        ("size / 2", index, size // 2, proof, root, leaf),
        ("index = size", size, size, proof, root, leaf),
        ("wrong leaf", index, size, proof, root, leaf_hash(b"WrongLeaf")),
        ("short leaf", index, size, proof, root, b"WrongLeaf"),
        ("empty root", index, size, proof, EMPTY_ROOT, leaf),
        ("other root", index, size, proof, other, leaf),
        ("trailing root", index, size, [*proof, root], root, leaf),
        ("trailing empty", index, size, [*proof, b""], root, leaf),
        ("preceding root", index, size, [root, *proof], root, leaf),
    ]
    for position in range(len(proof)):
        flipped = bytearray(proof[position])
        flipped[0] ^= 8
        spoiled = [*proof[:position], bytes(flipped), *proof[position + 1 :]]
        cases.append((f"flipped proof[{position}]", index, size, spoiled, root, leaf))
    if proof:
        cases.append(("truncated", index, size, proof[:-1], root, leaf))
    if len(proof) > 1:
        cases.append(("inserted", index, size, [proof[0], other, *proof[1:]], root, leaf))
    return cases


@pytest.mark.parametrize(("index", "size", "proof"), INCLUSION_VECTORS[1:])
def test_spoiled_inclusion_proofs_fail(index: int, size: int, proof: list[bytes]) -> None:
    leaf = leaf_hash(ENTRIES[index])
    for label, i, n, p, r, lf in spoiled_inclusions(index, size, proof, ROOTS[size], leaf):
        if (i, n) == (index, size) and p == proof and r == ROOTS[size] and lf == leaf:
            continue
        with pytest.raises(ProofError):
            verify_inclusion(lf, i, n, p, r)
            pytest.fail(f"accepted: {label}")


@pytest.mark.parametrize(("index", "size"), [(0, 0), (1, 0), (1, 1), (2, 1), (-1, 4), (8, 8)])
def test_index_must_be_inside_the_tree(index: int, size: int) -> None:
    with pytest.raises(ProofError) as caught:
        verify_inclusion(ROOTS[1], index, size, [], ROOTS[1])
    assert caught.value.status == 422
    assert caught.value.slug == "bad-proof"


def test_single_leaf_tree() -> None:
    leaf = leaf_hash(b"data")
    verify_inclusion(leaf, 0, 1, [], leaf)
    with pytest.raises(ProofError):
        verify_inclusion(leaf, 0, 1, [], EMPTY_ROOT)
    with pytest.raises(ProofError):
        verify_inclusion(leaf, 0, 1, [leaf], leaf)


def spoiled_consistencies(
    first: int, second: int, proof: list[bytes], root1: bytes, root2: bytes
) -> list[tuple[str, int, int, bytes, bytes, list[bytes]]]:
    cases = [
        ("first - 1", first - 1, second, root1, root2, proof),
        ("first + 1", first + 1, second, root1, root2, proof),
        ("first ^ 2", first ^ 2, second, root1, root2, proof),
        ("second * 2", first, second * 2, root1, root2, proof),
        ("second / 2", first, second // 2, root1, root2, proof),
        ("first > second", second + 1, second, root1, root2, proof),
        ("wrong root1", first, second, b"WrongRoot", root2, proof),
        ("wrong root2", first, second, root1, b"WrongRoot", proof),
        ("other root1", first, second, EMPTY_ROOT, root2, proof),
        ("other root2", first, second, root1, EMPTY_ROOT, proof),
        ("swapped roots", first, second, root2, root1, proof),
        ("empty proof", first, second, root1, root2, []),
        ("trailing garbage", first, second, root1, root2, [*proof, b""]),
        ("trailing root1", first, second, root1, root2, [*proof, root1]),
        ("trailing root2", first, second, root1, root2, [*proof, root2]),
        ("preceding garbage", first, second, root1, root2, [b"", *proof]),
        ("preceding root1", first, second, root1, root2, [root1, *proof]),
        ("preceding root2", first, second, root1, root2, [root2, *proof]),
        ("preceding proof[0]", first, second, root1, root2, [proof[0], *proof]),
        ("truncated", first, second, root1, root2, proof[:-1]),
    ]
    for position in range(len(proof)):
        flipped = bytearray(proof[position])
        flipped[0] ^= 16
        spoiled = [*proof[:position], bytes(flipped), *proof[position + 1 :]]
        cases.append((f"flipped proof[{position}]", first, second, root1, root2, spoiled))
    return cases


@pytest.mark.parametrize(("first", "second", "proof"), CONSISTENCY_VECTORS[1:])
def test_spoiled_consistency_proofs_fail(first: int, second: int, proof: list[bytes]) -> None:
    root1, root2 = ROOTS[first], ROOTS[second]
    for label, m, n, r1, r2, p in spoiled_consistencies(first, second, proof, root1, root2):
        with pytest.raises(ProofError):
            verify_consistency(m, n, r1, r2, p)
            pytest.fail(f"accepted: {label}")


def test_consistency_edge_cases() -> None:
    # Equal sizes: empty proof, same root.
    verify_consistency(3, 3, ROOTS[3], ROOTS[3], [])
    with pytest.raises(ProofError):
        verify_consistency(3, 3, ROOTS[3], ROOTS[4], [])
    with pytest.raises(ProofError):
        verify_consistency(3, 3, ROOTS[3], ROOTS[3], [ROOTS[3]])
    # From the empty tree: empty proof, and the first root is the empty tree's.
    verify_consistency(0, 5, EMPTY_ROOT, ROOTS[5], [])
    verify_consistency(0, 0, EMPTY_ROOT, EMPTY_ROOT, [])
    with pytest.raises(ProofError):
        verify_consistency(0, 5, ROOTS[1], ROOTS[5], [])
    with pytest.raises(ProofError):
        verify_consistency(0, 5, EMPTY_ROOT, ROOTS[5], [EMPTY_ROOT])
    # Time does not run backwards.
    with pytest.raises(ProofError, match="only grows"):
        verify_consistency(2, 1, ROOTS[2], ROOTS[1], [])
    # A non-empty proof is needed between different sizes.
    with pytest.raises(ProofError):
        verify_consistency(1, 2, ROOTS[1], ROOTS[2], [])


def test_proofs_are_checked_for_hash_size() -> None:
    with pytest.raises(ProofError):
        verify_inclusion(leaf_hash(ENTRIES[2]), 2, 3, [ROOTS[2][:31]], ROOTS[3])
    with pytest.raises(ProofError):
        verify_consistency(2, 5, ROOTS[2], ROOTS[5][:-1], CONSISTENCY_VECTORS[3][2])


def test_root_builder_matches_the_recursive_definition() -> None:
    builder = RootBuilder()
    assert builder.root() == EMPTY_ROOT
    leaves: list[bytes] = []
    for n in range(1, 130):
        leaves.append(leaf_hash(n.to_bytes(4, "big")))
        builder.append(leaves[-1])
        assert builder.size == n
        assert builder.root() == root_from_leaf_hashes(leaves), n
        # O(log n) memory: one stored subtree per binary digit of the size.
        assert len(builder._stack) == bin(n).count("1")


def test_root_builder_refuses_what_is_not_a_hash() -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        RootBuilder().append(b"short")


def test_proof_addresses_name_exactly_the_nodes_read() -> None:
    # Every complete subtree of a 300-leaf tree, stored the way the log stores them.
    leaves = [leaf_hash(n.to_bytes(2, "big")) for n in range(300)]
    store: dict[tuple[int, int], bytes] = {}
    for size_before, leaf in enumerate(leaves):
        for level, index, node in nodes_to_store(size_before, leaf, lambda lv, ix: store[lv, ix]):
            store[level, index] = node

    def only(addresses: list[tuple[int, int]]) -> Callable[[int, int], bytes]:
        allowed = {address: store[address] for address in addresses}
        return lambda level, index: allowed[level, index]  # KeyError if not named

    for size in (1, 2, 3, 7, 8, 9, 100, 255, 256, 300):
        assert root_hash(size, only(root_addresses(size))) == root_hash(
            size, lambda lv, ix: store[lv, ix]
        )
        for index in {0, size // 2, size - 1}:
            addresses = inclusion_proof_addresses(index, size)
            assert len(addresses) == len(set(addresses))
            assert inclusion_proof(index, size, only(addresses)) == inclusion_proof(
                index, size, lambda lv, ix: store[lv, ix]
            )
        for first in {0, 1, size // 3, size - 1, size}:
            addresses = consistency_proof_addresses(first, size)
            assert consistency_proof(first, size, only(addresses)) == consistency_proof(
                first, size, lambda lv, ix: store[lv, ix]
            )
    assert consistency_proof_addresses(0, 10) == [] and root_addresses(0) == []
