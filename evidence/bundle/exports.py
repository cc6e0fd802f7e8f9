"""How a bundle's exports were read, from its signed provenance, and their spreadsheet rows.

Capture records each export's format, text encoding and, for CSV, separator and quote
character in ``provenance.json`` (member ``exports``, see docs/formats.md). A CSV record's
locator ``"row N"`` names the **file line** N where the record starts; the row a
spreadsheet program shows differs when a quoted cell spans lines or a line is blank.
:func:`sheet_rows` maps one to the other by reading the export again as capture read it.
"""

from __future__ import annotations

import codecs
import csv
from collections.abc import Mapping
from pathlib import Path

__all__ = ["MAX_CSV_SHEET_BYTES", "export_dialects", "file_line", "sheet_rows"]

#: CSV exports larger than this are not re-read for spreadsheet rows (the file line stays).
MAX_CSV_SHEET_BYTES = 256 * 1024 * 1024


def export_dialects(provenance: object) -> dict[str, dict[str, str]]:
    """``{bag path of an export: {"format", "encoding", "delimiter", "quotechar"}}`` as the
    provenance records them (bundles made before this was recorded: {})."""
    out: dict[str, dict[str, str]] = {}
    exports = provenance.get("exports") if isinstance(provenance, dict) else None
    if isinstance(exports, list):
        for entry in exports:
            if isinstance(entry, dict) and isinstance(entry.get("path"), str):
                out[entry["path"]] = {str(k): str(v) for k, v in entry.items() if k != "path"}
    return out


def file_line(locator: str | None) -> int | None:
    """The file line of a CSV record's locator ``"row N"`` (None for other locators)."""
    if locator and locator.startswith("row ") and locator[4:].isdigit():
        return int(locator[4:])
    return None


def sheet_rows(path: Path, dialect: Mapping[str, str] | None = None, *,
               max_bytes: int = MAX_CSV_SHEET_BYTES) -> dict[int, int]:
    """For a CSV export: {file line where a row starts: the row a spreadsheet shows}.

    A spreadsheet numbers CSV rows, not lines: a quoted cell spanning lines is one row,
    and a blank line is an (empty) row; row 1 is the header. Read with :mod:`csv` as
    capture read it (``dialect``: encoding, separator, quote; default UTF-8 and ``,``; a
    UTF-8 BOM skipped); {} when the file cannot be read so or is over ``max_bytes``.
    """
    dialect = dialect or {}
    out: dict[int, int] = {}
    try:
        codec = codecs.lookup(dialect.get("encoding", "utf-8")).name
        if path.stat().st_size > max_bytes:
            return {}
        with path.open(encoding="utf-8-sig" if codec == "utf-8" else codec,
                       newline="") as fh:
            reader = csv.reader(fh, strict=True, delimiter=dialect.get("delimiter", ","),
                                quotechar=dialect.get("quotechar", '"'))
            start = 1
            for sheet_row, _values in enumerate(reader, start=1):
                out[start] = sheet_row
                start = reader.line_num + 1
    except (OSError, UnicodeDecodeError, LookupError, TypeError, csv.Error):
        return {}
    return out
