"""``evidence.report(...)``: write the report of a verification result, as ``evidence report``
does (the library face of the report package; :mod:`evidence.api` re-exports it)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from evidence.errors import InputError
from evidence.workspace import Workspace, open_workspace

from .model import build_report
from .signing import ReportSigner
from .writer import report_format, write_report

if TYPE_CHECKING:
    from evidence.result import VerificationResult

__all__ = ["DEFAULT_REPORT_LANGUAGES", "report"]

#: The languages of a report unless told otherwise (``evidence report --lang``).
DEFAULT_REPORT_LANGUAGES = "en+zh"


def report(result: VerificationResult, out: Path, *, workspace: Workspace | Path | None = None,
           passphrase: str | None = None, fmt: str | None = None,
           lang: str = DEFAULT_REPORT_LANGUAGES, report_id: str | None = None) -> Path:
    """Write the report of a verification ``result`` to ``out`` (a new file), as
    ``evidence report`` does; return the path written (docs/report-format.md).

    The format is ``fmt`` (``json``, ``html`` or ``pdf``) or the extension of ``out``. JSON
    (with a detached signature ``out.sig``) and PDF (PAdES) are signed with the workspace's
    key, so they need ``workspace`` (or the nearest one upwards when None) and
    ``passphrase``; HTML is not signed and needs neither. ``lang`` is ``en``, ``zh`` or
    ``en+zh``. The report says no more than ``result`` shows. Raises
    :class:`~evidence.errors.InputError` for an existing ``out``, an unknown format or
    language, or a signed format without a passphrase.
    """
    out = Path(out)
    kind = report_format(out, fmt)
    if out.exists() or out.is_symlink():  # before any key is unlocked
        raise InputError(f"{out}: exists already; a report is never overwritten")
    signer = None
    if kind != "html":
        if passphrase is None:
            raise InputError(f"a {kind} report is signed: give the workspace passphrase "
                             "(or write an .html report, which is not signed)")
        signer = ReportSigner.from_workspace(
            workspace if isinstance(workspace, Workspace) else open_workspace(workspace),
            passphrase)
    built = build_report(result, bundle=Path(result.bundle), lang=lang, report_id=report_id)
    return write_report(built, out, fmt=kind, signer=signer)
