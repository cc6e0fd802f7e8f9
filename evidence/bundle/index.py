"""The bundle index ``evidence/index.bin``: any item and its inclusion proof in O(log n) reads.

A derived, optional tag file (docs/formats.md "Index"). It lets a tool find an item's line in
``items.jsonl``, its record line in ``data/records/NAME.jsonl`` and its RFC 6962 §2.1.1
inclusion proof without reading ``items.jsonl`` or rebuilding the tree. It is NOT trusted:
every proof read from it is checked against the signed root, and ``evidence verify``
rebuilds it from the checked items and reports any difference.

Layout (all integers unsigned 64-bit big-endian; nothing else in the file)::

    magic        16 bytes   b"evidence-index1\\n"
    leaf_count   u64        number of items (leaves), >= 1
    file_count   u64        number of items of kind "file"
    file_leaves  file_count x u64     leaf index of F-1, F-2, ... (strictly ascending)
    entries      leaf_count x (u64, u64)
                 (offset of the item's line in items.jsonl,
                  offset of the record's line in its records file; 0 for a file item)
    levels       level 0 = the leaf hashes SHA-256(0x00 || item line), level k+1 = the
                 node hashes of level k paired left to right, SHA-256(0x01 || l || r), an
                 unpaired last node promoted unchanged, up to the level of one node (the root)

The bottom-up levels are the RFC 6962 §2.1 tree (see :mod:`evidence.standards.merkle`).
"""

from __future__ import annotations

import errno
import hashlib
import operator
import os
import re
import struct
import sys
from array import array
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import BinaryIO

from ..errors import (
    BundleExistsError,
    FormatError,
    InputError,
    NotABundleError,
    VerificationError,
)
from ..standards.ijson import loads_strict
from ..standards.merkle import (
    HASH_LEN,
    MAX_PROOF_LENGTH,
    MerkleTree,
    leaf_hash,
    next_level,
    pack_leaf_hashes,
    verify_inclusion,
)
from .layout import (
    ITEMS_FILE,
    MAX_ITEM_LINE_BYTES,
    ROOT_FILE,
    Item,
    SignedRoot,
    iter_items,
    open_regular,
    read_signed_root,
)

__all__ = [
    "INDEX_FILE",
    "INDEX_MAGIC",
    "BundleIndex",
    "ItemProof",
    "index_parts",
    "prove",
    "write_index",
]

#: Where a bundle keeps its index (a tag file: listed in both tag manifests).
INDEX_FILE = "evidence/index.bin"
#: First bytes of every index; the trailing digit is the format version.
INDEX_MAGIC = b"evidence-index1\n"
_U64 = struct.Struct(">Q")
_PAIR = struct.Struct(">QQ")
_HEADER = struct.Struct(">16sQQ")
#: Most leaves an index may declare: one more level than the deepest proof accepted
#: (RFC 9162 sizes are uint64; a tree of 2**64 - 1 leaves has 64 levels above the leaves).
MAX_LEAVES = 2**64 - 1
#: Bytes written per ``write`` call while streaming entries: bounds the temporary arrays.
_ENTRY_CHUNK = 1 << 16
#: Read size when hashing a file item (streamed, never whole).
_FILE_CHUNK = 1 << 20
#: Longest record line read when walking a records file without an index (the capture's
#: record limit with room for escaping, as in evidence.bundle.integrity).
MAX_RECORD_LINE_BYTES = 1 << 24
_ITEM_ID = re.compile(r"([FR])-([1-9][0-9]{0,18})\Z")


def _level_sizes(leaf_count: int) -> list[int]:
    """Node counts of the levels, leaves first, root (1) last."""
    sizes = [leaf_count]
    while sizes[-1] > 1:
        sizes.append((sizes[-1] + 1) // 2)
    return sizes


def _u64_array(values: Sequence[int], what: str) -> array[int]:
    """Pack integers as big-endian u64 in an array (raises InputError outside 0..2**64-1)."""
    try:
        arr = array("Q", values)
    except (OverflowError, TypeError) as exc:
        raise InputError(f"index {what} must be integers in 0..2**64-1") from exc
    if sys.byteorder == "little":
        arr.byteswap()
    return arr


def _check_inputs(n: int, file_leaves: Sequence[int], item_offsets: Sequence[int],
                  data_offsets: Sequence[int]) -> None:
    if n < 1:
        raise InputError("an index needs at least one leaf")
    if len(item_offsets) != n or len(data_offsets) != n:
        raise InputError(f"index needs one item offset and one data offset per leaf ({n}), "
                         f"got {len(item_offsets)} and {len(data_offsets)}")
    if len(file_leaves) > n:
        raise InputError("more file leaves than leaves")
    if not all(map(operator.lt, file_leaves, file_leaves[1:])):
        raise InputError("file leaves must be strictly ascending")
    if file_leaves and not (file_leaves[0] >= 0 and file_leaves[-1] < n):
        raise InputError(f"file leaf outside 0..{n - 1}")
    if item_offsets[0] != 0 or not all(map(operator.lt, item_offsets, item_offsets[1:])):
        raise InputError("item offsets must start at 0 and be strictly ascending")
    if any(map(data_offsets.__getitem__, file_leaves)):
        raise InputError("a file item's data offset must be 0")


def index_parts(*, leaves: Sequence[bytes], file_leaves: Sequence[int],
                item_offsets: Sequence[int], data_offsets: Sequence[int]
                ) -> Iterator[tuple[str, bytes]]:
    """The bytes of an index, part by part: ``(name, bytes)`` in file order.

    Names are ``"header"``, ``"file leaves"``, ``"entries"`` (possibly several chunks) and
    ``"level K"`` (level 0 = the leaves, the last level = the root). Concatenated they are
    the file :func:`write_index` writes; :class:`BundleIndex` users compare them with an
    existing file to name the part that differs. Memory: two levels at a time (about
    ``n * 48`` bytes) plus one chunk of entries.

    Raises InputError for inconsistent inputs (see :func:`write_index`), FormatError for
    a leaf hash that is not 32 bytes.
    """
    n = len(leaves)
    _check_inputs(n, file_leaves, item_offsets, data_offsets)
    level = pack_leaf_hashes(leaves)
    yield "header", _HEADER.pack(INDEX_MAGIC, n, len(file_leaves))
    yield "file leaves", _u64_array(file_leaves, "file leaves").tobytes()
    for start in range(0, n, _ENTRY_CHUNK):
        end = min(start + _ENTRY_CHUNK, n)
        pairs = array("Q", bytes(16 * (end - start)))
        pairs[0::2] = array("Q", item_offsets[start:end])
        pairs[1::2] = array("Q", data_offsets[start:end])
        if sys.byteorder == "little":
            pairs.byteswap()
        yield "entries", pairs.tobytes()
    k = 0
    yield f"level {k}", level
    while len(level) > HASH_LEN:
        level = next_level(level)
        k += 1
        yield f"level {k}", level


def write_index(path: Path, *, leaves: Sequence[bytes], file_leaves: Sequence[int],
                item_offsets: Sequence[int], data_offsets: Sequence[int]) -> None:
    """Write ``evidence/index.bin`` (module docstring) for a bundle being built.

    ``leaves`` are the leaf hashes ``SHA-256(0x00 || item line)`` in items.jsonl order,
    ``file_leaves`` the leaf indexes of the file items (ascending), ``item_offsets`` the
    byte offset of each item's line in items.jsonl (starting at 0, ascending) and
    ``data_offsets`` the byte offset of each record's line in its records file (0 for file
    items). The file is created (never overwritten) and not synced: the capture syncs the
    whole bundle before it renames it into place. About one SHA-256 per leaf.

    Raises InputError for inconsistent inputs, FormatError for a leaf hash that is not
    32 bytes, BundleExistsError when ``path`` exists, OSError otherwise.
    """
    parts = index_parts(leaves=leaves, file_leaves=file_leaves, item_offsets=item_offsets,
                        data_offsets=data_offsets)
    first = next(parts)  # checks the inputs before anything is created
    try:
        with open(path, "xb") as fh:
            fh.write(first[1])
            for _, data in parts:
                fh.write(data)
    except FileExistsError as exc:  # only open() raises it: the existing file is kept
        raise BundleExistsError(f"{path}: exists already; never overwritten") from exc
    except BaseException:
        path.unlink(missing_ok=True)
        raise


class BundleIndex:
    """Reads an ``index.bin`` by seek and read: only the header and what each call needs.

    Opening reads the 32-byte header and checks it against the file's length; each look-up
    then reads a few bytes (an entry, one u64 per step of a binary search, one hash per
    proof level). Local consistency is checked on every read (offsets ascending, file
    leaves in range), but the index is untrusted: callers check what it leads to (the item
    line's id, the proof against the signed root). Use as a context manager or call
    :meth:`close`.

    Raises FormatError for a file that is not an index or whose sizes disagree with its
    length (truncated, extended), and for out-of-order data met during a look-up.
    """

    def __init__(self, path: Path, *, within: Path | None = None) -> None:
        self.path = Path(path)
        try:
            self._fh: BinaryIO = open_regular(self.path, within=within)
        except FileNotFoundError:
            raise
        except OSError as exc:
            raise FormatError(f"cannot read ({os.strerror(exc.errno or errno.EIO)})",
                              path=str(self.path)) from exc
        try:
            self._read_header()
        except BaseException:
            self._fh.close()
            raise

    def _fail(self, message: str) -> FormatError:
        return FormatError(f"{message}; the index is damaged (remove it, or re-capture)",
                           path=str(self.path))

    def _read_header(self) -> None:
        size = os.fstat(self._fh.fileno()).st_size
        head = self._fh.read(_HEADER.size)
        if len(head) < _HEADER.size or head[:16] != INDEX_MAGIC:
            raise self._fail("not an evidence index (bad magic or shorter than its header)")
        _, n, m = _HEADER.unpack(head)
        if n < 1:
            raise self._fail("leaf_count is 0")
        if m > n:
            raise self._fail(f"file_count {m} exceeds leaf_count {n}")
        self.leaf_count: int = n
        self.file_count: int = m
        self._file_leaves_at = _HEADER.size
        self._entries_at = self._file_leaves_at + 8 * m
        self._level_sizes = _level_sizes(n)
        if len(self._level_sizes) - 1 > MAX_PROOF_LENGTH:
            raise self._fail(f"leaf_count {n} is beyond a 64-level tree")
        self._level_at: list[int] = []
        at = self._entries_at + 16 * n
        for count in self._level_sizes:
            self._level_at.append(at)
            at += HASH_LEN * count
        if at != size:
            raise self._fail(f"{size} bytes, but its header (leaf_count {n}, file_count {m}) "
                             f"means {at}")
        self._size = size

    # -- low-level reads ------------------------------------------------------------------

    def _read(self, offset: int, length: int) -> bytes:
        self._fh.seek(offset)
        data = self._fh.read(length)
        if len(data) != length:
            raise self._fail(f"short read at byte {offset} (file changed while read?)")
        return data

    def _file_leaf(self, j: int) -> int:
        leaf: int = _U64.unpack(self._read(self._file_leaves_at + 8 * j, 8))[0]
        # Strictly ascending leaves put F-(j+1) at or after leaf j, leaving room for the rest.
        if not j <= leaf <= self.leaf_count - self.file_count + j:
            raise self._fail(f"file leaf {j + 1} is {leaf}, out of order")
        return leaf

    # -- look-ups --------------------------------------------------------------------------

    def leaf_of(self, item_id: str) -> int:
        """The leaf index of ``F-k`` or ``R-k`` (docs/formats.md "Index": item ids).

        ``F-k`` is at ``file_leaves[k-1]``; ``R-k`` at ``(k-1) + c`` where ``c`` counts the
        file leaves ``j`` with ``file_leaves[j] - j <= k-1`` (the records before file ``j``):
        a binary search, O(log m) reads. Raises InputError for an id that names no item.
        """
        m = _ITEM_ID.match(item_id) if isinstance(item_id, str) else None
        if m is None:
            raise InputError(f"{item_id!r} is not an item id (F-1, R-17, ...)")
        k = int(m.group(2))
        if m.group(1) == "F":
            if k > self.file_count:
                raise InputError(f"no item {item_id} (the bundle has {self.file_count} files)")
            return self._file_leaf(k - 1)
        records = self.leaf_count - self.file_count
        if k > records:
            raise InputError(f"no item {item_id} (the bundle has {records} records)")
        r = k - 1
        lo, hi = 0, self.file_count
        while lo < hi:
            mid = (lo + hi) // 2
            if self._file_leaf(mid) - mid <= r:
                lo = mid + 1
            else:
                hi = mid
        return r + lo

    def _check_leaf(self, leaf: int) -> None:
        if not isinstance(leaf, int) or isinstance(leaf, bool) or not 0 <= leaf < self.leaf_count:
            raise InputError(f"leaf {leaf!r} is outside 0..{self.leaf_count - 1}")

    def entry(self, leaf: int) -> tuple[int, int]:
        """``(item line offset, record line offset)`` of ``leaf``; one read."""
        self._check_leaf(leaf)
        item_offset, data_offset = _PAIR.unpack(self._read(self._entries_at + 16 * leaf, 16))
        if leaf == 0 and item_offset != 0:
            raise self._fail("the first item does not start at offset 0")
        return item_offset, data_offset

    def item_span(self, leaf: int) -> tuple[int, int | None]:
        """``(start, end)`` of the item's line in items.jsonl, its line end excluded; ``end``
        is None for the last leaf (the line runs to the end of the file). One read."""
        self._check_leaf(leaf)
        if leaf + 1 == self.leaf_count:
            return self.entry(leaf)[0], None
        a, _, b, _ = struct.unpack(">QQQQ", self._read(self._entries_at + 16 * leaf, 32))
        if (leaf == 0 and a != 0) or b <= a:
            raise self._fail(f"item offsets of leaves {leaf} and {leaf + 1} are out of order")
        return a, b - 1

    def leaf_hash(self, leaf: int) -> bytes:
        """The leaf hash stored for ``leaf`` (level 0)."""
        self._check_leaf(leaf)
        return self._read(self._level_at[0] + HASH_LEN * leaf, HASH_LEN)

    def inclusion_proof(self, leaf: int) -> list[bytes]:
        """The audit path of ``leaf`` (RFC 6962 §2.1.1 PATH order, leaf to root), read from
        the levels: at level j with index i the sibling i^1, when it exists. One read per
        level; untrusted until checked against the signed root."""
        self._check_leaf(leaf)
        proof: list[bytes] = []
        i = leaf
        for j, count in enumerate(self._level_sizes[:-1]):
            sibling = i ^ 1
            if sibling < count:
                proof.append(self._read(self._level_at[j] + HASH_LEN * sibling, HASH_LEN))
            i //= 2
        return proof

    def root(self) -> bytes:
        """The root stored in the last level (untrusted: compare with the signed root)."""
        return self._read(self._level_at[-1], HASH_LEN)

    def close(self) -> None:
        self._fh.close()

    def __enter__(self) -> BundleIndex:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()


# --- proofs -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ItemProof:
    """One item of a bundle with its RFC 6962 inclusion proof, checked against the signed root.

    ``index`` is the item's leaf (0-based), ``path`` the audit path (RFC 6962 §2.1.1, leaf
    to root) that leads from ``SHA-256(0x00 || item.line)`` to ``root`` in a tree of
    ``leaf_count`` leaves; ``root`` is the signed root of ``signed``. ``record`` is the
    record's canonical line (without its line end) for a record item, None for a file.
    ``indexed`` says whether ``evidence/index.bin`` was used (else the tree was rebuilt).
    """

    item: Item
    index: int
    leaf_count: int
    root: bytes
    path: tuple[bytes, ...]
    signed: SignedRoot
    record: bytes | None
    indexed: bool


def prove(bundle: Path, item_id: str, *, check_data: bool = True) -> ItemProof:
    """Find item ``item_id`` (``F-2``, ``R-17``, or a file's ``data/...`` path) and prove it.

    With ``evidence/index.bin`` the cost is O(log n) small reads: ``root.json`` (parsed,
    canonical form and signature checked), the item's line at its offset in ``items.jsonl``,
    its proof from the index's levels and, for a record, its line at its offset in the
    records file. Without an index (older bundles) the items are read and the tree rebuilt,
    O(n). Either way nothing taken from the index is trusted: the item line must lead to
    the signed root through the proof (RFC 6962 §2.1.1, RFC 9162 §2.1.3.2), must be the item
    asked for and carry the bundle's provenance digest, and with ``check_data`` (default)
    the item's data must match it (a file's size, SHA-256 and SHA-512, read once; a
    record line's size, SHA-256, SHA-512 and JSON form). A file given by path is found by
    reading the file items only (O(files)).

    Raises InputError for an id that names no item, NotABundleError/FormatError for a
    bundle or index that cannot be read, VerificationError when anything differs from the
    signed data (the message names what: root signature, index root, item line, data).
    """
    from ..keys import verify_signature

    bundle = Path(bundle)
    signed = read_signed_root(bundle)
    if not verify_signature(signed.public_key, signed.signature, signed.signed_message):
        raise VerificationError(f"{bundle / ROOT_FILE}: the capturer's signature over the "
                                "bundle root does not verify; nothing proved")
    try:
        ix = BundleIndex(bundle / INDEX_FILE, within=bundle)
    except FileNotFoundError:
        return _prove_by_rebuilding(bundle, item_id, signed, check_data=check_data)
    with ix:
        if ix.leaf_count != signed.leaf_count:
            raise VerificationError(f"{ix.path}: {ix.leaf_count} leaves, the signed root covers "
                                    f"{signed.leaf_count} (stale or damaged index)")
        if ix.root() != signed.root:
            raise VerificationError(f"{ix.path}: its root differs from the signed root (stale "
                                    "or damaged index)")
        leaf = _leaf_for(bundle, ix, item_id)
        line = _read_item_line(bundle, ix, leaf)
        path = tuple(ix.inclusion_proof(leaf))
        if not verify_inclusion(leaf_hash(line), leaf, signed.leaf_count, path, signed.root):
            if ix.leaf_hash(leaf) != leaf_hash(line):
                why = (f"{bundle / ITEMS_FILE}: the line of leaf {leaf} differs from the "
                       "index's leaf hash (items.jsonl changed after capture?)")
            else:
                why = f"{ix.path}: the proof of leaf {leaf} does not lead to the signed root"
            raise VerificationError(f"{why}; nothing proved")
        item = Item.parse(line, index=leaf, where=f"{bundle / ITEMS_FILE}: leaf {leaf}")
        if not _names(item, item_id):
            raise VerificationError(f"{ix.path}: maps {item_id} to leaf {leaf}, which holds "
                                    f"{item.id} (damaged index)")
        data_offset = ix.entry(leaf)[1]
    _check_item(bundle, item, signed)
    record = None
    if item.kind == "record":
        record = _read_record(bundle, item, data_offset)
    if check_data:
        _check_data(bundle, item, record)
    return ItemProof(item, leaf, signed.leaf_count, signed.root, path, signed, record, True)


def _names(item: Item, item_id: str) -> bool:
    return item.id == item_id or (item.kind == "file" and item.path == item_id)


def _no_item(bundle: Path, item_id: str) -> InputError:
    return InputError(f"{bundle}: no item {item_id!r}; `evidence inspect {bundle}` lists them")


def _leaf_for(bundle: Path, ix: BundleIndex, item_id: str) -> int:
    """The leaf of an id, or of a file item given by its ``data/...`` path (O(files))."""
    if _ITEM_ID.match(item_id):
        try:
            return ix.leaf_of(item_id)
        except InputError:
            raise _no_item(bundle, item_id) from None
    for k in range(ix.file_count):
        leaf = ix.leaf_of(f"F-{k + 1}")
        line = _read_item_line(bundle, ix, leaf)
        try:
            value = loads_strict(line)
        except FormatError:
            return leaf  # let the proof check name the damage
        if isinstance(value, dict) and value.get("path") == item_id:
            return leaf
    raise _no_item(bundle, item_id)


def _read_item_line(bundle: Path, ix: BundleIndex, leaf: int) -> bytes:
    """The bytes of leaf ``leaf``'s line in items.jsonl (line end removed), by offset."""
    start, end = ix.item_span(leaf)
    where = str(bundle / ITEMS_FILE)
    if end is not None and end - start > MAX_ITEM_LINE_BYTES:
        raise FormatError(f"the index gives leaf {leaf} a line of {end - start} bytes, more "
                          f"than {MAX_ITEM_LINE_BYTES}", path=str(ix.path))
    try:
        with open_regular(bundle / ITEMS_FILE, within=bundle) as fh:
            fh.seek(start)
            raw = fh.read(MAX_ITEM_LINE_BYTES + 2 if end is None else end - start + 1)
            at_end = end is not None or not fh.read(1)
    except FileNotFoundError as exc:
        raise NotABundleError(f"not an evidence bundle (no {ITEMS_FILE})",
                              path=str(bundle)) from exc
    except OSError as exc:
        raise FormatError(f"cannot read ({exc.strerror})", path=where) from exc
    if not raw.endswith(b"\n") or b"\n" in raw[:-1] or not at_end:
        raise VerificationError(f"{where}: no item line of leaf {leaf} at byte {start}, where "
                                f"{ix.path} points (items.jsonl changed, or a stale index)")
    return raw[:-1]


def _check_item(bundle: Path, item: Item, signed: SignedRoot) -> None:
    if item.provenance != signed.statement.get("provenance"):
        raise VerificationError(f"{bundle / ITEMS_FILE}: {item.id} does not carry the bundle's "
                                "provenance digest")


def _read_record(bundle: Path, item: Item, offset: int | None) -> bytes:
    """The record line of ``item`` (without its line end): at ``offset`` when known (from
    the index), else by reading the records file up to its line number."""
    where = str(bundle / item.path)
    try:
        with open_regular(bundle / item.path, within=bundle) as fh:
            if offset is not None:
                fh.seek(offset)
                raw = fh.readline(item.size + 1)
            else:
                for _ in range((item.record_line or 1) - 1):
                    if not fh.readline(MAX_RECORD_LINE_BYTES):
                        break
                raw = fh.readline(item.size + 1)
    except FileNotFoundError as exc:
        raise VerificationError(f"{where}: missing; {item.id} cannot be shown") from exc
    except (OSError, FormatError) as exc:
        raise VerificationError(f"{where}: cannot read {item.id}'s record ({exc})") from exc
    if len(raw) != item.size + 1 or not raw.endswith(b"\n"):
        raise VerificationError(f"{where}: the record of {item.id} ({item.name}) is not the "
                                f"{item.size}-byte line the signed item list gives "
                                "(records file changed after capture?)")
    return raw[:-1]


def _check_data(bundle: Path, item: Item, record: bytes | None) -> None:
    """The item's bytes must have the signed size and both digests (one read)."""
    if record is not None:
        d256, d512 = hashlib.sha256(record), hashlib.sha512(record)
        size = len(record)
    else:
        d256, d512, size = hashlib.sha256(), hashlib.sha512(), 0
        try:
            with open_regular(bundle / item.path, within=bundle) as fh:
                while chunk := fh.read(_FILE_CHUNK):
                    d256.update(chunk)
                    d512.update(chunk)
                    size += len(chunk)
        except FileNotFoundError as exc:
            raise VerificationError(f"{bundle / item.path}: missing; {item.id} cannot be "
                                    "shown") from exc
        except (OSError, FormatError) as exc:
            raise VerificationError(f"{bundle / item.path}: cannot read ({exc})") from exc
    for what, ok in (("size", size == item.size),
                     ("SHA-256", d256.hexdigest() == item.sha256),
                     ("SHA-512", d512.hexdigest() == item.sha512)):
        if not ok:
            raise VerificationError(f"{bundle / item.path}: {item.id} ({item.name}): {what} "
                                    "differs from the signed item list (changed after "
                                    "capture?)")
    if record is not None:
        try:
            loads_strict(record)
        except FormatError as exc:
            raise VerificationError(f"{bundle / item.path}: the record of {item.id} is not "
                                    "valid JSON") from exc


def _prove_by_rebuilding(bundle: Path, item_id: str, signed: SignedRoot, *,
                         check_data: bool) -> ItemProof:
    """:func:`prove` for a bundle without an index: read every item, rebuild the tree."""
    leaves: list[bytes] = []
    found: Item | None = None
    for item in iter_items(bundle):
        leaves.append(leaf_hash(item.line))
        if found is None and _names(item, item_id):
            found = item
    if found is None:
        raise _no_item(bundle, item_id)
    if len(leaves) != signed.leaf_count:
        raise VerificationError(f"{bundle / ITEMS_FILE}: {len(leaves)} items, the signed root "
                                f"covers {signed.leaf_count}; nothing proved")
    path = tuple(MerkleTree(leaves).inclusion_proof(found.index))
    if not verify_inclusion(leaves[found.index], found.index, len(leaves), path, signed.root):
        raise VerificationError(f"{bundle / ITEMS_FILE}: the items do not hash to the signed "
                                "root (item list changed); nothing proved")
    _check_item(bundle, found, signed)
    record = _read_record(bundle, found, None) if found.kind == "record" else None
    if check_data:
        _check_data(bundle, found, record)
    return ItemProof(found, found.index, len(leaves), signed.root, path, signed, record, False)
