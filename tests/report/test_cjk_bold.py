"""Chinese headings are bold (issue 14, Deliver 6): the PDF embeds the bold CJK subset
(Noto Sans CJK SC Bold, evidence/report/fonts/SOURCE.md) and sets every heading's Chinese in
it; the HTML embeds it as the bold face of its CJK family, and headless Chromium prints the
headings with it. A heading character the bold subset lacks is set in the regular CJK font,
never as a missing-glyph box."""

from __future__ import annotations

import re
import shutil
import subprocess
from html import unescape
from pathlib import Path
from typing import Any

import pytest

from evidence.report import build_report, write_report
from evidence.report.layout import Heading, document
from evidence.report.text import TEXT
from evidence.report.webfonts import BOLD_FILE, REGULAR_FILE, _cmap, font_faces

from .fixtures import make_result

CHROMIUM = "/usr/bin/chromium"

#: A hanzi outside GB2312 level 1 (level 2), hence outside the bold subset.
RARE = "鑫"

#: The bold subset's family as poppler names it (the subset tag and "-Bold" removed).
BOLD_FAMILY = "NotoSansCJKsc"
REGULAR_FAMILY = "DroidSansFallback"


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.skip(f"{name} (poppler-utils) is not installed")
    return path


def _runs(pdf: Path) -> list[tuple[str, str]]:
    """(font family, text) of every text run of ``pdf``, as ``pdftohtml -xml`` reads them."""
    xml = subprocess.run([_tool("pdftohtml"), "-xml", "-i", "-stdout", str(pdf)],
                         capture_output=True, text=True, check=True).stdout
    fonts = {fid: re.sub(r"^[A-Z]{6}\+", "", fam)
             for fid, fam in re.findall(r'<fontspec id="(\d+)"[^>]*family="([^"]+)"', xml)}
    return [(fonts[fid], unescape(re.sub(r"<[^>]+>", "", text)))
            for fid, text in re.findall(r'<text [^>]*font="(\d+)"[^>]*>(.*?)</text>', xml)]


def _cjk(text: str) -> str:
    return "".join(c for c in text if ord(c) >= 0x2E80)


@pytest.fixture(scope="module")
def rare_heading(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The zh report (PDF and HTML) with the summary heading holding a character the bold
    subset lacks."""
    assert ord(RARE) not in _cmap(BOLD_FILE) and ord(RARE) in _cmap(REGULAR_FILE)
    out = tmp_path_factory.mktemp("bold")
    mp = pytest.MonkeyPatch()
    mp.setitem(TEXT, "sec_summary", ("Summary", f"概要{RARE}"))
    try:
        report = build_report(make_result(), bundle=out, lang="zh", now="2025-11-28T09:05:00Z",
                              prepared_by="verifying-party")
        headings = [_cjk(b.text) for b in document(report) if isinstance(b, Heading)]
        return {"pdf": write_report(report, out / "r.pdf", signer=None),
                "html": write_report(report, out / "r.html", signer=None),
                "headings": headings}
    finally:
        mp.undo()


def test_pdf_headings_are_set_in_the_bold_cjk_font(rare_heading: dict[str, Any]) -> None:
    fonts = subprocess.run([_tool("pdffonts"), str(rare_heading["pdf"])], capture_output=True,
                           text=True, check=True).stdout
    assert "NotoSansCJKsc-Bold" in fonts
    runs = _runs(rare_heading["pdf"])
    bold_text = "".join(t for fam, t in runs if fam == BOLD_FAMILY)
    regular_text = "".join(t for fam, t in runs if fam == REGULAR_FAMILY)
    headings = [h for h in rare_heading["headings"] if h]
    assert len(headings) > 10
    for heading in headings:
        assert heading.replace(RARE, "") in bold_text.replace(RARE, ""), heading
    # body text stays regular
    assert "本次核验不能证明的" in bold_text and "内容是否真实" not in bold_text
    assert "内容是否真实" in regular_text
    # the character the bold subset lacks: set in the regular CJK font, right after the
    # bold part of its heading, not dropped and not a box
    assert RARE not in bold_text
    assert any(fam == REGULAR_FAMILY and t.startswith(RARE) for fam, t in runs)


def test_html_embeds_the_bold_face_with_a_regular_fallback() -> None:
    css = font_faces(f"概要{RARE}")
    faces = re.findall(r"@font-face\{([^}]*)\}", css)
    bold = [f for f in faces if "font-weight:700" in f]
    assert len(bold) == 2 and any("font-weight:400" in f for f in faces)
    # the bold subset serves 概要, the regular font's glyph serves the rare character
    assert any("U+6982" in f and "U+8981" in f and f"U+{ord(RARE):X}" not in f for f in bold)
    assert any(f"unicode-range:U+{ord(RARE):X};" in f for f in bold)
    assert font_faces("only Latin text") == ""


@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="chromium missing")
def test_chromium_prints_headings_bold(rare_heading: dict[str, Any], tmp_path: Path) -> None:
    html = rare_heading["html"]
    page = html.read_text(encoding="utf-8")
    assert "font-src data:" in page and "h1 {" in page
    pdf = tmp_path / "printed.pdf"
    proc = subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-pdf-header-footer",
         f"--print-to-pdf={pdf}", html.as_uri()], capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0 and pdf.is_file(), proc.stderr[-2000:]
    runs = _runs(pdf)
    bold_text = "".join(t for fam, t in runs if fam.startswith(BOLD_FAMILY))
    regular_text = "".join(t for fam, t in runs if fam.startswith(REGULAR_FAMILY))
    for heading in ("证据核验报告", "采集者", "本次核验不能证明的", "概要", "全部核验结果"):
        assert heading in bold_text, heading
    assert "内容是否真实" in regular_text and "内容是否真实" not in bold_text
    assert RARE in regular_text  # the bold heading's missing character: regular, not a box
