"""Ethereum's primitives without web3: keccak-256 and addresses (EIP-55).

keccak-256 comes from pycryptodome (already installed with eth-hash), so the readers that
check proofs and headers import neither web3 nor eth_utils, whose imports take seconds.
"""

from __future__ import annotations

import re

from Crypto.Hash import keccak as _keccak

from evidence.errors import ChainError

__all__ = ["address_bytes", "keccak256", "to_checksum_address"]

_ADDRESS_RE = re.compile(r"(0[xX])?[0-9a-fA-F]{40}")


def keccak256(data: bytes) -> bytes:
    """Keccak-256 (the pre-standard SHA-3 Ethereum uses, not FIPS 202 SHA3-256)."""
    return bytes(_keccak.new(digest_bits=256, data=data).digest())


def to_checksum_address(address: bytes) -> str:
    """The EIP-55 mixed-case form of a 20-byte address."""
    hexed = address.hex()
    digest = keccak256(hexed.encode("ascii")).hex()
    return "0x" + "".join(c.upper() if int(d, 16) >= 8 else c
                          for c, d in zip(hexed, digest[: len(hexed)], strict=True))


def address_bytes(address: str) -> bytes:
    """Parse an address as eth_utils 5's ``is_address`` accepts it: 40 hex digits, with or
    without 0x, in any case (the checksum is not enforced, as on the web3 path).
    ChainError for anything else."""
    if not isinstance(address, str) or not _ADDRESS_RE.fullmatch(address):
        raise ChainError(f"{address!r} is not an Ethereum address")
    return bytes.fromhex(address[-40:])
