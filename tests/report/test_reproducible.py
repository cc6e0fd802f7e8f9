"""Reproducible reports (issue 14, Deliver 5): with SOURCE_DATE_EPOCH (or --at), the same
bundle, chain state and options give byte-identical JSON (and signature) and HTML, and the
HTML carries the digest of the JSON; the PDF's CreationDate is the report's date."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from ..conftest import run_cli

EPOCH = "1764320700"  # 2025-11-28T09:05:00Z
AT = "2025-11-28T09:05:00Z"


def _make(bundle: Path, ws: Path, out: Path, *extra: str,
          env: dict[str, str] | None = None) -> None:
    proc = run_cli("-w", str(ws), "report", str(bundle), "-o", str(out), "--offline", *extra,
                   env=env)
    assert proc.returncode == 0, proc.stderr


def test_same_inputs_same_bytes(example_bundle: Path, workspace: Path, tmp_path: Path) -> None:
    runs = []
    for n in range(2):
        folder = tmp_path / f"run{n}"
        folder.mkdir()
        for kind in ("json", "html"):
            _make(example_bundle, workspace, folder / f"r.{kind}",
                  env={"SOURCE_DATE_EPOCH": EPOCH})
        runs.append(folder)
    for name in ("r.json", "r.json.sig", "r.html"):
        assert (runs[0] / name).read_bytes() == (runs[1] / name).read_bytes(), name
    doc = json.loads((runs[0] / "r.json").read_bytes())
    assert doc["generated_at"] == AT and doc["verification"]["verified_at"] == AT
    assert doc["time_source"] == "SOURCE_DATE_EPOCH"
    digest = json.loads((runs[0] / "r.json.sig").read_text())["report_digest"]
    html = (runs[0] / "r.html").read_text(encoding="utf-8")
    assert f'<meta name="report-digest" content="{digest}">' in html
    # --at gives the same time, and says so
    _make(example_bundle, workspace, tmp_path / "at.json", "--at", AT)
    at_doc = json.loads((tmp_path / "at.json").read_bytes())
    assert at_doc["generated_at"] == AT and at_doc["time_source"] == "--at"
    assert at_doc["report_id"] == doc["report_id"]


def test_pdf_creation_date_is_the_report_date(example_bundle: Path, workspace: Path,
                                              tmp_path: Path) -> None:
    if shutil.which("pdfinfo") is None:
        pytest.skip("pdfinfo (poppler-utils) is not installed")
    out = tmp_path / "r.pdf"
    _make(example_bundle, workspace, out, "--at", AT)
    info = subprocess.run(["pdfinfo", "-isodates", str(out)], capture_output=True, text=True,
                          check=True).stdout
    created = re.search(r"CreationDate:\s+(\S+)", info)
    assert created is not None and created.group(1).startswith("2025-11-28T09:05:00"), info
