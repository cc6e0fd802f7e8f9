"""Real exports (issue 15, Deliver 3): a German Excel export (";", UTF-8 BOM, decimal comma)
read with --delimiter, refused without it (never 90 rows as 127 one-column records), any file
name read as a named format, and the dialect recorded in the signed provenance and shown by
inspect and the report, with each CSV record's file line and spreadsheet row."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evidence.bundle.inspection import inspect_bundle
from evidence.capturing.pipeline import capture
from evidence.capturing.records import iter_records
from evidence.errors import FormatError, InputError
from evidence.keys import SigningKey
from evidence.report import build_report
from evidence.verification.verifier import verify

from .conftest import run_cli

ROWS = 90

#: What German Excel writes for "CSV (Trennzeichen-getrennt)": a BOM, ";" between fields,
#: CRLF, decimal commas, and a quoted cell over two lines (row 4 of the sheet, lines 4-5).
GERMAN = ("\ufeffBestellnummer;Datum;Artikel;Betrag\r\n" + "".join(
    f"DE-{n:03d};{n % 28 + 1:02d}.01.2026;"
    + ('"Tasse\r\nmit Henkel"' if n == 3 else f"Artikel {n}")
    + f";{n},50\r\n" for n in range(1, ROWS + 1))).encode("utf-8")

#: The silent-garbage case of the issue: no value holds a comma, so with "," every row
#: read as one column.
NO_COMMA = ("Bestellnummer;Artikel;Betrag\r\n" + "".join(
    f"DE-{n:03d};Artikel {n};{n}\r\n" for n in range(1, ROWS + 1))).encode("utf-8")


@pytest.fixture(scope="module")
def german(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("exports") / "bestellungen.csv"
    path.write_bytes(GERMAN)
    return path


def test_german_excel_export_with_delimiter(german: Path) -> None:
    records = list(iter_records(german, delimiter=";"))
    assert len(records) == ROWS
    first = records[0]
    assert first.fields == {"Bestellnummer": "DE-001", "Datum": "02.01.2026",
                            "Artikel": "Artikel 1", "Betrag": "1,50"}  # the BOM is gone
    assert records[2].fields["Artikel"] == "Tasse\r\nmit Henkel"
    assert records[3].locator == "row 6"  # the file line: the cell above spans two lines


@pytest.mark.parametrize("content", [GERMAN, NO_COMMA], ids=["decimal-comma", "no-comma"])
def test_semicolon_export_without_delimiter_is_refused(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "orders.csv"
    path.write_bytes(content)
    with pytest.raises(FormatError) as err:
        list(iter_records(path))
    message = str(err.value)
    assert "row 1" in message and "--delimiter ';'" in message and "one column" in message


@pytest.mark.parametrize(("sep", "named"), [("\t", "tab"), ("|", "'|'")])
def test_other_separators_named(tmp_path: Path, sep: str, named: str) -> None:
    path = tmp_path / "orders.csv"
    path.write_text(f"a{sep}b\nx{sep}y\n", encoding="utf-8")
    with pytest.raises(FormatError, match=f"--delimiter {named}"):
        list(iter_records(path))
    assert [r.fields for r in iter_records(path, delimiter=sep)] == [{"a": "x", "b": "y"}]


def test_named_delimiter_keeps_one_column(tmp_path: Path) -> None:
    path = tmp_path / "one.csv"
    path.write_text("note\nx;y\n", encoding="utf-8")  # one column, ";" only in a value
    assert [r.fields for r in iter_records(path)] == [{"note": "x;y"}]
    path.write_text("a;b\nx;y\n", encoding="utf-8")
    assert [r.fields for r in iter_records(path, delimiter=",")] == [{"a;b": "x;y"}]


def test_format_for_any_name_and_bad_options(tmp_path: Path) -> None:
    txt = tmp_path / "export.txt"
    txt.write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(FormatError, match="extension"):
        iter_records(txt)
    assert len(list(iter_records(txt, fmt="csv"))) == 1
    xlsx = tmp_path / "orders.xlsx"
    xlsx.write_text('{"a": 1}\n{"a": 2}\n', encoding="utf-8")
    assert len(list(iter_records(xlsx, fmt="jsonl"))) == 2
    with pytest.raises(InputError, match="CSV only"):
        iter_records(xlsx, fmt="jsonl", delimiter=";")
    with pytest.raises(InputError, match="one character"):
        iter_records(txt, fmt="csv", delimiter=";;")
    with pytest.raises(InputError, match="both"):
        iter_records(txt, fmt="csv", delimiter="'", quotechar="'")
    assert [r.fields for r in iter_records(txt, fmt="csv", delimiter="tab")] == [
        {"a,b": "1,2"}]


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory, german: Path,
           session_workspace: Path) -> Path:
    from evidence.workspace import open_workspace

    from .conftest import PASSPHRASE

    key: SigningKey = open_workspace(session_workspace).signing_key(PASSPHRASE)
    root = tmp_path_factory.mktemp("b")
    latin = root / "kunden.txt"  # a cp1252 export named .txt
    latin.write_bytes("Name;Ort\nMüller;Köln\n".encode("cp1252"))
    out = root / "bundle"
    result = capture([], records=[german], out=out, case="DE-1", key=key, delimiter=";")
    assert result.record_count == ROWS
    out2 = root / "bundle2"
    capture([], records=[latin], out=out2, case="DE-2", key=key, fmt="csv",
            delimiter="semicolon", encoding="cp1252")
    return out


def test_dialect_in_provenance_and_inspect(bundle: Path) -> None:
    provenance = json.loads((bundle / "evidence/provenance.json").read_text("utf-8"))
    dialect = {"path": "data/exports/bestellungen.csv", "format": "csv", "encoding": "utf-8",
               "delimiter": ";", "quotechar": '"'}
    assert provenance["exports"] == [dialect]
    info = inspect_bundle(bundle)
    assert info["exports"] == [dialect]
    records = [i for i in info["items"] if i["kind"] == "record"]
    assert len(records) == ROWS
    # DE-004 starts on file line 6 (DE-003's cell spans lines 4-5) and is the sheet's row 5
    assert records[3]["locator"] == "row 6"
    assert (records[3]["file_line"], records[3]["sheet_row"]) == (6, 5)


def test_encoding_and_format_recorded_for_txt(bundle: Path) -> None:
    other = bundle.parent / "bundle2"
    info = inspect_bundle(other)
    assert info["exports"] == [{"path": "data/exports/kunden.txt", "format": "csv",
                                "encoding": "cp1252", "delimiter": ";", "quotechar": '"'}]
    record = next(i for i in info["items"] if i["kind"] == "record")
    assert (record["file_line"], record["sheet_row"]) == (2, 2)


def test_report_shows_dialect_and_sheet_rows(bundle: Path) -> None:
    report = build_report(verify(bundle, offline=True), bundle=bundle, lang="en")
    export = report.exports[0]
    assert export.read_as == "csv, utf-8, delimiter ';', quote '\"'"
    assert export.to_json()["read_as"]["delimiter"] == ";"
    rows = [(i.locator, i.sheet_row) for i in report.items if i.kind == "record"][:4]
    assert rows == [("row 2", 2), ("row 3", 3), ("row 4", 4), ("row 6", 5)]


def test_cli_delimiter_and_refusal(workspace: Path, tmp_path: Path, german: Path) -> None:
    out = tmp_path / "refused"
    proc = run_cli("capture", "--records", str(german), "--case", "C", "-o", str(out),
                   cwd=workspace)
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "--delimiter ';'" in lines[0], lines
    assert not out.exists() and not list(tmp_path.glob(".refused*"))
    out = tmp_path / "ok"
    proc = run_cli("capture", "--records", str(german), "--delimiter", ";", "--case", "C",
                   "-o", str(out), "--json", cwd=workspace)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["records"] == ROWS
    shown = run_cli("inspect", str(out))
    assert "export: data/exports/bestellungen.csv (csv, utf-8, delimiter ';'" in shown.stdout
    assert "(file line 6, spreadsheet row 5)" in shown.stdout
