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

import contextlib
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any, cast

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry
from web3 import HTTPProvider, Web3

from evidence.chain.backend import (
    ALREADY_SENT_MARKERS,
    ChainClient,
    ChainConfig,
    LogEntry,
    checksum_address,
    revert_error,
)
from evidence.chain.jsonrpc import MAX_RETRY_DELAY_S, RETRYABLE_HTTP_STATUS, redact_url
from evidence.chain.types import DEVELOPMENT_CHAIN_IDS
from evidence.errors import ChainError, ChainUnreachableError, ConfigurationError

if TYPE_CHECKING:
    from web3.types import RPCResponse

from web3.types import RPCEndpoint

__all__ = [
    "DEVELOPMENT_CHAIN_IDS",
    "MAX_RETRY_DELAY_S",
    "RETRYABLE_HTTP_STATUS",
    "RpcChain",
    "redact_url",
]


def _retrying_session(url: str, *, attempts: int, base_delay_s: float) -> requests.Session:
    """The HTTP session web3 sends through (its public ``session`` argument), carrying the
    retry policy as urllib3's ``Retry``: connection failures, timeouts and HTTP 429/5xx are
    retried with exponential backoff (capped at MAX_RETRY_DELAY_S), other statuses are not.
    The same policy as the verifier's reader (:mod:`evidence.chain.jsonrpc`).

    The environment's proxy, CA bundle and netrc settings are read once here: requests
    would otherwise read them again on every request (it scans the whole environment each
    time), which costs more than a round trip to a local node."""
    retry = Retry(
        total=attempts - 1, connect=attempts - 1, read=attempts - 1, status=attempts - 1,
        other=0, redirect=0, backoff_factor=base_delay_s, backoff_max=MAX_RETRY_DELAY_S,
        status_forcelist=RETRYABLE_HTTP_STATUS, allowed_methods=None,
        raise_on_status=False,  # the last answer's status is reported, not a RetryError
        respect_retry_after_header=False,  # a Retry-After of minutes would stall the run
    )
    session = requests.Session()
    adapter = HTTPAdapter(max_retries=retry)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    settings = session.merge_environment_settings(url, {}, None, None, None)
    session.proxies = settings.get("proxies") or {}
    if settings.get("verify") is not None:
        session.verify = settings["verify"]
    if settings.get("cert") is not None:
        session.cert = settings["cert"]
    session.auth = requests.utils.get_netrc_auth(url)
    session.trust_env = False
    return session


class _NodeProvider(HTTPProvider):
    """web3's HTTP provider over :func:`_retrying_session`, its failures named for people:
    a node that stays silent is ChainUnreachableError, any other failure ChainError."""

    def __init__(self, url: str, *, timeout_s: float, attempts: int, base_delay_s: float) -> None:
        # The chain id is cached: web3 validates every call and transaction against it, one
        # extra eth_chainId round trip each otherwise; it is checked once in connect().
        self.session = _retrying_session(url, attempts=attempts, base_delay_s=base_delay_s)
        super().__init__(
            url, request_kwargs={"timeout": timeout_s}, session=self.session,
            exception_retry_configuration=None,  # the session retries
            cache_allowed_requests=True,
            cacheable_requests={cast("RPCEndpoint", "eth_chainId")},
            request_cache_validation_threshold=None,  # no extra eth_chainId to pick one
        )
        self._shown_url = redact_url(url)
        self._attempts = attempts

    def make_request(self, method: RPCEndpoint, params: Any) -> RPCResponse:
        with self._named_failures(str(method)):
            return super().make_request(method, params)
        raise AssertionError("unreachable")  # pragma: no cover (the context manager raises)

    def make_batch_request(
        self, batch_requests: list[tuple[RPCEndpoint, Any]]
    ) -> list[RPCResponse] | RPCResponse:
        with self._named_failures("a batch of requests"):
            return super().make_batch_request(batch_requests)
        raise AssertionError("unreachable")  # pragma: no cover

    @contextlib.contextmanager
    def _named_failures(self, what: str) -> Iterator[None]:
        try:
            yield
        except requests.HTTPError as exc:
            status = exc.response.status_code if exc.response is not None else None
            if status in RETRYABLE_HTTP_STATUS:
                raise self._unreachable(f"HTTP {status}", exc) from exc
            raise ChainError(
                f"the node at {self._shown_url} answered HTTP {status} to {what}; "
                "check the URL and its credentials"
            ) from exc
        except (requests.ConnectionError, requests.Timeout,
                requests.exceptions.ChunkedEncodingError) as exc:
            raise self._unreachable(_reason(exc), exc) from exc
        except requests.RequestException as exc:  # a malformed URL and the like
            raise ChainError(
                f"cannot send {what} to {self._shown_url}: {type(exc).__name__}; check the URL"
            ) from exc
        except ValueError as exc:  # JSON errors: an HTML page, a proxy's error text...
            raise ChainError(
                f"{self._shown_url} did not answer as a JSON-RPC node (no JSON in its reply)"
            ) from exc

    def _unreachable(self, reason: str, exc: Exception) -> ChainUnreachableError:
        return ChainUnreachableError(
            f"cannot reach the JSON-RPC node at {self._shown_url} ({reason}) after "
            f"{self._attempts} attempts; check the URL and that the node is running"
        )


def _hex_bytes(value: object) -> bytes:
    """A node's ``0x``-hex answer as bytes; anything else is not a JSON-RPC answer."""
    if isinstance(value, str) and value.startswith(("0x", "0X")):
        try:
            return bytes.fromhex(value[2:])
        except ValueError:
            pass
    raise ChainError(f"the node answered {str(value)[:80]!r} where hex data was expected")


def _reason(exc: Exception | None) -> str:
    if isinstance(exc, requests.Timeout) or "timed out" in str(exc).lower():
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
        provider = _NodeProvider(
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
        """Close the HTTP session web3 sends through for this node."""
        provider = self._w3.provider
        if isinstance(provider, _NodeProvider):
            provider.session.close()

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
        if len(calls) <= 1 or not isinstance(provider, _NodeProvider):
            return [provider.make_request(RPCEndpoint(m), p) for m, p in calls]
        answer = provider.make_batch_request([(RPCEndpoint(m), p) for m, p in calls])
        if not isinstance(answer, list) or len(answer) != len(calls) or any(
                not isinstance(r, dict) or r.get("id") is None for r in answer):
            # a node that refuses batches answers one error object, or answers without ids
            return [provider.make_request(RPCEndpoint(m), p) for m, p in calls]
        return list(answer)  # web3 numbered the calls in order and sorted the answers by id

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
                raise revert_error(action, payload, None)
        if "revert" in message.lower():
            raise revert_error(action, None, None, fallback=message)
        raise ChainError(f"{action} failed on {self.description}: {' '.join(message.split())}")

    def call_data(self, to: str, data: bytes) -> bytes:
        checksum = checksum_address(to)
        result = self._request("eth_call", [{"to": checksum, "data": "0x" + data.hex()},
                                            "latest"], f"call to {checksum}")
        return _hex_bytes(result)

    def call_many(self, to: str, payloads: Sequence[bytes]) -> list[bytes]:
        checksum = checksum_address(to)
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
        checksum = checksum_address(address)
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
            if not any(marker in str(exc).lower() for marker in ALREADY_SENT_MARKERS):
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
        to = checksum_address(address)
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
