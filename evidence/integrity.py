"""Verification: recompute everything a bundle or disclosure package claims.

Integrity (always, offline): BagIt manifests with both digests, every item against its
file or record, every leaf, the bundle root, the capturer's signature, the provenance
digest, ``bag-info.txt`` against the signed statement, and the custody chain. Anchoring
(receipts, the chain, witnesses and the policy) is added by :mod:`evidence.anchoring`
when a receipt is present and the chain can be asked.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .bag import read_bag, validate_bag
from .bundle import (
    ITEMS_FILE,
    PROOF_FILE,
    PROVENANCE_FILE,
    ROOT_FILE,
    Item,
    SignedRoot,
    iter_items,
    read_json_file,
    read_signed_root,
)
from .custody import read_custody, utc_now, verify_custody
from .errors import FormatError, NotABundleError
from .findings import Finding, Severity
from .jcs import canonicalize, loads_strict
from .keys import verify_signature
from .merkle import leaf_hash, root_from_inclusion_proof, root_from_leaf_hashes
from .result import ItemStatus

__all__ = ["IntegrityReport", "check_integrity", "is_disclosure", "require_package"]

#: Items listed in a result keep record fields for reports; beyond this many records the
#: fields are left out of the result to keep it small (digests and status remain).
MAX_RECORD_FIELDS_IN_RESULT = 10_000


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


def is_disclosure(path: Path) -> bool:
    return (path / PROOF_FILE).is_file()


def require_package(path: Path) -> None:
    """Raise NotABundleError unless ``path`` looks like a bundle or disclosure package."""
    if not path.exists():
        raise NotABundleError("no such bundle", path=str(path))
    if not path.is_dir() or not (path / "bagit.txt").is_file() or not (path / ROOT_FILE).is_file():
        raise NotABundleError("not an evidence bundle (needs bagit.txt and evidence/root.json)",
                              path=str(path))


def check_integrity(path: Path, *, progress: Callable[[int], None] | None = None) -> IntegrityReport:
    """Run every offline check; problems become findings, never exceptions.

    Raises NotABundleError only when ``path`` is not a bundle at all.
    """
    require_package(path)
    report = IntegrityReport("disclosure" if is_disclosure(path) else "bundle")
    bag_problems = [p for p in validate_bag(path, progress=progress) if p.is_error]
    changed_paths: dict[str, str] = {}
    for p in bag_problems:
        report.add(f"bag-{p.code}", Severity.ERROR, f"{p.path}: {p.message}", p.path)
        changed_paths.setdefault(p.path, p.message)
    if not bag_problems:
        report.add("bag-ok", Severity.OK, "BagIt manifests (sha256, sha512) and tag manifests match")
    try:
        signed = read_signed_root(path)
    except FormatError as exc:
        report.add("root-invalid", Severity.ERROR, str(exc), ROOT_FILE)
        return report
    report.signed_root = signed
    if verify_signature(signed.public_key, signed.signature, signed.signed_message):
        report.add("signature-ok", Severity.OK,
                   f"capturer signature over the root verifies (key {signed.fingerprint})", ROOT_FILE)
    else:
        report.add("signature-invalid", Severity.ERROR,
                   "the capturer's signature over the bundle root does not verify", ROOT_FILE)
    _check_provenance(path, signed, report)
    _check_bag_info(path, signed, report)
    try:
        bag = read_bag(path)
        manifests = bag.manifests
        _check_tag_coverage(path, bag.tag_manifest_digests, report)
    except FormatError as exc:
        report.add("bag-invalid", Severity.ERROR, str(exc), "bagit.txt")
        manifests = {}
    try:
        leaves = _check_items(path, signed, manifests, changed_paths, report)
    except FormatError as exc:
        report.add("items-invalid", Severity.ERROR, str(exc), ITEMS_FILE)
        leaves = None
    if leaves is not None:
        _check_root(path, signed, leaves, report)
    _check_custody(path, signed, report)
    return report


def _check_tag_coverage(path: Path, tag_digests: dict[str, dict[str, str]],
                        report: IntegrityReport) -> None:
    """Every file outside ``data/`` must be listed in the tag manifests.

    RFC 8493 §2.2.4 lets a bag carry unlisted tag files; an evidence bundle does not, so
    nothing can be slipped in beside the signed files (a forged receipt, say).
    """
    listed = set(tag_digests.get("sha256", {}))
    if not listed:
        report.add("bag-no-tag-manifest", Severity.ERROR, "tagmanifest-sha256.txt is missing",
                   "tagmanifest-sha256.txt")
        return
    for p in sorted(path.rglob("*")):
        rel = p.relative_to(path).as_posix()
        if rel.startswith("data/") or rel == "data" or p.is_dir():
            continue
        if rel.startswith("tagmanifest-"):
            continue
        if rel not in listed:
            report.add("bag-unlisted-tag-file", Severity.ERROR,
                       f"{rel}: not listed in the tag manifests (added after capture?)", rel)


def _check_provenance(path: Path, signed: SignedRoot, report: IntegrityReport) -> None:
    try:
        data = (path / PROVENANCE_FILE).read_bytes()
        value = read_json_file(path / PROVENANCE_FILE)
    except (FormatError, OSError) as exc:
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


def _check_bag_info(path: Path, signed: SignedRoot, report: IntegrityReport) -> None:
    try:
        info = dict(read_bag(path).info)
    except FormatError as exc:
        report.add("bag-info-invalid", Severity.ERROR, str(exc), "bag-info.txt")
        return
    expected = {"Evidence-Root": signed.statement["root"], "Evidence-Case": signed.statement["case"]}
    for label, want in expected.items():
        got = info.get(label)
        if got is not None and got != want:
            report.add("bag-info-changed", Severity.ERROR,
                       f"bag-info.txt {label} is {got!r}, the signed statement says {want!r}",
                       "bag-info.txt")


def _status(item: Item, status: str, message: str, with_fields: bool) -> ItemStatus:
    details = dict(item.fields)
    details.pop("salt", None)
    return ItemStatus(item.id, item.kind, item.name, item.path, item.size, item.sha256,
                      item.sha512, item.media_type, status, message,
                      details if with_fields else {})


class _RecordReader:
    """Reads record lines sequentially from one records file (items are in line order)."""

    def __init__(self, path: Path, disclosure: bool):
        self.path = path
        self.fh = path.open("rb") if path.is_file() else None
        self.line_no = 0
        self.disclosure = disclosure

    def read(self, line: int) -> bytes | None:
        if self.fh is None:
            return None
        if self.disclosure:
            line = self.line_no + 1
        while self.line_no < line:
            raw = self.fh.readline(1 << 24)
            self.line_no += 1
            if not raw:
                return None
            if self.line_no == line:
                return raw[:-1] if raw.endswith(b"\n") else raw
        return None

    def close(self) -> None:
        if self.fh is not None:
            self.fh.close()


def _check_items(path: Path, signed: SignedRoot, manifests: dict[str, dict[str, str]],
                 changed_paths: dict[str, str], report: IntegrityReport) -> list[bytes]:
    disclosure = report.package == "disclosure"
    leaves: list[bytes] = []
    readers: dict[str, _RecordReader] = {}
    prov = signed.statement.get("provenance")
    try:
        for item in iter_items(path):
            leaves.append(leaf_hash(item.line))
            status, message, record = _check_one(path, item, manifests, changed_paths, readers,
                                                 disclosure)
            if item.provenance != prov:
                status, message = "invalid", "item does not carry the bundle's provenance digest"
            with_fields = item.kind == "file" or len(leaves) <= MAX_RECORD_FIELDS_IN_RESULT
            st = _status(item, status, message, with_fields)
            if record is not None and with_fields:
                st.fields["record"] = record
            report.items.append(st)
            if status != "ok":
                code = {"changed": "item-changed", "missing": "item-missing"}.get(status,
                                                                                  "item-invalid")
                report.add(code, Severity.ERROR, f"{item.id} ({item.name}): {message}",
                           item.id)
    finally:
        for reader in readers.values():
            reader.close()
    if not leaves:
        raise FormatError("no items", path=str(path / ITEMS_FILE))
    bad = sum(1 for i in report.items if i.status != "ok")
    if not bad:
        report.add("items-ok", Severity.OK,
                   f"all {len(report.items)} items match their files and records")
    return leaves


def _check_one(path: Path, item: Item, manifests: dict[str, dict[str, str]],
               changed_paths: dict[str, str], readers: dict[str, _RecordReader],
               disclosure: bool) -> tuple[str, str, Any]:
    """Check one item against its file or record line: (status, message, record value)."""
    if item.kind == "file":
        target = path / item.path
        if not target.is_file() or target.is_symlink():
            return "missing", f"{item.path} is missing", None
        for alg in ("sha256", "sha512"):
            listed = manifests.get(alg, {}).get(item.path)
            if listed is not None and listed != getattr(item, alg):
                return "changed", f"{item.path}: {alg} differs from the signed item list", None
        if item.path in changed_paths:
            return "changed", f"{item.path}: {changed_paths[item.path]}", None
        if target.stat().st_size != item.size:
            return "changed", f"{item.path}: size differs from the signed item list", None
        if not manifests.get("sha256", {}).get(item.path):
            return "invalid", f"{item.path} is not listed in the payload manifests", None
        return "ok", "", None
    reader = readers.get(item.path)
    if reader is None:
        reader = readers[item.path] = _RecordReader(path / item.path, disclosure)
    line = reader.read(item.record_line or 0)
    if line is None:
        return "missing", f"record line {item.record_line} of {item.path} is missing", None
    locator = f"{item.fields.get('source_name')} {item.fields.get('locator')}"
    if hashlib.sha256(line).hexdigest() != item.sha256 or len(line) != item.size:
        return "changed", f"record ({locator}) differs from the signed item list", None
    if hashlib.sha512(line).hexdigest() != item.sha512:
        return "changed", f"record ({locator}) sha512 differs from the signed item list", None
    try:
        record = loads_strict(line)
    except FormatError:
        return "invalid", f"record ({locator}) is not valid JSON", None
    return "ok", "", record


def _check_root(path: Path, signed: SignedRoot, leaves: list[bytes], report: IntegrityReport) -> None:
    if report.package == "disclosure":
        try:
            parsed = read_json_file(path / PROOF_FILE)
            if not isinstance(parsed, dict) or parsed.get("version") != 1:
                raise FormatError("unsupported proof", path=str(path / PROOF_FILE))
            proof: dict[str, Any] = parsed
            index, size = int(proof["index"]), int(proof["leaf_count"])
            audit = [bytes.fromhex(str(h)) for h in proof["path"]]
            if len(leaves) != 1:
                raise FormatError("a disclosure package holds exactly one item",
                                  path=str(path / ITEMS_FILE))
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
    elif root_from_leaf_hashes(leaves) != signed.root:
        report.add("root-mismatch", Severity.ERROR,
                   "the items do not hash to the signed root (item list changed)", ITEMS_FILE)
    else:
        report.add("root-ok", Severity.OK,
                   f"the {len(leaves)} leaves hash to the signed root {signed.root.hex()}", ROOT_FILE)


def _check_custody(path: Path, signed: SignedRoot, report: IntegrityReport) -> None:
    try:
        entries = read_custody(path / "evidence" / "custody.jsonl")
    except FormatError as exc:
        report.add("custody-invalid", Severity.ERROR, str(exc), "evidence/custody.jsonl")
        return
    report.custody = [e.to_json() for e in entries]
    first = ("disclosed",) if report.package == "disclosure" else ("captured",)
    # A disclosure may be made by someone other than the capturer (a lawyer, a notary).
    signer = None if report.package == "disclosure" else signed.public_key
    report.findings.extend(verify_custody(entries, signer=signer, first_actions=first))


def now() -> str:
    return utc_now()
