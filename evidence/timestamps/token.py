"""One RFC 3161 time-stamp response: parsed, checked for integrity, checked against pins.

A token is stored as the TSA's whole DER ``TimeStampResp`` (RFC 3161 §2.4.2), so that
``openssl ts -verify -in FILE.tsr`` reads it as it is. Parsing and CMS work are done by
kept libraries, never by hand: rfc3161-client (Trail of Bits, used by Sigstore) decodes the
response strictly (no trailing data, no short data) and verifies the signature and the
certificate chain at the token's genTime against the roots a verifier pins; pyHanko checks
the signature's integrity against the signer certificate the token names through its
``SignerInfo.sid`` (RFC 5652 §5.3), and the ESS signing-certificate attribute
(RFC 2634 §5.4, ESSCertIDv2 of RFC 5035 / RFC 5816) that binds that certificate.

Every problem is a :class:`TokenProblem` with a stable code; nothing here prints or exits.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from asn1crypto import cms as a_cms
from asn1crypto import tsp as a_tsp
from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID

__all__ = [
    "HASH_ALGORITHMS",
    "MAX_TOKEN_BYTES",
    "TokenFacts",
    "TokenProblem",
    "check_against_pin",
    "check_integrity",
    "parse_token",
]

#: A TimeStampResp with its certificate chain is a few kilobytes (the public vectors are
#: 1 to 7 KiB); 256 KiB leaves room for long chains and refuses anything else unread.
MAX_TOKEN_BYTES = 256 * 1024

#: The message-imprint algorithms accepted (RFC 3161 §2.4.1; SHA-1 and MD5 refused as
#: broken for collision resistance). SHA-384 is accepted for tokens others made.
HASH_ALGORITHMS: dict[str, str] = {
    "2.16.840.1.101.3.4.2.1": "sha256",
    "2.16.840.1.101.3.4.2.2": "sha384",
    "2.16.840.1.101.3.4.2.3": "sha512",
}

#: PKIStatus values (RFC 3161 §2.4.2).
_STATUS_NAMES = {0: "granted", 1: "grantedWithMods", 2: "rejection", 3: "waiting",
                 4: "revocationWarning", 5: "revocationNotification"}


class TokenProblem(Exception):
    """A token that cannot be used; ``code`` names the finding (``timestamp-...``)."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def stamp(value: datetime) -> str:
    """RFC 3339 UTC text, fractions kept when the TSA gave them."""
    text = _utc(value).isoformat().replace("+00:00", "Z")
    return text


@dataclass(frozen=True)
class TokenFacts:
    """What a time-stamp response says, as read (not yet trusted)."""

    raw: bytes
    status: int
    gen_time: datetime
    serial: int
    policy: str
    hash_algorithm: str
    imprint: bytes
    nonce: int | None
    tsa_name: str | None
    signer_subject: str | None
    signer_issuer: str
    signer_serial: int
    signer_cert: x509.Certificate | None
    certificates: tuple[x509.Certificate, ...]

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.raw).hexdigest()

    def to_json(self) -> dict[str, Any]:
        return {
            "gen_time": stamp(self.gen_time),
            "serial": format(self.serial, "x"),
            "policy": self.policy,
            "hash_algorithm": self.hash_algorithm,
            "imprint": self.imprint.hex(),
            "nonce": None if self.nonce is None else format(self.nonce, "x"),
            "tsa_name": self.tsa_name,
            "signer_subject": self.signer_subject,
            "signer_issuer": self.signer_issuer,
            "signer_serial": format(self.signer_serial, "x"),
            "token_sha256": self.sha256,
        }


def _general_name(name: Any) -> str | None:
    if name is None:
        return None
    value = getattr(name, "value", None)
    if isinstance(value, x509.Name):
        return value.rfc4514_string()
    return None if value is None else str(value)


def parse_token(raw: bytes) -> TokenFacts:
    """Decode a DER ``TimeStampResp``; raises TokenProblem for anything malformed, for a
    status other than granted, and for an imprint algorithm not in HASH_ALGORITHMS."""
    from rfc3161_client import decode_timestamp_response

    if len(raw) > MAX_TOKEN_BYTES:
        raise TokenProblem("timestamp-malformed", f"larger than {MAX_TOKEN_BYTES} bytes")
    try:
        resp = decode_timestamp_response(raw)
        status = int(resp.status)
    except (ValueError, TypeError) as exc:
        raise TokenProblem("timestamp-malformed", "not a DER RFC 3161 TimeStampResp "
                           f"(truncated or trailing data?): {exc}") from exc
    if status != 0:
        detail = "; ".join(resp.status_string) if resp.status_string else ""
        raise TokenProblem("timestamp-rejected",
                           f"the TSA answered {_STATUS_NAMES.get(status, str(status))}"
                           + (f" ({detail})" if detail else ""))
    try:
        info = resp.tst_info
        algorithm_oid = info.message_imprint.hash_algorithm.dotted_string
        certs = tuple(x509.load_der_x509_certificate(c)
                      for c in sorted(resp.signed_data.certificates))
        signers = list(resp.signed_data.signer_infos)
        tsa_name = _general_name(info.name)
        nonce = info.nonce
        facts_base = (_utc(info.gen_time), int(info.serial_number),
                      info.policy.dotted_string, bytes(info.message_imprint.message))
    except (ValueError, TypeError) as exc:
        raise TokenProblem("timestamp-malformed", f"unreadable TSTInfo: {exc}") from exc
    if algorithm_oid not in HASH_ALGORITHMS:
        raise TokenProblem("timestamp-malformed",
                           f"imprint algorithm {algorithm_oid} is not SHA-256, -384 or -512")
    if len(signers) != 1:
        raise TokenProblem("timestamp-malformed",
                           f"expected one SignerInfo, found {len(signers)}")
    si = signers[0]
    signer = next((c for c in certs if c.issuer == si.issuer
                   and c.serial_number == si.serial_number), None)
    gen_time, serial, policy, imprint = facts_base
    return TokenFacts(
        raw=raw, status=status, gen_time=gen_time, serial=serial, policy=policy,
        hash_algorithm=HASH_ALGORITHMS[algorithm_oid], imprint=imprint, nonce=nonce,
        tsa_name=tsa_name,
        signer_subject=None if signer is None else signer.subject.rfc4514_string(),
        signer_issuer=si.issuer.rfc4514_string(), signer_serial=int(si.serial_number),
        signer_cert=signer, certificates=certs,
    )


def expected_imprint(message: bytes, algorithm: str) -> bytes:
    return hashlib.new(algorithm, message).digest()


def _signed_data(raw: bytes) -> a_cms.SignedData:
    resp = a_tsp.TimeStampResp.load(raw, strict=True)
    content = resp["time_stamp_token"]["content"]
    if not isinstance(content, a_cms.SignedData):
        raise TokenProblem("timestamp-malformed", "the token is not CMS SignedData")
    return content


def check_integrity(facts: TokenFacts, message: bytes, *,
                    signer_cert: x509.Certificate | None = None) -> x509.Certificate:
    """Check what needs no trust: the imprint is the hash of ``message``, the CMS
    signature verifies under the signer certificate the SignerInfo names (embedded, or
    ``signer_cert`` when the token embeds none), the ESS signing-certificate attribute
    (v2 preferred) is present and names that certificate (RFC 3161 §2.4.1 requires it),
    the certificate has the critical timeStamping EKU (RFC 3161 §2.3) and was valid at
    genTime. Returns the signer certificate; raises TokenProblem naming what failed.
    """
    from pyhanko.sign.general import check_ess_certid
    from pyhanko.sign.validation.generic_cms import get_signing_cert_attr, validate_sig_integrity

    if facts.imprint != expected_imprint(message, facts.hash_algorithm):
        raise TokenProblem("timestamp-imprint-mismatch",
                           "the token's message imprint is not the "
                           f"{facts.hash_algorithm} of evidence/root.json (a token for "
                           "other bytes)")
    cert = facts.signer_cert
    if cert is None:
        if signer_cert is None or (signer_cert.issuer.rfc4514_string() != facts.signer_issuer
                                   or signer_cert.serial_number != facts.signer_serial):
            raise TokenProblem("timestamp-no-certificate",
                               "the token embeds no signer certificate and no pinned "
                               "certificate matches its SignerInfo")
        cert = signer_cert
    try:
        sd = _signed_data(facts.raw)
        si = sd["signer_infos"][0]
        tst_der = sd["encap_content_info"]["content"].contents
        digest_alg = si["digest_algorithm"]["algorithm"].native
        actual = hashlib.new(digest_alg, tst_der).digest()
        from asn1crypto import x509 as a_x509
        a_cert = a_x509.Certificate.load(cert.public_bytes(_der()))
        attrs = si["signed_attrs"]
        ess = get_signing_cert_attr(attrs)
        if ess is None:
            raise TokenProblem("timestamp-ess-missing",
                               "no ESS signing-certificate attribute (RFC 3161 §2.4.1)")
        if not check_ess_certid(a_cert, ess["certs"][0]):
            raise TokenProblem("timestamp-ess-mismatch",
                               "the ESS signing-certificate attribute names another "
                               "certificate than the signer's")
        intact, valid = validate_sig_integrity(si, a_cert, "tst_info", actual)
    except TokenProblem:
        raise
    except Exception as exc:  # pyHanko raises its own tree and asn1crypto ValueError
        raise TokenProblem("timestamp-signature-invalid",
                           f"the token's signature cannot be checked: {exc}") from exc
    if not (intact and valid):
        raise TokenProblem("timestamp-signature-invalid",
                           "the token's CMS signature does not verify (changed after "
                           "the TSA signed it?)")
    try:
        eku = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage)
    except x509.ExtensionNotFound:
        eku = None
    if eku is None or not eku.critical or ExtendedKeyUsageOID.TIME_STAMPING not in eku.value:
        raise TokenProblem("timestamp-not-tsa-cert",
                           "the signer certificate lacks the critical timeStamping extended "
                           "key usage (RFC 3161 §2.3)")
    if not (cert.not_valid_before_utc <= facts.gen_time <= cert.not_valid_after_utc):
        raise TokenProblem("timestamp-tsa-cert-expired",
                           f"the TSA certificate was not valid at genTime {stamp(facts.gen_time)}"
                           f" (valid {stamp(cert.not_valid_before_utc)} to "
                           f"{stamp(cert.not_valid_after_utc)})")
    return cert


def _der() -> Any:
    from cryptography.hazmat.primitives.serialization import Encoding

    return Encoding.DER


def check_against_pin(facts: TokenFacts, message: bytes, *, root: x509.Certificate,
                      intermediates: tuple[x509.Certificate, ...] = (),
                      certificate: x509.Certificate | None = None) -> None:
    """Verify the token with rfc3161-client against one pinned TSA: the signature, the chain
    from the signer to ``root`` evaluated at genTime, the critical timeStamping EKU, the
    imprint, and, when ``certificate`` is pinned, that the signer is exactly that
    certificate. Raises TokenProblem(``timestamp-untrusted``) when it does not hold."""
    from rfc3161_client import VerificationError, VerifierBuilder, decode_timestamp_response

    builder = VerifierBuilder(roots=[root], intermediates=list(intermediates),
                              tsa_certificate=certificate)
    try:
        builder.build().verify_message(decode_timestamp_response(facts.raw), message)
    except (VerificationError, ValueError) as exc:
        raise TokenProblem("timestamp-untrusted", str(exc).splitlines()[0][:300]) from exc
