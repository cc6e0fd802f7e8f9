"""Screenshots, the evidence itself, are shown in full (issue 14, Deliver 6: they were
shrunk to 320×480 and could not be read): the HTML embeds the verified original bytes at
their own size, the PDF gives each its own page at full resolution; thumbnails remain."""

from __future__ import annotations

import base64
import shutil
import subprocess
from pathlib import Path

import pytest

from evidence.report import ReportSigner, build_report, write_report
from evidence.report.html import render_html
from evidence.verification.verifier import verify


def test_each_screenshot_in_full(example_bundle: Path, tmp_path: Path,
                                 signer: ReportSigner) -> None:
    report = build_report(verify(example_bundle, offline=True), bundle=example_bundle,
                          lang="en")
    shots = sorted((example_bundle / "data" / "files").rglob("*.png"))
    assert shots and len(report.thumbnails) == len(shots)
    html = render_html(report).decode("utf-8")
    for thumb in report.thumbnails:
        original = (example_bundle / next(i.path for i in report.items
                                          if i.id == thumb.item_id)).read_bytes()
        assert thumb.full == original  # the verified bytes, not a re-encoding
        assert f"data:image/png;base64,{base64.b64encode(original).decode()}" in html
        assert max(thumb.width, thumb.height) <= 480 < max(thumb.full_width, thumb.full_height)
    if shutil.which("pdfimages") is None:
        pytest.skip("pdfimages (poppler-utils) is not installed")
    pdf = write_report(report, tmp_path / "r.pdf", signer=signer)
    listing = subprocess.run(["pdfimages", "-list", str(pdf)], capture_output=True,
                             text=True, check=True).stdout.splitlines()[2:]
    sizes = {(t.full_width, t.full_height) for t in report.thumbnails}
    full_pages = []
    for row in listing:
        cols = row.split()
        if cols[2] == "image" and (int(cols[3]), int(cols[4])) in sizes:
            full_pages.append(int(cols[0]))
    # every screenshot at full resolution, each on a page of its own
    assert len(full_pages) == len(report.thumbnails), listing
    assert len(set(full_pages)) == len(full_pages), full_pages
