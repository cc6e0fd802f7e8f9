"""``evidence timestamp``: RFC 3161 tokens over a bundle's signed root, stored in the bundle.

The time-stamped message is the exact bytes of ``evidence/root.json``: the capturer's root
statement *with* its signature, so a token shows that the signed root existed no later than
the TSA's genTime, and ``openssl ts -verify -data evidence/root.json -in TOKEN`` re-checks
it. Each token is the TSA's DER ``TimeStampResp``, written to
``evidence/timestamps/N-HOST.tsr`` and recorded by a signed ``timestamped`` custody entry
(file name, SHA-256 of the token, TSA URL, genTime, serial, policy); the custody append
refreshes the tag manifests.

Every TSA is asked and every answer checked *before* anything is written: a TSA that is
unreachable or answers wrongly leaves the bundle exactly as it was.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from evidence.bundle.custody import append_entry
from evidence.bundle.integrity import is_disclosure, require_package
from evidence.bundle.layout import CUSTODY_FILE, ROOT_FILE, open_regular, read_signed_root

from ..errors import InputError
from ..fsutil import atomic_write_bytes
from ..keys import SigningKey
from .client import DEFAULT_TIMEOUT_SECONDS, request_timestamp
from .token import MAX_TOKEN_BYTES, TokenFacts, stamp

__all__ = ["MAX_TIMESTAMPS", "TIMESTAMPS_DIR", "TIMESTAMP_NAME", "StoredTimestamp",
           "read_root_bytes", "timestamp_bundle"]

TIMESTAMPS_DIR = "evidence/timestamps"
#: The custody action recording a token.
ACTION = "timestamped"
#: A bundle collects a token or two per TSA; 64 bounds what a verifier reads.
MAX_TIMESTAMPS = 64
#: ``N-HOST.tsr``: a sequence number and the TSA's host name, lowercase.
TIMESTAMP_NAME = re.compile(r"[1-9][0-9]{0,3}-[a-z0-9][a-z0-9.-]{0,62}\.tsr")
_HOST_CHARS = re.compile(r"[^a-z0-9.-]+")


@dataclass(frozen=True)
class StoredTimestamp:
    """A token written into a bundle."""

    bundle: Path
    file: str
    url: str
    facts: TokenFacts

    def to_json(self) -> dict[str, Any]:
        return {"bundle": str(self.bundle), "file": self.file, "tsa_url": self.url,
                **self.facts.to_json()}


def read_root_bytes(bundle: Path) -> bytes:
    """The time-stamped message: ``evidence/root.json`` as stored (bounded, no links)."""
    with open_regular(bundle / ROOT_FILE, within=bundle) as fh:
        return fh.read(MAX_TOKEN_BYTES * 4)


def _file_name(n: int, url: str) -> str:
    host = _HOST_CHARS.sub("-", (urlsplit(url).hostname or "tsa").lower()).strip("-.")[:62]
    return f"{n}-{host or 'tsa'}.tsr"


def _existing(folder: Path) -> list[str]:
    if not folder.is_dir():
        return []
    return sorted(p.name for p in folder.iterdir())


def timestamp_bundle(bundle: Path, urls: Sequence[str], *, key: SigningKey,
                     algorithm: str = "sha256",
                     timeout: float = DEFAULT_TIMEOUT_SECONDS) -> list[StoredTimestamp]:
    """Time-stamp ``bundle``'s signed root at every TSA in ``urls`` and store the tokens.

    Raises InputError for a path that is not a bundle or is a disclosure package (time-stamp
    the bundle, then disclose: the package carries its tokens), FormatError for a damaged
    root, TimestampAuthorityError (exit 3) for a TSA that cannot be asked and
    VerificationError (exit 1) for an answer refused; in all those cases nothing in the
    bundle has changed.
    """
    bundle = Path(bundle)
    require_package(bundle)
    if is_disclosure(bundle):
        raise InputError(f"{bundle}: a disclosure package; time-stamp the bundle it came "
                         "from, then disclose again (the package carries the bundle's tokens)")
    if not urls:
        raise InputError("name at least one TSA (--tsa URL)")
    read_signed_root(bundle)
    message = read_root_bytes(bundle)
    folder = bundle / TIMESTAMPS_DIR
    present = _existing(folder)
    if len(present) + len(urls) > MAX_TIMESTAMPS:
        raise InputError(f"{bundle}: at most {MAX_TIMESTAMPS} timestamps per bundle")
    # Ask every TSA first; write nothing unless all answered well.
    answers = [(url, request_timestamp(message, url, algorithm=algorithm, timeout=timeout))
               for url in urls]
    stored: list[StoredTimestamp] = []
    n = len(present)
    for url, facts in answers:
        n += 1
        name = _file_name(n, url)
        while name in present:
            n += 1
            name = _file_name(n, url)
        rel = f"{TIMESTAMPS_DIR}/{name}"
        folder.mkdir(exist_ok=True)
        path = bundle / rel
        atomic_write_bytes(path, facts.raw)
        details = {
            "file": rel, "token_sha256": facts.sha256, "tsa_url": url,
            "tsa_name": facts.tsa_name, "signer": facts.signer_subject,
            "gen_time": stamp(facts.gen_time), "serial": format(facts.serial, "x"),
            "policy": facts.policy, "hash_algorithm": facts.hash_algorithm,
            "message": ROOT_FILE, "message_sha256": hashlib.sha256(message).hexdigest(),
        }
        custody = bundle / CUSTODY_FILE
        before = custody.read_bytes()
        try:
            append_entry(bundle, ACTION, details, key)
        except BaseException:
            # Take the token back only while no signed entry records it.
            with contextlib.suppress(OSError):
                if custody.read_bytes() == before:
                    path.unlink()
                    if not any(folder.iterdir()):
                        folder.rmdir()
            raise
        present.append(name)
        stored.append(StoredTimestamp(bundle=bundle, file=rel, url=url, facts=facts))
    return stored
