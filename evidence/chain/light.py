"""A read-only reader of the embedded chain's store, as a light client reads a chain.

Verification only reads the chain, so it needs neither an EVM nor web3: this module reads
the very records py-evm persisted in ``<state_dir>/chain.sqlite3`` (see
:mod:`evidence.chain.embedded`) and checks each one by its hash, the way a light client
checks what a full node serves it. It imports neither web3, eth-tester, py-evm,
eth-account nor py_ecc (whose imports alone take seconds); keccak-256 comes from
pycryptodome, and RLP and the Merkle-Patricia trie walk are written out here.

What it reads (Ethereum Yellow Paper, "Appendix B. Recursive Length Prefix", "Appendix D.
Modified Merkle Patricia Tree", "4.3 The Block"; py-evm's ``SchemaV1`` keys):

* the canonical head (``v1:canonical_head_hash``) and headers by number
  (``block-number-to-hash:N``); a header is stored under its hash, keccak-256 of its RLP,
  which is checked, and so is the parent link to the next canonical header;
* an account from the head's state root (``keccak(address) -> [nonce, balance,
  storage_root, code_hash]``), its code by code hash, its storage slots from its storage
  root (``keccak(slot) -> rlp(value)``);
* a block's transactions and receipts from its transaction and receipt tries (key
  ``rlp(index)``; typed receipts are ``type || rlp(...)``, EIP-2718), a transaction's hash
  being keccak-256 of its encoding;
* the EvidenceAnchor contract's state through its storage layout (Solidity docs, "Layout
  of State Variables in Storage"), hard-coded below as named constants that a test
  compares with the compiler's ``storageLayout``.

Every trie node, header and code read is checked against the hash it is stored under, and
all reads of one :class:`LightChain` see one committed state of the store (one sqlite
read transaction). How it fails: a missing, damaged, foreign or inconsistent store (a
missing node, a hash that does not match, malformed RLP) raises
:class:`~evidence.errors.ChainError`; code that is not the EvidenceAnchor artifact's, or
whose EIP-712 immutables belong to another chain or address, raises
:class:`~evidence.errors.ContractMismatchError`. Writing still needs
:mod:`evidence.chain.embedded` (py-evm).
"""

from __future__ import annotations

import functools
import json
import re
import sqlite3
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from types import TracebackType
from typing import Self, Union

from Crypto.Hash import keccak as _keccak

from evidence.errors import ChainError, ContractMismatchError

__all__ = [
    "ANCHORED_EVENT",
    "ANCHOR_FIELDS",
    "CONFIRMATION_FIELDS",
    "DB_FILE_NAME",
    "DOMAIN_NAME",
    "DOMAIN_VERSION",
    "EMBEDDED_CHAIN_ID",
    "IMMUTABLE_OFFSETS",
    "STATE_VARIABLES",
    "STORE_FORMAT",
    "WITNESS_FIELDS",
    "AccountState",
    "AnchorRecord",
    "AnchorView",
    "BlockHeader",
    "ConfirmationRecord",
    "LightChain",
    "LogEntry",
    "TransactionReceipt",
    "WitnessRecord",
    "check_anchor_code",
    "check_store_meta",
    "keccak256",
    "rlp_decode",
    "to_checksum_address",
]

# -- the embedded chain's persisted form (defined here; embedded.py imports it) ----------

#: eth-tester's chain id (``MainnetTesterPosChain.chain_id`` in eth-tester 0.13): the
#: embedded chain keeps it so that signatures made for it are recognisably test ones.
EMBEDDED_CHAIN_ID = 131277322940537
#: Version tag of the persisted form, stored in the ``meta`` table and checked on open
#: (by this reader and by the writer, :mod:`evidence.chain.embedded`).
STORE_FORMAT = "evidence-embedded-chain/1"
#: The store inside ``state_dir``.
DB_FILE_NAME = "chain.sqlite3"

#: py-evm SchemaV1 keys: the head's hash (raw 32 bytes) and number -> rlp(hash).
_HEAD_KEY = b"v1:canonical_head_hash"
_NUMBER_KEY = "block-number-to-hash:{}"

#: Header fields used here, by position in the header's RLP list (Yellow Paper §4.3).
_H_PARENT, _H_STATE_ROOT, _H_TX_ROOT, _H_RECEIPT_ROOT = 0, 3, 4, 5
_H_NUMBER, _H_TIMESTAMP = 8, 11
#: A header has at least the 15 fields of Frontier (more since London, Shanghai, Cancun).
_MIN_HEADER_FIELDS = 15

#: keccak-256 of the empty string (code hash of an account without code) and the root of
#: the empty trie, keccak-256 of rlp(b"").
EMPTY_CODE_HASH = bytes.fromhex("c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470")
BLANK_ROOT = bytes.fromhex("56e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e363b421")

#: Deepest trie walk accepted: a key is 64 nibbles, so no honest path has more nodes than
#: that (plus the value slot); more means a cycle or a damaged store.
MAX_TRIE_DEPTH = 65
#: Deepest RLP nesting accepted: trie nodes, headers, receipts and logs nest three or four
#: levels; far more is a damaged store, not data.
MAX_RLP_DEPTH = 16
#: Most transactions read from one block: a block of the embedded chain holds one; a 30M
#: gas block at least 21,000 gas each holds under 1,500.
MAX_BLOCK_TRANSACTIONS = 10_000
#: Longest operator string read from storage: the contract takes any calldata string, but
#: a registry entry longer than this is a damaged store, not a name.
MAX_STRING_BYTES = 1 << 16

# -- the EvidenceAnchor contract (checked against solc's output by a test) -------------------

#: Storage slot and type (solc storageLayout label) of each state variable read here.
STATE_VARIABLES: dict[str, tuple[int, str]] = {
    "_owner": (0, "address"),
    "_anchors": (4, "mapping(bytes32 => struct EvidenceAnchor.Anchor)"),
    "_witnesses": (5, "mapping(address => struct EvidenceAnchor.Witness)"),
    "_operators": (6, "mapping(address => string)"),
    "_witnessList": (7, "address[]"),
    "_confirmations": (
        8,
        "mapping(bytes32 => mapping(address => struct EvidenceAnchor.Confirmation))",
    ),
}
SLOT_OWNER = STATE_VARIABLES["_owner"][0]
SLOT_ANCHORS = STATE_VARIABLES["_anchors"][0]
SLOT_WITNESSES = STATE_VARIABLES["_witnesses"][0]
SLOT_OPERATORS = STATE_VARIABLES["_operators"][0]
SLOT_WITNESS_LIST = STATE_VARIABLES["_witnessList"][0]
SLOT_CONFIRMATIONS = STATE_VARIABLES["_confirmations"][0]

#: Members of the one-slot structs: (byte offset from the low-order end, size in bytes).
ANCHOR_FIELDS: dict[str, tuple[int, int]] = {
    "submitter": (0, 20),
    "timestamp": (20, 5),
    "blockNumber": (25, 7),
}
WITNESS_FIELDS: dict[str, tuple[int, int]] = {
    "jurisdiction": (0, 2),
    "registeredAt": (2, 5),
    "revokedAt": (7, 5),
}
CONFIRMATION_FIELDS: dict[str, tuple[int, int]] = {
    "confirmedAt": (0, 8),
    "observedAt": (8, 8),
    "kind": (16, 1),
}
#: Confirmation.kind: 0 none, 1 direct, 2 by signature (EvidenceAnchor.sol).
KIND_NONE, KIND_SIGNATURE = 0, 2

#: OpenZeppelin EIP712's immutables -> their byte offsets in the runtime code (solc
#: ``immutableReferences``, each a 32-byte word), checked against the artifact on use.
IMMUTABLE_OFFSETS: dict[str, tuple[int, ...]] = {
    "_cachedDomainSeparator": (5983,),
    "_cachedChainId": (5941,),
    "_cachedThis": (5899,),
    "_hashedName": (6064,),
    "_hashedVersion": (6104,),
    "_name": (5119,),
    "_version": (5164,),
}
#: An EVM word (storage slot, immutable, ABI word) in bytes.
_WORD = 32

#: The contract's EIP-712 domain (``EIP712("EvidenceAnchor", "1")``; eip712.DOMAIN_NAME).
DOMAIN_NAME = "EvidenceAnchor"
DOMAIN_VERSION = "1"
_DOMAIN_TYPE = b"EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"

#: The Anchored event's signature (IEvidenceAnchor.sol); its topic 0 is the keccak of it.
ANCHORED_EVENT = "Anchored(bytes32,address,uint32,uint64)"

_ARTIFACT_RESOURCE = "EvidenceAnchor.json"
_ADDRESS_RE = re.compile(r"(0[xX])?[0-9a-fA-F]{40}")


def keccak256(data: bytes) -> bytes:
    """Keccak-256 (the pre-standard SHA-3 Ethereum uses, not FIPS 202 SHA3-256)."""
    return bytes(_keccak.new(digest_bits=256, data=data).digest())


# -- RLP (Yellow Paper, Appendix B) -----------------------------------------------------------

RLPItem = Union[bytes, list["RLPItem"]]  # noqa: UP007 - a recursive alias needs Union


def rlp_decode(data: bytes, *, what: str = "record") -> RLPItem:
    """Decode one RLP item filling all of ``data``; ChainError (naming ``what``) if malformed."""
    try:
        item, end = _rlp_item(data, 0, 0)
    except (IndexError, ValueError) as exc:
        raise ChainError(f"malformed RLP in the embedded chain's {what}: {exc}") from exc
    if end != len(data):
        raise ChainError(f"malformed RLP in the embedded chain's {what}: trailing bytes")
    return item


def _rlp_length(data: bytes, pos: int, size: int) -> int:
    raw = data[pos : pos + size]
    if len(raw) != size or raw[0] == 0:
        raise ValueError("bad length prefix")
    return int.from_bytes(raw, "big")


def _rlp_item(data: bytes, pos: int, depth: int) -> tuple[RLPItem, int]:
    if depth > MAX_RLP_DEPTH:
        raise ValueError("nested too deep")
    first = data[pos]
    if first < 0x80:
        return data[pos : pos + 1], pos + 1
    if first < 0xC0:
        if first <= 0xB7:
            start, length = pos + 1, first - 0x80
        else:
            size = first - 0xB7
            start, length = pos + 1 + size, _rlp_length(data, pos + 1, size)
        end = start + length
        if end > len(data):
            raise ValueError("string runs past the end")
        if length == 1 and data[start] < 0x80:
            raise ValueError("non-canonical single byte")
        return data[start:end], end
    if first <= 0xF7:
        start, length = pos + 1, first - 0xC0
    else:
        size = first - 0xF7
        start, length = pos + 1 + size, _rlp_length(data, pos + 1, size)
    end = start + length
    if end > len(data):
        raise ValueError("list runs past the end")
    items: list[RLPItem] = []
    cursor = start
    while cursor < end:
        item, cursor = _rlp_item(data, cursor, depth + 1)
        items.append(item)
    if cursor != end:
        raise ValueError("list items run past the list")
    return items, end


def _rlp_uint(value: int) -> bytes:
    """RLP of a non-negative integer (big-endian, no leading zeros): trie keys of indexes."""
    raw = value.to_bytes((value.bit_length() + 7) // 8, "big")
    if len(raw) == 1 and raw[0] < 0x80:
        return raw
    return bytes([0x80 + len(raw)]) + raw


def _as_bytes(item: RLPItem, what: str) -> bytes:
    if not isinstance(item, bytes):
        raise ChainError(f"the embedded chain's {what} is a list where bytes were expected")
    return item


def _as_list(item: RLPItem, what: str) -> list[RLPItem]:
    if not isinstance(item, list):
        raise ChainError(f"the embedded chain's {what} is bytes where a list was expected")
    return item


def _as_int(item: RLPItem, what: str) -> int:
    return int.from_bytes(_as_bytes(item, what), "big")


# -- addresses (EIP-55) -----------------------------------------------------------------------


def to_checksum_address(address: bytes) -> str:
    """The EIP-55 mixed-case form of a 20-byte address."""
    hexed = address.hex()
    digest = keccak256(hexed.encode("ascii")).hex()
    return "0x" + "".join(c.upper() if int(d, 16) >= 8 else c
                          for c, d in zip(hexed, digest[: len(hexed)], strict=True))


def _address_bytes(address: str) -> bytes:
    """Parse an address as eth_utils 5's ``is_address`` accepts it: 40 hex digits, with or
    without 0x, in any case (the checksum is not enforced, as on the web3 path)."""
    if not isinstance(address, str) or not _ADDRESS_RE.fullmatch(address):
        raise ChainError(f"{address!r} is not an Ethereum address")
    return bytes.fromhex(address[-40:])


# -- records ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BlockHeader:
    """The header fields this reader uses; ``hash`` is keccak-256 of the header's RLP."""

    hash: bytes
    number: int
    timestamp: int
    parent_hash: bytes
    state_root: bytes
    transaction_root: bytes
    receipt_root: bytes


@dataclass(frozen=True)
class AccountState:
    """An account of the state trie (Yellow Paper §4.1)."""

    nonce: int
    balance: int
    storage_root: bytes
    code_hash: bytes


@dataclass(frozen=True)
class LogEntry:
    address: bytes
    topics: tuple[bytes, ...]
    data: bytes


@dataclass(frozen=True)
class TransactionReceipt:
    """One transaction of a block: its hash, status and logs."""

    transaction_hash: bytes
    status: int
    logs: tuple[LogEntry, ...]


# The same fields as evidence.chain.contract's records (a test compares them).


@dataclass(frozen=True)
class AnchorRecord:
    """``anchorOf(root)``: who anchored it, block time and block number."""

    submitter: str
    timestamp: int
    block_number: int


@dataclass(frozen=True)
class ConfirmationRecord:
    witness: str
    jurisdiction: str
    confirmed_at: int
    observed_at: int
    by_signature: bool


@dataclass(frozen=True)
class WitnessRecord:
    account: str
    jurisdiction: str
    operator: str
    registered_at: int
    revoked_at: int | None


def check_store_meta(meta: Mapping[str, str], where: object) -> None:
    """Refuse an embedded chain store of another format or chain id (its ``meta`` table);
    shared by this reader and the writer (:mod:`evidence.chain.embedded`)."""
    if meta.get("format") != STORE_FORMAT:
        raise ChainError(
            f"the embedded chain in {where} has format {meta.get('format')!r}; "
            f"this version reads {STORE_FORMAT!r}"
        )
    if meta.get("chain_id") != str(EMBEDDED_CHAIN_ID):
        raise ChainError(
            f"the embedded chain in {where} records chain id {meta.get('chain_id')}, "
            f"expected {EMBEDDED_CHAIN_ID}"
        )


# -- the chain --------------------------------------------------------------------------------


class LightChain:
    """The embedded chain at ``state_dir``, read-only; open it with :meth:`open`.

    All reads see the state committed when the first one was made (one sqlite read
    transaction, held until :meth:`close`). Not thread-safe.
    """

    def __init__(self, conn: sqlite3.Connection, state_dir: Path) -> None:
        self._conn = conn
        self._state_dir = state_dir
        self._headers: dict[int, BlockHeader] = {}
        self._head: BlockHeader | None = None

    @classmethod
    def open(cls, state_dir: Path, *, expected_chain_id: int | None = None) -> LightChain:
        """Open the store in ``state_dir`` read-only and check its format and chain id.

        Raises :class:`ChainError` for a missing, damaged or foreign store, a store format
        this reader does not know, a chain id other than ``expected_chain_id``, or a store
        without a head block.
        """
        if expected_chain_id not in (None, EMBEDDED_CHAIN_ID):
            raise ChainError(
                f"chain id mismatch: the embedded chain has chain id {EMBEDDED_CHAIN_ID}, "
                f"the workspace recorded {expected_chain_id}"
            )
        db_path = Path(state_dir) / DB_FILE_NAME
        if not db_path.is_file():
            raise ChainError(f"no embedded chain at {state_dir}: {DB_FILE_NAME} is missing")
        try:
            conn = sqlite3.connect(f"{db_path.resolve().as_uri()}?mode=ro", uri=True,
                                   isolation_level=None)
        except sqlite3.Error as exc:
            raise ChainError(f"cannot open the embedded chain store {db_path}: {exc}") from exc
        chain = cls(conn, Path(state_dir))
        try:
            conn.execute("BEGIN")  # one snapshot for every read of this object
            chain._check_meta()
            chain.head()
        except sqlite3.DatabaseError as exc:
            conn.close()
            raise ChainError(
                f"the embedded chain store in {state_dir} is damaged or foreign ({exc})"
            ) from exc
        except BaseException:
            conn.close()
            raise
        return chain

    def _check_meta(self) -> None:
        rows = self._conn.execute("SELECT key, value FROM meta").fetchall()
        check_store_meta({str(k): str(v) for k, v in rows}, self._state_dir)

    # -- identity and lifecycle -------------------------------------------------------

    @property
    def chain_id(self) -> int:
        return EMBEDDED_CHAIN_ID

    @property
    def is_development(self) -> bool:
        """Always: one party controls the embedded chain."""
        return True

    @property
    def description(self) -> str:
        """The same line :class:`~evidence.chain.embedded.EmbeddedChain` gives."""
        return f"embedded development chain (eth-tester/py-evm, {self._state_dir})"

    def close(self) -> None:
        """End the read transaction and close the store. Idempotent."""
        self._conn.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    # -- the key-value store ------------------------------------------------------------

    def _get(self, key: bytes) -> bytes | None:
        try:
            row = self._conn.execute("SELECT v FROM kv WHERE k = ?", (key,)).fetchone()
        except sqlite3.Error as exc:
            raise ChainError(
                f"reading the embedded chain store in {self._state_dir} failed: {exc}"
            ) from exc
        return None if row is None else bytes(row[0])

    def _by_hash(self, digest: bytes, what: str) -> bytes:
        """The value stored under its own keccak-256 ``digest``, checked."""
        value = self._get(digest)
        if value is None:
            raise ChainError(
                f"the embedded chain in {self._state_dir} is missing {what} 0x{digest.hex()}; "
                "the store is damaged: restore the chain folder from a backup"
            )
        if keccak256(value) != digest:
            raise ChainError(
                f"the embedded chain in {self._state_dir} holds {what} 0x{digest.hex()} whose "
                "content does not hash to it; the store is damaged or was edited"
            )
        return value

    # -- headers ------------------------------------------------------------------------

    def _header(self, digest: bytes) -> BlockHeader:
        fields = _as_list(rlp_decode(self._by_hash(digest, "block header"), what="header"),
                          "header")
        if len(fields) < _MIN_HEADER_FIELDS:
            raise ChainError(f"the embedded chain's header 0x{digest.hex()} has too few fields")
        return BlockHeader(
            hash=digest,
            number=_as_int(fields[_H_NUMBER], "header number"),
            timestamp=_as_int(fields[_H_TIMESTAMP], "header timestamp"),
            parent_hash=_as_bytes(fields[_H_PARENT], "parent hash"),
            state_root=_as_bytes(fields[_H_STATE_ROOT], "state root"),
            transaction_root=_as_bytes(fields[_H_TX_ROOT], "transaction root"),
            receipt_root=_as_bytes(fields[_H_RECEIPT_ROOT], "receipt root"),
        )

    def head(self) -> BlockHeader:
        """The canonical head: the latest block (web3's ``"latest"`` on this chain)."""
        if self._head is None:
            digest = self._get(_HEAD_KEY)
            if digest is None:
                raise ChainError(
                    f"the embedded chain in {self._state_dir} has no head block; it is damaged"
                )
            self._head = self._header(digest)
            self._headers[self._head.number] = self._head
        return self._head

    def latest_block_number(self) -> int:
        return self.head().number

    def _indexed(self, number: int) -> BlockHeader:
        """The header the canonical number index names, checked by hash and number."""
        raw = self._get(_NUMBER_KEY.format(number).encode())
        if raw is None:
            raise ChainError(
                f"the embedded chain in {self._state_dir} has no canonical block {number} "
                "below its head; the store is damaged"
            )
        header = self._header(_as_bytes(rlp_decode(raw, what="number index"), "block hash"))
        if header.number != number:
            raise ChainError(
                f"the embedded chain's index names block {header.number} as block {number}; "
                "the store is damaged"
            )
        return header

    def header(self, number: int) -> BlockHeader:
        """The canonical header of block ``number``.

        Checked: its hash; that the next canonical header names it as its parent (or,
        for the head, that it is the head). Raises ChainError for a block after the head
        or an inconsistent store.
        """
        known = self._headers.get(number)
        if known is not None:
            return known
        head = self.head()
        if not 0 <= number <= head.number:
            raise ChainError(f"{self.description} has no block {number}")
        header = self._indexed(number)
        child = self._headers.get(number + 1) or self._indexed(number + 1)
        if child.parent_hash != header.hash:
            raise ChainError(
                f"the embedded chain's block {number + 1} does not follow block {number} "
                "(parent hash differs); the store is damaged"
            )
        self._headers[number] = header
        return header

    def block_hash(self, number: int) -> bytes:
        """The hash of canonical block ``number`` (see :meth:`header`)."""
        return self.header(number).hash

    # -- tries --------------------------------------------------------------------------

    def _trie_get(self, root: bytes, key: bytes, what: str) -> bytes | None:
        """The value at ``key`` in the trie rooted at ``root``, or None (Yellow Paper App. D)."""
        if root == BLANK_ROOT:
            return None
        nibbles = key.hex()
        at = 0
        node: RLPItem = self._trie_node(root, what)
        for _ in range(MAX_TRIE_DEPTH):
            if node == b"":
                return None
            items = _as_list(node, what)
            if len(items) == 17:
                if at == len(nibbles):
                    value = _as_bytes(items[16], what)
                    return value or None
                node = self._trie_child(items[int(nibbles[at], 16)], what)
                at += 1
            elif len(items) == 2:
                path, leaf = _hex_prefix(_as_bytes(items[0], what), what)
                if leaf:
                    return _as_bytes(items[1], what) if nibbles[at:] == path else None
                if not path or nibbles[at : at + len(path)] != path:
                    return None
                at += len(path)
                node = self._trie_child(items[1], what)
            else:
                raise ChainError(f"the embedded chain's {what} holds a malformed trie node")
        raise ChainError(f"the embedded chain's {what} is deeper than any trie can be")

    def _trie_node(self, digest: bytes, what: str) -> RLPItem:
        return rlp_decode(self._by_hash(digest, f"{what} node"), what=what)

    def _trie_child(self, ref: RLPItem, what: str) -> RLPItem:
        """A child reference: empty, an inline node (under 32 bytes), or a node's hash."""
        if isinstance(ref, list) or ref == b"":
            return ref
        if len(ref) != _WORD:
            raise ChainError(f"the embedded chain's {what} holds a malformed node reference")
        return self._trie_node(ref, what)

    def _trie_items(self, root: bytes, what: str) -> Iterator[bytes]:
        """Values at keys rlp(0), rlp(1), ... until the first missing one."""
        for index in range(MAX_BLOCK_TRANSACTIONS + 1):
            value = self._trie_get(root, _rlp_uint(index), what)
            if value is None:
                return
            if index == MAX_BLOCK_TRANSACTIONS:
                raise ChainError(f"the embedded chain's {what} has more than "
                                 f"{MAX_BLOCK_TRANSACTIONS} entries")
            yield value

    # -- state --------------------------------------------------------------------------

    def account(self, address: str) -> AccountState | None:
        """The account at ``address`` in the head's state, or None if it has none."""
        raw = self._trie_get(self.head().state_root, keccak256(_address_bytes(address)),
                             "state trie")
        if raw is None:
            return None
        fields = _as_list(rlp_decode(raw, what="account"), "account")
        if len(fields) != 4:
            raise ChainError("the embedded chain holds a malformed account record")
        return AccountState(_as_int(fields[0], "nonce"), _as_int(fields[1], "balance"),
                            _as_bytes(fields[2], "storage root"),
                            _as_bytes(fields[3], "code hash"))

    def get_code(self, address: str) -> bytes:
        """The runtime code at ``address`` (empty for an account without code)."""
        state = self.account(address)
        if state is None or state.code_hash == EMPTY_CODE_HASH:
            return b""
        return self._by_hash(state.code_hash, "contract code")

    def storage_at(self, address: str, slot: int) -> int:
        """Storage word ``slot`` of ``address`` in the head's state (0 when unset)."""
        state = self.account(address)
        if state is None:
            return 0
        return self._storage(state, slot)

    def _storage(self, state: AccountState, slot: int) -> int:
        raw = self._trie_get(state.storage_root, keccak256(slot.to_bytes(_WORD, "big")),
                             "storage trie")
        if raw is None:
            return 0
        return _as_int(rlp_decode(raw, what="storage value"), "storage value")

    # -- blocks -------------------------------------------------------------------------

    def transaction_hashes(self, number: int) -> list[bytes]:
        """Hashes of block ``number``'s transactions, in order (keccak of each encoding)."""
        root = self.header(number).transaction_root
        return [keccak256(tx) for tx in self._trie_items(root, "transaction trie")]

    def receipts(self, number: int) -> list[TransactionReceipt]:
        """Block ``number``'s receipts with their transactions' hashes."""
        hashes = self.transaction_hashes(number)
        encoded = list(self._trie_items(self.header(number).receipt_root, "receipt trie"))
        if len(encoded) != len(hashes):
            raise ChainError(f"the embedded chain's block {number} has {len(hashes)} "
                             f"transactions but {len(encoded)} receipts; the store is damaged")
        return [_receipt(tx_hash, raw) for tx_hash, raw in zip(hashes, encoded, strict=True)]

    def anchor_view(self, address: str) -> AnchorView:
        """The EvidenceAnchor at ``address``, its code checked (:func:`check_anchor_code`)."""
        return AnchorView(self, address)


def _hex_prefix(encoded: bytes, what: str) -> tuple[str, bool]:
    """Hex-prefix decoding (Yellow Paper App. C): the nibble path and the leaf flag."""
    if not encoded:
        raise ChainError(f"the embedded chain's {what} holds an empty node path")
    flag = encoded[0] >> 4
    if flag > 3:
        raise ChainError(f"the embedded chain's {what} holds a malformed node path")
    nibbles = encoded.hex()
    return (nibbles[1:] if flag & 1 else nibbles[2:]), flag >= 2


def _receipt(tx_hash: bytes, raw: bytes) -> TransactionReceipt:
    """Decode a receipt: legacy RLP, or an EIP-2718 typed one (``type || rlp(...)``)."""
    if not raw:
        raise ChainError("the embedded chain holds an empty receipt")
    body = raw[1:] if raw[0] < 0x80 else raw
    fields = _as_list(rlp_decode(body, what="receipt"), "receipt")
    if len(fields) != 4:
        raise ChainError("the embedded chain holds a malformed receipt")
    logs = []
    for entry in _as_list(fields[3], "receipt logs"):
        parts = _as_list(entry, "log")
        if len(parts) != 3:
            raise ChainError("the embedded chain holds a malformed log")
        topics = tuple(_as_bytes(t, "log topic") for t in _as_list(parts[1], "log topics"))
        logs.append(LogEntry(_as_bytes(parts[0], "log address"), topics,
                             _as_bytes(parts[2], "log data")))
    return TransactionReceipt(tx_hash, _as_int(fields[0], "receipt status"), tuple(logs))


# -- the EvidenceAnchor contract --------------------------------------------------------------


@functools.cache
def _artifact() -> tuple[bytes, tuple[tuple[int, int], ...]]:
    """The artifact's runtime code and immutable ranges, read as plain JSON (artifact.py's
    loader imports eth-abi, which costs half a second)."""
    resource = resources.files("evidence.chain").joinpath(_ARTIFACT_RESOURCE)
    try:
        data = json.loads(resource.read_text(encoding="utf-8"))
        code = bytes.fromhex(str(data["runtimeBytecode"]).removeprefix("0x"))
        ranges = tuple(sorted((int(r["start"]), int(r["length"]))
                              for r in data["immutableReferences"]))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ChainError(f"cannot read the contract artifact {_ARTIFACT_RESOURCE}: {exc}; "
                         "run `make contracts`") from exc
    return code, ranges


def _masked(code: bytes, ranges: tuple[tuple[int, int], ...]) -> bytes:
    out = bytearray(code)
    for start, length in ranges:
        out[start : start + length] = bytes(len(out[start : start + length]))
    return bytes(out)


def _expected_immutables(chain_id: int, address: bytes) -> dict[str, bytes]:
    """What OpenZeppelin's EIP712 constructor writes for this chain and address."""
    hashed_name = keccak256(DOMAIN_NAME.encode())
    hashed_version = keccak256(DOMAIN_VERSION.encode())
    chain_word = chain_id.to_bytes(_WORD, "big")
    address_word = address.rjust(_WORD, b"\0")
    separator = keccak256(keccak256(_DOMAIN_TYPE) + hashed_name + hashed_version
                          + chain_word + address_word)
    return {
        "_cachedDomainSeparator": separator,
        "_cachedChainId": chain_word,
        "_cachedThis": address_word,
        "_hashedName": hashed_name,
        "_hashedVersion": hashed_version,
        "_name": _short_string(DOMAIN_NAME),
        "_version": _short_string(DOMAIN_VERSION),
    }


def _short_string(text: str) -> bytes:
    """OpenZeppelin ShortStrings: the bytes left-aligned, the length in the last byte."""
    raw = text.encode()
    return raw.ljust(_WORD - 1, b"\0") + bytes([len(raw)])


def check_anchor_code(code: bytes, *, address: str, chain_id: int) -> None:
    """Raise unless ``code`` is EvidenceAnchor's as deployed at ``address`` on ``chain_id``.

    The code must equal the artifact's with the immutables masked (as
    :func:`evidence.chain.artifact.check_runtime_code` checks), and every immutable must
    hold what the EIP712 constructor writes for this chain and address: the same fact
    ``eip712Domain()`` is asked for on a JSON-RPC chain, read from the code instead.
    Raises :class:`ContractMismatchError`, or :class:`ChainError` when this module's
    immutable offsets are not the artifact's (a rebuilt contract: update them).
    """
    expected, ranges = _artifact()
    ours = tuple(sorted((start, _WORD) for starts in IMMUTABLE_OFFSETS.values()
                        for start in starts))
    if ours != ranges:
        raise ChainError("the light chain reader's immutable offsets are not the contract "
                         "artifact's; update IMMUTABLE_OFFSETS in evidence/chain/light.py")
    if len(code) != len(expected) or _masked(code, ranges) != _masked(expected, ranges):
        from .artifact import check_runtime_code, load_artifact  # the exact message

        check_runtime_code(code, load_artifact())
        raise ContractMismatchError("contract code differs from EvidenceAnchor's")
    raw = _address_bytes(address)
    for name, value in _expected_immutables(chain_id, raw).items():
        for start in IMMUTABLE_OFFSETS[name]:
            if code[start : start + _WORD] != value:
                raise ContractMismatchError(
                    f"contract at {to_checksum_address(raw)} holds an EIP-712 {name} for "
                    f"another chain or address than chain id {chain_id}: not a genuine "
                    "deployment on this chain")


def _field(word: int, spec: tuple[int, int]) -> int:
    offset, size = spec
    return (word >> (8 * offset)) & ((1 << (8 * size)) - 1)


def _mapping_slot(key: bytes, slot: int) -> int:
    """Slot of ``mapping[key]`` at ``slot``: keccak(pad32(key) . pad32(slot)) (Solidity
    docs, "Mappings and Dynamic Arrays")."""
    return int.from_bytes(keccak256(key.rjust(_WORD, b"\0") + slot.to_bytes(_WORD, "big")),
                          "big")


def _jurisdiction(value: int) -> str:
    return value.to_bytes(2, "big").decode("ascii", errors="replace")


class AnchorView:
    """EvidenceAnchor's state read from storage, as its view functions return it.

    Each method returns what the same-named view (``anchorOf``, ``confirmationsOf``,
    ``witnessOf``, ``witnesses``, ``registrar``) returns through
    :class:`~evidence.chain.contract.AnchorContract`; a differential test holds them equal.
    The code is checked on construction (:func:`check_anchor_code`).
    """

    def __init__(self, chain: LightChain, address: str) -> None:
        raw = _address_bytes(address)
        self.chain = chain
        self.address = to_checksum_address(raw)
        code = chain.get_code(self.address)
        if not code:
            raise ChainError(f"no contract at {self.address} on {chain.description}")
        check_anchor_code(code, address=self.address, chain_id=chain.chain_id)
        state = chain.account(self.address)
        assert state is not None  # it has code
        self._state = state

    def _word(self, slot: int) -> int:
        return self.chain._storage(self._state, slot)

    def registrar(self) -> str:
        return to_checksum_address(_field(self._word(SLOT_OWNER), (0, 20)).to_bytes(20, "big"))

    def anchor_of(self, root: bytes) -> AnchorRecord | None:
        word = self._word(_mapping_slot(root, SLOT_ANCHORS))
        timestamp = _field(word, ANCHOR_FIELDS["timestamp"])
        if timestamp == 0:
            return None
        submitter = _field(word, ANCHOR_FIELDS["submitter"]).to_bytes(20, "big")
        return AnchorRecord(to_checksum_address(submitter), timestamp,
                            _field(word, ANCHOR_FIELDS["blockNumber"]))

    def _witness_list(self) -> list[bytes]:
        count = self._word(SLOT_WITNESS_LIST)
        base = int.from_bytes(keccak256(SLOT_WITNESS_LIST.to_bytes(_WORD, "big")), "big")
        return [_field(self._word(base + i), (0, 20)).to_bytes(20, "big") for i in range(count)]

    def _witness_word(self, account: bytes) -> int:
        return self._word(_mapping_slot(account, SLOT_WITNESSES))

    def _witness(self, account: bytes) -> WitnessRecord | None:
        word = self._witness_word(account)
        jurisdiction = _field(word, WITNESS_FIELDS["jurisdiction"])
        if jurisdiction == 0:
            return None
        return WitnessRecord(to_checksum_address(account), _jurisdiction(jurisdiction),
                             self._string(_mapping_slot(account, SLOT_OPERATORS)),
                             _field(word, WITNESS_FIELDS["registeredAt"]),
                             _field(word, WITNESS_FIELDS["revokedAt"]) or None)

    def _string(self, slot: int) -> str:
        """A ``string`` in storage: short (< 32 bytes) in the slot, length * 2 in the last
        byte; long: length * 2 + 1 in the slot, the bytes from keccak(slot) on."""
        word = self._word(slot)
        if word & 1 == 0:
            length = (word & 0xFF) // 2
            if length >= _WORD:
                raise ChainError("the embedded chain holds a malformed short string")
            raw = word.to_bytes(_WORD, "big")[:length]
        else:
            length = (word - 1) // 2
            if length > MAX_STRING_BYTES:
                raise ChainError("the embedded chain holds an implausibly long string")
            base = int.from_bytes(keccak256(slot.to_bytes(_WORD, "big")), "big")
            words = (length + _WORD - 1) // _WORD
            raw = b"".join(self._word(base + i).to_bytes(_WORD, "big")
                           for i in range(words))[:length]
        return raw.decode("utf-8", errors="replace")

    def witness_of(self, address: str) -> WitnessRecord | None:
        return self._witness(_address_bytes(address))

    def witnesses(self) -> list[WitnessRecord]:
        out = []
        for account in self._witness_list():
            record = self._witness(account)
            out.append(record if record is not None else
                       WitnessRecord("0x" + "0" * 40, "\0\0", "", 0, None))
        return out

    def confirmations_of(self, root: bytes) -> list[ConfirmationRecord]:
        """Confirmations of ``root`` in the witness list's order (as ``confirmationsOf``)."""
        inner = _mapping_slot(root, SLOT_CONFIRMATIONS)
        out = []
        for account in self._witness_list():
            word = self._word(_mapping_slot(account, inner))
            kind = _field(word, CONFIRMATION_FIELDS["kind"])
            if kind == KIND_NONE:
                continue
            jurisdiction = _field(self._witness_word(account), WITNESS_FIELDS["jurisdiction"])
            out.append(ConfirmationRecord(
                to_checksum_address(account), _jurisdiction(jurisdiction),
                _field(word, CONFIRMATION_FIELDS["confirmedAt"]),
                _field(word, CONFIRMATION_FIELDS["observedAt"]), kind == KIND_SIGNATURE))
        return out

    def anchor_transaction(self, root: bytes, block_number: int) -> str | None:
        """The transaction whose Anchored event names ``root`` in block ``block_number``."""
        topic = keccak256(ANCHORED_EVENT.encode())
        me = _address_bytes(self.address)
        for receipt in self.chain.receipts(block_number):
            for log in receipt.logs:
                if log.address == me and log.topics[:2] == (topic, root):
                    return "0x" + receipt.transaction_hash.hex()
        return None
