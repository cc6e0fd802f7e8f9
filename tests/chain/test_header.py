"""Header hashes computed from JSON-RPC block objects: real mainnet headers of every fork,
malformed headers, edited headers, and Besu's IBFT 2.0 / QBFT on-chain hash rule."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from evidence.chain import header, rlp
from evidence.chain.primitives import keccak256
from evidence.errors import ChainError

VECTORS = Path(__file__).resolve().parents[1] / "vectors" / "ethereum-headers"
FILES = sorted(p.name for p in VECTORS.glob("mainnet-*.json"))

#: The fields each fork's header has beyond Frontier's 15 (module docstring of header.py).
FORK_EXTRA = {"frontier": 0, "muir-glacier": 0, "london": 1, "shanghai": 2, "cancun": 5,
              "prague": 6}


def _load(name: str) -> dict[str, Any]:
    return dict(json.loads((VECTORS / name).read_text()))


def test_one_header_of_each_fork_is_vendored() -> None:
    for fork in ("frontier", "london", "shanghai", "cancun", "prague"):
        assert any(fork in name for name in FILES), fork


@pytest.mark.parametrize("name", FILES)
def test_mainnet_header_hashes(name: str) -> None:
    block = _load(name)
    parsed = header.parse_block(block)
    assert "0x" + parsed.hash.hex() == block["hash"]
    assert parsed.number == int(name.split("-")[1])
    assert parsed.number == int(block["number"], 16)
    assert parsed.timestamp == int(block["timestamp"], 16)
    assert "0x" + parsed.state_root.hex() == block["stateRoot"]
    assert "0x" + parsed.receipt_root.hex() == block["receiptsRoot"]
    assert "0x" + parsed.transaction_root.hex() == block["transactionsRoot"]
    assert "0x" + parsed.parent_hash.hex() == block["parentHash"]
    fork = next(f for f in FORK_EXTRA if f in name)
    assert len(header.header_fields(block)) == 15 + FORK_EXTRA[fork]


@pytest.mark.parametrize("name", FILES)
def test_any_changed_field_is_caught(name: str) -> None:
    """A node that edits a field (and keeps the hash) is refused; one that also recomputes
    the hash gives a hash that is not the real block's."""
    block = _load(name)
    real = block["hash"]
    for field, _ in (*header.BASE_FIELDS, *header.FORK_FIELDS):
        if field not in block:
            continue
        changed = dict(block)
        value = changed[field]
        changed[field] = (value[:-1] + ("1" if value[-1] != "1" else "2")
                          if len(value) > 3 else hex(int(value, 16) + 1))
        with pytest.raises(ChainError, match="hashes to"):
            header.parse_block(changed)
        fields = header.header_fields(changed)
        changed["hash"] = "0x" + header.header_hash(fields).hex()
        assert "0x" + header.parse_block(changed).hash.hex() != real


def test_a_fork_field_after_a_missing_one_is_malformed() -> None:
    block = _load("mainnet-19449567-cancun.json")
    del block["withdrawalsRoot"]
    with pytest.raises(ChainError, match="no withdrawalsRoot, which comes before it"):
        header.parse_block(block)


@pytest.mark.parametrize(("field", "value", "message"), [
    ("stateRoot", None, "has no stateRoot"),
    ("stateRoot", "0x1234", "not 32"),
    ("number", "12", "not a hex quantity"),
    ("number", "0x" + "f" * 65, "not a hex quantity"),
    ("miner", "0xzz", "not hex data"),
    ("timestamp", 5, "not a hex quantity"),
    ("hash", "0x00", "not 32"),
])
def test_malformed_fields(field: str, value: object, message: str) -> None:
    block: dict[str, Any] = _load("mainnet-12965000-london.json")
    block[field] = value
    with pytest.raises(ChainError, match=message):
        header.parse_block(block)


def test_not_an_object() -> None:
    with pytest.raises(ChainError, match="not a JSON object"):
        header.header_fields([])  # type: ignore[arg-type]


# -- Besu IBFT 2.0 / QBFT ----------------------------------------------------------------------
#
# The rule, from hyperledger/besu (consensus/common/.../BftBlockHashing.java,
# calculateHashOfBftBlockOnchain; consensus/ibft/.../IbftExtraDataCodec.java and
# consensus/qbft/.../QbftExtraDataCodec.java, encode with
# EXCLUDE_COMMIT_SEALS_AND_ROUND_NUMBER): the header is hashed with extraData re-encoded as
#   IBFT 2.0: rlp([vanity, validators, vote])            (round and seals omitted)
#   QBFT:     rlp([vanity, validators, vote, 0, []])     (round 0 as a scalar, no seals)
# where vote is the empty string (IBFT 2.0 "null") or the empty list (QBFT) when absent.
# Block 0's extraData is hashed as it is.

VANITY = bytes(range(32))
VALIDATORS: list[rlp.RLPItem] = [bytes.fromhex(f"{i:040x}") for i in (1, 2, 3, 4)]
SEALS: list[rlp.RLPItem] = [bytes([i]) * 65 for i in (7, 8, 9)]


def _bft_block(extra: bytes, number: int = 5) -> dict[str, Any]:
    block = _load("mainnet-12965000-london.json")
    block["extraData"] = "0x" + extra.hex()
    block["number"] = hex(number)
    block["mixHash"] = "0x63746963616c2062797a616e74696e65206661756c7420746f6c6572616e6365"
    return block


def _hash_with_extra(block: dict[str, Any], extra: bytes) -> str:
    fields: list[rlp.RLPItem] = list(header.header_fields(block))
    fields[12] = extra
    return "0x" + keccak256(rlp.encode(fields)).hex()


def test_qbft_onchain_hash() -> None:
    extra = rlp.encode([VANITY, VALIDATORS, [], b"\x03", SEALS])
    block = _bft_block(extra)
    block["hash"] = _hash_with_extra(block, rlp.encode([VANITY, VALIDATORS, [], b"", []]))
    assert "0x" + header.parse_block(block).hash.hex() == block["hash"]
    # The seals and the round are not covered (as on the chain)...
    other_seals = _bft_block(rlp.encode([VANITY, VALIDATORS, [], b"\x07", SEALS[:2]]))
    other_seals["hash"] = block["hash"]
    header.parse_block(other_seals)
    # ... everything else is.
    forgeries: list[rlp.RLPItem] = [
        [VANITY[::-1], VALIDATORS, [], b"\x03", SEALS],
        [VANITY, VALIDATORS[:3], [], b"\x03", SEALS],
        [VANITY, VALIDATORS, [VALIDATORS[0], b"\x81"], b"\x03", SEALS],
    ]
    for changed in forgeries:
        forged = _bft_block(rlp.encode(changed))
        forged["hash"] = block["hash"]
        with pytest.raises(ChainError, match="hashes to"):
            header.parse_block(forged)


def test_ibft2_onchain_hash() -> None:
    vote: list[rlp.RLPItem] = [bytes.fromhex(f"{9:040x}"), b"\xff"]
    extra = rlp.encode([VANITY, VALIDATORS, vote, b"\x00\x00\x00\x02", SEALS])
    block = _bft_block(extra)
    block["hash"] = _hash_with_extra(block, rlp.encode([VANITY, VALIDATORS, vote]))
    assert "0x" + header.parse_block(block).hash.hex() == block["hash"]
    no_vote = _bft_block(rlp.encode([VANITY, VALIDATORS, b"", b"\x00\x00\x00\x01", SEALS]))
    no_vote["hash"] = _hash_with_extra(no_vote, rlp.encode([VANITY, VALIDATORS, b""]))
    header.parse_block(no_vote)


def test_bft_rule_is_not_applied_to_block_zero_or_other_extra_data() -> None:
    extra = rlp.encode([VANITY, VALIDATORS, [], b"", []])
    genesis = _bft_block(extra, number=0)
    genesis["hash"] = _hash_with_extra(genesis, rlp.encode([VANITY, VALIDATORS, [], b"", []]))
    header.parse_block(genesis)  # the plain hash: extraData as it is
    assert header.bft_onchain_hashes(header.header_fields(genesis)) == {}
    plain = _load("mainnet-12965000-london.json")
    assert header.bft_onchain_hashes(header.header_fields(plain)) == {}
