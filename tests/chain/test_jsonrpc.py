"""The lean JSON-RPC client against small local servers that misbehave on purpose."""

from __future__ import annotations

import http.server
import json
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from evidence.chain.jsonrpc import MAX_BATCH, JsonRpcClient, redact_url
from evidence.errors import ChainError, ChainUnreachableError, NodeCapabilityError

from .conftest import free_port

#: (HTTP status, body) for one POST, from the request's JSON.
Script = Callable[[Any, int], tuple[int, object]]
SECRET_URL_PARTS = ("user", "secret", "k" * 32, "apikey")


class FakeNode:
    """A local HTTP server answering each POST with ``script(request, n)`` (n counts POSTs)."""

    def __init__(self, script: Script) -> None:
        self.script = script
        self.posts = 0
        node = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                node.posts += 1
                status, payload = node.script(body, node.posts)
                data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *_args: object) -> None:
                return None

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        port = self.server.server_address[1]
        self.url = f"http://user:secret@127.0.0.1:{port}/v3/{'k' * 32}?apikey=1"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def fake() -> Iterator[Callable[[Script], FakeNode]]:
    made: list[FakeNode] = []

    def make(script: Script) -> FakeNode:
        made.append(FakeNode(script))
        return made[-1]

    yield make
    for node in made:
        node.close()


def _result(request: Any) -> object:
    """An honest node: echoes the method name as the result."""
    if isinstance(request, list):
        return [{"jsonrpc": "2.0", "id": r["id"], "result": r["method"]} for r in request]
    return {"jsonrpc": "2.0", "id": request["id"], "result": request["method"]}


def _client(node: FakeNode, **kwargs: Any) -> JsonRpcClient:
    return JsonRpcClient(node.url, **{"retries": 2, "backoff_s": 0.01, "timeout_s": 2,
                                      **kwargs})


def _secret_free(text: str) -> None:
    for part in SECRET_URL_PARTS:
        assert part not in text, text


def test_call_and_batch(fake: Callable[[Script], FakeNode]) -> None:
    node = fake(lambda r, n: (200, _result(r)))
    client = _client(node)
    assert client.call("eth_chainId", []) == "eth_chainId"
    answers = client.batch([(f"m{i}", []) for i in range(5)])
    assert [a.result for a in answers] == [f"m{i}" for i in range(5)]
    assert node.posts == 2  # one round trip for the batch
    client.batch([("m", [])] * (MAX_BATCH + 1))
    assert node.posts == 4  # a long batch is cut at MAX_BATCH


def test_batch_answers_are_matched_by_id(fake: Callable[[Script], FakeNode]) -> None:
    def shuffled(request: Any, n: int) -> tuple[int, object]:
        answer = _result(request)
        return 200, list(reversed(answer)) if isinstance(answer, list) else answer

    client = _client(fake(shuffled))
    assert [a.result for a in client.batch([("a", []), ("b", []), ("c", [])])] == ["a", "b", "c"]


@pytest.mark.parametrize("refusal", [
    (200, {"jsonrpc": "2.0", "id": None, "error": {"code": -32600, "message": "no batches"}}),
    (400, {"jsonrpc": "2.0", "id": None, "error": {"code": -32600, "message": "no batches"}}),
    (413, b"payload too large"),
])
def test_a_node_refusing_batches_is_asked_one_by_one(fake: Callable[[Script], FakeNode],
                                                     refusal: tuple[int, object]) -> None:
    node = fake(lambda r, n: refusal if isinstance(r, list) else (200, _result(r)))
    client = _client(node)
    assert [a.result for a in client.batch([("a", []), ("b", [])])] == ["a", "b"]
    assert client.batches is False
    posts = node.posts
    client.batch([("c", []), ("d", [])])
    assert node.posts == posts + 2  # no batch tried again


def test_error_answers(fake: Callable[[Script], FakeNode]) -> None:
    def errors(request: Any, n: int) -> tuple[int, object]:
        code = -32601 if request["method"] == "missing" else -32000
        return 200, {"jsonrpc": "2.0", "id": request["id"],
                     "error": {"code": code, "message": f"{request['method']} failed"}}

    client = _client(fake(errors))
    with pytest.raises(NodeCapabilityError, match="does not offer missing") as caught:
        client.call("missing", [])
    _secret_free(str(caught.value))
    with pytest.raises(NodeCapabilityError, match=r"refused other: other failed \(code -32000\)"):
        client.call("other", [])
    answer = client.answer("missing", [])
    assert not answer.ok and answer.unknown_method


def test_transient_failures_are_retried(fake: Callable[[Script], FakeNode]) -> None:
    node = fake(lambda r, n: (503, b"busy") if n < 3 else (200, _result(r)))
    assert _client(node).call("eth_blockNumber", []) == "eth_blockNumber"
    assert node.posts == 3


def test_rate_limited_for_good(fake: Callable[[Script], FakeNode]) -> None:
    node = fake(lambda r, n: (429, b"slow down"))
    with pytest.raises(NodeCapabilityError, match="rate limited") as caught:
        _client(node).call("eth_getLogs", [])
    assert node.posts == 3
    _secret_free(str(caught.value))


def test_server_errors_for_good(fake: Callable[[Script], FakeNode]) -> None:
    node = fake(lambda r, n: (502, b"bad gateway"))
    with pytest.raises(ChainUnreachableError, match="after 3 attempts") as caught:
        _client(node).call("eth_chainId", [])
    _secret_free(str(caught.value))


def test_credentials_refused(fake: Callable[[Script], FakeNode]) -> None:
    with pytest.raises(ChainError, match=r"HTTP 401.*credentials") as caught:
        _client(fake(lambda r, n: (401, b"no"))).call("eth_chainId", [])
    _secret_free(str(caught.value))


def test_not_json(fake: Callable[[Script], FakeNode]) -> None:
    with pytest.raises(ChainError, match="did not answer eth_chainId as a JSON-RPC node"):
        _client(fake(lambda r, n: (200, b"<html>hello</html>"))).call("eth_chainId", [])


def test_silent_node() -> None:
    url = f"http://user:secret@127.0.0.1:{free_port()}/v3/{'k' * 32}?apikey=1"
    started = time.monotonic()
    with pytest.raises(ChainUnreachableError, match="connection refused") as caught:
        JsonRpcClient(url, retries=1, backoff_s=0.01).call("eth_chainId", [])
    assert time.monotonic() - started < 10
    _secret_free(str(caught.value))


def test_timeout(fake: Callable[[Script], FakeNode]) -> None:
    def slow(request: Any, n: int) -> tuple[int, object]:
        time.sleep(1.5)
        return 200, _result(request)

    with pytest.raises(ChainUnreachableError, match="timed out"):
        _client(fake(slow), timeout_s=0.3, retries=0).call("eth_chainId", [])


def test_not_a_url() -> None:
    with pytest.raises(ChainError, match="not an http"):
        JsonRpcClient("ftp://example.invalid/")


@pytest.mark.parametrize(("url", "shown"), [
    ("https://user:pw@node.example:8545/v3/0123456789abcdef0123456789abcdef?key=x",
     "https://node.example:8545/v3/***"),
    ("http://127.0.0.1:8545", "http://127.0.0.1:8545"),
    ("http://[::1]:8545/rpc", "http://[::1]:8545/rpc"),
])
def test_redact_url(url: str, shown: str) -> None:
    assert redact_url(url) == shown
