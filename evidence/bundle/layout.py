"""The evidence bundle: a BagIt 1.0 folder (RFC 8493) with evidence tag files.

Layout::

    bagit.txt  bag-info.txt  manifest-sha256.txt  manifest-sha512.txt  tagmanifest-*.txt
    data/files/...              captured files, byte for byte
    data/exports/NAME           original transaction exports, byte for byte
    data/records/NAME.jsonl     one RFC 8785 canonical record per line
    evidence/provenance.json    who, when, with what, from where (canonical JSON)
    evidence/items.jsonl        one item per line; each line is an RFC 6962 leaf input
    evidence/root.json          the signed bundle root
    evidence/custody.jsonl      the hash-chained custody log
    evidence/receipts/*.json    anchor receipts, once anchored
    evidence/proof.json         disclosure packages only: the item's inclusion proof

Every line of ``items.jsonl`` is the RFC 8785 (JCS) encoding of one item description
with its 32-byte random salt; its RFC 6962 leaf hash is SHA-256(0x00 || line)
(docs/architecture.md step 2). The leaves, in file order, form the bundle's Merkle tree, whose
root the capturer signs (Ed25519) inside a canonical statement.
"""

from __future__ import annotations

import errno
import hashlib
import os
import re
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from ..errors import FormatError, NotABundleError
from ..standards.ijson import loads_canonical, loads_strict
from ..standards.jcs import JSONValue, canonicalize

__all__ = [
    "CUSTODY_FILE",
    "ITEMS_FILE",
    "PROOF_FILE",
    "PROVENANCE_FILE",
    "RECEIPTS_DIR",
    "ROOT_FILE",
    "Item",
    "SignedRoot",
    "iter_items",
    "open_regular",
    "read_json_file",
    "read_signed_root",
]

FORMAT_VERSION = 1
EVIDENCE_DIR = "evidence"
ITEMS_FILE = "evidence/items.jsonl"
ROOT_FILE = "evidence/root.json"
PROVENANCE_FILE = "evidence/provenance.json"
CUSTODY_FILE = "evidence/custody.jsonl"
RECEIPTS_DIR = "evidence/receipts"
PROOF_FILE = "evidence/proof.json"
#: Salt length (docs/architecture.md step 2): 32 random bytes keep low-entropy records from being
#: guessed from their leaf hash.
SALT_BYTES = 32
#: An item line holds digests and short names; 64 KiB is far above any honest one.
MAX_ITEM_LINE_BYTES = 64 * 1024
#: Read buffer for the long line-oriented files (items.jsonl, records): each refill is a
#: system call that releases the GIL, and getting it back can wait for another thread's
#: switch interval (5 ms) while the verifier hashes the payload on worker threads; 1 MiB
#: reads make those waits a hundred times rarer than the default 8 KiB.
READ_BUFFER_BYTES = 1 << 20
#: root.json, provenance.json, receipts and proofs are small documents.
MAX_TAG_JSON_BYTES = 1024 * 1024
ROOT_STATEMENT_TYPE = "evidence-bundle-root"
HASH_ALGORITHM = "rfc6962-sha256"
#: The fixed shape of ``root.json`` (docs/formats.md "Tree and root"): unknown fields are
#: refused, so nothing unsigned can ride along with the signed statement.
_ROOT_KEYS = frozenset({"version", "statement", "signer", "signature"})
_STATEMENT_KEYS = frozenset({"type", "version", "hash", "root", "leaf_count", "case",
                             "captured_at", "provenance"})
_SIGNER_KEYS = frozenset({"algorithm", "public_key", "fingerprint"})

_HEX64 = re.compile(r"[0-9a-f]{64}\Z")
_HEX128 = re.compile(r"[0-9a-f]{128}\Z")
_ITEM_ID = re.compile(r"[FR]-[1-9][0-9]{0,8}\Z")


def _need(obj: dict[str, Any], key: str, kind: type | tuple[type, ...], where: str) -> Any:
    if key not in obj:
        raise FormatError(f"missing field {key!r}", path=where)
    value = obj[key]
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise FormatError(f"field {key!r} has the wrong type", path=where)
    return value


def _hex(obj: dict[str, Any], key: str, pattern: re.Pattern[str], where: str) -> str:
    value = _need(obj, key, str, where)
    if not pattern.match(value):
        raise FormatError(f"field {key!r} is not a lowercase hex digest of the right length",
                          path=where)
    return str(value)


@dataclass(frozen=True)
class Item:
    """One item of a bundle: a captured file or one transaction record.

    ``line`` holds the exact canonical bytes of the item (its leaf input). For records,
    ``path`` is the records file and ``record_line`` the 1-based line holding the record.
    """

    index: int
    id: str
    kind: str
    path: str
    size: int
    sha256: str
    sha512: str
    media_type: str
    provenance: str
    salt: str
    fields: dict[str, Any]
    line: bytes

    @property
    def record_line(self) -> int | None:
        value = self.fields.get("line")
        return value if isinstance(value, int) else None

    @property
    def name(self) -> str:
        """A short human name: the original file name or the record's locator."""
        if self.kind == "file":
            return str(self.fields.get("original_name") or self.path.rsplit("/", 1)[-1])
        return f"{self.fields.get('source_name', '?')} {self.fields.get('locator', '')}".strip()

    def to_json(self) -> dict[str, Any]:
        return dict(self.fields)

    @classmethod
    def parse(cls, line: bytes, *, index: int, where: str) -> Item:
        """Parse and check one ``items.jsonl`` line (must be canonical JCS)."""
        value = loads_canonical(line)
        if value is None:  # not decided quickly: the strict parse says what is wrong, if any
            parsed = loads_strict(line, path=where)
            if not isinstance(parsed, dict):
                raise FormatError("item is not a JSON object", path=where)
            if canonicalize(parsed) != line:
                raise FormatError("item line is not in RFC 8785 canonical form", path=where)
            value = parsed
        if value.get("version") != FORMAT_VERSION:
            raise FormatError(f"unsupported item version {value.get('version')!r}", path=where)
        kind = _need(value, "kind", str, where)
        if kind not in ("file", "record"):
            raise FormatError(f"unknown item kind {kind!r}", path=where)
        item_id = _need(value, "id", str, where)
        if not _ITEM_ID.match(item_id) or item_id[0] != kind[0].upper():
            raise FormatError(f"bad item id {item_id!r}", path=where)
        path = _need(value, "path", str, where)
        # A backslash is an ordinary character in a POSIX file name (and is captured as
        # such); it is refused only where it would make a '..' step on Windows.
        if not path.startswith("data/") or ".." in re.split(r"[/\\]", path):
            raise FormatError(f"item path {path!r} is not under data/", path=where)
        size = _need(value, "size", int, where)
        if size < 0:
            raise FormatError("negative size", path=where)
        if kind == "record":
            rec_line = _need(value, "line", int, where)
            if rec_line < 1:
                raise FormatError("record line must be >= 1", path=where)
        salt = _hex(value, "salt", _HEX64, where)
        return cls(
            index=index,
            id=item_id,
            kind=kind,
            path=path,
            size=size,
            sha256=_hex(value, "sha256", _HEX64, where),
            sha512=_hex(value, "sha512", _HEX128, where),
            media_type=str(_need(value, "media_type", str, where)),
            provenance=_hex(value, "provenance", _HEX64, where),
            salt=salt,
            fields=value,
            line=line,
        )


_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_CLOEXEC", 0)
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
#: Opening a FIFO for reading blocks until a writer appears; O_NONBLOCK makes it return at
#: once so that the regular-file check below can refuse it (no effect on regular files).
_NONBLOCK = getattr(os, "O_NONBLOCK", 0)


def open_regular(path: Path, *, within: Path | None = None, buffering: int = -1) -> BinaryIO:
    """Open a bundle file for reading without following symbolic links.

    Bundles come from the other side of a dispute: a tag file may be a link to
    ``/etc/passwd`` or to a FIFO that would block a reader for ever. With ``within`` (the
    bundle folder) no component of ``path`` below it may be a link (each folder is opened
    with ``O_NOFOLLOW`` relative to the previous one); without it only the last component
    is checked. FIFOs and devices are refused without blocking. ``buffering`` is the read
    buffer size (``-1``: Python's default).

    Raises FileNotFoundError when a component is missing, FormatError for a link or a
    file that is not regular, OSError for other read failures.
    """
    parts = Path(path).relative_to(within).parts if within is not None else (str(path),)
    if not parts or any(p in ("", ".", "..") for p in parts):
        raise FormatError("not a file inside the bundle", path=str(path))
    dir_fd = os.open(within, os.O_RDONLY | os.O_DIRECTORY) if within is not None else None
    try:
        for part in parts[:-1]:
            try:
                fd = os.open(part, os.O_RDONLY | os.O_DIRECTORY | _NOFOLLOW, dir_fd=dir_fd)
            except OSError as exc:
                if exc.errno in (errno.ELOOP, errno.ENOTDIR):
                    raise FormatError(f"{part} is a symbolic link or not a folder (links are "
                                      "never followed)", path=str(path)) from exc
                raise
            if dir_fd is not None:
                os.close(dir_fd)
            dir_fd = fd
        try:
            fd = os.open(parts[-1], _OPEN_FLAGS | _NOFOLLOW | _NONBLOCK, dir_fd=dir_fd)
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                raise FormatError("is a symbolic link (links are never followed)",
                                  path=str(path)) from exc
            raise
    finally:
        if dir_fd is not None:
            os.close(dir_fd)
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise FormatError("is not a regular file", path=str(path))
        return os.fdopen(fd, "rb", buffering=buffering)
    except BaseException:
        os.close(fd)
        raise


def iter_items(bundle: Path) -> Iterator[Item]:
    """Stream the items of a bundle, checking each line. Raises FormatError/NotABundleError."""
    path = bundle / ITEMS_FILE
    try:
        fh = open_regular(path, within=bundle, buffering=READ_BUFFER_BYTES)
    except FileNotFoundError as exc:
        raise NotABundleError(f"not an evidence bundle (no {ITEMS_FILE})",
                              path=str(bundle)) from exc
    except OSError as exc:
        raise FormatError(f"cannot read ({exc.strerror})", path=str(path)) from exc
    with fh:
        index = 0
        while True:
            raw = fh.readline(MAX_ITEM_LINE_BYTES + 2)
            if not raw:
                break
            where = f"{path}: line {index + 1}"
            if not raw.endswith(b"\n"):
                if len(raw) > MAX_ITEM_LINE_BYTES:
                    raise FormatError("item line too long", path=where)
                raise FormatError("last item line has no newline (truncated file?)", path=where)
            yield Item.parse(raw[:-1], index=index, where=where)
            index += 1


def read_json_file(path: Path, *, limit: int = MAX_TAG_JSON_BYTES,
                   within: Path | None = None) -> JSONValue:
    """Read a small strict-JSON tag file (bounded; links never followed, see
    :func:`open_regular`)."""
    try:
        with open_regular(path, within=within) as fh:
            data = fh.read(limit + 1)
    except FileNotFoundError as exc:
        raise FormatError("file is missing", path=str(path)) from exc
    except OSError as exc:
        raise FormatError(f"cannot read ({exc.strerror})", path=str(path)) from exc
    if len(data) > limit:
        raise FormatError(f"file larger than {limit} bytes", path=str(path))
    return loads_strict(data, path=str(path))


@dataclass(frozen=True)
class SignedRoot:
    """``evidence/root.json``: the capturer's signature over the root statement."""

    statement: dict[str, Any]
    public_key: bytes
    signature: bytes

    @property
    def root(self) -> bytes:
        return bytes.fromhex(str(self.statement["root"]))

    @property
    def leaf_count(self) -> int:
        return int(self.statement["leaf_count"])

    @property
    def signed_message(self) -> bytes:
        return canonicalize(self.statement)

    @property
    def fingerprint(self) -> str:
        from ..keys import fingerprint

        return fingerprint(self.public_key)

    def to_json(self) -> dict[str, Any]:
        return {
            "version": FORMAT_VERSION,
            "statement": self.statement,
            "signer": {
                "algorithm": "ed25519",
                "public_key": self.public_key.hex(),
                "fingerprint": self.fingerprint,
            },
            "signature": self.signature.hex(),
        }

    @classmethod
    def from_json(cls, obj: JSONValue, *, where: str) -> SignedRoot:
        if not isinstance(obj, dict):
            raise FormatError("not a JSON object", path=where)
        if obj.get("version") != FORMAT_VERSION:
            raise FormatError(f"unsupported version {obj.get('version')!r}", path=where)
        if set(obj) != _ROOT_KEYS:
            raise FormatError(f"root fields differ from {sorted(_ROOT_KEYS)}", path=where)
        statement = _need(obj, "statement", dict, where)
        if statement.get("type") != ROOT_STATEMENT_TYPE or statement.get("version") != 1:
            raise FormatError("not an evidence bundle root statement", path=where)
        if set(statement) != _STATEMENT_KEYS:
            raise FormatError(f"root statement fields differ from {sorted(_STATEMENT_KEYS)}",
                              path=where)
        if statement.get("hash") != HASH_ALGORITHM:
            raise FormatError(f"unsupported tree hash {statement.get('hash')!r}", path=where)
        _hex(statement, "root", _HEX64, where)
        _hex(statement, "provenance", _HEX64, where)
        _need(statement, "case", str, where)
        _need(statement, "captured_at", str, where)
        count = _need(statement, "leaf_count", int, where)
        if count < 1:
            raise FormatError("leaf_count must be >= 1", path=where)
        signer = _need(obj, "signer", dict, where)
        if signer.get("algorithm") != "ed25519" or set(signer) != _SIGNER_KEYS:
            raise FormatError("unsupported signature algorithm or signer fields", path=where)
        try:
            public_key = bytes.fromhex(_need(signer, "public_key", str, where))
            signature = bytes.fromhex(_need(obj, "signature", str, where))
        except ValueError as exc:
            raise FormatError("public key or signature is not hex", path=where) from exc
        if len(public_key) != 32 or len(signature) != 64:
            raise FormatError("public key or signature has the wrong length", path=where)
        from ..keys import fingerprint

        if signer.get("fingerprint") != fingerprint(public_key):
            raise FormatError("signer fingerprint does not match its public key", path=where)
        return cls(statement=statement, public_key=public_key, signature=signature)


def read_signed_root(bundle: Path) -> SignedRoot:
    path = bundle / ROOT_FILE
    if not path.is_file():
        raise NotABundleError(f"not an evidence bundle (no {ROOT_FILE})", path=str(bundle))
    signed = SignedRoot.from_json(read_json_file(path, within=bundle), where=str(path))
    with open_regular(path, within=bundle) as fh:
        if fh.read(MAX_TAG_JSON_BYTES + 1) != canonicalize(signed.to_json()) + b"\n":
            raise FormatError("root.json is not in its canonical form (RFC 8785 and one "
                              "line end): changed after signing?", path=str(path))
    return signed


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
