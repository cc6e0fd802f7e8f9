"""Receipts against the custody log: is each receipt the one the signed log recorded?

A bundle check without the chain: ``evidence verify`` makes it (as part of the verdict) and
``evidence disclose`` makes it before copying receipts into a disclosure package.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from ..findings import Finding, Severity
from .layout import RECEIPTS_DIR, open_regular
from .receipts import Receipt

__all__ = ["receipts_against_custody"]


def _receipt_digest(r: Receipt) -> str:
    with open_regular(Path(r.file)) as fh:
        return hashlib.sha256(fh.read()).hexdigest()


def receipts_against_custody(receipts: list[Receipt], custody: list[dict[str, Any]],
                             package: str, *, custody_ok: bool) -> list[Finding]:
    """Each receipt must be the one the signed custody log recorded, and vice versa.

    A receipt is an unsigned tag file whose tag-manifest digests anyone can recompute; the
    custody log's ``anchored`` entries (bundles) or ``disclosed`` entry (disclosure
    packages) are signed, so a receipt edited, swapped, added or dropped after anchoring
    is caught here even before the chain is asked. Only run on an intact custody log
    (a broken one is reported already).
    """
    if not custody_ok or not custody:
        return []
    out: list[Finding] = []
    if package == "disclosure":
        listed = (custody[0].get("details") or {}).get("receipts")
        if not isinstance(listed, dict):
            return []  # made by a version that did not record them
        actual = {Path(r.file).name: _receipt_digest(r) for r in receipts}
        for name in sorted(set(actual) | set(listed)):
            if actual.get(name) != listed.get(name):
                out.append(Finding(
                    "receipt-unrecorded", Severity.ERROR,
                    f"receipt {name} differs from the one the signed disclosure entry records "
                    "(edited, added or removed after disclosure?)", f"{RECEIPTS_DIR}/{name}"))
        return out
    anchored = [e for e in custody if e.get("action") == "anchored"]
    matched: set[int] = set()
    # `anchor --reanchor` after a reorganisation replaces a stale receipt (same file name);
    # its signed entry names the anchoring it replaces.
    replaced: dict[tuple[Any, ...], int] = {}
    for i, entry in enumerate(anchored):
        d = entry.get("details") or {}
        old = d.get("replaces")
        if isinstance(old, dict):
            replaced[_key(d.get("chain_id"), d.get("contract"), d.get("batch_root"),
                          old.get("transaction"), old.get("block_number"))] = i
    for r in receipts:
        subject = f"{RECEIPTS_DIR}/{Path(r.file).name}"
        key = {"chain_id": r.chain_id, "contract": r.contract, "transaction": r.transaction,
               "block_number": r.block_number, "batch_root": "0x" + r.batch_root.hex(),
               "development_chain": r.development_chain}
        hit = None
        for i, entry in enumerate(anchored):
            details = entry.get("details") or {}
            if all(details.get(k) == v for k, v in key.items()):
                digest = details.get("receipt_sha256")
                if digest is None or digest == _receipt_digest(r):
                    hit = i
                    break
        if hit is None:
            out.append(Finding("receipt-unrecorded", Severity.ERROR,
                               "the receipt is not the one the signed custody log records for "
                               "its anchoring (chain, contract, transaction, block or batch "
                               "edited after anchoring?)", subject))
        else:
            matched.add(hit)
    for i, entry in enumerate(anchored):
        if i not in matched:
            details = entry.get("details") or {}
            by = replaced.get(_key(details.get("chain_id"), details.get("contract"),
                                   details.get("batch_root"), details.get("transaction"),
                                   details.get("block_number")))
            if by is not None and by > i:
                out.append(Finding(
                    "receipt-replaced", Severity.INFO,
                    f"custody entry {entry.get('seq')} records an anchoring in transaction "
                    f"{details.get('transaction')} that custody entry "
                    f"{anchored[by].get('seq')} replaced (re-anchored after a reorganisation "
                    "dropped or moved it)", RECEIPTS_DIR))
                continue
            out.append(Finding("receipt-missing", Severity.ERROR,
                               f"custody entry {entry.get('seq')} records an anchoring in "
                               f"transaction {details.get('transaction')} whose receipt is not "
                               "in the bundle (removed or replaced?)", RECEIPTS_DIR))
    return out


def _key(*values: Any) -> tuple[str, ...]:
    """A lookup key from custody details as signed: any JSON value (a list where a number
    belongs, say) compares by its canonical text, never by Python's hashing rules."""
    return tuple(json.dumps(v, sort_keys=True) for v in values)
