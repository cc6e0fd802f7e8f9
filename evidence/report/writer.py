"""Writing a report to a file: JSON (+ detached signature), HTML or signed PDF.

What: :func:`write_report` picks the format from ``fmt`` or the file extension and writes the
file atomically (temporary file, fsync, rename) without ever replacing an existing file.

The JSON file holds exactly the RFC 8785 canonical bytes of the report followed by one line
break, so that any changed byte either breaks the canonical form or the signature; the
detached signature ``FILE.sig`` (small JSON: signer public key, fingerprint, report digest,
Ed25519 signature over the canonical bytes) is written beside it.

Failures: :class:`~evidence.errors.InputError` for an unknown format, an existing output (or
``.sig``) file or a missing output folder.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

from evidence.errors import InputError
from evidence.fsutil import atomic_write_bytes
from evidence.result import VerificationResult
from evidence.workspace import Workspace

from .model import Report
from .signing import ReportSigner, make_json_signature

__all__ = ["FORMATS", "SIGNATURE_SUFFIX", "demo_reports", "report_format", "write_report"]

#: Report formats, by name; the file extension is the same word.
FORMATS = ("json", "html", "pdf")

#: Progress on stderr through the command line's logging configuration.
_log = logging.getLogger(__name__)

#: The detached signature of a JSON report is written to ``FILE`` + this suffix.
SIGNATURE_SUFFIX = ".sig"


def report_format(out: Path, fmt: str | None) -> str:
    """The format to write: ``fmt`` if given, else from the extension (.json .html .htm .pdf)."""
    if fmt is not None:
        if fmt not in FORMATS:
            raise InputError(f"unknown report format {fmt!r}: use json, html or pdf")
        return fmt
    ext = out.suffix.lower().lstrip(".")
    if ext == "htm":
        ext = "html"
    if ext not in FORMATS:
        raise InputError(f"{out}: cannot tell the report format from the extension; name it "
                         ".json, .html or .pdf, or pass --format")
    return ext


def _write_new(path: Path, data: bytes) -> None:
    try:
        atomic_write_bytes(path, data, overwrite=False)
    except FileExistsError as exc:
        raise InputError(f"{path}: exists already; a report is never overwritten") from exc
    except OSError as exc:
        raise InputError(f"{path}: cannot write ({exc.strerror})") from exc


def write_report(report: Report, out: Path, *, fmt: str | None = None,
                 signer: ReportSigner | None) -> Path:
    """Write ``report`` to ``out`` in ``fmt`` (or the extension's format); return ``out``.

    JSON reports get a detached signature ``out.sig``; PDF reports are PAdES-signed; HTML
    reports are not signed (print the digest they show and compare it with the signed JSON),
    so ``signer`` may be None for HTML, and for every format of a report the verifying party
    prepared without a workspace (``prepared_by="verifying-party"``), which is then unsigned
    unless the court names its own key.
    """
    out = Path(out)
    kind = report_format(out, fmt)
    _log.info("writing the %s report %s", kind, out)
    if out.exists() or out.is_symlink():
        raise InputError(f"{out}: exists already; a report is never overwritten")
    if not out.parent.is_dir():
        raise InputError(f"{out.parent}: output folder does not exist")
    if signer is None and kind != "html" and report.prepared_by != "verifying-party":
        raise InputError(f"a {kind} report is signed: give a signer (workspace and passphrase)")
    if kind == "json" and (signer is None or signer.key is None):
        if report.prepared_by != "verifying-party":
            raise InputError("a json report is signed: give a signer (workspace and passphrase)")
        # the verifying party's own report: unsigned (a court's certificate signs PDFs only)
        _write_new(out, report.canonical_bytes() + b"\n")
    elif kind == "json":
        assert signer is not None and signer.key is not None
        sig_path = out.with_name(out.name + SIGNATURE_SUFFIX)
        if sig_path.exists():
            raise InputError(f"{sig_path}: exists already; a report is never overwritten")
        canonical = report.canonical_bytes()
        signature = make_json_signature(canonical, report.digest, signer.key)
        _write_new(out, canonical + b"\n")
        _write_new(sig_path, (json.dumps(signature, indent=2) + "\n").encode("utf-8"))
    elif kind == "html":
        from .html import render_html

        _write_new(out, render_html(report))
    else:
        from .pdf import render_pdf

        _write_new(out, render_pdf(report, signer))
    return out


def demo_reports(result: VerificationResult, *, bundle: Path, out: Path, workspace: Workspace,
                 passphrase: str, lang: str = "en+zh") -> list[Path]:
    """Write ``report.json`` (+ ``.sig``), ``report.html`` and ``report.pdf`` of ``result``
    into the folder ``out`` (used by ``evidence demo``); returns the three paths."""
    from .model import build_report

    signer = ReportSigner.from_workspace(workspace, passphrase)
    report = build_report(result, bundle=bundle, lang=lang,
                          preparer_key=None if signer.key is None else signer.key.fingerprint)
    return [write_report(report, Path(out) / f"report.{kind}", fmt=kind, signer=signer)
            for kind in FORMATS]
