"""A read-only reader of the embedded chain's store, as a light client reads a chain.

Verification only reads the chain, so it needs neither an EVM nor web3: this module reads
the very records py-evm persisted in ``<state_dir>/chain.sqlite3`` (see
:mod:`evidence.chain.embedded`) and checks each one by its hash, the way a light client
checks what a full node serves it. It imports neither web3, eth-tester, py-evm,
eth-account nor py_ecc (whose imports alone take seconds); keccak-256 comes from
pycryptodome, RLP and the Merkle-Patricia trie walk from :mod:`evidence.chain.rlp` and
:mod:`evidence.chain.mpt` (the same walk that checks a node's EIP-1186 proofs).

What it reads (Ethereum Yellow Paper, "Appendix B. Recursive Length Prefix", "Appendix D.
Modified Merkle Patricia Tree", "4.3 The Block"; py-evm's ``SchemaV1`` keys):

* the canonical head (``v1:canonical_head_hash``) and headers by number
  (``block-number-to-hash:N``); a header is stored under its hash, keccak-256 of its RLP,
  which is checked, and so is the parent link to the next canonical header;
* an account from a block's state root (``keccak(address) -> [nonce, balance,
  storage_root, code_hash]``), its code by code hash, its storage slots from its storage
  root (``keccak(slot) -> rlp(value)``); the head's state, or any earlier block's (the
  store keeps every state);
* a block's transactions and receipts from its transaction and receipt tries (key
  ``rlp(index)``; typed receipts are ``type || rlp(...)``, EIP-2718), a transaction's hash
  being keccak-256 of its encoding;
* the EvidenceAnchor contract's state through :class:`~evidence.chain.anchorstate.AnchorState`,
  the one reader of its storage layout, which the JSON-RPC reader shares.

Every trie node, header and code read is checked against the hash it is stored under, and
all reads of one :class:`LightChain` see one committed state of the store (one sqlite
read transaction). :class:`LightChain` is a :class:`~evidence.chain.types.ChainReader`;
its :class:`AnchorView` an :class:`~evidence.chain.types.AnchorReader` that does not check
events (``confirmation_events`` is None: the store is a local, hash-checked file, not a
node). How it fails: a missing, damaged, foreign or inconsistent store (a missing node, a
hash that does not match, malformed RLP) raises :class:`~evidence.errors.ChainError`; code
that is not the EvidenceAnchor artifact's, or whose EIP-712 immutables belong to another
chain or address, raises :class:`~evidence.errors.ContractMismatchError`. Writing still
needs :mod:`evidence.chain.embedded` (py-evm).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Self

from evidence.errors import ChainError

from . import mpt, rlp
from .anchorstate import (
    ANCHOR_FIELDS,
    ANCHORED_EVENT,
    CONFIRMATION_FIELDS,
    CONFIRMED_EVENT,
    DOMAIN_NAME,
    DOMAIN_VERSION,
    IMMUTABLE_OFFSETS,
    MAX_STRING_BYTES,
    STATE_VARIABLES,
    WITNESS_FIELDS,
    WITNESS_REVOKED_EVENT,
    AnchorState,
    check_anchor_code,
    event_topic,
)
from .blockdata import ReceiptLog, TransactionReceipt, decode_receipt
from .mpt import BLANK_ROOT, EMPTY_CODE_HASH, MAX_TRIE_DEPTH, AccountState
from .primitives import address_bytes, keccak256, to_checksum_address
from .rlp import MAX_RLP_DEPTH, RLPItem
from .types import (
    AnchorRecord,
    BlockHeader,
    ConfirmationEvent,
    ConfirmationRecord,
    RevocationIssued,
    WitnessRecord,
)

__all__ = [
    "ANCHORED_EVENT",
    "ANCHOR_FIELDS",
    "BLANK_ROOT",
    "CONFIRMATION_FIELDS",
    "CONFIRMED_EVENT",
    "DB_FILE_NAME",
    "DOMAIN_NAME",
    "DOMAIN_VERSION",
    "EMBEDDED_CHAIN_ID",
    "EMPTY_CODE_HASH",
    "IMMUTABLE_OFFSETS",
    "MAX_RLP_DEPTH",
    "MAX_STRING_BYTES",
    "MAX_TRIE_DEPTH",
    "STATE_VARIABLES",
    "STORE_FORMAT",
    "WITNESS_FIELDS",
    "WITNESS_REVOKED_EVENT",
    "AccountState",
    "AnchorRecord",
    "AnchorView",
    "BlockHeader",
    "ConfirmationEvent",
    "ConfirmationRecord",
    "LightChain",
    "ReceiptLog",
    "RevocationIssued",
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

#: Most transactions read from one block: a block of the embedded chain holds one; a 30M
#: gas block at least 21,000 gas each holds under 1,500.
MAX_BLOCK_TRANSACTIONS = 10_000

_STORE = "the embedded chain's"


def rlp_decode(data: bytes, *, what: str = "record") -> RLPItem:
    """Decode one RLP item filling all of ``data``; ChainError (naming ``what``) if malformed."""
    return rlp.decode(data, what=f"{_STORE} {what}")


def _as_bytes(item: RLPItem, what: str) -> bytes:
    return rlp.as_bytes(item, f"{_STORE} {what}")


def _as_list(item: RLPItem, what: str) -> list[RLPItem]:
    return rlp.as_list(item, f"{_STORE} {what}")


def _as_int(item: RLPItem, what: str) -> int:
    return rlp.as_int(item, f"{_STORE} {what}")


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
    transaction, held until :meth:`close`); the head then is the reference head. Not
    thread-safe.
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
    def is_embedded(self) -> bool:
        return True

    @property
    def nodes(self) -> tuple[str, ...]:
        """The store folder: the one "node" this reader asks."""
        return (str(self._state_dir),)

    @property
    def client_versions(self) -> tuple[str, ...]:
        return ("embedded",)

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
        """The reference head: every read that names no block is made at it."""
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

    def genesis_hash(self) -> bytes:
        """The hash of block 0 (checked like any header)."""
        return self.header(0).hash

    def first_block_at(self, time: int) -> int:
        """The first block whose time is >= ``time`` (the head's number + 1 when none is):
        a binary search over the canonical headers, whose times never decrease."""
        low, high = 0, self.latest_block_number() + 1
        while low < high:
            middle = (low + high) // 2
            if self.header(middle).timestamp >= time:
                high = middle
            else:
                low = middle + 1
        return low

    # -- tries --------------------------------------------------------------------------

    def _trie_get(self, root: bytes, key: bytes, what: str) -> bytes | None:
        """The value at ``key`` in the trie rooted at ``root``, or None (Yellow Paper App. D);
        every node read by its hash through :meth:`_by_hash`."""
        return mpt.get(root, key, lambda digest: self._by_hash(digest, f"{what} node"),
                       what=f"{_STORE} {what}")

    def _trie_items(self, root: bytes, what: str) -> Iterator[bytes]:
        """Values at keys rlp(0), rlp(1), ... until the first missing one."""
        for index in range(MAX_BLOCK_TRANSACTIONS + 1):
            value = self._trie_get(root, rlp.encode_uint(index), what)
            if value is None:
                return
            if index == MAX_BLOCK_TRANSACTIONS:
                raise ChainError(f"the embedded chain's {what} has more than "
                                 f"{MAX_BLOCK_TRANSACTIONS} entries")
            yield value

    # -- state --------------------------------------------------------------------------

    def account(self, address: str, *, block: int | None = None) -> AccountState | None:
        """The account at ``address`` in the state of ``block`` (default: the head), or
        None if it has none."""
        root = (self.head() if block is None else self.header(block)).state_root
        raw = self._trie_get(root, mpt.account_key(address_bytes(address)), "state trie")
        if raw is None:
            return None
        return mpt.decode_account(raw, what=f"{_STORE} account")

    def get_code(self, address: str) -> bytes:
        """The runtime code at ``address`` in the head's state (empty without code)."""
        state = self.account(address)
        if state is None or state.code_hash == EMPTY_CODE_HASH:
            return b""
        return self._by_hash(state.code_hash, "contract code")

    def storage_at(self, address: str, slot: int, *, block: int | None = None) -> int:
        """Storage word ``slot`` of ``address`` in the state of ``block`` (default: the
        head); 0 when unset."""
        state = self.account(address, block=block)
        if state is None:
            return 0
        return self._storage(state, slot)

    def _storage(self, state: AccountState, slot: int) -> int:
        raw = self._trie_get(state.storage_root, mpt.storage_key(slot), "storage trie")
        return mpt.decode_storage_value(raw, what=f"{_STORE} storage value")

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
        return [decode_receipt(raw, transaction_hash=tx_hash, what=f"{_STORE} receipt")
                for tx_hash, raw in zip(hashes, encoded, strict=True)]

    def anchor_view(self, address: str) -> AnchorView:
        """The EvidenceAnchor at ``address``, its code checked (:func:`check_anchor_code`)."""
        return AnchorView(self, address)


class _TrieStorage:
    """A :class:`~evidence.chain.anchorstate.StorageSource` over one account's storage trie
    at one block (an account that does not exist reads as all zeros)."""

    def __init__(self, chain: LightChain, state: AccountState | None) -> None:
        self._chain = chain
        self._state = state

    def words(self, slots: Sequence[int]) -> list[int]:
        if self._state is None:
            return [0] * len(slots)
        return [self._chain._storage(self._state, slot) for slot in slots]


class AnchorView(AnchorState):
    """EvidenceAnchor's state at the head, read from the store's tries.

    Each method returns what the same-named view (``anchorOf``, ``confirmationsOf``,
    ``witnessOf``, ``witnesses``, ``registrar``) returns through
    :class:`~evidence.chain.contract.AnchorContract`; a differential test holds them equal.
    The code is checked on construction (:func:`check_anchor_code`).
    """

    def __init__(self, chain: LightChain, address: str) -> None:
        checksum = to_checksum_address(address_bytes(address))
        code = chain.get_code(checksum)
        if not code:
            raise ChainError(f"no contract at {checksum} on {chain.description}")
        check_anchor_code(code, address=checksum, chain_id=chain.chain_id)
        state = chain.account(checksum)
        super().__init__(_TrieStorage(chain, state), checksum)
        self.chain = chain
        self._states: dict[int, AnchorState] = {}

    def _at(self, block: int) -> AnchorState:
        """The contract's state after block ``block`` (the store keeps every state)."""
        known = self._states.get(block)
        if known is None:
            known = AnchorState(_TrieStorage(self.chain, self.chain.account(self.address,
                                                                            block=block)),
                                self.address)
            self._states[block] = known
        return known

    def registrar(self, *, block: int | None = None) -> str:
        """``registrar()`` at the head, or in the state of ``block``."""
        return self.owner() if block is None else self._at(block).owner()

    def anchor_transaction(self, root: bytes, block_number: int) -> str | None:
        """The transaction whose Anchored event names ``root`` in block ``block_number``."""
        topic = event_topic(ANCHORED_EVENT)
        me = address_bytes(self.address)
        for receipt in self.chain.receipts(block_number):
            for log in receipt.logs:
                if log.address == me and log.topics[:2] == (topic, root):
                    return "0x" + receipt.transaction_hash.hex()
        return None

    def confirmation_events(self, root: bytes, from_block: int
                            ) -> list[ConfirmationEvent] | None:
        """None: the store is a local, hash-checked file; its state is the record."""
        return None

    def registrar_changed_after(self, block: int) -> bool:
        """The store keeps every state: compare the owner at ``block`` with the head's."""
        return self.registrar(block=block) != self.registrar()

    def revocation_issued(self, witness: str, *, after_time: int) -> RevocationIssued | None:
        """The block that made ``witness``'s ``revokedAt`` non-zero, if it is at or after the
        first block whose time is >= ``after_time``: a binary search over the states of
        the blocks from there to the head (a revocation is never undone). None when the
        witness is not revoked at the head, or was revoked before that block."""
        if self.revoked_at(witness) == 0:
            return None
        start = self.chain.first_block_at(after_time)
        head = self.chain.latest_block_number()
        if start > head or (start > 0 and self._at(start - 1).revoked_at(witness) != 0):
            return None
        low, high = start, head
        while low < high:
            middle = (low + high) // 2
            if self._at(middle).revoked_at(witness) != 0:
                high = middle
            else:
                low = middle + 1
        return RevocationIssued(low, self.chain.header(low).timestamp)
