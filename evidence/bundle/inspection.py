"""``inspect``: what a bundle says about itself, without checking it (see verification)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .custody import read_custody
from .exports import export_dialects, file_line, sheet_rows
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
    """Items, root, signer, provenance, custody and receipts of a bundle, as plain data.

    ``exports``: each export with the format, encoding, delimiter and quote it was read
    with (as the signed provenance records them). A record item has its ``locator``; a CSV
    record also its ``file_line`` and, where the export is in the bundle and reads as it
    was captured, its ``sheet_row`` (the row a spreadsheet program shows).
    """
    require_package(path)
    signed = read_signed_root(path)
    provenance = read_json_file(path / PROVENANCE_FILE)
    items: list[dict[str, Any]] = []
    dialects = export_dialects(provenance)
    rows: dict[str, dict[int, int]] = {}
    count = 0
    for item in iter_items(path):
        count += 1
        if len(items) < max_items:
            entry = {"id": item.id, "kind": item.kind, "name": item.name, "path": item.path,
                     "size": item.size, "sha256": item.sha256, "media_type": item.media_type}
            if "image" in item.fields:
                entry["image"] = item.fields["image"]
            if item.kind == "record":
                _locate(entry, item.fields, path, dialects, rows)
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
        "exports": [{"path": p, **d} for p, d in sorted(dialects.items())],
        "item_count": count,
        "items": items,
        "custody": [e.to_json() for e in read_custody(path / CUSTODY_FILE)],
        "receipts": receipts,
    }


def _locate(entry: dict[str, Any], fields: dict[str, Any], bundle: Path,
            dialects: dict[str, dict[str, str]], rows: dict[str, dict[int, int]]) -> None:
    """Add a record's locator, and for CSV its file line and spreadsheet row, to ``entry``."""
    locator = fields.get("locator")
    entry["locator"] = locator
    line = file_line(locator if isinstance(locator, str) else None)
    if line is None:
        return
    entry["file_line"] = line
    export = f"data/exports/{fields.get('source_name')}"
    if export not in rows:
        rows[export] = sheet_rows(bundle / export, dialects.get(export))
    row = rows[export].get(line)
    if row is not None:
        entry["sheet_row"] = row
