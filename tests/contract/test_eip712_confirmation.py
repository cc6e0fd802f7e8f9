"""evidence.chain.eip712 against the public EIP-712 vectors and an independent encoding.

The vectors go through ``hash_typed_data`` and ``sign_typed_data``, the same eth-account
calls that ``confirmation_digest`` and ``sign_confirmation`` use.
"""

from __future__ import annotations

import gzip
import json
from typing import Any

import pytest
from eth_abi.abi import encode as abi_encode
from eth_account import Account
from eth_utils.crypto import keccak
from hypothesis import given, settings
from hypothesis import strategies as st

from evidence.chain.eip712 import (
    confirmation_digest,
    confirmation_typed_data,
    hash_typed_data,
    recover_confirmation_signer,
    recover_typed_data_signer,
    sign_confirmation,
    sign_typed_data,
)
from evidence.errors import InputError

from ..conftest import VECTORS as ALL_VECTORS

VECTORS = ALL_VECTORS / "eip712"

#: ethers' cases carry no EIP712Domain type: derive it from the keys present, in this order
#: (vectors/eip712/SOURCE.md §1).
DOMAIN_FIELDS = (
    ("name", "string"),
    ("version", "string"),
    ("chainId", "uint256"),
    ("verifyingContract", "address"),
    ("salt", "bytes32"),
)

CONTRACT = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
WITNESS_KEY = bytes.fromhex("4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318")
WITNESS = Account.from_key(WITNESS_KEY).address
ROOT = bytes.fromhex("ab" * 32)


def _load(name: str) -> Any:
    path = VECTORS / name
    if not path.is_file():
        pytest.fail(f"public vector missing: {path} (vendored in tests/vectors/eip712)")
    if name.endswith(".gz"):
        return json.loads(gzip.decompress(path.read_bytes()))
    return json.loads(path.read_text(encoding="utf-8"))


def _h(value: str) -> bytes:
    return bytes.fromhex(value.removeprefix("0x"))


# ---------------------------------------------------------------- public vectors


def test_spec_example() -> None:
    vector = _load("eip712_spec_example.json")
    expected = vector["expected"]
    key = keccak(text=expected["signer_private_key_preimage"])
    assert key == _h(expected["signer_private_key"])

    hashes = hash_typed_data(vector["typedData"])
    assert hashes.domain_separator == _h(expected["domainSeparator"])
    assert hashes.struct_hash == _h(expected["hashStruct_message"])
    assert hashes.struct_hash == keccak(_h(expected["encodeData_Mail"]))
    assert hashes.digest == _h(expected["digest"])

    signature = sign_typed_data(key, vector["typedData"])
    assert signature == _h(expected["signature_rsv"])
    assert signature[64] == expected["signature_v"]
    signer = recover_typed_data_signer(signature, vector["typedData"])
    assert signer.lower() == expected["signer_address"]


def _ethers_cases() -> list[dict[str, Any]]:
    path = VECTORS / "ethers" / "typed-data.json.gz"
    if not path.is_file():
        # One case that fails, never an empty (skipped) parameter set.
        return [{"name": "missing", "missing": str(path)}]
    cases: list[dict[str, Any]] = json.loads(gzip.decompress(path.read_bytes()))
    return cases


def _ethers_typed_data(case: dict[str, Any]) -> dict[str, Any]:
    domain_type = [{"name": n, "type": t} for n, t in DOMAIN_FIELDS if n in case["domain"]]
    return {
        "types": {"EIP712Domain": domain_type, **case["types"]},
        "primaryType": case["primaryType"],
        "domain": case["domain"],
        "message": case["data"],
    }


def test_ethers_vectors_are_all_there() -> None:
    cases = _load("ethers/typed-data.json.gz")
    assert len(cases) == 130


@pytest.mark.parametrize("case", _ethers_cases(), ids=lambda c: str(c["name"]))
def test_ethers_vector(case: dict[str, Any]) -> None:
    if "missing" in case:
        pytest.fail(f"public vector missing: {case['missing']}")
    hashes = hash_typed_data(_ethers_typed_data(case))
    assert hashes.struct_hash == keccak(_h(case["encoded"]))
    assert hashes.digest == _h(case["digest"])
    if "signature" in case:
        signature = sign_typed_data(_h(case["privateKey"]), _ethers_typed_data(case))
        assert signature == _h(case["signature"])


def test_eth_account_valid_for_all() -> None:
    messages = _load("eth-account/valid_for_all.json")
    expected = _load("eth-account/valid_for_all.expected.json")
    key = _h(expected["test_private_key"])
    assert set(messages) == set(expected["vectors"])
    for name, message in messages.items():
        want = expected["vectors"][name]
        assert hash_typed_data(message).digest == _h(want["digest"]), name
        signature = sign_typed_data(key, message)
        assert signature == _h(want["signature"]), name
        assert recover_typed_data_signer(signature, message) == expected["signer_address"], name


@pytest.mark.parametrize("name", ["invalid.json", "one_arg_invalid.json"])
def test_eth_account_invalid_messages_are_rejected(name: str) -> None:
    messages = _load(f"eth-account/{name}")
    assert messages
    for case, message in messages.items():
        with pytest.raises(InputError, match="invalid EIP-712 typed data"):
            hash_typed_data(message)
        assert case


# ---------------------------------------------------------------- the Confirmation struct

_DOMAIN_TYPEHASH = keccak(
    text="EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"
)
_CONFIRMATION_TYPEHASH = keccak(text="Confirmation(bytes32 root,address witness,uint64 observedAt)")


def _independent_digest(chain_id: int, contract: str, root: bytes, witness: str, t: int) -> bytes:
    """EIP-712 §"Definition of hashStruct" written out with eth_abi, without eth-account."""
    domain = keccak(
        abi_encode(
            ["bytes32", "bytes32", "bytes32", "uint256", "address"],
            [_DOMAIN_TYPEHASH, keccak(text="EvidenceAnchor"), keccak(text="1"), chain_id, contract],
        )
    )
    struct = keccak(
        abi_encode(
            ["bytes32", "bytes32", "address", "uint64"], [_CONFIRMATION_TYPEHASH, root, witness, t]
        )
    )
    return keccak(b"\x19\x01" + domain + struct)


def test_typed_data_form() -> None:
    typed = confirmation_typed_data(31337, CONTRACT.lower(), ROOT, WITNESS.lower(), 1_700_000_000)
    assert typed == {
        "types": {
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
        },
        "primaryType": "Confirmation",
        "domain": {
            "name": "EvidenceAnchor",
            "version": "1",
            "chainId": 31337,
            "verifyingContract": CONTRACT,
        },
        "message": {"root": "0x" + "ab" * 32, "witness": WITNESS, "observedAt": 1_700_000_000},
    }
    # JSON-serialisable, as eth_signTypedData_v4 takes it.
    assert json.loads(json.dumps(typed)) == typed


@settings(max_examples=50, deadline=None)
@given(
    chain_id=st.integers(min_value=1, max_value=2**256 - 1),
    contract=st.binary(min_size=20, max_size=20),
    root=st.binary(min_size=32, max_size=32),
    witness=st.binary(min_size=20, max_size=20),
    observed_at=st.integers(min_value=0, max_value=2**64 - 1),
)
def test_digest_matches_independent_encoding(
    chain_id: int, contract: bytes, root: bytes, witness: bytes, observed_at: int
) -> None:
    contract_hex, witness_hex = "0x" + contract.hex(), "0x" + witness.hex()
    assert confirmation_digest(chain_id, contract_hex, root, witness_hex, observed_at) == (
        _independent_digest(chain_id, contract_hex, root, witness_hex, observed_at)
    )


def test_sign_and_recover_confirmation() -> None:
    signature = sign_confirmation(WITNESS_KEY, 31337, CONTRACT, ROOT, WITNESS, 42)
    assert len(signature) == 65 and signature[64] in (27, 28)
    assert recover_confirmation_signer(signature, 31337, CONTRACT, ROOT, WITNESS, 42) == WITNESS
    # Any other field gives another digest, hence another recovered address.
    assert recover_confirmation_signer(signature, 31338, CONTRACT, ROOT, WITNESS, 42) != WITNESS
    assert recover_confirmation_signer(signature, 31337, CONTRACT, ROOT, WITNESS, 43) != WITNESS
    # Deterministic (RFC 6979 nonces).
    assert signature == sign_confirmation(WITNESS_KEY, 31337, CONTRACT, ROOT, WITNESS, 42)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"root": b"\x01" * 31}, "a root is 32 bytes"),
        ({"contract": "0x1234"}, "contract '0x1234' is not an Ethereum address"),
        ({"witness": "not an address"}, "is not an Ethereum address"),
        ({"observed_at": -1}, "is not a uint64"),
        ({"observed_at": 2**64}, "is not a uint64"),
        ({"chain_id": 0}, "chain id 0 is out of range"),
    ],
)
def test_confirmation_inputs_are_checked(kwargs: dict[str, Any], message: str) -> None:
    args: dict[str, Any] = {
        "chain_id": 1,
        "contract": CONTRACT,
        "root": ROOT,
        "witness": WITNESS,
        "observed_at": 0,
    }
    args.update(kwargs)
    with pytest.raises(InputError, match=message):
        confirmation_digest(**args)


def test_sign_confirmation_refuses_a_key_of_another_account() -> None:
    other = Account.create().address
    with pytest.raises(InputError, match="the key belongs to"):
        sign_confirmation(WITNESS_KEY, 1, CONTRACT, ROOT, other, 0)
    with pytest.raises(InputError, match="32 bytes"):
        sign_confirmation(WITNESS_KEY[:31], 1, CONTRACT, ROOT, WITNESS, 0)


def test_recover_rejects_bad_signature_length() -> None:
    with pytest.raises(InputError, match="65 bytes"):
        recover_confirmation_signer(b"\0" * 64, 1, CONTRACT, ROOT, WITNESS, 0)
    with pytest.raises(InputError, match="signature does not recover"):
        recover_confirmation_signer(b"\0" * 65, 1, CONTRACT, ROOT, WITNESS, 0)
