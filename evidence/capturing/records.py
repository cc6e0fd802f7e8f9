"""Transaction exports (CSV, JSON array, JSON Lines) read as a stream of records.

Each record later becomes one evidence item, canonicalized with RFC 8785
(:mod:`evidence.standards.jcs`),
so this module's job is to read an export exactly, one record at a time, and to stop with a
precise message (file and row or line) at the first thing it cannot read exactly. It never
reads a whole file into memory: memory is bounded by :data:`MAX_RECORD_BYTES` plus one read
buffer, whatever the number of records.

Formats (from the file extension, or named with ``fmt``):

``csv`` (``.csv``)
    A header row is required; its names must be non-empty and distinct. Values are kept
    exactly as text: no number conversion, no stripping (``"007"``, ``"45.00"`` and ``" x "``
    stay as written). Parsed by :mod:`csv` (RFC 4180 dialect, strict quoting). Rows made only
    of a line break are skipped (they hold no data). A UTF-8 byte order mark at the start is
    stripped, because spreadsheet programs write one. The separator is ``,`` unless named
    (``delimiter``: ``;`` for European Excel, tab, ``|``), the quote ``"`` unless named
    (``quotechar``). A header that reads as one column but holds ``;``, a tab or ``|`` is
    refused, naming the likely separator, unless a delimiter was named: otherwise a
    semicolon export would be captured as one-column garbage. Locators are ``"row N"``
    where N is the **file line** where the record starts (1-based; line 1 is the header),
    as an editor numbers lines; the row a spreadsheet program shows can differ (a quoted
    cell spanning lines) and is given by :func:`evidence.bundle.exports.sheet_rows`.
``json`` (``.json``)
    One top-level array of objects, streamed element by element under the strict rules of
    :func:`evidence.standards.ijson.loads_strict` (no BOM, no duplicate names, exact numbers...).
    Locators are ``"element N"``, counting from 1.
``jsonl`` (``.jsonl``, ``.ndjson``)
    One object per non-empty line (JSON Lines), each strict as above; a BOM is rejected.
    Locators are ``"line N"`` (1-based).

:attr:`Record.index` counts records from 0 in file order; locators are 1-based, as people
count rows and lines. Every failure is a :class:`~evidence.errors.FormatError` naming the file
and, where it has one, the row, line or element; an unknown encoding or format name, or a file
that cannot be opened, is an :class:`~evidence.errors.InputError`.
"""

from __future__ import annotations

import codecs
import csv
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from evidence.errors import FormatError, InputError
from evidence.standards.ijson import iter_array_strict, loads_strict
from evidence.standards.jcs import JSONValue

__all__ = [
    "DEFAULT_DELIMITER",
    "DEFAULT_QUOTECHAR",
    "FORMATS",
    "MAX_RECORD_BYTES",
    "SEPARATOR_SUSPECTS",
    "ExportDialect",
    "Record",
    "csv_dialect",
    "detect_format",
    "iter_csv_rows",
    "iter_records",
    "normalize_format",
]

#: Largest record accepted, measured as the UTF-8 size of its source text (a CSV row, a JSON
#: element, a JSON Lines line). A real transaction record is well under 10 KiB; 1 MiB leaves
#: a hundredfold margin for long titles or embedded notes, keeps memory bounded per record,
#: and turns a broken export (an unclosed quote swallowing the rest of the file, a file with
#: no line breaks) into a prompt error instead of an attempt to hold gigabytes.
MAX_RECORD_BYTES = 1024 * 1024

#: Format names accepted by ``fmt``.
FORMATS = ("csv", "json", "jsonl")

#: CSV separator and quote character unless named (RFC 4180 §2).
DEFAULT_DELIMITER = ","
DEFAULT_QUOTECHAR = '"'

#: Separators that a one-column header holding them most likely means (European Excel
#: writes ``;``, many tools tab or ``|``); such a header is refused unless a delimiter is named.
SEPARATOR_SUSPECTS = {";": "';'", "\t": "tab ('\\t')", "|": "'|'"}

#: Names accepted for a delimiter besides the character itself.
_DELIMITER_NAMES = {"tab": "\t", "\\t": "\t", "semicolon": ";", "comma": ",", "pipe": "|"}

_EXTENSIONS = {".csv": "csv", ".json": "json", ".jsonl": "jsonl", ".ndjson": "jsonl"}

#: Bytes read per step when locating an undecodable byte (error path only).
_SCAN_CHUNK = 64 * 1024

_ENCODING_HINT = (
    "if the export uses another encoding, name it with --encoding (e.g. cp1252, gb18030)"
)


@dataclass(frozen=True)
class Record:
    """One record of an export.

    ``index`` counts from 0 in file order; ``locator`` says where it is in the file for people
    (``"row 5"``, ``"element 3"``, ``"line 12"``; 1-based); ``fields`` are the record's names
    and values (all strings for CSV).
    """

    index: int
    locator: str
    fields: dict[str, JSONValue]


@dataclass(frozen=True)
class ExportDialect:
    """How to read one export: its format, text encoding and, for CSV, separator and quote.

    ``fmt`` None means "from the file extension" (:func:`detect_format`); ``delimiter`` and
    ``quotechar`` None mean the defaults (``,`` and ``"``), with the one-column header check.
    Recorded in the signed provenance (:meth:`resolve`) so that a reader knows how the
    records were read.
    """

    fmt: str | None = None
    encoding: str = "utf-8"
    delimiter: str | None = None
    quotechar: str | None = None

    def resolve(self, path: Path) -> dict[str, str]:
        """The dialect as recorded for ``path`` (checked: InputError/FormatError):
        ``format``, ``encoding`` (codec name), and for CSV ``delimiter`` and ``quotechar``."""
        fmt = normalize_format(self.fmt) if self.fmt is not None else detect_format(path)
        out = {"format": fmt, "encoding": _codec(self.encoding)}
        if fmt == "csv":
            delimiter, quotechar = csv_dialect(self.delimiter, self.quotechar)
            out["delimiter"] = delimiter
            out["quotechar"] = quotechar
        elif self.delimiter is not None or self.quotechar is not None:
            raise InputError(f"{path.name}: --delimiter and --quotechar apply to CSV only, "
                             f"not to {fmt}")
        return out


def normalize_format(fmt: str) -> str:
    """``fmt`` as one of :data:`FORMATS` (``ndjson`` is ``jsonl``; any case); InputError."""
    name = {"ndjson": "jsonl"}.get(fmt.lower(), fmt.lower())
    if name not in FORMATS:
        raise InputError(f"unknown record format {fmt!r}; use one of {', '.join(FORMATS)}")
    return name


def csv_dialect(delimiter: str | None, quotechar: str | None) -> tuple[str, str]:
    """The CSV separator and quote character, checked: one character each, different,
    neither a line break. ``tab``, ``\\t``, ``semicolon``, ``comma`` and ``pipe`` name
    separators. Raises InputError."""
    sep = DEFAULT_DELIMITER if delimiter is None else _DELIMITER_NAMES.get(
        delimiter.lower(), delimiter)
    quote = DEFAULT_QUOTECHAR if quotechar is None else quotechar
    for what, char in (("delimiter", sep), ("quote character", quote)):
        if len(char) != 1 or char in "\r\n":
            raise InputError(f"the CSV {what} must be one character (not a line break), "
                             f"got {char!r}; e.g. --delimiter ';' or --delimiter tab")
    if sep == quote:
        raise InputError(f"the CSV delimiter and quote character are both {sep!r}")
    return sep, quote


def _codec(encoding: str) -> str:
    try:
        return codecs.lookup(encoding).name
    except LookupError:
        raise InputError(f"unknown encoding {encoding!r}") from None


def detect_format(path: Path) -> str:
    """Return ``"csv"``, ``"json"`` or ``"jsonl"`` from the extension of ``path``.

    Raises :class:`FormatError` for any other extension.
    """
    suffix = Path(path).suffix.lower()
    try:
        return _EXTENSIONS[suffix]
    except KeyError:
        raise FormatError(
            f"cannot tell the export format from the extension {suffix or '(none)'!r}; "
            "use .csv, .json, .jsonl or .ndjson, or name the format (csv, json, jsonl)",
            path=str(path),
        ) from None


def iter_records(
    path: Path, *, encoding: str = "utf-8", fmt: str | None = None,
    delimiter: str | None = None, quotechar: str | None = None,
) -> Iterator[Record]:
    """Yield the records of the export at ``path``, one at a time, in file order.

    ``fmt`` overrides the format detected from the extension (:func:`detect_format`);
    ``encoding`` is the text encoding of the file (UTF-8 by default; JSON should always be
    UTF-8, RFC 8259 §8.1); ``delimiter`` and ``quotechar`` are CSV's separator and quote
    (see :class:`ExportDialect`; named for another format: InputError).

    The format and encoding names are checked at once (:class:`InputError`,
    :class:`FormatError`); the file itself is read lazily, so its errors
    (:class:`FormatError` naming the file and the row, line or element) come from iteration.
    An export with no records is an error too ("no records").
    """
    path = Path(path)
    dialect = ExportDialect(fmt, encoding, delimiter, quotechar).resolve(path)
    fmt, codec = dialect["format"], dialect["encoding"]
    if fmt == "csv":
        return _iter_csv(path, codec, dialect["delimiter"], dialect["quotechar"],
                         delimiter is not None)
    readers: dict[str, Callable[[Path, str], Iterator[Record]]] = {
        "json": _iter_json,
        "jsonl": _iter_jsonl,
    }
    return readers[fmt](path, codec)


# ---------------------------------------------------------------------------------------------
# CSV
# ---------------------------------------------------------------------------------------------


class _Lines:
    """Physical lines of a text file for :func:`csv.reader`, counted and size-bounded.

    ``count`` is the number of lines handed out so far; ``row_bytes`` the UTF-8 size of the
    lines since the caller last reset it (one CSV row may span lines inside quotes).
    """

    def __init__(self, handle: IO[str], path: Path):
        self.handle = handle
        self.path = path
        self.count = 0
        self.row_bytes = 0
        self.row_start = 1

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        # Reading at most MAX_RECORD_BYTES + 1 characters keeps a file without line breaks
        # from being read whole; any longer line is over the limit anyway.
        line = self.handle.readline(MAX_RECORD_BYTES + 1)
        if not line:
            raise StopIteration
        self.count += 1
        # An ASCII line's UTF-8 size is its length (str.isascii is O(1) in CPython).
        self.row_bytes += len(line) if line.isascii() else len(
            line.encode("utf-8", "surrogatepass"))
        if self.row_bytes > MAX_RECORD_BYTES:
            raise FormatError(
                f"row is larger than {MAX_RECORD_BYTES} bytes (MAX_RECORD_BYTES); "
                "is a quote left open?",
                path=str(self.path),
                where=f"row {self.row_start}",
            )
        return line


def _iter_csv(path: Path, codec: str, delimiter: str, quotechar: str,
              named: bool) -> Iterator[Record]:
    rows = _iter_csv_rows(path, codec, delimiter, quotechar, named)
    _, header = next(rows)
    for index, (row_number, row) in enumerate(rows):
        fields: dict[str, JSONValue] = dict(zip(header, row, strict=True))
        yield Record(index, f"row {row_number}", fields)


def iter_csv_rows(path: Path, *, encoding: str = "utf-8", delimiter: str | None = None,
                  quotechar: str | None = None) -> Iterator[tuple[int, list[str]]]:
    """Yield the rows of a CSV export as ``(row number, values)``: the header row first.

    The lower layer of :func:`iter_records` for CSV, for callers that encode many records
    with the same names (:class:`evidence.standards.jcs.StringRecordEncoder`) and need no
    :class:`Record` per row. Same reading rules and errors: the header is checked (names
    non-empty and distinct), every later row has as many values as the header, the row
    number is the ``N`` of the locator ``"row N"``, and an export without a data row raises
    :class:`FormatError` ("no records") once the header has been yielded.
    An unknown encoding or a bad delimiter is an :class:`InputError`, raised at once.
    """
    codec = _codec(encoding)
    sep, quote = csv_dialect(delimiter, quotechar)
    return _iter_csv_rows(Path(path), codec, sep, quote, delimiter is not None)


def _iter_csv_rows(path: Path, codec: str, delimiter: str = DEFAULT_DELIMITER,
                   quotechar: str = DEFAULT_QUOTECHAR,
                   named: bool = False) -> Iterator[tuple[int, list[str]]]:
    # utf-8-sig decodes UTF-8 and drops one BOM at the very start (spreadsheet exports).
    text_codec = "utf-8-sig" if codec == "utf-8" else codec
    with _open_text(path, text_codec, newline="") as handle:
        lines = _Lines(handle, path)
        reader = csv.reader(lines, strict=True, delimiter=delimiter, quotechar=quotechar)
        header: list[str] | None = None
        width = 0
        count = 0
        while True:
            lines.row_start = lines.count + 1
            lines.row_bytes = 0
            try:
                row = next(reader)
            except StopIteration:
                break
            except csv.Error as exc:
                raise FormatError(
                    f"not valid CSV: {exc}", path=str(path), where=f"row {lines.row_start}"
                ) from exc
            except UnicodeDecodeError as exc:
                raise _decoding_error(path, codec, text_codec) from exc
            if not row:
                continue  # a line with nothing but its line break
            if header is None:
                _check_header(row, path, f"row {lines.row_start}")
                if len(row) == 1 and not named:
                    _check_separator(row[0], path, f"row {lines.row_start}")
                header, width = row, len(row)
            elif len(row) != width:
                raise FormatError(
                    f"has {len(row)} fields but the header has {width}; "
                    "check for a missing or extra separator or quote",
                    path=str(path),
                    where=f"row {lines.row_start}",
                )
            else:
                count += 1
            yield lines.row_start, row
    if count == 0:
        detail = "the file is empty" if header is None else "it has only a header row"
        raise FormatError(f"no records: {detail}", path=str(path))


def _check_separator(name: str, path: Path, where: str) -> None:
    """Refuse a one-column header holding a likely separator (see SEPARATOR_SUSPECTS)."""
    for char, label in SEPARATOR_SUSPECTS.items():
        if char in name:
            option = "tab" if char == "\t" else f"'{char}'"
            raise FormatError(
                f"the header reads as one column but contains {label}: the separator is "
                f"probably {label}; name it with --delimiter {option} (or --delimiter , to "
                "keep one column)",
                path=str(path),
                where=where,
            )


def _check_header(header: list[str], path: Path, where: str) -> None:
    seen: dict[str, int] = {}
    for column, name in enumerate(header, start=1):
        if name == "":
            raise FormatError(
                f"header column {column} has no name; every column needs a distinct name",
                path=str(path),
                where=where,
            )
        if name in seen:
            raise FormatError(
                f"header names {name!r} twice (columns {seen[name]} and {column}); "
                "column names must be distinct",
                path=str(path),
                where=where,
            )
        seen[name] = column


# ---------------------------------------------------------------------------------------------
# JSON array and JSON Lines
# ---------------------------------------------------------------------------------------------


def _iter_json(path: Path, codec: str) -> Iterator[Record]:
    index = 0
    # newline="": no translation, so positions in errors are those of the file.
    with _open_text(path, codec, newline="") as handle:
        if os.fstat(handle.fileno()).st_size == 0:
            raise FormatError("no records: the file is empty", path=str(path))
        elements = iter_array_strict(handle, path=str(path), max_element_bytes=MAX_RECORD_BYTES)
        while True:
            try:
                value = next(elements)
            except StopIteration:
                break
            except UnicodeDecodeError as exc:
                raise _decoding_error(path, codec, codec) from exc
            locator = f"element {index + 1}"
            if not isinstance(value, dict):
                raise FormatError(
                    f"is {_describe(value)}, but each element must be an object (one record)",
                    path=str(path),
                    where=locator,
                )
            yield Record(index, locator, value)
            index += 1
    if index == 0:
        raise FormatError("no records: the array is empty", path=str(path))


def _iter_jsonl(path: Path, codec: str) -> Iterator[Record]:
    index = 0
    line_number = 0
    # newline="\n": JSON Lines ends lines with LF only; a CR before it is JSON whitespace.
    with _open_text(path, codec, newline="\n") as handle:
        while True:
            try:
                line = handle.readline(MAX_RECORD_BYTES + 1)
            except UnicodeDecodeError as exc:
                raise _decoding_error(path, codec, codec) from exc
            if not line:
                break
            line_number += 1
            locator = f"line {line_number}"
            if len(line.encode("utf-8", "surrogatepass")) > MAX_RECORD_BYTES:
                raise FormatError(
                    f"line is larger than {MAX_RECORD_BYTES} bytes (MAX_RECORD_BYTES)",
                    path=str(path),
                    where=locator,
                )
            if not line.strip(" \t\r\n"):
                continue
            value = loads_strict(line, path=str(path), first_line=line_number)
            if not isinstance(value, dict):
                raise FormatError(
                    f"is {_describe(value)}, but each line must hold one object (one record)",
                    path=str(path),
                    where=locator,
                )
            yield Record(index, locator, value)
            index += 1
    if index == 0:
        raise FormatError("no records: the file has no non-empty lines", path=str(path))


def _describe(value: JSONValue) -> str:
    if isinstance(value, list):
        return "an array"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, bool) or value is None:
        return f"the literal {'null' if value is None else str(value).lower()}"
    return "a number"


# ---------------------------------------------------------------------------------------------
# Files and decoding errors
# ---------------------------------------------------------------------------------------------


def _open_text(path: Path, codec: str, *, newline: str) -> IO[str]:
    try:
        return path.open("r", encoding=codec, errors="strict", newline=newline)
    except OSError as exc:
        raise InputError(f"{path}: cannot open the export: {exc.strerror or exc}") from exc


def _decoding_error(path: Path, codec: str, text_codec: str) -> FormatError:
    """Build the error for an undecodable file, naming the line of the first bad byte.

    Text files decode in blocks, so the exception does not say which line failed; the file
    is scanned again, line by line in binary, to find it (only on this error path).
    """
    line, byte = _locate_undecodable(path, text_codec)
    detail = f" (byte 0x{byte:02x})" if byte is not None else ""
    return FormatError(
        f"cannot be decoded as {codec}{detail}; {_ENCODING_HINT}",
        path=str(path),
        where=f"line {line}" if line is not None else None,
    )


def _locate_undecodable(path: Path, codec: str) -> tuple[int | None, int | None]:
    decoder = codecs.getincrementaldecoder(codec)(errors="strict")
    line = 1
    try:
        with path.open("rb") as handle:
            while chunk := handle.readline(_SCAN_CHUNK):
                try:
                    decoder.decode(chunk)
                except UnicodeDecodeError as exc:
                    start = max(0, min(exc.start, len(chunk)))
                    bad = exc.object[exc.start] if exc.start < len(exc.object) else None
                    return line + chunk.count(b"\n", 0, start), bad
                line += chunk.count(b"\n")
            decoder.decode(b"", final=True)
    except UnicodeDecodeError as exc:  # truncated sequence at the end of the file
        return line, exc.object[exc.start] if exc.start < len(exc.object) else None
    except OSError:
        return None, None
    return None, None
