"""Selective disclosure: one item with its proof, nothing of the others."""

from __future__ import annotations

from pathlib import Path

import bagit
import pytest

from evidence.bundle import iter_items
from evidence.disclosure import disclose
from evidence.errors import InputError, VerificationError
from evidence.findings import Verdict
from evidence.keys import SigningKey
from evidence.verification import verify


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


def test_no_disclosure_from_changed_bundle(example_bundle: Path, tmp_path: Path,
        signing_key: SigningKey) -> None:
    p = example_bundle / "data/files/screenshots/chat-1.png"
    p.write_bytes(p.read_bytes() + b"x")
    with pytest.raises(VerificationError):
        disclose(example_bundle, "R-1", out=tmp_path / "x", key=signing_key)
    assert not (tmp_path / "x").exists()
