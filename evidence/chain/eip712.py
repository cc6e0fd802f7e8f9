"""EIP-712 typed data for witness confirmations relayed to ``EvidenceAnchor.confirmBySignature``.

A witness signs ``Confirmation(bytes32 root,address witness,uint64 observedAt)`` in the domain
``EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)`` with
name ``"EvidenceAnchor"`` and version ``"1"`` (the contract's OpenZeppelin ``EIP712``
constructor). The digest is ``keccak256(0x19 || 0x01 || domainSeparator || hashStruct(message))``
(EIP-712, "Specification"; EIP-191 version byte 0x01), and the signature is 65 bytes
``r || s || v`` with ``v`` in {27, 28}, as OpenZeppelin's ``ECDSA.tryRecover`` expects.

Hashing and signing go through eth-account (``encode_typed_data``, ``Account.sign_message``),
and :func:`hash_typed_data` / :func:`sign_typed_data` are the generic entry points the
public test vectors are run through, so the vectors check the very code path used here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from eth_account import Account
from eth_account.messages import SignableMessage, encode_typed_data
from eth_keys.exceptions import BadSignature
from eth_utils.address import is_address, to_checksum_address
from eth_utils.crypto import keccak
from eth_utils.exceptions import ValidationError

from evidence.errors import InputError

__all__ = [
    "CONFIRMATION_TYPES",
    "DOMAIN_NAME",
    "DOMAIN_VERSION",
    "TypedDataHashes",
    "confirmation_digest",
    "confirmation_typed_data",
    "hash_typed_data",
    "recover_confirmation_signer",
    "recover_typed_data_signer",
    "sign_confirmation",
    "sign_typed_data",
]

#: The contract's EIP-712 domain name and version (``EIP712("EvidenceAnchor", "1")``).
DOMAIN_NAME = "EvidenceAnchor"
DOMAIN_VERSION = "1"

#: ``types`` of eth_signTypedData_v4 for a confirmation (EIP-712 "Definition of encodeType").
CONFIRMATION_TYPES: dict[str, list[dict[str, str]]] = {
    "EIP712Domain": [
        {"name": "name", "type": "string"},
        {"name": "version", "type": "string"},
        {"name": "chainId", "type": "uint256"},
        {"name": "verifyingContract", "type": "address"},
    ],
    "Confirmation": [
        {"name": "root", "type": "bytes32"},
        {"name": "witness", "type": "address"},
        {"name": "observedAt", "type": "uint64"},
    ],
}

_ROOT_LENGTH = 32  # bytes32
_UINT64_MAX = 2**64 - 1  # observedAt is a uint64 in the contract
_UINT256_MAX = 2**256 - 1  # chainId is a uint256 in the domain
_SIGNATURE_LENGTH = 65  # r (32) || s (32) || v (1)
_PRIVATE_KEY_LENGTH = 32  # secp256k1 scalar


@dataclass(frozen=True)
class TypedDataHashes:
    """The three hashes of EIP-712.

    ``digest = keccak256(0x19 || 0x01 || domain_separator || struct_hash)``.
    """

    domain_separator: bytes
    struct_hash: bytes
    digest: bytes


def _signable(typed_data: Mapping[str, object]) -> SignableMessage:
    try:
        return encode_typed_data(full_message=dict(typed_data))
    except (ValidationError, ValueError, TypeError, KeyError) as exc:
        detail = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise InputError(f"invalid EIP-712 typed data: {detail}") from exc


def hash_typed_data(typed_data: Mapping[str, object]) -> TypedDataHashes:
    """Hash eth_signTypedData_v4 data (``types`` with ``EIP712Domain``, ``primaryType``,
    ``domain``, ``message``) per EIP-712. Raises :class:`InputError` if it does not encode."""
    signable = _signable(typed_data)
    # EIP-191: 0x19 || version (0x01 for EIP-712) || header (domain separator) || body (hashStruct)
    digest = keccak(b"\x19" + signable.version + signable.header + signable.body)
    return TypedDataHashes(
        domain_separator=bytes(signable.header), struct_hash=bytes(signable.body), digest=digest
    )


def _check_key(private_key: bytes) -> bytes:
    key = bytes(private_key)
    if len(key) != _PRIVATE_KEY_LENGTH:
        raise InputError(f"a secp256k1 private key is {_PRIVATE_KEY_LENGTH} bytes, got {len(key)}")
    return key


def sign_typed_data(private_key: bytes, typed_data: Mapping[str, object]) -> bytes:
    """Sign typed data; return the 65-byte ``r || s || v`` signature (``v`` in {27, 28}).

    Raises :class:`InputError` for a malformed key or typed data.
    """
    signable = _signable(typed_data)
    try:
        signed = Account.sign_message(signable, _check_key(private_key))
    except (ValueError, TypeError) as exc:
        raise InputError(f"cannot sign with this key: {exc}") from exc
    return bytes(signed.signature)


def recover_typed_data_signer(signature: bytes, typed_data: Mapping[str, object]) -> str:
    """The checksummed address that made ``signature`` over ``typed_data``.

    Raises :class:`InputError` when the signature is not 65 bytes or does not recover.
    """
    if len(signature) != _SIGNATURE_LENGTH:
        raise InputError(f"an EIP-712 signature is {_SIGNATURE_LENGTH} bytes, got {len(signature)}")
    try:
        return str(Account.recover_message(_signable(typed_data), signature=bytes(signature)))
    except (BadSignature, ValidationError, ValueError, TypeError) as exc:
        raise InputError(f"signature does not recover: {exc}") from exc


def _address(value: str, what: str) -> str:
    if not isinstance(value, str) or not is_address(value):
        raise InputError(f"{what} {value!r} is not an Ethereum address")
    return to_checksum_address(value)


def confirmation_typed_data(
    chain_id: int, contract: str, root: bytes, witness: str, observed_at: int
) -> dict[str, object]:
    """The full eth_signTypedData_v4 object a witness signs to confirm ``root``.

    ``contract`` is the EvidenceAnchor address (the domain's verifyingContract), ``witness``
    the signer's address and ``observed_at`` the Unix time at which the witness saw the anchor.
    Raises :class:`InputError` for a root that is not 32 bytes, a bad address, or numbers out of
    the contract's ranges.
    """
    if len(root) != _ROOT_LENGTH:
        raise InputError(f"a root is {_ROOT_LENGTH} bytes, got {len(root)}")
    if isinstance(chain_id, bool) or not 0 < chain_id <= _UINT256_MAX:
        raise InputError(f"chain id {chain_id} is out of range")
    if isinstance(observed_at, bool) or not 0 <= observed_at <= _UINT64_MAX:
        raise InputError(f"observedAt {observed_at} is not a uint64")
    return {
        "types": {name: [dict(f) for f in fields] for name, fields in CONFIRMATION_TYPES.items()},
        "primaryType": "Confirmation",
        "domain": {
            "name": DOMAIN_NAME,
            "version": DOMAIN_VERSION,
            "chainId": chain_id,
            "verifyingContract": _address(contract, "contract"),
        },
        "message": {
            "root": "0x" + bytes(root).hex(),
            "witness": _address(witness, "witness"),
            "observedAt": observed_at,
        },
    }


def confirmation_digest(
    chain_id: int, contract: str, root: bytes, witness: str, observed_at: int
) -> bytes:
    """The 32-byte EIP-712 digest of a confirmation; equals the contract's
    ``confirmationDigest(root, witness, observedAt)`` on that chain and address."""
    typed = confirmation_typed_data(chain_id, contract, root, witness, observed_at)
    return hash_typed_data(typed).digest


def sign_confirmation(
    private_key: bytes, chain_id: int, contract: str, root: bytes, witness: str, observed_at: int
) -> bytes:
    """Sign a confirmation as ``witness``; return 65 bytes ``r || s || v``.

    Raises :class:`InputError` when the key does not belong to ``witness`` (the contract
    would reject the signature with ``EvidenceAnchor__InvalidSignature``).
    """
    key = _check_key(private_key)
    try:
        signer = to_checksum_address(Account.from_key(key).address)
    except (ValueError, TypeError) as exc:
        raise InputError(f"invalid private key: {exc}") from exc
    if signer != _address(witness, "witness"):
        raise InputError(f"the key belongs to {signer}, not to witness {witness}")
    typed = confirmation_typed_data(chain_id, contract, root, witness, observed_at)
    return sign_typed_data(key, typed)


def recover_confirmation_signer(
    signature: bytes, chain_id: int, contract: str, root: bytes, witness: str, observed_at: int
) -> str:
    """The address that signed this confirmation (compare it with ``witness``)."""
    typed = confirmation_typed_data(chain_id, contract, root, witness, observed_at)
    return recover_typed_data_signer(signature, typed)
