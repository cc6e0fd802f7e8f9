"""Any EVM JSON-RPC node by URL: the scale-out and production chain.

A consortium network (for example Hyperledger Besu with QBFT validators run by courts and
notaries in several countries), a public chain, or a local anvil node for tests. The node
is reached over HTTP(S) with a request timeout; transient failures (connection refused or
reset, timeouts, HTTP 429 and 5xx) are retried with exponential backoff, and a node that
stays silent is reported as :class:`~evidence.errors.ChainUnreachableError`.

The chain id the node reports (``eth_chainId``, EIP-695) must equal the one the workspace
recorded; transactions are signed locally (EIP-155 chain id, EIP-1559 fees when the chain
has a base fee) and wait for ``confirmations`` further blocks.

How it fails: :class:`~evidence.errors.ChainUnreachableError` (node silent),
:class:`~evidence.errors.ChainError` (chain id mismatch, an answer that is not JSON-RPC,
a development-only call on a production chain), :class:`~evidence.errors.TransactionError`
(revert, not mined in time).
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, cast

import requests
from web3 import HTTPProvider, Web3

from evidence.chain.backend import (
    _ALREADY_SENT_MARKERS,
    ChainClient,
    ChainConfig,
    LogEntry,
    _checksum,
    _revert_error,
)
from evidence.chain.jsonrpc import MAX_RETRY_DELAY_S, RETRYABLE_HTTP_STATUS, redact_url
from evidence.chain.types import DEVELOPMENT_CHAIN_IDS
from evidence.errors import ChainError, ChainUnreachableError, ConfigurationError

if TYPE_CHECKING:
    from eth_typing import URI
    from web3.types import RPCResponse

from web3.types import RPCEndpoint

__all__ = [
    "DEVELOPMENT_CHAIN_IDS",
    "MAX_RETRY_DELAY_S",
    "RETRYABLE_HTTP_STATUS",
    "RpcChain",
    "redact_url",
]


class _RetryingHTTPProvider(HTTPProvider):
    """web3's HTTP provider with our own retry policy and error wrapping."""

    def __init__(self, url: str, *, timeout_s: float, attempts: int, base_delay_s: float) -> None:
        # The chain id is cached: web3 validates every call and transaction against it, one
        # extra eth_chainId round trip each otherwise; it is checked once in connect().
        super().__init__(
            url, request_kwargs={"timeout": timeout_s}, exception_retry_configuration=None,
            cache_allowed_requests=True,
            cacheable_requests={cast("RPCEndpoint", "eth_chainId")},
            request_cache_validation_threshold=None,  # no extra eth_chainId to pick one
        )
        self._shown_url = redact_url(url)
        self._attempts = attempts
        self._base_delay_s = base_delay_s
        self._environment: dict[str, Any] | None = None

    def _post_kwargs(self) -> dict[str, Any]:
        """The request options, with the environment's proxy, CA bundle and netrc settings
        read once: requests would otherwise read them again on every request (it scans
        the whole environment each time), which costs more than a round trip to a local
        node. The HTTP session then stops looking at the environment."""
        uri = cast("URI", self.endpoint_uri)
        session = self._request_session_manager.cache_and_return_session(uri)
        if self._environment is None:
            merged = session.merge_environment_settings(str(uri), {}, None, None, None)
            self._environment = {k: v for k, v in merged.items()
                                 if k in ("proxies", "verify", "cert") and v is not None}
            self._environment["auth"] = requests.utils.get_netrc_auth(str(uri))
        session.trust_env = False
        return {**self.get_request_kwargs(), **self._environment}

    def _make_request(self, method: RPCEndpoint, request_data: bytes) -> bytes:
        last: Exception | None = None
        for attempt in range(self._attempts):
            if attempt:
                time.sleep(min(MAX_RETRY_DELAY_S, self._base_delay_s * 2 ** (attempt - 1)))
            try:
                return self._request_session_manager.make_post_request(
                    cast("URI", self.endpoint_uri), request_data, **self._post_kwargs()
                )
            except requests.HTTPError as exc:
                status = exc.response.status_code if exc.response is not None else None
                if status not in RETRYABLE_HTTP_STATUS:
                    raise ChainError(
                        f"the node at {self._shown_url} answered HTTP {status} to {method}; "
                        "check the URL and its credentials"
                    ) from exc
                last = exc
            except (
                requests.ConnectionError,
                requests.Timeout,
                requests.exceptions.ChunkedEncodingError,
                OSError,
            ) as exc:
                last = exc
            except requests.RequestException as exc:  # a malformed URL and the like
                raise ChainError(
                    f"cannot send {method} to {self._shown_url}: "
                    f"{type(exc).__name__}; check the URL"
                ) from exc
        reason = _reason(last)
        raise ChainUnreachableError(
            f"cannot reach the JSON-RPC node at {self._shown_url} ({reason}) after "
            f"{self._attempts} attempts; check the URL and that the node is running"
        ) from last

    def make_request(self, method: RPCEndpoint, params: Any) -> RPCResponse:
        try:
            return super().make_request(method, params)
        except ValueError as exc:  # JSON errors: an HTML page, a proxy's error text...
            raise ChainError(
                f"{self._shown_url} did not answer as a JSON-RPC node (no JSON in its reply)"
            ) from exc


def _hex_bytes(value: object) -> bytes:
    """A node's ``0x``-hex answer as bytes; anything else is not a JSON-RPC answer."""
    if isinstance(value, str) and value.startswith(("0x", "0X")):
        try:
            return bytes.fromhex(value[2:])
        except ValueError:
            pass
    raise ChainError(f"the node answered {str(value)[:80]!r} where hex data was expected")


def _reason(exc: Exception | None) -> str:
    if isinstance(exc, requests.Timeout):
        return "timed out"
    if isinstance(exc, requests.HTTPError) and exc.response is not None:
        return f"HTTP {exc.response.status_code}"
    if isinstance(exc, requests.ConnectionError):
        text = str(exc).lower()
        if "refused" in text:
            return "connection refused"
        if "reset" in text:
            return "connection reset"
        if "name or service" in text or "resolve" in text:
            return "host name not found"
        return "connection failed"
    return type(exc).__name__ if exc is not None else "no answer"


class RpcChain(ChainClient):
    """A chain reached through a JSON-RPC node; open it with :meth:`connect`."""

    def __init__(self, w3: Web3, *, chain_id: int, config: ChainConfig, url: str) -> None:
        super().__init__(w3, chain_id=chain_id, config=config)
        self._shown_url = redact_url(url)

    @classmethod
    def connect(cls, config: ChainConfig) -> RpcChain:
        """Connect to ``config.url`` and check its chain id against ``expected_chain_id``.

        Raises :class:`ChainUnreachableError` when the node does not answer and
        :class:`ChainError` when it reports another chain id.
        """
        if config.kind != "rpc" or not config.url:
            raise ConfigurationError("RpcChain needs a configuration of kind 'rpc' with a URL")
        provider = _RetryingHTTPProvider(
            config.url,
            timeout_s=config.timeout_s,
            attempts=config.retry_attempts,
            base_delay_s=config.retry_base_delay_s,
        )
        w3 = Web3(provider)
        shown = redact_url(config.url)
        client = cls(w3, chain_id=0, config=config, url=config.url)
        with client._errors(f"reading the chain id of {shown}"):
            reported = int(w3.eth.chain_id)
        if config.expected_chain_id is not None and reported != config.expected_chain_id:
            raise ChainError(
                f"chain id mismatch: the node at {shown} reports chain id {reported}, "
                f"the workspace recorded {config.expected_chain_id}; check the URL"
            )
        client._chain_id = reported
        return client

    @property
    def is_development(self) -> bool:
        if self._config.is_development is not None:
            return self._config.is_development
        return self._chain_id in DEVELOPMENT_CHAIN_IDS

    @property
    def description(self) -> str:
        return f"JSON-RPC {self._shown_url} (chain id {self._chain_id})"

    def close(self) -> None:
        """Close the HTTP sessions web3 keeps for this node."""
        provider = self._w3.provider
        manager = getattr(provider, "_request_session_manager", None)
        cache = getattr(manager, "session_cache", None)
        if cache is not None:
            for _, session in list(cache.items()):
                session.close()
            cache.clear()

    # -- the lean request path --------------------------------------------------------
    #
    # Hot loops (``witness serve``) read and send through these: one JSON-RPC request
    # straight to the provider, without web3's middleware and result formatting, which
    # cost several times the round trip to a local node.

    def _request(self, method: str, params: list[Any], action: str) -> Any:
        """One JSON-RPC request; the raw ``result``. A node error raises ChainError, a
        revert (an error carrying ``data``) a TransactionError naming the decoded error."""
        return self._result(self._w3.provider.make_request(RPCEndpoint(method), params), action)

    def _batch(self, calls: Sequence[tuple[str, list[Any]]], action: str) -> list[Any]:
        """Several requests in one JSON-RPC batch (JSON-RPC 2.0 §6): one HTTP round trip.
        Each answer is a response object (``result`` or ``error``), in the calls' order. A
        node that refuses batches is asked one request at a time instead."""
        provider = self._w3.provider
        if len(calls) <= 1 or not isinstance(provider, _RetryingHTTPProvider):
            return [provider.make_request(RPCEndpoint(m), p) for m, p in calls]
        body = json.dumps([{"jsonrpc": "2.0", "id": n, "method": m, "params": p}
                           for n, (m, p) in enumerate(calls)]).encode()
        try:
            answer = json.loads(provider._make_request(RPCEndpoint("batch"), body))
        except ValueError as exc:
            raise ChainError(f"{action}: {self._shown_url} did not answer as a JSON-RPC node "
                             "(no JSON in its reply)") from exc
        by_id = {r.get("id"): r for r in answer if isinstance(r, dict)} if isinstance(
            answer, list) else {}
        if set(by_id) != set(range(len(calls))):
            return [provider.make_request(RPCEndpoint(m), p) for m, p in calls]
        return [by_id[n] for n in range(len(calls))]

    def _result(self, response: Any, action: str) -> Any:
        """The ``result`` of one response object, or its error raised (see _request)."""
        error = response.get("error")
        if error is None:
            return response.get("result")
        message = str(error.get("message", "")) if isinstance(error, dict) else str(error)
        data = error.get("data") if isinstance(error, dict) else None
        if isinstance(data, dict):
            data = data.get("data")
        if isinstance(data, str) and data.startswith("0x"):
            try:
                payload = bytes.fromhex(data[2:])
            except ValueError:
                payload = None
            if payload:
                raise _revert_error(action, payload, None)
        if "revert" in message.lower():
            raise _revert_error(action, None, None, fallback=message)
        raise ChainError(f"{action} failed on {self.description}: {' '.join(message.split())}")

    def call_data(self, to: str, data: bytes) -> bytes:
        checksum = _checksum(to)
        result = self._request("eth_call", [{"to": checksum, "data": "0x" + data.hex()},
                                            "latest"], f"call to {checksum}")
        return _hex_bytes(result)

    def call_many(self, to: str, payloads: Sequence[bytes]) -> list[bytes]:
        checksum = _checksum(to)
        action = f"call to {checksum}"
        answers = self._batch([("eth_call", [{"to": checksum, "data": "0x" + data.hex()},
                                             "latest"]) for data in payloads], action)
        return [_hex_bytes(self._result(answer, action)) for answer in answers]

    def _send_raws(self, signed: Sequence[tuple[bytes, bytes]]) -> list[bytes]:
        action = f"sending {len(signed)} transactions"
        answers = self._batch([("eth_sendRawTransaction", ["0x" + raw.hex()])
                               for raw, _ in signed], action)
        hashes: list[bytes] = []
        for answer, (raw, tx_hash) in zip(answers, signed, strict=True):
            if answer.get("error") is None:
                hashes.append(_hex_bytes(answer.get("result")))
            else:  # the node's own explanation, or the same send again (already known)
                hashes.append(self._send_raw(raw, tx_hash))
        return hashes

    def logs(
        self, address: str, topics: Sequence[bytes | None], from_block: int, to_block: int
    ) -> list[LogEntry]:
        checksum = _checksum(address)
        query = {"address": checksum, "fromBlock": hex(from_block), "toBlock": hex(to_block),
                 "topics": [None if t is None else "0x" + t.hex() for t in topics]}
        found = self._request("eth_getLogs", [query], f"reading the logs of {checksum} in "
                              f"blocks {from_block}-{to_block}")
        return [
            LogEntry(int(log["blockNumber"], 16), _hex_bytes(log["transactionHash"]),
                     tuple(_hex_bytes(t) for t in log["topics"]), _hex_bytes(log["data"]))
            for log in found or ()
        ]

    def _send_raw(self, raw: bytes, tx_hash: bytes) -> bytes:
        """Send a signed transaction; a retried send the node already has is not an error."""
        action = f"sending transaction 0x{tx_hash.hex()}"
        try:
            return _hex_bytes(self._request("eth_sendRawTransaction", ["0x" + raw.hex()], action))
        except ChainError as exc:
            if not any(marker in str(exc).lower() for marker in _ALREADY_SENT_MARKERS):
                raise
            known = self._request("eth_getTransactionByHash", ["0x" + tx_hash.hex()], action)
            if known is None:
                raise
            return tx_hash

    # -- development operations -------------------------------------------------------

    def fund(self, address: str, wei: int) -> None:
        """Add ``wei`` to ``address`` on a development node (``anvil_setBalance`` or
        ``hardhat_setBalance``). Raises :class:`ChainError` on any other chain."""
        self._require_development("funding accounts")
        if wei <= 0:
            raise ChainError("the amount to fund must be a positive number of wei")
        to = _checksum(address)
        with self._errors(f"funding {to}"):
            balance = int(self._w3.eth.get_balance(to))
            target = hex(balance + wei)
            last: Exception | None = None
            for method in ("anvil_setBalance", "hardhat_setBalance"):
                try:
                    self._w3.manager.request_blocking(cast("RPCEndpoint", method), [to, target])
                    return
                except Exception as exc:
                    last = exc
        raise ChainError(
            f"{self.description} cannot fund accounts (no anvil_setBalance or "
            f"hardhat_setBalance); send ether to {to} from a funded account"
        ) from last

    def advance_time(self, seconds: int) -> int:
        """Move a development node's clock (``evm_increaseTime``) and mine a block."""
        self._require_development("moving the clock")
        if seconds < 0:
            raise ChainError("time only moves forward: seconds must not be negative")
        with self._errors("advancing the node's clock"):
            manager = self._w3.manager
            manager.request_blocking(cast("RPCEndpoint", "evm_increaseTime"), [max(1, seconds)])
            manager.request_blocking(cast("RPCEndpoint", "evm_mine"), [])
            return int(self._w3.eth.get_block("latest")["timestamp"])

    def _require_development(self, what: str) -> None:
        if not self.is_development:
            raise ChainError(
                f"{what} is only possible on a development chain, not {self.description}"
            )
