"""Who signs a report: the workspace's Ed25519 key (JSON) and an X.509 certificate (PDF).

What: :class:`ReportSigner` holds the capturer's Ed25519 :class:`~evidence.keys.SigningKey`,
which signs the RFC 8785 canonical bytes of a JSON report (a detached ``.sig`` file), and a
PKCS#12 archive (certificate + ECDSA P-256 or RSA key) used for the PAdES signature of a PDF
report. By default the certificate is self-issued for the workspace at first use and kept in
``keys/report-signing.p12``, encrypted with the workspace passphrase, mode 0600; a user's own
PKCS#12 (e.g. issued by a qualified trust service provider) can be given instead.

Why two keys: PDF readers verify PAdES signatures made with X.509 certificates (ECDSA or
RSA), not bare Ed25519 keys; the certificate's subject names the workspace key's fingerprint
so the two can be related. A self-issued certificate proves integrity, not identity: a
reader sees "signed, signer not trusted" until the certificate is trusted out of band.

Failures: a wrong passphrase or damaged PKCS#12 raises :class:`~evidence.errors.KeyFileError`;
an unsupported key type raises :class:`~evidence.errors.InputError`.
"""

from __future__ import annotations

import datetime as dt
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import BestAvailableEncryption, pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from evidence.errors import InputError, KeyFileError
from evidence.fsutil import atomic_write_bytes
from evidence.keys import SigningKey, fingerprint, verify_signature
from evidence.workspace import Workspace

__all__ = [
    "REPORT_CERT_FILE",
    "SIGNATURE_TYPE",
    "ReportSigner",
    "create_report_certificate",
    "make_json_signature",
    "verify_json_signature",
]

#: Where the workspace's self-issued report certificate lives (relative to the workspace).
REPORT_CERT_FILE = "keys/report-signing.p12"

#: Validity of a self-issued certificate: long enough to outlast a dispute (10 years).
CERT_VALIDITY_DAYS = 3653

#: A PKCS#12 file holds one key and a short chain; anything larger is a wrong file.
MAX_P12_BYTES = 256 * 1024

#: ``type`` of the detached JSON signature document.
SIGNATURE_TYPE = "evidence-report-signature"
SIGNATURE_VERSION = 1


@dataclass(frozen=True)
class ReportSigner:
    """Key material to sign reports; secrets are kept out of ``repr``.

    ``pkcs12`` and ``pkcs12_passphrase`` are the PDF signing certificate and key; ``None``
    means the signer can sign JSON reports only.
    """

    #: The Ed25519 key that signs JSON reports; None for a court's own certificate only
    #: (:meth:`from_pkcs12`), which signs PDF reports only.
    key: SigningKey | None
    pkcs12: bytes | None = field(default=None, repr=False)
    pkcs12_passphrase: bytes | None = field(default=None, repr=False)
    certificate_source: str = "none"
    #: An RFC 3161 TSA for the PDF signature's timestamp (PAdES B-T), from the workspace's
    #: ``[timestamps]`` (``pdf = true``: its first ``tsa``); None: a B-B signature.
    timestamp_url: str | None = None
    timestamp_timeout: float = 30.0

    @classmethod
    def from_workspace(cls, workspace: Workspace, passphrase: str, *, cert: Path | None = None,
                       cert_passphrase: str | None = None) -> ReportSigner:
        """Load the signer of an :class:`~evidence.workspace.Workspace`.

        With ``cert`` (a PKCS#12 file) the PDF is signed with that certificate, unlocked
        with ``cert_passphrase`` (default: the workspace passphrase); otherwise with the
        workspace's self-issued certificate, created at first use.
        """
        key = workspace.signing_key(passphrase)
        stamps = workspace.timestamps
        tsa = stamps.tsa[0] if stamps.pdf and stamps.tsa else None
        if cert is not None:
            secret = (cert_passphrase if cert_passphrase is not None else passphrase).encode()
            data = _read_p12(Path(cert))
            _load_p12(data, secret, shown=str(cert))
            return cls(key, data, secret, f"user certificate {cert}", tsa,
                       stamps.timeout_seconds)
        path = workspace.path(REPORT_CERT_FILE)
        if not path.exists():
            create_report_certificate(path, key, passphrase)
        data = _read_p12(path, private=True)
        _load_p12(data, passphrase.encode(), shown=str(path))
        return cls(key, data, passphrase.encode(), f"self-issued workspace certificate {path}",
                   tsa, stamps.timeout_seconds)

    @classmethod
    def from_pkcs12(cls, cert: Path, cert_passphrase: str) -> ReportSigner:
        """A signer from a certificate the verifying party names (PKCS#12), with no
        workspace: it signs PDF reports; JSON reports it writes stay unsigned."""
        data = _read_p12(Path(cert))
        secret = cert_passphrase.encode()
        _load_p12(data, secret, shown=str(cert))
        return cls(None, data, secret, f"user certificate {cert}")

    def certificate(self) -> x509.Certificate:
        """The PDF signing certificate. Raises InputError when there is none."""
        if self.pkcs12 is None:
            raise InputError("no PDF signing certificate: load the signer from a workspace")
        return _load_p12(self.pkcs12, self.pkcs12_passphrase, shown="certificate")[1]


def _read_p12(path: Path, *, private: bool = False) -> bytes:
    try:
        st = path.stat()
        if private and st.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise KeyFileError(f"{path}: certificate key is readable by others; run: "
                               f"chmod 600 {path}")
        if st.st_size > MAX_P12_BYTES:
            raise KeyFileError(f"{path}: not a PKCS#12 file (too large)")
        return path.read_bytes()
    except FileNotFoundError as exc:
        raise InputError(f"{path}: no such certificate file") from exc
    except OSError as exc:
        raise KeyFileError(f"{path}: cannot read ({exc.strerror})") from exc


def _load_p12(data: bytes, secret: bytes | None, *, shown: str) -> tuple[Any, x509.Certificate]:
    try:
        private, cert, _extra = pkcs12.load_key_and_certificates(data, secret)
    except ValueError as exc:
        raise KeyFileError(f"{shown}: wrong passphrase or not a PKCS#12 file") from exc
    if private is None or cert is None:
        raise KeyFileError(f"{shown}: the PKCS#12 file must hold a private key and its "
                           "certificate")
    if not isinstance(private, ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey):
        raise InputError(f"{shown}: use an ECDSA or RSA certificate key (PDF readers do not "
                         "verify other kinds)")
    return private, cert


def create_report_certificate(path: Path, key: SigningKey, passphrase: str) -> None:
    """Self-issue an ECDSA P-256 certificate for the workspace and store it at ``path``.

    The PKCS#12 is encrypted with ``passphrase`` (AES-256, PBKDF2) and written atomically
    with mode 0600; an existing file is never overwritten (InputError).
    """
    if not passphrase:
        raise InputError("the passphrase must not be empty")
    private = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([
        x509.NameAttribute(NameOID.COMMON_NAME, "evidence-anchor report signer"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "evidence-anchor workspace (self-issued)"),
        x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME,
                           f"capturer key {key.fingerprint}"),
    ])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(private.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=CERT_VALIDITY_DAYS))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(
            digital_signature=True, content_commitment=True, key_encipherment=False,
            data_encipherment=False, key_agreement=False, key_cert_sign=False, crl_sign=False,
            encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]),
                       critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(private.public_key()),
                       critical=False)
        .sign(private, hashes.SHA256())
    )
    data = pkcs12.serialize_key_and_certificates(
        b"evidence-anchor report signer", private, cert, None,
        BestAvailableEncryption(passphrase.encode()))
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        atomic_write_bytes(path, data, mode=0o600, overwrite=False)
    except FileExistsError as exc:
        raise InputError(f"{path}: exists already; it is never overwritten") from exc
    os.chmod(path, 0o600)


def make_json_signature(canonical: bytes, digest: str, key: SigningKey) -> dict[str, Any]:
    """The detached signature document of a JSON report's canonical bytes (Ed25519)."""
    return {
        "type": SIGNATURE_TYPE,
        "version": SIGNATURE_VERSION,
        "algorithm": "ed25519",
        "signed": "RFC 8785 canonical bytes of the report",
        "report_digest": digest,
        "public_key": key.public_key.hex(),
        "fingerprint": key.fingerprint,
        "signature": key.sign(canonical).hex(),
    }


def verify_json_signature(canonical: bytes, doc: object) -> tuple[bool, str, str | None]:
    """Check a detached signature document: (ok, message, signer fingerprint)."""
    if not isinstance(doc, dict) or doc.get("type") != SIGNATURE_TYPE:
        return False, "the .sig file is not a report signature", None
    if doc.get("version") != SIGNATURE_VERSION or doc.get("algorithm") != "ed25519":
        return False, "unsupported signature version or algorithm", None
    try:
        public = bytes.fromhex(str(doc["public_key"]))
        signature = bytes.fromhex(str(doc["signature"]))
    except (KeyError, ValueError):
        return False, "the .sig file is damaged (public key or signature)", None
    fp = fingerprint(public)
    if doc.get("fingerprint") not in (None, fp):
        return False, "the .sig fingerprint does not match its public key", fp
    if not verify_signature(public, signature, canonical):
        return False, "the Ed25519 signature does not verify: the report was changed", fp
    return True, f"Ed25519 signature by {fp} verifies", fp
