"""Fixtures for the chain layer: a tiny test contract, accounts, and a real anvil node.

``Box`` is the smallest contract that exercises what the chain layer must handle: a
constructor, a state-changing function with an event, a view, a custom error with
arguments and a string revert. It was compiled from the source below with solc 0.8.30
(``solcjs --bin --abi --optimize``); the EvidenceAnchor artifact is tested separately.

.. code-block:: solidity

    // SPDX-License-Identifier: Apache-2.0
    pragma solidity 0.8.30;

    contract Box {
        error Box__Zero(uint256 given, address caller);
        event Stored(uint256 value);
        uint256 private _value;

        function store(uint256 newValue) external {
            if (newValue == 0) revert Box__Zero(newValue, msg.sender);
            _value = newValue;
            emit Stored(newValue);
        }

        function value() external view returns (uint256) {
            return _value;
        }

        function fail(string calldata reason) external pure {
            revert(reason);
        }
    }
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
ANVIL = REPO / "node_modules" / ".bin" / "anvil"

#: How long anvil may take to answer after it starts (its first start unpacks nothing, but
#: a loaded CI machine can be slow).
ANVIL_START_TIMEOUT_S = 60.0

BOX_ABI: list[dict[str, object]] = [
    {
        "inputs": [
            {"internalType": "uint256", "name": "given", "type": "uint256"},
            {"internalType": "address", "name": "caller", "type": "address"},
        ],
        "name": "Box__Zero",
        "type": "error",
    },
    {
        "anonymous": False,
        "inputs": [
            {"indexed": False, "internalType": "uint256", "name": "value", "type": "uint256"}
        ],
        "name": "Stored",
        "type": "event",
    },
    {
        "inputs": [{"internalType": "string", "name": "reason", "type": "string"}],
        "name": "fail",
        "outputs": [],
        "stateMutability": "pure",
        "type": "function",
    },
    {
        "inputs": [{"internalType": "uint256", "name": "newValue", "type": "uint256"}],
        "name": "store",
        "outputs": [],
        "stateMutability": "nonpayable",
        "type": "function",
    },
    {
        "inputs": [],
        "name": "value",
        "outputs": [{"internalType": "uint256", "name": "", "type": "uint256"}],
        "stateMutability": "view",
        "type": "function",
    },
]
BOX_BYTECODE = bytes.fromhex(
    "6080604052348015600e575f5ffd5b506101ec8061001c5f395ff3fe608060405234801561000f575f5ffd5b"
    "506004361061003f575f3560e01c80633fa4f245146100435780636057361d1461005757806378122f3a1461"
    "006c575b5f5ffd5b5f5460405190815260200160405180910390f35b61006a610065366004610103565b6100"
    "7f565b005b61006a61007a36600461011a565b6100e7565b805f036100ad57604051630ef611ff60e01b8152"
    "600481018290523360248201526044015b60405180910390fd5b5f8190556040518181527fc6d8c0af6d21f2"
    "91e7c359603aa97e0ed500f04db6e983b9fce75a91c6b8da6b9060200160405180910390a150565b81816040"
    "5162461bcd60e51b81526004016100a4929190610188565b5f60208284031215610113575f5ffd5b50359190"
    "50565b5f5f6020838503121561012b575f5ffd5b823567ffffffffffffffff811115610141575f5ffd5b8301"
    "601f81018513610151575f5ffd5b803567ffffffffffffffff811115610167575f5ffd5b8560208284010111"
    "15610178575f5ffd5b6020919091019590945092505050565b60208152816020820152818360408301375f81"
    "8301604090810191909152601f909201601f1916010191905056fea2646970667358221220f18a1590521d06"
    "4229d12d0973a485bd1cb6f32a7e844d63a31b1e5fd718c94c64736f6c634300081e0033"
)


@dataclass(frozen=True)
class BoxArtifact:
    """The Box contract in the shape ``ChainClient.deploy`` expects."""

    abi: list[dict[str, object]] = field(default_factory=lambda: BOX_ABI)
    bytecode: bytes = BOX_BYTECODE


@pytest.fixture
def box_artifact() -> BoxArtifact:
    return BoxArtifact()


@pytest.fixture(scope="session")
def box_files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The Box ABI and bytecode as a JSON file, for subprocesses."""
    path = tmp_path_factory.mktemp("box") / "box.json"
    path.write_text(json.dumps({"abi": BOX_ABI, "bytecode": BOX_BYTECODE.hex()}))
    return path


def free_port() -> int:
    """A TCP port on 127.0.0.1 nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class AnvilNode:
    """One anvil process on 127.0.0.1 (its own process group, so stopping it stops all)."""

    def __init__(self, port: int, *extra: str) -> None:
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.extra = extra
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        if not ANVIL.exists():
            pytest.skip(f"anvil not installed at {ANVIL} (run: npm ci)")
        self.process = subprocess.Popen(
            [str(ANVIL), "--port", str(self.port), "--host", "127.0.0.1", "--silent", *self.extra],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        deadline = time.monotonic() + ANVIL_START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"anvil exited with code {self.process.returncode}")
            if self.answers():
                return
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"anvil did not answer on {self.url} within {ANVIL_START_TIMEOUT_S} s")

    def answers(self) -> bool:
        body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": []})
        request = urllib.request.Request(
            self.url, data=body.encode(), headers={"Content-Type": "application/json"}
        )
        try:
            with urllib.request.urlopen(request, timeout=1) as response:
                return "result" in json.loads(response.read())
        except (OSError, urllib.error.URLError, ValueError):
            return False

    def rpc(self, method: str, *params: object) -> object:
        """Send one JSON-RPC request directly (not through the client under test)."""
        body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": list(params)})
        request = urllib.request.Request(
            self.url, data=body.encode(), headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            answer = json.loads(response.read())
        assert "error" not in answer, answer
        return answer["result"]

    def stop(self) -> None:
        """SIGTERM the process group (anvil dumps --state on it), SIGKILL if it lingers."""
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=20)


@pytest.fixture(scope="module")
def anvil() -> Iterator[AnvilNode]:
    """A fresh anvil node for the test module, stopped afterwards."""
    node = AnvilNode(free_port())
    node.start()
    try:
        yield node
    finally:
        node.stop()


@pytest.fixture
def anvil_factory() -> Iterator[type[AnvilNode]]:
    """Make more anvil nodes in a test; all are stopped at its end."""
    made: list[AnvilNode] = []

    class Tracked(AnvilNode):
        def __init__(self, port: int, *extra: str) -> None:
            super().__init__(port, *extra)
            made.append(self)

    yield Tracked
    for node in made:
        node.stop()
