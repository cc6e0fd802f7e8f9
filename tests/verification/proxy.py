"""A JSON-RPC proxy in front of an honest node that lies the way an adversary's node would.

:class:`LyingProxy` listens on 127.0.0.1, forwards every request (single or batch) to the
upstream node and passes each answer through ``rewrite(method, params, response)`` before
returning it. It records the methods it was asked, so a test can also prove a node was
*not* asked. Written for these tests: about as much code as the adversary of issue 19 used.
"""

from __future__ import annotations

import json
import threading
import urllib.request
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

__all__ = ["LyingProxy", "Rewrite", "honest"]

#: (method, params, response object) -> the response object to send instead.
Rewrite = Callable[[str, list[Any], dict[str, Any]], dict[str, Any]]


def honest(_method: str, _params: list[Any], response: dict[str, Any]) -> dict[str, Any]:
    return response


class LyingProxy:
    """Use as a context manager; ``url`` is the proxy's address."""

    def __init__(self, upstream: str, rewrite: Rewrite = honest) -> None:
        self.upstream = upstream
        self.rewrite = rewrite
        self.methods: list[str] = []
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                request = json.loads(body)
                calls = request if isinstance(request, list) else [request]
                proxy.methods.extend(str(c.get("method")) for c in calls)
                upstream_request = urllib.request.Request(
                    proxy.upstream, data=body, headers={"Content-Type": "application/json"})
                with urllib.request.urlopen(upstream_request, timeout=30) as reply:
                    answer = json.loads(reply.read())
                answers = answer if isinstance(answer, list) else [answer]
                by_id = {c.get("id"): c for c in calls}
                changed = []
                for a in answers:
                    call = by_id.get(a.get("id"), {})
                    changed.append(proxy.rewrite(str(call.get("method")),
                                                 list(call.get("params") or []), a))
                data = json.dumps(changed if isinstance(answer, list) else changed[0]).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *_args: object) -> None:
                return None

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> LyingProxy:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
