"""evidence/index.bin: format, reader, prove() and the verifier's rebuild of the index."""

from __future__ import annotations

import hashlib
import json
import shutil
import struct
import tempfile
from collections.abc import Sequence
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from evidence.bundle.index import (
    INDEX_FILE,
    INDEX_MAGIC,
    BundleIndex,
    ItemProof,
    index_parts,
    prove,
    write_index,
)
from evidence.bundle.integrity import check_integrity
from evidence.bundle.layout import ITEMS_FILE, ROOT_FILE, iter_items, read_signed_root
from evidence.errors import (
    BundleExistsError,
    EvidenceError,
    FormatError,
    InputError,
    VerificationError,
)
from evidence.findings import Severity
from evidence.standards.bagit import write_tag_manifests
from evidence.standards.merkle import MerkleTree, leaf_hash, verify_inclusion

SETTINGS = settings(derandomize=True, database=None, deadline=None, max_examples=60,
                    suppress_health_check=list(HealthCheck))


def _leaves(n: int) -> list[bytes]:
    return [hashlib.sha256(b"leaf %d" % i).digest() for i in range(n)]


def _layout(n: int, files: Sequence[bool]) -> tuple[list[int], list[int], list[int]]:
    """file_leaves, item_offsets, data_offsets for n leaves, ``files[i]`` marking files."""
    file_leaves = [i for i in range(n) if files[i % len(files)]]
    item_offsets = [i * 100 + i * i for i in range(n)]
    data_offsets = [0 if files[i % len(files)] else 7 * i + 3 for i in range(n)]
    return file_leaves, item_offsets, data_offsets


def _write(path: Path, n: int, files: Sequence[bool] = (False,)) -> list[bytes]:
    leaves = _leaves(n)
    fl, io, do = _layout(n, files)
    write_index(path, leaves=leaves, file_leaves=fl, item_offsets=io, data_offsets=do)
    return leaves


def add_index(bundle: Path) -> None:
    """Give a bundle its index when its capture did not write one (tag manifests updated)."""
    if (bundle / INDEX_FILE).exists():
        return
    items = list(iter_items(bundle))
    offsets: dict[str, list[int]] = {}
    for path in {i.path for i in items if i.kind == "record"}:
        at, starts = 0, []
        for line in (bundle / path).read_bytes().splitlines(keepends=True):
            starts.append(at)
            at += len(line)
        offsets[path] = starts
    item_offsets, at = [], 0
    for item in items:
        item_offsets.append(at)
        at += len(item.line) + 1
    write_index(bundle / INDEX_FILE, leaves=[leaf_hash(i.line) for i in items],
                file_leaves=[i.index for i in items if i.kind == "file"],
                item_offsets=item_offsets,
                data_offsets=[0 if i.kind == "file" else offsets[i.path][(i.record_line or 1) - 1]
                              for i in items])
    write_tag_manifests(bundle)


def drop_index(bundle: Path) -> None:
    (bundle / INDEX_FILE).unlink(missing_ok=True)
    write_tag_manifests(bundle)


@pytest.fixture
def indexed_bundle(example_bundle: Path) -> Path:
    add_index(example_bundle)
    return example_bundle


# --- format and reader --------------------------------------------------------------------


@SETTINGS
@given(n=st.integers(1, 70), files=st.lists(st.booleans(), min_size=1, max_size=9))
def test_index_holds_the_rfc6962_tree_and_every_id(n: int, files: list[bool]) -> None:
    leaves = _leaves(n)
    fl, io, do = _layout(n, files)
    tree = MerkleTree(leaves)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "index.bin"
        write_index(path, leaves=leaves, file_leaves=fl, item_offsets=io, data_offsets=do)
        data = path.read_bytes()
        parts = index_parts(leaves=leaves, file_leaves=fl, item_offsets=io, data_offsets=do)
        assert b"".join(p for _, p in parts) == data
        assert data[:16] == INDEX_MAGIC
        assert struct.unpack(">QQ", data[16:32]) == (n, len(fl))
        with BundleIndex(path) as ix:
            assert (ix.leaf_count, ix.file_count) == (n, len(fl))
            assert ix.root() == tree.root
            f = r = 0
            for leaf in range(n):
                assert ix.inclusion_proof(leaf) == tree.inclusion_proof(leaf)
                assert ix.leaf_hash(leaf) == leaves[leaf]
                assert ix.entry(leaf) == (io[leaf], do[leaf])
                if leaf in fl:
                    f += 1
                    assert ix.leaf_of(f"F-{f}") == leaf
                else:
                    r += 1
                    assert ix.leaf_of(f"R-{r}") == leaf


@pytest.mark.parametrize("change", ["none", "count", "files-order", "files-range",
                                    "offsets-start", "offsets-order", "file-data",
                                    "short-hash"])
def test_write_index_refuses_inconsistent_input(tmp_path: Path, change: str) -> None:
    leaves = _leaves(5)
    fl, io, do = [0, 3], [0, 10, 20, 30, 40], [0, 1, 2, 0, 4]
    if change == "none":
        leaves = []
    elif change == "count":
        io = io[:-1]
    elif change == "files-order":
        fl = [3, 0]
    elif change == "files-range":
        fl = [0, 5]
    elif change == "offsets-start":
        io = [1, 10, 20, 30, 40]
    elif change == "offsets-order":
        io = [0, 10, 10, 30, 40]
    elif change == "file-data":
        do = [5, 1, 2, 0, 4]
    else:
        leaves[2] = leaves[2][:31]
    if change == "none":
        io = do = []
    with pytest.raises((InputError, FormatError)):
        write_index(tmp_path / "i.bin", leaves=leaves, file_leaves=fl, item_offsets=io,
                    data_offsets=do)
    assert not (tmp_path / "i.bin").exists()


def test_write_index_never_overwrites(tmp_path: Path) -> None:
    path = tmp_path / "i.bin"
    path.write_bytes(b"keep")
    with pytest.raises(BundleExistsError):
        _write(path, 3)
    assert path.read_bytes() == b"keep"


@pytest.mark.parametrize("damage", ["magic", "short-header", "truncated", "extended",
                                    "files-over-leaves", "no-leaves"])
def test_reader_refuses_a_malformed_index(tmp_path: Path, damage: str) -> None:
    path = tmp_path / "i.bin"
    _write(path, 9, files=(True, False, False))
    data = bytearray(path.read_bytes())
    if damage == "magic":
        data[3] ^= 1
    elif damage == "short-header":
        del data[20:]
    elif damage == "truncated":
        del data[-1:]
    elif damage == "extended":
        data += b"\0"
    elif damage == "files-over-leaves":
        data[24:32] = struct.pack(">Q", 10)
    else:
        data[16:24] = struct.pack(">Q", 0)
    path.write_bytes(bytes(data))
    with pytest.raises(FormatError, match="index"):
        BundleIndex(path)


def test_reader_refuses_out_of_order_data(tmp_path: Path) -> None:
    path = tmp_path / "i.bin"
    _write(path, 9, files=(True, False, False))  # files at leaves 0, 3, 6
    data = bytearray(path.read_bytes())
    data[32 + 8:32 + 16] = struct.pack(">Q", 8)  # F-2 at leaf 8: no room for F-3 after it
    entries = 32 + 3 * 8
    data[entries + 16 * 5:entries + 16 * 5 + 8] = struct.pack(">Q", 0)  # leaf 5 at offset 0
    path.write_bytes(bytes(data))
    with BundleIndex(path) as ix:
        with pytest.raises(FormatError, match="out of order"):
            ix.leaf_of("F-2")
        with pytest.raises(FormatError, match="out of order"):
            ix.item_span(4)


@pytest.mark.parametrize("item_id", ["F-4", "R-7", "R-0", "X-1", "R-", "F-1x"])
def test_leaf_of_unknown_id(tmp_path: Path, item_id: str) -> None:
    path = tmp_path / "i.bin"
    _write(path, 9, files=(True, False, False))  # 3 files, 6 records
    with BundleIndex(path) as ix, pytest.raises(InputError):
        ix.leaf_of(item_id)


# --- prove ----------------------------------------------------------------------------------


def _check_proof(bundle: Path, proof: ItemProof) -> None:
    signed = read_signed_root(bundle)
    assert proof.root == signed.root and proof.leaf_count == signed.leaf_count
    assert verify_inclusion(leaf_hash(proof.item.line), proof.index, proof.leaf_count,
                            list(proof.path), signed.root)
    if proof.item.kind == "record":
        assert proof.record is not None
        assert hashlib.sha256(proof.record).hexdigest() == proof.item.sha256


def test_prove_every_item_with_and_without_index(indexed_bundle: Path) -> None:
    items = list(iter_items(indexed_bundle))
    tree = MerkleTree([leaf_hash(i.line) for i in items])
    indexed = {i.id: prove(indexed_bundle, i.id) for i in items}
    drop_index(indexed_bundle)
    for item in items:
        fast, slow = indexed[item.id], prove(indexed_bundle, item.id)
        assert fast.indexed and not slow.indexed
        assert fast.item == slow.item == item
        assert fast.index == slow.index == item.index
        assert fast.path == slow.path == tuple(tree.inclusion_proof(item.index))
        assert fast.record == slow.record
        _check_proof(indexed_bundle, fast)


def test_prove_a_file_by_its_path(indexed_bundle: Path) -> None:
    proof = prove(indexed_bundle, "data/files/screenshots/chat-2.png")
    assert proof.item.kind == "file" and proof.item.path.endswith("chat-2.png")
    _check_proof(indexed_bundle, proof)


@pytest.mark.parametrize("item_id", ["R-999", "F-99", "data/files/nothing.png", "Q-1"])
@pytest.mark.parametrize("indexed", [True, False])
def test_prove_unknown_item(indexed_bundle: Path, item_id: str, indexed: bool) -> None:
    if not indexed:
        drop_index(indexed_bundle)
    with pytest.raises(InputError, match="no item"):
        prove(indexed_bundle, item_id)


@pytest.mark.parametrize("indexed", [True, False])
def test_prove_refuses_changed_data(indexed_bundle: Path, indexed: bool) -> None:
    if not indexed:
        drop_index(indexed_bundle)
    records = indexed_bundle / "data/records/transactions.csv.jsonl"
    lines = records.read_bytes().splitlines(keepends=True)
    lines[1] = lines[1].replace(b'"', b"'", 1)  # same length, other bytes
    records.write_bytes(b"".join(lines))
    with pytest.raises(VerificationError, match="R-2"):
        prove(indexed_bundle, "R-2")
    prove(indexed_bundle, "R-1")  # the others are untouched
    shot = indexed_bundle / "data/files/screenshots/chat-1.png"
    shot.write_bytes(shot.read_bytes()[:-1])
    with pytest.raises(VerificationError, match="size differs"):
        prove(indexed_bundle, "F-1")


def test_prove_refuses_a_changed_item_line(indexed_bundle: Path) -> None:
    items = indexed_bundle / ITEMS_FILE
    data = items.read_bytes()
    at = data.index(b'"salt":"', data.index(b'"id":"R-1"')) + 8
    items.write_bytes(data[:at] + (b"0" if data[at:at + 1] != b"0" else b"1") + data[at + 1:])
    with pytest.raises(VerificationError, match=r"items\.jsonl"):
        prove(indexed_bundle, "R-1")


def test_prove_refuses_a_bad_signature(indexed_bundle: Path) -> None:
    path = indexed_bundle / ROOT_FILE
    doc = json.loads(path.read_bytes())
    sig = doc["signature"]
    doc["signature"] = ("1" if sig[0] != "1" else "2") + sig[1:]
    from evidence.standards.jcs import canonicalize

    path.write_bytes(canonicalize(doc) + b"\n")
    with pytest.raises(VerificationError, match="signature"):
        prove(indexed_bundle, "R-1")


def test_prove_refuses_another_bundles_index(indexed_bundle: Path) -> None:
    ix = indexed_bundle / INDEX_FILE
    with BundleIndex(ix) as reader:
        n, m = reader.leaf_count, reader.file_count
    ix.unlink()
    _write(ix, n, files=[True] * m + [False] * (n - m))
    with pytest.raises(VerificationError, match="root differs"):
        prove(indexed_bundle, "R-1")


def test_a_damaged_index_never_gives_a_wrong_proof(indexed_bundle: Path) -> None:
    """Any changed byte of index.bin: prove() raises, or returns the right, valid proof."""
    path = indexed_bundle / INDEX_FILE
    original = path.read_bytes()
    expected = {i.id: i for i in iter_items(indexed_bundle)}

    @SETTINGS
    @given(offset=st.integers(0, len(original) - 1), mask=st.integers(1, 255),
           item_id=st.sampled_from(sorted(expected)))
    def case(offset: int, mask: int, item_id: str) -> None:
        data = bytearray(original)
        data[offset] ^= mask
        path.write_bytes(bytes(data))
        try:
            proof = prove(indexed_bundle, item_id)
        except EvidenceError:
            return
        assert proof.item == expected[item_id]
        _check_proof(indexed_bundle, proof)

    case()


# --- the verifier rebuilds the index --------------------------------------------------------


def _index_findings(bundle: Path) -> list[tuple[str, Severity, str]]:
    return [(f.code, f.severity, f.message) for f in check_integrity(bundle).findings
            if f.code.startswith("index")]


def test_verify_accepts_a_bundle_with_or_without_index(indexed_bundle: Path) -> None:
    assert [c for c, s, _ in _index_findings(indexed_bundle)] == ["index-ok"]
    assert check_integrity(indexed_bundle).intact
    drop_index(indexed_bundle)
    assert _index_findings(indexed_bundle) == []
    assert check_integrity(indexed_bundle).intact


@pytest.mark.parametrize(("where", "named"), [
    (lambda n, m: 20, "header"),
    (lambda n, m: 32, "file leaves"),
    (lambda n, m: 32 + 8 * m + 5, "entries"),
    (lambda n, m: 32 + 8 * m + 16 * n + 3, "level 0"),
    (lambda n, m: 32 + 8 * m + 16 * n + 32 * n + 1, "level 1"),
    (lambda n, m: -1, "level"),
])
def test_verify_names_the_damaged_part_of_the_index(indexed_bundle: Path, where: object,
                                                    named: str) -> None:
    path = indexed_bundle / INDEX_FILE
    with BundleIndex(path) as ix:
        n, m = ix.leaf_count, ix.file_count
    data = bytearray(path.read_bytes())
    assert callable(where)
    data[where(n, m)] ^= 0x10
    path.write_bytes(bytes(data))
    write_tag_manifests(indexed_bundle)  # what anyone can recompute
    found = _index_findings(indexed_bundle)
    assert [(c, s) for c, s, _ in found] == [("index-mismatch", Severity.ERROR)]
    assert named in found[0][2]


@pytest.mark.parametrize("change", ["appended", "truncated", "emptied"])
def test_verify_refuses_a_resized_index(indexed_bundle: Path, change: str) -> None:
    path = indexed_bundle / INDEX_FILE
    data = path.read_bytes()
    path.write_bytes({"appended": data + b"\0", "truncated": data[:-1], "emptied": b""}[change])
    write_tag_manifests(indexed_bundle)
    assert [c for c, _, _ in _index_findings(indexed_bundle)] == ["index-mismatch"]


def test_verify_refuses_an_index_in_a_disclosure(indexed_bundle: Path, tmp_path: Path,
                                                 signing_key: object) -> None:
    from evidence.disclosure import disclose
    from evidence.keys import SigningKey

    assert isinstance(signing_key, SigningKey)
    out = disclose(indexed_bundle, "R-1", out=tmp_path / "r1", key=signing_key)
    assert not (out / INDEX_FILE).exists()
    shutil.copyfile(indexed_bundle / INDEX_FILE, out / INDEX_FILE)
    write_tag_manifests(out)
    assert [c for c, _, _ in _index_findings(out)] == ["index-mismatch"]


def test_every_node_of_a_proof_is_checked(indexed_bundle: Path) -> None:
    """A changed sibling hash anywhere on the path (or the stored root) is refused."""
    path = indexed_bundle / INDEX_FILE
    original = path.read_bytes()
    with BundleIndex(path) as ix:
        n, m, leaf = ix.leaf_count, ix.file_count, ix.leaf_of("R-2")
    sizes = [n]
    while sizes[-1] > 1:
        sizes.append((sizes[-1] + 1) // 2)
    at, offsets, i = 32 + 8 * m + 16 * n, [], leaf
    for count in sizes:
        if i ^ 1 < count:
            offsets.append(at + 32 * (i ^ 1))
        elif count == 1:
            offsets.append(at)  # the root
        at += 32 * count
        i //= 2
    assert len(offsets) >= 3
    for offset in offsets:
        data = bytearray(original)
        data[offset + 7] ^= 0x80
        path.write_bytes(bytes(data))
        with pytest.raises(VerificationError, match="index"):
            prove(indexed_bundle, "R-2")
    path.write_bytes(original)
    _check_proof(indexed_bundle, prove(indexed_bundle, "R-2"))
