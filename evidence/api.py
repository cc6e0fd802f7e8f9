"""The library's two stage functions that wrap more than one call: anchor and report.

:func:`anchor` and :func:`report` sit beside :func:`evidence.capture`,
:func:`evidence.verify`, :func:`evidence.disclose` and :func:`evidence.prove` (exported from
:mod:`evidence`). They are thin: each opens what the command line would open (the
workspace, its keys) and calls the same code as ``evidence anchor`` and ``evidence report``,
so the library and the command line cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .anchoring import AnchorOutcome
    from .result import VerificationResult
    from .workspace import Workspace

__all__ = ["anchor", "report"]

#: The languages of a report unless told otherwise (``evidence report --lang``).
DEFAULT_REPORT_LANGUAGES = "en+zh"


def _workspace(workspace: Workspace | Path | None) -> Workspace:
    from .workspace import Workspace, open_workspace

    return workspace if isinstance(workspace, Workspace) else open_workspace(workspace)


def anchor(bundles: Path | Sequence[Path], *, passphrase: str,
           workspace: Workspace | Path | None = None, reanchor: bool = False,
           log: Callable[[str], None] | None = None) -> AnchorOutcome:
    """Anchor the roots of ``bundles`` on the workspace's chain in one transaction, as
    ``evidence anchor`` does; return what was anchored, with each bundle's receipt.

    ``workspace`` is a :class:`~evidence.workspace.Workspace`, its folder, or None for the
    nearest one upwards of the current folder (as the command line finds it);
    ``passphrase`` unlocks its capturer key and account. A bundle anchored already keeps its
    receipt (it is listed in ``already``), unless ``reanchor`` is set for one whose anchor a
    reorganisation dropped. ``log`` receives progress lines (witness confirmations on the
    embedded chain). Raises :class:`~evidence.errors.InputError` for a path that is not an
    intact bundle, :class:`~evidence.errors.ChainError` when the chain cannot complete it.
    The receipt format: docs/formats.md.
    """
    from .anchoring import anchor_bundles

    ws = _workspace(workspace)
    paths = [bundles] if isinstance(bundles, Path | str) else list(bundles)
    return anchor_bundles(ws, [Path(p) for p in paths], passphrase=passphrase,
                          key=ws.signing_key(passphrase), reanchor=reanchor, log=log)


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
    from .errors import InputError
    from .report import ReportSigner, build_report, report_format, write_report

    out = Path(out)
    kind = report_format(out, fmt)
    if out.exists() or out.is_symlink():  # before any key is unlocked
        raise InputError(f"{out}: exists already; a report is never overwritten")
    signer = None
    if kind != "html":
        if passphrase is None:
            raise InputError(f"a {kind} report is signed: give the workspace passphrase "
                             "(or write an .html report, which is not signed)")
        signer = ReportSigner.from_workspace(_workspace(workspace), passphrase)
    built = build_report(result, bundle=Path(result.bundle), lang=lang, report_id=report_id)
    return write_report(built, out, fmt=kind, signer=signer)
