"""A lean JSON-RPC 2.0 client over HTTP(S), without web3.

Verification reads a chain through a handful of requests and must not pay web3's import
(seconds): this client sends JSON-RPC 2.0 requests (JSON-RPC 2.0 specification, §4 and §6
"Batch") with urllib3, which is installed with requests. Transient failures (connection
refused or reset, timeouts, HTTP 429 and 5xx) are retried with exponential backoff by
urllib3's :class:`~urllib3.util.Retry`; each request has a timeout. Several requests go in
one HTTP round trip as a batch; a node that refuses batches is asked one request at a time
from then on. Proxies are taken from the environment (``HTTPS_PROXY``, ``NO_PROXY``...), as
requests does, except for a node on the loopback interface.

URLs often embed API keys: every message names the node by :func:`redact_url`.

How it fails: :class:`~evidence.errors.ChainUnreachableError` when the node stays silent
(no connection, timeouts, 5xx after the retries); :class:`~evidence.errors.NodeCapabilityError`
when it refuses (an error object, an unknown method, rate limiting after the retries, HTTP
4xx); :class:`~evidence.errors.ChainError` when what it sends is not JSON-RPC.
"""

from __future__ import annotations

import json
import urllib.parse
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import urllib3
from urllib3.exceptions import HTTPError, MaxRetryError, ResponseError
from urllib3.util import Retry, Timeout

from evidence.errors import ChainError, ChainUnreachableError, NodeCapabilityError, NodeProofError

__all__ = [
    "DEFAULT_RETRIES",
    "DEFAULT_TIMEOUT_S",
    "MAX_BATCH",
    "MAX_RETRY_DELAY_S",
    "RETRYABLE_HTTP_STATUS",
    "Answer",
    "JsonRpcClient",
    "redact_url",
]

#: HTTP statuses worth retrying: rate limited (429) and server-side trouble (5xx gateways
#: and overloaded nodes). Other 4xx answers are the caller's fault and are not retried.
RETRYABLE_HTTP_STATUS = frozenset({429, 500, 502, 503, 504})
#: Ceiling for one backoff delay in seconds, so that a long retry series stays responsive.
MAX_RETRY_DELAY_S = 8.0
#: Seconds to wait for a connection and for each answer: a public node answers a proof
#: in well under a second; a minute means it is not going to.
DEFAULT_TIMEOUT_S = 30.0
#: Attempts after the first for one request (connect errors, timeouts, 429/5xx).
DEFAULT_RETRIES = 3
#: First backoff delay in seconds (then doubled, up to MAX_RETRY_DELAY_S).
DEFAULT_BACKOFF_S = 0.5
#: Most requests in one batch: hosted nodes commonly cap batches at 100 (geth's own limit
#: is 1000); a longer list is sent as several batches.
MAX_BATCH = 100
#: Largest answer read from a node: a block's receipts on a busy chain are a few MB; an
#: answer of more is refused rather than held in memory.
MAX_ANSWER_BYTES = 256 * 1024 * 1024
#: JSON-RPC 2.0 §5.1: "Method not found".
METHOD_NOT_FOUND = -32601
#: Words nodes use in their own "no such method" messages (geth: "the method x does not
#: exist/is not available"; Besu: "Method not found"; Nethermind: "not supported").
_UNKNOWN_METHOD_WORDS = ("method not found", "does not exist", "not available",
                         "not supported", "unsupported method", "unknown method")


def redact_url(url: str) -> str:
    """``url`` without credentials or query string (provider URLs often embed API keys)."""
    parts = urllib.parse.urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    try:
        port = parts.port
    except ValueError:
        port = None
    netloc = host if port is None else f"{host}:{port}"
    path = parts.path
    segments = path.split("/")
    # An API key in the path (e.g. /v3/<32 hex>) is hidden too: long opaque segments.
    segments = ["***" if len(segment) >= 24 else segment for segment in segments]
    return urllib.parse.urlunsplit((parts.scheme, netloc, "/".join(segments), "", ""))


@dataclass(frozen=True)
class Answer:
    """One JSON-RPC response object: ``result``, or an error (``code``, ``message``)."""

    result: Any = None
    error_code: int | None = None
    error_message: str | None = None

    @property
    def ok(self) -> bool:
        return self.error_code is None and self.error_message is None

    @property
    def unknown_method(self) -> bool:
        """The node does not offer the method (JSON-RPC's code, or the usual wording)."""
        if self.error_code == METHOD_NOT_FOUND:
            return True
        text = (self.error_message or "").lower()
        return any(words in text for words in _UNKNOWN_METHOD_WORDS)


def _answer(obj: object) -> Answer:
    if not isinstance(obj, dict):
        return Answer(error_code=-32603, error_message="not a JSON-RPC response object")
    error = obj.get("error")
    if error is None:
        return Answer(result=obj.get("result"))
    if isinstance(error, dict):
        code = error.get("code")
        return Answer(error_code=code if isinstance(code, int) else -32603,
                      error_message=" ".join(str(error.get("message", "")).split())[:300])
    return Answer(error_code=-32603, error_message=" ".join(str(error).split())[:300])


def _pool(url: str, retries: Retry, timeout: Timeout) -> urllib3.PoolManager:
    """A connection pool for ``url``, through the environment's proxy for it if any."""
    scheme = urllib.parse.urlsplit(url).scheme
    host = urllib.parse.urlsplit(url).hostname or ""
    proxy = urllib.request.getproxies().get(scheme)
    loopback = host in ("localhost", "::1") or host.startswith("127.")
    if proxy and not loopback and not urllib.request.proxy_bypass(host):
        return urllib3.ProxyManager(proxy, retries=retries, timeout=timeout, maxsize=4)
    return urllib3.PoolManager(retries=retries, timeout=timeout, maxsize=4)


class JsonRpcClient:
    """One node, by URL. Thread-safe (urllib3's pools are)."""

    def __init__(self, url: str, *, timeout_s: float = DEFAULT_TIMEOUT_S,
                 retries: int = DEFAULT_RETRIES,
                 backoff_s: float = DEFAULT_BACKOFF_S) -> None:
        parts = urllib.parse.urlsplit(url)
        self.url = url
        self.shown = redact_url(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ChainError(f"{self.shown!r} is not an http(s) URL of a JSON-RPC node")
        self._attempts = retries + 1
        retry = Retry(
            total=retries, connect=retries, read=retries, status=retries, other=0,
            redirect=0, backoff_factor=backoff_s, backoff_max=MAX_RETRY_DELAY_S,
            status_forcelist=RETRYABLE_HTTP_STATUS, allowed_methods=None,
            raise_on_status=True,
            # A Retry-After of minutes would stall verification: the backoff is ours.
            respect_retry_after_header=False,
        )
        self._pool = _pool(url, retry, Timeout(connect=timeout_s, read=timeout_s))
        self._next_id = 0
        self.batches = True  # False once the node refused a batch

    def close(self) -> None:
        self._pool.clear()

    # -- transport -------------------------------------------------------------------------

    def _post(self, payload: object, what: str) -> object:
        body = json.dumps(payload).encode()
        try:
            response = self._pool.request(
                "POST", self.url, body=body,
                headers={"Content-Type": "application/json", "Accept": "application/json"},
                preload_content=False)
        except MaxRetryError as exc:
            reason = exc.reason
            if isinstance(reason, ResponseError) and "429" in str(reason):
                raise NodeCapabilityError(
                    f"kept answering HTTP 429 (rate limited) to {what} after "
                    f"{self._attempts} attempts; verify later or through another node",
                    node=self.shown) from exc
            raise ChainUnreachableError(
                f"cannot reach the JSON-RPC node at {self.shown} ({_reason(reason)}) after "
                f"{self._attempts} attempts; check the URL and that the node is running"
            ) from exc
        except HTTPError as exc:
            raise ChainUnreachableError(
                f"cannot reach the JSON-RPC node at {self.shown} ({_reason(exc)}); check "
                "the URL and that the node is running") from exc
        try:
            raw = response.read(MAX_ANSWER_BYTES + 1, decode_content=True)
            status = response.status
        except HTTPError as exc:
            raise ChainUnreachableError(
                f"the JSON-RPC node at {self.shown} broke off its answer to {what} "
                f"({_reason(exc)})") from exc
        finally:
            response.release_conn()
        if len(raw) > MAX_ANSWER_BYTES:
            raise NodeCapabilityError(f"answered {what} with more than {MAX_ANSWER_BYTES} "
                                      "bytes; refused", node=self.shown)
        if status >= 400:
            try:
                return json.loads(raw)  # some nodes send their JSON-RPC error with a 4xx
            except (ValueError, RecursionError):
                pass
            if status in (401, 403):
                raise ChainError(f"the node at {self.shown} answered HTTP {status} to {what}; "
                                 "check the URL and its credentials")
            raise NodeCapabilityError(f"answered HTTP {status} to {what}", node=self.shown)
        try:
            return json.loads(raw)
        except ValueError as exc:
            raise ChainError(f"{self.shown} did not answer {what} as a JSON-RPC node (no JSON "
                             "in its reply)") from exc
        except RecursionError as exc:  # JSON nested deeper than the interpreter's stack
            raise NodeProofError(f"answered {what} with JSON nested too deep to be an "
                                 "answer; refused", node=self.shown) from exc

    def _request(self, method: str, params: Sequence[object]) -> dict[str, object]:
        self._next_id += 1
        return {"jsonrpc": "2.0", "id": self._next_id, "method": method, "params": list(params)}

    # -- API -----------------------------------------------------------------------------

    def answer(self, method: str, params: Sequence[object]) -> Answer:
        """One request; its answer (result or error), for the caller to judge."""
        request = self._request(method, params)
        reply = self._post(request, method)
        if isinstance(reply, list) and len(reply) == 1:
            reply = reply[0]
        return _answer(reply)

    def call(self, method: str, params: Sequence[object]) -> Any:
        """One request; its ``result``. An error answer raises NodeCapabilityError."""
        answer = self.answer(method, params)
        if not answer.ok:
            raise self.refusal(method, answer)
        return answer.result

    def refusal(self, method: str, answer: Answer, *, hint: str = "") -> NodeCapabilityError:
        """The error for a node that answered ``method`` with an error."""
        if answer.unknown_method:
            return NodeCapabilityError(f"does not offer {method} ({answer.error_message})"
                                       f"{hint}", node=self.shown)
        return NodeCapabilityError(f"refused {method}: {answer.error_message} "
                                   f"(code {answer.error_code}){hint}", node=self.shown)

    def batch(self, calls: Sequence[tuple[str, Sequence[object]]]) -> list[Answer]:
        """Several requests, in as few HTTP round trips as the node accepts (at most
        :data:`MAX_BATCH` each); the answers in the calls' order. A node that refuses a
        batch (an error instead of a list, missing answers, an HTTP error) is asked one
        request at a time, now and from then on."""
        out: list[Answer] = []
        for start in range(0, len(calls), MAX_BATCH):
            out.extend(self._batch(calls[start : start + MAX_BATCH]))
        return out

    def _batch(self, calls: Sequence[tuple[str, Sequence[object]]]) -> list[Answer]:
        if len(calls) == 1 or not self.batches:
            return [self.answer(m, p) for m, p in calls]
        requests = [self._request(m, p) for m, p in calls]
        try:
            reply = self._post(requests, f"a batch of {len(calls)} requests")
        except NodeCapabilityError:
            reply = None
        by_id = {}
        if isinstance(reply, list):
            by_id = {r.get("id"): r for r in reply if isinstance(r, dict)}
        ids = [r["id"] for r in requests]
        if not all(i in by_id for i in ids):
            self.batches = False
            return [self.answer(m, p) for m, p in calls]
        return [_answer(by_id[i]) for i in ids]


def _reason(exc: BaseException | None) -> str:
    text = str(exc).lower()
    name = type(exc).__name__.lower()
    if "timeout" in name or "timed out" in text:
        return "timed out"
    if "refused" in text:
        return "connection refused"
    if "reset" in text:
        return "connection reset"
    if "name or service" in text or "resolve" in text or "nodename" in text:
        return "host name not found"
    if isinstance(exc, ResponseError):
        return "kept answering with server errors"
    return type(exc).__name__ if exc is not None else "no answer"
