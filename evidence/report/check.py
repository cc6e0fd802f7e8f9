"""Checking a report: its signature, and that it matches the bundle it describes.

What: :func:`check_report` verifies a JSON report (canonical RFC 8785 bytes + detached
Ed25519 signature ``FILE.sig``) or a PDF report (PAdES signature covering the whole file,
validated with pyHanko; the attached canonical ``report.json`` must hash to the digest in the
PDF's metadata). With ``bundle``, it also checks that the report describes that bundle: the
same signed root and leaf count, and for each listed item the same path, size, SHA-256 and
SHA-512 as the bundle's signed item list (``evidence verify`` re-hashes the files).

Why: a report is handed to people who did not make it; they must be able to tell that it
was not edited and that it is about the evidence in front of them.

Trust: a valid signature shows the report was not changed since it was signed by the key
(JSON) or certificate (PDF) named in the result; whether that signer is trusted is decided
out of band (compare the fingerprint). A self-issued certificate is reported as such.

Failures: a missing file raises :class:`~evidence.errors.InputError`; a bundle that is not
one raises :class:`~evidence.errors.NotABundleError`. A damaged or changed report is not an
exception: it gives ``ok=False`` with the problems found.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from evidence.errors import FormatError, InputError
from evidence.standards.ijson import loads_strict
from evidence.standards.jcs import canonicalize

__all__ = ["MAX_REPORT_BYTES", "ReportCheck", "check_report"]

#: Largest report file read: a report lists at most a few hundred items in full; 64 MiB is
#: far above any real one (a PDF with 24 thumbnails is a few MiB).
MAX_REPORT_BYTES = 64 * 1024 * 1024

#: Largest detached signature file: a few hundred bytes in practice.
MAX_SIG_BYTES = 64 * 1024

#: Major version of the report format this code reads.
SUPPORTED_MAJOR = "1"


@dataclass(frozen=True)
class ReportCheck:
    """The outcome of :func:`check_report`: ``ok`` only when every check held."""

    path: str
    format: str
    ok: bool
    signature_ok: bool
    signer: str | None
    report_id: str | None
    report_digest: str | None
    verdict: str | None
    bundle: str | None = None
    matches_bundle: bool | None = None
    checks: tuple[str, ...] = field(default=())
    problems: tuple[str, ...] = field(default=())
    #: The signing certificate's subject (PDF) and the signing key's fingerprint (JSON:
    #: the Ed25519 key; PDF: SHA-256 of the certificate).
    signer_subject: str | None = None
    signer_key: str | None = None
    #: With ``bundle``: whether the signer is the bundle's capturer (JSON: the same Ed25519
    #: key; PDF: None, since a certificate does not prove which Ed25519 key its holder has).
    signer_is_capturer: bool | None = None
    #: Who the report says prepared it: "verifying-party" or "workspace" (None: not said).
    prepared_by: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"path": self.path, "format": self.format, "ok": self.ok,
                "signature_ok": self.signature_ok, "signer": self.signer,
                "signer_subject": self.signer_subject, "signer_key": self.signer_key,
                "signer_is_capturer": self.signer_is_capturer,
                "prepared_by": self.prepared_by,
                "report_id": self.report_id, "report_digest": self.report_digest,
                "verdict": self.verdict, "bundle": self.bundle,
                "matches_bundle": self.matches_bundle, "checks": list(self.checks),
                "problems": list(self.problems)}


def _read(path: Path, limit: int) -> bytes:
    try:
        with path.open("rb") as fh:
            data = fh.read(limit + 1)
    except FileNotFoundError as exc:
        raise InputError(f"{path}: no such report file") from exc
    except IsADirectoryError as exc:
        raise InputError(f"{path}: is a folder, not a report file") from exc
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror})") from exc
    if len(data) > limit:
        raise InputError(f"{path}: larger than {limit} bytes; not a report")
    return data


class _State:
    def __init__(self) -> None:
        self.checks: list[str] = []
        self.problems: list[str] = []
        self.signer: str | None = None
        self.signer_subject: str | None = None
        self.signer_key: str | None = None
        self.signature_ok = False
        self.doc: dict[str, Any] | None = None
        self.digest: str | None = None


def _parse_report(data: bytes, state: _State, *, where: str) -> None:
    """Parse canonical report bytes; record problems in ``state``."""
    try:
        value = loads_strict(data, path=where)
    except FormatError as exc:
        state.problems.append(f"the report is not valid JSON ({exc})")
        return
    if not isinstance(value, dict) or value.get("schema") != "evidence-report":
        state.problems.append("not an evidence report (schema is not evidence-report)")
        return
    version = str(value.get("schema_version", ""))
    if version.split(".")[0] != SUPPORTED_MAJOR:
        state.problems.append(f"unsupported report schema version {version!r}")
        return
    state.doc = value
    state.digest = "sha256:" + hashlib.sha256(canonicalize(value)).hexdigest()


def _check_json(path: Path, data: bytes, state: _State) -> None:
    from .signing import verify_json_signature
    from .writer import SIGNATURE_SUFFIX

    _parse_report(data.removesuffix(b"\n"), state, where=str(path))
    if state.doc is None:
        return
    canonical = canonicalize(state.doc)
    if data != canonical + b"\n":
        state.problems.append("the file is not the canonical (RFC 8785) report bytes: it was "
                              "edited after signing")
        return
    state.checks.append("the file holds the canonical RFC 8785 report bytes")
    sig_path = path.with_name(path.name + SIGNATURE_SUFFIX)
    if not sig_path.is_file():
        state.problems.append(f"no detached signature {sig_path.name} beside the report")
        return
    try:
        sig_doc = loads_strict(_read(sig_path, MAX_SIG_BYTES), path=str(sig_path))
    except FormatError as exc:
        state.problems.append(f"the signature file is not valid JSON ({exc})")
        return
    ok, message, signer = verify_json_signature(canonical, sig_doc)
    state.signer = signer
    state.signer_key = signer
    if not ok:
        state.problems.append(message)
        return
    if isinstance(sig_doc, dict) and sig_doc.get("report_digest") not in (None, state.digest):
        state.problems.append("the signature names another report digest")
        return
    state.signature_ok = True
    state.checks.append(message)


def _check_pdf(data: bytes, state: _State) -> None:
    import asyncio

    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import async_validate_pdf_signature
    from pyhanko.sign.validation.errors import SignatureValidationError
    from pyhanko.sign.validation.pdf_embedded import extract_contents
    from pyhanko.sign.validation.status import SignatureCoverageLevel
    from pyhanko_certvalidator import ValidationContext

    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        sigs = reader.embedded_signatures
    except Exception as exc:  # pyHanko raises many kinds for a damaged file
        state.problems.append(f"the PDF cannot be read ({type(exc).__name__}: {exc})")
        return
    if not sigs:
        state.problems.append("the PDF is not signed (a verifying party's own report may be "
                              "unsigned: compare its digest with the attached report.json)")
        return
    if len(sigs) != 1:
        state.problems.append(f"the PDF holds {len(sigs)} signatures; a report holds exactly 1")
        return
    sig = sigs[0]
    try:
        cert = sig.signer_cert
        state.signer_subject = cert.subject.human_friendly
        state.signer_key = "sha256:" + hashlib.sha256(cert.dump()).hexdigest()
        state.signer = (f"{cert.subject.human_friendly} (certificate SHA-256 "
                        f"{hashlib.sha256(cert.dump()).hexdigest()})")
        context = ValidationContext(trust_roots=[cert], allow_fetching=False)
        status = asyncio.run(async_validate_pdf_signature(sig, context))
        contents = extract_contents(sig.sig_object)
        byte_range = [int(x) for x in sig.sig_object["/ByteRange"]]
    except (SignatureValidationError, ValueError, KeyError, TypeError) as exc:
        state.problems.append(f"the PDF signature cannot be validated ({exc})")
        return
    except Exception as exc:  # a damaged signature breaks pyHanko in many ways
        state.problems.append(f"the PDF signature is damaged ({type(exc).__name__}: {exc})")
        return
    if not status.intact:
        state.problems.append("the PDF was changed after signing (digest mismatch)")
        return
    if not status.valid:
        state.problems.append("the PDF signature does not verify with its certificate")
        return
    if status.coverage != SignatureCoverageLevel.ENTIRE_FILE:
        state.problems.append("the signature does not cover the whole file (something was "
                              "added after signing)")
        return
    if not _contents_canonical(data, byte_range, contents):
        state.problems.append("the signature's /Contents field was altered")
        return
    state.signature_ok = True
    state.checks.append("PAdES signature intact and valid, covering the entire file")
    attached = _attachment(reader)
    if attached is None:
        state.problems.append("the PDF carries no report.json attachment")
        return
    _parse_report(attached, state, where="report.json (attached)")
    if state.doc is None:
        return
    if canonicalize(state.doc) != attached:
        state.problems.append("the attached report.json is not canonical")
        return
    subject = _info_subject(reader)
    if subject != state.digest:
        state.problems.append("the attached report does not match the digest the PDF shows")
        return
    state.checks.append(f"attached report.json matches the digest shown ({state.digest})")


def _contents_canonical(data: bytes, byte_range: list[int], contents: bytes) -> bool:
    """The signature hole holds ``<hex>`` of the DER signature followed only by zero bytes,
    written in one letter case: so no byte of the file can change unnoticed."""
    if len(byte_range) != 4:
        return False
    hole = data[byte_range[0] + byte_range[1]:byte_range[2]]
    if hole not in (b"<" + contents.hex().encode() + b">",
                    b"<" + contents.hex().upper().encode() + b">"):
        return False
    length = _der_length(contents)
    return length is not None and not any(contents[length:])


def _der_length(der: bytes) -> int | None:
    """Total length of the DER value at the start of ``der`` (X.690 §8.1.3)."""
    if len(der) < 2:
        return None
    first = der[1]
    if first < 0x80:
        return 2 + first
    count = first & 0x7F
    if count == 0 or count > 4 or len(der) < 2 + count:
        return None
    return 2 + count + int.from_bytes(der[2:2 + count], "big")


def _attachment(reader: Any) -> bytes | None:
    from .pdf import REPORT_ATTACHMENT

    try:
        names = reader.root["/Names"]["/EmbeddedFiles"]["/Names"]
        for i in range(0, len(names), 2):
            if str(names[i]) == REPORT_ATTACHMENT:
                spec = names[i + 1].get_object()
                return bytes(spec["/EF"]["/F"].get_object().data)
    except (KeyError, TypeError, IndexError, AttributeError):
        return None
    return None


def _info_subject(reader: Any) -> str | None:
    try:
        return str(reader.trailer["/Info"]["/Subject"])
    except (KeyError, TypeError):
        return None


def _check_bundle(doc: dict[str, Any], bundle: Path, state: _State) -> bool:
    """Compare the report with the bundle's signed root and item list."""
    from evidence.bundle.integrity import require_package
    from evidence.bundle.layout import iter_items, read_signed_root
    from evidence.keys import verify_signature

    require_package(bundle)
    try:
        signed = read_signed_root(bundle)
    except FormatError as exc:
        state.problems.append(f"the bundle's root cannot be read ({exc})")
        return False
    ok = True
    if not verify_signature(signed.public_key, signed.signature, signed.signed_message):
        state.problems.append("the bundle's root signature does not verify")
        ok = False
    info = doc.get("bundle") or {}
    if info.get("root") != signed.root.hex():
        state.problems.append(f"the report is about root {info.get('root')}, the bundle's "
                              f"root is {signed.root.hex()}")
        return False
    if info.get("leaf_count") != signed.leaf_count:
        state.problems.append("the report's item count differs from the bundle's")
        ok = False
    listed = {str(i.get("id")): i for i in (doc.get("items") or {}).get("list", [])
              if isinstance(i, dict)}
    seen = 0
    try:
        for item in iter_items(bundle):
            entry = listed.get(item.id)
            if entry is None:
                continue
            seen += 1
            for key in ("path", "size", "sha256", "sha512"):
                if entry.get(key) != getattr(item, key):
                    state.problems.append(f"{item.id}: {key} in the report differs from the "
                                          "bundle's signed item list")
                    ok = False
    except FormatError as exc:
        state.problems.append(f"the bundle's item list cannot be read ({exc})")
        return False
    if seen != len(listed):
        state.problems.append(f"{len(listed) - seen} items listed in the report are not in "
                              "the bundle")
        ok = False
    if ok:
        state.checks.append(f"matches bundle {bundle}: root {signed.root.hex()}, "
                            f"{seen} listed items' digests")
    return ok


def check_report(path: Path, *, bundle: Path | None = None) -> ReportCheck:
    """Check a JSON or PDF report (see the module docstring)."""
    path = Path(path)
    data = _read(path, MAX_REPORT_BYTES)
    state = _State()
    if data.startswith(b"%PDF-") or path.suffix.lower() == ".pdf":
        kind = "pdf"
        _check_pdf(data, state)
    elif path.suffix.lower() in (".html", ".htm"):
        raise InputError(f"{path}: HTML reports are not signed; check the JSON or PDF report "
                         "whose digest the page shows")
    else:
        kind = "json"
        _check_json(path, data, state)
    matches: bool | None = None
    is_capturer: bool | None = None
    if bundle is not None and state.doc is not None and state.signature_ok:
        matches = _check_bundle(state.doc, Path(bundle), state)
        is_capturer = _signer_is_capturer(kind, Path(bundle), state)
    doc = state.doc or {}
    prepared = doc.get("prepared_by")
    prepared_by = str(prepared.get("party")) if isinstance(prepared, dict) else None
    verdict = doc.get("verdict")
    return ReportCheck(
        path=str(path),
        format=kind,
        ok=state.signature_ok and not state.problems and matches is not False,
        signature_ok=state.signature_ok,
        signer=state.signer,
        report_id=None if state.doc is None else str(doc.get("report_id")),
        report_digest=state.digest,
        verdict=str(verdict.get("code")) if isinstance(verdict, dict) else None,
        bundle=None if bundle is None else str(bundle),
        matches_bundle=matches,
        checks=tuple(state.checks),
        problems=tuple(state.problems),
        signer_subject=state.signer_subject,
        signer_key=state.signer_key,
        signer_is_capturer=is_capturer,
        prepared_by=prepared_by,
    )


def _signer_is_capturer(kind: str, bundle: Path, state: _State) -> bool | None:
    """Whether the report's signer is the bundle's capturer, noted in ``state.checks``.

    JSON: the signing Ed25519 key is, or is not, the key that signed the bundle's root.
    PDF: unknown: a certificate (self-issued or not) does not prove which Ed25519 key its
    holder has, whatever its subject says; the subject is named for the reader to judge.
    """
    from evidence.bundle.layout import read_signed_root
    from evidence.keys import fingerprint

    try:
        capturer = fingerprint(read_signed_root(bundle).public_key)
    except FormatError:
        return None
    if kind == "json":
        same = state.signer_key == capturer
        state.checks.append(f"the signer {state.signer_key} "
                            f"{'is' if same else 'is NOT'} the bundle's capturer ({capturer})")
        return same
    state.checks.append(f"the signer's certificate ({state.signer_subject}) cannot show "
                        f"whether it belongs to the bundle's capturer ({capturer}); a "
                        "certificate subject naming that key is the certificate holder's claim")
    return None
