"""The batcher's wire formats: signed submissions, proofs, and the service description.

A capture client asks a batcher (``evidence batcher serve``) to anchor its bundle roots
with a **submission**: a statement naming the roots, signed with the capturer's Ed25519
key (RFC 8032) over its RFC 8785 canonical bytes, in the same envelope as a bundle's
``root.json`` (docs/formats.md "Tree and root"). The statement's ``type`` differs from the
bundle root statement's, so neither signature can stand for the other. It carries only
the 32-byte roots: the case name, file names and provenance stay with the client (a root
reveals nothing about the items, whose leaves are salted).

The batcher answers each root with a **proof**: while pending, only its status; once
anchored, the RFC 6962 inclusion path from the root's batch leaf (``batch_leaf``, as in a
direct anchoring) to the batch root it anchored, the batch size and the leaf index, and
its word on where that went on chain. The client uses the path, index and size only
to recompute the batch root, and asks its own chain everything else
(evidence/batcher/client.py): the batcher is never trusted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from evidence.standards.jcs import JSONValue, canonicalize
from evidence.standards.merkle import MAX_PROOF_LENGTH

from ..errors import FormatError
from ..keys import SigningKey, fingerprint, verify_signature

__all__ = [
    "MAX_REQUEST_BYTES",
    "MAX_RESPONSE_BYTES",
    "MAX_ROOTS_PER_SUBMISSION",
    "PROTOCOL_VERSION",
    "BatchProof",
    "Submission",
    "sign_submission",
]

PROTOCOL_VERSION = 1
SUBMISSION_TYPE = "evidence-batcher-submission"
PROOF_TYPE = "evidence-batcher-proof"
INFO_TYPE = "evidence-batcher-info"
#: One submission names at most this many roots: a client with more sends several. 1,000
#: roots are ~70 KB of hex, a request the service reads and checks in milliseconds.
MAX_ROOTS_PER_SUBMISSION = 1000
#: Largest request body accepted (HTTP 413 above): a full submission and its envelope.
MAX_REQUEST_BYTES = 128 * 1024
#: Largest answer a client reads: a proof is 64 hashes at most (a few KB).
MAX_RESPONSE_BYTES = 64 * 1024

_HEX64 = re.compile(r"[0-9a-f]{64}\Z")
_HEX32_0X = re.compile(r"0x[0-9a-f]{64}\Z")
_ADDRESS = re.compile(r"0x[0-9a-fA-F]{40}\Z")
_ENVELOPE_KEYS = frozenset({"version", "statement", "signer", "signature"})
_STATEMENT_KEYS = frozenset({"type", "version", "roots", "submitted_at"})
_SIGNER_KEYS = frozenset({"algorithm", "public_key", "fingerprint"})


def _object(value: JSONValue, what: str, keys: frozenset[str]) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise FormatError(f"{what} is not a JSON object")
    if set(value) != keys:
        raise FormatError(f"{what} fields differ from {sorted(keys)}")
    return value


@dataclass(frozen=True)
class Submission:
    """A signed request to anchor ``roots`` (parsed and signature-checked)."""

    roots: tuple[bytes, ...]
    submitted_at: str
    public_key: bytes
    signature: bytes

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.public_key)

    def statement(self) -> dict[str, Any]:
        return {"type": SUBMISSION_TYPE, "version": PROTOCOL_VERSION,
                "roots": [r.hex() for r in self.roots], "submitted_at": self.submitted_at}

    def to_json(self) -> dict[str, Any]:
        return {"version": PROTOCOL_VERSION, "statement": self.statement(),
                "signer": {"algorithm": "ed25519", "public_key": self.public_key.hex(),
                           "fingerprint": self.fingerprint},
                "signature": self.signature.hex()}

    def to_bytes(self) -> bytes:
        return canonicalize(self.to_json())

    @classmethod
    def from_json(cls, obj: JSONValue) -> Submission:
        """Strict parse and Ed25519 signature check; FormatError (one line) otherwise."""
        env = _object(obj, "submission", _ENVELOPE_KEYS)
        if env["version"] != PROTOCOL_VERSION:
            raise FormatError(f"unsupported submission version {env['version']!r}")
        st = _object(env["statement"], "submission statement", _STATEMENT_KEYS)
        if st["type"] != SUBMISSION_TYPE or st["version"] != PROTOCOL_VERSION:
            raise FormatError(f"not a version {PROTOCOL_VERSION} {SUBMISSION_TYPE} statement")
        roots = st["roots"]
        if not isinstance(roots, list) or not 1 <= len(roots) <= MAX_ROOTS_PER_SUBMISSION:
            raise FormatError(f"'roots' must list 1 to {MAX_ROOTS_PER_SUBMISSION} roots")
        if not all(isinstance(r, str) and _HEX64.match(r) for r in roots):
            raise FormatError("every root must be 64 lowercase hex digits")
        if len(set(roots)) != len(roots):
            raise FormatError("a root is listed twice")
        if not isinstance(st["submitted_at"], str) or len(st["submitted_at"]) > 64:
            raise FormatError("'submitted_at' must be a short text (ISO 8601 UTC)")
        signer = _object(env["signer"], "signer", _SIGNER_KEYS)
        if signer["algorithm"] != "ed25519":
            raise FormatError("unsupported signature algorithm (ed25519 only)")
        try:
            public_key = bytes.fromhex(str(signer["public_key"]))
            signature = bytes.fromhex(str(env["signature"]))
        except ValueError as exc:
            raise FormatError("public key or signature is not hex") from exc
        if len(public_key) != 32 or len(signature) != 64:
            raise FormatError("public key or signature has the wrong length")
        if signer["fingerprint"] != fingerprint(public_key):
            raise FormatError("signer fingerprint does not match its public key")
        out = cls(tuple(bytes.fromhex(r) for r in roots), st["submitted_at"], public_key,
                  signature)
        if not verify_signature(public_key, signature, canonicalize(out.statement())):
            raise FormatError("the capturer's signature over the submission does not verify")
        return out


def sign_submission(roots: list[bytes], key: SigningKey, submitted_at: str) -> Submission:
    """Sign a submission of ``roots`` with the capturer's key."""
    unsigned = Submission(tuple(roots), submitted_at, key.public_key, b"")
    return Submission(unsigned.roots, submitted_at, key.public_key,
                      key.sign(canonicalize(unsigned.statement())))


@dataclass(frozen=True)
class BatchProof:
    """The batcher's answer for one root. ``status`` is ``pending`` or ``anchored``; the
    rest is set once anchored. Only ``index``, ``batch_size`` and ``path`` are used by a
    client, to recompute the batch root; the chain fields are the batcher's word, shown
    when they disagree with the client's own chain read."""

    bundle_root: bytes
    status: str
    batch_root: bytes = b""
    batch_size: int = 0
    index: int = 0
    path: tuple[bytes, ...] = ()
    chain_id: int = 0
    contract: str = ""
    transaction: str = ""
    block_number: int = 0

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": PROOF_TYPE, "version": PROTOCOL_VERSION,
                               "bundle_root": "0x" + self.bundle_root.hex(),
                               "status": self.status}
        if self.status == "anchored":
            out.update({"batch_root": "0x" + self.batch_root.hex(),
                        "batch_size": self.batch_size, "index": self.index,
                        "path": ["0x" + h.hex() for h in self.path],
                        "chain_id": self.chain_id, "contract": self.contract,
                        "transaction": self.transaction, "block_number": self.block_number})
        return out

    @classmethod
    def from_json(cls, obj: JSONValue) -> BatchProof:
        """Strict parse (FormatError): exact fields, types, hex, a bounded path."""
        if not isinstance(obj, dict) or obj.get("type") != PROOF_TYPE:
            raise FormatError("not a batcher proof")
        if obj.get("version") != PROTOCOL_VERSION:
            raise FormatError(f"unsupported batcher proof version {obj.get('version')!r}")
        status = obj.get("status")
        base = {"type", "version", "bundle_root", "status"}
        anchored = base | {"batch_root", "batch_size", "index", "path", "chain_id",
                           "contract", "transaction", "block_number"}
        if status not in ("pending", "anchored"):
            raise FormatError(f"unknown proof status {status!r}")
        if set(obj) != (anchored if status == "anchored" else base):
            raise FormatError("batcher proof fields differ from the protocol's")
        root = _hash(obj["bundle_root"], "bundle_root")
        if status == "pending":
            return cls(root, "pending")
        path = obj["path"]
        if not isinstance(path, list) or len(path) > MAX_PROOF_LENGTH:
            raise FormatError(f"proof path must list at most {MAX_PROOF_LENGTH} hashes")
        if not isinstance(obj["contract"], str) or not _ADDRESS.match(obj["contract"]):
            raise FormatError("proof field 'contract' is not an address")
        _hash(obj["transaction"], "transaction")
        return cls(root, "anchored", batch_root=_hash(obj["batch_root"], "batch_root"),
                   batch_size=_integer(obj["batch_size"], "batch_size", 1),
                   index=_integer(obj["index"], "index", 0),
                   path=tuple(_hash(h, "path") for h in path),
                   chain_id=_integer(obj["chain_id"], "chain_id", 1),
                   contract=obj["contract"], transaction=str(obj["transaction"]),
                   block_number=_integer(obj["block_number"], "block_number", 0))


def _hash(value: JSONValue, what: str) -> bytes:
    if not isinstance(value, str) or not _HEX32_0X.match(value):
        raise FormatError(f"proof field {what!r} must be 0x + 64 lowercase hex")
    return bytes.fromhex(value[2:])


def _integer(value: JSONValue, what: str, low: int) -> int:
    #: uint32 leafCount in the contract bounds sizes and indexes alike.
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value < 2**64:
        raise FormatError(f"proof field {what!r} must be an integer >= {low}")
    return value
