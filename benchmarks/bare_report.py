"""Baseline of ``evidence report BUNDLE -o report.pdf``: the same pages drawn with the same
library (reportlab) and the same five fonts, and signed the same way (pyHanko, PAdES, the
workspace's certificate), in one plain script.

Input: the report's content, dumped beforehand (untimed) by the benchmark as neutral JSON:
headings, paragraphs, label/value lists, tables, code lines, bullets and images, in
order (``benchmarks/commands.py``, ``DUMP_SCRIPT``). Does: checks the bundle's payload
against its BagIt manifests (SHA-256 and SHA-512, as the tool's verification does first);
makes PNG thumbnails of the screenshots; registers DejaVu Sans (regular, bold, mono) and
Droid Sans Fallback (4 MB, the CJK glyphs) and the bold Noto Sans CJK subset (1.1 MB);
sets each run of characters DejaVu lacks in the CJK font (its bold face in headings and
labels); sets page one's two-language columns side by side (a one-row table);
lays out the pages (A4, paragraphs, grids, the screenshots, a QR code);
attaches the JSON; signs with pyHanko.

Omits (the tool does them): the rest of verification (signatures, the Merkle tree, the
anchor and the witnesses read from the chain, the trust profile and policy), building the
report's content and its canonical JSON, page numbers "n of N", coloured boxes. It
does make the thumbnails of the screenshots (Pillow, from the bundle's files) and draws
the same QR code (reportlab's encoder) on page one.

Usage: python benchmarks/bare_report.py CONTENT_JSON BUNDLE P12 OUT_PDF
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import sys
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

FONT_DIR = Path(__file__).resolve().parents[1] / "evidence" / "report" / "fonts"
FONTS = {"Sans": "DejaVuSans.ttf", "Sans-Bold": "DejaVuSans-Bold.ttf",
         "Mono": "DejaVuSansMono.ttf", "CJK": "DroidSansFallbackFull.ttf",
         "CJK-Bold": "NotoSansSC-Bold-subset.ttf"}
PASSPHRASE = os.environ.get("EVIDENCE_PASSPHRASE", "bench passphrase")


def check_manifests(bundle: Path) -> None:
    for algorithm in ("sha256", "sha512"):
        for line in (bundle / f"manifest-{algorithm}.txt").read_text().splitlines():
            digest, name = line.split(" ", 1)
            h = hashlib.new(algorithm)
            with (bundle / name.strip()).open("rb") as fh:
                while chunk := fh.read(1 << 20):
                    h.update(chunk)
            if h.hexdigest() != digest:
                raise SystemExit(f"{name}: does not match the manifest")


def main() -> None:
    content_path, bundle, p12, out = (Path(a) for a in sys.argv[1:5])
    check_manifests(bundle)
    content = json.loads(content_path.read_text())

    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.platypus import Image, PageBreak, Paragraph, SimpleDocTemplate, Spacer, Table

    faces = {}
    for name, file in FONTS.items():
        faces[name] = TTFont(name, str(FONT_DIR / file))
        pdfmetrics.registerFont(faces[name])
    latin, mono_set = faces["Sans"].face.charToGlyph, faces["Mono"].face.charToGlyph

    bold_cjk = faces["CJK-Bold"].face.charToGlyph

    def markup(text: str, mono: bool = False, bold: bool = False) -> str:
        """Latin in the paragraph's font; other characters in the CJK font (its bold
        face in bold text, where the bold subset has the character)."""
        have = mono_set if mono else latin
        out: list[str] = []
        run: list[str] = []
        face = ""
        for ch in text + "\0":
            if ch in "\n\0" or ord(ch) in have:
                want = ""
            else:
                want = "CJK-Bold" if bold and ord(ch) in bold_cjk else "CJK"
            if want != face or ch == "\0":
                chunk = escape("".join(run)).replace("\n", "<br/>")
                out.append(f'<font name="{face}">{chunk}</font>' if face and chunk else chunk)
                run, face = [], want
            run.append(ch)
        return "".join(out).replace("\0", "")

    body = ParagraphStyle("body", fontName="Sans", fontSize=8.8, leading=12.2, spaceAfter=3)
    small = ParagraphStyle("small", parent=body, fontSize=7.6, leading=10)
    head = ParagraphStyle("head", parent=small, fontName="Sans-Bold")
    mono = ParagraphStyle("mono", parent=body, fontName="Mono", fontSize=7.2, leading=9.4)
    code = ParagraphStyle("code", parent=mono, fontSize=6.8, leading=8.8,
                          backColor=colors.HexColor("#f1f3f5"))
    heads = {1: ParagraphStyle("h1", parent=body, fontName="Sans-Bold", fontSize=17,
                               leading=22),
             2: ParagraphStyle("h2", parent=body, fontName="Sans-Bold", fontSize=12.5,
                               leading=16, spaceBefore=12, keepWithNext=1),
             3: ParagraphStyle("h3", parent=body, fontName="Sans-Bold", fontSize=10,
                               leading=13, spaceBefore=6, keepWithNext=1)}
    width = A4[0] - 32 * mm
    grid = [("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#c9ced6")),
            ("VALIGN", (0, 0), (-1, -1), "TOP")]
    from PIL import Image as PILImage
    from reportlab.graphics.barcode import qrencoder
    from reportlab.platypus import Flowable

    qr = qrencoder.QRCode(None, qrencoder.QRErrorCorrectLevel.M)
    qr.addData(content["qr"])
    qr.make()
    modules = [[bool(m) for m in row] for row in qr.modules]

    class QR(Flowable):  # type: ignore[misc]
        def wrap(self, avail_w: float, avail_h: float) -> tuple[float, float]:
            return 30 * mm, 30 * mm

        def draw(self) -> None:
            cell = 30 * mm / (len(modules) + 8)
            for r, row in enumerate(modules):
                for c, dark in enumerate(row):
                    if dark:
                        self.canv.rect((c + 4) * cell, 30 * mm - (r + 5) * cell, cell, cell,
                                       stroke=0, fill=1)

    def thumbnail(name: str) -> tuple[bytes, int, int]:
        path = next(p for p in (bundle / "data").rglob(name) if p.is_file())
        with PILImage.open(path) as img:
            img.thumbnail((480, 480))  # the tool's THUMBNAIL_PIXELS
            shown = img.convert("RGB")
            buf = io.BytesIO()
            shown.save(buf, format="PNG")
            return buf.getvalue(), shown.width, shown.height

    def render(block: dict[str, Any], story: list[object], width: float) -> None:
        kind = block["kind"]
        if kind == "heading":
            story.append(Paragraph(markup(block["text"], bold=True),
                                       heads[min(block["level"], 3)]))
        elif kind == "para":
            story.append(Paragraph(markup(block["text"]), body))
        elif kind == "keyvalue":
            rows = [[Paragraph(markup(k, bold=True), head),
                     Paragraph(markup(v, m), mono if m else small)]
                    for k, v, m in block["rows"]]
            story += [Table(rows, colWidths=[width * 0.32, width * 0.68], style=grid),
                      Spacer(1, 4)]
        elif kind == "table":
            total = sum(block["widths"]) or 1
            rows = [[Paragraph(markup(h, bold=True), head) for h in block["header"]]]
            rows += [[Paragraph(markup(c, i in block["mono"]),
                                mono if i in block["mono"] else small)
                      for i, c in enumerate(row)] for row in block["rows"]]
            story += [Table(rows, colWidths=[width * w / total for w in block["widths"]],
                            style=grid, repeatRows=1), Spacer(1, 4)]
        elif kind == "code":
            story += [Paragraph(markup(line, True).replace("  ", "&nbsp; ") or "&nbsp;", code)
                      for line in block["text"].splitlines()]
        elif kind == "bullets":
            story += [Paragraph(markup(item), body, bulletText="\u2022")
                      for item in block["items"]]
        elif kind == "image":
            data = base64.b64decode(block["png"])
            scale = min(width / block["width"], (A4[1] - 150) / block["height"], 1.2)
            story += [Paragraph(markup(block["caption"]), small),
                      Image(io.BytesIO(data), width=block["width"] * scale,
                            height=block["height"] * scale)]
        elif kind == "thumbnail":
            data, w, h = thumbnail(block["name"])
            story += [Image(io.BytesIO(data), width=w * 0.4, height=h * 0.4),
                      Paragraph(markup(block["caption"]), small)]
        elif kind == "columns":  # side by side: a table of one row, a cell per column
            total = sum(block["widths"]) or len(block["columns"])
            shares = block["widths"] or [1] * len(block["columns"])
            widths = [(width - 10) * w / total for w in shares]
            cells: list[object] = []
            for column, w in zip(block["columns"], widths, strict=True):
                inner: list[object] = []
                for b in column:
                    render(b, inner, w)
                cells.append(inner)
            story.append(Table([cells], colWidths=widths))
        elif kind == "pagebreak":
            story.append(PageBreak())

    story: list[object] = [QR()]
    for block in content["blocks"]:
        render(block, story, width)
    story.append(Spacer(1, 70))
    buf = io.BytesIO()
    doc = SimpleDocTemplate(buf, pagesize=A4, leftMargin=16 * mm, rightMargin=16 * mm,
                            topMargin=16 * mm, bottomMargin=20 * mm, invariant=True)
    pages: list[int] = []
    doc.build(story, onLaterPages=lambda c, d: pages.append(c.getPageNumber()))

    from pyhanko.pdf_utils.embed import EmbeddedFileObject, FileSpec, embed_file
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers

    writer = IncrementalPdfFileWriter(io.BytesIO(buf.getvalue()))
    embed_file(writer, FileSpec(file_spec_string="report.json", embedded_data=(
        EmbeddedFileObject.from_file_data(writer, data=content_path.read_bytes(),
                                          mime_type="application/json"))))
    signer = signers.SimpleSigner.load_pkcs12(str(p12), passphrase=PASSPHRASE.encode())
    assert signer is not None
    meta = signers.PdfSignatureMetadata(field_name="Signature", md_algorithm="sha256",
                                        subfilter=fields.SigSeedSubFilter.PADES)
    spec = fields.SigFieldSpec(sig_field_name="Signature", on_page=-1,
                               box=(46, 60, 330, 122))
    with out.open("wb") as fh:
        signers.PdfSigner(meta, signer=signer, new_field_spec=spec).sign_pdf(
            writer, output=fh, bytes_reserved=16 * 1024)
        fh.flush()
        os.fsync(fh.fileno())
    print(len(pages) + 1)


if __name__ == "__main__":
    main()
