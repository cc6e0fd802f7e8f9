"""EvidenceAnchor.anchor and its views: write-once, open to anyone, one slot, event, errors."""

from __future__ import annotations

import pytest

from .conftest import Chain

ROOT = bytes.fromhex("5a" * 32)
OTHER_ROOT = bytes.fromhex("a5" * 32)

#: Gas targets from the contract's design (one storage slot per anchor).
ANCHOR_GAS_LIMIT = 50_000


def test_anchor_stores_one_record_and_emits_anchored(chain: Chain) -> None:
    submitter = chain.accounts[7]
    receipt = chain.transact(chain.contract.functions.anchor(ROOT, 3), submitter)
    timestamp = chain.block_timestamp(receipt)

    assert chain.events(receipt, "Anchored") == [
        {"root": ROOT, "submitter": submitter, "leafCount": 3, "timestamp": timestamp}
    ]
    assert len(receipt["logs"]) == 1
    record = chain.contract.functions.anchorOf(ROOT).call()
    assert record == (submitter, timestamp, receipt["blockNumber"])
    assert chain.contract.functions.isAnchored(ROOT).call() is True


def test_anchor_of_unknown_root_is_all_zero(chain: Chain) -> None:
    zero = "0x0000000000000000000000000000000000000000"
    assert chain.contract.functions.anchorOf(OTHER_ROOT).call() == (zero, 0, 0)
    assert chain.contract.functions.isAnchored(OTHER_ROOT).call() is False


def test_anchor_is_open_to_anyone(chain: Chain) -> None:
    for index, sender in enumerate(chain.accounts[:4]):
        root = bytes([index + 1]) * 32
        chain.transact(chain.contract.functions.anchor(root, 1), sender)
        assert chain.contract.functions.anchorOf(root).call()[0] == sender


def test_anchor_rejects_zero_root(chain: Chain) -> None:
    fn = chain.contract.functions.anchor(bytes(32), 1)
    assert chain.revert(fn, chain.accounts[1]) == ("EvidenceAnchor__ZeroRoot", ())


def test_anchor_rejects_zero_leaf_count(chain: Chain) -> None:
    fn = chain.contract.functions.anchor(ROOT, 0)
    assert chain.revert(fn, chain.accounts[1]) == ("EvidenceAnchor__ZeroLeafCount", ())


def test_anchor_is_write_once(chain: Chain) -> None:
    receipt = chain.transact(chain.contract.functions.anchor(ROOT, 2), chain.accounts[1])
    anchored_at = chain.block_timestamp(receipt)
    chain.time_travel(anchored_at + 100)

    # Neither the first submitter nor anyone else can anchor it again, whatever the count.
    for sender, count in ((chain.accounts[1], 2), (chain.accounts[2], 9)):
        fn = chain.contract.functions.anchor(ROOT, count)
        assert chain.revert(fn, sender) == ("EvidenceAnchor__AlreadyAnchored", (ROOT, anchored_at))
    assert chain.contract.functions.anchorOf(ROOT).call()[0] == chain.accounts[1]


def test_reverting_anchor_transaction_is_mined_as_failed(chain: Chain) -> None:
    chain.transact(chain.contract.functions.anchor(ROOT, 1), chain.accounts[1])
    tx_hash = chain.contract.functions.anchor(ROOT, 1).transact(
        {"from": chain.accounts[2], "gas": 300_000}
    )
    receipt = chain.w3.eth.wait_for_transaction_receipt(tx_hash)
    assert receipt["status"] == 0
    assert receipt["logs"] == []


@pytest.mark.parametrize("leaf_count", [1, 1_000_000, 2**32 - 1])
def test_anchor_gas_does_not_depend_on_leaf_count(chain: Chain, leaf_count: int) -> None:
    receipt = chain.transact(chain.contract.functions.anchor(ROOT, leaf_count), chain.accounts[1])
    assert receipt["gasUsed"] <= ANCHOR_GAS_LIMIT


def test_anchor_gas_figures(chain: Chain) -> None:
    small = chain.transact(chain.contract.functions.anchor(ROOT, 1), chain.accounts[1])
    large = chain.transact(
        chain.contract.functions.anchor(OTHER_ROOT, 1_000_000), chain.accounts[1]
    )
    # Only calldata bytes differ (a few non-zero bytes of the count): well under 100 gas.
    assert abs(large["gasUsed"] - small["gasUsed"]) < 100
    assert max(small["gasUsed"], large["gasUsed"]) <= ANCHOR_GAS_LIMIT


def test_version_and_eip712_domain(chain: Chain) -> None:
    assert chain.contract.functions.version().call() == "1.0.0"
    fields, name, version, chain_id, verifying, salt, extensions = (
        chain.contract.functions.eip712Domain().call()
    )
    assert fields == b"\x0f"  # name, version, chainId, verifyingContract (ERC-5267)
    assert (name, version) == ("EvidenceAnchor", "1")
    assert chain_id == chain.w3.eth.chain_id
    assert verifying == chain.contract.address
    assert salt == bytes(32)
    assert extensions == []
