"""Anchor receipts (``evidence/receipts/*.json``): where and when a bundle root was anchored.

A receipt says: the bundle root is leaf ``index`` of a batch of ``batch_size`` bundle roots
(RFC 6962 leaf hash of the 32 root bytes), whose Merkle root ``batch_root`` was written by
``EvidenceAnchor.anchor`` in ``transaction`` (block ``block_number``/``block_hash`` at
``block_time``) on chain ``chain_id`` at ``contract``. A verifier recomputes the path and
asks the chain; it never trusts the receipt's copy of what the chain says.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import FormatError
from ..standards.jcs import JSONValue, canonicalize
from ..standards.merkle import MAX_PROOF_LENGTH, leaf_hash, root_from_inclusion_proof
from .layout import MAX_TAG_JSON_BYTES, RECEIPTS_DIR, open_regular, read_json_file

__all__ = ["Receipt", "batch_leaf", "read_receipts", "receipt_filename"]

RECEIPT_TYPE = "evidence-anchor-receipt"
RECEIPT_VERSION = 1
_HEX32 = re.compile(r"0x[0-9a-f]{64}\Z")
_ADDRESS = re.compile(r"0x[0-9a-fA-F]{40}\Z")
#: A bundle gains one receipt per anchoring; a few are normal, hundreds are not.
MAX_RECEIPTS = 64


def batch_leaf(bundle_root: bytes) -> bytes:
    """The batch tree's leaf for a bundle: RFC 6962 leaf hash of the 32 root bytes."""
    return leaf_hash(bundle_root)


@dataclass(frozen=True)
class Receipt:
    chain_id: int
    contract: str
    transaction: str
    block_number: int
    block_hash: str
    block_time: int
    batch_root: bytes
    batch_size: int
    index: int
    path: tuple[bytes, ...]
    bundle_root: bytes
    submitter: str
    development_chain: bool
    chain: str
    anchored_at: str
    file: str = ""

    def path_leads_to_batch_root(self) -> bool:
        try:
            computed = root_from_inclusion_proof(batch_leaf(self.bundle_root), self.index,
                                                 self.batch_size, list(self.path))
        except FormatError:
            return False
        return computed == self.batch_root

    def to_json(self) -> dict[str, Any]:
        return {
            "type": RECEIPT_TYPE, "version": RECEIPT_VERSION, "chain_id": self.chain_id,
            "contract": self.contract, "transaction": self.transaction,
            "block_number": self.block_number, "block_hash": self.block_hash,
            "block_time": self.block_time, "batch_root": "0x" + self.batch_root.hex(),
            "batch_size": self.batch_size, "index": self.index,
            "path": ["0x" + h.hex() for h in self.path],
            "bundle_root": "0x" + self.bundle_root.hex(), "submitter": self.submitter,
            "development_chain": self.development_chain, "chain": self.chain,
            "anchored_at": self.anchored_at,
        }

    def to_bytes(self) -> bytes:
        return canonicalize(self.to_json()) + b"\n"

    @classmethod
    def from_json(cls, obj: JSONValue, *, where: str) -> Receipt:
        """Strict parse: exact key set, types, hex formats, bounded path."""
        if not isinstance(obj, dict):
            raise FormatError("receipt is not a JSON object", path=where)
        if obj.get("type") != RECEIPT_TYPE:
            raise FormatError("not an anchor receipt", path=where)
        if obj.get("version") != RECEIPT_VERSION:
            raise FormatError(f"unsupported receipt version {obj.get('version')!r}", path=where)
        expected = set(cls(0, "", "", 0, "", 0, b"", 0, 0, (), b"", "", False, "", "").to_json())
        if set(obj) != expected:
            extra, missing = set(obj) - expected, expected - set(obj)
            raise FormatError(f"receipt fields differ (unknown {sorted(extra)}, missing "
                              f"{sorted(missing)})", path=where)

        def integer(key: str, low: int = 0) -> int:
            value = obj[key]
            if not isinstance(value, int) or isinstance(value, bool) or value < low:
                raise FormatError(f"receipt field {key!r} must be an integer >= {low}",
                                  path=where)
            return value

        def hex32(key: str, value: Any = None) -> bytes:
            value = obj[key] if value is None else value
            if not isinstance(value, str) or not _HEX32.match(value):
                raise FormatError(f"receipt field {key!r} must be 0x + 64 lowercase hex",
                                  path=where)
            return bytes.fromhex(value[2:])

        for key in ("contract", "submitter"):
            if not isinstance(obj[key], str) or not _ADDRESS.match(str(obj[key])):
                raise FormatError(f"receipt field {key!r} is not an address", path=where)
        path = obj["path"]
        if not isinstance(path, list) or len(path) > MAX_PROOF_LENGTH:
            raise FormatError("receipt path must be a list of at most "
                              f"{MAX_PROOF_LENGTH} hashes", path=where)
        if not isinstance(obj["development_chain"], bool):
            raise FormatError("receipt field 'development_chain' must be true or false",
                              path=where)
        for key in ("chain", "anchored_at"):
            if not isinstance(obj[key], str):
                raise FormatError(f"receipt field {key!r} must be text", path=where)
        hex32("transaction")
        hex32("block_hash")
        return cls(
            chain_id=integer("chain_id", 1), contract=str(obj["contract"]),
            transaction=str(obj["transaction"]), block_number=integer("block_number"),
            block_hash=str(obj["block_hash"]), block_time=integer("block_time"),
            batch_root=hex32("batch_root"), batch_size=integer("batch_size", 1),
            index=integer("index"), path=tuple(hex32("path", p) for p in path),
            bundle_root=hex32("bundle_root"), submitter=str(obj["submitter"]),
            development_chain=bool(obj["development_chain"]), chain=str(obj["chain"]),
            anchored_at=str(obj["anchored_at"]), file=where,
        )


def receipt_filename(chain_id: int, batch_root: bytes) -> str:
    return f"anchor-{chain_id}-{batch_root.hex()[:16]}.json"


def read_receipts(bundle: Path) -> list[Receipt]:
    """Every receipt in a bundle, strictly parsed (FormatError names the file)."""
    folder = bundle / RECEIPTS_DIR
    if folder.is_symlink() or (bundle / "evidence").is_symlink():
        raise FormatError("the receipts folder is a symbolic link (never followed)",
                          path=str(folder))
    if not folder.is_dir():
        return []
    files: list[Path] = []
    for p in folder.iterdir():  # bounded: stop listing a huge folder early
        files.append(p)
        if len(files) > MAX_RECEIPTS:
            raise FormatError(f"more than {MAX_RECEIPTS} receipts", path=str(folder))
    out = []
    for p in sorted(files):
        if p.is_symlink() or not p.is_file() or p.suffix != ".json":
            raise FormatError("unexpected entry in the receipts folder", path=str(p))
        receipt = Receipt.from_json(read_json_file(p, within=bundle), where=str(p))
        with open_regular(p, within=bundle) as fh:
            if fh.read(MAX_TAG_JSON_BYTES + 1) != receipt.to_bytes():
                raise FormatError("receipt is not in its canonical form (RFC 8785 and one "
                                  "line end): changed after anchoring?", path=str(p))
        if p.name != receipt_filename(receipt.chain_id, receipt.batch_root):
            # The name is the receipt's identity (chain and batch); a renamed or swapped
            # receipt is refused rather than shown under a name it does not carry.
            expected = receipt_filename(receipt.chain_id, receipt.batch_root)
            raise FormatError("file name does not match the receipt's chain id and batch root "
                              f"(expected {expected})", path=str(p))
        out.append(receipt)
    return out
