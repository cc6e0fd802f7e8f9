"""The JSON-RPC chain against a real anvil node, and against small local fake servers."""

from __future__ import annotations

import http.server
import json
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, cast

import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount

from evidence.chain.backend import ChainConfig
from evidence.chain.connect import open_chain
from evidence.chain.rpc import RpcChain, redact_url
from evidence.errors import ChainError, ChainUnreachableError, TransactionError

from .conftest import AnvilNode, BoxArtifact, free_port

#: Retry settings that keep failure tests fast.
FAST_RETRY = {"retry_attempts": 2, "retry_base_delay_s": 0.01}


def rpc_chain(url: str, **overrides: object) -> RpcChain:
    settings: dict[str, object] = {**FAST_RETRY, "poll_interval_s": 0.05, **overrides}
    chain = open_chain(ChainConfig(kind="rpc", url=url, **settings))  # type: ignore[arg-type]
    assert isinstance(chain, RpcChain)
    return chain


@pytest.fixture
def sender() -> LocalAccount:
    return cast(LocalAccount, Account.create())


def deploy_box(chain: RpcChain, account: LocalAccount) -> str:
    chain.fund(account.address, 10**18)
    return chain.deploy(BoxArtifact(), account)


# -- against anvil ------------------------------------------------------------------------


@pytest.mark.anvil
def test_deploy_call_transact(anvil: AnvilNode, sender: LocalAccount) -> None:
    with rpc_chain(anvil.url, expected_chain_id=31337) as chain:
        assert chain.chain_id == 31337
        assert chain.is_development is True
        assert chain.description == f"JSON-RPC {anvil.url} (chain id 31337)"
        address = deploy_box(chain, sender)
        box = chain.w3.eth.contract(address=address, abi=BoxArtifact().abi)  # type: ignore[call-overload]
        receipt = chain.transact(box.functions.store(42), sender)
        assert receipt["status"] == 1
        assert chain.call(box.functions.value()) == 42
        tx = chain.w3.eth.get_transaction(receipt["transactionHash"])
        assert tx["type"] == 2  # EIP-1559: anvil has a base fee
        assert tx["gas"] > receipt["gasUsed"]  # estimate plus margin


@pytest.mark.anvil
def test_development_flag_follows_the_configuration(anvil: AnvilNode) -> None:
    with rpc_chain(anvil.url, is_development=False) as chain:
        assert chain.is_development is False
        with pytest.raises(ChainError, match="only possible on a development chain"):
            chain.fund(Account.create().address, 1)
        with pytest.raises(ChainError, match="only possible on a development chain"):
            chain.advance_time(60)


@pytest.mark.anvil
def test_chain_id_mismatch_names_both_ids(anvil: AnvilNode) -> None:
    with pytest.raises(ChainError, match=r"reports chain id 31337, the workspace recorded 1\b"):
        rpc_chain(anvil.url, expected_chain_id=1)


@pytest.mark.anvil
def test_reverts_are_decoded(anvil: AnvilNode, sender: LocalAccount) -> None:
    with rpc_chain(anvil.url) as chain:
        address = deploy_box(chain, sender)
        box = chain.w3.eth.contract(address=address, abi=BoxArtifact().abi)  # type: ignore[call-overload]
        with pytest.raises(TransactionError, match=rf"Box__Zero\(0, {sender.address}\)") as info:
            chain.transact(box.functions.store(0), sender)  # reverts at estimate_gas
        assert info.value.error_name == "Box__Zero"
        with pytest.raises(TransactionError, match=r"reverted in|\(block \d+\) reverted") as info:
            chain.transact(box.functions.store(0), sender, gas=100_000)  # mined, status 0
        assert info.value.error_name == "Box__Zero"
        with pytest.raises(TransactionError, match=r"Error\('closed'\)") as info:
            chain.call(box.functions.fail("closed"))
        assert info.value.error_name == "Error"


@pytest.mark.anvil
def test_waits_for_confirmations(anvil_factory: type[AnvilNode], sender: LocalAccount) -> None:
    node = anvil_factory(free_port())
    node.start()
    with rpc_chain(node.url, confirmations=2) as chain:
        address = deploy_box_unconfirmed(node, sender)
        box = chain.w3.eth.contract(address=address, abi=BoxArtifact().abi)  # type: ignore[call-overload]
        outcome: dict[str, Any] = {}

        def send() -> None:
            try:
                receipt = chain.transact(box.functions.store(5), sender)
                outcome["receipt"] = receipt
                outcome["latest"] = chain.latest_block_number()
            except Exception as exc:  # reported below
                outcome["error"] = exc

        worker = threading.Thread(target=send)
        worker.start()
        worker.join(timeout=1.0)
        assert worker.is_alive(), outcome  # anvil mined the block, but nothing after it
        while worker.is_alive():
            node.rpc("evm_mine")
            worker.join(timeout=0.2)
        assert "error" not in outcome, outcome
        assert outcome["receipt"]["status"] == 1
        assert outcome["latest"] >= outcome["receipt"]["blockNumber"] + 2


def deploy_box_unconfirmed(node: AnvilNode, account: LocalAccount) -> str:
    """Deploy through a client without confirmations (the confirming one would wait)."""
    with rpc_chain(node.url) as quick:
        return deploy_box(quick, account)


@pytest.mark.anvil
def test_confirmations_time_out_with_a_clear_message(
    anvil_factory: type[AnvilNode], sender: LocalAccount
) -> None:
    node = anvil_factory(free_port())
    node.start()
    address = deploy_box_unconfirmed(node, sender)
    with rpc_chain(node.url, confirmations=3, timeout_s=0.5) as chain:
        box = chain.w3.eth.contract(address=address, abi=BoxArtifact().abi)  # type: ignore[call-overload]
        with pytest.raises(TransactionError, match=r"has 0 of 3 confirmations"):
            chain.transact(box.functions.store(5), sender)


@pytest.mark.anvil
def test_advance_time(anvil: AnvilNode) -> None:
    with rpc_chain(anvil.url) as chain:
        before = int(chain.block("latest")["timestamp"])
        stamped = chain.advance_time(3_600)
        assert stamped >= before + 3_600
        assert chain.block("latest")["timestamp"] == stamped


@pytest.mark.anvil
def test_node_restart_client_reconnects_and_state_is_kept(
    anvil_factory: type[AnvilNode], tmp_path: Path, sender: LocalAccount
) -> None:
    port = free_port()
    state = tmp_path / "anvil-state.json"
    node = anvil_factory(port, "--state", str(state))
    node.start()
    chain = rpc_chain(node.url)
    address = deploy_box(chain, sender)
    box = chain.w3.eth.contract(address=address, abi=BoxArtifact().abi)  # type: ignore[call-overload]
    chain.transact(box.functions.store(9), sender)
    node.stop()  # SIGTERM: anvil dumps its state
    with pytest.raises(
        ChainUnreachableError, match=f"cannot reach the JSON-RPC node at {node.url}"
    ):
        chain.latest_block_number()
    again = anvil_factory(port, "--state", str(state))
    again.start()
    assert chain.call(box.functions.value()) == 9  # same client, new node process
    chain.transact(box.functions.store(10), sender)
    assert chain.call(box.functions.value()) == 10
    chain.close()


# -- failures without a node ------------------------------------------------------------------


def test_unreachable_url_fails_fast_with_the_url() -> None:
    url = f"http://127.0.0.1:{free_port()}"  # nobody listens there
    with pytest.raises(ChainUnreachableError) as info:
        rpc_chain(url)
    message = str(info.value)
    assert url in message and "connection refused" in message and "\n" not in message


class FakeNode:
    """A local HTTP server answering each POST with the next scripted response."""

    def __init__(self, responses: list[tuple[int, bytes]]) -> None:
        self.responses = responses
        self.requests: list[dict[str, object]] = []
        fake = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                request = json.loads(body)
                fake.requests.append(request)
                status, payload = fake.responses[min(len(fake.requests), len(fake.responses)) - 1]
                payload = payload.replace(b'"id": 0', f'"id": {json.dumps(request["id"])}'.encode())
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> FakeNode:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


CHAIN_ID_ANSWER = (200, b'{"jsonrpc": "2.0", "id": 0, "result": "0x7a69"}')


@pytest.fixture
def fake_node() -> Iterator[Callable[[list[tuple[int, bytes]]], FakeNode]]:
    made: list[FakeNode] = []

    def make(responses: list[tuple[int, bytes]]) -> FakeNode:
        node = FakeNode(responses).__enter__()
        made.append(node)
        return node

    yield make
    for node in made:
        node.__exit__()


def test_transient_http_errors_are_retried(fake_node: Callable[..., FakeNode]) -> None:
    node = fake_node([(503, b"busy"), (429, b"slow down"), CHAIN_ID_ANSWER])
    chain = rpc_chain(node.url, retry_attempts=3)
    assert chain.chain_id == 31337
    assert len(node.requests) == 3


def test_persistent_5xx_is_unreachable(fake_node: Callable[..., FakeNode]) -> None:
    node = fake_node([(502, b"bad gateway")])
    with pytest.raises(ChainUnreachableError, match=r"\(HTTP 502\) after 2 attempts"):
        rpc_chain(node.url)
    assert len(node.requests) == 2


def test_client_errors_are_not_retried(fake_node: Callable[..., FakeNode]) -> None:
    node = fake_node([(401, b"unauthorized")])
    with pytest.raises(ChainError, match="HTTP 401") as info:
        rpc_chain(node.url, retry_attempts=5)
    assert not isinstance(info.value, ChainUnreachableError)
    assert len(node.requests) == 1


def test_an_answer_that_is_not_json_rpc(fake_node: Callable[..., FakeNode]) -> None:
    node = fake_node([(200, b"<html>hello</html>")])
    with pytest.raises(ChainError, match="did not answer as a JSON-RPC node"):
        rpc_chain(node.url)


def test_urls_are_shown_without_credentials() -> None:
    shown = redact_url(
        "https://user:secret@node.example:8545/v3/0123456789abcdef0123456789abcdef?key=k"
    )
    assert shown == "https://node.example:8545/v3/***"
    assert redact_url("http://127.0.0.1:8545") == "http://127.0.0.1:8545"


class ScriptedNode:
    """A local JSON-RPC server run by a function of each request body (dict or batch list)."""

    def __init__(self, answer: Callable[[Any], tuple[int, object]], delay_s: float = 0) -> None:
        self.bodies: list[Any] = []
        scripted = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                scripted.bodies.append(body)
                if delay_s:
                    threading.Event().wait(delay_s)
                status, payload = answer(body)
                data = json.dumps(payload).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except OSError:  # the client gave up waiting
                    pass

            def log_message(self, *args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _one(request: dict[str, Any]) -> dict[str, Any]:
    result = "0x7a69" if request["method"] == "eth_chainId" else "0x" + "00" * 31 + "2a"
    return {"jsonrpc": "2.0", "id": request["id"], "result": result}


def test_a_node_that_stays_silent_is_retried_then_reported_as_timed_out() -> None:
    node = ScriptedNode(lambda body: (200, _one(body)), delay_s=1.0)
    try:
        with pytest.raises(ChainUnreachableError, match=r"\(timed out\) after 2 attempts"):
            rpc_chain(node.url, timeout_s=0.2)
        assert len(node.bodies) == 2  # the first request and one retry
    finally:
        node.close()


def test_calls_go_in_one_batch_and_fall_back_when_a_node_refuses_batches() -> None:
    def batches(body: Any) -> tuple[int, object]:
        if isinstance(body, list):  # answered out of order: matched by id
            return 200, [_one(r) for r in reversed(body)]
        return 200, _one(body)

    def no_batches(body: Any) -> tuple[int, object]:
        if isinstance(body, list):
            return 200, {"jsonrpc": "2.0", "id": None,
                         "error": {"code": -32600, "message": "batches are not supported"}}
        return 200, _one(body)

    for answer, requests_after_connect in ((batches, 1), (no_batches, 4)):
        node = ScriptedNode(answer)
        try:
            chain = rpc_chain(node.url)
            before = len(node.bodies)
            out = chain.call_many("0x" + "11" * 20, [b"\x01", b"\x02", b"\x03"])
            assert out == [bytes(31) + b"\x2a"] * 3
            assert len(node.bodies) - before == requests_after_connect
        finally:
            node.close()
