"""Selective disclosure: one item with its proof, nothing of the others."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import bagit
import pytest

from evidence.bundle.layout import iter_items
from evidence.disclosure import disclose
from evidence.errors import InputError, VerificationError
from evidence.findings import Verdict
from evidence.keys import SigningKey
from evidence.standards.jcs import canonicalize
from evidence.verification.verifier import verify


def test_record_disclosure_verifies_alone(example_bundle: Path, tmp_path: Path,
        signing_key: SigningKey) -> None:
    out = tmp_path / "r2"
    disclose(example_bundle, "R-2", out=out, key=signing_key)
    bagit.Bag(str(out)).validate()
    result = verify(out)
    assert result.package == "disclosure"
    assert result.verdict is Verdict.NOT_PRESUMED  # intact, not anchored
    assert [i.id for i in result.items] == ["R-2"]
    assert "proof-ok" in {f.code for f in result.findings}


def test_disclosure_holds_nothing_of_other_items(example_bundle: Path, tmp_path: Path,
        signing_key: SigningKey) -> None:
    out = tmp_path / "r2"
    disclose(example_bundle, "R-2", out=out, key=signing_key)
    others = [i for i in iter_items(example_bundle) if i.id != "R-2"]
    blob = b"".join(p.read_bytes() for p in out.rglob("*") if p.is_file())
    for item in others:
        assert item.salt.encode() not in blob
        assert item.sha256.encode() not in blob
    files = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    assert [f for f in files if f.startswith("data/")] == ["data/records/transactions.csv.jsonl"]


def test_file_disclosure_and_tamper(example_bundle: Path, tmp_path: Path,
        signing_key: SigningKey) -> None:
    out = tmp_path / "f1"
    disclose(example_bundle, "F-1", out=out, key=signing_key)
    assert verify(out).verdict is Verdict.NOT_PRESUMED
    proof = out / "evidence/proof.json"
    proof.write_bytes(proof.read_bytes().replace(b'"index":0', b'"index":1'))
    assert verify(out).verdict is Verdict.FAILED


def test_unknown_item(example_bundle: Path, tmp_path: Path,
        signing_key: SigningKey) -> None:
    with pytest.raises(InputError, match="no item"):
        disclose(example_bundle, "R-999", out=tmp_path / "x", key=signing_key)


def test_no_disclosure_of_a_changed_item(example_bundle: Path, tmp_path: Path,
        signing_key: SigningKey) -> None:
    p = example_bundle / "data/files/screenshots/chat-1.png"
    p.write_bytes(p.read_bytes() + b"x")
    with pytest.raises(VerificationError, match=r"chat-1\.png"):
        disclose(example_bundle, "F-1", out=tmp_path / "x", key=signing_key)
    assert not (tmp_path / "x").exists()
    assert not list(tmp_path.glob(".x.partial-*"))


def test_disclosure_does_not_reverify_the_other_items(example_bundle: Path, tmp_path: Path,
        signing_key: SigningKey) -> None:
    """Disclose checks what it copies, not the whole bundle (that would read every item):
    a change to another item does not stop an intact one from being disclosed, and the
    package verifies on its own."""
    p = example_bundle / "data/files/screenshots/chat-1.png"
    p.write_bytes(p.read_bytes() + b"x")
    out = disclose(example_bundle, "R-1", out=tmp_path / "r1", key=signing_key)
    result = verify(out)
    assert result.verdict is Verdict.NOT_PRESUMED
    assert "proof-ok" in {f.code for f in result.findings}


def _resign_statement(bundle: Path) -> None:
    path = bundle / "evidence/root.json"
    doc = json.loads(path.read_bytes())
    doc["signature"] = ("1" if doc["signature"][0] != "1" else "2") + doc["signature"][1:]
    path.write_bytes(canonicalize(doc) + b"\n")


def _edit_provenance(bundle: Path) -> None:
    path = bundle / "evidence/provenance.json"
    path.write_bytes(path.read_bytes().replace(b"ExampleMart", b"ExampleMarT"))


def _edit_custody(bundle: Path) -> None:
    path = bundle / "evidence/custody.jsonl"
    path.write_bytes(path.read_bytes().replace(b'"captured"', b'"Captured"', 1))


def _edit_record(bundle: Path) -> None:
    path = bundle / "data/records/transactions.csv.jsonl"
    lines = path.read_bytes().splitlines(keepends=True)
    lines[2] = lines[2].replace(b"0", b"1", 1)
    path.write_bytes(b"".join(lines))


def _edit_item_line(bundle: Path) -> None:
    path = bundle / "evidence/items.jsonl"
    lines = path.read_bytes().splitlines(keepends=True)
    for i, line in enumerate(lines):
        if b'"id":"R-3"' in line:
            at = line.index(b'"salt":"') + 8
            lines[i] = line[:at] + (b"1" if line[at:at + 1] == b"0" else b"0") + line[at + 1:]
    path.write_bytes(b"".join(lines))


def _break_item_line(bundle: Path) -> None:
    path = bundle / "evidence/items.jsonl"
    path.write_bytes(path.read_bytes().replace(b'"id":"R-3"', b'"id": "R-3"'))


@pytest.mark.parametrize("edit", [_resign_statement, _edit_provenance, _edit_custody,
                                  _edit_record, _edit_item_line, _break_item_line])
def test_no_disclosure_when_what_is_copied_changed(example_bundle: Path, tmp_path: Path,
        signing_key: SigningKey, edit: Callable[[Path], None]) -> None:
    edit(example_bundle)
    with pytest.raises(VerificationError):
        disclose(example_bundle, "R-3", out=tmp_path / "x", key=signing_key)
    assert not (tmp_path / "x").exists()
    assert not list(tmp_path.glob(".x.partial-*"))
