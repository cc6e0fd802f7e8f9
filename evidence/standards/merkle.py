"""RFC 6962 Merkle trees: roots, inclusion and consistency proofs (RFC 6962 §2.1, RFC 9162 §2.1).

Hashing follows RFC 6962 §2.1 with SHA-256:

* the empty tree's root is ``SHA-256()`` (:data:`EMPTY_ROOT`);
* a leaf hash is ``SHA-256(0x00 || leaf input)`` (:func:`leaf_hash`);
* an interior node is ``SHA-256(0x01 || left || right)`` (:func:`node_hash`);
* a tree of ``n > 1`` leaves is split at ``k``, the largest power of two smaller than ``n``:
  ``MTH(D[n]) = node_hash(MTH(D[0:k]), MTH(D[k:n]))``.

The code here never recurses over leaves. It builds the tree bottom-up, level by level:
adjacent nodes are paired, and an odd last node is carried up to the next level unchanged.
This gives the same root as the RFC's recursive split (the tests check it against a
recursive reference for every size up to a few hundred): at every level the node at index
``i`` covers leaves ``[i * 2**level, min((i + 1) * 2**level, n))``, which is exactly the
RFC's decomposition, because the RFC's left subtrees are always complete (a power of two)
and only the right edge of the tree is ragged.

Proof verification follows the algorithms of RFC 9162 §2.1.3.2 (inclusion) and §2.1.4.2
(consistency) step by step, with the conventions of the transparency-dev/merkle test
vectors: a consistency proof from an empty tree fails, equal sizes need an empty proof and
equal roots, and every proof element is exactly 32 bytes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from evidence.errors import FormatError

__all__ = [
    "EMPTY_ROOT",
    "HASH_LEN",
    "MAX_CONSISTENCY_PROOF_LENGTH",
    "MAX_PROOF_LENGTH",
    "MAX_TREE_SIZE",
    "MerkleTree",
    "consistency_proof",
    "inclusion_proof",
    "leaf_hash",
    "next_level",
    "node_hash",
    "pack_leaf_hashes",
    "root_from_inclusion_proof",
    "root_from_leaf_hashes",
    "verify_consistency",
    "verify_inclusion",
]

#: Length in bytes of every hash in the tree (SHA-256).
HASH_LEN = 32

#: Longest inclusion proof accepted: one element per level, and a tree has at most 2**64
#: leaves (sizes are uint64 in RFC 9162 and in the contract), hence at most 64 levels.
MAX_PROOF_LENGTH = 64

#: Longest consistency proof accepted: the inclusion-style path of at most 64 elements plus
#: the one subtree hash that starts it when ``size1`` is not a power of two (RFC 9162 §2.1.4).
MAX_CONSISTENCY_PROOF_LENGTH = MAX_PROOF_LENGTH + 1

#: Largest tree size accepted: sizes are unsigned 64-bit integers (RFC 9162 §2.1, and
#: ``leafCount`` in the anchor contract).
MAX_TREE_SIZE = 2**64 - 1

_LEAF_PREFIX = b"\x00"
_NODE_PREFIX = b"\x01"

#: Root of the empty tree, MTH({}) = SHA-256() (RFC 6962 §2.1).
EMPTY_ROOT = hashlib.sha256(b"").digest()


def leaf_hash(data: bytes) -> bytes:
    """Return the RFC 6962 leaf hash ``SHA-256(0x00 || data)`` (RFC 6962 §2.1)."""
    return hashlib.sha256(_LEAF_PREFIX + bytes(data)).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """Return the RFC 6962 interior node hash ``SHA-256(0x01 || left || right)``.

    The children are hashed as given, whatever their length (the RFC 6962 hasher vectors
    use 4-byte children); tree code only ever passes 32-byte hashes.
    """
    return hashlib.sha256(_NODE_PREFIX + bytes(left) + bytes(right)).digest()


def _largest_power_of_two_below(n: int) -> int:
    """The split point ``k`` of RFC 6962 §2.1: the largest power of two ``< n`` (n >= 2)."""
    return 1 << ((n - 1).bit_length() - 1)


def _check_hash(value: bytes, what: str) -> bytes:
    if not isinstance(value, bytes | bytearray | memoryview):
        raise FormatError(f"{what} must be bytes, got {type(value).__name__}")
    value = bytes(value)
    if len(value) != HASH_LEN:
        raise FormatError(f"{what} must be {HASH_LEN} bytes, got {len(value)}")
    return value


def pack_leaf_hashes(hashes: Sequence[bytes]) -> bytes:
    """Concatenate leaf hashes into one flat byte string, checking each length.

    The length check and the join run in C (``map``, ``bytes.join``): a million leaves take
    a few tens of milliseconds.
    """
    if not all(map(HASH_LEN.__eq__, map(len, hashes))):
        for i, h in enumerate(hashes):
            if len(h) != HASH_LEN:
                raise FormatError(f"leaf hash {i} must be {HASH_LEN} bytes, got {len(h)}")
    return b"".join(hashes)


def next_level(level: bytes) -> bytes:
    """Hash adjacent pairs of a packed level; an odd last node is carried up unchanged."""
    count = len(level) // HASH_LEN
    pair_bytes = (count // 2) * 2 * HASH_LEN
    sha256 = hashlib.sha256
    parents = b"".join(
        [
            sha256(_NODE_PREFIX + level[i : i + 2 * HASH_LEN]).digest()
            for i in range(0, pair_bytes, 2 * HASH_LEN)
        ]
    )
    if count % 2:
        parents += level[pair_bytes:]
    return parents


def root_from_leaf_hashes(hashes: Sequence[bytes]) -> bytes:
    """Return MTH of the leaves whose leaf hashes are ``hashes`` (RFC 6962 §2.1).

    Iterative and linear: about ``n`` SHA-256 calls, with one packed byte string per level
    (a million leaves take about a second). The empty sequence gives :data:`EMPTY_ROOT`.

    Raises :class:`FormatError` if a hash is not 32 bytes.
    """
    level = pack_leaf_hashes(hashes)
    if not level:
        return EMPTY_ROOT
    while len(level) > HASH_LEN:
        level = next_level(level)
    return level


class MerkleTree:
    """An RFC 6962 tree that keeps every level, so proofs cost O(log n) hash look-ups.

    Built from leaf hashes (already ``SHA-256(0x00 || data)``). Level 0 is the leaves,
    the last level is the root; each level is one packed ``bytes`` of 32-byte nodes, so
    the whole tree takes about ``2 * n * 32`` bytes. Node ``i`` of level ``j`` covers
    leaves ``[i * 2**j, min((i + 1) * 2**j, n))``.

    Persisting: store :meth:`leaf_bytes` (``n * 32`` bytes) and rebuild with
    :meth:`from_leaf_bytes`; rebuilding costs one root computation (about a second for a
    million leaves), after which each proof is a few microseconds of slicing.
    """

    __slots__ = ("_levels", "_size")

    def __init__(self, leaf_hashes: Sequence[bytes]) -> None:
        self._init_from_packed(pack_leaf_hashes(leaf_hashes))

    def _init_from_packed(self, packed: bytes) -> None:
        if len(packed) // HASH_LEN > MAX_TREE_SIZE:  # pragma: no cover - not reachable in RAM
            raise FormatError("tree has more than 2**64 - 1 leaves")
        self._size = len(packed) // HASH_LEN
        levels = [packed]
        while len(levels[-1]) > HASH_LEN:
            levels.append(next_level(levels[-1]))
        self._levels = levels

    @classmethod
    def from_leaf_bytes(cls, data: bytes) -> MerkleTree:
        """Build a tree from concatenated 32-byte leaf hashes (see :meth:`leaf_bytes`).

        Raises :class:`FormatError` if the length is not a multiple of 32.
        """
        data = bytes(data)
        if len(data) % HASH_LEN:
            raise FormatError(
                f"packed leaf hashes must be a multiple of {HASH_LEN} bytes, got {len(data)}"
            )
        tree = cls.__new__(cls)
        tree._init_from_packed(data)
        return tree

    def leaf_bytes(self) -> bytes:
        """All leaf hashes concatenated in order (``size * 32`` bytes)."""
        return self._levels[0]

    @property
    def size(self) -> int:
        """Number of leaves."""
        return self._size

    @property
    def root(self) -> bytes:
        """The tree head MTH(D[n]); :data:`EMPTY_ROOT` for an empty tree."""
        if self._size == 0:
            return EMPTY_ROOT
        return self._levels[-1]

    def leaf(self, index: int) -> bytes:
        """The leaf hash at ``index`` (0-based)."""
        self._check_index(index)
        return self._node(0, index)

    def _check_index(self, index: int) -> None:
        if not isinstance(index, int) or isinstance(index, bool):
            raise FormatError(f"leaf index must be an integer, got {type(index).__name__}")
        if not 0 <= index < self._size:
            raise FormatError(f"leaf index {index} is outside a tree of {self._size} leaves")

    def _node(self, level: int, index: int) -> bytes:
        start = index * HASH_LEN
        return self._levels[level][start : start + HASH_LEN]

    def _subtree(self, start: int, end: int) -> bytes:
        """MTH(D[start:end]) for a subtree of the RFC decomposition (aligned, see class doc)."""
        level = (end - start - 1).bit_length()
        index = start >> level
        if index << level != start or min(start + (1 << level), self._size) != end:
            raise AssertionError(f"[{start}, {end}) is not a node of the tree")  # a bug
        return self._node(level, index)

    def inclusion_proof(self, index: int) -> list[bytes]:
        """The audit path PATH(index, D[n]) of RFC 9162 §2.1.3.1, ordered leaf to root.

        At each level the sibling of the current node is added, unless the node is the odd
        last one, which is carried up and has no sibling at that level.

        Raises :class:`FormatError` if ``index`` is not a leaf of this tree.
        """
        self._check_index(index)
        proof: list[bytes] = []
        for level in range(len(self._levels) - 1):
            sibling = index ^ 1
            if sibling * HASH_LEN < len(self._levels[level]):
                proof.append(self._node(level, sibling))
            index >>= 1
        return proof

    def consistency_proof(self, size1: int) -> list[bytes]:
        """The proof PROOF(size1, D[n]) of RFC 9162 §2.1.4.1 that the first ``size1``
        leaves form a prefix of this tree.

        Empty for ``size1 == size``. Raises :class:`FormatError` unless
        ``0 < size1 <= size`` (a proof from the empty tree is meaningless).
        """
        if not isinstance(size1, int) or isinstance(size1, bool):
            raise FormatError(f"size1 must be an integer, got {type(size1).__name__}")
        if not 0 < size1 <= self._size:
            raise FormatError(
                f"consistency proof needs 0 < size1 <= {self._size}, got size1={size1}"
            )
        proof: list[bytes] = []
        self._subproof(size1, 0, self._size, True, proof)
        return proof

    def _subproof(self, m: int, start: int, end: int, complete: bool, out: list[bytes]) -> None:
        """SUBPROOF(m, D[start:end], b) of RFC 9162 §2.1.4.1; depth at most 64."""
        n = end - start
        if m == n:
            if not complete:
                out.append(self._subtree(start, end))
            return
        k = _largest_power_of_two_below(n)
        if m <= k:
            self._subproof(m, start, start + k, complete, out)
            out.append(self._subtree(start + k, end))
        else:
            self._subproof(m - k, start + k, end, False, out)
            out.append(self._subtree(start, start + k))


def inclusion_proof(leaf_hashes: Sequence[bytes], index: int) -> list[bytes]:
    """Convenience: the audit path of leaf ``index`` in the tree of ``leaf_hashes``."""
    return MerkleTree(leaf_hashes).inclusion_proof(index)


def consistency_proof(leaf_hashes: Sequence[bytes], size1: int) -> list[bytes]:
    """Convenience: the consistency proof from the first ``size1`` leaves to all of them."""
    return MerkleTree(leaf_hashes).consistency_proof(size1)


def _check_size(value: int, what: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise FormatError(f"{what} must be an integer, got {type(value).__name__}")
    if not 0 <= value <= MAX_TREE_SIZE:
        raise FormatError(f"{what} {value} is outside 0..2**64-1")
    return value


def _check_proof(proof: Sequence[bytes], limit: int) -> list[bytes]:
    if isinstance(proof, bytes | bytearray | str):
        raise FormatError("proof must be a sequence of hashes, not one byte string")
    if len(proof) > limit:
        raise FormatError(f"proof has {len(proof)} elements, more than the limit of {limit}")
    return [_check_hash(p, f"proof element {i}") for i, p in enumerate(proof)]


def root_from_inclusion_proof(
    leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes]
) -> bytes:
    """Recompute the root from a leaf hash and its audit path (RFC 9162 §2.1.3.2).

    Raises :class:`FormatError` if ``index >= size``, a hash is not 32 bytes, or the proof
    has the wrong number of elements for ``(index, size)``.
    """
    r = _check_hash(leaf_hash, "leaf hash")
    _check_size(index, "leaf index")
    _check_size(size, "tree size")
    path = _check_proof(proof, MAX_PROOF_LENGTH)
    if index >= size:
        raise FormatError(f"leaf index {index} is outside a tree of {size} leaves")
    fn, sn = index, size - 1
    for p in path:
        if sn == 0:
            raise FormatError(f"proof is too long for leaf {index} of {size}")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise FormatError(f"proof is too short for leaf {index} of {size}")
    return r


def verify_inclusion(
    leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes
) -> bool:
    """True iff ``proof`` shows leaf ``index`` with ``leaf_hash`` is in the tree ``root``
    of ``size`` leaves (RFC 9162 §2.1.3.2). Malformed input gives False, never an error.
    """
    try:
        computed = root_from_inclusion_proof(leaf_hash, index, size, proof)
    except FormatError:
        return False
    return computed == root


def verify_consistency(
    size1: int, size2: int, root1: bytes, root2: bytes, proof: Sequence[bytes]
) -> bool:
    """True iff ``proof`` shows the tree (size1, root1) is a prefix of (size2, root2).

    RFC 9162 §2.1.4.2, with the conventions of the vectors' SOURCE.md: ``size1 > size2``
    fails; ``size1 == 0`` fails (a proof from the empty tree is meaningless); equal sizes
    hold only with an empty proof and equal roots; otherwise an empty proof fails; every
    proof element must be 32 bytes. Malformed input gives False, never an error.
    """
    try:
        _check_size(size1, "size1")
        _check_size(size2, "size2")
        path = _check_proof(proof, MAX_CONSISTENCY_PROOF_LENGTH)
    except FormatError:
        return False
    root1, root2 = bytes(root1), bytes(root2)
    if size1 > size2 or size1 == 0:
        return False
    if size1 == size2:
        return not path and root1 == root2
    if not path:
        return False
    # Step 1: when size1 is a power of two, the proof omits the first root; put it back.
    if size1 & (size1 - 1) == 0:
        path = [root1, *path]
    # Steps 2-3.
    fn, sn = size1 - 1, size2 - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    # Step 4.
    fr = sr = path[0]
    # Step 5.
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    # Step 6.
    return fr == root1 and sr == root2 and sn == 0
