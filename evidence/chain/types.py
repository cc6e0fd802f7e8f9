"""The records and interfaces shared by every reader of the chain.

Verification reads the chain through two Protocols, :class:`ChainReader` (a chain: its
identity, headers, code) and :class:`AnchorReader` (one EvidenceAnchor contract: anchors,
witnesses, confirmations, events). Two implementations exist, and a differential test holds
them to the same values:

* :class:`~evidence.chain.light.LightChain`, the embedded development chain read straight
  from its store, every record checked by its hash;
* :class:`~evidence.chain.proven.ProvenChain`, any JSON-RPC chain read through one or more
  nodes, every value checked by a Merkle-Patricia proof against a block header whose hash
  is computed here and agreed by all the nodes named.

This module holds only data and interfaces: it imports nothing heavy (no web3, no
py-evm), so verification can import it for the price of the standard library.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

__all__ = [
    "DEVELOPMENT_CHAIN_IDS",
    "AnchorReader",
    "AnchorRecord",
    "BlockHeader",
    "ChainReader",
    "ConfirmationEvent",
    "ConfirmationRecord",
    "RevocationIssued",
    "WitnessRecord",
]

#: Chain ids that only development nodes use: 1337 (ganache, geth --dev, Besu dev) and
#: 31337 (anvil and hardhat defaults). Anchors on them have no evidential value.
DEVELOPMENT_CHAIN_IDS = frozenset({1337, 31337})


@dataclass(frozen=True)
class BlockHeader:
    """The header fields readers use; ``hash`` is keccak-256 of the header's RLP (computed
    by the reader from the fields, never taken from a node's word for it)."""

    hash: bytes
    number: int
    timestamp: int
    parent_hash: bytes
    state_root: bytes
    transaction_root: bytes
    receipt_root: bytes


@dataclass(frozen=True)
class AnchorRecord:
    """``anchorOf(root)``: who anchored it, block time and block number."""

    submitter: str
    timestamp: int
    block_number: int


@dataclass(frozen=True)
class ConfirmationRecord:
    """One entry of ``confirmationsOf(root)``: times are unix seconds; ``confirmed_at`` is
    the time of the block that recorded it, ``observed_at`` the witness's own claim."""

    witness: str
    jurisdiction: str
    confirmed_at: int
    observed_at: int
    by_signature: bool


@dataclass(frozen=True)
class WitnessRecord:
    """``witnessOf(account)``: ``revoked_at`` is None for an active witness."""

    account: str
    jurisdiction: str
    operator: str
    registered_at: int
    revoked_at: int | None


@dataclass(frozen=True)
class ConfirmationEvent:
    """One ``Confirmed(root, witness, jurisdiction, observedAt, bySignature)`` event, checked
    against its block's receipts root; ``transaction`` is the 0x-hex hash of the transaction
    that emitted it, ``block_time`` the time of its block."""

    witness: str
    jurisdiction: str
    observed_at: int
    by_signature: bool
    block_number: int
    block_time: int
    transaction: str


@dataclass(frozen=True)
class RevocationIssued:
    """When the registrar's ``revokeWitness`` was mined: the block and its time. The
    revocation's *effective* time (``revokedAt``, which may lie in the past) is in the
    :class:`WitnessRecord`; this says when it was issued."""

    block_number: int
    block_time: int


class AnchorReader(Protocol):
    """What verification reads of one EvidenceAnchor contract.

    Every read is at the reader's reference head (:meth:`ChainReader.latest_block_number`)
    unless a block is named. How it fails: :class:`~evidence.errors.ChainError` and its
    subclasses (a node that cannot serve a read: ``NodeCapabilityError``; an answer that
    does not check out: ``NodeProofError``; nodes that differ: ``NodesDisagreeError``).
    """

    @property
    def address(self) -> str: ...

    def registrar(self, *, block: int | None = None) -> str:
        """The owner slot, at ``block``'s state (historic) or at the reference head."""
        ...

    def anchor_of(self, root: bytes) -> AnchorRecord | None: ...

    def anchor_transaction(self, root: bytes, block_number: int) -> str | None:
        """The 0x-hex hash of the transaction whose ``Anchored`` event names ``root`` in
        block ``block_number`` (the event checked against the block's receipts root), or
        None when that block has no such event."""
        ...

    def confirmations_of(self, root: bytes) -> list[ConfirmationRecord]: ...

    def witness_of(self, address: str) -> WitnessRecord | None: ...

    def witnesses(self) -> list[WitnessRecord]: ...

    def confirmation_events(self, root: bytes, from_block: int
                            ) -> list[ConfirmationEvent] | None:
        """The ``Confirmed`` events of ``root`` from ``from_block`` to the reference head,
        each checked against its block's receipts root; None when this reader does not
        check events (the embedded store: a local, hash-checked file, not a node)."""
        ...

    def registrar_changed_after(self, block: int) -> bool:
        """Whether the contract's owner changed in a block after ``block`` (up to the
        reference head): the registrar at the head is then not the one at ``block``. Used
        when a node keeps no state of ``block``; read from the ``OwnershipTransferred``
        events, checked like every event."""
        ...

    def revocation_issued(self, witness: str, *, after_time: int) -> RevocationIssued | None:
        """When ``revokeWitness(witness)`` was mined: the first block whose state has
        ``revokedAt != 0``, among the blocks whose time is >= ``after_time``. None when the
        witness is not revoked at the reference head, or was already revoked before the
        first such block (its ``witness_of`` tells these apart)."""
        ...


class ChainReader(Protocol):
    """What verification reads of a chain.

    ``latest_block_number`` is the *reference head*: every read that names no block is
    made at it, so one reader gives one consistent state. ``header(n)`` gives a header whose
    hash the reader computed (and, over several nodes, that every node gave).
    """

    @property
    def chain_id(self) -> int: ...

    @property
    def description(self) -> str:
        """One line for people, e.g. ``JSON-RPC http://127.0.0.1:8545 (chain id 7140)``."""
        ...

    @property
    def nodes(self) -> tuple[str, ...]:
        """The nodes asked (URLs without credentials), or the store folder when embedded."""
        ...

    @property
    def client_versions(self) -> tuple[str, ...]:
        """``web3_clientVersion`` of each node (``"unknown"`` when it does not say), or
        ``("embedded",)`` for the embedded store."""
        ...

    @property
    def is_embedded(self) -> bool: ...

    def genesis_hash(self) -> bytes:
        """The hash of block 0, computed (and agreed by every node)."""
        ...

    def latest_block_number(self) -> int: ...

    def header(self, number: int) -> BlockHeader: ...

    def block_hash(self, number: int) -> bytes: ...

    def get_code(self, address: str) -> bytes:
        """The runtime code at ``address`` at the reference head, checked against the
        account's code hash (empty for an account without code)."""
        ...

    def anchor_view(self, address: str) -> AnchorReader:
        """The contract at ``address``; raises ContractMismatchError for other code (or
        genuine code whose EIP-712 immutables belong to another deployment)."""
        ...

    def close(self) -> None: ...
