"""The hash-chained custody log (``evidence/custody.jsonl``).

Each line is the RFC 8785 encoding of one entry::

    {"version": 1, "seq": N, "action": "captured" | "anchored" | "confirmed" | "disclosed" | ...,
     "at": "2026-11-27T21:00:00Z", "actor": {"public_key": hex, "fingerprint": ...},
     "details": {...}, "prev": hex(SHA-256 of the previous line) or 64 zeros,
     "signature": hex(Ed25519 over the JCS of the entry without "signature")}

Changing, dropping, inserting or reordering an entry breaks the ``prev`` links or a
signature. The first entry is the capture (or, in a disclosure package, the disclosure)
and must be signed by the bundle's signer.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ..errors import FormatError
from ..findings import Finding, Severity
from ..fsutil import atomic_write_bytes
from ..keys import SigningKey, fingerprint, verify_signature
from ..standards.ijson import loads_strict
from ..standards.jcs import canonicalize

__all__ = ["CustodyEntry", "append_entry", "first_entry", "read_custody", "verify_custody"]

ZERO_HASH = "0" * 64
#: A custody log gains a handful of entries per bundle; 10,000 is far beyond honest use and
#: bounds what a verifier reads.
MAX_ENTRIES = 10_000
MAX_ENTRY_BYTES = 64 * 1024
#: The fixed shape of an entry (see the module docstring).
_ENTRY_KEYS = frozenset({"version", "seq", "action", "at", "actor", "details", "prev",
                         "signature"})


def utc_now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class CustodyEntry:
    seq: int
    action: str
    at: str
    actor_key: bytes
    details: dict[str, Any]
    prev: str
    signature: bytes
    line: bytes

    @property
    def body(self) -> dict[str, Any]:
        return {
            "version": 1,
            "seq": self.seq,
            "action": self.action,
            "at": self.at,
            "actor": {"public_key": self.actor_key.hex(),
                      "fingerprint": fingerprint(self.actor_key)},
            "details": self.details,
            "prev": self.prev,
        }

    @property
    def hash(self) -> str:
        return hashlib.sha256(self.line).hexdigest()

    def to_json(self) -> dict[str, Any]:
        return {**self.body, "signature": self.signature.hex()}


def make_entry(
    *, seq: int, action: str, details: dict[str, Any], prev: str, key: SigningKey,
    at: str | None = None,
) -> CustodyEntry:
    body = {
        "version": 1,
        "seq": seq,
        "action": action,
        "at": at or utc_now(),
        "actor": {"public_key": key.public_key.hex(), "fingerprint": key.fingerprint},
        "details": details,
        "prev": prev,
    }
    signature = key.sign(canonicalize(body))
    line = canonicalize({**body, "signature": signature.hex()})
    return CustodyEntry(seq, action, str(body["at"]), key.public_key, details, prev, signature,
                        line)


def first_entry(action: str, details: dict[str, Any], key: SigningKey) -> CustodyEntry:
    return make_entry(seq=0, action=action, details=details, prev=ZERO_HASH, key=key)


def _parse(line: bytes, where: str) -> CustodyEntry:
    parsed = loads_strict(line, path=where)
    if not isinstance(parsed, dict) or canonicalize(parsed) != line:
        raise FormatError("custody entry is not a canonical JSON object", path=where)
    value: dict[str, Any] = parsed
    if set(value) != _ENTRY_KEYS:
        # An unknown field would ride along unsigned (the signature covers the known ones).
        raise FormatError(f"custody entry fields differ from {sorted(_ENTRY_KEYS)}", path=where)
    try:
        actor = value["actor"]
        if not isinstance(actor, dict) or set(actor) != {"public_key", "fingerprint"}:
            raise TypeError("actor must be {public_key, fingerprint}")
        entry = CustodyEntry(
            seq=int(value["seq"]),
            action=str(value["action"]),
            at=str(value["at"]),
            actor_key=bytes.fromhex(str(actor["public_key"])),
            details=dict(value["details"]),
            prev=str(value["prev"]),
            signature=bytes.fromhex(str(value["signature"])),
            line=line,
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise FormatError(f"malformed custody entry ({exc})", path=where) from exc
    if value.get("version") != 1:
        raise FormatError(f"unsupported custody entry version {value.get('version')!r}", path=where)
    if canonicalize(entry.to_json()) != line:
        # Every byte of the line must be what the signed body gives (a fingerprint that is
        # not the key's, a number written as text...): nothing unsigned may differ.
        raise FormatError("custody entry does not match its signed form (a field has the "
                          "wrong type or a fingerprint is not its key's)", path=where)
    return entry


def read_custody(path: Path, *, within: Path | None = None) -> list[CustodyEntry]:
    """Read the log; raises FormatError on a malformed, oversized or unreadable log.

    Read line by line within :data:`MAX_ENTRY_BYTES` and :data:`MAX_ENTRIES`, so a hostile
    log cannot make the reader allocate without bound; links are never followed (see
    :func:`evidence.bundle.layout.open_regular`, ``within`` being the bundle folder).
    """
    from .layout import open_regular

    try:
        fh = open_regular(path, within=within)
    except FileNotFoundError as exc:
        raise FormatError("custody log is missing", path=str(path)) from exc
    except OSError as exc:
        raise FormatError(f"cannot read the custody log ({exc.strerror})", path=str(path)) from exc
    entries: list[CustodyEntry] = []
    with fh:
        while raw := fh.readline(MAX_ENTRY_BYTES + 1):
            if not raw.endswith(b"\n"):
                if len(raw) > MAX_ENTRY_BYTES:
                    raise FormatError(f"custody entry {len(entries) + 1} is longer than "
                                      f"{MAX_ENTRY_BYTES} bytes", path=str(path))
                raise FormatError("custody log is truncated (no final newline)", path=str(path))
            if len(entries) >= MAX_ENTRIES:
                raise FormatError(f"custody log has more than {MAX_ENTRIES} entries",
                                  path=str(path))
            entries.append(_parse(raw[:-1], f"{path}: line {len(entries) + 1}"))
    return entries


def verify_custody(entries: Sequence[CustodyEntry], *, signer: bytes | None,
                   first_actions: tuple[str, ...] = ("captured",)) -> list[Finding]:
    """Check the chain: sequence numbers, ``prev`` links, signatures, first entry."""
    problems: list[Finding] = []
    subject = "evidence/custody.jsonl"
    if not entries:
        return [Finding("custody-empty", Severity.ERROR, "custody log has no entries", subject)]
    prev = ZERO_HASH
    for i, entry in enumerate(entries):
        where = f"custody entry {i + 1} ({entry.action})"
        if entry.seq != i:
            problems.append(Finding("custody-sequence", Severity.ERROR,
                                    f"{where}: sequence number {entry.seq}, expected {i}", subject))
        if entry.prev != prev:
            problems.append(Finding("custody-chain-broken", Severity.ERROR,
                                    f"{where}: does not link to the previous entry", subject))
        if not verify_signature(entry.actor_key, entry.signature, canonicalize(entry.body)):
            problems.append(Finding("custody-signature", Severity.ERROR,
                                    f"{where}: signature does not verify", subject))
        prev = entry.hash
    if entries[0].action not in first_actions:
        problems.append(Finding("custody-first-entry", Severity.ERROR,
                                f"first custody entry is {entries[0].action!r}, expected "
                                f"{' or '.join(first_actions)}", subject))
    if signer is not None and entries[0].actor_key != signer:
        problems.append(Finding("custody-first-entry", Severity.ERROR,
                                "first custody entry is not signed by the bundle's signer",
                                subject))
    if not problems:
        problems.append(Finding("custody-ok", Severity.OK,
                                f"custody log intact ({len(entries)} entries, hash-chained, "
                                "signed)",
                                subject))
    return problems


def append_entry(bundle: Path, action: str, details: dict[str, Any],
                 key: SigningKey) -> CustodyEntry:
    """Append an entry to a bundle's custody log and refresh the tag manifests atomically."""
    from ..standards.bagit import write_tag_manifests

    path = bundle / "evidence" / "custody.jsonl"
    entries = read_custody(path)
    prev = entries[-1].hash if entries else ZERO_HASH
    entry = make_entry(seq=len(entries), action=action, details=details, prev=prev, key=key)
    atomic_write_bytes(path, path.read_bytes() + entry.line + b"\n")
    write_tag_manifests(bundle)
    return entry
