"""Merkle-Patricia tries: walking one by hash, checking proofs, building roots.

Ethereum keeps its state, each account's storage, a block's transactions and its receipts
in modified Merkle-Patricia tries (Yellow Paper, Appendix D; hex-prefix encoding of paths,
Appendix C). A node is the RLP of a 17-item branch, or a 2-item leaf or extension; a child
whose RLP is shorter than 32 bytes is inlined in its parent, any other is referenced by its
keccak-256. The root is always the hash of the root node (keccak(rlp(b"")) for an empty
trie).

* :func:`get` walks a trie from its root, asking ``lookup`` for each node by its hash; the
  embedded chain's store and an EIP-1186 proof are two such lookups (:func:`proof_lookup`).
* :func:`verify_proof` checks one EIP-1186 ``accountProof`` / ``storageProof`` entry: the
  value at the key, or None for a proven absence.
* :func:`trie_root` builds the root of a set of key/value pairs (a block's receipts or
  transactions, keys ``rlp(index)``); :func:`trie_nodes` also returns the hashed nodes.
* :class:`AccountState` and :func:`decode_account` / :func:`decode_storage_value` read the
  values of the state and storage tries (keys :func:`account_key`, :func:`storage_key`).

Nothing here knows of evidence. How it fails: a proof that does not lead anywhere
consistent (a missing node, a malformed node or path, a walk deeper than any key) raises
:class:`~evidence.errors.ChainError` naming ``what`` was walked; a ``lookup`` raises its own.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from evidence.errors import ChainError

from . import rlp
from .primitives import keccak256
from .rlp import RLPItem

__all__ = [
    "BLANK_ROOT",
    "EMPTY_ACCOUNT",
    "EMPTY_CODE_HASH",
    "MAX_TRIE_DEPTH",
    "AccountState",
    "NodeLookup",
    "account_key",
    "decode_account",
    "decode_storage_value",
    "get",
    "proof_lookup",
    "storage_key",
    "trie_nodes",
    "trie_root",
    "verify_proof",
]

#: keccak-256 of rlp(b""): the root of the empty trie.
BLANK_ROOT = bytes.fromhex("56e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e363b421")

#: Deepest walk accepted: a state or storage key is 64 nibbles, so no honest path has more
#: nodes than that (plus the value slot); more means a cycle or a crafted proof.
MAX_TRIE_DEPTH = 65
#: A node reference that is not inlined is a keccak-256 hash.
_HASH_LENGTH = 32
_BRANCH_WIDTH = 17

#: A trie node's RLP by its keccak-256 (raising if it has none or the bytes do not hash).
NodeLookup = Callable[[bytes], bytes]


def _hex_prefix(encoded: bytes, what: str) -> tuple[str, bool]:
    """Hex-prefix decoding (Yellow Paper App. C): the nibble path and the leaf flag."""
    if not encoded:
        raise ChainError(f"{what} holds an empty node path")
    flag = encoded[0] >> 4
    if flag > 3 or (flag in (0, 2) and encoded[0] & 0x0F):
        raise ChainError(f"{what} holds a malformed node path")
    nibbles = encoded.hex()
    return (nibbles[1:] if flag & 1 else nibbles[2:]), flag >= 2


def _hex_prefix_encode(nibbles: str, leaf: bool) -> bytes:
    flag = 2 if leaf else 0
    if len(nibbles) % 2:
        return bytes.fromhex(f"{flag + 1:x}{nibbles}")
    return bytes.fromhex(f"{flag:x}0{nibbles}")


def get(root: bytes, key: bytes, lookup: NodeLookup, *, what: str = "trie") -> bytes | None:
    """The value at ``key`` in the trie rooted at ``root``, or None if it has none.

    Every node is fetched through ``lookup`` by its hash, so a value found (or an absence
    proven) is bound to ``root``. Raises ChainError for a malformed node or path or a
    walk deeper than :data:`MAX_TRIE_DEPTH`.
    """
    if root == BLANK_ROOT:
        return None
    nibbles = key.hex()
    at = 0
    node: RLPItem = rlp.decode(lookup(root), what=f"{what} node")
    for _ in range(MAX_TRIE_DEPTH):
        if node == b"":
            return None
        items = rlp.as_list(node, f"{what} node")
        if len(items) == _BRANCH_WIDTH:
            if at == len(nibbles):
                return rlp.as_bytes(items[16], f"{what} value") or None
            node = _child(items[int(nibbles[at], 16)], lookup, what)
            at += 1
        elif len(items) == 2:
            path, leaf = _hex_prefix(rlp.as_bytes(items[0], f"{what} node path"), what)
            if leaf:
                if nibbles[at:] != path:
                    return None
                return rlp.as_bytes(items[1], f"{what} value") or None
            if not path:
                raise ChainError(f"{what} holds an extension node with an empty path")
            if nibbles[at : at + len(path)] != path:
                return None
            at += len(path)
            node = _child(items[1], lookup, what)
        else:
            raise ChainError(f"{what} holds a malformed trie node ({len(items)} items)")
    raise ChainError(f"{what} is deeper than any trie can be")


def _child(ref: RLPItem, lookup: NodeLookup, what: str) -> RLPItem:
    """A child reference: empty, an inline node (under 32 bytes), or a node's hash."""
    if isinstance(ref, list) or ref == b"":
        return ref
    if len(ref) != _HASH_LENGTH:
        raise ChainError(f"{what} holds a malformed node reference")
    return rlp.decode(lookup(ref), what=f"{what} node")


def proof_lookup(proof: Iterable[bytes], *, what: str = "proof") -> NodeLookup:
    """A lookup over the nodes of an EIP-1186 proof, each indexed by its own keccak-256.

    Asking for a node the proof does not hold raises ChainError: the proof does not lead
    from the root to the key.
    """
    nodes = {keccak256(node): node for node in proof}

    def lookup(digest: bytes) -> bytes:
        node = nodes.get(digest)
        if node is None:
            raise ChainError(f"{what} has no node 0x{digest.hex()}: it does not lead from "
                             "the root to the key")
        return node

    return lookup


def verify_proof(root: bytes, key: bytes, proof: Sequence[bytes], *,
                 what: str = "proof") -> bytes | None:
    """Check an EIP-1186 proof of ``key`` under ``root``: the value's bytes (still RLP
    encoded, as stored in the trie), or None when the proof shows there is none.

    ``key`` is the trie key (keccak(address) for an account, keccak(pad32(slot)) for a
    storage slot). Raises ChainError when the proof does not lead anywhere consistent.
    """
    return get(root, key, proof_lookup(proof, what=what), what=what)


# -- building ----------------------------------------------------------------------------


def _common_prefix(keys: Sequence[str], depth: int) -> int:
    first = keys[0]
    length = len(first) - depth
    for other in keys[1:]:
        length = min(length, len(other) - depth)
        for i in range(length):
            if other[depth + i] != first[depth + i]:
                length = i
                break
    return max(length, 0)


def _build(pairs: Sequence[tuple[str, bytes]], depth: int, store: dict[bytes, bytes]
           ) -> RLPItem:
    """The node (as an RLP structure) holding ``pairs`` below nibble ``depth``."""
    if len(pairs) == 1:
        key, value = pairs[0]
        return [_hex_prefix_encode(key[depth:], True), value]
    shared = _common_prefix([k for k, _ in pairs], depth)
    if shared:
        path = pairs[0][0][depth : depth + shared]
        return [_hex_prefix_encode(path, False),
                _reference(_build(pairs, depth + shared, store), store)]
    branch: list[RLPItem] = [b""] * _BRANCH_WIDTH
    groups: dict[int, list[tuple[str, bytes]]] = {}
    for key, value in pairs:
        if len(key) == depth:
            branch[16] = value
        else:
            groups.setdefault(int(key[depth], 16), []).append((key, value))
    for nibble, group in groups.items():
        branch[nibble] = _reference(_build(group, depth + 1, store), store)
    return branch


def _reference(node: RLPItem, store: dict[bytes, bytes]) -> RLPItem:
    """How a parent refers to ``node``: inlined below 32 bytes of RLP, else by hash."""
    encoded = rlp.encode(node)
    if len(encoded) < _HASH_LENGTH:
        return node
    digest = keccak256(encoded)
    store[digest] = encoded
    return digest


def trie_nodes(items: Mapping[bytes, bytes]) -> tuple[bytes, dict[bytes, bytes]]:
    """The root of the trie holding ``items`` and its hashed nodes (hash -> RLP).

    An empty value means no entry (as a trie deletion does). The root node is always
    hashed, whatever its size.
    """
    pairs = sorted((key.hex(), value) for key, value in items.items() if value)
    if not pairs:
        return BLANK_ROOT, {}
    store: dict[bytes, bytes] = {}
    encoded = rlp.encode(_build(pairs, 0, store))
    root = keccak256(encoded)
    store[root] = encoded
    return root, store


def trie_root(items: Mapping[bytes, bytes]) -> bytes:
    """The root of the trie holding ``items`` (see :func:`trie_nodes`)."""
    return trie_nodes(items)[0]


# -- the state trie's values (Yellow Paper §4.1) -------------------------------------------

#: keccak-256 of the empty string: the code hash of an account without code.
EMPTY_CODE_HASH = bytes.fromhex("c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470")
#: An account is the RLP list [nonce, balance, storageRoot, codeHash].
_ACCOUNT_FIELDS = 4
#: A storage slot number and a storage value are 32-byte words.
_WORD = 32


@dataclass(frozen=True)
class AccountState:
    """An account of the state trie: ``[nonce, balance, storageRoot, codeHash]``."""

    nonce: int
    balance: int
    storage_root: bytes
    code_hash: bytes


#: What an address without an account reads as (EIP-1186 proves its absence).
EMPTY_ACCOUNT = AccountState(0, 0, BLANK_ROOT, EMPTY_CODE_HASH)


def decode_account(raw: bytes, *, what: str = "account") -> AccountState:
    """An account from its state-trie value (ChainError if malformed)."""
    fields = rlp.as_list(rlp.decode(raw, what=what), what)
    if len(fields) != _ACCOUNT_FIELDS:
        raise ChainError(f"{what} is malformed ({len(fields)} fields)")
    storage_root = rlp.as_bytes(fields[2], f"{what} storage root")
    code_hash = rlp.as_bytes(fields[3], f"{what} code hash")
    if len(storage_root) != _HASH_LENGTH or len(code_hash) != _HASH_LENGTH:
        raise ChainError(f"{what} holds a root or code hash that is not 32 bytes")
    return AccountState(rlp.as_int(fields[0], f"{what} nonce"),
                        rlp.as_int(fields[1], f"{what} balance"), storage_root, code_hash)


def account_key(address: bytes) -> bytes:
    """The state trie's key of a 20-byte address: keccak(address)."""
    return keccak256(address)


def storage_key(slot: int) -> bytes:
    """A storage trie's key of a slot: keccak(pad32(slot))."""
    return keccak256(slot.to_bytes(_WORD, "big"))


def decode_storage_value(raw: bytes | None, *, what: str = "storage value") -> int:
    """A storage word from its trie value (RLP of the integer; None reads as 0)."""
    if raw is None:
        return 0
    value = rlp.as_int(rlp.decode(raw, what=what), what)
    if value >= 1 << (8 * _WORD):
        raise ChainError(f"{what} is wider than a 32-byte word")
    return value
