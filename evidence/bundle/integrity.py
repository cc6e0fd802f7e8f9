"""Verification: recompute everything a bundle or disclosure package claims.

Integrity (always, offline): BagIt manifests with both digests, every item against its
file or record, every leaf, the bundle root, the capturer's signature, the provenance
digest, ``bag-info.txt`` against the signed statement, the custody chain, and
``evidence/index.bin`` (when present) against the index rebuilt from the checked items.
The payload is hashed on worker threads while the items are read. Anchoring
(receipts, the chain, witnesses and the policy) is added by :mod:`evidence.anchoring`
when a receipt is present and the chain can be asked.
"""

from __future__ import annotations

import hashlib
import re
from array import array
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from ..errors import FormatError, InputError, NotABundleError, VerificationError
from ..findings import Finding, Severity
from ..keys import verify_signature
from ..result import ItemStatus
from ..standards.bagit import (
    MAX_MANIFEST_BYTES,
    BagCheck,
    BagInfo,
    check_bag,
    format_bag_info,
    format_manifest,
)
from ..standards.ijson import loads_strict
from ..standards.jcs import canonicalize
from ..standards.merkle import leaf_hash, root_from_inclusion_proof, root_from_leaf_hashes
from .custody import read_custody, verify_custody
from .index import INDEX_FILE, index_parts
from .layout import (
    CUSTODY_FILE,
    ITEMS_FILE,
    MAX_TAG_JSON_BYTES,
    PROOF_FILE,
    PROVENANCE_FILE,
    READ_BUFFER_BYTES,
    RECEIPTS_DIR,
    ROOT_FILE,
    Item,
    SignedRoot,
    iter_items,
    open_regular,
    read_signed_root,
)

__all__ = ["IntegrityReport", "check_integrity", "is_disclosure", "require_package"]

#: Items listed in a result keep record fields for reports; beyond this many records the
#: fields are left out of the result to keep it small (digests and status remain).
MAX_RECORD_FIELDS_IN_RESULT = 10_000
#: ``bag-info.txt`` is a short metadata file; RFC 8493 gives no limit, this reader does.
MAX_BAG_INFO_BYTES = 1024 * 1024
#: A record line is at most this long: the capture's record limit with room for escaping.
MAX_RECORD_LINE_BYTES = 1 << 24
BAG_INFO = "bag-info.txt"
#: The keys of a disclosure package's ``proof.json`` (docs/formats.md "Disclosure package").
_PROOF_KEYS = frozenset({"version", "item", "index", "leaf_count", "root", "path"})


@dataclass
class IntegrityReport:
    """The offline part of a verification."""

    package: str
    findings: list[Finding] = field(default_factory=list)
    items: list[ItemStatus] = field(default_factory=list)
    signed_root: SignedRoot | None = None
    provenance: dict[str, Any] = field(default_factory=dict)
    custody: list[dict[str, Any]] = field(default_factory=list)

    def add(self, code: str, severity: Severity, message: str, subject: str | None = None) -> None:
        self.findings.append(Finding(code, severity, message, subject))

    @property
    def intact(self) -> bool:
        return not any(f.severity is Severity.ERROR for f in self.findings)

    def require_intact(self, bundle: Path, refused: str) -> None:
        """Raise VerificationError naming the first problem unless the bundle is intact."""
        first = next((f for f in self.findings if f.severity is Severity.ERROR), None)
        if first is not None:
            raise VerificationError(f"{bundle}: does not verify, {refused} ({first.message})")


def is_disclosure(path: Path) -> bool:
    return (path / PROOF_FILE).is_file()


def require_package(path: Path) -> None:
    """Raise NotABundleError unless ``path`` looks like a bundle or disclosure package."""
    if not path.exists():
        raise NotABundleError("no such bundle", path=str(path))
    if not path.is_dir() or not (path / "bagit.txt").is_file() or not (path / ROOT_FILE).is_file():
        raise NotABundleError("not an evidence bundle (needs bagit.txt and evidence/root.json)",
                              path=str(path))


def check_integrity(path: Path, *,
                    progress: Callable[[int], None] | None = None) -> IntegrityReport:
    """Run every offline check; problems become findings, never exceptions.

    Raises NotABundleError only when ``path`` is not a bundle at all.
    """
    require_package(path)
    report = IntegrityReport("disclosure" if is_disclosure(path) else "bundle")
    try:
        signed: SignedRoot | None = read_signed_root(path)
        root_error = None
    except FormatError as exc:
        signed, root_error = None, exc
    # One walk of the bag, one parse of its tag files and one read of each payload file
    # serve every check below. The payload is hashed on worker threads (check_bag) while
    # this thread reads the items and checks the records; findings are then added in a
    # fixed order, whatever finished first.
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="bag-check") as pool:
        bag_future = pool.submit(check_bag, path, progress=progress)
        scan = None if signed is None else _scan_items(path, signed,
                                                       report.package == "disclosure")
        check = bag_future.result()
    bag_problems = [p for p in check.problems if p.is_error]
    changed_paths: dict[str, str] = {}
    for p in bag_problems:
        shown = p.message if p.message.startswith(f"{p.path}:") else f"{p.path}: {p.message}"
        report.add(f"bag-{p.code}", Severity.ERROR, shown, p.path)
        changed_paths.setdefault(p.path, p.message)
    if not bag_problems:
        report.add("bag-ok", Severity.OK,
                   "BagIt manifests (sha256, sha512) and tag manifests match")
    if signed is None or scan is None:
        report.add("root-invalid", Severity.ERROR, str(root_error), ROOT_FILE)
        return report
    report.signed_root = signed
    if verify_signature(signed.public_key, signed.signature, signed.signed_message):
        report.add("signature-ok", Severity.OK,
                   f"capturer signature over the root verifies (key {signed.fingerprint})",
                   ROOT_FILE)
    else:
        report.add("signature-invalid", Severity.ERROR,
                   "the capturer's signature over the bundle root does not verify", ROOT_FILE)
    _check_provenance(path, signed, report)
    try:
        bag = check.require_bag()
        manifests = bag.manifests
        _check_tag_coverage(check, bag, report)
        _check_manifest_form(path, bag, report)
    except FormatError as exc:
        report.add("bag-invalid", Severity.ERROR, str(exc), "bagit.txt")
        # A bag refused as a whole (a link or special file found by the walk, say) whose
        # declaration still parsed: each item is still checked against the manifests that
        # parsed, which the BagIt check hashed against, so one FIFO in the payload is
        # reported once, not as every other item "not listed".
        manifests = {} if check.bag is None else check.bag.manifests
    try:
        leaves = _finish_items(path, signed, scan, manifests, changed_paths, check.files,
                               report)
    except FormatError as exc:
        report.add("items-invalid", Severity.ERROR, str(exc), ITEMS_FILE)
        leaves = None
    if leaves is not None:
        root = _check_index(path, leaves, scan.index, report)
        _check_root(path, signed, leaves, report, root=root)
    _check_custody(path, signed, report)
    _check_bag_info(path, signed, report, check)
    return report


#: The manifests every evidence bundle carries (docs/formats.md "Evidence bundle").
REQUIRED_ALGORITHMS = ("sha256", "sha512")


#: Every file outside ``data/`` the bundle and disclosure writers make (tag manifests
#: apart, and receipts, matched by :data:`_RECEIPT_NAME`); docs/formats.md lists them.
WRITER_TAG_FILES = frozenset({
    "bagit.txt", "bag-info.txt", "manifest-sha256.txt", "manifest-sha512.txt",
    ITEMS_FILE, ROOT_FILE, PROVENANCE_FILE, CUSTODY_FILE, PROOF_FILE, INDEX_FILE,
    "recheck.py",  # evidence/recheck_script.py RECHECK_FILE, checked against known digests
})
_RECEIPT_NAME = re.compile(re.escape(RECEIPTS_DIR) + r"/[^/]+\.json")
#: RFC 3161 tokens (evidence.timestamps): ``evidence/timestamps/N-HOST.tsr``.
_TIMESTAMP_FILE = re.compile(r"evidence/timestamps/[1-9][0-9]{0,3}-[a-z0-9][a-z0-9.-]{0,62}\.tsr")


def _check_tag_coverage(check: BagCheck, bag: BagInfo, report: IntegrityReport) -> None:
    """Both tag manifests must exist and list every file outside ``data/``.

    RFC 8493 §2.2.4 lets a bag carry unlisted tag files; an evidence bundle does not, so
    nothing can be slipped in beside the signed files (a forged receipt, say).
    """
    tag_digests = bag.tag_manifest_digests
    for alg in REQUIRED_ALGORITHMS:
        for kind, present in (("manifest", bag.manifests), ("tagmanifest", tag_digests)):
            if alg not in present:
                name = f"{kind}-{alg}.txt"
                report.add("bag-no-manifest", Severity.ERROR, f"{name} is missing", name)
    # From the walk's inventory (regular files, links and special files; folders are not
    # files): the payload folder is not listed again.
    tag_files = sorted(rel for rel in (*check.files, *check.refused)
                       if not (rel.startswith("data/") or rel == "data"
                               or rel.startswith("tagmanifest-")))
    for alg, listed in sorted(tag_digests.items()):
        for rel in tag_files:
            if rel not in listed:
                report.add("bag-unlisted-tag-file", Severity.ERROR,
                           f"{rel}: not listed in tagmanifest-{alg}.txt (added after capture, "
                           "or the tag manifest changed?)", rel)
    # The tag manifests are unsigned: whoever adds a file can list it again. So a tag file
    # must also be one the bundle writer makes; anything else was slipped in later.
    _check_recheck_script(check.path, tag_files, report)
    for rel in tag_files:
        if (rel not in WRITER_TAG_FILES and _RECEIPT_NAME.fullmatch(rel) is None
                and _TIMESTAMP_FILE.fullmatch(rel) is None):
            report.add("bag-unexpected-tag-file", Severity.ERROR,
                       f"{rel}: not a file an evidence bundle or disclosure package holds "
                       "(added after capture; the tag manifests are unsigned, so listing it "
                       "there proves nothing)", rel)


def _check_recheck_script(path: Path, tag_files: list[str],
                          report: IntegrityReport) -> None:
    """A ``recheck.py`` tag file must be byte for byte a script this software shipped: it
    is unsigned, and a court runs it (evidence/recheck_script.py)."""
    from .recheck_script import RECHECK_FILE, is_known

    if RECHECK_FILE not in tag_files:
        return
    try:
        data = _read_small(path, RECHECK_FILE, MAX_RECHECK_SCRIPT_BYTES)
    except FormatError as exc:
        report.add("bag-unexpected-tag-file", Severity.ERROR, str(exc), RECHECK_FILE)
        return
    if not is_known(hashlib.sha256(data).hexdigest()):
        report.add("bag-unexpected-tag-file", Severity.ERROR,
                   f"{RECHECK_FILE}: not the re-check script this software ships (changed "
                   "after capture?); never run it; use the one embedded in the report",
                   RECHECK_FILE)


#: Largest ``recheck.py`` read (the shipped script is about 10 kB).
MAX_RECHECK_SCRIPT_BYTES = 256 * 1024


def _read_small(path: Path, rel: str, limit: int) -> bytes:
    """A small tag file's bytes, bounded, links never followed (FormatError otherwise)."""
    try:
        with open_regular(path / rel, within=path) as fh:
            data = fh.read(limit + 1)
    except FileNotFoundError as exc:
        raise FormatError("file is missing", path=rel) from exc
    except OSError as exc:
        raise FormatError(f"cannot read ({exc.strerror})", path=rel) from exc
    if len(data) > limit:
        raise FormatError(f"file larger than {limit} bytes", path=rel)
    return data


def _check_manifest_form(path: Path, bag: BagInfo, report: IntegrityReport) -> None:
    """Manifests must be byte for byte what the bundle writer produces from their entries.

    Tag manifests cannot cover themselves (RFC 8493 §2.2.1), so blank lines, reordered
    lines or changed spacing in them would otherwise go unnoticed; an evidence bundle is
    only ever written by :func:`evidence.standards.bagit.format_manifest`.
    """
    for manifest in (*bag.payload_manifests, *bag.tag_manifests):
        try:
            raw = _read_small(path, manifest.name, MAX_MANIFEST_BYTES)
            expected = format_manifest((e.path, e.digest) for e in manifest.entries)
        except (FormatError, InputError) as exc:
            report.add("bag-manifest-form", Severity.ERROR, f"{manifest.name}: {exc}",
                       manifest.name)
            continue
        if raw != expected:
            report.add("bag-manifest-form", Severity.ERROR,
                       f"{manifest.name}: not in the form the bundle writer produces (lines "
                       "added, reordered or reformatted after capture?)", manifest.name)


def _check_provenance(path: Path, signed: SignedRoot, report: IntegrityReport) -> None:
    try:
        data = _read_small(path, PROVENANCE_FILE, MAX_TAG_JSON_BYTES)
        value = loads_strict(data, path=PROVENANCE_FILE)
    except FormatError as exc:
        report.add("provenance-invalid", Severity.ERROR, f"provenance unreadable: {exc}",
                   PROVENANCE_FILE)
        return
    if not isinstance(value, dict) or canonicalize(value) != data:
        report.add("provenance-invalid", Severity.ERROR, "provenance is not canonical JSON",
                   PROVENANCE_FILE)
        return
    report.provenance = value
    if hashlib.sha256(data).hexdigest() != signed.statement.get("provenance"):
        report.add("provenance-changed", Severity.ERROR,
                   "provenance.json does not match the signed statement", PROVENANCE_FILE)
    elif value.get("case") != signed.statement.get("case"):
        report.add("provenance-changed", Severity.ERROR, "case differs from the signed statement",
                   PROVENANCE_FILE)
    capturer = value.get("capturer")
    if not isinstance(capturer, dict) or capturer.get("public_key") != signed.public_key.hex():
        # Otherwise anyone could re-sign a bundle's statement with their own key.
        report.add("signer-not-capturer", Severity.ERROR,
                   "the root is signed by another key than the capturer's in provenance.json "
                   "(re-signed by someone else?)", ROOT_FILE)


def _expected_bag_info(signed: SignedRoot, report: IntegrityReport
                       ) -> list[tuple[str, str | None]] | None:
    """The ``bag-info.txt`` elements capture (or disclose) writes, from signed data.

    ``None`` as a value means "not derivable from signed data" (Payload-Oxum, which the
    BagIt check compares with the payload; a disclosure's tool when its custody entry does
    not name it). Returns None when the signed data needed is itself unusable (reported
    elsewhere).
    """
    st = signed.statement
    if report.package == "disclosure":
        first = report.custody[0] if report.custody else None
        if first is None or first.get("action") != "disclosed":
            return None
        details = first.get("details") or {}
        tool = details.get("tool")
        return [("Bag-Software-Agent", tool if isinstance(tool, str) else None),
                ("Bagging-Date", str(first.get("at", ""))[:10]), ("Payload-Oxum", None),
                ("Evidence-Root", str(st["root"])),
                ("Evidence-Disclosed-Item", str(details.get("item")))]
    prov = report.provenance
    tool = prov.get("tool")
    if not prov or not isinstance(tool, dict):
        return None
    out: list[tuple[str, str | None]] = [
        ("Bag-Software-Agent", f"{tool.get('name')} {tool.get('version')}"),
        ("Bagging-Date", str(st["captured_at"])[:10]), ("External-Identifier", str(st["case"])),
        ("Payload-Oxum", None), ("Evidence-Case", str(st["case"])),
        ("Evidence-Captured-At", str(st["captured_at"])), ("Evidence-Root", str(st["root"])),
        ("Evidence-Signer", signed.fingerprint)]
    for key, label in (("platform", "Evidence-Platform"), ("source_url", "Evidence-Source-URL"),
                       ("note", "External-Description")):
        if prov.get(key):
            out.append((label, str(prov[key])))
    return out


def _check_bag_info(path: Path, signed: SignedRoot, report: IntegrityReport,
                    check: BagCheck) -> None:
    """``bag-info.txt`` must say exactly what the signed statement and provenance say.

    Its tag-manifest digests can be recomputed by anyone, so every element is compared
    with the signed data it was written from (and the file with the bytes the writer
    produces): a changed, added, dropped or reordered element is named.
    """
    try:
        raw = _read_small(path, BAG_INFO, MAX_BAG_INFO_BYTES)
        info = list(check.require_bag().info)
    except FormatError as exc:
        report.add("bag-info-invalid", Severity.ERROR, str(exc), BAG_INFO)
        return
    expected = _expected_bag_info(signed, report)
    if expected is None:
        return
    filled = []
    for i, (label, want) in enumerate(expected):
        got = info[i] if i < len(info) else None
        if got is None or got[0] != label:
            filled.append((label, want or ""))
            continue
        filled.append((label, got[1] if want is None else want))
    for i in range(max(len(info), len(filled))):
        got = info[i] if i < len(info) else None
        want_pair = filled[i] if i < len(filled) else None
        if got == want_pair:
            continue
        if got is None:
            message = f"bag-info.txt lacks {want_pair[0] if want_pair else '?'}"
        elif want_pair is None or got[0] != want_pair[0]:
            message = (f"bag-info.txt element {i + 1} is {got[0]}, expected "
                       f"{want_pair[0] if want_pair else 'nothing'} (element added, dropped "
                       "or moved after capture?)")
        else:
            message = (f"bag-info.txt {got[0]} is {got[1]!r}, the signed data says "
                       f"{want_pair[1]!r}")
        report.add("bag-info-changed", Severity.ERROR, message, BAG_INFO)
        return
    try:
        canonical = format_bag_info(filled)
    except InputError:
        canonical = raw
    if canonical != raw:
        report.add("bag-info-changed", Severity.ERROR,
                   "bag-info.txt is not byte for byte what the bundle's writer produces "
                   "(whitespace or line ends changed)", BAG_INFO)


def _status(item: Item, status: str, message: str, with_fields: bool) -> ItemStatus:
    details = dict(item.fields)
    details.pop("salt", None)
    return ItemStatus(item.id, item.kind, item.name, item.path, item.size, item.sha256,
                      item.sha512, item.media_type, status, message,
                      details if with_fields else {})


class _RecordReader:
    """Reads record lines sequentially from one records file (items are in line order).

    The file is opened without following links (a records path that is a link to a file
    outside the bundle is reported missing, never read).
    """

    def __init__(self, bundle: Path, rel: str, disclosure: bool):
        self.rel = rel
        try:
            self.fh: BinaryIO | None = open_regular(bundle / rel, within=bundle,
                                                    buffering=READ_BUFFER_BYTES)
        except (FormatError, OSError):
            self.fh = None
        self.line_no = 0
        self.disclosure = disclosure
        #: Byte offset of the next line, and of the line :meth:`read` last returned (None
        #: when it found none): the record offsets of ``evidence/index.bin``.
        self.offset = 0
        self.last_offset: int | None = None

    def read(self, line: int) -> bytes | None:
        """The raw line ``line`` (1-based) with its line end, or None when there is none."""
        self.last_offset = None
        if self.fh is None:
            return None
        if self.disclosure:
            line = self.line_no + 1
        while self.line_no < line:
            start = self.offset
            raw = self.fh.readline(MAX_RECORD_LINE_BYTES)
            self.line_no += 1
            self.offset += len(raw)
            if not raw:
                return None
            if self.line_no == line:
                self.last_offset = start
                return raw
        return None

    def has_more(self) -> bool:
        """True when the file holds data after the last line read."""
        return self.fh is not None and bool(self.fh.read(1))

    def close(self) -> None:
        if self.fh is not None:
            self.fh.close()


@dataclass
class _IndexInputs:
    """What ``evidence/index.bin`` is rebuilt from, gathered while the items are checked
    (arrays of u64: a million items take 24 MB, not the 100 MB of int lists)."""

    file_leaves: array[int] = field(default_factory=lambda: array("Q"))
    item_offsets: array[int] = field(default_factory=lambda: array("Q"))
    data_offsets: array[int] = field(default_factory=lambda: array("Q"))


@dataclass
class _ItemScan:
    """What the pass over ``items.jsonl`` found, before the BagIt check's results are in.

    Records are checked completely during the pass (their lines are read and hashed
    here); file items wait in ``pending`` (position -> item) for the manifests, the
    walk's inventory and the digest problems. ``findings`` are ``(position, code,
    message, subject)`` in item order; ``error`` is the FormatError that stopped the pass.
    """

    leaves: list[bytes] = field(default_factory=list)
    index: _IndexInputs = field(default_factory=_IndexInputs)
    statuses: list[ItemStatus | None] = field(default_factory=list)
    pending: dict[int, Item] = field(default_factory=dict)
    findings: list[tuple[int, str, str, str]] = field(default_factory=list)
    extra: list[tuple[str, str]] = field(default_factory=list)
    covered: set[str] = field(default_factory=set)
    error: FormatError | None = None


_STATUS_CODES = {"changed": "item-changed", "missing": "item-missing"}


def _scan_items(path: Path, signed: SignedRoot, disclosure: bool) -> _ItemScan:
    """Read every item once: leaves, index inputs, and the records' checks.

    Needs nothing from the BagIt check, so :func:`check_integrity` runs it while the
    payload is hashed on other threads.
    """
    scan = _ItemScan()
    readers: dict[str, _RecordReader] = {}
    offset = 0
    try:
        for item in iter_items(path):
            scan.covered.add(item.path)
            scan.index.item_offsets.append(offset)
            offset += len(item.line) + 1
            scan.leaves.append(leaf_hash(item.line))
            if item.kind == "file":
                scan.index.file_leaves.append(item.index)
                scan.index.data_offsets.append(0)
                scan.pending[len(scan.statuses)] = item
                scan.statuses.append(None)
                continue
            status, message, record = _check_record(path, item, readers, disclosure)
            reader = readers[item.path]
            scan.index.data_offsets.append(reader.last_offset or 0)
            with_fields = len(scan.leaves) <= MAX_RECORD_FIELDS_IN_RESULT
            _record_status(scan, signed, item, status, message, with_fields, record)
        for reader in readers.values():
            if reader.has_more():
                scan.extra.append((reader.rel, f"{reader.rel}: holds data after its last signed "
                                               f"record (line {reader.line_no}); added after "
                                               "capture?"))
    except FormatError as exc:
        scan.error = exc
    finally:
        for reader in readers.values():
            reader.close()
    return scan


def _record_status(scan: _ItemScan, signed: SignedRoot, item: Item, status: str, message: str,
                   with_fields: bool, record: Any = None, position: int | None = None) -> None:
    """Store an item's status (at ``position``, or appended) and its finding if not ok."""
    if item.provenance != signed.statement.get("provenance"):
        status, message = "invalid", "item does not carry the bundle's provenance digest"
    st = _status(item, status, message, with_fields)
    if record is not None and with_fields:
        st.fields["record"] = record
    if position is None:
        position = len(scan.statuses)
        scan.statuses.append(st)
    else:
        scan.statuses[position] = st
    if status != "ok":
        scan.findings.append((position, _STATUS_CODES.get(status, "item-invalid"),
                              f"{item.id} ({item.name}): {message}", item.id))


def _finish_items(path: Path, signed: SignedRoot, scan: _ItemScan,
                  manifests: dict[str, dict[str, str]], changed_paths: dict[str, str],
                  files: Mapping[str, int], report: IntegrityReport) -> list[bytes]:
    """Check the file items against the BagIt results and report everything in item order.

    Raises the FormatError that stopped the pass over the items (after reporting the
    items read before it), or FormatError when there are no items.
    """
    for position, item in scan.pending.items():
        status, message = _check_file(item, manifests, changed_paths, files)
        _record_status(scan, signed, item, status, message, True, position=position)
    scan.findings.sort(key=lambda f: f[0])  # stable: one finding per item
    report.items.extend(st for st in scan.statuses if st is not None)
    for _, code, message, subject in scan.findings:
        report.add(code, Severity.ERROR, message, subject)
    if scan.error is not None:
        raise scan.error
    for rel, message in scan.extra:
        report.add("records-extra", Severity.ERROR, message, rel)
    if not scan.leaves:
        raise FormatError("no items", path=str(path / ITEMS_FILE))
    listed = set(manifests.get("sha256", {})) | set(manifests.get("sha512", {}))
    for rel in sorted(listed - scan.covered):
        # The payload manifests can be recomputed by anyone; the signed item list cannot.
        report.add("payload-unsigned", Severity.ERROR,
                   f"{rel}: in the payload but not in the signed item list (added after "
                   "capture?)", rel)
    bad = sum(1 for i in report.items if i.status != "ok")
    if not bad:
        report.add("items-ok", Severity.OK,
                   f"all {len(report.items)} items match their files and records")
    return scan.leaves


def _check_file(item: Item, manifests: dict[str, dict[str, str]],
                changed_paths: dict[str, str], files: Mapping[str, int]) -> tuple[str, str]:
    """Check a file item: (status, message).

    Its presence and size come from the bag walk's inventory ``files`` (regular files
    only, links never followed), its digests from the BagIt check, which read it.
    """
    size = files.get(item.path)
    if size is None:
        return "missing", f"{item.path} is missing"
    for alg in ("sha256", "sha512"):
        listed = manifests.get(alg, {}).get(item.path)
        if listed is not None and listed != getattr(item, alg):
            return "changed", f"{item.path}: {alg} differs from the signed item list"
    if item.path in changed_paths:
        return "changed", f"{item.path}: {changed_paths[item.path]}"
    if size != item.size:
        return "changed", f"{item.path}: size differs from the signed item list"
    if not manifests.get("sha256", {}).get(item.path):
        return "invalid", f"{item.path} is not listed in the payload manifests"
    return "ok", ""


def _check_record(path: Path, item: Item, readers: dict[str, _RecordReader],
                  disclosure: bool) -> tuple[str, str, Any]:
    """Check a record item against its line: (status, message, record value)."""
    reader = readers.get(item.path)
    if reader is None:
        reader = readers[item.path] = _RecordReader(path, item.path, disclosure)
    raw = reader.read(item.record_line or 0)
    if raw is None:
        return "missing", f"record line {item.record_line} of {item.path} is missing", None
    locator = f"{item.fields.get('source_name')} {item.fields.get('locator')}"
    if not raw.endswith(b"\n"):
        return "changed", f"record ({locator}) has no line end in {item.path} (truncated?)", None
    line = raw[:-1]
    if hashlib.sha256(line).hexdigest() != item.sha256 or len(line) != item.size:
        return "changed", f"record ({locator}) differs from the signed item list", None
    if hashlib.sha512(line).hexdigest() != item.sha512:
        return "changed", f"record ({locator}) sha512 differs from the signed item list", None
    try:
        record = loads_strict(line)
    except FormatError:
        return "invalid", f"record ({locator}) is not valid JSON", None
    return "ok", "", record


def _check_index(path: Path, leaves: list[bytes], inputs: _IndexInputs,
                 report: IntegrityReport) -> bytes | None:
    """Rebuild ``evidence/index.bin`` from the checked items and compare it, part by part.

    The index is derived and untrusted (docs/formats.md "Index"): tools that read it check
    every proof against the signed root, and here it must be byte for byte what the
    capture writes for these items, or an ERROR names the first part that differs (a
    stale or edited index would otherwise mislead readers that trust it). A bundle
    without an index stays valid; a disclosure package never carries one. Streamed: two
    tree levels in memory at a time. Returns the tree root computed on the way (so that
    the tree is built once), or None when there is no index.
    """
    target = path / INDEX_FILE
    if not (target.exists() or target.is_symlink()):
        return None
    if report.package == "disclosure":
        report.add("index-mismatch", Severity.ERROR,
                   f"{INDEX_FILE}: a disclosure package carries no index (added?)", INDEX_FILE)
        return None
    root = None
    try:
        with open_regular(target, within=path) as fh:
            for name, expected in index_parts(leaves=leaves, file_leaves=inputs.file_leaves,
                                              item_offsets=inputs.item_offsets,
                                              data_offsets=inputs.data_offsets):
                if fh.read(len(expected)) != expected:
                    report.add("index-mismatch", Severity.ERROR,
                               f"{INDEX_FILE}: its {_INDEX_PARTS.get(name, name)} differ from "
                               "the index rebuilt from the checked items (stale or edited "
                               "index; it is derived: remove it, or capture again)", INDEX_FILE)
                    return None
                root = expected
            if fh.read(1):
                report.add("index-mismatch", Severity.ERROR,
                           f"{INDEX_FILE}: holds bytes after the root (appended to?)", INDEX_FILE)
                return None
    except (FormatError, InputError, OSError) as exc:
        report.add("index-mismatch", Severity.ERROR, f"{INDEX_FILE}: unusable: {exc}", INDEX_FILE)
        return None
    report.add("index-ok", Severity.OK,
               f"{INDEX_FILE} is the index of the checked items", INDEX_FILE)
    return root


#: How :func:`_check_index` names the parts of an index in its messages.
_INDEX_PARTS = {"header": "header (leaf and file counts)", "file leaves": "file leaves",
                "entries": "entries (item and record offsets)"}


def _check_root(path: Path, signed: SignedRoot, leaves: list[bytes],
                report: IntegrityReport, *, root: bytes | None = None) -> None:
    """The leaves must hash to the signed root (``root``: that hash when already computed,
    by :func:`_check_index`); a disclosure's proof must lead to it."""
    if report.package == "disclosure":
        try:
            raw = _read_small(path, PROOF_FILE, MAX_TAG_JSON_BYTES)
            parsed = loads_strict(raw, path=PROOF_FILE)
            if not isinstance(parsed, dict) or parsed.get("version") != 1:
                raise FormatError("unsupported proof", path=str(path / PROOF_FILE))
            if canonicalize(parsed) + b"\n" != raw:
                raise FormatError("not in its canonical form (RFC 8785 and one line end)",
                                  path=PROOF_FILE)
            proof: dict[str, Any] = parsed
            if set(proof) != _PROOF_KEYS:
                raise FormatError(f"proof fields differ from {sorted(_PROOF_KEYS)}",
                                  path=PROOF_FILE)
            index, size = proof["index"], proof["leaf_count"]
            if not all(isinstance(v, int) and not isinstance(v, bool) for v in (index, size)):
                raise FormatError("index and leaf_count must be integers", path=PROOF_FILE)
            if not isinstance(proof["path"], list):
                raise FormatError("path must be a list", path=PROOF_FILE)
            audit = [bytes.fromhex(str(h)) for h in proof["path"]]
            if len(leaves) != 1:
                raise FormatError("a disclosure package holds exactly one item",
                                  path=str(path / ITEMS_FILE))
            if proof["item"] != report.items[0].id or proof["root"] != signed.root.hex():
                raise FormatError("proof names another item or root than the package's",
                                  path=PROOF_FILE)
            computed = root_from_inclusion_proof(leaves[0], index, size, audit)
        except (FormatError, KeyError, TypeError, ValueError) as exc:
            report.add("proof-invalid", Severity.ERROR, f"inclusion proof unusable: {exc}",
                       PROOF_FILE)
            return
        if size != signed.leaf_count:
            report.add("proof-invalid", Severity.ERROR,
                       "proof tree size differs from the signed leaf count", PROOF_FILE)
        elif computed != signed.root:
            report.add("root-mismatch", Severity.ERROR,
                       "the item's inclusion proof does not lead to the signed root", PROOF_FILE)
        else:
            report.add("proof-ok", Severity.OK,
                       f"item {index + 1} of {size} is included in the signed root "
                       f"({len(audit)} proof steps)", PROOF_FILE)
        return
    if len(leaves) != signed.leaf_count:
        report.add("root-mismatch", Severity.ERROR,
                   f"{len(leaves)} items, the signed root covers {signed.leaf_count}", ITEMS_FILE)
    elif (root if root is not None else root_from_leaf_hashes(leaves)) != signed.root:
        report.add("root-mismatch", Severity.ERROR,
                   "the items do not hash to the signed root (item list changed)", ITEMS_FILE)
    else:
        report.add("root-ok", Severity.OK,
                   f"the {len(leaves)} leaves hash to the signed root {signed.root.hex()}",
                   ROOT_FILE)


def _check_custody(path: Path, signed: SignedRoot, report: IntegrityReport) -> None:
    try:
        entries = read_custody(path / CUSTODY_FILE, within=path)
    except FormatError as exc:
        report.add("custody-invalid", Severity.ERROR, str(exc), "evidence/custody.jsonl")
        return
    report.custody = [e.to_json() for e in entries]
    first = ("disclosed",) if report.package == "disclosure" else ("captured",)
    # A disclosure may be made by someone other than the capturer (a lawyer, a notary).
    signer = None if report.package == "disclosure" else signed.public_key
    report.findings.extend(verify_custody(entries, signer=signer, first_actions=first))

