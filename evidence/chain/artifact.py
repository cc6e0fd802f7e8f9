"""The compiled EvidenceAnchor contract, as shipped inside the package.

:func:`load_artifact` reads ``evidence/chain/EvidenceAnchor.json`` (written by
:mod:`evidence.chain.build`, ``make contracts``) through :mod:`importlib.resources`, so it works
from a wheel as well as from a checkout.

:func:`check_runtime_code` tells whether the code at an address is this contract. The deployed
code is *not* byte-for-byte the compiler's ``deployedBytecode``: OpenZeppelin's ``EIP712``
keeps the cached domain separator, chain id, contract address and hashed name/version in
*immutables*, which the constructor writes into the runtime code at deployment (Solidity docs,
"Constant and Immutable State Variables"). The compiler reports where
(``evm.deployedBytecode.immutableReferences``); the artifact keeps those byte ranges and the
comparison masks them out on both sides. Everything else, including the CBOR trailer, must
match exactly.

:func:`decode_revert` turns revert data into ``(error name, arguments)`` using the ABI's
custom errors plus Solidity's built-in ``Error(string)`` and ``Panic(uint256)``.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from typing import cast

from eth_abi.abi import decode as abi_decode
from eth_abi.exceptions import DecodingError
from eth_typing import ABI
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak

from evidence.errors import ChainError, ContractMismatchError, FormatError

__all__ = [
    "ARTIFACT_FORMAT",
    "ARTIFACT_RESOURCE",
    "Artifact",
    "check_runtime_code",
    "decode_revert",
    "describe_revert",
    "error_signatures",
    "load_artifact",
    "mask_immutables",
]

#: The only artifact layout this module reads (see build.py).
ARTIFACT_FORMAT = 1
#: File name of the artifact inside the ``evidence.chain`` package.
ARTIFACT_RESOURCE = "EvidenceAnchor.json"

#: Solidity's built-in revert reasons (Solidity docs, "Error handling: Assert, Require, Revert").
_BUILTIN_ERRORS: dict[str, tuple[str, ...]] = {
    "Error": ("string",),
    "Panic": ("uint256",),
}
_SELECTOR_LENGTH = 4


@dataclass(frozen=True)
class Artifact:
    """The compiled contract.

    ``immutable_references`` are ``(start, length)`` byte ranges of the runtime code that the
    constructor fills in at deployment; ``source_hashes`` maps each source unit name to the
    sha256 (hex) of the text it was compiled from.
    """

    contract_name: str
    abi: ABI
    bytecode: bytes
    runtime_bytecode: bytes
    immutable_references: tuple[tuple[int, int], ...]
    compiler_version: str
    source_hashes: Mapping[str, str]


def _hex(value: object, field: str) -> bytes:
    if not isinstance(value, str) or not value.startswith("0x"):
        raise FormatError("expected a 0x-prefixed hex string", path=ARTIFACT_RESOURCE, where=field)
    try:
        return bytes.fromhex(value[2:])
    except ValueError as exc:
        raise FormatError("invalid hex", path=ARTIFACT_RESOURCE, where=field) from exc


def _parse(data: object) -> Artifact:
    if not isinstance(data, dict):
        raise FormatError("expected a JSON object", path=ARTIFACT_RESOURCE)
    if data.get("artifactFormat") != ARTIFACT_FORMAT:
        raise FormatError(
            f"unsupported artifactFormat {data.get('artifactFormat')!r} "
            f"(expected {ARTIFACT_FORMAT}); run `make contracts`",
            path=ARTIFACT_RESOURCE,
        )
    try:
        abi = data["abi"]
        refs = tuple((int(r["start"]), int(r["length"])) for r in data["immutableReferences"])
        compiler_version = str(data["compiler"]["version"])
        sources = {str(k): str(v) for k, v in data["sources"].items()}
        name = str(data["contractName"])
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise FormatError(f"missing or malformed field {exc}", path=ARTIFACT_RESOURCE) from exc
    if not isinstance(abi, list):
        raise FormatError("abi is not a list", path=ARTIFACT_RESOURCE, where="abi")
    runtime = _hex(data.get("runtimeBytecode"), "runtimeBytecode")
    for start, length in refs:
        if start < 0 or length <= 0 or start + length > len(runtime):
            raise FormatError(
                f"immutable range {start}+{length} lies outside the runtime code",
                path=ARTIFACT_RESOURCE,
                where="immutableReferences",
            )
    return Artifact(
        contract_name=name,
        abi=cast(ABI, abi),
        bytecode=_hex(data.get("bytecode"), "bytecode"),
        runtime_bytecode=runtime,
        immutable_references=refs,
        compiler_version=compiler_version,
        source_hashes=sources,
    )


@functools.cache
def load_artifact() -> Artifact:
    """Load the packaged artifact (read once, then cached).

    Raises :class:`FormatError` if the file is missing, not JSON or not the expected layout
    (rebuild it with ``make contracts``).
    """
    resource = resources.files("evidence.chain").joinpath(ARTIFACT_RESOURCE)
    try:
        data = json.loads(resource.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise FormatError("artifact missing; run `make contracts`", path=ARTIFACT_RESOURCE) from exc
    except (OSError, ValueError) as exc:
        raise FormatError(f"cannot read the artifact: {exc}", path=ARTIFACT_RESOURCE) from exc
    return _parse(data)


def mask_immutables(code: bytes, ranges: Sequence[tuple[int, int]]) -> bytes:
    """Return ``code`` with every ``(start, length)`` range zeroed (ranges past the end are cut)."""
    masked = bytearray(code)
    for start, length in ranges:
        end = min(start + length, len(masked))
        if start < end:
            masked[start:end] = bytes(end - start)
    return bytes(masked)


def check_runtime_code(code: bytes, artifact: Artifact, *, address: str | None = None) -> None:
    """Raise :class:`ContractMismatchError` unless ``code`` is the artifact's runtime code.

    ``code`` is what ``eth_getCode`` returned for ``address`` (named in the message only).
    Immutable byte ranges are masked on both sides (see the module docstring); all other bytes
    must be equal. The message gives the lengths, or sha256 prefixes of the masked codes.
    """
    where = f"code at {address}" if address else "contract code"
    expected = artifact.runtime_bytecode
    if not code:
        raise ContractMismatchError(
            f"{where} is empty: no contract is deployed there; check the address and chain"
        )
    if len(code) != len(expected):
        raise ContractMismatchError(
            f"{where} is {len(code)} bytes, expected {len(expected)} bytes of "
            f"{artifact.contract_name} {artifact.compiler_version}: another contract or build"
        )
    masked_actual = mask_immutables(code, artifact.immutable_references)
    masked_expected = mask_immutables(expected, artifact.immutable_references)
    if masked_actual != masked_expected:
        actual_hash = hashlib.sha256(masked_actual).hexdigest()[:16]
        expected_hash = hashlib.sha256(masked_expected).hexdigest()[:16]
        raise ContractMismatchError(
            f"{where} differs from {artifact.contract_name} (sha256 {actual_hash}..., expected "
            f"{expected_hash}... with immutables masked): another contract or build"
        )


def _abi_type(param: Mapping[str, object]) -> str:
    """Canonical ABI type of a parameter, tuples expanded (Solidity ABI spec, "Types")."""
    kind = str(param["type"])
    if kind.startswith("tuple"):
        components = cast(Sequence[Mapping[str, object]], param.get("components", ()))
        return "(" + ",".join(_abi_type(c) for c in components) + ")" + kind[len("tuple") :]
    return kind


@functools.cache
def _error_table() -> dict[bytes, tuple[str, tuple[str, ...]]]:
    table: dict[bytes, tuple[str, tuple[str, ...]]] = {}
    entries = [(n, t) for n, t in _BUILTIN_ERRORS.items()]
    for entry in load_artifact().abi:
        if entry.get("type") == "error":
            inputs = cast(Sequence[Mapping[str, object]], entry.get("inputs", ()))
            entries.append((str(entry.get("name")), tuple(_abi_type(i) for i in inputs)))
    for name, types in entries:
        selector = keccak(text=f"{name}({','.join(types)})")[:_SELECTOR_LENGTH]
        table[selector] = (name, types)
    return table


def error_signatures() -> dict[bytes, str]:
    """Map each 4-byte error selector to its signature, e.g. ``EvidenceAnchor__ZeroRoot()``.

    Covers the contract's custom errors (its own and OpenZeppelin's, from the ABI) and
    Solidity's ``Error(string)`` and ``Panic(uint256)``.
    """
    return {sel: f"{name}({','.join(types)})" for sel, (name, types) in _error_table().items()}


def _normalise(value: object) -> object:
    if isinstance(value, str) and value.startswith("0x") and len(value) == 42:
        return to_checksum_address(value)
    if isinstance(value, tuple):
        return tuple(_normalise(v) for v in value)
    return value


def decode_revert(data: bytes) -> tuple[str, tuple[object, ...]]:
    """Decode revert data into ``(error name, arguments)``.

    Arguments come as eth_abi decodes them (``bytesN`` as bytes, integers as int), with
    addresses checksummed. Raises :class:`ChainError` when the data is empty (a revert
    without reason, e.g. out of gas), the selector is not one of the contract's errors, or
    the arguments do not decode.
    """
    data = bytes(data)
    if len(data) < _SELECTOR_LENGTH:
        raise ChainError(
            f"revert data 0x{data.hex()} has no error selector (reverted without reason)"
        )
    selector = data[:_SELECTOR_LENGTH]
    known = _error_table().get(selector)
    if known is None:
        raise ChainError(f"revert selector 0x{selector.hex()} is not an EvidenceAnchor error")
    name, types = known
    try:
        args = abi_decode(list(types), data[_SELECTOR_LENGTH:])
    except (DecodingError, ValueError, OverflowError) as exc:
        raise ChainError(f"revert data for {name} does not decode: {exc}") from exc
    return name, tuple(_normalise(a) for a in args)


def describe_revert(data: bytes) -> str:
    """One line for people, e.g. ``EvidenceAnchor__UnknownRoot(0x12...)``; never raises."""
    try:
        name, args = decode_revert(data)
    except ChainError as exc:
        return str(exc)
    shown = ", ".join("0x" + a.hex() if isinstance(a, bytes) else str(a) for a in args)
    return f"{name}({shown})"
