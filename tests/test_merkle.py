"""Tests for evidence.standards.merkle against RFC 6962 vectors, a recursive reference and
properties."""

from __future__ import annotations

import base64
import hashlib
import json
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evidence.errors import FormatError
from evidence.standards import merkle
from evidence.standards.merkle import (
    EMPTY_ROOT,
    HASH_LEN,
    MAX_PROOF_LENGTH,
    MerkleTree,
    leaf_hash,
    node_hash,
    root_from_inclusion_proof,
    root_from_leaf_hashes,
    verify_consistency,
    verify_inclusion,
)

from .conftest import VECTORS as ALL_VECTORS

VECTORS = ALL_VECTORS / "rfc6962"
TD = VECTORS / "transparency-dev-merkle"


# --- reference implementation, written straight from RFC 6962 §2.1 ---------------------------


def _k(n: int) -> int:
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def ref_mth(leaves: Sequence[bytes]) -> bytes:
    """MTH over leaf hashes, recursive, exactly as RFC 6962 §2.1 writes it."""
    n = len(leaves)
    if n == 0:
        return hashlib.sha256(b"").digest()
    if n == 1:
        return leaves[0]
    k = _k(n)
    return hashlib.sha256(b"\x01" + ref_mth(leaves[:k]) + ref_mth(leaves[k:])).digest()


def ref_path(m: int, leaves: Sequence[bytes]) -> list[bytes]:
    """PATH(m, D[n]) of RFC 6962 §2.1.1, recursive."""
    n = len(leaves)
    if n == 1:
        return []
    k = _k(n)
    if m < k:
        return [*ref_path(m, leaves[:k]), ref_mth(leaves[k:])]
    return [*ref_path(m - k, leaves[k:]), ref_mth(leaves[:k])]


def ref_subproof(m: int, leaves: Sequence[bytes], b: bool) -> list[bytes]:
    """SUBPROOF(m, D[n], b) of RFC 6962 §2.1.2, recursive."""
    n = len(leaves)
    if m == n:
        return [] if b else [ref_mth(leaves)]
    k = _k(n)
    if m <= k:
        return [*ref_subproof(m, leaves[:k], b), ref_mth(leaves[k:])]
    return [*ref_subproof(m - k, leaves[k:], False), ref_mth(leaves[:k])]


def make_leaves(n: int, salt: bytes = b"") -> list[bytes]:
    return [leaf_hash(salt + i.to_bytes(8, "big")) for i in range(n)]


# --- hashing primitives ------------------------------------------------------------------------


def _reference_tree() -> dict[str, Any]:
    data: dict[str, Any] = json.loads((VECTORS / "rfc6962_reference_tree.json").read_text())
    return data


def test_hasher_vectors() -> None:
    ops = _reference_tree()["hasher"]
    assert {op["op"] for op in ops} == {"empty_root", "leaf", "node"}
    for op in ops:
        want = bytes.fromhex(op["want"])
        if op["op"] == "empty_root":
            assert want == EMPTY_ROOT
            assert root_from_leaf_hashes([]) == EMPTY_ROOT
            assert MerkleTree([]).root == EMPTY_ROOT
        elif op["op"] == "leaf":
            assert leaf_hash(bytes.fromhex(op["data_hex"])) == want
        else:
            assert node_hash(bytes.fromhex(op["left_hex"]), bytes.fromhex(op["right_hex"])) == want


def test_reference_tree_roots_levels_and_proofs() -> None:
    ref = _reference_tree()
    tree_data = ref["reference_tree"]
    inputs = [bytes.fromhex(h) for h in tree_data["leaf_inputs"]]
    hashes = [leaf_hash(d) for d in inputs]
    for level, nodes in enumerate(tree_data["node_hashes_by_level"]):
        for i, node in enumerate(nodes):
            covered = hashes[i << level : (i + 1) << level]
            assert ref_mth(covered).hex() == node
    roots = tree_data["root_hashes_by_tree_size"]
    assert len(roots) == 9
    for n, want in enumerate(roots):
        assert root_from_leaf_hashes(hashes[:n]).hex() == want
        assert MerkleTree(hashes[:n]).root.hex() == want
    for case in ref["inclusion_proofs"]:
        n, i = case["tree_size"], case["leaf_index"]
        tree = MerkleTree(hashes[:n])
        proof = tree.inclusion_proof(i)
        assert [p.hex() for p in proof] == case["proof"]
        assert tree.leaf(i).hex() == case["leaf_hash"]
        assert tree.root.hex() == case["root"]
        assert verify_inclusion(
            bytes.fromhex(case["leaf_hash"]), i, n, proof, bytes.fromhex(case["root"])
        )
    assert ref["consistency_proofs"]
    for case in ref["consistency_proofs"]:
        m, n = case["size1"], case["size2"]
        proof = MerkleTree(hashes[:n]).consistency_proof(m)
        assert [p.hex() for p in proof] == case["proof"]
        assert verify_consistency(
            m, n, bytes.fromhex(case["root1"]), bytes.fromhex(case["root2"]), proof
        )


# --- transparency-dev/merkle probe files -------------------------------------------------------


def _b64(value: str) -> bytes:
    return base64.b64decode(value, validate=True)


def _probe_files(kind: str) -> list[Path]:
    """The probe files, or the folder itself when none is there: a missing vector fails,
    never turns into an empty (skipped) parameter set."""
    return sorted((TD / kind).rglob("*.json")) or [TD / kind]


def _read_probe(path: Path) -> Any:
    if not path.is_file():
        pytest.fail(f"public vectors missing: no probe files in {path}")
    return json.loads(path.read_text())


def test_all_probe_files_present() -> None:
    assert len(_probe_files("inclusion")) == 98
    assert len(_probe_files("consistency")) == 98


@pytest.mark.parametrize(
    "path", _probe_files("inclusion"), ids=lambda p: str(p.relative_to(TD / "inclusion"))
)
def test_inclusion_probe(path: Path) -> None:
    case = _read_probe(path)
    proof = [_b64(p) for p in case["proof"] or []]
    ok = verify_inclusion(
        _b64(case["leafHash"]), case["leafIdx"], case["treeSize"], proof, _b64(case["root"])
    )
    assert ok is (not case["wantErr"]), case["desc"]


@pytest.mark.parametrize(
    "path", _probe_files("consistency"), ids=lambda p: str(p.relative_to(TD / "consistency"))
)
def test_consistency_probe(path: Path) -> None:
    case = _read_probe(path)
    proof = [_b64(p) for p in case["proof"] or []]
    ok = verify_consistency(
        case["size1"], case["size2"], _b64(case["root1"]), _b64(case["root2"]), proof
    )
    assert ok is (not case["wantErr"]), case["desc"]


def test_happy_path_probes_match_generated_proofs() -> None:
    """Every wantErr=false probe on the reference tree is what MerkleTree generates."""
    inputs = [bytes.fromhex(h) for h in _reference_tree()["reference_tree"]["leaf_inputs"]]
    hashes = [leaf_hash(d) for d in inputs]
    seen = 0
    for path in _probe_files("inclusion"):
        case = _read_probe(path)
        if path.name != "happy-path.json":
            continue
        tree = MerkleTree(hashes[: case["treeSize"]])
        assert tree.inclusion_proof(case["leafIdx"]) == [_b64(p) for p in case["proof"] or []]
        assert tree.root == _b64(case["root"])
        seen += 1
    for path in _probe_files("consistency"):
        case = _read_probe(path)
        if path.name != "happy-path.json":
            continue
        tree = MerkleTree(hashes[: case["size2"]])
        assert tree.consistency_proof(case["size1"]) == [_b64(p) for p in case["proof"] or []]
        seen += 1
    assert seen == 10


# --- equivalence with the recursive RFC definition ---------------------------------------------


def test_bottom_up_equals_recursive_for_all_small_sizes() -> None:
    leaves = make_leaves(300)
    for n in range(0, 301):
        want = ref_mth(leaves[:n])
        assert root_from_leaf_hashes(leaves[:n]) == want, n
        assert MerkleTree(leaves[:n]).root == want, n


@settings(max_examples=60, deadline=None)
@given(n=st.integers(min_value=1, max_value=300), salt=st.binary(max_size=8))
def test_root_matches_reference(n: int, salt: bytes) -> None:
    leaves = make_leaves(n, salt)
    assert root_from_leaf_hashes(leaves) == ref_mth(leaves)


@settings(max_examples=40, deadline=None)
@given(n=st.integers(min_value=1, max_value=300), data=st.data())
def test_every_inclusion_proof_verifies_and_flips_fail(n: int, data: st.DataObject) -> None:
    leaves = make_leaves(n, b"incl")
    tree = MerkleTree(leaves)
    root = tree.root
    for i in range(n):
        proof = tree.inclusion_proof(i)
        assert len(proof) <= MAX_PROOF_LENGTH
        assert verify_inclusion(leaves[i], i, n, proof, root)
        assert root_from_inclusion_proof(leaves[i], i, n, proof) == root
    i = data.draw(st.integers(min_value=0, max_value=n - 1), label="index")
    proof = tree.inclusion_proof(i)
    assert proof == ref_path(i, leaves)
    bit = data.draw(st.integers(min_value=0, max_value=HASH_LEN * 8 - 1), label="bit")

    def flip(b: bytes) -> bytes:
        out = bytearray(b)
        out[bit // 8] ^= 1 << (bit % 8)
        return bytes(out)

    assert not verify_inclusion(flip(leaves[i]), i, n, proof, root)
    assert not verify_inclusion(leaves[i], i, n, proof, flip(root))
    for j in range(len(proof)):
        bad = list(proof)
        bad[j] = flip(bad[j])
        assert not verify_inclusion(leaves[i], i, n, bad, root)
    other = data.draw(st.integers(min_value=0, max_value=n), label="other index")
    if other != i:
        assert not verify_inclusion(leaves[i], other, n, proof, root)


@settings(max_examples=25, deadline=None)
@given(n=st.integers(min_value=1, max_value=120))
def test_all_consistency_proofs_verify(n: int) -> None:
    leaves = make_leaves(n, b"cons")
    tree = MerkleTree(leaves)
    for m in range(1, n + 1):
        proof = tree.consistency_proof(m)
        assert proof == ref_subproof(m, leaves, True)
        root1 = ref_mth(leaves[:m])
        assert verify_consistency(m, n, root1, tree.root, proof)
        if proof:
            bad = [bytes([proof[0][0] ^ 1]) + proof[0][1:], *proof[1:]]
            assert not verify_consistency(m, n, root1, tree.root, bad)
            assert not verify_consistency(m, n, root1, tree.root, proof[:-1])
        if m < n:
            assert not verify_consistency(m, n, tree.root, root1, proof)


def test_consistency_for_every_pair_up_to_64() -> None:
    leaves = make_leaves(64, b"pairs")
    roots = [root_from_leaf_hashes(leaves[:k]) for k in range(65)]
    for n in range(1, 65):
        tree = MerkleTree(leaves[:n])
        for m in range(1, n + 1):
            assert verify_consistency(m, n, roots[m], roots[n], tree.consistency_proof(m))


# --- malformed input ---------------------------------------------------------------------------


def test_malformed_inputs() -> None:
    leaves = make_leaves(5)
    tree = MerkleTree(leaves)
    proof = tree.inclusion_proof(2)
    with pytest.raises(FormatError):
        root_from_inclusion_proof(leaves[2][:31], 2, 5, proof)
    with pytest.raises(FormatError):
        root_from_inclusion_proof(leaves[2], 5, 5, proof)
    with pytest.raises(FormatError):
        root_from_inclusion_proof(leaves[2], 2, 5, [*proof, proof[0]])
    with pytest.raises(FormatError):
        root_from_inclusion_proof(leaves[2], 2, 5, proof[:-1])
    with pytest.raises(FormatError):
        root_from_inclusion_proof(leaves[2], 2, 5, [b"", *proof[1:]])
    with pytest.raises(FormatError):
        root_from_inclusion_proof(leaves[2], 0, 2**64, [b"\x00" * 32] * (MAX_PROOF_LENGTH + 1))
    with pytest.raises(FormatError):
        root_from_inclusion_proof(leaves[2], -1, 5, proof)
    with pytest.raises(FormatError):
        tree.inclusion_proof(5)
    with pytest.raises(FormatError):
        tree.consistency_proof(0)
    with pytest.raises(FormatError):
        tree.consistency_proof(6)
    with pytest.raises(FormatError):
        MerkleTree([b"short"])
    with pytest.raises(FormatError):
        root_from_leaf_hashes([leaves[0], b"\x00" * 33])
    with pytest.raises(FormatError):
        MerkleTree.from_leaf_bytes(b"\x00" * 33)
    assert not verify_inclusion(leaves[2], 2, 5, proof, b"")
    assert not verify_consistency(2, 5, b"", tree.root, tree.consistency_proof(2))
    assert not verify_consistency(-1, 5, b"", tree.root, [])
    assert not verify_consistency(3, 5, b"", tree.root, [b"\x00" * 32] * 66)


def test_leaf_bytes_round_trip() -> None:
    leaves = make_leaves(77)
    tree = MerkleTree(leaves)
    again = MerkleTree.from_leaf_bytes(tree.leaf_bytes())
    assert again.root == tree.root and again.size == 77
    assert again.inclusion_proof(76) == tree.inclusion_proof(76)
    assert merkle.inclusion_proof(leaves, 3) == tree.inclusion_proof(3)
    assert merkle.consistency_proof(leaves, 40) == tree.consistency_proof(40)


def test_million_leaves_timing(capsys: pytest.CaptureFixture[str]) -> None:
    """Measures (prints, never asserts on time) the root and one proof over 1,000,000 leaves."""
    n = 1_000_000
    packed = hashlib.sha256(b"seed").digest() * n  # content is irrelevant to the cost
    leaves = [packed[i * 32 : (i + 1) * 32] for i in range(n)]
    t0 = time.perf_counter()
    root = root_from_leaf_hashes(leaves)
    t1 = time.perf_counter()
    tree = MerkleTree.from_leaf_bytes(packed)
    t2 = time.perf_counter()
    proof = tree.inclusion_proof(123_457)
    t3 = time.perf_counter()
    assert tree.root == root
    assert verify_inclusion(leaves[123_457], 123_457, n, proof, root)
    with capsys.disabled():
        print(
            f"\n[merkle] 1,000,000 leaves: root {t1 - t0:.3f} s, tree build {t2 - t1:.3f} s, "
            f"one inclusion proof {(t3 - t2) * 1e3:.3f} ms"
        )
