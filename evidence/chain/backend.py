"""One client for every chain evidence is anchored on (ARCHITECTURE.md, "Chains").

Two kinds of chain sit behind :class:`ChainClient`:

* ``embedded`` (:mod:`evidence.chain.embedded`): eth-tester with py-evm, persisted in the
  workspace. Always a development chain: one party controls it, so it has no evidential
  value and every output must say so.
* ``rpc`` (:mod:`evidence.chain.rpc`): any EVM JSON-RPC node by URL (anvil, a Besu
  consortium network, a public chain).

Both share one transaction path, implemented here: sign locally with the sender's key,
estimate gas with a margin, pick EIP-1559 fees when the chain has a base fee (else a
legacy gas price), send the raw transaction, wait for the receipt (and, on a JSON-RPC
chain, for more blocks), and turn a revert into a :class:`~evidence.errors.TransactionError`
carrying the decoded custom error (Solidity ABI specification, "Errors"; ``Error(string)``
and ``Panic(uint256)`` are decoded too).

This module imports web3 only inside functions, so that :class:`ChainConfig` can be
imported by configuration code (and the CLI's ``--help``) without loading web3.

How it fails: everything raised is an :class:`~evidence.errors.EvidenceError`; web3's own
exceptions are wrapped (``raise ... from``) into :class:`ChainError`,
:class:`ChainUnreachableError` or :class:`TransactionError`.
"""

from __future__ import annotations

import abc
import contextlib
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal, Protocol, Self, cast

from evidence.errors import (
    ChainError,
    ConfigurationError,
    EvidenceError,
    TransactionError,
)

if TYPE_CHECKING:
    from eth_account.signers.local import LocalAccount
    from eth_typing import ChecksumAddress
    from web3 import Web3
    from web3.contract.contract import ContractConstructor, ContractFunction
    from web3.types import BlockData, BlockIdentifier, TxParams, TxReceipt

__all__ = [
    "DEFAULT_POLL_INTERVAL_S",
    "DEFAULT_RETRY_ATTEMPTS",
    "DEFAULT_RETRY_BASE_DELAY_S",
    "DEFAULT_TIMEOUT_S",
    "MAX_CONFIRMATIONS",
    "ChainClient",
    "ChainConfig",
    "ChainKind",
    "DeployableArtifact",
    "LogEntry",
    "open_chain",
]

ChainKind = Literal["embedded", "rpc"]

#: How long one operation may wait, in seconds: one HTTP request, the workspace chain lock,
#: or a transaction's receipt and confirmations. Two minutes covers a dozen blocks on
#: Ethereum mainnet (12 s slots) and many more on a consortium chain.
DEFAULT_TIMEOUT_S = 120.0

#: Attempts for one JSON-RPC request before the node is declared unreachable. With the
#: base delay below the waits are 0.5 + 1 + 2 + 4 s: long enough to ride out a node restart
#: or a rate limit, short enough to report an outage within ten seconds.
DEFAULT_RETRY_ATTEMPTS = 5

#: First backoff delay in seconds; it doubles after each failed attempt.
DEFAULT_RETRY_BASE_DELAY_S = 0.5

#: How often to poll for a receipt or a new block, in seconds.
DEFAULT_POLL_INTERVAL_S = 0.5

#: First wait before polling a receipt again, in seconds; it doubles up to the poll
#: interval. A development node mines at once, so a transaction is usually in after a
#: few milliseconds, while a slow chain is still polled only every ``poll_interval_s``.
FIRST_POLL_INTERVAL_S = 0.01

#: Largest confirmation count accepted: a few hundred blocks is already more than any
#: chain's finality needs (Ethereum finalizes in about 64 blocks); more is a typo.
MAX_CONFIRMATIONS = 1024

#: Gas margin added to the node's estimate, in percent: estimates are taken against the
#: latest state and a transaction can cost a little more when it lands after others.
GAS_MARGIN_PERCENT = 20

#: EIP-1559: the base fee can rise by 12.5% per full block, so offering twice the current
#: base fee (plus the tip) keeps a transaction valid through about six full blocks.
BASE_FEE_MULTIPLIER = 2

#: Priority fee (tip) used when the node cannot suggest one: 1 gwei, the common default.
FALLBACK_PRIORITY_FEE_WEI = 10**9

#: Solidity's built-in revert payloads (Solidity docs, "Error handling").
_ERROR_STRING_SELECTOR = bytes.fromhex("08c379a0")  # Error(string)
_PANIC_SELECTOR = bytes.fromhex("4e487b71")  # Panic(uint256)

#: Node messages meaning "this exact transaction is already known or already mined": seen
#: when a send is retried after its first answer was lost.
_ALREADY_SENT_MARKERS = ("already known", "known transaction", "already imported", "nonce too low")


@dataclass(frozen=True)
class ChainConfig:
    """Which chain to open and how patiently to talk to it.

    ``kind`` is ``"embedded"`` (``state_dir`` is the folder holding the persisted chain; None
    means a throwaway chain in memory) or ``"rpc"`` (``url`` is the node's HTTP(S)
    endpoint). ``expected_chain_id`` is the chain id the workspace recorded: a different
    one is refused. ``confirmations`` is how many blocks must follow a transaction's block
    before it counts (JSON-RPC chains; the embedded chain mines one block per transaction
    and ignores it). ``is_development`` forces the development flag (None: decided from
    the chain id). ``create`` lets an embedded chain be created when absent.
    Raises :class:`ConfigurationError` for values out of range.
    """

    kind: ChainKind
    url: str | None = None
    state_dir: Path | None = None
    expected_chain_id: int | None = None
    confirmations: int = 0
    timeout_s: float = DEFAULT_TIMEOUT_S
    is_development: bool | None = None
    retry_attempts: int = DEFAULT_RETRY_ATTEMPTS
    retry_base_delay_s: float = DEFAULT_RETRY_BASE_DELAY_S
    poll_interval_s: float = DEFAULT_POLL_INTERVAL_S
    create: bool = True

    def __post_init__(self) -> None:
        if self.kind not in ("embedded", "rpc"):
            raise ConfigurationError(f"unknown chain kind {self.kind!r}; use 'embedded' or 'rpc'")
        if self.kind == "rpc" and not self.url:
            raise ConfigurationError("a JSON-RPC chain needs a node URL (http:// or https://)")
        if self.kind == "rpc" and self.url and not self.url.startswith(("http://", "https://")):
            raise ConfigurationError(f"node URL must start with http:// or https://: {self.url}")
        if not 0 <= self.confirmations <= MAX_CONFIRMATIONS:
            raise ConfigurationError(f"confirmations must be between 0 and {MAX_CONFIRMATIONS}")
        if not self.timeout_s > 0:
            raise ConfigurationError("timeout_s must be a positive number of seconds")
        if self.retry_attempts < 1:
            raise ConfigurationError("retry_attempts must be at least 1")
        if self.retry_base_delay_s < 0 or not self.poll_interval_s > 0:
            raise ConfigurationError("retry and poll delays must be positive")
        if self.expected_chain_id is not None and self.expected_chain_id <= 0:
            raise ConfigurationError("expected_chain_id must be a positive integer")


@dataclass(frozen=True)
class LogEntry:
    """One event log, raw: its block, its transaction, its topics and its data (Ethereum
    Yellow Paper, section 4.3.1: a log is an address, up to four 32-byte topics and data)."""

    block_number: int
    transaction_hash: bytes
    topics: tuple[bytes, ...]
    data: bytes


class DeployableArtifact(Protocol):
    """What :meth:`ChainClient.deploy` needs from a compiled contract artifact."""

    @property
    def abi(self) -> Sequence[Mapping[str, object]]: ...

    @property
    def bytecode(self) -> bytes | str: ...


class ChainClient(abc.ABC):
    """A connection to one chain: read blocks and code, deploy, call and transact.

    Not thread-safe: use one client per thread. Use as a context manager, or call
    :meth:`close` (which flushes the embedded chain's store).
    """

    def __init__(self, w3: Web3, *, chain_id: int, config: ChainConfig) -> None:
        self._w3 = w3
        self._chain_id = chain_id
        self._config = config

    # -- identity -------------------------------------------------------------------

    @property
    def w3(self) -> Web3:
        """The web3 instance bound to this chain (for reads this module does not wrap)."""
        return self._w3

    @property
    def chain_id(self) -> int:
        """The chain id (EIP-155) the chain reports; checked against the configuration."""
        return self._chain_id

    @property
    def config(self) -> ChainConfig:
        """The configuration this client was opened with."""
        return self._config

    @property
    @abc.abstractmethod
    def is_development(self) -> bool:
        """True for a chain one party controls (embedded, anvil, hardhat): no evidential value."""

    @property
    @abc.abstractmethod
    def description(self) -> str:
        """One line naming the chain for people, e.g. ``JSON-RPC http://... (chain id 1)``."""

    # -- lifecycle ------------------------------------------------------------------

    def close(self) -> None:  # noqa: B027 - optional hook, a no-op by default
        """Release the connection (and flush the embedded chain's store). Idempotent."""

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    @contextlib.contextmanager
    def exclusive(self) -> Iterator[None]:
        """Hold the chain for a sequence of writes by this process.

        The embedded chain takes its workspace lock (other processes wait); a JSON-RPC node
        orders transactions itself, so there this does nothing.
        """
        yield

    # -- development-only operations ------------------------------------------------

    @abc.abstractmethod
    def fund(self, address: str, wei: int) -> None:
        """Give ``wei`` to ``address`` from the chain's prefunded development account.

        Raises :class:`ChainError` on a chain with no such account (any production chain).
        """

    @abc.abstractmethod
    def advance_time(self, seconds: int) -> int:
        """Mine a block at least ``seconds`` after both the latest block and the clock.

        For tests of time-dependent rules. Returns the new block's timestamp. Raises
        :class:`ChainError` on a chain that is not a development chain.
        """

    # -- reads ----------------------------------------------------------------------

    def latest_block_number(self) -> int:
        """The number of the newest block."""
        with self._errors("reading the latest block number"):
            return int(self._w3.eth.block_number)

    def block(self, number_or_hash: int | str | bytes) -> BlockData:
        """A block by number, by hash (hex or bytes), or by tag (``"latest"``).

        Raises :class:`ChainError` if the chain has no such block.
        """
        from web3.exceptions import BlockNotFound

        block_id: Any = number_or_hash
        if isinstance(number_or_hash, bytes):
            block_id = "0x" + number_or_hash.hex()
        with self._errors(f"reading block {_show(number_or_hash)}"):
            try:
                return self._w3.eth.get_block(block_id)
            except BlockNotFound as exc:
                raise ChainError(
                    f"{self.description} has no block {_show(number_or_hash)}"
                ) from exc

    def get_code(self, address: str) -> bytes:
        """The runtime code at ``address`` (empty for an account without code)."""
        checksum = _checksum(address)
        with self._errors(f"reading the code at {checksum}"):
            return bytes(self._w3.eth.get_code(checksum))

    def balance(self, address: str) -> int:
        """The balance of ``address`` in wei."""
        checksum = _checksum(address)
        with self._errors(f"reading the balance of {checksum}"):
            return int(self._w3.eth.get_balance(checksum))

    def call(
        self, contract_function: ContractFunction, *, block_identifier: BlockIdentifier = "latest"
    ) -> object:
        """Run a view call and return its decoded result.

        A revert raises :class:`TransactionError` with the decoded custom error.
        """
        label = f"call to {contract_function.fn_name}"
        with self._errors(label, abi=contract_function.contract_abi):
            result: object = contract_function.call(block_identifier=block_identifier)
            return result

    def call_data(self, to: str, data: bytes) -> bytes:
        """Run a view call given as raw calldata at the latest block; return the raw result.

        The lean path for hot loops (no ABI machinery): the caller encodes and decodes. A
        revert raises :class:`TransactionError` with the decoded custom error.
        """
        checksum = _checksum(to)
        with self._errors(f"call to {checksum}"):
            return bytes(self._w3.eth.call(cast("TxParams", {"to": checksum, "data": data})))

    def call_many(self, to: str, payloads: Sequence[bytes]) -> list[bytes]:
        """:meth:`call_data` for each calldata, in order; a JSON-RPC node answers them all
        in one batch request. A revert raises :class:`TransactionError`."""
        return [self.call_data(to, data) for data in payloads]

    def logs(
        self, address: str, topics: Sequence[bytes | None], from_block: int, to_block: int
    ) -> list[LogEntry]:
        """The logs of ``address`` in blocks ``from_block``..``to_block`` whose topics match
        ``topics`` position by position (None matches any), in chain order."""
        checksum = _checksum(address)
        wanted = [None if t is None else "0x" + t.hex() for t in topics]
        with self._errors(f"reading the logs of {checksum} in blocks {from_block}-{to_block}"):
            found = self._w3.eth.get_logs(cast("Any", {
                "address": checksum, "fromBlock": from_block, "toBlock": to_block,
                "topics": wanted}))
        return [
            LogEntry(int(log["blockNumber"]), bytes(log["transactionHash"]),
                     tuple(bytes(t) for t in log["topics"]), bytes(log["data"]))
            for log in found
        ]

    def receipt(self, tx_hash: bytes) -> TxReceipt | None:
        """The receipt of a mined transaction, or None while it is not mined."""
        with self._errors(f"reading the receipt of 0x{tx_hash.hex()}"):
            return self._receipt_or_none(tx_hash)

    # -- writes ---------------------------------------------------------------------

    def deploy(
        self,
        artifact: DeployableArtifact,
        account: LocalAccount,
        *,
        args: Sequence[object] = (),
    ) -> ChecksumAddress:
        """Deploy ``artifact`` from ``account`` (constructor ``args``); return its address.

        Raises :class:`TransactionError` if the deployment reverts or leaves no code.
        """
        bytecode = artifact.bytecode
        if isinstance(bytecode, bytes):
            bytecode = "0x" + bytecode.hex()
        abi = cast("Any", list(artifact.abi))
        contract = self._w3.eth.contract(abi=abi, bytecode=bytecode)
        constructor = contract.constructor(*args)
        receipt = self._send(constructor, account, abi=abi, label="deployment", value=0, gas=None)
        address = receipt.get("contractAddress")
        if address is None:
            raise TransactionError(
                f"deployment transaction 0x{bytes(receipt['transactionHash']).hex()} "
                "created no contract"
            )
        if not self.get_code(address):
            raise TransactionError(f"deployment left no code at {address}")
        return address

    def transact(
        self,
        contract_function: ContractFunction,
        account: LocalAccount,
        *,
        value: int = 0,
        gas: int | None = None,
    ) -> TxReceipt:
        """Sign ``contract_function`` with ``account``, send it, and wait for it to count.

        ``gas`` skips estimation (the transaction is then sent even if it would revert).
        Returns the receipt of a successful transaction. A revert, at estimation or once
        mined, raises :class:`TransactionError` naming the decoded custom error; a
        transaction not mined (or not confirmed) in time raises :class:`TransactionError`.
        """
        return self._send(
            contract_function,
            account,
            abi=contract_function.contract_abi,
            label=contract_function.fn_name,
            value=value,
            gas=gas,
        )

    def estimate_call_gas(self, sender: str, to: str, data: bytes) -> int:
        """Gas for a call from ``sender`` (raw calldata), plus :data:`GAS_MARGIN_PERCENT`.

        A call that would revert raises :class:`TransactionError` with the decoded error.
        """
        checksum = _checksum(to)
        with self._errors(f"estimating gas for a call to {checksum}"):
            estimate = int(self._w3.eth.estimate_gas(cast("TxParams", {
                "from": _checksum(sender), "to": checksum, "data": data})))
        return estimate * (100 + GAS_MARGIN_PERCENT) // 100

    def send_many(
        self, to: str, payloads: Sequence[bytes], account: LocalAccount, *, gas: int
    ) -> list[bytes]:
        """Sign one call to ``to`` per calldata in ``payloads`` with consecutive nonces and
        send them all without waiting; return their hashes in order.

        One nonce and one fee lookup serve the whole series, so a node takes the
        transactions as fast as it accepts them; wait for the last with
        :meth:`wait_for_transaction` (a later nonce is never mined before an earlier one).
        ``gas`` is not estimated per transaction: a call that reverts is mined with status 0
        (see :meth:`revert_error`). Raises :class:`ChainError` when a send fails; the ones
        before it are sent already.
        """
        checksum = _checksum(to)
        hashes: list[bytes] = []
        with self.exclusive(), self._errors(f"sending {len(payloads)} transactions to {checksum}"):
            if not payloads:
                return hashes
            nonce = int(self._w3.eth.get_transaction_count(account.address, "pending"))
            fees = self._fee_fields()
            signed: list[tuple[bytes, bytes]] = []
            for offset, data in enumerate(payloads):
                tx = {"to": checksum, "data": data, "value": 0, "gas": gas,
                      "nonce": nonce + offset, "chainId": self._chain_id, **fees}
                one = account.sign_transaction(cast("Any", tx))
                signed.append((bytes(one.raw_transaction), bytes(one.hash)))
            hashes = self._send_raws(signed)
        return hashes

    def _send_raws(self, signed: Sequence[tuple[bytes, bytes]]) -> list[bytes]:
        """Send signed transactions (raw, hash) in order; a JSON-RPC node takes them in one
        batch request. Raises at the first one refused (those before it are sent)."""
        return [self._send_raw(raw, tx_hash) for raw, tx_hash in signed]

    def wait_for_transaction(self, tx_hash: bytes) -> TxReceipt:
        """Wait until ``tx_hash`` is mined and has the configured confirmations; its receipt
        (whatever its status). Raises :class:`TransactionError` after ``timeout_s``."""
        return self._wait_for_receipt(tx_hash)

    def revert_error(
        self, receipt: TxReceipt, *, sender: str, to: str, data: bytes, gas: int, label: str
    ) -> TransactionError:
        """Explain a mined transaction with status 0 (replayed as a call one block
        earlier): a :class:`TransactionError` naming the decoded custom error."""
        tx = cast("TxParams", {"from": _checksum(sender), "to": _checksum(to), "data": data,
                               "value": 0, "gas": gas})
        try:
            self._raise_mined_revert(tx, receipt, abi=None, label=label)
        except TransactionError as exc:
            return exc
        return TransactionError(f"{label} transaction 0x{bytes(receipt['transactionHash']).hex()}"
                                " reverted")  # pragma: no cover - _raise_mined_revert raises

    # -- the shared transaction path --------------------------------------------------

    def _confirmations(self) -> int:
        """Blocks that must follow a transaction's block before it counts."""
        return self._config.confirmations

    def _send(
        self,
        buildable: ContractFunction | ContractConstructor,
        account: LocalAccount,
        *,
        abi: Any,
        label: str,
        value: int,
        gas: int | None,
    ) -> TxReceipt:
        with self.exclusive():
            with self._errors(label, abi=abi):
                base = cast(
                    "TxParams",
                    {"from": account.address, "value": value, "chainId": self._chain_id},
                )
                if gas is None:
                    estimate = int(buildable.estimate_gas(base))
                    gas = estimate * (100 + GAS_MARGIN_PERCENT) // 100
                nonce = self._w3.eth.get_transaction_count(account.address, "pending")
                tx = buildable.build_transaction(
                    cast("TxParams", {**base, "gas": gas, "nonce": nonce, **self._fee_fields()})
                )
                signed = account.sign_transaction(cast("Any", tx))
                tx_hash = self._send_raw(bytes(signed.raw_transaction), bytes(signed.hash))
            receipt = self._wait_for_receipt(tx_hash)
            if receipt["status"] != 1:
                self._raise_mined_revert(tx, receipt, abi=abi, label=label)
            return receipt

    def _fee_fields(self) -> dict[str, int]:
        """EIP-1559 fee fields when the chain has a base fee, else a legacy gas price."""
        latest = self._w3.eth.get_block("latest")
        base_fee = latest.get("baseFeePerGas")
        if base_fee is None:
            return {"gasPrice": int(self._w3.eth.gas_price)}
        tip = self._priority_fee()
        return {
            "maxFeePerGas": int(base_fee) * BASE_FEE_MULTIPLIER + tip,
            "maxPriorityFeePerGas": tip,
        }

    def _priority_fee(self) -> int:
        from web3.exceptions import Web3Exception

        try:
            return int(self._w3.eth.max_priority_fee)
        except (Web3Exception, ValueError):
            return FALLBACK_PRIORITY_FEE_WEI

    def _send_raw(self, raw: bytes, tx_hash: bytes) -> bytes:
        """Send a signed transaction; a retried send the node already has is not an error."""
        from web3.exceptions import TransactionNotFound, Web3RPCError

        try:
            return bytes(self._w3.eth.send_raw_transaction(raw))
        except Web3RPCError as exc:
            if any(marker in str(exc).lower() for marker in _ALREADY_SENT_MARKERS):
                try:
                    self._w3.eth.get_transaction(cast("Any", tx_hash))
                except TransactionNotFound:
                    raise exc from None
                return tx_hash
            raise

    def _receipt_or_none(self, tx_hash: bytes) -> TxReceipt | None:
        from web3.exceptions import TransactionNotFound

        try:
            return self._w3.eth.get_transaction_receipt(cast("Any", tx_hash))
        except TransactionNotFound:
            return None

    def _wait_for_receipt(self, tx_hash: bytes) -> TxReceipt:
        """Poll for the receipt, then for :meth:`_confirmations` more blocks.

        If the transaction's block is replaced meanwhile (a reorganisation), waiting starts
        over for its new block. Raises :class:`TransactionError` after ``timeout_s``.
        """
        confirmations = self._confirmations()
        deadline = time.monotonic() + self._config.timeout_s
        shown = "0x" + tx_hash.hex()
        receipt: TxReceipt | None = None
        delay = min(self._config.poll_interval_s, FIRST_POLL_INTERVAL_S)
        with self._errors(f"waiting for transaction {shown}"):
            while True:
                receipt = self._receipt_or_none(tx_hash)
                if receipt is not None:
                    if confirmations == 0:
                        return receipt
                    target = int(receipt["blockNumber"]) + confirmations
                    if int(self._w3.eth.block_number) >= target:
                        again = self._receipt_or_none(tx_hash)
                        if again is not None and again["blockHash"] == receipt["blockHash"]:
                            return again
                        continue
                if time.monotonic() >= deadline:
                    break
                time.sleep(delay)
                delay = min(self._config.poll_interval_s, delay * 2)
        if receipt is None:
            raise TransactionError(
                f"transaction {shown} was not mined within {self._config.timeout_s:g} s; "
                "it may still be mined: look it up by its hash later"
            )
        have = max(0, int(self._w3.eth.block_number) - int(receipt["blockNumber"]))
        raise TransactionError(
            f"transaction {shown} is in block {receipt['blockNumber']} but has {have} of "
            f"{confirmations} confirmations after {self._config.timeout_s:g} s; check it later"
        )

    def _raise_mined_revert(
        self, tx: TxParams, receipt: TxReceipt, *, abi: Any, label: str
    ) -> None:
        """Explain a mined transaction with status 0 by replaying it as a call."""
        from web3.exceptions import ContractLogicError, Web3Exception

        shown = "0x" + bytes(receipt["transactionHash"]).hex()
        number = int(receipt["blockNumber"])
        replay: dict[str, Any] = {
            key: tx[key] for key in ("from", "to", "data", "value", "gas") if key in tx
        }
        try:
            self._w3.eth.call(cast("TxParams", replay), block_identifier=max(0, number - 1))
        except ContractLogicError as exc:
            raise _revert_error(
                f"{label} transaction {shown} (block {number})", _revert_bytes(exc), abi
            ) from exc
        except Web3Exception:
            pass
        hint = ""
        if "gas" in tx and int(receipt["gasUsed"]) >= int(tx["gas"]):
            hint = f": it used all {tx['gas']} gas it was given"
        raise TransactionError(f"{label} transaction {shown} reverted in block {number}{hint}")

    @contextlib.contextmanager
    def _errors(self, action: str, *, abi: Any = None) -> Iterator[None]:
        """Wrap web3's exceptions raised while doing ``action`` into the library's tree."""
        from web3.exceptions import ContractLogicError, TimeExhausted, Web3Exception

        try:
            yield
        except EvidenceError:
            raise
        except ContractLogicError as exc:
            raise _revert_error(action, _revert_bytes(exc), abi, fallback=str(exc)) from exc
        except TimeExhausted as exc:
            raise TransactionError(f"{action}: timed out on {self.description}") from exc
        except Web3Exception as exc:
            raise ChainError(f"{action} failed on {self.description}: {_rpc_message(exc)}") from exc


def open_chain(config: ChainConfig) -> ChainClient:
    """Open the chain ``config`` names: the embedded chain or a JSON-RPC node.

    Raises :class:`ChainUnreachableError` for a node that does not answer,
    :class:`ChainError` for a chain id other than ``config.expected_chain_id`` or a damaged
    or busy embedded store, :class:`ConfigurationError` for an unusable configuration.
    """
    if config.kind == "embedded":
        from evidence.chain.extras import EMBEDDED_MISSING, is_embedded_import_error

        try:
            from evidence.chain.embedded import EmbeddedChain
        except ImportError as exc:  # installed without the `embedded` extra
            if not is_embedded_import_error(exc):
                raise
            raise ConfigurationError(EMBEDDED_MISSING) from exc
        return EmbeddedChain.open(config)
    from evidence.chain.rpc import RpcChain

    return RpcChain.connect(config)


# -- revert decoding ----------------------------------------------------------------------


def _revert_bytes(exc: Exception) -> bytes | None:
    """The raw revert payload a web3 ``ContractLogicError`` carries, if any."""
    data: object = getattr(exc, "data", None)
    if isinstance(data, Mapping):  # some nodes nest it: {"data": "0x..."} or {"message":...}
        data = data.get("data")
    if isinstance(data, str):
        text = data.removeprefix("Reverted ").strip()
        if text.startswith(("0x", "0X")):
            try:
                return bytes.fromhex(text[2:])
            except ValueError:
                return None
    if isinstance(data, bytes):
        return data
    return None


def _decode_revert(data: bytes, abi: Any) -> tuple[str, tuple[object, ...]] | None:
    """Decode a revert payload: Error(string), Panic(uint256), an error of ``abi``, or
    (last) of the EvidenceAnchor artifact. None when the selector is unknown."""
    from eth_abi.abi import decode as abi_decode
    from eth_abi.exceptions import DecodingError
    from eth_utils.abi import (
        abi_to_signature,
        function_signature_to_4byte_selector,
        get_abi_input_types,
    )

    selector, payload = data[:4], data[4:]
    try:
        if selector == _ERROR_STRING_SELECTOR:
            return "Error", tuple(abi_decode(["string"], payload))
        if selector == _PANIC_SELECTOR:
            return "Panic", tuple(abi_decode(["uint256"], payload))
        for entry in abi or ():
            if entry.get("type") != "error":
                continue
            if function_signature_to_4byte_selector(abi_to_signature(entry)) == selector:
                return str(entry["name"]), tuple(abi_decode(get_abi_input_types(entry), payload))
    except DecodingError:
        return None
    try:
        from evidence.chain import artifact as artifact_module
    except ImportError:
        return None
    try:
        name, args = artifact_module.decode_revert(data)
    except (EvidenceError, ValueError, LookupError):
        return None
    return str(name), tuple(args)


def _revert_error(
    action: str, data: bytes | None, abi: Any, *, fallback: str | None = None
) -> TransactionError:
    """A :class:`TransactionError` naming the decoded error, or the raw payload."""
    if data:
        decoded = _decode_revert(data, abi)
        if decoded is not None:
            name, args = decoded
            shown = ", ".join(_show(arg) for arg in args)
            return TransactionError(f"{action} reverted: {name}({shown})", error_name=name)
        return TransactionError(
            f"{action} reverted with unknown error data 0x{data[:68].hex()}"
            + ("..." if len(data) > 68 else "")
        )
    reason = f": {fallback}" if fallback and fallback != "execution reverted" else ""
    return TransactionError(f"{action} reverted without a reason{reason}")


# -- small helpers --------------------------------------------------------------------------


def _show(value: object) -> str:
    """Render an argument for a one-line message (bytes as 0x-hex)."""
    if isinstance(value, bytes):
        return "0x" + value.hex()
    if isinstance(value, str):
        if len(value) == 42 and value.startswith("0x"):  # an address, as eth_abi decodes it
            from eth_utils.address import is_hex_address, to_checksum_address

            if is_hex_address(value):
                return str(to_checksum_address(value))
        return value if value.startswith("0x") else repr(value)
    if isinstance(value, tuple | list):
        return "(" + ", ".join(_show(item) for item in value) + ")"
    return str(value)


def _checksum(address: str) -> ChecksumAddress:
    from eth_utils.address import is_address, to_checksum_address

    if not is_address(address):
        raise ChainError(f"{address!r} is not an Ethereum address")
    return to_checksum_address(address)


def _rpc_message(exc: Exception) -> str:
    """The node's own error message when there is one, on one line."""
    response = getattr(exc, "rpc_response", None)
    if isinstance(response, Mapping):
        error = response.get("error")
        if isinstance(error, Mapping) and error.get("message"):
            return " ".join(str(error["message"]).split())
    return " ".join(str(exc).split()) or type(exc).__name__
