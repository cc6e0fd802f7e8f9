"""The CJK fonts of an HTML report, embedded as ``@font-face`` rules with ``data:`` URIs.

What: :func:`font_faces` returns the CSS that gives the family ``EvCJK`` two faces cut down
to exactly the CJK characters (U+2E80 and above) the page shows: weight 400 from the
shipped regular CJK font (Droid Sans Fallback) and weight 700 from the shipped bold subset
of Noto Sans CJK SC Bold (fonts/SOURCE.md). A character the bold subset lacks is added to
the 700 face from the regular font, restricted by ``unicode-range``, so a bold heading never
shows a missing-glyph box.

Why embedded: the HTML report is one self-contained file with no external reference (see
:mod:`evidence.report.html`); without a font of its own a Chinese page shows boxes on a
machine without CJK fonts (a court's archive, headless Chromium) and its headings are bold
only if the reader's system has a bold CJK face. Cutting the fonts down to the page's
characters keeps it small (about 260 KB of base64 for a whole Chinese report, not the fonts'
megabytes). The subsets are made with
fontTools' subsetter, with the timestamp kept, so the same page gives the same bytes
(reproducible reports, issue 14 Deliver 5).

Failures: a missing font file raises :class:`~evidence.errors.EvidenceError`.
"""

from __future__ import annotations

import base64
import functools
import io
from pathlib import Path

from evidence.errors import EvidenceError

__all__ = ["CJK_FAMILY", "CJK_FROM", "font_faces"]

FONT_DIR = Path(__file__).resolve().parent / "fonts"
REGULAR_FILE = "DroidSansFallbackFull.ttf"
BOLD_FILE = "NotoSansSC-Bold-subset.ttf"

#: The CSS family name the page's font stacks end with.
CJK_FAMILY = "EvCJK"

#: The first code point embedded (CJK Radicals Supplement); below it the Latin fonts serve.
CJK_FROM = 0x2E80


def _path(name: str) -> Path:
    path = FONT_DIR / name
    if not path.is_file():
        raise EvidenceError(f"{path}: report font missing; reinstall evidence-anchor")
    return path


@functools.cache
def _cmap(name: str) -> frozenset[int]:
    from fontTools.ttLib import TTFont

    with TTFont(str(_path(name)), lazy=True) as font:
        return frozenset(font.getBestCmap())


@functools.lru_cache(maxsize=16)
def _subset(name: str, chars: frozenset[int]) -> bytes:
    """The TrueType font ``name`` cut down to ``chars`` (deterministic bytes)."""
    from fontTools import subset
    from fontTools.ttLib import TTFont

    options = subset.Options()
    options.layout_features = []
    options.hinting = False
    options.name_IDs = [0, 1, 2, 3, 4, 5, 6, 13, 14]
    options.recalc_timestamp = False
    with TTFont(str(_path(name)), lazy=True, recalcTimestamp=False) as font:
        subsetter = subset.Subsetter(options)
        subsetter.populate(unicodes=chars)
        subsetter.subset(font)
        out = io.BytesIO()
        font.save(out)
    return out.getvalue()


def _ranges(chars: frozenset[int]) -> str:
    """A CSS ``unicode-range`` value for ``chars``."""
    spans: list[tuple[int, int]] = []
    for c in sorted(chars):
        if spans and spans[-1][1] == c - 1:
            spans[-1] = (spans[-1][0], c)
        else:
            spans.append((c, c))
    return ",".join(f"U+{a:X}" if a == b else f"U+{a:X}-{b:X}" for a, b in spans)


def _face(weight: int, data: bytes, chars: frozenset[int]) -> str:
    """One face; its ``unicode-range`` tells the browser which characters it serves before
    it is loaded, so the Latin text never waits for it and never falls into it."""
    uri = "data:font/ttf;base64," + base64.b64encode(data).decode("ascii")
    return (f'@font-face{{font-family:"{CJK_FAMILY}";font-style:normal;font-weight:{weight};'
            f'font-display:block;unicode-range:{_ranges(chars)};'
            f'src:url({uri}) format("truetype");}}')


def font_faces(text: str) -> str:
    """The ``@font-face`` rules for the CJK characters of ``text`` ("" when it has none)."""
    chars = frozenset(ord(c) for c in text if ord(c) >= CJK_FROM)
    if not chars:
        return ""
    regular = chars & _cmap(REGULAR_FILE)
    bold = chars & _cmap(BOLD_FILE)
    rules = []
    if regular:
        rules.append(_face(400, _subset(REGULAR_FILE, regular), regular))
    if bold:
        rules.append(_face(700, _subset(BOLD_FILE, bold), bold))
    fallback = regular - bold  # bold text with a character the bold subset lacks
    if fallback:
        rules.append(_face(700, _subset(REGULAR_FILE, fallback), fallback))
    return "\n".join(rules)
