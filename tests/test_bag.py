"""Tests for evidence.standards.bagit: the LoC conformance suite, bagit-python, hostile bags,
the writer."""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path

import bagit
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from evidence.errors import FormatError, InputError, NotABundleError
from evidence.findings import Severity
from evidence.standards import bagit as bag_module
from evidence.standards.bagit import (
    KNOWN_DISAGREEMENTS,
    MAX_MANIFEST_LINE_LENGTH,
    PROBLEM_CODES,
    BagProblem,
    decode_manifest_path,
    encode_manifest_path,
    format_bag_info,
    format_bagit_txt,
    format_manifest,
    payload_oxum,
    read_bag,
    validate_bag,
    write_tag_manifests,
)

from .conftest import VECTORS

SUITE = VECTORS / "bagit"

#: Bags where bagit-python 1.9's verdict differs from ours, and why. Asserted exactly.
BAGIT_PYTHON_DISAGREEMENTS = {
    "v1.0/invalid/bagit-with-invalid-whitespace": (
        "bagit-python accepts 'BagIt-Version : 1.0'; RFC 8493 §2.1.1 has no space before "
        "the colon, and the suite says invalid"
    ),
    "v0.97/windows-only/out-of-scope-file-paths-using-absolute-path-for-fetch": (
        "on POSIX bagit-python takes 'C:\\...' as a relative name; we refuse drive letters "
        "on every OS, so a bag made on Linux cannot attack a Windows reader"
    ),
    "v0.97/windows-only/out-of-scope-file-paths-using-shortcut-for-fetch": (
        "fetch.txt path '%HomeDrive%\\...' is not under data/; bagit-python does not check "
        "fetch.txt paths against data/"
    ),
    "v0.97/windows-only/out-of-scope-file-paths-using-unc-for-fetch": (
        "fetch.txt path '\\\\?\\UNC\\...' is a Windows absolute path; we refuse it on every OS"
    ),
}

#: Bags per version and category in the suite (SOURCE.md), so a lost folder fails loudly.
SUITE_COUNTS = {
    ("v1.0", "valid"): 1,
    ("v1.0", "invalid"): 4,
    ("v0.97", "valid"): 12,
    ("v0.97", "invalid"): 11,
    ("v0.97", "warning"): 6,
    ("v0.97", "linux-only"): 6,
    ("v0.97", "windows-only"): 6,
    ("v0.96", "valid"): 8,
    ("v0.95", "valid"): 2,
    ("v0.94", "valid"): 2,
    ("v0.93", "valid"): 2,
}


def suite_bags() -> list[Path]:
    """Every bag of the suite, or the suite's folder itself when it has none: a missing
    vector fails, never turns into an empty (skipped) parameter set."""
    return sorted(p for p in SUITE.glob("v*/*/*") if p.is_dir()) or [SUITE]


def suite_bag(name: str) -> Path:
    """The suite's bag ``name``; the test fails when it is missing (a missing vector must
    not let a test about an invalid bag pass)."""
    path = SUITE / name
    if not path.is_dir():
        pytest.fail(f"public vector missing: {path} (vendored in tests/vectors/bagit)")
    return path


def rel_name(bag: Path) -> str:
    return bag.relative_to(SUITE).as_posix()


def errors(problems: Iterable[BagProblem]) -> set[str]:
    return {p.code for p in problems if p.severity is Severity.ERROR}


def warnings(problems: Iterable[BagProblem]) -> set[str]:
    return {p.code for p in problems if p.severity is Severity.WARNING}


def suite_expects_valid(name: str) -> bool:
    category = name.split("/")[1]
    return category in ("valid", "warning")


# --- the Library of Congress conformance suite -------------------------------------------------


def test_suite_is_complete() -> None:
    counts: dict[tuple[str, str], int] = {}
    for bag in suite_bags():
        version, category = rel_name(bag).split("/")[:2]
        counts[version, category] = counts.get((version, category), 0) + 1
    assert counts == SUITE_COUNTS
    assert set(KNOWN_DISAGREEMENTS) <= {rel_name(b) for b in suite_bags()}


@pytest.mark.parametrize("bag", suite_bags(), ids=rel_name)
def test_conformance_suite(bag: Path) -> None:
    if bag == SUITE:
        pytest.fail(f"public vectors missing: no bags in {SUITE}")
    name = rel_name(bag)
    problems = validate_bag(bag)
    assert all(p.code in PROBLEM_CODES for p in problems)
    assert all(not p.path.startswith("/") and "\\" not in p.path for p in problems)
    passed = not errors(problems)
    category = name.split("/")[1]
    if category == "windows-only":
        # Not required on POSIX; we refuse drive letters and UNC paths on every OS anyway.
        assert not passed, problems
        assert "bad-path" in errors(problems)
    elif name in KNOWN_DISAGREEMENTS:
        assert passed is not suite_expects_valid(name), problems
    else:
        assert passed is suite_expects_valid(name), problems


def test_known_disagreements_are_exactly_these() -> None:
    disagreeing = set()
    for bag in suite_bags():
        name = rel_name(bag)
        if name.split("/")[1] == "windows-only":
            continue
        if (not errors(validate_bag(bag))) is not suite_expects_valid(name):
            disagreeing.add(name)
    assert disagreeing == set(KNOWN_DISAGREEMENTS)
    assert all(reason for reason in KNOWN_DISAGREEMENTS.values())


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("v1.0/invalid/bagit-with-invalid-whitespace", "bad-bagit-txt"),
        ("v1.0/invalid/notAllManifestsListAllFiles", "unlisted-file"),
        ("v1.0/invalid/same-filename-listed-twice-with-the-same-hash", "duplicate-entry"),
        ("v1.0/invalid/same-filename-listed-twice-with-different-hashes", "duplicate-entry"),
        ("v0.97/invalid/bom-in-bagit.txt", "bad-bagit-txt"),
        ("v0.97/invalid/baginfo-missing-encoding", "bad-bagit-txt"),
        ("v0.97/invalid/invalid-version-number", "bad-bagit-txt"),
        ("v0.97/invalid/missing-bagit.txt", "bad-bagit-txt"),
        ("v0.97/invalid/missing-baginfo", "missing-file"),
        ("v0.97/invalid/corrupt-data-file", "digest-mismatch"),
        ("v0.97/invalid/corrupt-tag-file", "digest-mismatch"),
        ("v0.97/invalid/extra-file-in-bag", "unlisted-file"),
        ("v0.97/invalid/out-of-scope-file-paths-using-dot-notation", "bad-path"),
        ("v0.97/invalid/out-of-scope-file-paths-using-dot-notation-for-fetch", "bad-path"),
        ("v0.97/invalid/same-filename-listed-twice-with-different-hashes", "duplicate-entry"),
        ("v0.97/linux-only/out-of-scope-file-paths-using-absolute-path", "bad-path"),
        ("v0.97/linux-only/out-of-scope-file-paths-using-shortcut-username-for-fetch",
         "bad-path"),
        ("v0.97/warning/duplicate-file-with-different-case", "missing-file"),
    ],
)
def test_suite_failure_reasons(name: str, code: str) -> None:
    assert code in errors(validate_bag(suite_bag(name)))


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("v0.97/warning/made-with-md5sum-tools", "md5sum-binary-marker"),
        ("v0.97/warning/relative-path", "leading-dot-slash"),
        ("v0.97/warning/same-filename-listed-twice-with-the-same-hash", "duplicate-entry"),
        ("v0.97/warning/duplicate-file-with-different-case", "name-collision"),
        ("v0.97/warning/same-filename-listed-twice-with-different-normalization",
         "name-collision"),
        ("v0.97/valid/bag-with-leading-dot-slash-in-manifest", "leading-dot-slash"),
    ],
)
def test_suite_warnings(name: str, code: str) -> None:
    assert code in warnings(validate_bag(suite_bag(name)))


def _bagit_python_accepts(bag: Path) -> bool:
    logging.getLogger("bagit").setLevel(logging.CRITICAL)
    try:
        bagit.Bag(str(bag)).validate()
    except bagit.BagError:
        return False
    return True


def test_cross_check_with_bagit_python() -> None:
    disagreeing = {
        rel_name(bag)
        for bag in suite_bags()
        if _bagit_python_accepts(bag) is not (not errors(validate_bag(bag)))
    }
    assert disagreeing == set(BAGIT_PYTHON_DISAGREEMENTS)


# --- reading -----------------------------------------------------------------------------------


def test_read_bag_v1() -> None:
    info = read_bag(suite_bag("v1.0/valid/basicBag"))
    assert info.version == (1, 0)
    assert info.encoding == "UTF-8"
    assert info.info == ()
    assert [m.name for m in info.payload_manifests] == ["manifest-sha512.txt"]
    assert list(info.manifests["sha512"]) == ["data/hello.txt"]
    assert set(info.tag_manifest_digests["sha512"]) == {"bagit.txt", "manifest-sha512.txt"}
    assert not info.has_fetch


def test_read_bag_info_order_repeats_and_folding() -> None:
    info = read_bag(suite_bag("v0.97/valid/duplicate-metadata-entries"))
    assert info.get_info("bagging-date") == ["2016-02-26", "2016-03-10"]
    assert info.get_info("Case-Insensitivity-Test") == ["1", "2", "3"]
    assert info.info[3] == ("contact-name", "Chris Adams")
    folded = read_bag(suite_bag("v0.97/valid/bag-in-a-bag"))
    assert folded.get_info("External-Description") == [
        "Uncompressed greyscale TIFF images from the\nYoshimuri papers collection."
    ]
    separators = read_bag(suite_bag("v0.97/valid/uncommon-metadata-separators"))
    assert separators.get_info("Test-Tag") == ["1", "2", "3", "4", "5"]
    old = read_bag(suite_bag("v0.93/valid/basic-bag"))  # package-info.txt before 0.96
    assert old.get_info("Packing-Date") == ["2009-10-14"]


def test_read_bag_encodings_and_fetch() -> None:
    utf16 = read_bag(suite_bag("v0.97/valid/UTF-16-encoded-tag-files"))
    assert utf16.encoding == "UTF-16"
    assert utf16.get_info("Contact-Name") == ["Chris Adams"]
    assert set(utf16.manifests["md5"]) == {"data/bare-filename", "data/text-file.txt"}
    latin1 = read_bag(suite_bag("v0.97/valid/ISO-8859-1-encoded-tag-files"))
    assert latin1.encoding == "ISO-8859-1"
    holey = read_bag(suite_bag("v0.97/valid/holey-bag"))
    assert holey.has_fetch and len(holey.fetch) == 5
    assert holey.fetch[3].path == "data/test 1.txt" and holey.fetch[3].length is None
    encoded = read_bag(suite_bag("v0.97/valid/bag-with-encoded-names"))
    assert "data/%7Etest1.txt" in encoded.manifests["md5"]  # 0.97 does not decode %7E


def test_read_bag_errors(tmp_path: Path) -> None:
    with pytest.raises(NotABundleError):
        read_bag(suite_bag("v0.97/invalid/missing-bagit.txt"))
    with pytest.raises(NotABundleError):
        read_bag(tmp_path / "nothing-here")
    with pytest.raises(FormatError, match="byte-order mark"):
        read_bag(suite_bag("v0.97/invalid/bom-in-bagit.txt"))
    with pytest.raises(FormatError, match="no space before the colon"):
        read_bag(suite_bag("v1.0/invalid/bagit-with-invalid-whitespace"))
    with pytest.raises(FormatError, match="line 3: /tmp/foo: absolute path"):
        read_bag(suite_bag("v0.97/linux-only/out-of-scope-file-paths-using-absolute-path"))


def test_percent_decoding() -> None:
    assert decode_manifest_path("data/a%25b%0Ac%0dd%41") == "data/a%b\nc\rd%41"
    assert decode_manifest_path("data/a%25b%0A", (0, 97)) == "data/a%25b\n"
    assert decode_manifest_path("data/50%.txt") == "data/50%.txt"
    assert encode_manifest_path("data/a%b\nc\rd") == "data/a%25b%0Ac%0Dd"
    for name in ("data/%25", "data/%0A\r\n%", "data/x"):
        assert decode_manifest_path(encode_manifest_path(name)) == name


# --- bags built here: the writer, then hostile changes -----------------------------------------


def build_bag(
    root: Path,
    files: dict[str, bytes],
    *,
    info: Sequence[tuple[str, str]] = (),
    algorithms: Sequence[str] = ("sha256", "sha512"),
) -> Path:
    """Build a BagIt 1.0 bag the way the capture code does, with the writer helpers."""
    (root / "data").mkdir(parents=True)
    for rel, data in files.items():
        target = root / "data" / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    (root / "bagit.txt").write_bytes(format_bagit_txt())
    for alg in algorithms:
        entries = ((f"data/{rel}", hashlib.new(alg, d).hexdigest()) for rel, d in files.items())
        (root / f"manifest-{alg}.txt").write_bytes(format_manifest(entries))
    oxum = payload_oxum(sum(len(d) for d in files.values()), len(files))
    items = [("Bagging-Date", "2025-01-02"), ("Payload-Oxum", oxum), *info]
    (root / "bag-info.txt").write_bytes(format_bag_info(items))
    write_tag_manifests(root)
    return root


FILES = {"a.txt": b"alpha\n", "sub/b.bin": bytes(range(256)), "empty": b""}


@pytest.fixture
def good_bag(tmp_path: Path) -> Path:
    return build_bag(tmp_path / "bag", FILES)


def append_manifest_line(bag: Path, line: str, name: str = "manifest-sha256.txt") -> None:
    """Append a line, then refresh the tag manifests so that only the line is wrong."""
    with open(bag / name, "a", encoding="utf-8", newline="") as fh:
        fh.write(line + "\n")
    if not name.startswith("tagmanifest-"):
        write_tag_manifests(bag)


def test_written_bag_is_valid_for_us_and_bagit_python(good_bag: Path) -> None:
    assert validate_bag(good_bag) == []
    assert validate_bag(good_bag, fast=True) == []
    assert _bagit_python_accepts(good_bag)
    info = read_bag(good_bag)
    assert info.version == (1, 0)
    assert set(info.manifests) == {"sha256", "sha512"}
    assert info.manifests["sha256"]["data/a.txt"] == hashlib.sha256(b"alpha\n").hexdigest()
    assert info.payload_oxum == (6 + 256, 3)
    assert set(info.tag_manifest_digests["sha512"]) == {
        "bagit.txt", "bag-info.txt", "manifest-sha256.txt", "manifest-sha512.txt"
    }


def test_dot_dot_path_is_refused_and_never_read(good_bag: Path) -> None:
    outside = good_bag.parent / "secret.txt"
    outside.write_bytes(b"secret")
    digest = hashlib.sha256(b"secret").hexdigest()
    append_manifest_line(good_bag, f"{digest}  data/../../secret.txt")
    problems = validate_bag(good_bag)
    assert errors(problems) == {"bad-path"}
    assert "'..'" in problems[0].message
    with pytest.raises(FormatError, match=r"'\.\.'"):
        read_bag(good_bag)


def test_absolute_path_is_refused(good_bag: Path) -> None:
    append_manifest_line(good_bag, f"{'0' * 64}  /etc/passwd")
    assert errors(validate_bag(good_bag)) == {"bad-path"}


def test_home_and_drive_paths_are_refused(good_bag: Path) -> None:
    append_manifest_line(good_bag, f"{'0' * 64}  ~/x")
    append_manifest_line(good_bag, f"{'0' * 64}  C:\\x")
    append_manifest_line(good_bag, f"{'0' * 64}  data//x")
    problems = [p for p in validate_bag(good_bag) if p.is_error]
    assert [p.code for p in problems] == ["bad-path"] * 3


def test_tag_manifest_cannot_list_payload(good_bag: Path) -> None:
    append_manifest_line(good_bag, f"{'0' * 64}  data/a.txt", "tagmanifest-sha256.txt")
    assert "bad-path" in errors(validate_bag(good_bag))


def test_symlink_to_outside_is_refused(good_bag: Path) -> None:
    outside = good_bag.parent / "outside.txt"
    outside.write_bytes(b"outside")
    os.symlink(outside, good_bag / "data" / "link.txt")
    for alg in ("sha256", "sha512"):
        append_manifest_line(
            good_bag, f"{hashlib.new(alg, b'outside').hexdigest()}  data/link.txt",
            f"manifest-{alg}.txt",
        )
    problems = validate_bag(good_bag)
    assert errors(problems) == {"symlink"}
    assert any(p.path == "data/link.txt" and "symlink in bag" in p.message for p in problems)
    with pytest.raises(FormatError, match=r"symlink in bag: data/link\.txt"):
        read_bag(good_bag)


def test_symlinked_folder_is_not_walked(good_bag: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "f").write_bytes(b"f")
    os.symlink(elsewhere, good_bag / "data" / "dir")
    problems = validate_bag(good_bag)
    assert errors(problems) == {"symlink"}
    assert [p.path for p in problems] == ["data/dir"]


def test_symlinked_tag_file_is_refused(good_bag: Path) -> None:
    (good_bag / "bag-info.txt").rename(good_bag / "real-info")
    os.symlink(good_bag / "real-info", good_bag / "bag-info.txt")
    assert "symlink" in errors(validate_bag(good_bag))


def test_special_file_is_refused(good_bag: Path) -> None:
    os.mkfifo(good_bag / "data" / "fifo")
    assert "special-file" in errors(validate_bag(good_bag))


def test_missing_file(good_bag: Path) -> None:
    (good_bag / "data" / "a.txt").unlink()
    problems = validate_bag(good_bag)
    assert errors(problems) == {"missing-file", "oxum-mismatch"}
    assert {p.path for p in problems if p.code == "missing-file"} == {"data/a.txt"}


def test_extra_unlisted_file(good_bag: Path) -> None:
    (good_bag / "data" / "sub" / "extra").write_bytes(b"")
    problems = validate_bag(good_bag)
    assert errors(problems) == {"unlisted-file", "oxum-mismatch"}
    # listed in neither manifest: one problem per manifest (RFC 8493 §3, BagIt 1.0)
    assert [p.path for p in problems if p.code == "unlisted-file"] == ["data/sub/extra"] * 2


def test_file_missing_from_one_manifest(tmp_path: Path) -> None:
    bag = build_bag(tmp_path / "bag", FILES)
    lines = (bag / "manifest-sha512.txt").read_bytes().splitlines(keepends=True)
    (bag / "manifest-sha512.txt").write_bytes(b"".join(lines[1:]))
    write_tag_manifests(bag)
    problems = validate_bag(bag)
    assert errors(problems) == {"unlisted-file"}
    assert "manifest-sha512.txt" in problems[0].message


def test_digest_mismatch_and_fast_mode(good_bag: Path) -> None:
    (good_bag / "data" / "a.txt").write_bytes(b"ALPHA\n")  # same size
    problems = validate_bag(good_bag)
    assert errors(problems) == {"digest-mismatch"}
    assert {p.path for p in problems} == {"data/a.txt"}
    assert len(problems) == 2  # one per algorithm, from a single read
    assert validate_bag(good_bag, fast=True) == []  # fast proves completeness only


def test_tag_file_change_is_detected(good_bag: Path) -> None:
    with open(good_bag / "bag-info.txt", "ab") as fh:
        fh.write(b"Note: added later\n")
    problems = validate_bag(good_bag)
    assert errors(problems) == {"digest-mismatch"}
    assert {p.path for p in problems} == {"bag-info.txt"}
    assert errors(validate_bag(good_bag, fast=True)) == {"digest-mismatch"}


def test_oxum_mismatch(tmp_path: Path) -> None:
    bag = build_bag(tmp_path / "bag", FILES)
    text = (bag / "bag-info.txt").read_text().replace("262.3", "262.4")
    (bag / "bag-info.txt").write_text(text)
    write_tag_manifests(bag)
    assert errors(validate_bag(bag)) == {"oxum-mismatch"}


def test_duplicate_entry_in_v1_is_an_error(good_bag: Path) -> None:
    digest = hashlib.sha256(b"alpha\n").hexdigest()
    append_manifest_line(good_bag, f"{digest}  data/a.txt")
    assert errors(validate_bag(good_bag)) == {"duplicate-entry"}


def test_payload_manifest_must_be_in_tag_manifest(good_bag: Path) -> None:
    lines = (good_bag / "tagmanifest-sha256.txt").read_text().splitlines(keepends=True)
    kept = [line for line in lines if not line.endswith("manifest-sha512.txt\n")]
    (good_bag / "tagmanifest-sha256.txt").write_text("".join(kept))
    problems = validate_bag(good_bag)
    assert errors(problems) == {"unlisted-file"}
    assert problems[0].path == "manifest-sha512.txt"


def test_oversize_manifest_line(good_bag: Path) -> None:
    append_manifest_line(good_bag, f"{'0' * 64}  data/{'x' * MAX_MANIFEST_LINE_LENGTH}")
    assert errors(validate_bag(good_bag)) == {"limit-exceeded"}


def test_oversize_manifest(good_bag: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bag_module, "MAX_MANIFEST_BYTES", 100)
    problems = validate_bag(good_bag)
    assert "limit-exceeded" in errors(problems)
    assert {p.path for p in problems if p.code == "limit-exceeded"} >= {"manifest-sha512.txt"}


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        (b"\xef\xbb\xbfBagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n", "byte-order"),
        (b"BagIt-Version : 1.0\nTag-File-Character-Encoding: UTF-8\n", "no space before"),
        (b"BagIt-Version: 1.0\nTag-File-Character-Encoding : UTF-8\n", "line 2"),
        (b"BagIt-Version: 1.0\n", "1 lines"),
        (b"BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\nX: y\n", "3 lines"),
        (b"BagIt-Version: 2.0\nTag-File-Character-Encoding: UTF-8\n", "not supported"),
        (b"BagIt-Version: 1.0\nTag-File-Character-Encoding: zlib\n", "unknown"),
        (b"BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n" + b" " * 2000, "larger"),
    ],
)
def test_bad_bagit_txt(good_bag: Path, content: bytes, fragment: str) -> None:
    (good_bag / "bagit.txt").write_bytes(content)
    problems = validate_bag(good_bag)
    assert errors(problems) & {"bad-bagit-txt", "limit-exceeded"}
    assert any(fragment in p.message for p in problems), problems


def test_bom_in_v1_tag_file_is_an_error(good_bag: Path) -> None:
    data = (good_bag / "bag-info.txt").read_bytes()
    (good_bag / "bag-info.txt").write_bytes(b"\xef\xbb\xbf" + data)
    write_tag_manifests(good_bag)
    assert errors(validate_bag(good_bag)) == {"bad-tag-file"}


def test_bad_bag_info_lines(good_bag: Path) -> None:
    with open(good_bag / "bag-info.txt", "ab") as fh:
        fh.write(b"Label-With-Space : x\nno colon here\nPayload-Oxum: 1.1\n")
    write_tag_manifests(good_bag)
    problems = [p for p in validate_bag(good_bag) if p.code == "bad-bag-info"]
    assert len(problems) == 3


def test_unsupported_algorithm(good_bag: Path) -> None:
    (good_bag / "manifest-blake3.txt").write_bytes(b"")
    assert "unsupported-algorithm" in errors(validate_bag(good_bag))


def test_manifest_syntax(good_bag: Path) -> None:
    append_manifest_line(good_bag, "nothex  data/a.txt")
    append_manifest_line(good_bag, "abcd  data/a.txt")
    problems = [p for p in validate_bag(good_bag) if p.is_error]
    assert [p.code for p in problems] == ["manifest-syntax", "manifest-syntax"]


def test_no_payload_dir_or_manifest(tmp_path: Path) -> None:
    bag = tmp_path / "bag"
    bag.mkdir()
    (bag / "bagit.txt").write_bytes(format_bagit_txt())
    assert errors(validate_bag(bag)) == {"missing-payload-dir", "missing-manifest"}
    assert errors(validate_bag(tmp_path / "none")) == {"not-a-bag"}


def test_fetch_incomplete_and_complete(tmp_path: Path) -> None:
    bag = build_bag(tmp_path / "bag", FILES)
    (bag / "fetch.txt").write_bytes(b"https://example.org/a 6 data/a.txt\n")
    write_tag_manifests(bag)
    assert validate_bag(bag) == []
    info = read_bag(bag)
    assert info.has_fetch and info.fetch[0].length == 6
    (bag / "data" / "a.txt").unlink()
    problems = validate_bag(bag)
    assert errors(problems) == {"incomplete"}
    assert [p.path for p in problems] == ["data/a.txt"]


def test_fetch_bad_lines(tmp_path: Path) -> None:
    bag = build_bag(tmp_path / "bag", FILES)
    (bag / "fetch.txt").write_bytes(
        b"https://example.org/a - ../outside\nnot-a-url - data/a.txt\n"
        b"https://example.org/z - data/not-in-manifest\n"
    )
    write_tag_manifests(bag)
    assert errors(validate_bag(bag)) == {"bad-path", "fetch-syntax", "unlisted-file"}


def test_names_with_percent_and_newlines(tmp_path: Path) -> None:
    files = {"100%.txt": b"1", "line\nbreak\r.txt": b"2", "sp ace/%25 literal": b"3",
             "Núñez": b"4"}
    bag = build_bag(tmp_path / "bag", files)
    manifest = (bag / "manifest-sha256.txt").read_text()
    assert "data/100%25.txt" in manifest and "line%0Abreak%0D.txt" in manifest
    assert validate_bag(bag) == []
    assert set(read_bag(bag).manifests["sha256"]) == {f"data/{n}" for n in files}


def test_progress_and_large_file(tmp_path: Path) -> None:
    big = os.urandom(5 << 19)  # 2.5 MiB: three chunks
    bag = build_bag(tmp_path / "bag", {"big": big, "small": b"x"})
    seen: list[int] = []
    assert validate_bag(bag, progress=seen.append) == []
    hashed_tag_files = ["bagit.txt", "bag-info.txt", "manifest-sha256.txt", "manifest-sha512.txt"]
    total = len(big) + 1 + sum((bag / n).stat().st_size for n in hashed_tag_files)
    assert sum(seen) == total
    assert max(seen) == bag_module.CHUNK_SIZE


def test_problem_to_finding() -> None:
    problem = BagProblem("digest-mismatch", "data/a", "changed")
    finding = problem.to_finding()
    assert (finding.code, finding.severity, finding.subject) == (
        "digest-mismatch", Severity.ERROR, "data/a")


# --- writer helpers ----------------------------------------------------------------------------


def test_format_bagit_txt() -> None:
    assert format_bagit_txt() == b"BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n"


def test_format_manifest() -> None:
    out = format_manifest([("data/b", "AB" * 32), ("data/a", "cd" * 32)])
    assert out == f"{'cd' * 32}  data/a\n{'ab' * 32}  data/b\n".encode()
    assert format_manifest([]) == b""
    for bad in ("/abs", "data/../x", "data//x", "./data/x", "~/x", " data/x", "data/./x"):
        with pytest.raises(InputError):
            format_manifest([(bad, "00" * 32)])
    with pytest.raises(InputError):
        format_manifest([("data/x", "00" * 32), ("data/x", "11" * 32)])
    with pytest.raises(InputError):
        format_manifest([("data/x", "zz" * 32)])
    with pytest.raises(InputError):
        format_manifest([("data/x", "00" * 31)])


def test_format_bag_info() -> None:
    out = format_bag_info([("A", "1"), ("B-Long", "first\nsecond"), ("A", "2"), ("Empty", "")])
    assert out == b"A: 1\nB-Long: first\n  second\nA: 2\nEmpty: \n"
    for label in ("", "a:b", " a", "a ", "a\nb"):
        with pytest.raises(InputError):
            format_bag_info([(label, "v")])
    for value in ("a\r", " a", "a\n b", "a\n\nb", "tab\tin"):
        with pytest.raises(InputError):
            format_bag_info([("L", value)])


def test_payload_oxum() -> None:
    assert payload_oxum(279164409832, 1198) == "279164409832.1198"
    for bad in ((-1, 0), (0, -1), (True, 1)):
        with pytest.raises(InputError):
            payload_oxum(*bad)


def test_write_tag_manifests_scope(good_bag: Path) -> None:
    (good_bag / "evidence").mkdir()
    (good_bag / "evidence" / "root.json").write_bytes(b"{}")
    (good_bag / "tagmanifest-sha512.txt").unlink()
    write_tag_manifests(good_bag, ("sha256",))
    with pytest.raises(InputError):
        write_tag_manifests(good_bag, ("md5",))
    listed = read_bag(good_bag).tag_manifest_digests["sha256"]
    assert set(listed) == {"bagit.txt", "bag-info.txt", "manifest-sha256.txt",
                           "manifest-sha512.txt", "evidence/root.json"}
    assert not [p for p in good_bag.iterdir() if p.name.endswith(".tmp")]
    assert validate_bag(good_bag) == []


def test_write_tag_manifests_refuses(good_bag: Path) -> None:
    with pytest.raises(InputError, match="stale"):
        write_tag_manifests(good_bag, ("sha512",))
    os.symlink(good_bag / "bagit.txt", good_bag / "data" / "payload-link")
    write_tag_manifests(good_bag)  # the payload is not walked: validate_bag reports that one
    os.symlink(good_bag / "bagit.txt", good_bag / "link.txt")
    with pytest.raises(InputError, match="symlink"):
        write_tag_manifests(good_bag)


_FIXTURE_OK = [HealthCheck.function_scoped_fixture]  # each example makes its own folder
_NAME = st.text(
    alphabet=st.characters(blacklist_characters="/\x00", blacklist_categories=["Cs"]),
    min_size=1,
    max_size=20,
).filter(lambda s: s not in (".", "..") and len(s.encode()) < 200)


@settings(max_examples=40, deadline=None, suppress_health_check=_FIXTURE_OK)
@given(names=st.lists(st.lists(_NAME, min_size=1, max_size=3), min_size=1, max_size=6))
def test_manifest_round_trip(tmp_path: Path, names: list[list[str]]) -> None:
    paths = sorted({"data/" + "/".join(parts) for parts in names})
    entries = [(p, hashlib.sha256(p.encode("utf-8", "surrogatepass")).hexdigest()) for p in paths]
    bag = Path(tempfile.mkdtemp(dir=tmp_path))
    (bag / "data").mkdir(parents=True)
    (bag / "bagit.txt").write_bytes(format_bagit_txt())
    (bag / "manifest-sha256.txt").write_bytes(format_manifest(entries))
    assert read_bag(bag).manifests["sha256"] == dict(entries)


_LINE = st.text(
    alphabet=st.characters(whitelist_categories=("L", "M", "N", "P", "S")), min_size=1,
    max_size=15,
).map(lambda s: s.strip()).filter(lambda s: bool(s) and s.isprintable())
_LABEL = _LINE.filter(lambda s: ":" not in s)


@settings(max_examples=40, deadline=None, suppress_health_check=_FIXTURE_OK)
@given(items=st.lists(st.tuples(_LABEL, st.lists(_LINE, min_size=1, max_size=3)), max_size=6))
def test_bag_info_round_trip(tmp_path: Path, items: list[tuple[str, list[str]]]) -> None:
    pairs = [(label, "\n".join(lines)) for label, lines in items]
    bag = Path(tempfile.mkdtemp(dir=tmp_path))
    (bag / "data").mkdir(parents=True)
    (bag / "bagit.txt").write_bytes(format_bagit_txt())
    (bag / "bag-info.txt").write_bytes(format_bag_info(pairs))
    assert read_bag(bag).info == tuple(pairs)


def test_undecodable_names_and_tag_files(tmp_path: Path) -> None:
    bag = build_bag(tmp_path / "bag", FILES)
    os.close(os.open(os.fsencode(bag / "data") + b"/bad-\xff-name", os.O_CREAT | os.O_WRONLY))
    problems = validate_bag(bag)
    assert errors(problems) == {"unlisted-file", "oxum-mismatch"}
    assert {p.path for p in problems if p.code == "unlisted-file"} == {"data/bad-\\xff-name"}
    (bag / "bag-info.txt").write_bytes(b"Label: \xff\n")
    assert "bad-tag-file" in errors(validate_bag(bag))


def test_parallel_hashing_reports_in_path_order(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """Two hashing workers, many small and a few large files, some changed: the problems
    are the one-worker problems, in path order, and progress counts every byte once."""
    files = {f"d{i % 3}/f{i:03d}": os.urandom(100 + 37 * i) for i in range(150)}
    files["big1"] = os.urandom(3 << 20)
    files["big2"] = os.urandom(bag_module.HASH_BATCH_BYTES + 5)
    bag = build_bag(tmp_path / "bag", files)
    for rel in ("d0/f003", "d2/f140", "big2", "d1/f004"):
        data = bytearray((bag / "data" / rel).read_bytes())
        data[-1] ^= 1
        (bag / "data" / rel).write_bytes(bytes(data))
    (bag / "data" / "d1/f031").unlink()
    results = {}
    for workers in (1, 2):
        monkeypatch.setattr(bag_module, "HASH_WORKERS", workers)
        seen: list[int] = []
        results[workers] = validate_bag(bag, progress=seen.append)
        payload = sum(len(d) for rel, d in files.items() if rel != "d1/f031")
        assert sum(seen) > payload
    assert results[1] == results[2]
    mismatched = [p.path for p in results[2] if p.code == "digest-mismatch"]
    assert mismatched == sorted(mismatched) and len(mismatched) == 8  # sha256 and sha512
    assert {p.path for p in results[2] if p.code == "missing-file"} == {"data/d1/f031"}


def test_files_changed_after_the_walk_are_unreadable_not_waited_on(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A file that vanished, became a folder or a FIFO between the walk and the hashing:
    "unreadable", the same with one or two hashing threads, and a FIFO never blocks."""
    bag = build_bag(tmp_path / "bag", {f"f{i}": b"x%d" % i for i in range(8)})
    scan, info = bag_module._inspect(bag)
    assert info is not None
    (bag / "data/f1").unlink()
    (bag / "data/f2").unlink()
    (bag / "data/f2").mkdir()
    (bag / "data/f5").unlink()
    os.mkfifo(bag / "data/f5")
    problems = {}
    for workers in (1, 2):
        monkeypatch.setattr(bag_module, "HASH_WORKERS", workers)
        scan.problems.clear()
        bag_module._check_digests(scan, info, fast=False, progress=None)
        problems[workers] = list(scan.problems)
    assert problems[1] == problems[2]
    unreadable = {p.path: p.message for p in problems[2] if p.code == "unreadable"}
    assert set(unreadable) == {"data/f1", "data/f2", "data/f5"}
    assert "No such file or directory" in unreadable["data/f1"]
    assert unreadable["data/f5"].endswith("f5 is not a regular file")


def test_check_bag_keeps_what_validate_found(good_bag: Path) -> None:
    check = bag_module.check_bag(good_bag)
    assert list(check.problems) == validate_bag(good_bag) == []
    assert check.require_bag() == read_bag(good_bag)
    assert check.files["data/sub/b.bin"] == 256 and "bagit.txt" in check.files
    (good_bag / "bagit.txt").write_bytes(b"BagIt-Version: 9.0\nTag-File-Character-Encoding: "
                                         b"UTF-8\n")
    check = bag_module.check_bag(good_bag)
    with pytest.raises(FormatError) as got:
        check.require_bag()
    with pytest.raises(FormatError) as expected:
        read_bag(good_bag)
    assert str(got.value) == str(expected.value)
