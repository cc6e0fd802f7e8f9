"""The shared client: configuration, lazy imports, revert decoding, the real artifact."""

from __future__ import annotations

import dataclasses
import hashlib
import subprocess
import sys
from collections.abc import Iterator
from typing import cast

import pytest
from eth_abi.abi import encode
from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_utils.abi import function_signature_to_4byte_selector

from evidence.chain.artifact import check_runtime_code, load_artifact
from evidence.chain.backend import (
    MAX_CONFIRMATIONS,
    ChainClient,
    ChainConfig,
    revert_error,
)
from evidence.chain.connect import open_chain
from evidence.errors import ConfigurationError, TransactionError

from .conftest import BOX_ABI, AnvilNode

# -- configuration ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"kind": "ipfs"}, "unknown chain kind"),
        ({"kind": "rpc"}, "needs a node URL"),
        ({"kind": "rpc", "url": "ftp://node"}, "http:// or https://"),
        ({"kind": "embedded", "confirmations": -1}, "confirmations"),
        ({"kind": "embedded", "confirmations": MAX_CONFIRMATIONS + 1}, "confirmations"),
        ({"kind": "embedded", "timeout_s": 0}, "timeout_s"),
        ({"kind": "embedded", "retry_attempts": 0}, "retry_attempts"),
        ({"kind": "embedded", "poll_interval_s": 0}, "delays"),
        ({"kind": "embedded", "expected_chain_id": 0}, "expected_chain_id"),
    ],
)
def test_config_rejects_unusable_values(fields: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        ChainConfig(**fields)  # type: ignore[arg-type]


def test_config_is_frozen() -> None:
    config = ChainConfig(kind="embedded")
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.kind = "rpc"  # type: ignore[misc]


def test_importing_the_client_does_not_import_web3() -> None:
    code = (
        "import sys, evidence.chain.backend, evidence.chain.accounts; "
        "print(sorted(m for m in ('web3', 'eth_account', 'eth_tester') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


# -- revert decoding ------------------------------------------------------------------------------


def _payload(signature: str, types: list[str], values: list[object]) -> bytes:
    return function_signature_to_4byte_selector(signature) + encode(types, values)


def test_custom_error_from_the_calling_contracts_abi() -> None:
    caller = "0x" + "ab" * 20
    data = _payload("Box__Zero(uint256,address)", ["uint256", "address"], [0, caller])
    error = revert_error("store", data, BOX_ABI)
    assert error.error_name == "Box__Zero"
    assert str(error) == "store reverted: Box__Zero(0, 0xABaBaBaBABabABabAbAbABAbABabababaBaBABaB)"


def test_custom_error_from_the_evidence_anchor_artifact_as_fallback() -> None:
    root = hashlib.sha256(b"root").digest()
    data = _payload("EvidenceAnchor__UnknownRoot(bytes32)", ["bytes32"], [root])
    error = revert_error("confirm", data, BOX_ABI)  # not in Box's ABI
    assert error.error_name == "EvidenceAnchor__UnknownRoot"
    assert root.hex() in str(error)


def test_builtin_errors_unknown_selectors_and_empty_reverts() -> None:
    panic = revert_error("f", _payload("Panic(uint256)", ["uint256"], [0x11]), None)
    assert panic.error_name == "Panic" and "Panic(17)" in str(panic)
    reason = revert_error("f", _payload("Error(string)", ["string"], ["no"]), None)
    assert reason.error_name == "Error" and "Error('no')" in str(reason)
    unknown = revert_error("f", bytes.fromhex("deadbeef") + bytes(32), BOX_ABI)
    assert unknown.error_name is None and "unknown error data 0xdeadbeef" in str(unknown)
    empty = revert_error("f", b"", None)
    assert empty.error_name is None and str(empty) == "f reverted without a reason"


# -- the real EvidenceAnchor artifact -----------------------------------------------------------


@pytest.fixture
def registrar() -> LocalAccount:
    return cast(LocalAccount, Account.create())


def _exercise_evidence_anchor(chain: ChainClient, registrar: LocalAccount) -> None:
    artifact = load_artifact()
    chain.fund(registrar.address, 10**18)
    address = chain.deploy(artifact, registrar)
    check_runtime_code(chain.get_code(address), artifact, address=address)
    anchor = chain.w3.eth.contract(address=address, abi=artifact.abi)
    root = hashlib.sha256(b"batch root").digest()
    receipt = chain.transact(anchor.functions.anchor(root, 3), registrar)
    assert receipt["status"] == 1
    assert chain.call(anchor.functions.isAnchored(root)) is True
    with pytest.raises(TransactionError, match=r"EvidenceAnchor__AlreadyAnchored\(0x") as info:
        chain.transact(anchor.functions.anchor(root, 3), registrar)
    assert info.value.error_name == "EvidenceAnchor__AlreadyAnchored"
    with pytest.raises(TransactionError) as info:
        chain.transact(anchor.functions.anchor(bytes(32), 3), registrar)
    assert info.value.error_name == "EvidenceAnchor__ZeroRoot"


@pytest.fixture
def memory_chain() -> Iterator[ChainClient]:
    with open_chain(ChainConfig(kind="embedded")) as chain:
        yield chain


def test_evidence_anchor_on_the_embedded_chain(
    memory_chain: ChainClient, registrar: LocalAccount
) -> None:
    _exercise_evidence_anchor(memory_chain, registrar)


@pytest.mark.anvil
def test_evidence_anchor_on_anvil(anvil: AnvilNode, registrar: LocalAccount) -> None:
    with open_chain(ChainConfig(kind="rpc", url=anvil.url, poll_interval_s=0.05)) as chain:
        _exercise_evidence_anchor(chain, registrar)
