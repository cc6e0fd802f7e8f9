"""The client's check of one batcher proof against its own chain read (offline: a chain
and a contract that answer from a tree built here). The anvil flow tests run it for real;
this pins the cases a live batcher can hardly be made to produce."""

from __future__ import annotations

from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import pytest

from evidence.batcher.client import BatcherLiedError, _checked
from evidence.batcher.protocol import BatchProof
from evidence.bundle.receipts import batch_leaf
from evidence.chain.backend import LogEntry
from evidence.chain.types import AnchorRecord
from evidence.standards.merkle import MerkleTree

ROOTS = [bytes([i]) * 32 for i in range(1, 4)]  # a real batch of three roots
TREE = MerkleTree([batch_leaf(r) for r in ROOTS])
CONTRACT = "0x" + "ab" * 20


@dataclass
class Chain:
    """Answers as a node would for one anchored batch (block 5, three leaves)."""

    anchored: dict[bytes, int] = field(default_factory=lambda: {TREE.root: 3})
    head: int = 9
    chain_id: int = 31337
    description: str = "test chain"
    is_development: bool = True
    address: str = CONTRACT

    def anchor_of(self, root: bytes) -> AnchorRecord | None:
        return AnchorRecord("0x" + "cd" * 20, 1_700_000_000, 5) if root in self.anchored else None

    def logs(self, _address: str, topics: list[bytes], _a: int, _b: int) -> list[LogEntry]:
        count = self.anchored[topics[1]]
        return [LogEntry(5, b"\x11" * 32, tuple(topics), count.to_bytes(32, "big") + bytes(32))]

    def latest_block_number(self) -> int:
        return self.head

    def block(self, _n: int) -> dict[str, Any]:
        return {"hash": b"\x22" * 32}


WS: Any = SimpleNamespace(chain=SimpleNamespace(confirmations=2))


def _proof(index: int, size: int, path: list[bytes], batch_root: bytes = TREE.root,
           root: bytes | None = None) -> BatchProof:
    return BatchProof(root or ROOTS[index], "anchored", batch_root=batch_root, batch_size=size,
                      index=index, path=tuple(path), chain_id=31337, contract=CONTRACT,
                      transaction="0x" + "11" * 32, block_number=5)


def _check(chain: Chain, proof: BatchProof, root: bytes) -> Any:
    unseen: set[bytes] = set()
    return _checked(WS, chain, chain, proof, root, unseen, {}), unseen  # type: ignore[arg-type]


def test_an_honest_proof_gives_a_receipt_from_the_chain_read() -> None:
    receipt, _ = _check(Chain(), _proof(2, 3, TREE.inclusion_proof(2)), ROOTS[2])
    assert receipt.batch_root == TREE.root and receipt.index == 2 and receipt.batch_size == 3
    assert receipt.transaction == "0x" + "11" * 32 and receipt.block_hash == "0x" + "22" * 32
    assert receipt.path_leads_to_batch_root()


def test_a_batch_size_the_anchored_event_contradicts_is_refused() -> None:
    # Leaf 0's path in a tree of 3 also computes the same root as a tree of 4 (every
    # sibling is on the right): only the event's leafCount tells the lie.
    lie = _proof(0, 4, TREE.inclusion_proof(0))
    with pytest.raises(BatcherLiedError, match="anchored with 3 leaves; the batcher's proof "
                                               "says 4"):
        _check(Chain(), lie, ROOTS[0])


def test_a_path_that_leads_elsewhere_and_an_answer_for_another_root_are_refused() -> None:
    with pytest.raises(BatcherLiedError, match="leads to"):
        _check(Chain(), _proof(1, 3, TREE.inclusion_proof(0)), ROOTS[1])
    with pytest.raises(BatcherLiedError, match="answered for root"):
        _check(Chain(), _proof(1, 3, TREE.inclusion_proof(1)), ROOTS[0])


def test_no_receipt_while_the_chain_lacks_the_anchor_or_blocks_on_top() -> None:
    receipt, unseen = _check(Chain(anchored={}), _proof(1, 3, TREE.inclusion_proof(1)),
                             ROOTS[1])
    assert receipt is None and unseen == {ROOTS[1]}
    receipt, unseen = _check(Chain(head=6), _proof(1, 3, TREE.inclusion_proof(1)), ROOTS[1])
    assert receipt is None and unseen == set()  # anchored, one block on top of two needed
