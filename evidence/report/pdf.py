"""The PDF report: A4, page numbers, footer with report id and digest, QR code, PAdES signed.

What: :func:`render_pdf` lays out the blocks of :func:`~evidence.report.layout.document` with
reportlab on A4 pages. Every page's footer carries the report id, the report digest (SHA-256
of the canonical JSON report) and "page X of Y". The first page carries a QR code holding
the report digest and the anchor's chain id, contract and transaction. The canonical JSON
report is attached to the PDF (``report.json``), and the whole file is signed with a PAdES
baseline signature (ETSI EN 319 142-1, ``ETSI.CAdES.detached``) by pyHanko with the
signer's X.509 certificate, in a visible signature field at the end of the report.

Fonts: all text is set in embedded TrueType subsets shipped in ``evidence/report/fonts/``:
DejaVu Sans and DejaVu Sans Mono (Bitstream Vera licence; DejaVu changes public domain) for
Latin text and digests, Droid Sans Fallback (Apache License 2.0) for Chinese. Each run of
characters is set in the first font that has glyphs for it; reportlab embeds only the glyphs
used. No CID font (which readers would substitute) is used.

Failures: reportlab or pyHanko errors are wrapped in :class:`~evidence.errors.InputError`
(certificate problems) or re-raised as :class:`~evidence.errors.EvidenceError`.
"""

from __future__ import annotations

import functools
import io
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from evidence.errors import EvidenceError

from .layout import (
    Block,
    Bullets,
    Code,
    Columns,
    FullImage,
    Heading,
    Images,
    KeyValue,
    PageBreak,
    Para,
    Table,
    document,
)
from .model import Report
from .signing import ReportSigner

__all__ = ["FONT_DIR", "REPORT_ATTACHMENT", "render_pdf"]

#: Shipped fonts (see the module docstring and the LICENSE files beside them).
FONT_DIR = Path(__file__).resolve().parent / "fonts"
_FONTS = {
    "EvSans": "DejaVuSans.ttf",
    "EvSans-Bold": "DejaVuSans-Bold.ttf",
    "EvMono": "DejaVuSansMono.ttf",
    "EvCJK": "DroidSansFallbackFull.ttf",
    # bold CJK for headings, labels and the verdict: a subset of Noto Sans CJK SC Bold
    # (fonts/SOURCE.md); a character it lacks falls back to the regular EvCJK
    "EvCJK-Bold": "NotoSansSC-Bold-subset.ttf",
}

#: The paragraph fonts whose CJK runs are set in EvCJK-Bold.
_BOLD_FONTS = frozenset({"EvSans-Bold"})

#: Name of the attached canonical JSON report inside the PDF.
REPORT_ATTACHMENT = "report.json"

#: Name of the signature form field.
SIGNATURE_FIELD = "ReportSignature"

#: Bytes reserved for the CMS signature: a P-256 or RSA-4096 signature with a short chain
#: fits in far less; 16 KiB leaves room for a user's longer certificate chain.
SIGNATURE_BYTES_RESERVED = 16 * 1024

_MM = 72 / 25.4
_PAGE_W, _PAGE_H = 210 * _MM, 297 * _MM
_MARGIN_X = 16 * _MM
_MARGIN_TOP = 16 * _MM
_MARGIN_BOTTOM = 20 * _MM
_FRAME_W = _PAGE_W - 2 * _MARGIN_X
_SIG_BOX_H = 22 * _MM
_SIG_BOX_W = 100 * _MM

#: The QR code's side, quiet zone included: about 0.41 mm a module for the usual
#: 61-module code of a report's values, which phone cameras read.
QR_SIZE_MM = 28


@dataclass(frozen=True)
class _Fonts:
    latin: frozenset[int]
    mono: frozenset[int]
    cjk: frozenset[int]
    cjk_bold: frozenset[int]
    #: cjk | cjk_bold, made once (a union per character took over a second per report)
    cjk_any: frozenset[int]


@functools.cache
def _fonts() -> _Fonts:
    """Register the shipped fonts with reportlab once per process."""
    from reportlab.lib.fonts import addMapping
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    faces: dict[str, Any] = {}
    for name, file in _FONTS.items():
        path = FONT_DIR / file
        if not path.is_file():
            raise EvidenceError(f"{path}: report font missing; reinstall evidence-anchor")
        font = TTFont(name, str(path))
        pdfmetrics.registerFont(font)
        faces[name] = font
    addMapping("EvSans", 0, 0, "EvSans")
    addMapping("EvSans", 1, 0, "EvSans-Bold")
    addMapping("EvSans", 0, 1, "EvSans")
    addMapping("EvSans", 1, 1, "EvSans-Bold")
    cjk = frozenset(faces["EvCJK"].face.charToGlyph)
    cjk_bold = frozenset(faces["EvCJK-Bold"].face.charToGlyph)
    return _Fonts(
        latin=frozenset(faces["EvSans"].face.charToGlyph),
        mono=frozenset(faces["EvMono"].face.charToGlyph),
        cjk=cjk,
        cjk_bold=cjk_bold,
        cjk_any=cjk | cjk_bold,
    )


def _markup(text: str, *, mono: bool = False, bold: bool = False) -> str:
    """reportlab paragraph markup for ``text``: escaped, line breaks kept, and each run of
    characters the base font lacks set in the CJK font (``bold``: in the bold CJK font,
    each character it lacks in the regular CJK font, never a missing-glyph box)."""
    fonts = _fonts()
    base = fonts.mono if mono else fonts.latin
    out: list[str] = []
    run: list[str] = []
    face: str | None = None

    def flush() -> None:
        if not run:
            return
        chunk = escape("".join(run)).replace("\n", "<br/>")
        out.append(f'<font name="{face}">{chunk}</font>' if face else chunk)
        run.clear()

    for ch in text:
        code = ord(ch)
        want: str | None = None
        if ch != "\n" and code not in base and code in fonts.cjk_any:
            want = "EvCJK-Bold" if bold and code in fonts.cjk_bold else "EvCJK"
            if want == "EvCJK" and code not in fonts.cjk:
                want = "EvCJK-Bold"
        if want != face:
            flush()
            face = want
        run.append(ch)
    flush()
    return "".join(out)


def _is_bold(style: Any) -> bool:
    """Whether ``style`` sets its text in bold (its CJK then in the bold CJK font)."""
    return str(style.fontName) in _BOLD_FONTS


def _para(markup: str, style: Any, **kwargs: Any) -> Any:
    """A paragraph. reportlab's ordinary line breaking also breaks between ideographs, and is
    several times faster than its ``wordWrap="CJK"`` mode, so that mode is not used."""
    from reportlab.platypus import Paragraph

    return Paragraph(markup, style, **kwargs)


def _styles() -> dict[str, Any]:
    from reportlab.lib import colors
    from reportlab.lib.styles import ParagraphStyle

    body = ParagraphStyle("body", fontName="EvSans", fontSize=8.8, leading=12.2,
                          spaceAfter=3, bulletFontName="EvSans")
    return {
        "body": body,
        "small": ParagraphStyle("small", parent=body, fontSize=7.6, leading=10,
                                textColor=colors.HexColor("#5b6470")),
        "note": ParagraphStyle("note", parent=body, textColor=colors.HexColor("#4a525c")),
        # page one's lists in two languages (issue 14: page one on one page), >= 8 pt
        "compact": ParagraphStyle("compact", parent=body, fontSize=8, leading=9.9,
                                  spaceAfter=1.5),
        "cell": ParagraphStyle("cell", parent=body, fontSize=7.6, leading=10, spaceAfter=0),
        "cellhead": ParagraphStyle("cellhead", parent=body, fontName="EvSans-Bold",
                                   fontSize=7.6, leading=10, spaceAfter=0),
        "mono": ParagraphStyle("mono", parent=body, fontName="EvMono", fontSize=7.2,
                               leading=9.4, spaceAfter=0),
        "code": ParagraphStyle("code", parent=body, fontName="EvMono", fontSize=6.8,
                               leading=8.8, spaceAfter=0, leftIndent=4, rightIndent=4,
                               backColor=colors.HexColor("#f1f3f5")),
        "h1": ParagraphStyle("h1", parent=body, fontName="EvSans-Bold", fontSize=17,
                             leading=22, spaceAfter=6),
        "h2": ParagraphStyle("h2", parent=body, fontName="EvSans-Bold", fontSize=12.5,
                             leading=16, spaceBefore=12, spaceAfter=5, keepWithNext=1,
                             textColor=colors.HexColor("#1b1f24")),
        "h3": ParagraphStyle("h3", parent=body, fontName="EvSans-Bold", fontSize=10,
                             leading=13, spaceBefore=6, spaceAfter=2, keepWithNext=1),
        # page one's headings in two languages (compact, so page one fits one page)
        "h4": ParagraphStyle("h4", parent=body, fontName="EvSans-Bold", fontSize=9.5,
                             leading=12, spaceBefore=4, spaceAfter=1.5, keepWithNext=1),
        "banner": ParagraphStyle("banner", parent=body, fontName="EvSans-Bold", fontSize=10,
                                 leading=14, spaceAfter=0),
        "verdict": ParagraphStyle("verdict", parent=body, fontName="EvSans-Bold",
                                  fontSize=11, leading=14.5, spaceAfter=0),
        "footer": ParagraphStyle("footer", parent=body, fontSize=6.5, leading=8),
        "strong": ParagraphStyle("strong", parent=body, fontName="EvSans-Bold", fontSize=10.5,
                                 leading=14),
    }


_BOX_COLORS = {  # style -> (text, background, border)
    "warning": ("#9b1c1c", "#fdecec", "#9b1c1c"),
    "bad": ("#9b1c1c", "#fdecec", "#9b1c1c"),
    "good": ("#0f6b3a", "#e7f5ec", "#0f6b3a"),
    "caution": ("#7a4b00", "#fff4dc", "#7a4b00"),
}


def _boxed(text: str, style_name: str, styles: dict[str, Any]) -> Any:
    from reportlab.lib import colors
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.platypus import Table as RLTable

    ink, bg, border = _BOX_COLORS[style_name]
    base = styles["banner" if style_name == "warning" else "verdict"]
    style = ParagraphStyle(f"box-{style_name}", parent=base, textColor=colors.HexColor(ink))
    table = RLTable([[_para(_markup(text, bold=_is_bold(style)), style)]], colWidths=[_FRAME_W])
    table.setStyle([
        ("FONTNAME", (0, 0), (-1, -1), "EvSans"),
        ("BACKGROUND", (0, 0), (-1, -1), colors.HexColor(bg)),
        ("BOX", (0, 0), (-1, -1), 1.6, colors.HexColor(border)),
        ("TOPPADDING", (0, 0), (-1, -1), 6), ("BOTTOMPADDING", (0, 0), (-1, -1), 7),
        ("LEFTPADDING", (0, 0), (-1, -1), 8), ("RIGHTPADDING", (0, 0), (-1, -1), 8),
    ])
    return table


def _grid(data: list[list[Any]], widths: list[float], *, header: bool,
          flags: tuple[str, ...] = (), compact: bool = False) -> Any:
    from reportlab.lib import colors
    from reportlab.platypus import Table as RLTable

    table = RLTable(data, colWidths=widths, repeatRows=1 if header else 0)
    cmds: list[Any] = [
        ("FONTNAME", (0, 0), (-1, -1), "EvSans"),
        ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#c9cfd6")),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("TOPPADDING", (0, 0), (-1, -1), 1.5 if compact else 2.5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2 if compact else 3),
        ("LEFTPADDING", (0, 0), (-1, -1), 4), ("RIGHTPADDING", (0, 0), (-1, -1), 4),
    ]
    if header:
        cmds.append(("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eef1f4")))
    else:
        cmds.append(("BACKGROUND", (0, 0), (0, -1), colors.HexColor("#f6f7f9")))
    offset = 1 if header else 0
    for n, flag in enumerate(flags):
        if flag == "bad":
            cmds.append(("BACKGROUND", (0, n + offset), (-1, n + offset),
                         colors.HexColor("#fdecec")))
        elif flag == "good":
            cmds.append(("BACKGROUND", (0, n + offset), (-1, n + offset),
                         colors.HexColor("#e7f5ec")))
    table.setStyle(cmds)
    return table


#: The gap between the columns of a :class:`Columns` block, in points.
_COLUMN_GAP = 10


def _flowables(block: Block, styles: dict[str, Any], width: float = _FRAME_W) -> list[Any]:
    """The reportlab flowables of ``block``, ``width`` points wide at most."""
    from reportlab.platypus import Image, Spacer

    if isinstance(block, Heading):
        heading = styles[f"h{min(block.level, 4)}"]
        return [_para(_markup(block.text, bold=_is_bold(heading)), heading)]
    if isinstance(block, Para):
        if block.style in _BOX_COLORS:
            return [_boxed(block.text, block.style, styles), Spacer(1, 5)]
        style = styles.get(block.style, styles["body"])
        return [_para(_markup(block.text, bold=_is_bold(style)), style)]
    if isinstance(block, KeyValue):
        data = [[_para(_markup(k, bold=True), styles["cellhead"]),
                 _para(_markup(v, mono=mono), styles["mono" if mono else "cell"])]
                for k, v, mono in block.rows]
        share = block.label_share / 100
        return [_grid(data, [width * share, width * (1 - share)], header=False,
                      compact=block.compact), Spacer(1, 4)]
    if isinstance(block, Table):
        total = sum(block.widths) or 1
        widths = [width * w / total for w in block.widths]
        data = [[_para(_markup(h, bold=True), styles["cellhead"]) for h in block.header]]
        for row in block.rows:
            data.append([_para(_markup(c, mono=i in block.mono),
                                   styles["mono" if i in block.mono else "cell"])
                         for i, c in enumerate(row)])
        return [_grid(data, widths, header=True, flags=block.flags), Spacer(1, 4)]
    if isinstance(block, Code):
        from reportlab.platypus import KeepTogether

        # One command (its continuation lines, here-document and expected value) is never
        # split over two pages: copied from one page, it runs as printed.
        return [KeepTogether([_para(_markup(line, mono=True).replace("  ", "&nbsp; ")
                                    or "&nbsp;", styles["code"]) for line in group])
                for group in _command_groups(block.text)] + [Spacer(1, 5)]
    if isinstance(block, Bullets):
        style = styles["compact" if block.style == "compact" else "body"]
        return [_para(_markup(item), style, bulletText="•") for item in block.items]
    if isinstance(block, FullImage):
        t = block.image
        # Room left for the caption and, on the first such page, the section heading.
        avail_h = _PAGE_H - _MARGIN_TOP - _MARGIN_BOTTOM - 90
        scale = min(_FRAME_W / t.full_width, avail_h / t.full_height)
        from reportlab.platypus import KeepTogether

        return [KeepTogether([_para(_markup(block.caption), styles["small"]),
                              Image(io.BytesIO(t.full), width=t.full_width * scale,
                                    height=t.full_height * scale)])]
    if isinstance(block, Columns):
        from reportlab.platypus import Table as RLTable

        n = len(block.columns)
        weights = block.widths or (1,) * n
        inner = [(width - _COLUMN_GAP * (n - 1)) * w / sum(weights) for w in weights]
        column_cells = [[f for b in column for f in _flowables(b, styles, inner[i])]
                        for i, column in enumerate(block.columns)]
        table = RLTable([column_cells], colWidths=[inner[i] + (_COLUMN_GAP if i < n - 1 else 0)
                                                   for i in range(n)])
        table.setStyle([("VALIGN", (0, 0), (-1, -1), "TOP"),
                        ("FONTNAME", (0, 0), (-1, -1), "EvSans"),  # no unembedded Helvetica
                        ("LEFTPADDING", (0, 0), (-1, -1), 0),
                        ("RIGHTPADDING", (0, 0), (-2, -1), _COLUMN_GAP),
                        ("RIGHTPADDING", (-1, 0), (-1, -1), 0),
                        ("TOPPADDING", (0, 0), (-1, -1), 0),
                        ("BOTTOMPADDING", (0, 0), (-1, -1), 2)])
        return [table]
    if isinstance(block, PageBreak):
        from reportlab.platypus import PageBreak as RLPageBreak

        return [RLPageBreak()]
    if isinstance(block, Images):
        cells: list[Any] = []
        box = _FRAME_W / 3 - 8
        for thumb, caption in block.images:
            scale = min(box / thumb.width, (box * 1.4) / thumb.height, 1.0 * 72 / 60)
            img = Image(io.BytesIO(thumb.png), width=thumb.width * scale,
                        height=thumb.height * scale)
            cells.append([img, _para(_markup(caption), styles["small"])])
        rows = [cells[i:i + 3] for i in range(0, len(cells), 3)]
        rows[-1] += [""] * (3 - len(rows[-1]))
        from reportlab.platypus import Table as RLTable

        table = RLTable(rows, colWidths=[_FRAME_W / 3] * 3)
        table.setStyle([("VALIGN", (0, 0), (-1, -1), "TOP"),
                        ("FONTNAME", (0, 0), (-1, -1), "EvSans")])
        return [table]
    raise TypeError(f"unknown block {type(block).__name__}")  # pragma: no cover


def _command_groups(text: str) -> list[list[str]]:
    r"""The lines of a code block grouped by command: a command with its `` \`` continuation
    lines, its here-document up to the closing word, and the comment lines after it."""
    groups: list[list[str]] = []
    continued = False
    heredoc: str | None = None
    for line in text.split("\n"):
        after_title = bool(groups) and groups[-1][-1].startswith("# ") and len(groups[-1]) == 1
        starts = (not continued and heredoc is None and not line.startswith("#   ")
                  and not after_title)
        if starts or not groups:
            groups.append([line])
        else:
            groups[-1].append(line)
        if heredoc is not None:
            if line == heredoc:
                heredoc = None
            continue
        continued = line.endswith("\\")
        if "<<'" in line and line.endswith("'"):
            heredoc = line.rsplit("<<'", 1)[1][:-1]
    return groups


def _qr_payload(report: Report) -> str:
    parts = [f"evidence-report:{report.report_id}", f"digest={report.digest}"]
    if report.anchor is not None:
        a = report.anchor.info
        parts += [f"chain={a.chain_id}", f"contract={a.contract}", f"tx={a.transaction}"]
    return ";".join(parts)


def _qr_flowable(payload: str, size: float) -> Any:
    """A QR code (ISO/IEC 18004, level M, 4-module quiet zone) drawn as filled squares, so
    no font or graphics state of reportlab's chart renderer enters the PDF."""
    from reportlab.graphics.barcode import qrencoder
    from reportlab.platypus import Flowable

    qr = qrencoder.QRCode(None, qrencoder.QRErrorCorrectLevel.M)
    qr.addData(payload)
    qr.make()
    modules = [[bool(m) for m in row] for row in qr.modules]
    quiet = 4

    class QR(Flowable):  # type: ignore[misc]  # reportlab is untyped
        def wrap(self, avail_w: float, avail_h: float) -> tuple[float, float]:
            return size, size

        def draw(self) -> None:
            cell = size / (len(modules) + 2 * quiet)
            self.canv.setFillColorRGB(0, 0, 0)
            for r, row in enumerate(modules):
                for c, dark in enumerate(row):
                    if dark:
                        self.canv.rect((c + quiet) * cell, size - (r + quiet + 1) * cell,
                                       cell, cell, stroke=0, fill=1)

    return QR()


def _header(report: Report, title: str, styles: dict[str, Any]) -> Any:
    from reportlab.platypus import Table as RLTable

    size = QR_SIZE_MM * _MM
    drawing = _qr_flowable(_qr_payload(report), size)
    caption = _para(_markup(" / ".join(report.text("qr_caption").values())),
                    styles["small"])
    left = [
        _para(_markup(title, bold=True), styles["h1"]),
        _para(_markup(f"{report.report_id} · {report.generated_at} · {report.tool}"),
                  styles["body"]),
        _para(_markup(report.digest, mono=True), styles["mono"]),
        caption,  # beside the code, not under it: page one keeps its height
    ]
    table = RLTable([[left, [drawing]]], colWidths=[_FRAME_W - size - 8, size + 8])
    table.setStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("FONTNAME", (0, 0), (-1, -1), "EvSans"),
                    ("LEFTPADDING", (0, 0), (-1, -1), 0)])
    return table


def _signature_slot(label: str, lines: list[tuple[str, bool]],
                    styles: dict[str, Any]) -> tuple[Any, Any]:
    """A flowable drawing the visible signature's box (in the embedded fonts) and recording
    where it was drawn (``slot.placed`` = (1-based page, (x1, y1, x2, y2))); the PAdES
    signature field is put over it."""
    from reportlab.platypus import Flowable, KeepTogether

    class Slot(Flowable):  # type: ignore[misc]  # reportlab is untyped
        def __init__(self) -> None:
            super().__init__()
            self.width = _FRAME_W
            self.height = _SIG_BOX_H
            self.placed: tuple[int, tuple[float, float, float, float]] | None = None

        def wrap(self, avail_w: float, avail_h: float) -> tuple[float, float]:
            return self.width, self.height

        def draw(self) -> None:
            canv = self.canv
            left = _FRAME_W - _SIG_BOX_W
            canv.saveState()
            canv.setStrokeColorRGB(0.06, 0.42, 0.23)
            canv.setFillColorRGB(0.91, 0.96, 0.93)
            canv.setLineWidth(1.2)
            canv.rect(left, 0, _SIG_BOX_W, _SIG_BOX_H, stroke=1, fill=1)
            canv.setFillColorRGB(0.1, 0.12, 0.14)
            y = _SIG_BOX_H - 11
            for text, mono in lines:
                size = 6.2 if mono else 7.6
                x = left + 6
                for chunk, font in _runs(text, mono=mono):
                    canv.setFont(font, size)
                    canv.drawString(x, y, chunk)
                    x += canv.stringWidth(chunk, font, size)
                y -= 10
            canv.restoreState()
            x0, y0 = canv.absolutePosition(0, 0)
            box = (x0 + left, y0, x0 + _FRAME_W, y0 + _SIG_BOX_H)
            self.placed = (canv.getPageNumber(), box)

    slot = Slot()
    return KeepTogether([_para(_markup(label), styles["small"]), slot]), slot


def _report_stamp(generated_at: str) -> Any:
    """A reportlab time stamp at ``generated_at`` (UTC) for the PDF's information dates."""
    import calendar
    import time

    from reportlab.lib.utils import TimeStamp

    stamp = TimeStamp(invariant=True)
    try:
        epoch = calendar.timegm(time.strptime(generated_at, "%Y-%m-%dT%H:%M:%SZ"))
    except ValueError:
        return stamp
    stamp.t = epoch
    stamp.lt = time.gmtime(epoch)
    stamp.YMDhms = tuple(stamp.lt)[:6]
    stamp.dhh = stamp.dmm = 0
    stamp.tzname = "UTC"
    return stamp


def _numbered_canvas(report: Report) -> Any:
    from reportlab.pdfgen import canvas as rl_canvas

    footer_left = f"{report.report_id} · {report.digest}"
    page_word = report.text("page_of")

    class NumberedCanvas(rl_canvas.Canvas):  # type: ignore[misc]  # reportlab is untyped
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            kwargs["initialFontName"] = "EvSans"  # no unembedded Helvetica in the file
            super().__init__(*args, **kwargs)
            # The PDF's CreationDate and ModDate are the report's own date (reportlab's
            # invariant mode would write 2000-01-01, its clock mode the local time).
            self._doc._timeStamp = _report_stamp(report.generated_at)
            self._saved: list[dict[str, Any]] = []

        def showPage(self) -> None:
            self._saved.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            total = len(self._saved)
            for state in self._saved:
                self.__dict__.update(state)
                self._footer(total)
                super().showPage()
            super().save()

        def _footer(self, total: int) -> None:
            self.saveState()
            self.setStrokeColorRGB(0.8, 0.82, 0.85)
            self.line(_MARGIN_X, 13 * _MM, _PAGE_W - _MARGIN_X, 13 * _MM)
            self.setFont("EvMono", 6.4)
            self.setFillColorRGB(0.3, 0.33, 0.37)
            self.drawString(_MARGIN_X, 9 * _MM, footer_left)
            words = " / ".join(v.format(x=self._pageNumber, y=total)
                               for v in page_word.values())
            x = _PAGE_W - _MARGIN_X
            # Chinese page words need the CJK font; draw the runs right to left.
            for chunk, font in reversed(_runs(words)):
                self.setFont(font, 7)
                x -= self.stringWidth(chunk, font, 7)
                self.drawString(x, 5 * _MM, chunk)
            self.restoreState()

    return NumberedCanvas


def _runs(text: str, *, mono: bool = False) -> list[tuple[str, str]]:
    """Split plain text into (chunk, font) runs for direct canvas drawing."""
    fonts = _fonts()
    base, base_name = (fonts.mono, "EvMono") if mono else (fonts.latin, "EvSans")
    runs: list[tuple[str, str]] = []
    for ch in text:
        font = "EvCJK" if ord(ch) not in base and ord(ch) in fonts.cjk else base_name
        if runs and runs[-1][1] == font:
            runs[-1] = (runs[-1][0] + ch, font)
        else:
            runs.append((ch, font))
    return runs


def _signer_lines(report: Report, signer: ReportSigner | None) -> list[tuple[str, bool]]:
    if signer is None:
        return [(" / ".join(report.text("not_signed").values()), False)]
    lines = [(" / ".join(report.text("digitally_signed").values()), False)]
    if signer is not None and signer.pkcs12 is not None:
        import hashlib

        from cryptography.hazmat.primitives.serialization import Encoding
        from cryptography.x509.oid import NameOID

        cert = signer.certificate()
        names = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
        name = str(names[0].value) if names else cert.subject.rfc4514_string()
        lines.append((name, False))
        lines.append(("certificate SHA-256:", False))
        lines.append((hashlib.sha256(cert.public_bytes(Encoding.DER)).hexdigest(), True))
    return lines


def prepare_pdf() -> None:
    """Import the PDF libraries and register the fonts now, so that :func:`render_pdf`
    starts drawing at once (the command line calls it while the key unlocks)."""
    import pyhanko.sign.signers  # noqa: F401  # the import is the work
    import reportlab.platypus  # noqa: F401

    _fonts()


def layout_pdf(report: Report, signer: ReportSigner | None = None,
               ) -> tuple[bytes, int, tuple[float, float, float, float]]:
    """The unsigned PDF, plus the page (0-based) and box of the signature field."""
    from reportlab.platypus import SimpleDocTemplate

    _fonts()
    styles = _styles()
    blocks = document(report)
    title = " / ".join(report.text("title").values())
    story: list[Any] = [_header(report, title, styles)]
    for block in blocks[1:] if blocks and isinstance(blocks[0], Heading) else blocks:
        story.extend(_flowables(block, styles))
    label = "\n".join(report.text("signed_by" if signer is not None else "unsigned_by")
                      .values())
    if signer is not None:
        # What a reader will show for this certificate (issue 14, Deliver 7).
        note = ("self_issued_note" if signer.certificate_source.startswith("self-issued")
                else "user_cert_note")
        label += "\n" + "\n".join(report.text(note).values())
    keep, slot = _signature_slot(label, _signer_lines(report, signer), styles)
    story.append(keep)
    buf = io.BytesIO()
    doc = SimpleDocTemplate(
        buf, pagesize=(_PAGE_W, _PAGE_H), leftMargin=_MARGIN_X, rightMargin=_MARGIN_X,
        topMargin=_MARGIN_TOP, bottomMargin=_MARGIN_BOTTOM, title=title,
        author=report.tool, subject=report.digest, keywords=report.report_id,
        creator=report.tool, invariant=True,
    )
    from reportlab import rl_config

    # Binary streams, not ASCII85: a PDF a tenth smaller, without reportlab's pure-Python
    # ASCII85 pass over every image (a process-wide setting, put back at once).
    ascii85, rl_config.useA85 = rl_config.useA85, 0
    try:
        doc.build(story, canvasmaker=_numbered_canvas(report))
    except Exception as exc:  # reportlab raises bare LayoutError/ValueError
        raise EvidenceError(f"cannot lay out the PDF report: {exc}") from exc
    finally:
        rl_config.useA85 = ascii85
    if slot.placed is None:  # pragma: no cover - the slot is always drawn
        raise EvidenceError("cannot place the signature field in the PDF report")
    page, box = slot.placed
    return buf.getvalue(), page - 1, box


def _attach_json(writer: Any, report: Report) -> None:
    """Attach the canonical JSON report (``report.json``) to the PDF being written."""
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.embed import EmbeddedFileObject, EmbeddedFileParams, FileSpec, embed_file

    created = datetime.now(UTC)
    embed_file(writer, FileSpec(
        file_spec_string=REPORT_ATTACHMENT,
        file_name=REPORT_ATTACHMENT,
        embedded_data=EmbeddedFileObject.from_file_data(
            writer, data=report.canonical_bytes(), mime_type="application/json",
            params=EmbeddedFileParams(creation_date=created, modification_date=created)),
        description=f"Canonical JSON report (RFC 8785), {report.digest}",
        af_relationship=generic.NameObject("/Source"),
    ))


def render_pdf(report: Report, signer: ReportSigner | None) -> bytes:
    """The signed PDF report (see the module docstring); unsigned when ``signer`` is None
    (the verifying party's own report, made without a workspace)."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers
    from pyhanko.stamp.noop import NoOpStampStyle

    if signer is not None and signer.pkcs12 is None:
        raise EvidenceError("no PDF signing certificate: load the signer from a workspace")
    unsigned, page, box = layout_pdf(report, signer)
    writer = IncrementalPdfFileWriter(io.BytesIO(unsigned))
    _attach_json(writer, report)
    if signer is None:
        out = io.BytesIO()
        writer.write(out)  # type: ignore[no-untyped-call]  # pyHanko's writer is untyped
        return out.getvalue()
    assert signer.pkcs12 is not None  # checked above
    cms_signer = signers.SimpleSigner.load_pkcs12_data(
        signer.pkcs12, other_certs=[], passphrase=signer.pkcs12_passphrase)
    if cms_signer is None:  # pragma: no cover - checked when the signer was loaded
        raise EvidenceError("cannot load the PDF signing certificate")
    meta = signers.PdfSignatureMetadata(
        field_name=SIGNATURE_FIELD,
        subfilter=fields.SigSeedSubFilter.PADES,
        md_algorithm="sha256",
        reason=f"Evidence verification report {report.report_id}",
        location=None,
    )
    x1, y1, x2, y2 = box
    spec = fields.SigFieldSpec(sig_field_name=SIGNATURE_FIELD, on_page=page,
                               box=(int(x1), int(y1), int(x2), int(y2)))
    stamp = NoOpStampStyle()  # the box is drawn by reportlab, in embedded fonts
    timestamper = None
    if signer.timestamp_url is not None:
        # PAdES B-T (ETSI EN 319 142-1 §5.4): a signature time-stamp from the workspace's
        # TSA, requested and checked by pyHanko's own RFC 3161 client.
        from pyhanko.sign.timestamps import HTTPTimeStamper

        timestamper = HTTPTimeStamper(signer.timestamp_url,
                                      timeout=int(signer.timestamp_timeout))
    pdf_signer = signers.PdfSigner(meta, signer=cms_signer, stamp_style=stamp,
                                   new_field_spec=spec, timestamper=timestamper)
    out = io.BytesIO()
    try:
        pdf_signer.sign_pdf(writer, output=out, bytes_reserved=SIGNATURE_BYTES_RESERVED)
    except Exception as exc:  # pyHanko raises many kinds
        raise EvidenceError(f"cannot sign the PDF report: {exc}") from exc
    return out.getvalue()
