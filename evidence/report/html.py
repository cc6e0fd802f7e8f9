"""The HTML report: one self-contained file, readable on screen and printable.

What: :func:`render_html` renders the blocks of :func:`~evidence.report.layout.document` as
one HTML5 page with inline CSS (an ``@media print`` section for paper) and screenshots as
``data:`` URIs, and the CJK fonts cut down to the page's characters as ``data:`` URIs too
(:mod:`evidence.report.webfonts`: bold Chinese headings, and no missing-glyph boxes on a
machine without CJK fonts). There is no script and no external reference of any kind, so
the page shows the same offline, in an archive, or years later; a strict
Content-Security-Policy meta tag says so to the browser too.

Why plain string building with :func:`html.escape`: the page is small and fixed in shape;
a template engine would add a dependency for no gain. Every text that comes from the
evidence (names, records, messages) is escaped.
"""

from __future__ import annotations

import base64
from html import escape

from .layout import (
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
from .webfonts import font_faces

__all__ = ["render_html"]

#: The label column's share of a key-value table (``table.kv th`` in the CSS), in percent.
_KV_LABEL_SHARE = 32

#: Where the page's @font-face rules go, once the page's characters are known.
_FONTS_SLOT = "<!-- fonts -->"

_CSS = """
:root { --ink:#1b1f24; --mute:#5b6470; --line:#d5dae0; --bg:#ffffff; --soft:#f4f6f8;
  --good:#0f6b3a; --goodbg:#e7f5ec; --bad:#9b1c1c; --badbg:#fdecec; --warn:#7a4b00;
  --warnbg:#fff4dc; }
* { box-sizing: border-box; }
body { margin:0; background:var(--soft); color:var(--ink);
  font: 14px/1.5 "EvCJK", "Noto Sans", "DejaVu Sans", "Helvetica Neue", Arial,
  "Noto Sans CJK SC", "Droid Sans Fallback", "WenQuanYi Micro Hei", "Microsoft YaHei",
  sans-serif; }
main { max-width: 1040px; margin: 24px auto; background:var(--bg); padding: 32px 40px;
  border:1px solid var(--line); border-radius:6px; }
h1 { font-size: 26px; margin: 0 0 16px; }
h2 { font-size: 19px; margin: 32px 0 10px; padding-bottom:4px;
  border-bottom: 2px solid var(--ink); }
h3 { font-size: 15px; margin: 20px 0 8px; }
h4 { font-size: 14px; margin: 14px 0 6px; }
p { margin: 6px 0; }
.mono, code, pre { font-family: "EvCJK", "DejaVu Sans Mono", "Noto Sans Mono", Menlo,
  Consolas, monospace; font-size: 12px; }
.mono { overflow-wrap: anywhere; word-break: break-all; }
pre { background:#0f1720; color:#e6edf3; padding: 12px 14px; border-radius:4px;
  white-space: pre-wrap; overflow-wrap:anywhere; word-break: break-all; }
table { border-collapse: collapse; width: 100%; margin: 8px 0 12px; table-layout: fixed; }
th, td { border: 1px solid var(--line); padding: 5px 7px; vertical-align: top;
  text-align: left; overflow-wrap: anywhere; }
th { background: var(--soft); font-weight: 600; overflow-wrap: normal; }
table.kv th { width: 32%; }
tr.bad td { background: var(--badbg); }
tr.good td { background: var(--goodbg); }
.small { color: var(--mute); font-size: 12px; }
.strong { font-weight: 700; font-size: 16px; }
.pagebreak { border-top: 1px dashed var(--line); margin: 28px 0; }
.cols { display: grid; grid-template-columns: repeat(2, minmax(0, 1fr)); gap: 0 20px; }
.cols ul { margin: 4px 0; padding-left: 18px; }
.cols li { overflow-wrap: anywhere; }
@media (max-width: 720px) { .cols { grid-template-columns: minmax(0, 1fr); } }
.note { color: var(--mute); }
.warning { border: 2px solid var(--bad); background: var(--badbg); color: var(--bad);
  font-weight: 700; padding: 10px 14px; border-radius: 4px; }
.verdict { font-size: 20px; font-weight: 700; padding: 12px 16px; border-radius: 4px; }
.verdict.good { background: var(--goodbg); color: var(--good); border: 2px solid var(--good); }
.verdict.bad { background: var(--badbg); color: var(--bad); border: 2px solid var(--bad); }
.verdict.caution { background: var(--warnbg); color: var(--warn);
  border: 2px solid var(--warn); }
.thumbs { display: flex; flex-wrap: wrap; gap: 16px; }
figure { margin: 0; border: 1px solid var(--line); padding: 6px; background: var(--soft); }
figure img { display: block; max-width: 300px; height: auto; }
figure.full { border: 0; background: none; padding: 0; margin: 12px 0; }
figure.full img { max-width: 100%; height: auto; }
@media print { figure.full img { max-height: 232mm; width: auto; } }
figcaption { font-size: 12px; color: var(--mute); margin-top: 4px; }
details { margin: 12px 0; }
summary { cursor: pointer; color: var(--mute); }
footer { margin-top: 32px; color: var(--mute); font-size: 12px; border-top:1px solid var(--line);
  padding-top: 8px; }
@media print {
  @page { size: A4; margin: 16mm 14mm; }
  body { background: #fff; font-size: 10.5pt; }
  main { max-width: none; margin: 0; padding: 0; border: 0; }
  h2 { break-after: avoid; }
  table { font-size: 8.5pt; }
  .pagebreak { break-after: page; border: 0; margin: 0; }
  /* page one fits one A4 page, in two languages too (issue 14); never below 8 pt */
  .page-one { font-size: 9pt; line-height: 1.35; }
  .page-one h1 { font-size: 16pt; margin: 0 0 6px; }
  .page-one h3, .page-one h4 { font-size: 10pt; margin: 7px 0 3px; }
  .page-one .verdict { font-size: 11.5pt; padding: 6px 10px; }
  .page-one table { font-size: 8pt; margin: 3px 0 5px; }
  .page-one th, .page-one td { padding: 2px 5px; }
  .page-one p { margin: 3px 0; }
  .page-one ul { margin: 2px 0; padding-left: 16px; }
  .page-one ul.compact { font-size: 8.5pt; line-height: 1.3; }
  tr, figure, pre { break-inside: avoid; }
  pre { background: #fff; color: #000; border: 1px solid #999; }
  .verdict, .warning, tr.bad td, tr.good td { -webkit-print-color-adjust: exact;
    print-color-adjust: exact; }
}
"""


_MONO = ' class="mono"'


def _text(value: str) -> str:
    """Escaped text with line breaks kept."""
    return "<br>".join(escape(part) for part in value.split("\n"))


def render_html(report: Report) -> bytes:
    """The report as one self-contained UTF-8 HTML page."""
    lang_attr = "zh-Hans" if report.lang == "zh" else "en"
    out: list[str] = [
        "<!DOCTYPE html>",
        f'<html lang="{lang_attr}">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
        "img-src data:; font-src data:; style-src 'unsafe-inline'\">",
        f'<meta name="report-id" content="{escape(report.report_id)}">',
        f'<meta name="report-digest" content="{escape(report.digest)}">',
        f"<title>{escape(' / '.join(report.text('title').values()))} — "
        f"{escape(report.report_id)}</title>",
        f"<style>{_CSS}</style>",
        _FONTS_SLOT,
        "</head>",
        "<body><main>",
    ]
    out.append('<section class="page-one">')
    page_one = True
    for block in document(report):
        if page_one and isinstance(block, PageBreak):
            out.append("</section>")
            page_one = False
        out.append(_block(block))
    if page_one:
        out.append("</section>")
    if report.recheck.script_source:
        # The stdlib re-check script, embedded: a court whose bundle lacks recheck.py (or
        # holds another one) saves this text as recheck.py.
        label = " / ".join(report.text("recheck_script_embedded").values())
        out.append(f'<details id="recheck-script"><summary>{escape(label)} · SHA-256 '
                   f'{escape(report.recheck.script_sha256)}</summary>'
                   f'<pre class="script">{escape(report.recheck.script_source)}</pre>'
                   "</details>")
    out.append(
        f"<footer>{escape(report.report_id)} · {escape(report.digest)} · "
        f"{escape(report.tool)}</footer>")
    out.append("</main></body></html>")
    # the CJK fonts, cut down to the characters this page shows (evidence.report.webfonts)
    faces = font_faces("".join(out))
    slot = out.index(_FONTS_SLOT)
    out[slot:slot + 1] = [f"<style>{faces}</style>"] if faces else []
    return ("\n".join(out) + "\n").encode("utf-8")


def _block(block: object) -> str:
    if isinstance(block, Heading):
        return f'<h{block.level} id="{escape(block.anchor)}">{escape(block.text)}</h{block.level}>'
    if isinstance(block, Para):
        if block.style in ("good", "bad", "caution"):
            return f'<p class="verdict {block.style}">{_text(block.text)}</p>'
        cls = "" if block.style == "body" else f' class="{block.style}"'
        return f"<p{cls}>{_text(block.text)}</p>"
    if isinstance(block, KeyValue):
        th = ("<th>" if block.label_share == _KV_LABEL_SHARE
              else f'<th style="width:{block.label_share}%">')
        rows = "".join(
            f"<tr>{th}{_text(k)}</th><td{_MONO if mono else ''}>{_text(v)}</td></tr>"
            for k, v, mono in block.rows)
        return f'<table class="kv">{rows}</table>'
    if isinstance(block, Table):
        return _table(block)
    if isinstance(block, Code):
        return f"<pre>{escape(block.text)}</pre>"
    if isinstance(block, Bullets) and block.style != "body":
        items = "".join(f"<li>{_text(i)}</li>" for i in block.items)
        return f'<ul class="{escape(block.style)}">{items}</ul>'
    if isinstance(block, Bullets):
        return "<ul>" + "".join(f"<li>{_text(i)}</li>" for i in block.items) + "</ul>"
    if isinstance(block, FullImage):
        t = block.image
        data = base64.b64encode(t.full).decode("ascii")
        return (f'<figure class="full"><img src="data:{escape(t.full_media_type)};base64,'
                f'{data}" width="{t.full_width}" height="{t.full_height}" '
                f'alt="{escape(block.caption)}"><figcaption>{escape(block.caption)}'
                "</figcaption></figure>")
    if isinstance(block, Columns):
        grid = ("" if not block.widths else ' style="grid-template-columns: '
                + " ".join(f"minmax(0, {w}fr)" for w in block.widths) + '"')
        return (f'<div class="cols"{grid}>' + "".join(
            "<div>" + "".join(_block(b) for b in column) + "</div>" for column in block.columns)
            + "</div>")
    if isinstance(block, PageBreak):
        return '<div class="pagebreak"></div>'
    if isinstance(block, Images):
        figs = []
        for thumb, caption in block.images:
            data = base64.b64encode(thumb.png).decode("ascii")
            figs.append(
                f'<figure><img src="data:image/png;base64,{data}" width="{thumb.width}" '
                f'height="{thumb.height}" alt="{escape(caption)}">'
                f"<figcaption>{escape(caption)}</figcaption></figure>")
        return '<div class="thumbs">' + "".join(figs) + "</div>"
    raise TypeError(f"unknown block {type(block).__name__}")  # pragma: no cover


def _table(t: Table) -> str:
    total = sum(t.widths) or 1
    cols = "".join(f'<col style="width:{100 * w / total:.1f}%">' for w in t.widths)
    head = "".join(f"<th>{_text(h)}</th>" for h in t.header)
    body = []
    for n, row in enumerate(t.rows):
        flag = t.flags[n] if n < len(t.flags) else ""
        cls = f' class="{flag}"' if flag else ""
        cells = "".join(
            f"<td{_MONO if i in t.mono else ''}>{_text(c)}</td>"
            for i, c in enumerate(row))
        body.append(f"<tr{cls}>{cells}</tr>")
    return (f"<table><colgroup>{cols}</colgroup><thead><tr>{head}</tr></thead>"
            f"<tbody>{''.join(body)}</tbody></table>")
