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

import time
import urllib.parse
from typing import TYPE_CHECKING, Any, cast

import requests
from web3 import HTTPProvider, Web3

from evidence.chain.backend import ChainClient, ChainConfig, _checksum
from evidence.errors import ChainError, ChainUnreachableError, ConfigurationError

if TYPE_CHECKING:
    from eth_typing import URI
    from web3.types import RPCEndpoint, RPCResponse

__all__ = [
    "DEVELOPMENT_CHAIN_IDS",
    "MAX_RETRY_DELAY_S",
    "RETRYABLE_HTTP_STATUS",
    "RpcChain",
    "redact_url",
]

#: Chain ids that only development nodes use: 1337 (ganache, geth --dev, Besu dev) and
#: 31337 (anvil and hardhat defaults). Anchors on them have no evidential value.
DEVELOPMENT_CHAIN_IDS = frozenset({1337, 31337})

#: HTTP statuses worth retrying: rate limited (429) and server-side trouble (5xx gateways
#: and overloaded nodes). Other 4xx answers are the caller's fault and are not retried.
RETRYABLE_HTTP_STATUS = frozenset({429, 500, 502, 503, 504})

#: Ceiling for one backoff delay in seconds, so that a long retry series stays responsive.
MAX_RETRY_DELAY_S = 8.0


def redact_url(url: str) -> str:
    """``url`` without credentials or query string (provider URLs often embed API keys)."""
    parts = urllib.parse.urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    netloc = host if parts.port is None else f"{host}:{parts.port}"
    path = parts.path
    segments = path.split("/")
    # An API key in the path (e.g. /v3/<32 hex>) is hidden too: long opaque segments.
    segments = ["***" if len(segment) >= 24 else segment for segment in segments]
    return urllib.parse.urlunsplit((parts.scheme, netloc, "/".join(segments), "", ""))


class _RetryingHTTPProvider(HTTPProvider):
    """web3's HTTP provider with our own retry policy and error wrapping."""

    def __init__(self, url: str, *, timeout_s: float, attempts: int, base_delay_s: float) -> None:
        super().__init__(
            url, request_kwargs={"timeout": timeout_s}, exception_retry_configuration=None
        )
        self._shown_url = redact_url(url)
        self._attempts = attempts
        self._base_delay_s = base_delay_s

    def _make_request(self, method: RPCEndpoint, request_data: bytes) -> bytes:
        last: Exception | None = None
        for attempt in range(self._attempts):
            if attempt:
                time.sleep(min(MAX_RETRY_DELAY_S, self._base_delay_s * 2 ** (attempt - 1)))
            try:
                return self._request_session_manager.make_post_request(
                    cast("URI", self.endpoint_uri), request_data, **self.get_request_kwargs()
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
