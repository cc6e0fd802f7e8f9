"""Capture's fast paths give the bytes of the plain ones: parallel file copies, the CSV record
template, block writes, batched salts, and the index written beside items.jsonl."""

from __future__ import annotations

import csv
import hashlib
import itertools
import json
import os
import struct
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from evidence.bundle.index import INDEX_MAGIC, BundleIndex
from evidence.bundle.integrity import check_integrity
from evidence.bundle.layout import iter_items, read_signed_root
from evidence.capturing import copier, record_items
from evidence.capturing.pipeline import capture
from evidence.capturing.records import iter_records
from evidence.errors import FormatError, InputError
from evidence.keys import SigningKey
from evidence.standards.jcs import canonicalize
from evidence.standards.merkle import leaf_hash, root_from_leaf_hashes

from .conftest import EXAMPLES

#: Values a CSV cell can hold that RFC 8785 escapes or sorts specially.
TRICKY = ["plain", 'say "hi"', "back\\slash", "tab\there", "nul\x00", "\x1f", "line\u2028sep",
          "é", "😀", "%s %d %%", "", " padded ", "new\nline", "\x7f"]


def _tricky_csv(path: Path, rows: int) -> None:
    header = ["b", "a", "é", "😀", "\uffff", "%s", "A"]  # 😀 sorts before U+FFFF in UTF-16
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        for r in range(rows):
            if r % 3:  # one tricky value in a plain row: each alone decides the row's path
                row = [f"v{r}.{c}" for c in range(len(header))]
                row[r % len(header)] += TRICKY[r % len(TRICKY)]
            else:
                row = [TRICKY[(r * 7 + c * 3) % len(TRICKY)] + TRICKY[(r + c) % 5]
                       for c in range(len(header))]
            writer.writerow(row)


def _inputs(root: Path) -> Path:
    """Files of many sizes (one over a copy chunk, so it is read in several chunks), an
    image, a fake image, and nested folders."""
    folder = root / "shots"
    (folder / "z" / "deep").mkdir(parents=True)
    (folder / "a").mkdir()
    for i in range(40):
        size = (i * 7919) % 200_000
        (folder / ("a" if i % 2 else "z/deep") / f"f{i:02d}.bin").write_bytes(
            os.urandom(size))
    (folder / "big.bin").write_bytes(os.urandom(copier.CHUNK_BYTES + 12345))
    (folder / "chat.png").write_bytes((EXAMPLES / "screenshots" / "chat-1.png").read_bytes())
    (folder / "fake.png").write_bytes(b"\x89PNG\r\n\x1a\nnot an image")
    return folder


@pytest.fixture
def small_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tiny blocks and salt batches, so that every boundary is crossed many times."""
    monkeypatch.setattr(record_items, "BLOCK_BYTES", 300)
    monkeypatch.setattr(record_items, "BLOCKS_QUEUED", 2)
    monkeypatch.setattr(record_items, "SALT_BATCH", 3)
    monkeypatch.setattr(copier, "BATCHES_IN_FLIGHT", 2)
    monkeypatch.setattr(copier, "BATCH_FILES", 3)
    monkeypatch.setattr(copier, "BATCH_BYTES", 150_000)


def test_parallel_copies_keep_path_order_and_digests(tmp_path: Path, signing_key: SigningKey,
                                                    small_blocks: None) -> None:
    folder = _inputs(tmp_path)
    seen: list[tuple[int, int]] = []
    result = capture([folder], out=tmp_path / "out", case="C", key=signing_key,
                     progress=lambda done, total, _name: seen.append((done, total)))
    items = list(iter_items(tmp_path / "out"))
    paths = [i.path for i in items]
    assert paths == sorted(paths) and len(paths) == 43
    for item in items:
        source = folder / item.path.removeprefix("data/files/shots/")
        data = source.read_bytes()
        assert item.fields["sha256"] == hashlib.sha256(data).hexdigest()
        assert item.fields["sha512"] == hashlib.sha512(data).hexdigest()
        assert (tmp_path / "out" / item.path).read_bytes() == data
    by_name = {i.fields["original_name"]: i for i in items}
    assert by_name["chat.png"].fields["image"]["format"] == "PNG"
    assert "image" not in by_name["fake.png"].fields
    assert [i.id for i in items] == [f"F-{k}" for k in range(1, 44)]
    dones = [d for d, _ in seen]
    assert dones == sorted(dones) and seen[-1] == (result.total_bytes, result.total_bytes)
    assert check_integrity(tmp_path / "out").intact


def test_csv_fast_path_gives_the_canonical_records_and_items(
        tmp_path: Path, signing_key: SigningKey, small_blocks: None) -> None:
    export = tmp_path / "orders.csv"
    _tricky_csv(export, 120)
    capture([], records=[export, EXAMPLES / "transactions.json"], out=tmp_path / "out",
            case="C", key=signing_key, note="100% %s")
    bundle = tmp_path / "out"
    lines = (bundle / "data/records/orders.csv.jsonl").read_bytes().split(b"\n")
    assert lines.pop() == b""
    expected = [canonicalize(r.fields) for r in iter_records(export)]
    assert lines == expected
    items = list(iter_items(bundle))
    records = [i for i in items if i.kind == "record"]
    assert [r.id for r in records] == [f"R-{k}" for k in range(1, len(records) + 1)]
    for item in items:
        assert canonicalize(json.loads(item.line)) == item.line  # byte for byte canonical
    csv_items = [r for r in records if r.fields["source_name"] == "orders.csv"]
    for item, record, line in zip(csv_items, iter_records(export), lines, strict=True):
        assert item.fields["locator"] == record.locator
        assert item.fields["size"] == len(line)
        assert item.fields["sha256"] == hashlib.sha256(line).hexdigest()
        assert item.fields["sha512"] == hashlib.sha512(line).hexdigest()
    salts = [i.salt for i in items]
    assert len(set(salts)) == len(salts) and all(len(s) == 64 for s in salts)
    assert root_from_leaf_hashes([leaf_hash(i.line) for i in items]) == \
        read_signed_root(bundle).root
    assert check_integrity(bundle).intact


def test_index_matches_items_and_records(tmp_path: Path, signing_key: SigningKey,
                                        small_blocks: None) -> None:
    export = tmp_path / "orders.csv"
    _tricky_csv(export, 50)
    folder = tmp_path / "files"
    folder.mkdir()
    for name in ("x.txt", "y.txt"):
        (folder / name).write_text(name)
    capture([folder], records=[export, EXAMPLES / "transactions.json"],
            out=tmp_path / "out", case="C", key=signing_key)
    bundle = tmp_path / "out"
    raw = (bundle / "evidence/index.bin").read_bytes()
    items_bytes = (bundle / "evidence/items.jsonl").read_bytes()
    items = list(iter_items(bundle))
    n = len(items)
    magic, leaf_count, file_count = struct.unpack_from(">16sQQ", raw)
    assert (magic, leaf_count) == (INDEX_MAGIC, n)
    file_leaves = struct.unpack_from(f">{file_count}Q", raw, 32)
    assert list(file_leaves) == [k for k, i in enumerate(items) if i.kind == "file"]
    at = 32 + 8 * file_count
    entries = [struct.unpack_from(">QQ", raw, at + 16 * k) for k in range(n)]
    for item, (item_offset, data_offset) in zip(items, entries, strict=True):
        assert items_bytes[item_offset:].split(b"\n", 1)[0] == item.line
        if item.kind == "file":
            assert data_offset == 0
        else:
            records = (bundle / item.path).read_bytes()
            line = records[data_offset:].split(b"\n", 1)[0]
            assert hashlib.sha256(line).hexdigest() == item.fields["sha256"]
    level0 = raw[at + 16 * n: at + 16 * n + 32 * n]
    assert level0 == b"".join(leaf_hash(i.line) for i in items)
    root = read_signed_root(bundle).root
    assert raw[-32:] == root
    with BundleIndex(bundle / "evidence/index.bin") as index:
        assert index.root() == root
        assert index.leaf_of("R-1") == 3  # x.txt, y.txt, then the export's own item
        assert index.leaf_of("F-4") == file_leaves[3]
    tags = (bundle / "tagmanifest-sha256.txt").read_text()
    assert "evidence/index.bin" in tags


def test_failure_in_a_worker_leaves_nothing(tmp_path: Path, signing_key: SigningKey,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    folder = _inputs(tmp_path)
    real = copier.open_input

    def failing(path: str | Path) -> object:
        if Path(path).name == "f17.bin":
            raise InputError(f"{path}: cannot read (test)")
        return real(path)

    monkeypatch.setattr(copier, "open_input", failing)
    with pytest.raises(InputError, match=r"f17\.bin"):
        capture([folder], out=tmp_path / "out", case="C", key=signing_key)
    assert not (tmp_path / "out").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".out")]


def test_bad_csv_row_is_named_on_the_fast_path(tmp_path: Path,
                                               signing_key: SigningKey) -> None:
    export = tmp_path / "orders.csv"
    _tricky_csv(export, 30)
    physical_lines = export.read_text(encoding="utf-8").count("\n")  # values span lines too
    with export.open("a", encoding="utf-8") as fh:
        fh.write("only,three,fields\n")
    with pytest.raises(FormatError, match=f"row {physical_lines + 1}\\b"):
        capture([], records=[export], out=tmp_path / "out", case="C", key=signing_key)
    assert not (tmp_path / "out").exists()


@given(st.lists(st.integers(min_value=0, max_value=3 * 1024 * 1024), max_size=300))
def test_batches_cover_every_file_once_in_order(sizes: list[int]) -> None:
    batches = copier._batches(sizes)
    assert [i for batch in batches for i in batch] == list(range(len(sizes)))
    for batch in batches:
        assert len(batch) >= 1
        assert len(batch) <= copier.BATCH_FILES
        in_batch = sum(sizes[i] for i in batch)
        assert in_batch <= copier.BATCH_BYTES or len(batch) == 1  # a big file alone
    for before, after in itertools.pairwise(batches):  # each as full as it could be
        assert (len(before) == copier.BATCH_FILES
                or sum(sizes[i] for i in before) + sizes[after[0]] > copier.BATCH_BYTES)


def test_copying_small_files_flushes_while_copying(tmp_path: Path, signing_key: SigningKey,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """The flusher starts the disk's work during a copy of many small files (and only
    then); the bundle is the same."""
    flushes: list[int] = []
    monkeypatch.setattr(copier, "FLUSH_BYTES", 1)
    monkeypatch.setattr(copier, "FLUSH_SECONDS", 0.001)
    monkeypatch.setattr(copier, "flush_filesystem", lambda fd: flushes.append(fd))
    real = copier._read_and_hash

    def slow(*args: Any, **kw: Any) -> Any:
        time.sleep(0.005)  # long enough for the flusher to see bytes copied
        return real(*args, **kw)

    monkeypatch.setattr(copier, "_read_and_hash", slow)
    folder = tmp_path / "small"
    folder.mkdir()
    for i in range(20):
        (folder / f"{i}.txt").write_bytes(os.urandom(1000))
    capture([folder], out=tmp_path / "out", case="C", key=signing_key)
    assert flushes and check_integrity(tmp_path / "out").intact
    flushes.clear()
    capture([folder], out=tmp_path / "moved", case="C", key=signing_key, move=True)
    assert flushes == []  # nothing written to flush
