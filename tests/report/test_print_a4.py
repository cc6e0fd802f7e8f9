"""The HTML report printed on A4 by headless Chromium keeps every column (issue 14, Deliver
6: printing cut off the "Counted" column): every table header and the last cell of every
witness row are in the printed text, and page one ends at a page break."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from evidence.report import build_report, write_report
from evidence.report.layout import Table, document

from .fixtures import make_trusted_result

CHROMIUM = "/usr/bin/chromium"

#: The HTML's print margin (``@page { margin: 16mm 14mm }``), in points.
RIGHT_MARGIN_PT = 14 * 72 / 25.4


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="chromium missing")
def test_a4_print_keeps_every_column(tmp_path: Path) -> None:
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    # English only: the test machine's Chromium may lack a CJK font to extract text from
    report = build_report(make_trusted_result(), bundle=tmp_path, lang="en",
                          now="2025-11-28T09:05:00Z")
    html = write_report(report, tmp_path / "r.html", signer=None)
    pdf = tmp_path / "printed.pdf"
    proc = subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-pdf-header-footer",
         f"--print-to-pdf={pdf}", html.as_uri()],
        capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0 and pdf.is_file(), proc.stderr[-2000:]
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True).stdout
    assert "(A4)" in info
    pages = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True,
                           check=True).stdout.split("\f")
    words = set(re.findall(r"\w+", "".join(pages)))
    tables = [b for b in document(report) if isinstance(b, Table)]
    assert tables
    for table in tables:  # every column is there, named
        for header in table.header:
            for word in re.findall(r"\w+", header):
                assert word in words, (header, word)
    # nothing spills past the printable area (the @page margin is 14 mm): a cut column
    # leaves clipped words ending beyond it
    bbox = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], capture_output=True,
                          text=True, check=True).stdout
    page_w = float(re.search(r'<page width="([\d.]+)"', bbox).group(1))  # type: ignore[union-attr]
    right = page_w - RIGHT_MARGIN_PT
    beyond = [(float(x), w) for x, w in re.findall(r'xMax="([\d.]+)"[^>]*>([^<]*)<', bbox)
              if float(x) > right + 0.5]
    assert not beyond, beyond[:5]
    # page one stands alone: the summary starts on a later page
    assert "Summary" not in pages[0] and "Who captured" in pages[0]
