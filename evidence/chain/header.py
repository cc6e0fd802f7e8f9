"""A block header from a JSON-RPC block object, and its hash computed here.

A node's ``eth_getBlockByNumber`` answer carries the header's fields and a ``hash``. The
hash is keccak-256 of the RLP list of the fields (Yellow Paper §4.3, "The Block"), with the
fields later forks added appended in fork order when the block has them:

====================  ==========================  ===================
field                 fork                        specification
====================  ==========================  ===================
the 15 of Frontier    Frontier                    Yellow Paper §4.3
baseFeePerGas         London                      EIP-1559
withdrawalsRoot       Shanghai                    EIP-4895
blobGasUsed,          Cancun                      EIP-4844
excessBlobGas
parentBeaconBlockRoot Cancun                      EIP-4788
requestsHash          Prague                      EIP-7685
blockAccessListHash,  Amsterdam (not yet final)   EIP-7928, EIP-7843
slotNumber
====================  ==========================  ===================

A field after a missing one is a malformed header. :func:`parse_block` computes the hash
and requires the block's ``hash`` to be it: a node that edits a field (a timestamp, a state
root) must either give a hash that does not match, or a header whose hash no other node
gives and no child block names as its parent.

Hyperledger Besu's IBFT 2.0 and QBFT consortium chains hash a header without the parts of
``extraData`` that differ between the copies of one block the validators circulate (the
commit seals and the round number): Besu's ``BftBlockHashing.calculateHashOfBftBlockOnchain``
serialises the header with ``extraData`` re-encoded by ``encodeWithoutCommitSealsAndRoundNumber``
of ``IbftExtraDataCodec`` / ``QbftExtraDataCodec`` (hyperledger/besu, consensus/common and
consensus/{ibft,qbft}; block 0 keeps its ``extraData``). :func:`bft_onchain_hashes` applies
that rule, and :func:`parse_block` tries it only when the plain hash does not match. The
commit seals are then not covered by the hash, exactly as on the chain itself.

How it fails: a missing or malformed field, or a hash that matches neither rule, raises
:class:`~evidence.errors.ChainError` (callers name the node that gave it).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

from evidence.errors import ChainError

from . import rlp
from .primitives import keccak256
from .rlp import RLPItem
from .types import BlockHeader

__all__ = [
    "BASE_FIELDS",
    "FORK_FIELDS",
    "bft_onchain_hashes",
    "header_fields",
    "header_hash",
    "hex_bytes",
    "hex_quantity",
    "parse_block",
]

#: How a JSON field is turned into an RLP item: a 0x-quantity (integer), or 0x-data of
#: a fixed length (None: any length).
FieldKind = tuple[Literal["int"], None] | tuple[Literal["data"], int | None]
_INT: FieldKind = ("int", None)
_HASH: FieldKind = ("data", 32)

#: The 15 fields every header has, in RLP order (Yellow Paper §4.3), with their form.
BASE_FIELDS: tuple[tuple[str, FieldKind], ...] = (
    ("parentHash", _HASH),
    ("sha3Uncles", _HASH),
    ("miner", ("data", 20)),
    ("stateRoot", _HASH),
    ("transactionsRoot", _HASH),
    ("receiptsRoot", _HASH),
    ("logsBloom", ("data", 256)),
    ("difficulty", _INT),
    ("number", _INT),
    ("gasLimit", _INT),
    ("gasUsed", _INT),
    ("timestamp", _INT),
    ("extraData", ("data", None)),
    ("mixHash", _HASH),
    ("nonce", ("data", 8)),
)
#: Fields later forks appended, in fork order (module docstring); each needs all before it.
FORK_FIELDS: tuple[tuple[str, FieldKind], ...] = (
    ("baseFeePerGas", _INT),
    ("withdrawalsRoot", _HASH),
    ("blobGasUsed", _INT),
    ("excessBlobGas", _INT),
    ("parentBeaconBlockRoot", _HASH),
    ("requestsHash", _HASH),
    ("blockAccessListHash", _HASH),
    ("slotNumber", _INT),
)
_EXTRA_DATA = 12

#: Longest 0x-quantity accepted: a header integer is at most 256 bits (difficulty).
_MAX_QUANTITY_DIGITS = 64
#: Largest block accepted from a node as a plain JSON object: 10 MB of header is no header.
_MAX_DATA_BYTES = 10 * 1024 * 1024
#: BFT extraData is RLP [vanity, validators, vote, round, seals] (IbftExtraDataCodec,
#: QbftExtraDataCodec).
_BFT_EXTRA_ITEMS = 5


def hex_quantity(value: object, what: str) -> int:
    """A JSON-RPC quantity (``"0x1a"``, no leading zeros required) as an int."""
    if not isinstance(value, str) or value[:2] not in ("0x", "0X") or not (
            2 < len(value) <= 2 + _MAX_QUANTITY_DIGITS):
        raise ChainError(f"{what} is {str(value)[:80]!r}, not a hex quantity")
    try:
        return int(value[2:], 16)
    except ValueError as exc:
        raise ChainError(f"{what} is {value[:80]!r}, not a hex quantity") from exc


def hex_bytes(value: object, what: str, length: int | None = None) -> bytes:
    """JSON-RPC data (``"0x..."``, an even number of hex digits), of ``length`` bytes if
    given."""
    if not isinstance(value, str) or value[:2] not in ("0x", "0X") or (
            len(value) > 2 + 2 * _MAX_DATA_BYTES):
        raise ChainError(f"{what} is {str(value)[:80]!r}, not hex data")
    try:
        raw = bytes.fromhex(value[2:])
    except ValueError as exc:
        raise ChainError(f"{what} is {value[:80]!r}, not hex data") from exc
    if length is not None and len(raw) != length:
        raise ChainError(f"{what} is {len(raw)} bytes, not {length}")
    return raw


def _field(block: Mapping[str, object], name: str, kind: FieldKind) -> bytes:
    what = f"the block's {name}"
    if kind[0] == "int":
        return rlp.uint_bytes(hex_quantity(block[name], what))
    return hex_bytes(block[name], what, kind[1])


def header_fields(block: Mapping[str, object]) -> list[bytes]:
    """The header's fields as RLP items, in order: the 15 of Frontier and every fork field
    the block has. ChainError for a missing, malformed or out-of-order field."""
    if not isinstance(block, Mapping):
        raise ChainError("the block is not a JSON object")
    fields = []
    for name, kind in BASE_FIELDS:
        if block.get(name) is None:
            raise ChainError(f"the block has no {name}")
        fields.append(_field(block, name, kind))
    missing: str | None = None
    for name, kind in FORK_FIELDS:
        if block.get(name) is None:
            missing = missing or name
            continue
        if missing is not None:
            raise ChainError(f"the block has {name} but no {missing}, which comes before it: "
                             "a malformed header")
        fields.append(_field(block, name, kind))
    return fields


def header_hash(fields: list[bytes]) -> bytes:
    """keccak-256 of the RLP list of ``fields``."""
    return keccak256(rlp.encode(list(fields)))


def bft_onchain_hashes(fields: list[bytes]) -> dict[str, bytes]:
    """The on-chain hashes Besu would give this header under IBFT 2.0 and QBFT.

    ``extraData`` must decode as ``[vanity, validators, vote, round, seals]``; it is replaced
    by ``[vanity, validators, vote]`` (IBFT 2.0: round and seals omitted) or ``[vanity,
    validators, vote, 0, []]`` (QBFT: round 0 as an RLP scalar, an empty seal list), the
    other fields unchanged (module docstring). Block 0 keeps its extraData. An empty dict
    when extraData is not BFT extra data.
    """
    if fields[8] == b"":  # block 0: Besu hashes its extraData as it is
        return {}
    try:
        extra = rlp.decode(fields[_EXTRA_DATA], what="BFT extraData")
    except ChainError:
        return {}
    if not isinstance(extra, list) or len(extra) != _BFT_EXTRA_ITEMS:
        return {}
    vanity, validators, vote = extra[0], extra[1], extra[2]
    if not isinstance(vanity, bytes) or not isinstance(validators, list):
        return {}
    candidates: dict[str, RLPItem] = {
        "IBFT 2.0": [vanity, validators, vote],
        "QBFT": [vanity, validators, vote, b"", []],
    }
    out = {}
    for name, rewritten in candidates.items():
        changed = list(fields)
        changed[_EXTRA_DATA] = rlp.encode(rewritten)
        out[name] = header_hash(changed)
    return out


def parse_block(block: Mapping[str, object]) -> BlockHeader:
    """The header of a JSON-RPC block object, its hash computed here.

    The block's ``hash`` must be the computed hash (or, failing that, its Besu IBFT 2.0 /
    QBFT on-chain hash): ChainError otherwise, naming both hashes.
    """
    fields = header_fields(block)
    computed = header_hash(fields)
    claimed = hex_bytes(block.get("hash"), "the block's hash", 32)
    if claimed != computed and claimed not in bft_onchain_hashes(fields).values():
        number = int.from_bytes(fields[8], "big")
        raise ChainError(f"block {number} is given with hash 0x{claimed.hex()}, but its header "
                         f"hashes to 0x{computed.hex()}: the header was changed")
    return BlockHeader(
        hash=claimed,
        number=int.from_bytes(fields[8], "big"),
        timestamp=int.from_bytes(fields[11], "big"),
        parent_hash=fields[0],
        state_root=fields[3],
        transaction_root=fields[4],
        receipt_root=fields[5],
    )
