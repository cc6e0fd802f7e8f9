"""Capture: bundle layout, BagIt validity, items, leaves, root, signature, custody."""

from __future__ import annotations

import json
import os
from pathlib import Path

import bagit
import pytest

from evidence.bundle.integrity import check_integrity
from evidence.bundle.layout import iter_items, read_signed_root
from evidence.capturing.pipeline import capture
from evidence.errors import BundleExistsError, FormatError, InputError
from evidence.keys import SigningKey, verify_signature
from evidence.standards.merkle import leaf_hash, root_from_leaf_hashes

from .conftest import EXAMPLES


def test_bundle_is_valid_bagit_for_the_reference_tool(example_bundle: Path) -> None:
    bag = bagit.Bag(str(example_bundle))
    bag.validate()  # raises on any problem
    assert set(bag.algorithms) == {"sha256", "sha512"}
    assert bag.info["Evidence-Case"] == "2026-TEST-1"
    assert bag.info["Evidence-Platform"] == "ExampleMart"
    assert "Evidence-Captured-At" in bag.info and "Bag-Software-Agent" in bag.info


def test_items_leaves_root_and_signature(example_bundle: Path) -> None:
    items = list(iter_items(example_bundle))
    files = [i for i in items if i.kind == "file"]
    records = [i for i in items if i.kind == "record"]
    csv_rows = (EXAMPLES / "transactions.csv").read_text(encoding="utf-8").strip().count("\n")
    assert len(records) == csv_rows
    assert {f.fields["original_name"] for f in files} >= {"chat-1.png", "chat-2.png",
                                                          "transactions.csv"}
    png = next(f for f in files if f.fields["original_name"] == "chat-1.png")
    assert png.media_type == "image/png"
    assert png.fields["image"]["format"] == "PNG" and png.fields["image"]["width"] > 0
    assert len({i.salt for i in items}) == len(items)  # a fresh salt per item
    signed = read_signed_root(example_bundle)
    assert root_from_leaf_hashes([leaf_hash(i.line) for i in items]) == signed.root
    assert verify_signature(signed.public_key, signed.signature, signed.signed_message)


def test_records_are_canonical_and_kept_as_text(example_bundle: Path) -> None:
    lines = (example_bundle / "data/records/transactions.csv.jsonl").read_bytes().splitlines()
    first = json.loads(lines[0])
    assert all(isinstance(v, str) for v in first.values())  # CSV values stay text
    assert list(first) == sorted(first)


def test_fresh_bundle_verifies_intact(example_bundle: Path) -> None:
    report = check_integrity(example_bundle)
    assert report.intact, [f for f in report.findings if f.severity.value == "error"]
    assert all(i.status == "ok" for i in report.items)


def test_folder_capture_is_deterministic_and_skips_symlinks(tmp_path: Path,
                                                           signing_key: SigningKey) -> None:
    src = tmp_path / "shots"
    (src / "b").mkdir(parents=True)
    (src / "z.txt").write_text("z")
    (src / "b" / "a.txt").write_text("a")
    os.symlink("/etc/passwd", src / "link")
    result = capture([src], out=tmp_path / "out", case="C", key=signing_key)
    assert any("symbolic link" in w for w in result.warnings)
    paths = [i.path for i in iter_items(tmp_path / "out")]
    assert paths == ["data/files/shots/b/a.txt", "data/files/shots/z.txt"]
    assert not (tmp_path / "out/data/files/shots/link").exists()


def test_never_overwrites(tmp_path: Path, signing_key: SigningKey,
                         example_bundle: Path) -> None:
    before = (example_bundle / "evidence/root.json").read_bytes()
    with pytest.raises(BundleExistsError):
        capture([EXAMPLES / "screenshots"], out=example_bundle, case="X", key=signing_key)
    assert (example_bundle / "evidence/root.json").read_bytes() == before


@pytest.mark.parametrize("content,needle", [
    (b"", "no records"),
    (b"a,b\n1,2,3\n", "row"),
    (b"a,b\n\xff\xfe,1\n", "encoding"),
])
def test_bad_exports_leave_nothing(tmp_path: Path, signing_key: SigningKey,
                                 content: bytes, needle: str) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_bytes(content)
    with pytest.raises((FormatError, InputError)) as err:
        capture([], records=[bad], out=tmp_path / "out", case="C", key=signing_key)
    assert "bad.csv" in str(err.value) and needle in str(err.value)
    assert not (tmp_path / "out").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".out")]


def test_missing_input(tmp_path: Path, signing_key: SigningKey) -> None:
    with pytest.raises(InputError, match="no such file"):
        capture([tmp_path / "nope.png"], out=tmp_path / "out", case="C", key=signing_key)
    assert not (tmp_path / "out").exists()


def test_empty_input(tmp_path: Path, signing_key: SigningKey) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="nothing to capture"):
        capture([tmp_path / "empty"], out=tmp_path / "out", case="C", key=signing_key)
