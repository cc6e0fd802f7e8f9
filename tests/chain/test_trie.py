"""RLP and Merkle-Patricia tries against ethereum/tests' TrieTests, and by properties.

The trie builder must give every TrieTests root (tests/vectors/ethereum-trie/SOURCE.md);
the walk must find every value of a built trie through a proof and prove the absence of
every other key; any change to a proof either still proves the same answer or is refused,
never turned into another value.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evidence.chain import mpt, rlp
from evidence.chain.primitives import keccak256
from evidence.errors import ChainError

VECTORS = Path(__file__).resolve().parents[1] / "vectors" / "ethereum-trie"
FILES = ("trietest.json", "trieanyorder.json", "trietest_secureTrie.json",
         "trieanyorder_secureTrie.json", "hex_encoded_securetrie_test.json")


def _bytes(text: str | None) -> bytes:
    """TrieTests' convention: 0x-hex, else the string's UTF-8 bytes; null is empty."""
    if text is None:
        return b""
    return bytes.fromhex(text[2:]) if text.startswith("0x") else text.encode()


def _cases() -> list[tuple[str, str, dict[str, Any]]]:
    out = []
    for name in FILES:
        for case, body in json.loads((VECTORS / name).read_text()).items():
            out.append((name, case, body))
    return out


def _final_items(name: str, body: dict[str, Any]) -> dict[bytes, bytes]:
    secure = "secure" in name.lower()
    pairs = body["in"].items() if isinstance(body["in"], dict) else body["in"]
    items: dict[bytes, bytes] = {}
    for key, value in pairs:
        raw_key = keccak256(_bytes(key)) if secure else _bytes(key)
        if _bytes(value):
            items[raw_key] = _bytes(value)
        else:
            items.pop(raw_key, None)
    return items


def _proof(root: bytes, key: bytes, nodes: dict[bytes, bytes]) -> list[bytes]:
    """The nodes a walk to ``key`` reads: an EIP-1186 proof of it."""
    seen: list[bytes] = []

    def lookup(digest: bytes) -> bytes:
        seen.append(nodes[digest])
        return nodes[digest]

    mpt.get(root, key, lookup)
    return seen


CASES = _cases()


def test_the_vectors_are_all_there() -> None:
    assert len(CASES) >= 25
    assert {name for name, _, _ in CASES} == set(FILES)


@pytest.mark.parametrize(("name", "case", "body"), CASES,
                         ids=[f"{n}:{c}" for n, c, _ in CASES])
def test_trie_root_is_the_vectors(name: str, case: str, body: dict[str, Any]) -> None:
    items = _final_items(name, body)
    assert "0x" + mpt.trie_root(items).hex() == body["root"]


@pytest.mark.parametrize(("name", "case", "body"), CASES,
                         ids=[f"{n}:{c}" for n, c, _ in CASES])
def test_every_value_of_a_vector_trie_is_proven(name: str, case: str,
                                                body: dict[str, Any]) -> None:
    items = _final_items(name, body)
    root, nodes = mpt.trie_nodes(items)
    for key, value in items.items():
        assert mpt.verify_proof(root, key, _proof(root, key, nodes)) == value
    absent = keccak256(b"not a key of any vector")
    assert mpt.verify_proof(root, absent, _proof(root, absent, nodes)) is None


def test_empty_trie() -> None:
    assert mpt.trie_root({}) == mpt.BLANK_ROOT == keccak256(rlp.encode(b""))
    assert mpt.verify_proof(mpt.BLANK_ROOT, b"\x01", []) is None


def test_a_proof_missing_a_node_does_not_lead_anywhere() -> None:
    items = {keccak256(bytes([i])): b"value %d" % i for i in range(40)}
    root, nodes = mpt.trie_nodes(items)
    key = next(iter(items))
    proof = _proof(root, key, nodes)
    assert len(proof) >= 2
    with pytest.raises(ChainError, match="does not lead"):
        mpt.verify_proof(root, key, proof[:-1])
    with pytest.raises(ChainError, match="does not lead"):
        mpt.verify_proof(keccak256(b"another root"), key, proof)


# -- RLP -----------------------------------------------------------------------------------

RLP_ITEMS: st.SearchStrategy[rlp.RLPItem] = st.recursive(
    st.binary(max_size=80),
    lambda children: st.lists(children, max_size=6),
    max_leaves=30,
)


@given(RLP_ITEMS)
def test_rlp_round_trips(item: rlp.RLPItem) -> None:
    encoded = rlp.encode(item)
    assert rlp.decode(encoded) == item


def test_rlp_known_encodings() -> None:
    # Yellow Paper App. B and the classic examples (ethereum wiki "RLP").
    assert rlp.encode(b"dog") == b"\x83dog"
    assert rlp.encode([b"cat", b"dog"]) == b"\xc8\x83cat\x83dog"
    assert rlp.encode(b"") == b"\x80"
    assert rlp.encode([]) == b"\xc0"
    assert rlp.encode_uint(0) == b"\x80"
    assert rlp.encode_uint(15) == b"\x0f"
    assert rlp.encode_uint(1024) == b"\x82\x04\x00"
    assert rlp.encode([[], [[]], [[], [[]]]]) == bytes.fromhex("c7c0c1c0c3c0c1c0")
    long = b"Lorem ipsum dolor sit amet, consectetur adipisicing elit"
    assert rlp.encode(long) == b"\xb8\x38" + long


@pytest.mark.parametrize("bad", [
    b"\x81\x05",            # a single byte below 0x80 with a prefix
    b"\xb8\x05hello",       # the long form for a short string
    b"\xb9\x00\x38" + b"x" * 56,  # a length with a leading zero
    b"\x83do",              # runs past the end
    b"\x83dogs",            # trailing bytes
    b"\xc3\x83dog",         # a list whose item runs past it
    b"",                    # nothing
    b"\xc1" * 40 + b"\xc0",  # nested deeper than any Ethereum structure
])
def test_rlp_refuses_what_is_not_canonical(bad: bytes) -> None:
    with pytest.raises(ChainError, match="malformed RLP"):
        rlp.decode(bad)


# -- properties of proofs ------------------------------------------------------------------

KEYS = st.binary(min_size=32, max_size=32)
VALUES = st.binary(min_size=1, max_size=70)


@settings(max_examples=60, deadline=None)
@given(st.dictionaries(KEYS, VALUES, min_size=1, max_size=40), KEYS)
def test_proofs_verify_for_every_key_and_absence(items: dict[bytes, bytes],
                                                 other: bytes) -> None:
    root, nodes = mpt.trie_nodes(items)
    for key, value in items.items():
        assert mpt.verify_proof(root, key, _proof(root, key, nodes)) == value
    if other not in items:
        assert mpt.verify_proof(root, other, _proof(root, other, nodes)) is None


@settings(max_examples=60, deadline=None)
@given(st.dictionaries(KEYS, VALUES, min_size=2, max_size=30), st.data())
def test_any_changed_byte_of_a_proof_is_refused_or_harmless(items: dict[bytes, bytes],
                                                           data: st.DataObject) -> None:
    """Changing one byte of one proof node never makes the proof give another answer."""
    root, nodes = mpt.trie_nodes(items)
    key = data.draw(st.sampled_from(sorted(items)))
    proof = _proof(root, key, nodes)
    which = data.draw(st.integers(0, len(proof) - 1))
    at = data.draw(st.integers(0, len(proof[which]) - 1))
    flipped = bytearray(proof[which])
    flipped[at] ^= data.draw(st.integers(1, 255))
    changed = [*proof[:which], bytes(flipped), *proof[which + 1:]]
    try:
        answer = mpt.verify_proof(root, key, changed)
    except ChainError:
        return
    assert answer == items[key]  # only possible when the changed node was not needed


@settings(max_examples=40, deadline=None)
@given(st.lists(st.binary(min_size=1, max_size=60), max_size=40))
def test_indexed_tries_hold_every_entry(values: list[bytes]) -> None:
    """Receipts and transactions tries: keys rlp(0), rlp(1), ... (inline nodes included)."""
    items = {rlp.encode_uint(i): v for i, v in enumerate(values)}
    root, nodes = mpt.trie_nodes(items)
    for key, value in items.items():
        assert mpt.verify_proof(root, key, _proof(root, key, nodes)) == value
