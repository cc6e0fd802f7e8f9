"""Recursive Length Prefix, Ethereum's serialisation (Yellow Paper, Appendix B).

An item is a byte string or a list of items. :func:`encode` writes the canonical form;
:func:`decode` accepts only the canonical form (one encoding per item: no length prefix for
a single byte below 0x80, no long form for a short length, no leading zero in a length),
so that decoding and encoding again gives the very bytes that were hashed.

Nothing here knows of evidence; it is the encoding that headers, trie nodes, accounts,
receipts and transactions are hashed in. How it fails: malformed input raises
:class:`~evidence.errors.ChainError` naming ``what`` was being decoded.
"""

from __future__ import annotations

from typing import Union

from evidence.errors import ChainError

__all__ = [
    "MAX_RLP_DEPTH",
    "RLPItem",
    "as_bytes",
    "as_int",
    "as_list",
    "decode",
    "encode",
    "encode_uint",
    "uint_bytes",
]

RLPItem = Union[bytes, list["RLPItem"]]  # noqa: UP007 - a recursive alias needs Union

#: Deepest nesting accepted: trie nodes, headers, receipts, logs and BFT extra data nest
#: three or four levels; far more is damage or an attack on the decoder's stack, not data.
MAX_RLP_DEPTH = 16
#: Strings and lists shorter than this carry their length in the prefix byte (App. B).
_SHORT = 56


def uint_bytes(value: int) -> bytes:
    """A non-negative integer as RLP wants it inside an item: big-endian, no leading zero
    (0 is the empty string)."""
    if value < 0:
        raise ValueError("RLP integers are non-negative")
    return value.to_bytes((value.bit_length() + 7) // 8, "big")


def encode_uint(value: int) -> bytes:
    """RLP of a non-negative integer (e.g. a trie key ``rlp(index)``)."""
    return encode(uint_bytes(value))


def _length_prefix(length: int, offset: int) -> bytes:
    if length < _SHORT:
        return bytes([offset + length])
    raw = uint_bytes(length)
    return bytes([offset + _SHORT - 1 + len(raw)]) + raw


def encode(item: RLPItem) -> bytes:
    """The canonical RLP of ``item`` (bytes, or a list of items)."""
    if isinstance(item, bytes | bytearray):
        data = bytes(item)
        if len(data) == 1 and data[0] < 0x80:
            return data
        return _length_prefix(len(data), 0x80) + data
    payload = b"".join(encode(child) for child in item)
    return _length_prefix(len(payload), 0xC0) + payload


def decode(data: bytes, *, what: str = "data") -> RLPItem:
    """Decode one canonical RLP item filling all of ``data``; ChainError naming ``what``."""
    try:
        item, end = _item(data, 0, 0)
    except (IndexError, ValueError) as exc:
        raise ChainError(f"malformed RLP in {what}: {exc}") from exc
    if end != len(data):
        raise ChainError(f"malformed RLP in {what}: trailing bytes")
    return item


def _long_length(data: bytes, pos: int, size: int) -> int:
    raw = data[pos : pos + size]
    if len(raw) != size:
        raise ValueError("length runs past the end")
    if raw[0] == 0:
        raise ValueError("length with a leading zero")
    length = int.from_bytes(raw, "big")
    if length < _SHORT:
        raise ValueError("long form for a short length")
    return length


def _item(data: bytes, pos: int, depth: int) -> tuple[RLPItem, int]:
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
            start, length = pos + 1 + size, _long_length(data, pos + 1, size)
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
        start, length = pos + 1 + size, _long_length(data, pos + 1, size)
    end = start + length
    if end > len(data):
        raise ValueError("list runs past the end")
    items: list[RLPItem] = []
    cursor = start
    while cursor < end:
        child, cursor = _item(data, cursor, depth + 1)
        items.append(child)
    if cursor != end:
        raise ValueError("list items run past the list")
    return items, end


def as_bytes(item: RLPItem, what: str) -> bytes:
    """``item`` as a byte string; ChainError if it is a list."""
    if not isinstance(item, bytes):
        raise ChainError(f"{what} is a list where bytes were expected")
    return item


def as_list(item: RLPItem, what: str) -> list[RLPItem]:
    """``item`` as a list; ChainError if it is a byte string."""
    if not isinstance(item, list):
        raise ChainError(f"{what} is bytes where a list was expected")
    return item


def as_int(item: RLPItem, what: str) -> int:
    """``item`` as a big-endian unsigned integer."""
    return int.from_bytes(as_bytes(item, what), "big")
