"""What a PDF reader will show for the signing certificate (issue 14, Deliver 7): a
self-issued workspace certificate is explained; a user's PKCS#12 (here the court's own, with
no workspace) is accepted and gets the other note."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import BestAvailableEncryption, pkcs12
from cryptography.x509.oid import NameOID

from evidence.report import Report, ReportSigner, check_report, write_report
from evidence.report.text import TEXT

SELF = TEXT["self_issued_note"]
USER = TEXT["user_cert_note"]


def _flat(pdf: Path) -> str:
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    return re.sub(r"\s+", "", text)


def _court_p12(path: Path, secret: str) -> Path:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Example Court IT Office")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=30)).sign(key, hashes.SHA256()))
    path.write_bytes(pkcs12.serialize_key_and_certificates(
        b"court", key, cert, None, BestAvailableEncryption(secret.encode())))
    return path


def test_self_issued_certificate_is_explained(written: dict[str, Path]) -> None:
    flat = _flat(written["pdf"])
    for text in SELF:
        assert re.sub(r"\s+", "", text) in flat
    assert re.sub(r"\s+", "", USER[0]) not in flat


def test_a_users_certificate_signs_the_courts_report(tmp_path: Path,
                                                     fixed_report: Report) -> None:
    from dataclasses import replace

    signer = ReportSigner.from_pkcs12(_court_p12(tmp_path / "court.p12", "s3cret"), "s3cret")
    report = replace(fixed_report, prepared_by="verifying-party", preparer_key=None)
    pdf = write_report(report, tmp_path / "court.pdf", signer=signer)
    flat = _flat(pdf)
    assert re.sub(r"\s+", "", USER[0]) in flat
    assert re.sub(r"\s+", "", SELF[0]) not in flat
    outcome = check_report(pdf)
    assert outcome.ok, outcome.problems
    assert outcome.signer_subject is not None and "Example Court IT Office" in \
        outcome.signer_subject
    assert outcome.prepared_by == "verifying-party"
