"""Every export is named even when the item list is cut, and --all-items lists everything
(issue 14, Deliver 6: a 294-item bundle lost a whole second export from its report)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from evidence.report import build_report
from evidence.report.html import render_html
from evidence.report.model import MAX_ITEMS_LISTED
from evidence.result import ItemStatus

from .fixtures import make_result


def _two_exports() -> tuple[ItemStatus, ...]:
    items: list[ItemStatus] = []
    for name, count in (("orders.csv", 250), ("refunds.csv", 44)):
        items.append(ItemStatus(f"F-{len(items) + 1}", "file", name, f"data/exports/{name}", 10,
                                "a" * 64, "b" * 128, "text/csv", "ok"))
        for n in range(count):
            items.append(ItemStatus(
                f"R-{len(items) + 1}", "record", f"{name} row {n + 2}",
                f"data/records/{name}.jsonl", 10, f"{len(items):064x}", f"{len(items):0128x}",
                "application/json", "ok",
                fields={"line": n + 1, "source_name": name, "locator": f"row {n + 2}",
                        "record": {"n": n}}))
    return tuple(items)


def test_every_export_is_named_when_records_are_cut(tmp_path: Path) -> None:
    items = _two_exports()
    result = replace(make_result(), items=items, leaf_count=len(items))
    report = build_report(result, bundle=tmp_path, lang="en")
    doc = report.to_json()
    assert doc["items"]["listed"] == MAX_ITEMS_LISTED < len(items) == 296
    listed_ids = {i["id"] for i in doc["items"]["list"]}
    assert "F-252" not in listed_ids  # refunds.csv itself is beyond the cut...
    exports = {e["name"]: e["records"] for e in doc["items"]["exports"]}
    assert exports == {"orders.csv": 250, "refunds.csv": 44}  # ...yet named with its count
    html = render_html(report).decode("utf-8")
    assert "Export refunds.csv: 44 records (data/exports/refunds.csv)" in html


def test_all_items_lists_everything(tmp_path: Path) -> None:
    items = _two_exports()
    result = replace(make_result(), items=items, leaf_count=len(items))
    doc = build_report(result, bundle=tmp_path, lang="en", all_items=True).to_json()
    assert doc["items"]["listed"] == len(items) and doc["items"]["not_listed"] == 0
    assert len(doc["recheck"]["records"]) == 294
