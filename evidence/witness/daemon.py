"""The ``witness serve`` daemon: confirm every new anchor as it comes.

The daemon (:func:`serve`) follows ``Anchored`` events from the block after the last one
it processed, in ranges of :data:`LOG_RANGE_BLOCKS`, confirms every root it has not
confirmed yet (``confirmationOf``), and saves its position atomically in a state file
after each range, so that a restart resumes where it stopped and a root handled twice is
skipped. Within a range it works in batches of :data:`CONFIRM_BATCH` anchors: the
registration is read once, every root is checked (confirmed already, clock skew), the
confirmations are sent with consecutive nonces without waiting, and the batch counts as
done only when the last is mined and each one's ``Confirmed`` event is found; the saved
position never passes an anchor whose confirmation is not mined. A node that goes away
is retried with a growing delay; a stop request (:class:`threading.Event`, set by the
caller's signal handlers) is honoured between two batches.
"""

from __future__ import annotations

import contextlib
import json
import logging
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from ..bundle.custody import utc_now
from ..bundle.layout import read_json_file
from ..errors import ChainError, FormatError, InputError, TransactionError
from ..fsutil import atomic_write_bytes
from ..workspace import Workspace

if TYPE_CHECKING:
    from eth_account.signers.local import LocalAccount

    from ..chain.backend import ChainClient
    from ..chain.contract import AnchorContract, AnchoredEvent, WitnessRecord

from .confirm import (
    Clock,
    ClockSkewError,
    active_witness,
    check_skew,
    check_skew_setting,
    require_gas,
)
from .registry import load_witness_key
from .servelock import serve_lock

__all__ = [
    "CONFIRM_BATCH",
    "DEFAULT_POLL_S",
    "LOG_RANGE_BLOCKS",
    "MAX_BACKOFF_S",
    "STATE_DIR",
    "STATE_SAVE_INTERVAL_S",
    "STATE_VERSION",
    "ServeState",
    "ServeSummary",
    "default_state_path",
    "load_state",
    "save_state",
    "serve",
]


#: Blocks per ``eth_getLogs`` query. Public providers cap a query at 1,000-10,000 blocks or
#: 10,000 results; 2,000 blocks stays under the common caps and still scans a day of
#: Ethereum mainnet (7,200 blocks) in four requests.
LOG_RANGE_BLOCKS = 2000

#: The daemon's activity: INFO per action, WARNING for a refusal, a chain problem or a
#: witness not registered yet (``evidence witness serve`` shows them on stderr); never a
#: key. The library never prints.
_log = logging.getLogger(__name__)


#: Confirmations sent one after the other (consecutive nonces) before waiting for them:
#: geth keeps 16 executable transactions per sender in its pool whatever the load
#: (``--txpool.accountslots``), so a batch is never pushed out; 16 also spreads one gas
#: estimate, one nonce and one fee lookup, and one state save over 16 anchors.
CONFIRM_BATCH = 16


#: Longest time between two state saves inside a block range, in seconds. The state is
#: saved (fsync) at the end of each range and, inside a long range, at most this often:
#: a crash then costs at most this much re-reading (roots already confirmed are skipped),
#: while a save per batch would cost a disk flush every few anchors.
STATE_SAVE_INTERVAL_S = 1.0


#: Default seconds between two looks at the chain: about one block on most networks.
DEFAULT_POLL_S = 5.0


#: Longest wait between retries while the node is away: a restarted node is noticed
#: within a minute, and a long outage costs one log line a minute.
MAX_BACKOFF_S = 60.0


#: Folder (in the workspace) holding each daemon's state file.
STATE_DIR = "witness-state"


#: Format versions of the daemon's state file and of a signed confirmation file.
STATE_VERSION = 1


@dataclass(frozen=True)
class ServeState:
    """The daemon's position, saved after each block range: the next block to read."""

    chain_id: int
    contract: str
    witness: str
    next_block: int
    confirmed: int = 0
    refused: int = 0
    updated_at: str = ""
    version: int = STATE_VERSION

    def to_json(self) -> dict[str, object]:
        return {"version": self.version, "chain_id": self.chain_id, "contract": self.contract,
                "witness": self.witness, "next_block": self.next_block,
                "confirmed": self.confirmed, "refused": self.refused,
                "updated_at": self.updated_at}

    @classmethod
    def from_json(cls, doc: object, *, where: str) -> ServeState:
        """Parse strictly; raises :class:`FormatError` naming ``where``."""
        fields = {"version", "chain_id", "contract", "witness", "next_block", "confirmed",
                  "refused", "updated_at"}
        if not isinstance(doc, dict) or set(doc) != fields:
            raise FormatError("not a witness state file (unexpected fields)", path=where)
        if doc["version"] != STATE_VERSION:
            raise FormatError(f"unsupported state version {doc['version']!r}", path=where)
        for name in ("chain_id", "next_block", "confirmed", "refused"):
            value = doc[name]
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise FormatError(f"{name} must be a non-negative integer", path=where)
        return cls(int(doc["chain_id"]), str(doc["contract"]), str(doc["witness"]),
                   int(doc["next_block"]), int(doc["confirmed"]), int(doc["refused"]),
                   str(doc["updated_at"]))


def default_state_path(ws: Workspace, witness: str) -> Path:
    """``<workspace>/witness-state/<address>.json``."""
    return ws.path(STATE_DIR) / f"{witness}.json"


def load_state(path: Path) -> ServeState | None:
    """The saved state, or None when ``path`` does not exist."""
    if not path.exists():
        return None
    return ServeState.from_json(read_json_file(path), where=str(path))


def save_state(path: Path, state: ServeState) -> None:
    """Write the state atomically (temporary file, fsync, rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    data = json.dumps(state.to_json(), indent=2) + "\n"
    atomic_write_bytes(path, data.encode("utf-8"))


@dataclass(frozen=True)
class ServeSummary:
    """What one ``serve`` run did."""

    witness: str
    state_path: Path
    next_block: int
    confirmed: int
    already: int
    refused: int


class _Stop(Exception):
    """Internal: a stop was requested between two batches."""


@contextlib.contextmanager
def _web3_errors(action: str) -> Iterator[None]:
    """Wrap what web3 and requests raise outside the chain client's own wrapping."""
    import requests
    from web3.exceptions import Web3Exception

    try:
        yield
    except (Web3Exception, requests.RequestException) as exc:
        raise ChainError(f"{action} failed: {' '.join(str(exc).split())[:200]}") from exc


class _Daemon:
    """One run of :func:`serve`; see there."""

    def __init__(self, ws: Workspace, account: LocalAccount, *, state_path: Path,
                 from_block: int, max_skew_s: int, stop: threading.Event,
                 clock: Clock) -> None:
        self.ws = ws
        self.account = account
        self.state_path = state_path
        self.from_block = from_block
        self.max_skew_s = max_skew_s
        self.stop = stop
        self.clock = clock
        self.state: ServeState | None = None
        self.already = 0
        self.saved_at = time.monotonic()
        self.waiting_for_registration = False
        self.chain: ChainClient | None = None
        self.contract: AnchorContract | None = None

    # -- connection and state --

    def connect(self) -> AnchorContract:
        from ..workspace_chain import open_workspace_chain, open_workspace_contract

        if self.contract is None:
            chain = open_workspace_chain(self.ws)
            try:
                self.contract = open_workspace_contract(self.ws, chain)
            except BaseException:
                chain.close()
                raise
            self.chain = chain
            _log.info(f"watching {chain.description}, contract {self.contract.address}")
            self.state = self.initial_state(chain, self.contract)
        return self.contract

    def disconnect(self) -> None:
        chain, self.chain, self.contract = self.chain, None, None
        if chain is not None:
            with contextlib.suppress(Exception):
                chain.close()

    def initial_state(self, chain: ChainClient, contract: AnchorContract) -> ServeState:
        if self.state is not None:
            return self.state
        saved = load_state(self.state_path)
        if saved is None:
            _log.info(f"no state at {self.state_path}; starting at block {self.from_block}")
            return ServeState(chain.chain_id, contract.address, self.account.address,
                              self.from_block)
        if (saved.chain_id, saved.contract, saved.witness) != (
                chain.chain_id, contract.address, self.account.address):
            raise InputError(f"{self.state_path} belongs to witness {saved.witness} on chain "
                             f"{saved.chain_id} ({saved.contract}); give another --state")
        _log.info(f"resuming at block {saved.next_block} (state {self.state_path})")
        return saved

    def save(self, *, next_block: int | None = None, confirmed: int | None = None,
             refused: int | None = None) -> None:
        state = self.state
        if state is None:
            return
        self.state = replace(
            state, updated_at=utc_now(),
            next_block=state.next_block if next_block is None else next_block,
            confirmed=state.confirmed if confirmed is None else confirmed,
            refused=state.refused if refused is None else refused)
        save_state(self.state_path, self.state)
        self.saved_at = time.monotonic()

    # -- one step: one block range, in batches --

    def step(self, *, once: bool) -> bool:
        """Handle the next block range; True when more blocks are waiting."""
        contract = self.connect()
        assert self.state is not None and self.chain is not None
        head = self.chain.latest_block_number() - self.ws.chain.confirmations
        start = self.state.next_block
        if start > head:
            return False
        record = contract.witness_of(self.account.address)
        if record is None:
            message = (f"{self.account.address} is not a registered witness of "
                       f"{contract.address} (yet); the registrar adds it with "
                       "`evidence witness add`")
            if once:
                raise ChainError(message)
            if not self.waiting_for_registration:
                _log.warning(message + "; waiting")
                self.waiting_for_registration = True
            return False
        self.waiting_for_registration = False
        end = min(head, start + LOG_RANGE_BLOCKS - 1)
        with _web3_errors(f"reading Anchored events in blocks {start}-{end}"):
            events = contract.anchors_in(start, end)
        done = 0
        while done < len(events):
            if self.stop.is_set():
                raise _Stop
            batch = events[done:done + CONFIRM_BATCH]
            confirmed, refused = self.handle_batch(contract, batch)
            done += len(batch)
            # Every anchor before the next one's block is handled (its confirmation mined);
            # that block is read again after a restart and its confirmed roots skipped.
            self.state = replace(
                self.state, confirmed=self.state.confirmed + confirmed,
                refused=self.state.refused + refused,
                next_block=events[done].block_number if done < len(events) else end + 1)
            if time.monotonic() - self.saved_at >= STATE_SAVE_INTERVAL_S:
                self.save()
        self.save(next_block=end + 1)
        return end < head

    def handle_batch(self, contract: AnchorContract,
                     batch: Sequence[AnchoredEvent]) -> tuple[int, int]:
        """Check each anchor, send the confirmations of the good ones with consecutive
        nonces, wait for the last, and find every one of them in the ``Confirmed`` events.

        The witness's registration is read once per batch (a revocation in effect stops
        the daemon); each root is checked on chain (``confirmationOf``) and against the
        clock (:func:`check_skew`) before anything is sent. Returns (confirmed, refused);
        the caller saves them once the batch is mined.
        """
        me = self.account.address
        record = active_witness(contract, me, self.clock())
        confirmed = refused = 0
        todo: list[tuple[AnchoredEvent, int]] = []
        with _web3_errors(f"reading the confirmations of {len(batch)} roots"):
            done = contract.are_confirmed_by([event.root for event in batch], me)
        for event, already in zip(batch, done, strict=True):
            shown = f"0x{event.root.hex()} (block {event.block_number})"
            if already:
                self.already += 1
                _log.info(f"already confirmed {shown}; nothing sent")
                continue
            try:
                ahead = check_skew(event.timestamp, self.clock(), self.max_skew_s,
                                   root=event.root)
            except ClockSkewError as exc:
                _log.warning(f"refused (block {event.block_number}): {exc}")
                refused += 1
                continue
            todo.append((event, ahead))
        if todo:
            confirmed = self.send_batch(contract, record, todo)
        return confirmed, refused

    def send_batch(self, contract: AnchorContract, record: WitnessRecord,
                   todo: list[tuple[AnchoredEvent, int]]) -> int:
        """Send and wait for the confirmations of ``todo``; return how many were mined."""
        assert self.chain is not None
        chain, me = self.chain, self.account.address
        require_gas(chain, me)
        while todo:  # the gas of one confirm serves the batch: every confirm costs the same
            try:
                gas = contract.estimate_confirm(todo[0][0].root, me)
                break
            except TransactionError as exc:
                if exc.error_name != "EvidenceAnchor__AlreadyConfirmed":
                    raise
                self.already += 1  # another run got there first
                _log.info(f"already confirmed 0x{todo[0][0].root.hex()}; nothing sent")
                todo = todo[1:]
        if not todo:
            return 0
        first_block = chain.latest_block_number() + 1
        hashes = contract.send_confirms([event.root for event, _ in todo], self.account,
                                        gas=gas)
        last = chain.wait_for_transaction(hashes[-1])
        mined = contract.roots_confirmed_by(me, first_block, int(last["blockNumber"]))
        count = 0
        for (event, ahead), tx_hash in zip(todo, hashes, strict=True):
            shown = f"0x{event.root.hex()} (block {event.block_number})"
            # The root counts as confirmed by this run only when this transaction succeeded:
            # a Confirmed event of the same witness in the range may be another process's
            # (the same key elsewhere), while this transaction reverted.
            receipt = chain.receipt(tx_hash)
            if event.root not in mined or receipt is None or int(receipt["status"]) != 1:
                self.explain_missing(contract, event.root, tx_hash, gas)
                self.already += 1
                _log.info(f"already confirmed {shown}; nothing sent")
                continue
            count += 1
            _log.info(f"confirmed {shown} as {record.jurisdiction} in tx 0x{tx_hash.hex()} "
                      f"(anchor {-ahead} s old by this clock)")
        return count

    def explain_missing(self, contract: AnchorContract, root: bytes, tx_hash: bytes,
                        gas: int) -> None:
        """A sent confirmation without its ``Confirmed`` event: return if another
        transaction confirmed the root first, else raise why (revert, not mined)."""
        assert self.chain is not None
        receipt = self.chain.receipt(tx_hash)
        if receipt is None:
            raise ChainError(f"confirmation 0x{tx_hash.hex()} of 0x{root.hex()} is not mined "
                             "although a later one is; it is sent again on the next try")
        if int(receipt["status"]) == 1:
            raise ChainError(f"confirmation 0x{tx_hash.hex()} of 0x{root.hex()} was mined "
                             "without its Confirmed event; check the node")
        error = self.chain.revert_error(receipt, sender=self.account.address,
                                        to=contract.address, data=contract.confirm_calldata(root),
                                        gas=gas, label="confirm")
        if error.error_name != "EvidenceAnchor__AlreadyConfirmed":
            raise error

    # -- the loop --

    def run(self, *, poll_s: float, once: bool) -> ServeSummary:
        delay = poll_s
        try:
            while not self.stop.is_set():
                try:
                    more = self.step(once=once)
                    delay = poll_s
                except _Stop:
                    break
                except (ChainError, OSError) as exc:
                    if once or _fatal(exc):
                        raise
                    _log.warning(f"chain problem: {exc}; retrying in {delay:g} s")
                    self.disconnect()
                    self.stop.wait(delay)
                    delay = min(MAX_BACKOFF_S, max(delay, 0.5) * 2)
                    continue
                if more:
                    continue
                if once:
                    break
                self.stop.wait(poll_s)
        finally:
            self.disconnect()
            if self.state is not None:
                self.save()
        state = self.state
        return ServeSummary(self.account.address, self.state_path,
                            state.next_block if state else self.from_block,
                            state.confirmed if state else 0, self.already,
                            state.refused if state else 0)


def _fatal(exc: BaseException) -> bool:
    """Errors a retry cannot fix: a revoked witness, a foreign contract, a bad state file."""
    from ..errors import ContractMismatchError

    if isinstance(exc, ContractMismatchError):
        return True
    return isinstance(exc, TransactionError) and exc.error_name in (
        "EvidenceAnchor__WitnessRevoked", "EvidenceAnchor__NotAWitness")


def serve(ws: Workspace, key: Path, passphrase: str, *, poll_s: float = DEFAULT_POLL_S,
          state_path: Path | None = None, from_block: int = 0, once: bool = False,
          max_skew_s: int | None = None, stop: threading.Event | None = None,
          clock: Clock = time.time) -> ServeSummary:
    """Follow new anchors and confirm each one as the witness whose key is at ``key``.

    Reads ``Anchored`` events from the block after the last one processed (saved in
    ``state_path``, default :func:`default_state_path`; ``from_block`` on the first run),
    up to the chain head less the workspace's ``confirmations``, in ranges of
    :data:`LOG_RANGE_BLOCKS`. For each root: skipped when the witness confirmed it already
    (``confirmationOf``), refused and logged when outside the clock skew
    (:func:`check_skew`), else confirmed by the witness's own transaction, sent in batches
    of :data:`CONFIRM_BATCH` (see the module docstring).

    Runs until ``stop`` is set (checked between batches and while waiting), or, with
    ``once``, until the chain head is reached. Chain trouble (node unreachable, no gas, a
    transaction not mined) is logged and retried with a delay doubling up to
    :data:`MAX_BACKOFF_S`; with ``once`` it is raised instead. A revoked witness and a
    contract whose code does not match are raised (a retry cannot fix them). The state is
    saved on every exit. Each action is logged on the ``evidence.witness.daemon`` logger
    (one line, never a key): INFO, or WARNING for a refusal or a chain problem.

    One daemon per key: a second one (same workspace, or same key file) is refused with
    :class:`~evidence.errors.ConfigurationError` (evidence/witness/servelock.py).
    """
    if poll_s <= 0:
        raise InputError("--poll must be a positive number of seconds")
    if from_block < 0:
        raise InputError("--from-block must not be negative")
    skew = ws.chain.max_skew_seconds if max_skew_s is None else max_skew_s
    check_skew_setting(skew)
    account = load_witness_key(key, passphrase)
    with serve_lock(ws.root, account.address, key):
        return _serve(ws, account, state_path=state_path, from_block=from_block, skew=skew,
                      stop=stop, clock=clock, poll_s=poll_s, once=once)


def _serve(ws: Workspace, account: LocalAccount, *, state_path: Path | None, from_block: int,
           skew: int, stop: threading.Event | None, clock: Clock,
           poll_s: float, once: bool) -> ServeSummary:
    daemon = _Daemon(ws, account,
                     state_path=state_path or default_state_path(ws, account.address),
                     from_block=from_block, max_skew_s=skew, stop=stop or threading.Event(),
                     clock=clock)
    return daemon.run(poll_s=poll_s, once=once)
