"""Selective disclosure: one item, its salt and its inclusion proof, nothing else.

A disclosure package is itself a BagIt bag. It holds the one item's bytes (the file, or
the record's canonical line), its ``items.jsonl`` line (with its salt), the bundle's
signed root and provenance, the item's RFC 6962 inclusion proof to that root
(``evidence/proof.json``), the anchor receipts, and a new custody log that starts with
the disclosure. The other items' contents, salts and digests are not in it: the proof
carries only interior hashes, from which nothing about them can be learned.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .bundle.custody import first_entry, read_custody, utc_now, verify_custody
from .bundle.index import ItemProof, prove
from .bundle.integrity import is_disclosure, require_package
from .bundle.layout import (
    CUSTODY_FILE,
    ITEMS_FILE,
    MAX_TAG_JSON_BYTES,
    PROOF_FILE,
    PROVENANCE_FILE,
    RECEIPTS_DIR,
    ROOT_FILE,
    Item,
    SignedRoot,
    iter_items,
    open_regular,
)
from .bundle.receipts import Receipt, read_receipts
from .bundle.recorded import receipts_against_custody
from .errors import (
    BundleExistsError,
    FormatError,
    InputError,
    NotABundleError,
    VerificationError,
)
from .findings import Severity
from .fsutil import fsync_dir
from .keys import SigningKey
from .standards.bagit import (
    format_bag_info,
    format_bagit_txt,
    format_manifest,
    payload_oxum,
    write_tag_manifests,
)
from .standards.ijson import loads_strict
from .standards.jcs import canonicalize
from .version import TOOL_NAME, __version__

if TYPE_CHECKING:
    from .timestamps.carry import CarriedToken

__all__ = ["disclose", "find_item"]

#: Read size when copying a file item (streamed, never whole).
_COPY_CHUNK = 1 << 20


def find_item(bundle: Path, item_id: str) -> Item:
    """The item named by its id (``F-2``, ``R-17``) or, for files, its ``data/...`` path.

    Reads ``items.jsonl`` up to the item (O(n)); :func:`evidence.bundle.index.prove` finds and
    proves an item in O(log n) when the bundle has an index.
    """
    for item in iter_items(bundle):
        if item.id == item_id or (item.path == item_id and item.kind == "file"):
            return item
    raise InputError(f"{bundle}: no item {item_id!r}; `evidence inspect {bundle}` lists them")


def disclose(bundle: Path, item_id: str, *, out: Path, key: SigningKey) -> Path:
    """Write a disclosure package for one item of a bundle.

    Everything copied into the package is checked first, and nothing else: the signed root
    (canonical form, signature), the item's line and its inclusion proof to that root
    (:func:`evidence.bundle.index.prove`: O(log n) with ``evidence/index.bin``), the item's bytes
    (size and both digests, computed while they are copied), ``provenance.json`` (its
    digest in the signed statement, its capturer the root's signer), the custody log
    (hash chain, signatures, first entry by the signer) and the receipts (strict form, for
    this root, each recorded by a signed ``anchored`` entry). The rest of the bundle (the
    other items and their data) is not re-verified, so that disclosing one record of a
    million does not read the million: the package is verified on its own by
    ``evidence verify``, and the bundle by ``evidence verify BUNDLE``.

    Raises InputError for an unknown item or an existing ``out``, VerificationError when
    what would be copied differs from the signed data (nothing is written then).
    """
    require_package(bundle)
    if is_disclosure(bundle):
        raise InputError(f"{bundle}: is already a disclosure package")
    if out.exists() or out.is_symlink():
        raise BundleExistsError(f"{out}: exists already; never overwritten")
    try:
        proof = prove(bundle, item_id, check_data=False)  # the data is checked as it is copied
    except NotABundleError:
        raise
    except FormatError as exc:  # a malformed root, item line or index: the bundle is damaged
        raise _refuse(bundle, str(exc)) from exc
    provenance = _checked_provenance(bundle, proof.signed)
    receipts = _checked_receipts(bundle, proof.signed)
    from .timestamps.carry import checked_tokens

    tokens = checked_tokens(bundle)
    tmp = out.parent / f".{out.name}.partial-{secrets.token_hex(4)}"
    tmp.mkdir()
    try:
        _write_package(bundle, tmp, out, proof, provenance, receipts, key, tokens)
        if out.exists():
            raise BundleExistsError(f"{out}: appeared meanwhile; not overwritten")
        os.rename(tmp, out)
        fsync_dir(out.parent)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out


def _refuse(bundle: Path, message: str) -> VerificationError:
    return VerificationError(f"{bundle}: does not verify, nothing disclosed ({message})")


def _checked_provenance(bundle: Path, signed: SignedRoot) -> bytes:
    """``provenance.json``'s bytes, once they are the ones the signed statement names."""
    try:
        with open_regular(bundle / PROVENANCE_FILE, within=bundle) as fh:
            data = fh.read(MAX_TAG_JSON_BYTES + 1)
        value = loads_strict(data, path=PROVENANCE_FILE)
    except (FormatError, OSError) as exc:
        raise _refuse(bundle, f"{PROVENANCE_FILE} unreadable: {exc}") from exc
    if hashlib.sha256(data).hexdigest() != signed.statement.get("provenance"):
        raise _refuse(bundle, f"{PROVENANCE_FILE} does not match the signed statement")
    capturer = value.get("capturer") if isinstance(value, dict) else None
    if not isinstance(capturer, dict) or capturer.get("public_key") != signed.public_key.hex():
        raise _refuse(bundle, "the root is signed by another key than the capturer's in "
                              f"{PROVENANCE_FILE}")
    return data


def _checked_receipts(bundle: Path, signed: SignedRoot) -> list[Receipt]:
    """The receipts, once they and the custody log that records them check out."""
    try:
        entries = read_custody(bundle / CUSTODY_FILE, within=bundle)
        receipts = read_receipts(bundle)
    except FormatError as exc:
        raise _refuse(bundle, str(exc)) from exc
    problems = [f for f in verify_custody(entries, signer=signed.public_key)
                if f.severity is Severity.ERROR]
    for r in receipts:
        if r.bundle_root != signed.root:
            raise _refuse(bundle, f"{r.file}: anchors another bundle root")
        if not r.path_leads_to_batch_root():
            raise _refuse(bundle, f"{r.file}: its path does not lead to its batch root")
    if not problems and (receipts or any(e.action == "anchored" for e in entries)):
        # The check `evidence verify` makes.
        problems = [f for f in receipts_against_custody(
            receipts, [e.to_json() for e in entries], "bundle", custody_ok=True)
            if f.severity is Severity.ERROR]
    if problems:
        raise _refuse(bundle, problems[0].message)
    return receipts


def _copy_checked(bundle: Path, item: Item, dst: Path) -> tuple[str, str]:
    """Copy a file item into the package, hashing it on the way; its (sha256, sha512) hex
    after checking size and digests against the signed item."""
    d256, d512, size = hashlib.sha256(), hashlib.sha512(), 0
    try:
        with open_regular(bundle / item.path, within=bundle) as src, dst.open("xb") as fh:
            while chunk := src.read(_COPY_CHUNK):
                d256.update(chunk)
                d512.update(chunk)
                size += len(chunk)
                fh.write(chunk)
    except FileNotFoundError as exc:
        raise _refuse(bundle, f"{item.path} is missing") from exc
    except FormatError as exc:
        raise _refuse(bundle, str(exc)) from exc
    return _compare(bundle, item, size, d256.hexdigest(), d512.hexdigest())


def _compare(bundle: Path, item: Item, size: int, d256: str, d512: str) -> tuple[str, str]:
    for what, ok in (("size", size == item.size), ("sha256", d256 == item.sha256),
                     ("sha512", d512 == item.sha512)):
        if not ok:
            raise _refuse(bundle, f"{item.id} ({item.name}): {item.path}: {what} differs from "
                                  "the signed item list")
    return d256, d512


def _write_package(bundle: Path, tmp: Path, out: Path, proof: ItemProof, provenance: bytes,
                   receipts: list[Receipt], key: SigningKey,
                   tokens: Sequence[CarriedToken] = ()) -> None:
    item, root = proof.item, proof.root.hex()
    dst = tmp / item.path
    dst.parent.mkdir(parents=True)
    if proof.record is None:
        payload_size = item.size
        d256, d512 = _copy_checked(bundle, item, dst)
    else:
        line = proof.record
        _compare(bundle, item, len(line), hashlib.sha256(line).hexdigest(),
                 hashlib.sha512(line).hexdigest())
        try:
            loads_strict(line)
        except FormatError as exc:
            raise _refuse(bundle, f"the record of {item.id} is not valid JSON") from exc
        # The payload file holds the record's line and its line end.
        data = line + b"\n"
        dst.write_bytes(data)
        payload_size = len(data)
        d256, d512 = hashlib.sha256(data).hexdigest(), hashlib.sha512(data).hexdigest()
    (tmp / "evidence").mkdir()
    # The bytes checked above (root.json's canonical form, provenance.json, receipts) are
    # the bytes written: nothing is re-read from the bundle after its check.
    (tmp / ROOT_FILE).write_bytes(canonicalize(proof.signed.to_json()) + b"\n")
    (tmp / PROVENANCE_FILE).write_bytes(provenance)
    if receipts or (bundle / RECEIPTS_DIR).is_dir():
        (tmp / RECEIPTS_DIR).mkdir()
    for r in receipts:
        (tmp / RECEIPTS_DIR / Path(r.file).name).write_bytes(r.to_bytes())
    (tmp / ITEMS_FILE).write_bytes(item.line + b"\n")
    proof_doc = {"version": 1, "item": item.id, "index": proof.index,
                 "leaf_count": proof.leaf_count, "root": root,
                 "path": [h.hex() for h in proof.path]}
    (tmp / PROOF_FILE).write_bytes(canonicalize(proof_doc) + b"\n")
    # The signed entry records the tool (bag-info's Bag-Software-Agent) and each receipt's
    # digest, so that neither can be changed in the package afterwards unnoticed.
    digests = {p.name: hashlib.sha256(p.read_bytes()).hexdigest()
               for p in sorted((tmp / RECEIPTS_DIR).glob("*.json"))}
    details: dict[str, Any] = {"item": item.id, "root": root, "from": bundle.name,
                               "package": out.name, "tool": f"{TOOL_NAME} {__version__}",
                               "receipts": digests}
    if tokens:  # the bundle's RFC 3161 tokens (evidence.timestamps.carry), checked above
        from .timestamps.carry import disclosed_details
        from .timestamps.stamping import TIMESTAMPS_DIR

        (tmp / TIMESTAMPS_DIR).mkdir()
        for t in tokens:
            (tmp / TIMESTAMPS_DIR / t.name).write_bytes(t.data)
        details["timestamps"] = disclosed_details(list(tokens))
    entry = first_entry("disclosed", details, key)
    (tmp / CUSTODY_FILE).write_bytes(entry.line + b"\n")
    (tmp / "bagit.txt").write_bytes(format_bagit_txt())
    (tmp / "manifest-sha256.txt").write_bytes(format_manifest([(item.path, d256)]))
    (tmp / "manifest-sha512.txt").write_bytes(format_manifest([(item.path, d512)]))
    (tmp / "bag-info.txt").write_bytes(format_bag_info([
        ("Bag-Software-Agent", f"{TOOL_NAME} {__version__}"),
        ("Bagging-Date", utc_now()[:10]),
        ("Payload-Oxum", payload_oxum(payload_size, 1)),
        ("Evidence-Root", root),
        ("Evidence-Disclosed-Item", item.id),
    ]))
    from .bundle.recheck_script import write_script

    write_script(tmp)  # the stdlib re-check script travels with the package (a tag file)
    write_tag_manifests(tmp)
    for p in sorted(tmp.rglob("*"), reverse=True):
        if p.is_file():
            with p.open("rb") as fh:
                os.fsync(fh.fileno())
