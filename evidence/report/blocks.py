"""The blocks a report is laid out in (:mod:`evidence.report.layout`), rendered alike by
HTML and PDF: headings, paragraphs, key-value lists, tables, code, bullets, images, the
page break after page one. Apart from the layout so that page one (:mod:`evidence.report.
pageone`), which the layout calls, can build blocks without a circle."""

from __future__ import annotations

from dataclasses import dataclass

from .model import Thumbnail

__all__ = ["Block", "Bullets", "Code", "Columns", "FullImage", "Heading", "Images", "KeyValue",
           "PageBreak", "Para", "Table"]


@dataclass(frozen=True)
class Heading:
    level: int
    text: str
    anchor: str


@dataclass(frozen=True)
class Para:
    """A paragraph; ``style`` is body, small, note, warning, good, bad or caution."""

    text: str
    style: str = "body"


@dataclass(frozen=True)
class KeyValue:
    """Label/value rows; ``mono`` marks values shown in a fixed-width font (digests)."""

    rows: tuple[tuple[str, str, bool], ...]
    #: The label column's share of the width, in percent (page one in two languages gives
    #: its two-language labels more, so each fits one line).
    label_share: int = 32
    #: Tighter cell padding (page one in two languages).
    compact: bool = False


@dataclass(frozen=True)
class Table:
    """A table; cells may hold line breaks. ``widths`` are relative column weights;
    ``flags`` marks rows (``""``, ``"bad"`` or ``"good"``)."""

    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    widths: tuple[int, ...]
    mono: frozenset[int] = frozenset()
    flags: tuple[str, ...] = ()


@dataclass(frozen=True)
class Code:
    text: str


@dataclass(frozen=True)
class Bullets:
    """A bulleted list; ``style`` ``compact`` sets it in smaller type (page one in two
    languages, never below 8 pt)."""

    items: tuple[str, ...]
    style: str = "body"


@dataclass(frozen=True)
class Images:
    images: tuple[tuple[Thumbnail, str], ...]


@dataclass(frozen=True)
class FullImage:
    """One screenshot in full, on a page of its own (PDF) or at its own size (HTML)."""

    image: Thumbnail
    caption: str


@dataclass(frozen=True)
class PageBreak:
    """The end of page one: the rest starts on a new page (PDF, and HTML when printed)."""


@dataclass(frozen=True)
class Columns:
    """Blocks side by side, one tuple of blocks per column: page one of a report in two
    languages sets its lists English left, Chinese right, to fit one page (issue 14).
    Narrow screens stack the columns."""

    columns: tuple[tuple[Block, ...], ...]
    #: Relative column widths (English runs longer than Chinese); equal when empty.
    widths: tuple[int, ...] = ()


Block = (Heading | Para | KeyValue | Table | Code | Bullets | Images | PageBreak | FullImage
         | Columns)
