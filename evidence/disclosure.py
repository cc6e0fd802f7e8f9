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
from pathlib import Path

from .bag import (
    format_bag_info,
    format_bagit_txt,
    format_manifest,
    payload_oxum,
    write_tag_manifests,
)
from .bundle import (
    CUSTODY_FILE,
    ITEMS_FILE,
    PROOF_FILE,
    PROVENANCE_FILE,
    RECEIPTS_DIR,
    ROOT_FILE,
    Item,
    iter_items,
    read_signed_root,
)
from .capturing import sha256_and_512
from .custody import first_entry, utc_now
from .errors import BundleExistsError, InputError
from .fsutil import fsync_dir
from .integrity import check_integrity, is_disclosure, require_package
from .jcs import canonicalize
from .keys import SigningKey
from .merkle import MerkleTree, leaf_hash
from .version import TOOL_NAME, __version__

__all__ = ["disclose", "find_item"]


def find_item(bundle: Path, item_id: str) -> Item:
    """The item named by its id (``F-2``, ``R-17``) or, for files, its ``data/...`` path."""
    for item in iter_items(bundle):
        if item.id == item_id or (item.path == item_id and item.kind == "file"):
            return item
    raise InputError(f"{bundle}: no item {item_id!r}; `evidence inspect {bundle}` lists them")


def disclose(bundle: Path, item_id: str, *, out: Path, key: SigningKey) -> Path:
    """Write a disclosure package for one item of an intact bundle.

    Raises InputError for an unknown item or an existing ``out``, VerificationError when
    the bundle itself does not verify (nothing is disclosed from a changed bundle).
    """
    require_package(bundle)
    if is_disclosure(bundle):
        raise InputError(f"{bundle}: is already a disclosure package")
    if out.exists() or out.is_symlink():
        raise BundleExistsError(f"{out}: exists already; never overwritten")
    check_integrity(bundle).require_intact(bundle, "nothing disclosed")
    item = find_item(bundle, item_id)
    leaves = [leaf_hash(i.line) for i in iter_items(bundle)]
    tree = MerkleTree(leaves)
    proof = tree.inclusion_proof(item.index)
    signed = read_signed_root(bundle)
    tmp = out.parent / f".{out.name}.partial-{secrets.token_hex(4)}"
    tmp.mkdir()
    try:
        _write_package(bundle, tmp, out, item, proof, len(leaves), signed.root.hex(), key)
        if out.exists():
            raise BundleExistsError(f"{out}: appeared meanwhile; not overwritten")
        os.rename(tmp, out)
        fsync_dir(out.parent)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out


def _write_package(bundle: Path, tmp: Path, out: Path, item: Item, proof: list[bytes],
                   leaf_count: int, root: str, key: SigningKey) -> None:
    dst = tmp / item.path
    dst.parent.mkdir(parents=True)
    if item.kind == "file":
        shutil.copyfile(bundle / item.path, dst)
    else:
        with (bundle / item.path).open("rb") as fh:
            for _ in range((item.record_line or 1) - 1):
                fh.readline()
            line = fh.readline()
        dst.write_bytes(line if line.endswith(b"\n") else line + b"\n")
    (tmp / "evidence").mkdir()
    for name in (ROOT_FILE, PROVENANCE_FILE):
        shutil.copyfile(bundle / name, tmp / name)
    if (bundle / RECEIPTS_DIR).is_dir():
        shutil.copytree(bundle / RECEIPTS_DIR, tmp / RECEIPTS_DIR)
    (tmp / ITEMS_FILE).write_bytes(item.line + b"\n")
    proof_doc = {"version": 1, "item": item.id, "index": item.index, "leaf_count": leaf_count,
                 "root": root, "path": [h.hex() for h in proof]}
    (tmp / PROOF_FILE).write_bytes(canonicalize(proof_doc) + b"\n")
    # The signed entry records the tool (bag-info's Bag-Software-Agent) and each receipt's
    # digest, so that neither can be changed in the package afterwards unnoticed.
    receipts = {p.name: hashlib.sha256(p.read_bytes()).hexdigest()
                for p in sorted((tmp / RECEIPTS_DIR).glob("*.json"))}
    entry = first_entry("disclosed", {"item": item.id, "root": root, "from": bundle.name,
                                      "package": out.name, "tool": f"{TOOL_NAME} {__version__}",
                                      "receipts": receipts}, key)
    (tmp / CUSTODY_FILE).write_bytes(entry.line + b"\n")
    size, d256, d512 = sha256_and_512(dst)
    (tmp / "bagit.txt").write_bytes(format_bagit_txt())
    (tmp / "manifest-sha256.txt").write_bytes(format_manifest([(item.path, d256)]))
    (tmp / "manifest-sha512.txt").write_bytes(format_manifest([(item.path, d512)]))
    (tmp / "bag-info.txt").write_bytes(format_bag_info([
        ("Bag-Software-Agent", f"{TOOL_NAME} {__version__}"),
        ("Bagging-Date", utc_now()[:10]),
        ("Payload-Oxum", payload_oxum(size, 1)),
        ("Evidence-Root", root),
        ("Evidence-Disclosed-Item", item.id),
    ]))
    write_tag_manifests(tmp)
    for p in sorted(tmp.rglob("*"), reverse=True):
        if p.is_file():
            with p.open("rb") as fh:
                os.fsync(fh.fileno())
