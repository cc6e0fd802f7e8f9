"""Verification of integrity: any changed byte anywhere that matters is caught and named."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from evidence.bundle.integrity import check_integrity
from evidence.findings import Severity, Verdict
from evidence.verification.verifier import verify


def _flip(path: Path, offset: int, mask: int = 0x01) -> None:
    data = bytearray(path.read_bytes())
    data[offset % len(data)] ^= mask
    path.write_bytes(bytes(data))


def _errors(bundle: Path) -> list[str]:
    return [f"{f.code}: {f.message}" for f in check_integrity(bundle).findings
            if f.severity is Severity.ERROR]


def test_unanchored_intact_bundle_is_not_presumed(example_bundle: Path) -> None:
    result = verify(example_bundle)
    assert result.verdict is Verdict.NOT_PRESUMED
    assert "not-anchored" in {f.code for f in result.findings}
    assert result.exit_code == 1


def test_changed_screenshot_is_named(example_bundle: Path) -> None:
    _flip(example_bundle / "data/files/screenshots/chat-2.png", 200)
    result = verify(example_bundle)
    assert result.verdict is Verdict.FAILED
    changed = [i for i in result.items if i.status != "ok"]
    assert [i.name for i in changed] == ["chat-2.png"]
    assert any("chat-2.png" in f.message for f in result.findings if f.severity is Severity.ERROR)


def test_a_special_file_in_the_payload_is_named_once(example_bundle: Path) -> None:
    """A FIFO (or a link) in place of one screenshot: the bag is refused and that item is
    the one not ok; the other items are still checked against the manifests, not all
    reported as "not listed"."""
    target = example_bundle / "data/files/screenshots/chat-2.png"
    target.unlink()
    os.mkfifo(target)
    result = verify(example_bundle)
    assert result.verdict is Verdict.FAILED
    assert [i.name for i in result.items if i.status != "ok"] == ["chat-2.png"]
    codes = {f.code for f in result.findings if f.severity is Severity.ERROR}
    assert "bag-invalid" in codes and "bag-special-file" in codes


def test_changed_record_field_is_named(example_bundle: Path) -> None:
    path = example_bundle / "data/records/transactions.csv.jsonl"
    lines = path.read_bytes().split(b"\n")
    lines[2] = lines[2].replace(b'"quantity":"', b'"quantity":"9', 1)
    path.write_bytes(b"\n".join(lines))
    # Even when the attacker also fixes the BagIt manifests, the signed item list catches it.
    import hashlib
    for alg in ("sha256", "sha512"):
        mf = example_bundle / f"manifest-{alg}.txt"
        fixed = []
        for line in mf.read_text().splitlines():
            digest, name = line.split(" ", 1)
            if name.endswith("transactions.csv.jsonl"):
                digest = hashlib.new(alg, path.read_bytes()).hexdigest()
            fixed.append(f"{digest} {name}")
        mf.write_text("\n".join(fixed) + "\n")
    result = verify(example_bundle)
    assert result.verdict is Verdict.FAILED
    changed = [i for i in result.items if i.status != "ok"]
    assert [i.id for i in changed] == ["R-3"]
    assert "row 4" in changed[0].message


@pytest.mark.parametrize("target", [
    "evidence/items.jsonl", "evidence/root.json", "evidence/custody.jsonl",
    "evidence/provenance.json", "bag-info.txt", "data/exports/transactions.csv",
])
def test_flip_in_each_part_fails(example_bundle: Path, target: str) -> None:
    _flip(example_bundle / target, 40)
    assert verify(example_bundle).verdict is Verdict.FAILED


def test_dropping_a_custody_entry_fails(example_bundle: Path) -> None:
    (example_bundle / "evidence/custody.jsonl").write_bytes(b"")
    assert any("custody" in e for e in _errors(example_bundle))


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_changed_byte_fails(example_bundle: Path, tmp_path_factory, data) -> None:  # type: ignore[no-untyped-def]
    work = tmp_path_factory.mktemp("flip") / "b"
    shutil.copytree(example_bundle, work)
    files = sorted(p for p in work.rglob("*") if p.is_file() and p.stat().st_size > 0
                   and not p.name.startswith("tagmanifest"))
    target = data.draw(st.sampled_from(files), label="file")
    offset = data.draw(st.integers(0, target.stat().st_size - 1), label="offset")
    mask = data.draw(st.integers(1, 255), label="mask")
    _flip(target, offset, mask)
    result = verify(work)
    assert result.verdict is Verdict.FAILED, (target, offset, mask)


def test_a_tag_file_added_and_listed_again_is_still_refused(example_bundle: Path) -> None:
    """The tag manifests are unsigned: whoever adds a file beside the signed ones can list
    it again. Only files the bundle writer makes may stand outside data/ (issue 19's attack
    review: notes, a README, a hidden file or an extra manifest slipped in after capture)."""
    from evidence.bundle.integrity import check_integrity
    from evidence.standards.bagit import write_tag_manifests

    for rel in ("evidence/notes.txt", "README.txt", ".extra", ".meta/x.json"):
        target = example_bundle / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text("slipped in after capture\n", encoding="utf-8")
    write_tag_manifests(example_bundle)
    report = check_integrity(example_bundle)
    flagged = {f.subject for f in report.findings if f.code == "bag-unexpected-tag-file"}
    assert flagged == {"evidence/notes.txt", "README.txt", ".extra", ".meta/x.json"}
    assert all(f.severity.value == "error" for f in report.findings
               if f.code == "bag-unexpected-tag-file")


def test_an_extra_payload_manifest_listed_again_is_refused(example_bundle: Path) -> None:
    from evidence.bundle.integrity import check_integrity
    from evidence.standards.bagit import write_tag_manifests

    (example_bundle / "manifest-md5.txt").write_text("", encoding="utf-8")
    write_tag_manifests(example_bundle)
    report = check_integrity(example_bundle)
    assert any(f.severity.value == "error" for f in report.findings), [
        (f.code, f.subject) for f in report.findings]
