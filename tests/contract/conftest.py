"""Fixtures for the EvidenceAnchor contract tests on eth-tester (py-evm).

The contract is deployed once per session (per xdist worker); every test runs between a
snapshot and a revert, so tests never see each other's state. Revert data is taken from an
``eth_call`` on the pending block, which runs in the very block context (timestamp, number)
the next transaction gets, so the custom error and its arguments can be asserted exactly.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from eth_tester import EthereumTester, PyEVMBackend
from eth_tester.exceptions import TransactionFailed
from web3 import EthereumTesterProvider, Web3
from web3.contract import Contract
from web3.types import TxReceipt

from evidence.chain.artifact import Artifact, decode_revert, load_artifact

#: Move the chain a day ahead of the wall clock at start, so that block times advance by one
#: second per block (py-evm takes max(parent + 1, now)) and are predictable within a test.
CLOCK_LEAD_SECONDS = 86_400
#: Generous gas for transactions that must be mined although they revert.
REVERTING_TX_GAS = 300_000


@dataclass
class Chain:
    """The deployed contract plus helpers to transact, read reverts and move time."""

    tester: EthereumTester
    w3: Web3
    artifact: Artifact
    contract: Contract
    accounts: list[str]
    keys: dict[str, bytes]

    @property
    def registrar(self) -> str:
        return self.accounts[0]

    def transact(self, fn: Any, sender: str) -> TxReceipt:
        """Send ``fn`` from ``sender``; return its receipt (asserting success)."""
        tx_hash = fn.transact({"from": sender})
        receipt = self.w3.eth.wait_for_transaction_receipt(tx_hash)
        assert receipt["status"] == 1
        return receipt

    def revert(self, fn: Any, sender: str) -> tuple[str, tuple[object, ...]]:
        """Run ``fn`` as ``sender`` on the pending block; return the decoded custom error."""
        tx = {"from": sender, "to": self.contract.address, "data": fn._encode_transaction_data()}
        with pytest.raises(TransactionFailed) as info:
            self.tester.call(tx, "pending")
        message = str(info.value.args[0])
        # eth-tester reports the revert output as str(bytes), e.g. "b'w\\xb2\\xd8?'".
        assert message.startswith(("b'", 'b"')), message
        data = ast.literal_eval(message)
        assert isinstance(data, bytes)
        return decode_revert(data)

    def pending_timestamp(self) -> int:
        """block.timestamp of the next transaction."""
        return int(self.tester.get_block_by_number("pending")["timestamp"])

    def block_timestamp(self, receipt: TxReceipt) -> int:
        return int(self.w3.eth.get_block(receipt["blockNumber"])["timestamp"])

    def time_travel(self, to_timestamp: int) -> None:
        """Make ``to_timestamp`` the block time of the next transaction."""
        self.tester.time_travel(to_timestamp)
        assert self.pending_timestamp() == to_timestamp

    def events(self, receipt: TxReceipt, name: str) -> list[dict[str, Any]]:
        """The decoded ``name`` events of ``receipt`` (their ``args``)."""
        event = getattr(self.contract.events, name)()
        return [dict(log["args"]) for log in event.process_receipt(receipt)]

    def deploy(self, sender: str | None = None) -> Contract:
        """Deploy a fresh EvidenceAnchor (a second instance, for cross-contract tests)."""
        factory = self.w3.eth.contract(abi=self.artifact.abi, bytecode=self.artifact.bytecode)
        tx_hash = factory.constructor().transact({"from": sender or self.registrar})
        receipt = self.w3.eth.wait_for_transaction_receipt(tx_hash)
        address = receipt["contractAddress"]
        assert address is not None
        return self.w3.eth.contract(address=address, abi=self.artifact.abi)


@pytest.fixture(scope="session")
def _session_chain() -> Chain:
    backend = PyEVMBackend()
    tester = EthereumTester(backend)
    w3 = Web3(EthereumTesterProvider(tester))
    accounts = [str(a) for a in w3.eth.accounts]
    keys = {
        Web3.to_checksum_address(key.public_key.to_checksum_address()): key.to_bytes()
        for key in backend.account_keys
    }
    latest = int(tester.get_block_by_number("latest")["timestamp"])
    tester.time_travel(latest + CLOCK_LEAD_SECONDS)
    artifact = load_artifact()
    chain = Chain(tester, w3, artifact, None, accounts, keys)  # type: ignore[arg-type]
    chain.contract = chain.deploy(accounts[0])
    return chain


@pytest.fixture
def chain(_session_chain: Chain) -> Iterator[Chain]:
    """The session's deployed contract, with every change undone after the test."""
    snapshot = _session_chain.tester.take_snapshot()
    try:
        yield _session_chain
    finally:
        _session_chain.tester.revert_to_snapshot(snapshot)


@pytest.fixture
def witnesses(chain: Chain) -> list[str]:
    """Four accounts registered as witnesses in DE, FR, CN and US (run by distinct operators)."""
    added = []
    for account, code, operator in zip(
        chain.accounts[1:5],
        (b"DE", b"FR", b"CN", b"US"),
        ("Notar Berlin", "Huissier Paris", "Notary Shanghai", "Notary New York"),
        strict=True,
    ):
        chain.transact(
            chain.contract.functions.addWitness(account, code, operator), chain.registrar
        )
        added.append(account)
    return added
