"""A block's receipts and transactions: their consensus encodings and tries.

A header commits to its block's receipts and transactions through two trie roots
(``receiptsRoot``, ``transactionsRoot``): tries keyed by ``rlp(index)`` whose values are
the consensus encodings (Yellow Paper §4.3.1; EIP-2718 typed envelopes):

* a receipt is ``rlp([status, cumulativeGasUsed, logsBloom, logs])``, a log
  ``[address, [topics...], data]``; a typed receipt (EIP-2718: types 1, 2, 3, 4) is
  ``type || rlp(...)``; before Byzantium (EIP-658) the first item was the post-state root
  instead of the status;
* a transaction is its raw signed form (``eth_getRawTransactionByBlockNumberAndIndex``),
  its hash being keccak-256 of it.

:func:`encode_receipt` rebuilds a receipt's encoding from a JSON-RPC receipt object
(``eth_getBlockReceipts``), so the receipts a node serves can be checked against a header
the reader hashed itself; :func:`decode_receipt` reads an encoding back (the embedded store
keeps encodings). Nothing here knows of evidence. How it fails: a malformed object or
encoding raises :class:`~evidence.errors.ChainError`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from evidence.errors import ChainError

from . import mpt, rlp
from .header import hex_bytes, hex_quantity
from .rlp import RLPItem

__all__ = [
    "LEGACY_TX_TYPE",
    "ReceiptLog",
    "TransactionReceipt",
    "decode_receipt",
    "encode_receipt",
    "indexed_root",
]

#: The type of a legacy (untyped) transaction and its receipt: no type byte is written.
LEGACY_TX_TYPE = 0
#: EIP-2718: a typed envelope's first byte is its type, 0x00-0x7f (a legacy RLP list
#: starts at 0xc0).
_MAX_TX_TYPE = 0x7F
_HASH_LENGTH = 32
_BLOOM_LENGTH = 256
_ADDRESS_LENGTH = 20


@dataclass(frozen=True)
class ReceiptLog:
    """One log of a receipt: the emitting contract, its topics and its data."""

    address: bytes
    topics: tuple[bytes, ...]
    data: bytes


@dataclass(frozen=True)
class TransactionReceipt:
    """One transaction of a block: its hash, status and logs."""

    transaction_hash: bytes
    status: int
    logs: tuple[ReceiptLog, ...]


def _log(obj: object, where: str) -> RLPItem:
    if not isinstance(obj, Mapping):
        raise ChainError(f"{where} is not a JSON object")
    topics = obj.get("topics")
    if not isinstance(topics, list):
        raise ChainError(f"{where} has no topics list")
    return [hex_bytes(obj.get("address"), f"{where}'s address", _ADDRESS_LENGTH),
            [hex_bytes(t, f"{where}'s topic", _HASH_LENGTH) for t in topics],
            hex_bytes(obj.get("data"), f"{where}'s data")]


def encode_receipt(receipt: Mapping[str, object], *, where: str = "the receipt") -> bytes:
    """The consensus encoding of a JSON-RPC receipt object (module docstring).

    Uses ``type`` (absent or 0: legacy), ``status`` (or, before Byzantium, ``root``),
    ``cumulativeGasUsed``, ``logsBloom`` and ``logs``; every other member is ignored (it is
    not committed to by the receipts root).
    """
    if not isinstance(receipt, Mapping):
        raise ChainError(f"{where} is not a JSON object")
    kind = LEGACY_TX_TYPE if receipt.get("type") is None else hex_quantity(
        receipt.get("type"), f"{where}'s type")
    if kind > _MAX_TX_TYPE:
        raise ChainError(f"{where} has type {kind}, not an EIP-2718 type")
    if receipt.get("status") is not None:
        first = rlp.uint_bytes(hex_quantity(receipt.get("status"), f"{where}'s status"))
    elif receipt.get("root") is not None:
        first = hex_bytes(receipt.get("root"), f"{where}'s root", _HASH_LENGTH)
    else:
        raise ChainError(f"{where} has neither status nor root")
    logs = receipt.get("logs")
    if not isinstance(logs, list):
        raise ChainError(f"{where} has no logs list")
    body = rlp.encode([
        first,
        rlp.uint_bytes(hex_quantity(receipt.get("cumulativeGasUsed"),
                                    f"{where}'s cumulativeGasUsed")),
        hex_bytes(receipt.get("logsBloom"), f"{where}'s logsBloom", _BLOOM_LENGTH),
        [_log(entry, f"{where}'s log {i}") for i, entry in enumerate(logs)],
    ])
    return body if kind == LEGACY_TX_TYPE else bytes([kind]) + body


def decode_receipt(raw: bytes, *, transaction_hash: bytes, what: str = "receipt"
                   ) -> TransactionReceipt:
    """Read a receipt's consensus encoding: legacy RLP, or EIP-2718 ``type || rlp(...)``.

    ``status`` is 1 or 0 (a pre-Byzantium receipt, holding a state root, reads as 1: its
    transaction was included, which is all a root says).
    """
    if not raw:
        raise ChainError(f"{what} is empty")
    body = raw[1:] if raw[0] <= _MAX_TX_TYPE else raw
    fields = rlp.as_list(rlp.decode(body, what=what), what)
    if len(fields) != 4:
        raise ChainError(f"{what} is malformed ({len(fields)} fields)")
    first = rlp.as_bytes(fields[0], f"{what} status")
    status = 1 if len(first) == _HASH_LENGTH else int.from_bytes(first, "big")
    logs = []
    for entry in rlp.as_list(fields[3], f"{what} logs"):
        parts = rlp.as_list(entry, f"{what} log")
        if len(parts) != 3:
            raise ChainError(f"{what} holds a malformed log")
        topics = tuple(rlp.as_bytes(t, f"{what} log topic")
                       for t in rlp.as_list(parts[1], f"{what} log topics"))
        logs.append(ReceiptLog(rlp.as_bytes(parts[0], f"{what} log address"), topics,
                             rlp.as_bytes(parts[2], f"{what} log data")))
    return TransactionReceipt(transaction_hash, status, tuple(logs))


def indexed_root(values: Sequence[bytes]) -> bytes:
    """The root of the trie holding ``values[i]`` at key ``rlp(i)``: a block's receipts
    root or transactions root."""
    return mpt.trie_root({rlp.encode_uint(i): value for i, value in enumerate(values)})
