"""Every public RFC 3161 vector in tests/vectors/rfc3161/ (SOURCE.md) verifies, or is refused,
exactly as its SOURCE.md says, through the code the verifier uses."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from cryptography import x509

from evidence.timestamps.token import (
    TokenProblem,
    check_against_pin,
    check_integrity,
    parse_token,
)

from ..conftest import VECTORS

V = VECTORS / "rfc3161"
HELLO = b"hello"


def chain(folder: str) -> list[x509.Certificate]:
    data = (V / folder / "ts_chain.pem").read_bytes()
    if b"-----BEGIN" in data:
        return x509.load_pem_x509_certificates(data)
    return [x509.load_der_x509_certificate(data)]  # identrust: one DER root (SOURCE.md)


def message(folder: str) -> bytes:
    return (V / "sigstore.mock" / "payload").read_bytes() if folder == "sigstore.mock" else HELLO


#: (file, hash, genTime, pin the TSA certificate too?) for the cases SOURCE.md calls valid.
VALID = [
    ("test_tsa/response.tsr", "sha512", "2024-10-08T15:40:32", False),
    ("test_tsa/response-injected-certs.tsr", "sha512", "2024-10-08T15:40:32", False),
    ("sigstage/response-sha256.tsr", "sha256", "2025-05-09T11:58:55", False),
    ("sigstage/response-sha384.tsr", "sha384", "2025-05-09T11:58:55", False),
    ("sigstage/response-sha512.tsr", "sha512", "2025-05-09T11:58:56", False),
    # No embedded certificate: the verifier must supply the TSA's (SOURCE.md).
    ("sigstage/response-no-embedded-cert.tsr", "sha256", "2025-06-18T08:13:02", True),
    # Only the root supplied; the leaf expired in 2026: valid at genTime.
    ("identrust/issue-104.tsr", "sha512", "2025-03-11T08:52:08", False),
    # The chain expired on 2024-01-01: valid at genTime.
    ("sigstore.mock/response-expired.tsr", "sha256", "2023-02-01T00:00:00", True),
]


@pytest.mark.parametrize(("name", "algorithm", "gen_time", "pin_cert"), VALID)
def test_valid_vectors_verify(name: str, algorithm: str, gen_time: str, pin_cert: bool) -> None:
    folder = name.split("/")[0]
    certs = chain(folder)
    facts = parse_token((V / name).read_bytes())
    assert facts.status == 0 and facts.hash_algorithm == algorithm
    assert facts.gen_time.replace(microsecond=0) == datetime.fromisoformat(gen_time).replace(
        tzinfo=UTC)
    signer = check_integrity(facts, message(folder), signer_cert=certs[0])
    check_against_pin(facts, message(folder), root=certs[-1],
                      intermediates=tuple(certs[1:-1]),
                      certificate=certs[0] if pin_cert else None)
    # The wrong message is refused whatever the trust.
    with pytest.raises(TokenProblem) as caught:
        check_integrity(facts, message(folder) + b"!", signer_cert=certs[0])
    assert caught.value.code == "timestamp-imprint-mismatch"
    if name == "test_tsa/response-injected-certs.tsr":
        # The signer is found through SignerInfo's issuer and serial, never by guessing
        # from the certificate bag (GHSA-3xxc-pwj6-jgrj): the spoofed one is not it.
        assert signer.subject.rfc4514_string() == "CN=Test TSA Timestamping,O=local"
        spoofed = next(c for c in facts.certificates if "Spoofed TSA" in c.subject.rfc4514_string())
        with pytest.raises(TokenProblem):
            check_against_pin(facts, HELLO, root=certs[-1], intermediates=tuple(certs[1:-1]),
                              certificate=spoofed)


def test_invalid_signature_vector_is_refused() -> None:
    certs = chain("sigstage")
    facts = parse_token((V / "sigstage" / "response-invalid-signature.tsr").read_bytes())
    with pytest.raises(TokenProblem) as caught:
        check_integrity(facts, HELLO)
    assert caught.value.code == "timestamp-signature-invalid"
    with pytest.raises(TokenProblem):
        check_against_pin(facts, HELLO, root=certs[-1], certificate=certs[0])


def test_other_response_parses_but_does_not_chain_to_the_test_tsa_root() -> None:
    certs = chain("test_tsa")
    other = parse_token((V / "test_tsa" / "other_response.tsr").read_bytes())
    first = parse_token((V / "test_tsa" / "response.tsr").read_bytes())
    assert other.raw != first.raw and other.nonce == 0xDE10A2FD76C22477
    with pytest.raises(TokenProblem) as caught:
        check_against_pin(other, HELLO, root=certs[-1], intermediates=tuple(certs[1:-1]))
    assert caught.value.code == "timestamp-untrusted"


@pytest.mark.parametrize("name", ["test_tsa/request.der", "test_tsa/other_request.der",
                                  "sigstage/request.der"])
def test_requests_parse(name: str) -> None:
    from asn1crypto import tsp

    req = tsp.TimeStampReq.load((V / name).read_bytes(), strict=True)
    assert req["message_imprint"]["hash_algorithm"]["algorithm"].native == "sha512"


def test_nonces_match_source_md() -> None:
    assert parse_token((V / "test_tsa/response.tsr").read_bytes()).nonce == 0x36A44F9F4A391FD3
    assert parse_token((V / "identrust/issue-104.tsr").read_bytes()).nonce == 0x75C3B3214AC39FBB
    assert parse_token((V / "sigstore.mock/response-expired.tsr").read_bytes()).nonce == 0x499602D2


def test_every_vector_file_is_exercised() -> None:
    used = {n for n, *_ in VALID} | {
        "sigstage/response-invalid-signature.tsr", "test_tsa/other_response.tsr",
        "test_tsa/request.der", "test_tsa/other_request.der", "sigstage/request.der"}
    present = {str(p.relative_to(V)) for p in V.rglob("*") if p.suffix in (".tsr", ".der")}
    assert present == used


def test_a_changed_byte_anywhere_in_a_vector_is_refused() -> None:
    raw = (V / "sigstage" / "response-sha256.tsr").read_bytes()
    certs = chain("sigstage")
    refused = 0
    for offset in range(0, len(raw), max(1, len(raw) // 97)):
        changed = bytearray(raw)
        changed[offset] ^= 0x01
        try:
            facts = parse_token(bytes(changed))
            check_integrity(facts, HELLO)
            check_against_pin(facts, HELLO, root=certs[-1], certificate=certs[0])
        except TokenProblem:
            refused += 1
            continue
        # A change the checks let through may only be in unsigned, unused bytes.
        pytest.fail(f"changed byte at {offset} accepted")
    assert refused > 90


