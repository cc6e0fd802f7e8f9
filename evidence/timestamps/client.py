"""Ask a TSA for a time-stamp over HTTP (RFC 3161 §3.4) and check its answer.

The request is built by rfc3161-client: a SHA-256 (or SHA-512) message imprint, a fresh
64-bit nonce and ``certReq = true`` (so the token carries the TSA certificate a verifier
needs). The answer must be granted and carry that imprint and that nonce, a CMS signature
that verifies under the certificate its SignerInfo names, the ESS signing-certificate
attribute for that certificate, the critical timeStamping EKU and a certificate valid at
genTime (:func:`evidence.timestamps.token.check_integrity`). Whether the TSA is *trusted*
is not decided here: that is the verifier's trust profile, later.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from ..errors import InputError, TimestampAuthorityError, VerificationError

if TYPE_CHECKING:
    from .token import TokenFacts

__all__ = ["DEFAULT_TIMEOUT_SECONDS", "IMPRINT_ALGORITHMS", "check_url", "request_timestamp"]

#: A TSA answers in well under a second; 30 s covers a slow network without hanging a
#: capture for minutes.
DEFAULT_TIMEOUT_SECONDS = 30.0

#: Algorithms a request may use (the issue: SHA-256 or SHA-512).
IMPRINT_ALGORITHMS = ("sha256", "sha512")

_CONTENT_TYPE = "application/timestamp-query"
_REPLY_TYPE = "application/timestamp-reply"


def check_url(url: str) -> str:
    """An http(s) URL without credentials; InputError otherwise."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InputError(f"--tsa {url!r}: not an http(s) URL")
    if parts.username or parts.password:
        raise InputError(f"--tsa {url!r}: a TSA URL must not carry a user name or password")
    return url


def request_timestamp(message: bytes, url: str, *, algorithm: str = "sha256",
                      timeout: float = DEFAULT_TIMEOUT_SECONDS) -> TokenFacts:
    """Time-stamp ``message`` at the TSA ``url``; return the checked response.

    Raises TimestampAuthorityError (exit 3) when the TSA cannot be reached or answers an HTTP
    error, VerificationError (exit 1) when its answer is refused (rejection status, wrong
    imprint or nonce, bad signature, missing ESS attribute, expired certificate, not DER),
    InputError for a bad URL or algorithm. Every message is one line naming the TSA.
    """
    import urllib.error
    import urllib.request

    from rfc3161_client import HashAlgorithm, TimestampRequestBuilder

    from .token import MAX_TOKEN_BYTES, TokenProblem, check_integrity, parse_token

    check_url(url)
    if algorithm not in IMPRINT_ALGORITHMS:
        raise InputError(f"imprint algorithm {algorithm!r}: use one of "
                         f"{', '.join(IMPRINT_ALGORITHMS)}")
    hash_alg = HashAlgorithm.SHA256 if algorithm == "sha256" else HashAlgorithm.SHA512
    req = (TimestampRequestBuilder().data(message).hash_algorithm(hash_alg)
           .nonce(nonce=True).cert_request(cert_request=True).build())
    http = urllib.request.Request(url, data=req.as_bytes(), method="POST",
                                  headers={"Content-Type": _CONTENT_TYPE,
                                           "Accept": _REPLY_TYPE})
    try:
        with urllib.request.urlopen(http, timeout=timeout) as answer:
            body = answer.read(MAX_TOKEN_BYTES + 1)
    except urllib.error.HTTPError as exc:
        raise TimestampAuthorityError(f"TSA {url}: HTTP error {exc.code} {exc.reason}; check the "
                                  "URL or try another TSA") from exc
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        raise TimestampAuthorityError(f"TSA {url} unreachable ({reason}); check the URL and the "
                                  "network, or try another TSA") from exc
    try:
        facts = parse_token(body)
        if facts.nonce != req.nonce:
            raise TokenProblem("timestamp-nonce-mismatch",
                               "the answer's nonce is not the request's (a replayed or "
                               "substituted answer)")
        if facts.hash_algorithm != algorithm:
            raise TokenProblem("timestamp-imprint-mismatch",
                               f"the answer uses {facts.hash_algorithm}, the request "
                               f"{algorithm}")
        check_integrity(facts, message)
    except TokenProblem as exc:
        raise VerificationError(f"TSA {url}: answer refused ({exc.code}): {exc}") from exc
    return facts
