"""A trust profile's detached publisher signature (``<profile>.sig``) and pinned keys.

What: the publisher of a trust profile (a court, a bar association, a consortium of
notaries) signs the profile file's exact bytes with an Ed25519 key (RFC 8032; the key file
of :mod:`evidence.keys`). The signature sits beside the profile as a small JSON document::

    {"version": 1, "type": "evidence-trust-profile-signature", "algorithm": "ed25519",
     "public_key": "<64 hex>", "fingerprint": "sha256:<32 hex>",
     "profile_sha256": "<64 hex>", "signed_at": "2026-05-01T10:00:00Z",
     "signature": "<128 hex>"}

The signature is over :data:`SIGNED_PREFIX` followed by the profile's bytes: the prefix
separates this use of the key from any other (a report signature, a custody entry), so a
signature made for one can never pass for the other. ``profile_sha256`` lets a reader see
at once that a profile changed after signing; ``signed_at`` is the signer's own claim and is
*not* covered by the signature.

Why: a verifier who pins the publisher's key (by its fingerprint) knows the profile it
uses is the one that publisher issued, wherever the file came from.

How it fails: a malformed signature document raises :class:`~evidence.errors.FormatError`
naming the ``.sig`` file; a signature that does not verify, or a key that is not the
pinned one, raises :class:`~evidence.errors.InputError` naming the profile and the key
fingerprint found. Nothing here talks to the terminal.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

from evidence.errors import FormatError, InputError
from evidence.keys import SigningKey, fingerprint, public_key_from_file, verify_signature
from evidence.trust.model import ProfileSignature

__all__ = [
    "MAX_SIGNATURE_BYTES",
    "SIGNATURE_SUFFIX",
    "SIGNATURE_TYPE",
    "SIGNATURE_VERSION",
    "SIGNED_PREFIX",
    "make_profile_signature",
    "read_signature_file",
    "resolve_publisher_keys",
    "signature_path",
    "verify_profile_signature",
]

#: ``type`` and ``version`` of the signature document.
SIGNATURE_TYPE = "evidence-trust-profile-signature"
SIGNATURE_VERSION = 1

#: Domain separation: the signed message is this prefix followed by the profile's bytes.
SIGNED_PREFIX = b"evidence-trust-profile-v1\n"

#: The detached signature of ``profile.toml`` is ``profile.toml.sig``.
SIGNATURE_SUFFIX = ".sig"

#: A signature document is about 400 bytes; anything much larger is not one.
MAX_SIGNATURE_BYTES = 4096

_KEYS = frozenset({"version", "type", "algorithm", "public_key", "fingerprint",
                   "profile_sha256", "signed_at", "signature"})
_FINGERPRINT_RE = re.compile(r"sha256:[0-9a-f]{32}")
_STAMP_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z")
_HEX64_RE = re.compile(r"[0-9a-f]{64}")
_HEX128_RE = re.compile(r"[0-9a-f]{128}")


def signature_path(profile: Path) -> Path:
    """Where the detached signature of ``profile`` lives: ``<profile>.sig``."""
    return profile.with_name(profile.name + SIGNATURE_SUFFIX)


def make_profile_signature(raw: bytes, key: SigningKey, *, signed_at: datetime) -> bytes:
    """The signature document (UTF-8 JSON, one line break at the end) of profile bytes
    ``raw`` signed with ``key``. ``signed_at`` must carry a time zone (ValueError if not)."""
    if signed_at.tzinfo is None:
        raise ValueError("signed_at must carry a time zone")
    doc = {
        "version": SIGNATURE_VERSION,
        "type": SIGNATURE_TYPE,
        "algorithm": "ed25519",
        "public_key": key.public_key.hex(),
        "fingerprint": key.fingerprint,
        "profile_sha256": hashlib.sha256(raw).hexdigest(),
        "signed_at": signed_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "signature": key.sign(SIGNED_PREFIX + raw).hex(),
    }
    return (json.dumps(doc, indent=2) + "\n").encode("utf-8")


def read_signature_file(path: Path) -> bytes:
    """The bytes of signature file ``path`` (InputError when unreadable, FormatError when
    too large to be one)."""
    try:
        with path.open("rb") as fh:
            data = fh.read(MAX_SIGNATURE_BYTES + 1)
    except OSError as exc:
        raise InputError(f"cannot read signature file {path}: {exc.strerror or exc}") from exc
    if len(data) > MAX_SIGNATURE_BYTES:
        raise FormatError(f"larger than {MAX_SIGNATURE_BYTES} bytes: not a trust profile "
                          "signature", path=str(path))
    return data


def _parse_document(sig_raw: bytes, *, sig_shown: str) -> dict[str, object]:
    # The project's strict JSON reader: UTF-8, no duplicate names, no NaN, nesting bounded
    # (MAX_DEPTH) whatever the interpreter's recursion limit, nothing after the value.
    from evidence.standards.ijson import loads_strict

    try:
        doc = loads_strict(sig_raw, path=sig_shown)
    except FormatError as exc:
        raise FormatError(f"not a trust profile signature (invalid JSON: {exc})",
                          path=sig_shown) from exc
    if not isinstance(doc, dict) or doc.get("type") != SIGNATURE_TYPE:
        raise FormatError(f"not a trust profile signature (type must be {SIGNATURE_TYPE!r})",
                          path=sig_shown)
    unknown = sorted(set(doc) - _KEYS)
    if unknown:
        raise FormatError("unknown key", path=sig_shown, where=unknown[0])
    missing = sorted(_KEYS - set(doc))
    if missing:
        raise FormatError("missing key", path=sig_shown, where=missing[0])
    if type(doc["version"]) is not int or doc["version"] != SIGNATURE_VERSION:
        raise FormatError(f"unsupported signature version {doc['version']!r}: this tool reads "
                          f"version {SIGNATURE_VERSION}", path=sig_shown, where="version")
    if doc["algorithm"] != "ed25519":
        raise FormatError(f"unsupported algorithm {doc['algorithm']!r}: only ed25519",
                          path=sig_shown, where="algorithm")
    shapes = (("public_key", _HEX64_RE, "64 lowercase hex digits"),
              ("profile_sha256", _HEX64_RE, "64 lowercase hex digits"),
              ("signature", _HEX128_RE, "128 lowercase hex digits"),
              ("fingerprint", _FINGERPRINT_RE, "sha256: and 32 lowercase hex digits"),
              ("signed_at", _STAMP_RE, "a UTC time YYYY-MM-DDTHH:MM:SSZ"))
    for name, pattern, wanted in shapes:
        value = doc[name]
        if not isinstance(value, str) or pattern.fullmatch(value) is None:
            raise FormatError(f"must be {wanted}", path=sig_shown, where=name)
    return dict(doc)


def verify_profile_signature(raw: bytes, sig_raw: bytes, *, shown: str,
                             sig_shown: str) -> ProfileSignature:
    """Check the signature document ``sig_raw`` over profile bytes ``raw``.

    Returns the checked signature with ``pinned=False`` (pinning is the caller's
    decision, see :func:`evidence.trust.profile.load_trust_profile`). Raises FormatError
    for a malformed document (``sig_shown`` names it) and InputError naming the profile
    (``shown``) and the key fingerprint when the signature does not verify.
    """
    doc = _parse_document(sig_raw, sig_shown=sig_shown)
    public = bytes.fromhex(str(doc["public_key"]))
    found = fingerprint(public)
    if doc["fingerprint"] != found:
        raise FormatError(f"the fingerprint does not match the public key (its fingerprint "
                          f"is {found})", path=sig_shown, where="fingerprint")
    if doc["profile_sha256"] != hashlib.sha256(raw).hexdigest():
        raise InputError(f"{shown}: the profile was changed after it was signed by {found} "
                         f"(its SHA-256 differs from the one in {sig_shown}); get the "
                         "publisher's original file")
    if not verify_signature(public, bytes.fromhex(str(doc["signature"])), SIGNED_PREFIX + raw):
        raise InputError(f"{shown}: the signature in {sig_shown} by {found} does not verify; "
                         "the profile or its signature was altered")
    return ProfileSignature(fingerprint=found, public_key=public,
                            signed_at=str(doc["signed_at"]), pinned=False)


def resolve_publisher_keys(keys: Iterable[str]) -> frozenset[str]:
    """The fingerprints of pinned publisher keys, each given as a fingerprint
    (``sha256:`` + 32 hex digits, as :func:`evidence.keys.fingerprint` writes it) or as the
    path of a key file (:func:`evidence.keys.public_key_from_file`).

    Raises InputError for an entry that is neither, KeyFileError for an unusable key file.
    """
    out: set[str] = set()
    for entry in keys:
        text = str(entry).strip()
        if _FINGERPRINT_RE.fullmatch(text.lower()) is not None:
            out.add(text.lower())
            continue
        path = Path(text)
        if text == "" or not path.is_file():
            raise InputError(f"publisher key {entry!r} is neither a key fingerprint "
                             "(sha256: and 32 hex digits) nor a key file")
        out.add(fingerprint(public_key_from_file(path)))
    return frozenset(out)
