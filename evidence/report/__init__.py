"""Verification reports for people and tools: JSON, HTML and PDF, English and Chinese, signed.

:func:`build_report` turns the result of ``evidence verify`` into a :class:`Report`;
:func:`write_report` writes it as canonical JSON with a detached Ed25519 signature, a
self-contained HTML page, or a PAdES-signed PDF; :func:`check_report` verifies a JSON or PDF
report and, given the bundle, that the report describes it. See docs/report-format.md.
Called, the package is :func:`evidence.report.make.report` (``evidence.report(result, out, ...)``).
"""

from __future__ import annotations

import sys
import types
from pathlib import Path
from typing import Any

from .check import ReportCheck, check_report
from .model import MAX_ITEMS_LISTED, REPORT_SCHEMA_VERSION, Report, build_report
from .signing import ReportSigner
from .writer import FORMATS, demo_reports, report_format, write_report

__all__ = [
    "FORMATS",
    "MAX_ITEMS_LISTED",
    "REPORT_SCHEMA_VERSION",
    "Report",
    "ReportCheck",
    "ReportSigner",
    "build_report",
    "check_report",
    "demo_reports",
    "report_format",
    "write_report",
]


class _CallableReportPackage(types.ModuleType):
    """This package, which is also the library function ``evidence.report(...)``.

    Python binds ``evidence.report`` to this package as soon as any part of it is imported,
    so the public function :func:`evidence.api.report` is reached by calling the package:
    ``evidence.report(result, Path("report.pdf"), passphrase=...)``.
    """

    def __call__(self, *args: Any, **kwargs: Any) -> Path:
        from .make import report

        return report(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableReportPackage
