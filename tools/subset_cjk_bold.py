#!/usr/bin/env python3
"""Make evidence/report/fonts/NotoSansSC-Bold-subset.ttf, the bold CJK face of the reports'
headings, from Noto Sans CJK SC Bold (SIL OFL 1.1; see the SOURCE.md beside the font).

Usage: python tools/subset_cjk_bold.py NotoSansCJK-Bold.ttc OUT.ttf

The collection's Simplified Chinese face (``Noto Sans CJK SC Bold``) is cut down with
fontTools' subsetter to: the 3,755 hanzi of GB2312 level 1 (the GB2312 bytes 0xB0A1 to
0xD7F9), every character U+2E80 and above in the package's own source and data files (every
Chinese label, heading and legal statement the reports print), CJK symbols and punctuation
(U+3000-U+303F) and the full-width forms (U+FF00-U+FFEF). Latin stays with DejaVu Sans Bold.

Its CFF outlines are then converted to TrueType quadratic outlines (fontTools' cu2qu,
maximum error 1 unit of 1000), because reportlab embeds TrueType outlines only. Needs
``fonttools`` (``pip install fonttools``); only this tool does, not the package.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

PACKAGE = Path(__file__).resolve().parent.parent / "evidence"

#: The collection's face index of Noto Sans CJK SC Bold (JP, KR, SC, TC, HK, then Mono).
SC_BOLD_INDEX = 2

#: cu2qu's allowed distance between the cubic and quadratic outlines, in font units.
MAX_ERROR = 1.0


def gb2312_level1() -> set[int]:
    """The 3,755 hanzi of GB2312 level 1 (rows 16 to 55)."""
    chars: set[int] = set()
    for row in range(0xB0, 0xD8):
        for cell in range(0xA1, 0xFF):
            try:
                chars.update(ord(c) for c in bytes([row, cell]).decode("gb2312"))
            except UnicodeDecodeError:
                continue
    return chars


def package_cjk() -> set[int]:
    """Every character at or above U+2E80 in the package's text files."""
    chars: set[int] = set()
    for path in PACKAGE.rglob("*"):
        if path.suffix in {".py", ".toml", ".json", ".md", ".txt", ".csv"} and path.is_file():
            chars.update(ord(c) for c in path.read_text(encoding="utf-8", errors="ignore")
                         if ord(c) >= 0x2E80)
    return chars


def wanted() -> set[int]:
    return (gb2312_level1() | package_cjk() | set(range(0x3000, 0x3040))
            | set(range(0xFF00, 0xFFF0)))


def to_truetype(f: Any) -> None:
    """Replace ``font``'s CFF outlines by TrueType ones, in place."""
    from fontTools.pens.cu2quPen import Cu2QuPen
    from fontTools.pens.ttGlyphPen import TTGlyphPen
    from fontTools.ttLib import newTable

    glyph_set = f.getGlyphSet()
    order = f.getGlyphOrder()
    glyphs = {}
    for name in order:
        pen = TTGlyphPen(glyph_set)
        glyph_set[name].draw(Cu2QuPen(pen, MAX_ERROR, reverse_direction=True))
        glyphs[name] = pen.glyph()
    glyf = newTable("glyf")
    glyf.glyphOrder = order
    glyf.glyphs = glyphs
    f["glyf"] = glyf
    f["loca"] = newTable("loca")
    maxp = f["maxp"]
    maxp.tableVersion = 0x00010000
    for field in ("maxZones", "maxTwilightPoints", "maxStorage", "maxFunctionDefs",
                  "maxInstructionDefs", "maxStackElements", "maxSizeOfInstructions",
                  "maxComponentElements"):
        setattr(maxp, field, 0)
    maxp.maxZones = 1
    post = f["post"]
    post.formatType = 2.0
    post.extraNames = []
    post.mapping = {}
    post.glyphOrder = order
    head = f["head"]
    head.indexToLocFormat = 0
    head.glyphDataFormat = 0
    for table in ("CFF ", "VORG"):
        if table in f:
            del f[table]
    f.sfntVersion = "\x00\x01\x00\x00"


def main(argv: list[str]) -> int:
    from fontTools import subset
    from fontTools.ttLib import TTCollection

    if len(argv) != 2:
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    source, out = Path(argv[0]), Path(argv[1])
    font = TTCollection(str(source)).fonts[SC_BOLD_INDEX]
    options = subset.Options()
    options.layout_features = []  # headings need no OpenType features
    options.hinting = False
    options.name_IDs = [0, 1, 2, 3, 4, 5, 6, 7, 13, 14]
    options.notdef_outline = True
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=wanted())
    subsetter.subset(font)
    to_truetype(font)
    font.recalcTimestamp = False  # keep the source's date: the same input gives the same bytes
    font.save(str(out))
    print(f"{out}: {len(font.getBestCmap())} characters, {out.stat().st_size} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
