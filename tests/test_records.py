"""Tests for evidence.capturing.records: CSV, JSON array and JSON Lines exports read as records."""

from __future__ import annotations

import subprocess
import sys
import tracemalloc
from pathlib import Path

import pytest

from evidence.capturing import records
from evidence.capturing.records import MAX_RECORD_BYTES, Record, detect_format, iter_records
from evidence.errors import FormatError, InputError
from evidence.standards.jcs import canonicalize

REPO = Path(__file__).resolve().parents[1]
ASSETS = Path(__file__).resolve().parent / "assets" / "records"
EXAMPLES = REPO / "evidence" / "data" / "examples"


def read(name: str, **options: str) -> list[Record]:
    return list(iter_records(ASSETS / name, **options))


# --- good inputs -----------------------------------------------------------------------------


def test_csv_values_kept_exactly_as_text() -> None:
    got = read("csv_text_kept.csv")
    assert got == [
        Record(0, "row 2", {"order_id": "007", "price": "45.00", "note": " x "}),
        Record(1, "row 3", {"order_id": "0012", "price": "1e3", "note": ""}),
    ]


def test_csv_bom_stripped_crlf_blank_and_multiline_rows() -> None:
    got = read("csv_bom_crlf.csv")
    assert [r.locator for r in got] == ["row 2", "row 4", "row 6"]  # physical start lines
    assert list(got[0].fields) == ["order_id", "price"]  # no "\ufefforder_id"
    assert got[1].fields == {"order_id": "A-2", "price": "multi\r\nline"}
    assert [r.index for r in got] == [0, 1, 2]


def test_csv_other_encoding() -> None:
    got = read("csv_cp1252.csv", encoding="cp1252")
    assert got[0].fields == {"order_id": "A-1", "seller": "Café Müller €"}


def test_json_array_records() -> None:
    got = read("json_good.json")
    assert got == [
        Record(0, "element 1", {"order_id": "A-1", "price": "45.00", "quantity": 1}),
        Record(1, "element 2", {"quantity": 2, "order_id": "A-2", "price": 45.0}),
    ]
    assert canonicalize(got[1].fields) == b'{"order_id":"A-2","price":45,"quantity":2}'


def test_jsonl_records_skip_blank_lines_and_allow_crlf() -> None:
    got = read("jsonl_good.jsonl")
    assert got == [
        Record(0, "line 1", {"order_id": "A-1", "quantity": 1}),
        Record(1, "line 3", {"order_id": "A-2", "quantity": 2}),
    ]


def test_format_option_overrides_extension(tmp_path: Path) -> None:
    path = tmp_path / "export.txt"
    path.write_bytes((ASSETS / "jsonl_good.jsonl").read_bytes())
    with pytest.raises(FormatError, match="cannot tell the export format"):
        iter_records(path)
    assert len(list(iter_records(path, fmt="ndjson"))) == 2
    assert len(list(iter_records(path, fmt="JSONL"))) == 2


@pytest.mark.parametrize(
    ("name", "fmt"),
    [
        ("a.csv", "csv"),
        ("a.CSV", "csv"),
        ("a.json", "json"),
        ("a.jsonl", "jsonl"),
        ("a.ndjson", "jsonl"),
    ],
)
def test_detect_format(name: str, fmt: str) -> None:
    assert detect_format(Path(name)) == fmt


def test_bad_options() -> None:
    with pytest.raises(InputError, match="unknown record format 'xml'"):
        iter_records(ASSETS / "json_good.json", fmt="xml")
    with pytest.raises(InputError, match="unknown encoding 'klingon'"):
        iter_records(ASSETS / "json_good.json", encoding="klingon")
    with pytest.raises(InputError, match="cannot open"):
        list(iter_records(ASSETS / "missing.csv"))


# --- bad inputs: each names the file and the row or line -------------------------------------


@pytest.mark.parametrize(
    ("name", "where", "message"),
    [
        ("csv_ragged_row.csv", "row 3", "has 2 fields but the header has 3"),
        ("csv_duplicate_header.csv", "row 1", "header names 'order_id' twice (columns 1 and 3)"),
        ("csv_empty_header_name.csv", "row 1", "header column 2 has no name"),
        ("csv_empty.csv", None, "no records: the file is empty"),
        ("csv_header_only.csv", None, "no records: it has only a header row"),
        ("csv_invalid_utf8.csv", "line 3", "cannot be decoded as utf-8 (byte 0xe9)"),
        ("csv_cp1252.csv", "line 2", "--encoding"),
        ("csv_unclosed_quote.csv", "row 3", "not valid CSV"),
        ("json_duplicate_key.json", "element 2, line 3, column 37", "duplicate member name"),
        ("json_nan.json", "element 1, line 2, column 32", "NaN is not a JSON number"),
        ("json_huge_int.json", "element 1, line 2, column 16", "beyond ±2**53"),
        (
            "json_inexact_decimal.json",
            "element 1, line 1, column 12",
            "number cannot be represented exactly in RFC 8785",
        ),
        ("json_deep_nesting.json", "element 1, line 2, column 316", "nesting deeper than 64"),
        ("json_invalid_utf8.json", "line 3", "cannot be decoded as utf-8"),
        ("json_bom.json", "line 1, column 1", "byte order mark"),
        ("json_non_object_element.json", "element 3", "is an array, but each element must be"),
        ("json_trailing_data.json", "line 2, column 1", "trailing data after the JSON array"),
        ("json_empty_array.json", None, "no records: the array is empty"),
        ("json_empty.json", None, "no records: the file is empty"),
        ("json_not_array.json", "line 1, column 1", "expected a JSON array"),
        ("json_trailing_comma.json", "line 1, column 22", "trailing comma"),
        ("json_lone_surrogate.json", "element 1, line 1, column 11", "lone surrogate"),
        ("json_unterminated.json", "element 2, line 3, column 1", "unterminated object"),
        ("jsonl_duplicate_key.jsonl", "line 4, column 10", "duplicate member name 'a'"),
        ("jsonl_non_object.jsonl", "line 2", "is an array, but each line must hold one object"),
        ("jsonl_trailing_data.jsonl", "line 2, column 10", "trailing data"),
        ("jsonl_bom.jsonl", "line 1, column 1", "byte order mark"),
        ("jsonl_blank_only.jsonl", None, "no records"),
        ("jsonl_infinity.jsonl", "line 2, column 7", "Infinity is not a JSON number"),
        ("jsonl_invalid_utf8.jsonl", "line 2", "cannot be decoded as utf-8 (byte 0xff)"),
    ],
)
def test_bad_inputs(name: str, where: str | None, message: str) -> None:
    path = ASSETS / name
    with pytest.raises(FormatError) as info:
        list(iter_records(path))
    error = info.value
    assert error.path == str(path)
    assert error.where == where
    assert message in str(error)
    assert str(error).startswith(f"{path}: ")  # the file is named in the one-line message


def test_records_before_an_error_are_yielded_first() -> None:
    """Streaming: good records come out before the reader reaches the bad one."""
    reader = iter_records(ASSETS / "csv_ragged_row.csv")
    assert next(reader).fields == {"order_id": "A-1", "price": "10.00", "currency": "EUR"}
    with pytest.raises(FormatError, match="row 3"):
        next(reader)


# --- limits and streaming --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("suffix", "make"),
    [
        (".csv", lambda big: f"id,note\n1,small\n2,{big}\n"),
        (".json", lambda big: f'[{{"note": "small"}}, {{"note": "{big}"}}]'),
        (".jsonl", lambda big: f'{{"note": "small"}}\n{{"note": "{big}"}}\n'),
    ],
)
def test_record_size_limit(tmp_path: Path, suffix: str, make: object) -> None:
    path = tmp_path / f"big{suffix}"
    path.write_text(make("x" * MAX_RECORD_BYTES), encoding="utf-8")  # type: ignore[operator]
    reader = iter_records(path)
    assert next(reader).fields["note"] == "small"
    with pytest.raises(
        FormatError, match=f"larger than (the limit of )?{MAX_RECORD_BYTES}"
    ) as info:
        next(reader)
    assert info.value.where is not None
    assert info.value.where.startswith(("row 3", "element 2", "line 2"))


def test_record_size_limit_counts_utf8_bytes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(records, "MAX_RECORD_BYTES", 100)
    path = tmp_path / "wide.csv"
    path.write_text("id,note\n1," + "é" * 40 + "\n2," + "é" * 60 + "\n", encoding="utf-8")
    reader = iter_records(path)
    assert next(reader).fields["note"] == "é" * 40  # 83 bytes with its line
    with pytest.raises(FormatError, match="row 3: row is larger than 100 bytes"):
        next(reader)  # 60 characters, 123 bytes


def test_unclosed_quote_is_bounded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An open quote that would swallow the rest of the file stops at the size limit."""
    monkeypatch.setattr(records, "MAX_RECORD_BYTES", 1000)
    path = tmp_path / "open.csv"
    path.write_text('id,note\n1,"open\n' + "more text\n" * 500, encoding="utf-8")
    with pytest.raises(FormatError, match="row 2: row is larger than 1000 bytes"):
        list(iter_records(path))


def _write_big_csv(path: Path, rows: int) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        handle.write("order_id,platform,title,price,currency\r\n")
        line = 'ExampleMart,"AURORA Pulse X9, Black",84.00,EUR\r\n'
        for i in range(rows):
            handle.write(f"EM-{i:09d},{line}")


def _peak_bytes(path: Path) -> tuple[int, int]:
    tracemalloc.start()
    try:
        count = sum(1 for _ in iter_records(path))
        return count, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_csv_streams_in_bounded_memory(tmp_path: Path) -> None:
    """20,000 rows (1.3 MB) are read with under 256 KiB of Python allocations at any time."""
    path = tmp_path / "big.csv"
    _write_big_csv(path, 20_000)
    count, peak = _peak_bytes(path)
    assert count == 20_000
    assert peak < 256 * 1024 < path.stat().st_size // 4


def test_json_array_streams_in_bounded_memory(tmp_path: Path) -> None:
    path = tmp_path / "big.json"
    element = '{"order_id": "EM-%09d", "title": "AURORA Pulse X9", "quantity": 1}'
    with path.open("w", encoding="utf-8") as handle:
        handle.write("[\n" + ",\n".join(element % i for i in range(16_000)) + "\n]\n")
    count, peak = _peak_bytes(path)
    assert count == 16_000
    assert peak < 512 * 1024 < path.stat().st_size // 2


_RSS_PROBE = """
import resource, sys
from pathlib import Path
from evidence.capturing.records import iter_records
count = 0
for record in iter_records(Path(sys.argv[1])):
    count += 1
    if count == 1000:
        start = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
end = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(count, record.locator, (end - start) * 1024)
"""


@pytest.mark.slow
def test_csv_one_million_rows(tmp_path: Path) -> None:
    """1,000,000 rows (about 60 MB): the process grows by less than 8 MiB while reading."""
    path = tmp_path / "million.csv"
    _write_big_csv(path, 1_000_000)
    probe = subprocess.run(
        [sys.executable, "-c", _RSS_PROBE, str(path)],
        capture_output=True,
        text=True,
        check=True,
        cwd=REPO,
        timeout=600,
    )
    count, row, line, growth = probe.stdout.split()
    assert (count, row, line) == ("1000000", "row", "1000001")
    assert int(growth) < 8 * 1024 * 1024 < path.stat().st_size // 4


# --- the shipped examples --------------------------------------------------------------------


def test_examples_csv_and_json_hold_the_same_orders() -> None:
    from_csv = list(iter_records(EXAMPLES / "transactions.csv"))
    from_json = list(iter_records(EXAMPLES / "transactions.json"))
    assert len(from_csv) == len(from_json) == 12
    for row, element in zip(from_csv, from_json, strict=True):
        as_text = {k: v if isinstance(v, str) else str(v) for k, v in element.fields.items()}
        assert row.fields == as_text
    fields = set(from_csv[0].fields)
    assert fields == {
        "order_id",
        "platform",
        "seller",
        "sku",
        "title",
        "quantity",
        "price",
        "currency",
        "buyer_country",
        "order_time",
        "tracking_number",
    }
    for record in from_csv:
        assert record.fields["order_time"].endswith("Z")  # type: ignore[union-attr]
        canonicalize(record.fields)


def test_example_screenshots_are_small_pngs() -> None:
    from PIL import Image

    for name in ("chat-1.png", "chat-2.png"):
        path = EXAMPLES / "screenshots" / name
        assert path.stat().st_size < 100_000
        with Image.open(path) as image:
            assert image.format == "PNG"
            assert image.size == (800, 1200)


def test_csv_rows_are_what_records_are_made_of(tmp_path: Path) -> None:
    """iter_csv_rows (capture's fast path) gives the header, then each record's values and
    the row number of its locator."""
    path = tmp_path / "t.csv"
    path.write_bytes(b'\xef\xbb\xbfid,note\r\n1,"two\nlines"\r\n\r\n2,x\r\n')
    rows = list(records.iter_csv_rows(path))
    assert rows == [(1, ["id", "note"]), (2, ["1", "two\nlines"]), (5, ["2", "x"])]
    assert [(r.locator, r.fields) for r in iter_records(path)] == \
        [(f"row {n}", dict(zip(rows[0][1], values, strict=True))) for n, values in rows[1:]]


@pytest.mark.parametrize("content,message", [
    (b"", "the file is empty"),
    (b"a,b\n", "only a header row"),
    (b"a,a\n1,2\n", "twice"),
    (b"a,b\n1,2\n1\n", "row 3"),
])
def test_csv_rows_errors_match_records(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "t.csv"
    path.write_bytes(content)
    for read in (lambda: list(records.iter_csv_rows(path)), lambda: list(iter_records(path))):
        with pytest.raises(FormatError, match=message):
            read()
    with pytest.raises(InputError, match="unknown encoding"):
        records.iter_csv_rows(path, encoding="no-such-codec")
