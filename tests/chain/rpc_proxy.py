"""A tiny threaded JSON-RPC proxy for tests: forwards to a node and lets a test lie.

:class:`RpcProxy` listens on 127.0.0.1 and forwards each HTTP body (one request or a batch)
to the upstream node. Before answering it passes every (request, response) pair through
``rewrite(method, params, response)``, which may return the response changed (a lie);
methods in ``refuse`` are answered "Method not found" without being forwarded. It counts
HTTP round trips and the methods asked. Only for tests; loopback only.
"""

from __future__ import annotations

import json
import threading
import urllib.request
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

__all__ = ["Rewrite", "RpcProxy", "method_not_found", "pass_through"]

#: (method, params, upstream response object) -> the response object to send.
Rewrite = Callable[[str, list[Any], dict[str, Any]], dict[str, Any]]

#: Seconds the proxy waits for the upstream node (a test node on the same machine).
UPSTREAM_TIMEOUT_S = 30


def pass_through(_method: str, _params: list[Any], response: dict[str, Any]) -> dict[str, Any]:
    return response


def method_not_found(request_id: object, method: str) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": request_id,
            "error": {"code": -32601, "message": f"the method {method} does not exist"}}


class RpcProxy:
    """Use as a context manager; ``url`` is the proxy's address."""

    def __init__(self, upstream: str, rewrite: Rewrite = pass_through, *,
                 refuse: set[str] | None = None, refuse_batches: bool = False) -> None:
        self.upstream = upstream
        self.rewrite = rewrite
        self.refuse = set() if refuse is None else refuse
        self.refuse_batches = refuse_batches
        self.posts = 0
        self.methods: list[str] = []
        self._lock = threading.Lock()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                request = json.loads(body)
                calls = request if isinstance(request, list) else [request]
                with proxy._lock:
                    proxy.posts += 1
                    proxy.methods.extend(str(c.get("method")) for c in calls)
                if isinstance(request, list) and proxy.refuse_batches:
                    self._send(400, {"jsonrpc": "2.0", "id": None, "error": {
                        "code": -32600, "message": "batch requests are not supported"}})
                    return
                answers = [proxy._answer(call) for call in calls]
                self._send(200, answers if isinstance(request, list) else answers[0])

            def _send(self, status: int, payload: object) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *_args: object) -> None:
                return None

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def _answer(self, call: dict[str, Any]) -> dict[str, Any]:
        method = str(call.get("method"))
        params = list(call.get("params") or [])
        if method in self.refuse:
            return method_not_found(call.get("id"), method)
        request = urllib.request.Request(self.upstream, data=json.dumps(call).encode(),
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=UPSTREAM_TIMEOUT_S) as reply:
            response = json.loads(reply.read())
        return self.rewrite(method, params, response)

    def __enter__(self) -> RpcProxy:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def reset(self) -> None:
        with self._lock:
            self.posts = 0
            self.methods.clear()
