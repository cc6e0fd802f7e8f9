"""``inspect``: what a bundle says about itself, without checking it (see verification)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .custody import read_custody
from .integrity import is_disclosure, require_package
from .layout import (
    CUSTODY_FILE,
    PROVENANCE_FILE,
    RECEIPTS_DIR,
    iter_items,
    read_json_file,
    read_signed_root,
)

__all__ = ["inspect_bundle"]

#: ``inspect`` lists at most this many items in full; the count is always exact.
MAX_ITEMS_SHOWN = 1000


def inspect_bundle(path: Path, *, max_items: int = MAX_ITEMS_SHOWN) -> dict[str, Any]:
    """Items, root, signer, provenance, custody and receipts of a bundle, as plain data."""
    require_package(path)
    signed = read_signed_root(path)
    provenance = read_json_file(path / PROVENANCE_FILE)
    items: list[dict[str, Any]] = []
    count = 0
    for item in iter_items(path):
        count += 1
        if len(items) < max_items:
            entry = {"id": item.id, "kind": item.kind, "name": item.name, "path": item.path,
                     "size": item.size, "sha256": item.sha256, "media_type": item.media_type}
            if "image" in item.fields:
                entry["image"] = item.fields["image"]
            items.append(entry)
    receipts = []
    rdir = path / RECEIPTS_DIR
    if rdir.is_dir():
        for rp in sorted(rdir.glob("*.json")):
            receipts.append(read_json_file(rp))
    return {
        "bundle": str(path),
        "package": "disclosure" if is_disclosure(path) else "bundle",
        "case": signed.statement.get("case"),
        "captured_at": signed.statement.get("captured_at"),
        "root": signed.root.hex(),
        "leaf_count": signed.leaf_count,
        "signer": signed.fingerprint,
        "provenance": provenance,
        "item_count": count,
        "items": items,
        "custody": [e.to_json() for e in read_custody(path / CUSTODY_FILE)],
        "receipts": receipts,
    }
