"""A strict BagIt reader, validator and writer helpers (RFC 8493, BagIt 1.0).

Bundles arrive from the other side of a dispute, so this reader treats every bag as hostile:

* Paths in manifests and ``fetch.txt`` are never resolved on the file system. The bag is
  walked once without following links (:func:`os.scandir`, ``follow_symlinks=False``), which
  gives an inventory of its regular files; manifest paths are checked as text (no absolute
  path, no ``..``, no ``~`` or drive letter, payload paths under ``data/``, RFC 8493 §7.2)
  and then looked up in that inventory. A symlink anywhere in the bag is an error, and
  files are opened with ``O_NOFOLLOW``.
* Tag files are read once, within named size limits; the bytes that are parsed are the
  bytes that are hashed for the tag manifests.
* Each payload file is read once, in 1 MiB chunks, computing every listed algorithm in the
  same pass.

Versions: BagIt 1.0 strictly (RFC 8493), and the older 0.93 to 0.97 drafts as far as the
Library of Congress conformance suite needs (other tag-file encodings, ``package-info.txt``,
extra whitespace around the colon in ``bag-info.txt``). Differences with the suite are listed
in :data:`KNOWN_DISAGREEMENTS`.

:func:`validate_bag` returns :class:`BagProblem` values and never raises for a bad bag;
:func:`read_bag` raises :class:`~evidence.errors.FormatError` for the first error. The writer
helpers produce the tag files of a BagIt 1.0 bag; the capture code streams payload files
and computes their digests itself.
"""

from __future__ import annotations

import codecs
import hashlib
import os
import re
import stat
import threading
import unicodedata
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final, TypeVar

from evidence.errors import FormatError, InputError, NotABundleError
from evidence.findings import Finding, Severity
from evidence.fsutil import atomic_write_bytes

__all__ = [
    "BAGIT_VERSION",
    "CHUNK_SIZE",
    "DIGEST_HEX_LENGTHS",
    "HASH_WORKERS",
    "KNOWN_DISAGREEMENTS",
    "MAX_BAGIT_TXT_BYTES",
    "MAX_BAG_ENTRIES",
    "MAX_MANIFEST_BYTES",
    "MAX_MANIFEST_LINE_LENGTH",
    "MAX_TAG_FILE_BYTES",
    "PROBLEM_CODES",
    "SUPPORTED_VERSIONS",
    "BagCheck",
    "BagInfo",
    "BagProblem",
    "FetchEntry",
    "Manifest",
    "ManifestEntry",
    "check_bag",
    "decode_manifest_path",
    "encode_manifest_path",
    "format_bag_info",
    "format_bagit_txt",
    "format_manifest",
    "payload_oxum",
    "read_bag",
    "validate_bag",
    "write_tag_manifests",
]

# --- limits -----------------------------------------------------------------------------------

#: Largest ``bagit.txt``: two short lines (RFC 8493 §2.1.1); anything bigger is not a
#: bag declaration and is refused before decoding.
MAX_BAGIT_TXT_BYTES: Final = 1024

#: Largest ``bag-info.txt`` (or other parsed non-manifest tag file): human-readable
#: metadata, RECOMMENDED lines of 79 characters (§2.2.2); 1 MiB is thousands of elements.
MAX_TAG_FILE_BYTES: Final = 1 << 20

#: Largest manifest, tag manifest or ``fetch.txt``: with SHA-512 digests and 100-character
#: paths this is about 280,000 files; the whole file is held in memory while it is parsed.
MAX_MANIFEST_BYTES: Final = 64 << 20

#: Longest manifest line in characters: 128 hex digits, a separator, and a path. Linux's
#: PATH_MAX is 4,096 bytes, and percent-encoding (CR, LF, %) at most triples it.
MAX_MANIFEST_LINE_LENGTH: Final = 16384

#: Most files and folders walked in one bag: the inventory costs a few hundred bytes per
#: entry, so this bounds memory on a hostile bag (a bundle is far smaller).
MAX_BAG_ENTRIES: Final = 2_000_000

#: Read size when hashing files (streamed, never whole).
CHUNK_SIZE: Final = 1 << 20

#: Threads hashing payload files. hashlib and os.read release the GIL on buffers over
#: 2 KiB, so two threads hash two files at once; the reference machine has two cores, and
#: more threads on more cores mostly contend for the disk.
HASH_WORKERS: Final = 2

#: Files per hashing task, and bytes per task: many small files go to a worker together,
#: so that handing out tasks (a future, two lock round trips) costs little per file, while
#: tasks stay small enough to keep both workers busy to the end.
HASH_BATCH_FILES: Final = 32
HASH_BATCH_BYTES: Final = 8 << 20

#: Hashing tasks queued ahead of the one whose result is awaited: enough to keep the
#: workers busy, few enough that a bag of millions of files queues no more than this.
HASH_WINDOW: Final = 16

#: The version this module writes.
BAGIT_VERSION: Final = (1, 0)

#: Versions read: 1.0 (RFC 8493) and the drafts covered by the conformance suite. Unknown
#: versions are refused rather than guessed at.
SUPPORTED_VERSIONS: Final = frozenset({(0, 93), (0, 94), (0, 95), (0, 96), (0, 97), (1, 0)})

#: Checksum algorithms read, by their normalized manifest names (RFC 8493 §2.4), and the
#: length of their hex digests. SHA-256 and SHA-512 are required by BagIt 1.0; MD5 and
#: SHA-1 are read for older bags; SHA-224 and SHA-384 occur in the conformance suite.
DIGEST_HEX_LENGTHS: Final[Mapping[str, int]] = {
    "md5": 32,
    "sha1": 40,
    "sha224": 56,
    "sha256": 64,
    "sha384": 96,
    "sha512": 128,
}
_STRONG_ALGORITHMS = frozenset({"sha224", "sha256", "sha384", "sha512"})

#: Every problem code :func:`validate_bag` can return, and what it means. Codes are stable:
#: tools match on them.
PROBLEM_CODES: Final[Mapping[str, str]] = {
    "not-a-bag": "the path is not a directory",
    "bad-bagit-txt": "bagit.txt is missing or not exactly the two required lines",
    "bad-tag-file": "a tag file cannot be decoded with the declared encoding, or has a BOM",
    "bad-bag-info": "bag-info.txt does not follow the metadata format, or Payload-Oxum is bad",
    "manifest-syntax": "a manifest line is not 'checksum filepath' with a valid hex digest",
    "fetch-syntax": "a fetch.txt line is not 'url length filepath'",
    "limit-exceeded": "a tag file or line is larger than this reader accepts",
    "unsupported-algorithm": "a manifest uses a checksum algorithm this reader cannot compute",
    "missing-manifest": "the bag has no payload manifest",
    "missing-payload-dir": "the bag has no data/ directory",
    "bad-path": "a listed path is absolute, escapes the bag, or is in the wrong place",
    "symlink": "the bag contains a symbolic link",
    "special-file": "the bag contains a device, FIFO or socket",
    "unreadable": "a file could not be read",
    "missing-file": "a file listed in a manifest is not in the bag",
    "incomplete": "a payload file listed in fetch.txt has not been fetched",
    "unlisted-file": "a payload file (or payload manifest) is not listed where it must be",
    "duplicate-entry": "a manifest lists the same path twice",
    "digest-mismatch": "a file's checksum differs from its manifest",
    "oxum-mismatch": "Payload-Oxum differs from the payload's byte and file counts",
    "leading-dot-slash": "warning: a manifest path starts with './'",
    "md5sum-binary-marker": "warning: a manifest line has md5sum's '*' binary-mode marker",
    "name-collision": "warning: two listed names differ only by case or Unicode normalization",
    "weak-algorithm": "warning: the payload is covered by MD5 or SHA-1 only",
}

#: Bags of the Library of Congress conformance suite (path under the suite's root) where this
#: validator's verdict differs from the suite's, with the reason. The tests assert exactly
#: this list.
KNOWN_DISAGREEMENTS: Final[Mapping[str, str]] = {
    "v0.97/warning/duplicate-file-with-different-case": (
        "the manifest lists data/HELLO.txt, but the bag holds only data/hello.txt; on a "
        "case-sensitive file system that listed file is missing, so the bag fails with "
        "missing-file (bagit-python fails it too)"
    ),
    "v0.97/warning/same-filename-listed-twice-with-different-normalization": (
        "the manifest lists 'Núñez' in NFC and in NFD, the bag holds one of them; names are "
        "compared exactly, so the other is a missing file (bagit-python fails it too)"
    ),
    "v0.97/warning/special-system-files": (
        "the manifest lists data/.DS_Store, which is not in the suite as copied (Payload-Oxum "
        "says 2 files, 1 is present); a listed file is missing (bagit-python fails it too)"
    ),
}

_BOM_UTF8 = codecs.BOM_UTF8
_LINE_SPLIT = re.compile(r"\r\n|\r|\n")
_BAGIT_VERSION_LINE = re.compile(r"BagIt-Version:[ \t]([0-9]+)\.([0-9]+)")
_BAGIT_ENCODING_LINE = re.compile(r"Tag-File-Character-Encoding:[ \t]([A-Za-z0-9._:-]+)")
# Used only to read on after a reported error, so that one bad space does not hide the rest.
_BAGIT_VERSION_LENIENT = re.compile(r"[ \t]*BagIt-Version[ \t]*:[ \t]*([0-9]+)\.([0-9]+)[ \t]*")
_BAGIT_ENCODING_LENIENT = re.compile(
    r"[ \t]*Tag-File-Character-Encoding[ \t]*:[ \t]*([A-Za-z0-9._:-]+)[ \t]*"
)
_MANIFEST_NAME = re.compile(r"(tag)?manifest-(.+)\.txt")
_MANIFEST_LINE = re.compile(r"([0-9A-Fa-f]+)([ \t]+)(.*)", re.DOTALL)
_FETCH_LINE = re.compile(r"(\S+)[ \t]+([0-9]+|-)[ \t]+(.+)", re.DOTALL)
_URI_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")
_INFO_V1 = re.compile(r"([^:\s](?:[^:\r\n]*[^:\s])?):(?:[ \t](.*))?", re.DOTALL)
_INFO_OLD = re.compile(r"([^:\s][^:\r\n]*?)[ \t]*:(.*)", re.DOTALL)
_OXUM = re.compile(r"([0-9]+)\.([0-9]+)")
_PERCENT_V1 = re.compile(r"%(0[aAdD]|25)")
_PERCENT_OLD = re.compile(r"%(0[aAdD])")
_PERCENT_CHARS = {"0a": "\n", "0d": "\r", "25": "%"}
_DRIVE = re.compile(r"[A-Za-z]:")
_HEX_DIGITS = re.compile(r"[0-9A-Fa-f]+")
# Components of letters, digits, '_', '-' and '.', not starting with '.': no empty, '.',
# '..', '~', drive or backslash component can match (see _normalize).
_PLAIN_PATH = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._-]*(?:/[A-Za-z0-9_-][A-Za-z0-9._-]*)*")

ERROR = Severity.ERROR
WARNING = Severity.WARNING


# --- data ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BagProblem:
    """One thing wrong with a bag.

    ``code`` is stable (see :data:`PROBLEM_CODES`), ``path`` is relative to the bag root in
    POSIX form (``"."`` for the bag as a whole), ``message`` is one line for people.
    ``severity`` is :attr:`Severity.ERROR` (the bag is not valid) or
    :attr:`Severity.WARNING` (legal but unusual, e.g. ``./`` in an old bag's manifest).
    """

    code: str
    path: str
    message: str
    severity: Severity = ERROR

    @property
    def is_error(self) -> bool:
        return self.severity is ERROR

    def to_finding(self) -> Finding:
        return Finding(code=self.code, severity=self.severity, message=self.message,
                       subject=self.path)


@dataclass(frozen=True)
class ManifestEntry:
    """One manifest line: a normalized, decoded path and its lowercase hex digest."""

    path: str
    digest: str


@dataclass(frozen=True)
class Manifest:
    """One payload manifest (``manifest-ALG.txt``) or tag manifest (``tagmanifest-ALG.txt``)."""

    name: str
    algorithm: str
    entries: tuple[ManifestEntry, ...]

    @property
    def is_tag_manifest(self) -> bool:
        return self.name.startswith("tagmanifest-")

    def digests(self) -> dict[str, str]:
        """``{path: hex digest}``; with duplicate paths the first entry wins."""
        out: dict[str, str] = {}
        for entry in self.entries:
            out.setdefault(entry.path, entry.digest)
        return out


@dataclass(frozen=True)
class FetchEntry:
    """One ``fetch.txt`` line (RFC 8493 §2.2.3); ``length`` is None for ``-``."""

    url: str
    length: int | None
    path: str


@dataclass(frozen=True)
class BagInfo:
    """What :func:`read_bag` found in a bag's tag files.

    ``info`` keeps every ``bag-info.txt`` element in file order, repeated labels included
    (RFC 8493 §2.2.2); folded values are joined with ``"\\n"``.
    """

    path: Path
    version: tuple[int, int]
    encoding: str
    info: tuple[tuple[str, str], ...]
    payload_manifests: tuple[Manifest, ...]
    tag_manifests: tuple[Manifest, ...]
    has_fetch: bool = False
    fetch: tuple[FetchEntry, ...] = ()

    @property
    def manifests(self) -> dict[str, dict[str, str]]:
        """Payload manifests as ``{algorithm: {path: hex digest}}``."""
        return {m.algorithm: m.digests() for m in self.payload_manifests}

    @property
    def tag_manifest_digests(self) -> dict[str, dict[str, str]]:
        """Tag manifests as ``{algorithm: {path: hex digest}}``."""
        return {m.algorithm: m.digests() for m in self.tag_manifests}

    def get_info(self, label: str) -> list[str]:
        """Every value of ``label``, matched case-insensitively (reserved labels are)."""
        wanted = label.casefold()
        return [value for name, value in self.info if name.casefold() == wanted]

    @property
    def payload_oxum(self) -> tuple[int, int] | None:
        """``(octets, files)`` from Payload-Oxum, or None when absent or malformed."""
        values = self.get_info("Payload-Oxum")
        if len(values) != 1:
            return None
        m = _OXUM.fullmatch(values[0])
        return (int(m.group(1)), int(m.group(2))) if m else None


# --- path handling ------------------------------------------------------------------------------


def _show(path: str) -> str:
    """A path made printable on one line (undecodable bytes and control characters escaped)."""
    raw = path.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    return raw.encode("unicode_escape").decode("ascii") if not raw.isprintable() else raw


def encode_manifest_path(path: str) -> str:
    """Percent-encode ``%``, CR and LF in a manifest path (RFC 8493 §2.1.3, BagIt 1.0)."""
    return path.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def decode_manifest_path(text: str, version: tuple[int, int] = BAGIT_VERSION) -> str:
    """Undo :func:`encode_manifest_path`.

    BagIt 1.0 encodes exactly ``%25``, ``%0D`` and ``%0A`` (hex digits in either case); any
    other ``%`` is kept as it is, so a name such as ``50%.txt`` written unencoded by an older
    tool still reads. Versions before 1.0 did not encode ``%``, so only CR and LF are decoded.
    """
    pattern = _PERCENT_V1 if version >= (1, 0) else _PERCENT_OLD
    return pattern.sub(lambda m: _PERCENT_CHARS[m.group(1).lower()], text)


class _BadPath(Exception):
    pass


def _normalize(path: str, *, payload: bool) -> tuple[str, bool]:
    """Check a decoded manifest path as text and return ``(normalized, had_dot_slash)``.

    Raises :class:`_BadPath` with the reason for absolute paths, ``..``, home-directory or
    drive references, empty components, NUL, payload paths outside ``data/`` and tag paths
    inside it (RFC 8493 §2.1.3, §2.2.1, §7.2).
    """
    if _PLAIN_PATH.fullmatch(path) and (path.startswith("data/") if payload
                                        else path.split("/", 1)[0] != "data"):
        return path, False  # the common case: nothing below can object to it
    if not path:
        raise _BadPath("empty path")
    if "\x00" in path:
        raise _BadPath("NUL character in path")
    if path.startswith("/"):
        raise _BadPath("absolute path")
    parts = path.split("/")
    dotted = False
    while parts and parts[0] == ".":
        parts.pop(0)
        dotted = True
    if not parts:
        raise _BadPath("path names the bag root")
    for part in parts:
        if part == "..":
            raise _BadPath("'..' component escapes its folder")
        if part in ("", "."):
            raise _BadPath("empty or '.' component inside the path")
    first = parts[0]
    if first.startswith("~"):
        raise _BadPath("home-directory reference")
    if first.startswith("\\") or _DRIVE.match(first):
        raise _BadPath("Windows absolute path or drive letter")
    if payload and (first != "data" or len(parts) < 2):
        raise _BadPath("payload path is not under data/")
    if not payload and first == "data":
        raise _BadPath("tag manifest lists a path under data/")
    return "/".join(parts), dotted


# --- scanning -----------------------------------------------------------------------------------


@dataclass
class _Scan:
    """Mutable state of one inspection: the inventory, problems and cached tag-file bytes."""

    root: Path
    problems: list[BagProblem] = field(default_factory=list)
    files: dict[str, int] = field(default_factory=dict)  # relative posix path -> size
    dirs: set[str] = field(default_factory=set)
    refused: set[str] = field(default_factory=set)  # symlinks and special files
    raw: dict[str, bytes] = field(default_factory=dict)  # tag-file bytes as parsed
    version: tuple[int, int] = BAGIT_VERSION
    encoding: str = "utf-8"

    def add(self, code: str, path: str, message: str, severity: Severity = ERROR) -> None:
        # A name that is not UTF-8 on disk is kept with its bytes escaped, so that problems
        # can always be written out as JSON.
        shown = path.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
        self.problems.append(BagProblem(code, shown, message, severity))

    def errors(self) -> list[BagProblem]:
        return [p for p in self.problems if p.is_error]


def _walk(scan: _Scan, *, skip_payload: bool = False) -> None:
    """Inventory the bag without following links; symlinks and special files are errors.

    With ``skip_payload`` the ``data/`` folder is not entered (tag files only).
    """
    stack = [""]
    count = 0
    while stack:
        rel_dir = stack.pop()
        full = scan.root / rel_dir if rel_dir else scan.root
        try:
            with os.scandir(full) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError as exc:
            scan.add("unreadable", rel_dir or ".", f"cannot list {_show(rel_dir or '.')}: "
                     f"{exc.strerror}")
            continue
        for entry in reversed(entries):
            count += 1
            if count > MAX_BAG_ENTRIES:
                scan.add("limit-exceeded", ".",
                         f"bag has more than {MAX_BAG_ENTRIES} files and folders")
                return
            rel = f"{rel_dir}/{entry.name}" if rel_dir else entry.name
            try:
                st = entry.stat(follow_symlinks=False)
            except OSError as exc:
                scan.add("unreadable", rel, f"cannot stat {_show(rel)}: {exc.strerror}")
                continue
            if stat.S_ISLNK(st.st_mode):
                scan.refused.add(rel)
                scan.add("symlink", rel, f"symlink in bag: {_show(rel)} (links are never "
                         "followed; replace it with the file itself)")
            elif stat.S_ISDIR(st.st_mode):
                scan.dirs.add(rel)
                if not (skip_payload and rel == "data"):
                    stack.append(rel)
            elif stat.S_ISREG(st.st_mode):
                scan.files[rel] = st.st_size
            else:
                scan.refused.add(rel)
                scan.add("special-file", rel, f"special file in bag: {_show(rel)} (only "
                         "regular files and folders are allowed)")


#: No final symlink followed; O_NONBLOCK: a FIFO put in place of a file after the walk is
#: refused at once (fstat) instead of blocking the open until a writer comes (no effect on
#: regular files).
_OPEN_FLAGS: Final = (os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
                      | getattr(os, "O_NONBLOCK", 0))


def _open_regular(path: Path) -> int:
    """Open a file for reading without following a final symlink; refuse non-regular files."""
    return _open_regular_sized(path)[0]


def _open_regular_sized(path: Path | str) -> tuple[int, int]:
    """:func:`_open_regular`, also returning the file's size (one ``fstat``)."""
    fd = os.open(path, _OPEN_FLAGS)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise OSError(f"{os.path.basename(path)} is not a regular file")
    except BaseException:
        os.close(fd)
        raise
    return fd, st.st_size


def _read_raw(scan: _Scan, rel: str, limit: int) -> bytes | None:
    """Read a tag file whole (at most ``limit`` bytes) and remember the bytes for hashing."""
    if rel not in scan.files:
        return None
    if scan.files[rel] > limit:
        scan.add("limit-exceeded", rel, f"{_show(rel)} is larger than {limit} bytes")
        return None
    try:
        fd = _open_regular(scan.root / rel)
        with os.fdopen(fd, "rb") as fh:
            data = fh.read(limit + 1)
    except OSError as exc:
        scan.add("unreadable", rel, f"cannot read {_show(rel)}: {exc}")
        return None
    if len(data) > limit:
        scan.add("limit-exceeded", rel, f"{_show(rel)} is larger than {limit} bytes")
        return None
    scan.raw[rel] = data
    return data


def _split_lines(text: str) -> list[str]:
    """Split on LF, CR or CRLF (RFC 8493 §2.3); the last line may lack a terminator."""
    lines = _LINE_SPLIT.split(text)
    if lines and lines[-1] == "":
        lines.pop()
    return lines


def _decode_tag_file(scan: _Scan, rel: str, data: bytes) -> list[str] | None:
    """Decode a tag file in the declared encoding and split it into lines (RFC 8493 §2.3)."""
    encoding = scan.encoding
    if codecs.lookup(encoding).name == "utf-8" and data.startswith(_BOM_UTF8):
        severity = ERROR if scan.version >= (1, 0) else WARNING
        scan.add("bad-tag-file", rel, f"{_show(rel)} starts with a byte-order mark, which "
                 "UTF-8 tag files must not have (RFC 8493 §2.3)", severity)
        data = data[len(_BOM_UTF8):]
    try:
        text = data.decode(encoding)
    except ValueError as exc:  # UnicodeDecodeError, or UnicodeError from codecs such as idna
        where = f" (byte {exc.start})" if isinstance(exc, UnicodeDecodeError) else ""
        scan.add("bad-tag-file", rel, f"{_show(rel)} is not valid {encoding}{where}; "
                 "re-encode it as bagit.txt declares")
        return None
    if codecs.lookup(encoding).name.startswith(("utf-16", "utf-32")):
        text = text.removeprefix("\ufeff")
    return _split_lines(text)


# --- bagit.txt ----------------------------------------------------------------------------------


def _parse_bagit_txt(scan: _Scan) -> bool:
    """Parse the bag declaration (RFC 8493 §2.1.1); False if the bag cannot be read further."""
    rel = "bagit.txt"
    if rel not in scan.files:
        scan.add("bad-bagit-txt", rel, "bagit.txt is missing: this is not a bag")
        return False
    data = _read_raw(scan, rel, MAX_BAGIT_TXT_BYTES)
    if data is None:
        return False
    if data.startswith(_BOM_UTF8):
        scan.add("bad-bagit-txt", rel, "bagit.txt starts with a byte-order mark, which it "
                 "must not have (RFC 8493 §2.1.1)")
        return False
    try:
        lines = _split_lines(data.decode("utf-8"))
    except UnicodeDecodeError:
        scan.add("bad-bagit-txt", rel, "bagit.txt is not UTF-8 (RFC 8493 §2.1.1)")
        return False
    if len(lines) != 2:
        scan.add("bad-bagit-txt", rel, f"bagit.txt has {len(lines)} lines, it must have "
                 "exactly 'BagIt-Version: M.N' and 'Tag-File-Character-Encoding: ENCODING'")
        return False
    m_version = _BAGIT_VERSION_LINE.fullmatch(lines[0])
    m_encoding = _BAGIT_ENCODING_LINE.fullmatch(lines[1])
    if m_version is None:
        scan.add("bad-bagit-txt", rel, f"bagit.txt line 1 is {lines[0]!r}, expected exactly "
                 "'BagIt-Version: M.N' (no space before the colon, RFC 8493 §2.1.1)")
        m_version = _BAGIT_VERSION_LENIENT.fullmatch(lines[0])
    if m_encoding is None:
        scan.add("bad-bagit-txt", rel, f"bagit.txt line 2 is {lines[1]!r}, expected exactly "
                 "'Tag-File-Character-Encoding: ENCODING' (RFC 8493 §2.1.1)")
        m_encoding = _BAGIT_ENCODING_LENIENT.fullmatch(lines[1])
    if m_version is None or m_encoding is None:
        return False  # already reported; the rest of the bag cannot be read without them
    version = (int(m_version.group(1)), int(m_version.group(2)))
    if version not in SUPPORTED_VERSIONS:
        scan.add("bad-bagit-txt", rel, f"BagIt version {version[0]}.{version[1]} is not "
                 "supported (1.0 and 0.93 to 0.97 are)")
        return False
    encoding = m_encoding.group(1)
    try:
        # bytes.decode() refuses codecs such as zlib or rot13 on this same private flag.
        text_codec = getattr(codecs.lookup(encoding), "_is_text_encoding", True)
    except LookupError:
        text_codec = False
    if not text_codec:
        scan.add("bad-bagit-txt", rel, f"unknown Tag-File-Character-Encoding {encoding!r}")
        return False
    scan.version = version
    scan.encoding = encoding
    return True


# --- bag-info.txt -------------------------------------------------------------------------------


def _parse_bag_info(scan: _Scan, rel: str) -> tuple[tuple[str, str], ...]:
    """Parse metadata elements (RFC 8493 §2.2.2): labels, folded values, repeats in order."""
    data = _read_raw(scan, rel, MAX_TAG_FILE_BYTES)
    if data is None:
        return ()
    lines = _decode_tag_file(scan, rel, data)
    if lines is None:
        return ()
    pattern = _INFO_V1 if scan.version >= (1, 0) else _INFO_OLD
    items: list[list[str]] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        if line[0] in " \t":
            if not items:
                scan.add("bad-bag-info", rel, f"{rel} line {number}: continuation line "
                         "with no element before it")
                continue
            items[-1][1] += "\n" + line.strip(" \t")
            continue
        m = pattern.fullmatch(line)
        if m is None:
            scan.add("bad-bag-info", rel, f"{rel} line {number}: expected 'Label: value' "
                     "(no whitespace around the label, one space after the colon)")
            continue
        items.append([m.group(1).strip(), (m.group(2) or "").strip(" \t")])
    result = tuple((label, value) for label, value in items)
    oxums = [value for label, value in result if label.casefold() == "payload-oxum"]
    if len(oxums) > 1:
        scan.add("bad-bag-info", rel, f"{rel} has {len(oxums)} Payload-Oxum elements, at "
                 "most one is allowed (RFC 8493 §2.2.2)")
    elif oxums and _OXUM.fullmatch(oxums[0]) is None:
        scan.add("bad-bag-info", rel, f"{rel}: Payload-Oxum {oxums[0]!r} is not "
                 "'OctetCount.StreamCount'")
    return result


# --- manifests ----------------------------------------------------------------------------------


def _parse_manifest(scan: _Scan, name: str, algorithm: str) -> Manifest | None:
    """Parse one manifest or tag manifest (RFC 8493 §2.1.3, §2.2.1)."""
    payload = not name.startswith("tagmanifest-")
    data = _read_raw(scan, name, MAX_MANIFEST_BYTES)
    if data is None:
        return None
    lines = _decode_tag_file(scan, name, data)
    if lines is None:
        return None
    hex_len = DIGEST_HEX_LENGTHS[algorithm]
    entries: list[ManifestEntry] = []
    seen: dict[str, str] = {}
    warned: set[str] = set()
    for number, line in enumerate(lines, start=1):
        where = f"{name} line {number}"
        if len(line) > MAX_MANIFEST_LINE_LENGTH:
            scan.add("limit-exceeded", name, f"{where} is longer than "
                     f"{MAX_MANIFEST_LINE_LENGTH} characters")
            continue
        if not line.strip():
            continue
        m = _MANIFEST_LINE.fullmatch(line)
        if m is None:
            scan.add("manifest-syntax", name, f"{where}: expected 'checksum filepath'")
            continue
        digest, separator, raw_path = m.group(1).lower(), m.group(2), m.group(3)
        if len(digest) != hex_len:
            scan.add("manifest-syntax", name, f"{where}: a {algorithm} digest has {hex_len} "
                     f"hex digits, this one has {len(digest)}")
            continue
        if separator == " " and raw_path.startswith("*"):
            raw_path = raw_path[1:]
            if "md5sum-binary-marker" not in warned:
                warned.add("md5sum-binary-marker")
                scan.add("md5sum-binary-marker", name, f"{where}: '*' before the path (md5sum "
                         "binary mode) was ignored, here and on any later line", WARNING)
        try:
            path, dotted = _normalize(decode_manifest_path(raw_path, scan.version),
                                      payload=payload)
        except _BadPath as exc:
            scan.add("bad-path", name, f"{where}: {_show(raw_path)}: {exc}")
            continue
        if dotted and "leading-dot-slash" not in warned:
            warned.add("leading-dot-slash")
            scan.add("leading-dot-slash", name, f"{where}: './' before {_show(path)} was "
                     "ignored, here and on any later line", WARNING)
        if path in seen:
            same = seen[path] == digest
            severity = WARNING if same and scan.version < (1, 0) else ERROR
            scan.add("duplicate-entry", name, f"{where}: {_show(path)} is listed more than "
                     f"once{' with the same digest' if same else ' with different digests'}",
                     severity)
            if same:
                continue
        seen.setdefault(path, digest)
        entries.append(ManifestEntry(path, digest))
    _check_collisions(scan, name, list(seen))
    return Manifest(name=name, algorithm=algorithm, entries=tuple(entries))


def _check_collisions(scan: _Scan, name: str, paths: list[str]) -> None:
    """Warn when two listed names differ only by case or Unicode normalization."""
    groups: dict[str, list[str]] = {}
    for path in paths:
        groups.setdefault(unicodedata.normalize("NFC", path).casefold(), []).append(path)
    for group in groups.values():
        if len(group) > 1:
            shown = ", ".join(_show(p) for p in group)
            scan.add("name-collision", name, f"{name} lists names that differ only by case "
                     f"or Unicode normalization: {shown}", WARNING)


def _parse_fetch(scan: _Scan) -> tuple[FetchEntry, ...]:
    """Parse ``fetch.txt`` (RFC 8493 §2.2.3): ``url length filepath`` per line."""
    rel = "fetch.txt"
    data = _read_raw(scan, rel, MAX_MANIFEST_BYTES)
    if data is None:
        return ()
    lines = _decode_tag_file(scan, rel, data)
    if lines is None:
        return ()
    entries: list[FetchEntry] = []
    for number, line in enumerate(lines, start=1):
        where = f"fetch.txt line {number}"
        if len(line) > MAX_MANIFEST_LINE_LENGTH:
            scan.add("limit-exceeded", rel, f"{where} is longer than "
                     f"{MAX_MANIFEST_LINE_LENGTH} characters")
            continue
        if not line.strip():
            continue
        m = _FETCH_LINE.fullmatch(line)
        if m is None or _URI_SCHEME.match(m.group(1)) is None:
            scan.add("fetch-syntax", rel, f"{where}: expected 'url length filepath' with an "
                     "absolute URL")
            continue
        try:
            path, _ = _normalize(decode_manifest_path(m.group(3), scan.version), payload=True)
        except _BadPath as exc:
            scan.add("bad-path", rel, f"{where}: {_show(m.group(3))}: {exc}")
            continue
        length = None if m.group(2) == "-" else int(m.group(2))
        entries.append(FetchEntry(url=m.group(1), length=length, path=path))
    return tuple(entries)


# --- reading ------------------------------------------------------------------------------------


def _inspect(path: Path) -> tuple[_Scan, BagInfo | None]:
    """Walk the bag and parse every tag file this module understands."""
    scan = _Scan(root=Path(path))
    try:
        is_dir = scan.root.is_dir()
    except OSError:
        is_dir = False
    if not is_dir:
        scan.add("not-a-bag", ".", f"{scan.root} is not a directory")
        return scan, None
    _walk(scan)
    if not _parse_bagit_txt(scan):
        return scan, None
    info_file = "bag-info.txt"
    if info_file not in scan.files and scan.version < (0, 96) and "package-info.txt" in scan.files:
        info_file = "package-info.txt"  # the name before BagIt 0.96
    info = _parse_bag_info(scan, info_file) if info_file in scan.files else ()
    payload: list[Manifest] = []
    tags: list[Manifest] = []
    for name in sorted(n for n in scan.files if "/" not in n):
        m = _MANIFEST_NAME.fullmatch(name)
        if m is None:
            continue
        algorithm = m.group(2)
        if algorithm not in DIGEST_HEX_LENGTHS:
            scan.add("unsupported-algorithm", name, f"{name}: checksum algorithm "
                     f"{algorithm!r} is not supported ({', '.join(DIGEST_HEX_LENGTHS)} are)")
            continue
        manifest = _parse_manifest(scan, name, algorithm)
        if manifest is not None:
            (tags if manifest.is_tag_manifest else payload).append(manifest)
    has_fetch = "fetch.txt" in scan.files
    fetch = _parse_fetch(scan) if has_fetch else ()
    bag = BagInfo(path=scan.root, version=scan.version, encoding=scan.encoding, info=info,
                  payload_manifests=tuple(payload), tag_manifests=tuple(tags),
                  has_fetch=has_fetch, fetch=fetch)
    return scan, bag


def read_bag(path: Path) -> BagInfo:
    """Parse a bag's tag files: declaration, bag-info, manifests and fetch.txt.

    Does not hash anything nor check completeness (see :func:`validate_bag`), but the walk
    refuses symlinks and special files, and every listed path is checked as text.

    Raises :class:`~evidence.errors.NotABundleError` if ``path`` is not a directory with a
    ``bagit.txt``, and :class:`~evidence.errors.FormatError` for the first error found
    (bad declaration, syntax, unsafe path, symlink, limits).
    """
    scan, bag = _inspect(Path(path))
    _raise_first(path, scan.errors(), scan.files)
    assert bag is not None  # no error means the declaration parsed
    return bag


def _raise_first(path: Path, errors: Sequence[BagProblem], files: Mapping[str, int]) -> None:
    """Raise :func:`read_bag`'s error for the first of ``errors`` (nothing when empty)."""
    if errors:
        first = errors[0]
        not_a_bag = first.code == "not-a-bag" or "bagit.txt" not in files
        cls = NotABundleError if not_a_bag else FormatError
        raise cls(first.message, path=str(path))


# --- validation ---------------------------------------------------------------------------------


def _check_completeness(scan: _Scan, bag: BagInfo) -> set[str]:
    """RFC 8493 §3 completeness; returns the payload paths found missing but in fetch.txt."""
    if "data" not in scan.dirs:
        scan.add("missing-payload-dir", "data", "the bag has no data/ directory "
                 "(RFC 8493 §2.1.2)")
    if not bag.payload_manifests:
        scan.add("missing-manifest", ".", "the bag has no payload manifest "
                 "(manifest-sha512.txt or similar, RFC 8493 §2.1.3)")
    elif not any(m.algorithm in _STRONG_ALGORITHMS for m in bag.payload_manifests):
        scan.add("weak-algorithm", ".", "the payload is covered only by MD5 or SHA-1 "
                 "manifests", WARNING)
    listed = {m.name: m.digests() for m in (*bag.payload_manifests, *bag.tag_manifests)}
    if bag.version >= (1, 0):
        for tag_manifest in bag.tag_manifests:
            for manifest in bag.payload_manifests:
                if manifest.name not in listed[tag_manifest.name]:
                    scan.add("unlisted-file", manifest.name, f"{manifest.name} is not listed "
                             f"in {tag_manifest.name} (RFC 8493 §2.2.1)")
    fetched = {entry.path for entry in bag.fetch}
    listed_anywhere: set[str] = set()
    for manifest in bag.payload_manifests:
        digests = listed[manifest.name]
        listed_anywhere.update(digests)
        for fetch_path in sorted(fetched - digests.keys()):
            scan.add("unlisted-file", "fetch.txt", f"{_show(fetch_path)} is in fetch.txt but "
                     f"not in {manifest.name} (RFC 8493 §2.2.3)")
    holes: set[str] = set()
    for manifest in (*bag.payload_manifests, *bag.tag_manifests):
        for path in listed[manifest.name]:
            if path in scan.files or path in scan.refused:
                continue
            if path in scan.dirs:
                scan.add("bad-path", path, f"{manifest.name} lists {_show(path)}, which is a "
                         "folder (RFC 8493 §2.1.3)")
            elif path in fetched and not manifest.is_tag_manifest:
                if path not in holes:
                    holes.add(path)
                    scan.add("incomplete", path, f"{_show(path)} is listed in fetch.txt and "
                             "not fetched yet; the bag is incomplete")
            else:
                scan.add("missing-file", path, f"{_show(path)} is listed in {manifest.name} "
                         "but is not in the bag")
    payload_files = sorted(p for p in scan.files if p.startswith("data/"))
    for path in payload_files:
        if bag.version >= (1, 0):
            for manifest in bag.payload_manifests:
                if path not in listed[manifest.name]:
                    scan.add("unlisted-file", path, f"{_show(path)} is not listed in "
                             f"{manifest.name} (every payload file must be in every payload "
                             "manifest, RFC 8493 §3)")
        elif bag.payload_manifests and path not in listed_anywhere:
            scan.add("unlisted-file", path, f"{_show(path)} is not listed in any payload "
                     "manifest")
    oxum = bag.get_info("Payload-Oxum")
    if len(oxum) == 1 and bag.payload_oxum is not None and not holes:
        octets, streams = bag.payload_oxum
        actual = (sum(scan.files[p] for p in payload_files), len(payload_files))
        if (octets, streams) != actual:
            scan.add("oxum-mismatch", "bag-info.txt", f"Payload-Oxum says {octets}.{streams}, "
                     f"the payload has {actual[0]}.{actual[1]} (bytes.files)")
    return holes


#: Constructors of the usual digests (hashlib.new looks each name up again, per file).
_HASHES: Final = {"sha256": hashlib.sha256, "sha512": hashlib.sha512}


def _digest_file(root: Path, rel: str, algorithms: Sequence[str], cached: bytes | None,
                 progress: Callable[[int], None] | None) -> dict[str, str] | OSError:
    """Stream one file once through every algorithm: its hex digests, or the OSError.

    Runs in worker threads (no shared state; ``progress`` must be thread-safe). The first
    read is sized from ``fstat``, so a small file takes one ``read`` (no 1 MiB buffer per
    file, no second call to see the end); larger ones continue in :data:`CHUNK_SIZE`
    reads until the end of the file. ``hashlib`` and ``os.read`` release the GIL on
    buffers this size, so two workers hash two files at once.
    """
    hashers = [_HASHES[alg]() if alg in _HASHES else hashlib.new(alg) for alg in algorithms]
    if cached is not None:
        for h in hashers:
            h.update(cached)
        if progress is not None:
            progress(len(cached))
        return {alg: h.hexdigest() for alg, h in zip(algorithms, hashers, strict=True)}
    try:
        fd, size = _open_regular_sized(f"{root}/{rel}")
        try:
            want, total = min(size + 1, CHUNK_SIZE), 0
            while chunk := os.read(fd, want):
                for h in hashers:
                    h.update(chunk)
                total += len(chunk)
                if progress is not None:
                    progress(len(chunk))
                if len(chunk) < want and total == size:
                    break  # the end: no need to read again to see it
                want = CHUNK_SIZE
        finally:
            os.close(fd)
    except OSError as exc:
        return exc
    return {alg: h.hexdigest() for alg, h in zip(algorithms, hashers, strict=True)}


def _hash_file(scan: _Scan, rel: str, algorithms: Iterable[str],
               progress: Callable[[int], None] | None) -> dict[str, str] | None:
    """Stream a file once through every algorithm; cached tag-file bytes are reused."""
    result = _digest_file(scan.root, rel, sorted(set(algorithms)), scan.raw.get(rel), progress)
    if isinstance(result, OSError):
        scan.add("unreadable", rel, f"cannot read {_show(rel)}: {result}")
        return None
    return result


_T = TypeVar("_T")
_R = TypeVar("_R")


def _ordered_map(fn: Callable[[_T], _R], items: Sequence[_T], workers: int) -> Iterator[_R]:
    """``map(fn, items)`` on ``workers`` threads, results in the order of ``items``.

    At most :data:`HASH_WINDOW` tasks are in flight, so memory stays bounded whatever the
    number of files; with one worker (or one item) nothing is threaded.
    """
    if workers <= 1 or len(items) <= 1:
        yield from map(fn, items)
        return
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="bag-hash") as pool:
        pending: deque[Future[_R]] = deque()
        for item in items:
            pending.append(pool.submit(fn, item))
            if len(pending) >= HASH_WINDOW:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()


def _batches(rels: list[str], sizes: Mapping[str, int]) -> list[list[str]]:
    """Split the files to hash into tasks of at most :data:`HASH_BATCH_FILES` files and
    about :data:`HASH_BATCH_BYTES` bytes (a big file is a task of its own)."""
    out: list[list[str]] = []
    batch: list[str] = []
    total = 0
    for rel in rels:
        size = sizes.get(rel, 0)
        if batch and (len(batch) >= HASH_BATCH_FILES or total + size > HASH_BATCH_BYTES):
            out.append(batch)
            batch, total = [], 0
        batch.append(rel)
        total += size
    if batch:
        out.append(batch)
    return out


def _check_digests(scan: _Scan, bag: BagInfo, *, fast: bool,
                   progress: Callable[[int], None] | None) -> None:
    """Compare every listed file with every manifest that lists it, reading it once.

    Files are hashed on :data:`HASH_WORKERS` threads; problems are added in path order,
    whatever order the workers finish in, so the result is deterministic.
    """
    manifests = [*bag.tag_manifests] if fast else [*bag.payload_manifests, *bag.tag_manifests]
    wanted: dict[str, list[tuple[Manifest, str]]] = {}
    for manifest in manifests:
        for entry in manifest.entries:
            if entry.path in scan.files:
                wanted.setdefault(entry.path, []).append((manifest, entry.digest))
    rels = sorted(wanted)
    if progress is not None:
        lock = threading.Lock()
        report = progress

        def locked(n: int) -> None:
            with lock:
                report(n)

        progress = locked
    root, raw = scan.root, scan.raw

    # The algorithms each file is hashed with, sorted: most files share one list.
    algorithms: dict[tuple[str, ...], list[str]] = {}
    for entries in wanted.values():
        key = tuple(m.algorithm for m, _ in entries)
        if key not in algorithms:
            algorithms[key] = sorted(set(key))

    def digest(batch: list[str]) -> list[dict[str, str] | OSError]:
        return [_digest_file(root, rel, algorithms[tuple(m.algorithm for m, _ in wanted[rel])],
                             raw.get(rel), progress) for rel in batch]

    workers = min(HASH_WORKERS, os.cpu_count() or 1)
    results = (r for batch in _ordered_map(digest, _batches(rels, scan.files), workers)
               for r in batch)
    for rel, actual in zip(rels, results, strict=True):
        if isinstance(actual, OSError):
            scan.add("unreadable", rel, f"cannot read {_show(rel)}: {actual}")
            continue
        for manifest, expected in wanted[rel]:
            if actual[manifest.algorithm] != expected:
                scan.add("digest-mismatch", rel, f"{_show(rel)}: {manifest.algorithm} is "
                         f"{actual[manifest.algorithm]}, {manifest.name} says {expected}")


@dataclass(frozen=True)
class BagCheck:
    """The outcome of :func:`check_bag`: one walk, one parse, every digest.

    ``problems`` is what :func:`validate_bag` returns; ``bag`` the parsed tag files (None
    when there is no usable declaration); ``files`` the inventory of regular files found
    by the walk (bag-relative POSIX path -> size; links and special files are never in it)
    and ``refused`` the links and special files found.
    """

    path: Path
    problems: tuple[BagProblem, ...]
    bag: BagInfo | None
    parse_errors: tuple[BagProblem, ...]
    files: Mapping[str, int]
    refused: frozenset[str]

    def require_bag(self) -> BagInfo:
        """The parsed tag files, or the error :func:`read_bag` raises for this bag."""
        _raise_first(self.path, self.parse_errors, self.files)
        assert self.bag is not None  # no error means the declaration parsed
        return self.bag


def check_bag(path: Path, *, fast: bool = False,
              progress: Callable[[int], None] | None = None) -> BagCheck:
    """:func:`validate_bag`, keeping what the walk and the parse found, so that a caller
    needing them too (the evidence verifier) walks and parses the bag only once.

    Never raises for a bad bag.
    """
    scan, bag = _inspect(Path(path))
    parse_errors = tuple(scan.errors())
    if bag is not None:
        _check_completeness(scan, bag)
        _check_digests(scan, bag, fast=fast, progress=progress)
    return BagCheck(Path(path), tuple(scan.problems), bag, parse_errors, dict(scan.files),
                    frozenset(scan.refused))


def validate_bag(path: Path, *, fast: bool = False,
                 progress: Callable[[int], None] | None = None) -> list[BagProblem]:
    """Check that a bag is complete and valid (RFC 8493 §3); return what is wrong.

    Checks: the declaration; tag-file syntax and encoding; safe paths; no symlinks or
    special files; at least one payload manifest; every payload file listed in every payload
    manifest (in at least one for bags older than 1.0); every listed file present
    (``incomplete`` when fetch.txt promises it); every digest, each file read once with all
    of its algorithms; Payload-Oxum; tag manifests listing the payload manifests (1.0).

    ``fast=True`` skips payload digests (tag manifests are still verified): it proves
    completeness, not integrity. ``progress`` is called with the number of bytes just hashed
    (a delta, as for a progress bar's ``update``).

    An empty list means valid. Problems with ``severity`` WARNING leave the bag valid
    (legal but unusual constructs of older bags); this module's own writer never causes
    them. Never raises for a bad bag.
    """
    return list(check_bag(path, fast=fast, progress=progress).problems)


# --- writing ------------------------------------------------------------------------------------


def _check_written_path(path: str) -> None:
    if path[:1] in (" ", "\t"):
        # The separator before the path is "one or more" blanks: a leading blank would be lost.
        raise InputError(f"manifest path {_show(path)!r} cannot start with whitespace")
    try:
        normalized, dotted = _normalize(path, payload=path.startswith("data/"))
    except _BadPath as exc:
        raise InputError(f"manifest path {_show(path)!r} cannot be written: {exc}") from None
    if dotted or normalized != path:
        raise InputError(f"manifest path {_show(path)!r} is not in normal form")


def format_manifest(entries: Iterable[tuple[str, str]]) -> bytes:
    """Render a manifest or tag manifest from ``(path, hex digest)`` pairs (RFC 8493 §2.1.3).

    Lines are ``digest␠␠path`` sorted by path: one or more spaces is what the RFC asks, and
    two spaces is the format of ``sha256sum``/``sha512sum`` (and bagit-python), so
    ``sha256sum -c manifest-sha256.txt`` run in the bag checks the payload with no other
    tool. ``%``, CR and LF in paths are percent-encoded (BagIt 1.0). Digests are written in
    lowercase. UTF-8, LF line ends.

    Raises :class:`~evidence.errors.InputError` for an unsafe or non-normal path, a path
    listed twice, or a digest that is not the hex of a supported algorithm.
    """
    rows: dict[str, str] = {}
    lengths = set(DIGEST_HEX_LENGTHS.values())
    for path, digest in entries:
        _check_written_path(path)
        if len(digest) not in lengths or not _HEX_DIGITS.fullmatch(digest):
            raise InputError(f"digest for {_show(path)!r} is not a supported hex digest")
        if path in rows:
            raise InputError(f"manifest lists {_show(path)!r} twice")
        rows[path] = digest.lower()
    return "".join(
        f"{rows[p]}  {encode_manifest_path(p)}\n" for p in sorted(rows)
    ).encode("utf-8")


def format_bagit_txt() -> bytes:
    """The bag declaration of a BagIt 1.0 bag in UTF-8 (RFC 8493 §2.1.1)."""
    return b"BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n"


def format_bag_info(items: Sequence[tuple[str, str]]) -> bytes:
    """Render ``bag-info.txt`` from ``(label, value)`` pairs, in the given order (§2.2.2).

    Labels must be non-empty, without colon, CR, LF or surrounding whitespace. A value
    may contain LF: it is folded onto continuation lines indented with two spaces, which
    :func:`read_bag` joins back with ``"\\n"``; for that round trip to be exact, no line of
    a value may start or end with whitespace, and values must not contain CR or other
    control characters. Raises :class:`~evidence.errors.InputError` otherwise.
    """
    out: list[str] = []
    for label, value in items:
        if (not label or ":" in label or label != label.strip()
                or any(not c.isprintable() for c in label)):
            raise InputError(f"bag-info label {label!r} is not allowed (no colon, line break "
                             "or surrounding whitespace)")
        lines = value.split("\n")
        for line in lines:
            if line != line.strip() or any(not c.isprintable() for c in line):
                raise InputError(f"bag-info value for {label!r} has surrounding whitespace "
                                 "or a control character on a line")
            if not line and len(lines) > 1:
                raise InputError(f"bag-info value for {label!r} has an empty line")
        out.append(f"{label}: {lines[0]}\n" + "".join(f"  {line}\n" for line in lines[1:]))
    return "".join(out).encode("utf-8")


def payload_oxum(total_bytes: int, file_count: int) -> str:
    """Payload-Oxum ``OctetCount.StreamCount`` (RFC 8493 §2.2.2)."""
    for name, value in (("total_bytes", total_bytes), ("file_count", file_count)):
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise InputError(f"{name} must be a non-negative integer, got {value!r}")
    return f"{total_bytes}.{file_count}"


def write_tag_manifests(bag_dir: Path, algorithms: Sequence[str] = ("sha256", "sha512")) -> None:
    """Write ``tagmanifest-ALG.txt`` over every tag file of the bag (RFC 8493 §2.2.1).

    Tag files are all regular files outside ``data/`` except the tag manifests themselves
    (the bag declaration, bag-info, payload manifests, and files in tag folders). The
    payload folder is not walked, so this stays cheap on big bags (the custody log calls it
    on every entry). Each file is read once for all algorithms; each tag manifest is
    written atomically.

    Raises :class:`~evidence.errors.InputError` for an unsupported algorithm, a symlink or
    special file among the tag files, or an existing tag manifest of an algorithm not asked
    for (it would be left stale); OS errors are wrapped the same way.
    """
    root = Path(bag_dir)
    algs = list(dict.fromkeys(algorithms))
    if not algs:
        raise InputError("at least one tag manifest algorithm is needed")
    for alg in algs:
        if alg not in DIGEST_HEX_LENGTHS or alg not in _STRONG_ALGORITHMS:
            raise InputError(f"tag manifest algorithm {alg!r} is not supported for writing")
    scan = _Scan(root=root)
    _walk(scan, skip_payload=True)
    if scan.problems:
        raise InputError(f"{root / scan.problems[0].path}: {scan.problems[0].message}")
    tag_files: list[str] = []
    for rel in sorted(scan.files):
        if rel == "data" or rel.startswith("data/"):
            continue
        m = _MANIFEST_NAME.fullmatch(rel)
        if m is not None and m.group(1):
            if m.group(2) not in algs:
                raise InputError(f"{root / rel} exists and would be left stale; remove it or "
                                 "include its algorithm")
            continue
        tag_files.append(rel)
    digests: dict[str, list[tuple[str, str]]] = {alg: [] for alg in algs}
    for rel in tag_files:
        actual = _hash_file(scan, rel, algs, None)
        if actual is None:
            raise InputError(f"{root / rel}: {scan.problems[-1].message}")
        for alg in algs:
            digests[alg].append((rel, actual[alg]))
    try:
        for alg in algs:
            atomic_write_bytes(root / f"tagmanifest-{alg}.txt", format_manifest(digests[alg]))
    except OSError as exc:
        raise InputError(f"cannot write tag manifests in {root}: {exc.strerror}") from exc
