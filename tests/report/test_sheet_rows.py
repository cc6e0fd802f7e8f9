"""A CSV record shows both its file line and the row a spreadsheet shows (issue 14, Deliver
6: "row 10" was the file's line 10, another record in a spreadsheet when a cell spans
lines)."""

from __future__ import annotations

from pathlib import Path

from evidence.capturing.pipeline import capture
from evidence.keys import SigningKey
from evidence.report import build_report
from evidence.report.html import render_html
from evidence.verification.verifier import verify

CSV = (
    "order_id,note,price\r\n"
    "A-1,plain,1.00\r\n"
    'A-2,"a note\r\nover two lines",2.00\r\n'
    "\r\n"
    "A-3,after a blank row,3.00\r\n"
)


def test_file_line_and_spreadsheet_row(tmp_path: Path, signing_key: SigningKey) -> None:
    export = tmp_path / "orders.csv"
    export.write_bytes(CSV.encode("utf-8"))
    shot = tmp_path / "shot.txt"
    shot.write_text("x", encoding="utf-8")
    bundle = tmp_path / "bundle"
    capture([shot], records=[export], out=bundle, case="ROWS-1", key=signing_key)
    report = build_report(verify(bundle, offline=True), bundle=bundle, lang="en")
    rows = {i.record["order_id"]: (i.locator, i.sheet_row)  # type: ignore[index]
            for i in report.items if i.kind == "record"}
    # the file line where each record starts, and the spreadsheet row (header = row 1)
    assert rows == {"A-1": ("row 2", 2), "A-2": ("row 3", 3), "A-3": ("row 6", 5)}
    doc = report.to_json()
    sheet = [i["record"]["sheet_row"] for i in doc["items"]["list"] if i["kind"] == "record"]
    assert sheet == [2, 3, 5]
    html = render_html(report).decode("utf-8")
    assert "file line 6<br>spreadsheet row 5" in html
