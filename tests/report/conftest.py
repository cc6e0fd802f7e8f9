"""Fixtures for report tests: a signer, the fixed report, and the three formats written once."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from evidence.report import Report, ReportSigner, build_report, write_report

from ..conftest import PASSPHRASE
from .fixtures import make_result

FIXED_ID = "RPT-20251128-GOLDEN01"
FIXED_NOW = "2025-11-28T09:05:00Z"


@pytest.fixture(scope="module")
def report_workspace(tmp_path_factory: pytest.TempPathFactory, session_workspace: Path) -> Path:
    """A private copy of the session workspace (the report certificate is created in it)."""
    dst = tmp_path_factory.mktemp("report-ws") / "ws"
    shutil.copytree(session_workspace, dst)
    return dst


@pytest.fixture(scope="module")
def signer(report_workspace: Path) -> ReportSigner:
    from evidence.workspace import open_workspace

    return ReportSigner.from_workspace(open_workspace(report_workspace), PASSPHRASE)


@pytest.fixture(scope="module")
def fixed_report(tmp_path_factory: pytest.TempPathFactory) -> Report:
    empty = tmp_path_factory.mktemp("no-bundle")
    return build_report(make_result(), bundle=empty, report_id=FIXED_ID, now=FIXED_NOW)


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory, fixed_report: Report,
            signer: ReportSigner) -> dict[str, Path]:
    """The fixed report as JSON (+ .sig), HTML and PDF, written once per module."""
    out = tmp_path_factory.mktemp("reports")
    return {kind: write_report(fixed_report, out / f"report.{kind}", signer=signer)
            for kind in ("json", "html", "pdf")}
