"""``evidence batcher serve``: many capture clients, one anchor per batch.

Capture clients on other machines POST signed submissions of bundle roots
(evidence/batcher/protocol.py). The service checks each capturer's signature (and, when
the operator names accepted keys, that the key is one of them), journals the roots, and
every ``interval_s`` seconds or ``max_roots`` roots, whichever comes first, builds one
RFC 6962 tree over the pending roots (leaves ``batch_leaf(root)``, exactly as a direct
``evidence anchor`` batches a workspace's bundles) and anchors its root with
``EvidenceAnchor.anchor(root, leafCount)`` from the workspace's account. A client then
GETs its proof: the inclusion path from its root to the anchored root, the way
OpenTimestamps calendars aggregate submissions into one Bitcoin transaction.

State survives a restart (``<workspace>/batcher/``):

* ``pending/<sha256 of the submission>.json``: each accepted submission's roots, written
  atomically before the client is answered 202;
* ``batches/<batch root>.json``: a batch, written atomically before its transaction is
  sent (status ``built``) and again once the chain shows it (``anchored``). A pending
  file is removed only after the batch holding its roots is written, and a restart drops
  pending roots that a batch holds already; a ``built`` batch is looked up on chain at
  start and sent only if the chain does not have it (the contract is write-once, so a
  batch is never anchored twice).

HTTP (JSON in, one-line JSON out; errors as ``{"error": "..."}`` with a 4xx status):

* ``POST /v1/submit``  a submission → 202 with each root's status;
* ``GET /v1/proof/<64 hex>`` → 200 a proof (``pending`` or ``anchored``), 404 unknown;
* ``GET /v1/info`` → the chain id, contract and batching parameters.
"""

from __future__ import annotations

import contextlib
import hashlib
import http.server
import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from evidence.bundle.custody import utc_now
from evidence.bundle.receipts import batch_leaf
from evidence.standards.ijson import loads_strict
from evidence.standards.jcs import canonicalize
from evidence.standards.merkle import MerkleTree

from ..errors import ChainError, EvidenceError, FormatError
from ..fsutil import atomic_write_bytes
from ..workspace import Workspace
from .protocol import (
    INFO_TYPE,
    MAX_REQUEST_BYTES,
    PROTOCOL_VERSION,
    BatchProof,
    Submission,
)

if TYPE_CHECKING:
    from eth_account.signers.local import LocalAccount

    from ..chain.backend import ChainClient
    from ..chain.contract import AnchorContract

__all__ = ["BatcherSettings", "BatcherState", "serve"]

STATE_DIR = "batcher"
#: Roots waiting at once; past it a submission is refused with 503 until a batch is sent.
#: 100,000 roots are 3.2 MB in memory and one transaction's worth of tree.
MAX_PENDING_ROOTS = 100_000
#: Largest batch: the contract's leafCount is a uint32; the pending bound keeps far below.
MAX_BATCH_ROOTS = MAX_PENDING_ROOTS
#: Wait before sending a batch again after the chain refused or could not be reached.
RETRY_S = 2.0
#: Proof trees kept in memory (each a few KB for hundreds of roots); older ones rebuild.
_TREE_CACHE = 64

#: The service's activity: one INFO line per batch, a WARNING per retry or dropped
#: request (``evidence batcher serve`` shows them on stderr); the library never prints.
_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class BatcherSettings:
    """How ``serve`` batches: at most ``interval_s`` after the oldest pending root, or at
    once when ``max_roots`` roots wait; ``allowed`` fingerprints (empty: any valid key)."""

    interval_s: float = 10.0
    max_roots: int = 1000
    allowed: frozenset[str] = frozenset()


class HTTPError(Exception):
    """An HTTP status and a one-line message for the client."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


class BatcherState:
    """The journaled pending roots and batches, shared by the HTTP threads and the worker.

    Every method takes the lock; the chain is only touched by :meth:`run_worker`.
    """

    def __init__(self, folder: Path, settings: BatcherSettings) -> None:
        self.folder = folder
        self.settings = settings
        self.lock = threading.Condition()
        self.pending: dict[bytes, float] = {}  # root -> monotonic arrival time
        self.pending_files: set[Path] = set()
        self.where: dict[bytes, tuple[bytes, int]] = {}  # root -> (batch root, index)
        self.batches: dict[bytes, dict[str, Any]] = {}
        self._trees: dict[bytes, MerkleTree] = {}
        (folder / "pending").mkdir(parents=True, exist_ok=True)
        (folder / "batches").mkdir(parents=True, exist_ok=True)
        self._load()

    # -- journal -------------------------------------------------------------------------

    def _load(self) -> None:
        for path in sorted((self.folder / "batches").glob("*.json")):
            doc = self._read(path)
            root = bytes.fromhex(str(doc["batch_root"]))
            roots = [bytes.fromhex(str(r)) for r in doc["roots"]]
            self.batches[root] = doc
            for i, r in enumerate(roots):
                self.where[r] = (root, i)
        now = time.monotonic()
        for path in sorted((self.folder / "pending").glob("*.json")):
            doc = self._read(path)
            left = [bytes.fromhex(str(r)) for r in doc["roots"]]
            left = [r for r in left if r not in self.where]
            if not left:
                path.unlink()  # its batch was written before a restart removed it
                continue
            self.pending_files.add(path)
            for r in left:
                self.pending.setdefault(r, now)

    @staticmethod
    def _read(path: Path) -> dict[str, Any]:
        doc = loads_strict(path.read_bytes(), path=str(path))
        if not isinstance(doc, dict) or doc.get("version") != 1:
            raise FormatError("not a version 1 batcher journal file", path=str(path))
        return doc

    def _write_batch(self, doc: dict[str, Any]) -> None:
        atomic_write_bytes(self.folder / "batches" / f"{doc['batch_root']}.json",
                           canonicalize(doc) + b"\n")

    # -- HTTP side -----------------------------------------------------------------------

    def accept(self, submission: Submission) -> list[dict[str, str]]:
        """Journal the new roots of a checked submission; each root's status."""
        allowed = self.settings.allowed
        if allowed and submission.fingerprint not in allowed:
            raise HTTPError(403, f"capturer key {submission.fingerprint} is not accepted by "
                                 "this batcher")
        with self.lock:
            new = [r for r in submission.roots if r not in self.where and r not in self.pending]
            if len(self.pending) + len(new) > MAX_PENDING_ROOTS:
                raise HTTPError(503, "the batcher is full; try again after its next batch")
            if new:
                digest = hashlib.sha256(submission.to_bytes()).hexdigest()
                path = self.folder / "pending" / f"{digest}.json"
                atomic_write_bytes(path, canonicalize(
                    {"version": 1, "roots": [r.hex() for r in new],
                     "signer": submission.fingerprint, "received": utc_now()}) + b"\n")
                self.pending_files.add(path)
                now = time.monotonic()
                for r in new:
                    self.pending[r] = now
                self.lock.notify_all()
            return [{"root": "0x" + r.hex(),
                     "status": "anchored" if self._anchored(r) else "pending"}
                    for r in submission.roots]

    def _anchored(self, root: bytes) -> bool:
        where = self.where.get(root)
        return where is not None and self.batches[where[0]].get("status") == "anchored"

    def proof(self, root: bytes) -> BatchProof:
        with self.lock:
            if root in self.pending or (root in self.where and not self._anchored(root)):
                return BatchProof(root, "pending")
            if root not in self.where:
                raise HTTPError(404, f"root 0x{root.hex()} was never submitted here")
            batch_root, index = self.where[root]
            doc = self.batches[batch_root]
            tree = self._tree(batch_root, doc)
            return BatchProof(root, "anchored", batch_root=batch_root, batch_size=tree.size,
                              index=index, path=tuple(tree.inclusion_proof(index)),
                              chain_id=int(doc["chain_id"]), contract=str(doc["contract"]),
                              transaction=str(doc["transaction"]),
                              block_number=int(doc["block_number"]))

    def _tree(self, batch_root: bytes, doc: dict[str, Any]) -> MerkleTree:
        tree = self._trees.get(batch_root)
        if tree is None:
            tree = MerkleTree([batch_leaf(bytes.fromhex(str(r))) for r in doc["roots"]])
            if len(self._trees) >= _TREE_CACHE:
                self._trees.pop(next(iter(self._trees)))
            self._trees[batch_root] = tree
        return tree

    # -- worker side ---------------------------------------------------------------------

    def next_batch(self, stop: threading.Event) -> dict[str, Any] | None:
        """Wait until a batch is due (or a built one awaits sending); cut and journal it."""
        with self.lock:
            while not stop.is_set():
                unsent = [d for d in self.batches.values() if d.get("status") == "built"]
                if unsent:
                    return unsent[0]
                if self.pending:
                    due = min(self.pending.values()) + self.settings.interval_s
                    if len(self.pending) >= self.settings.max_roots or time.monotonic() >= due:
                        return self._cut()
                    self.lock.wait(timeout=max(0.0, due - time.monotonic()))
                else:
                    self.lock.wait(timeout=0.5)
            return None

    def _cut(self) -> dict[str, Any]:
        roots = sorted(self.pending, key=lambda r: (self.pending[r], r))[:MAX_BATCH_ROOTS]
        tree = MerkleTree([batch_leaf(r) for r in roots])
        doc: dict[str, Any] = {"version": 1, "batch_root": tree.root.hex(),
                               "roots": [r.hex() for r in roots], "created": utc_now(),
                               "status": "built"}
        self._write_batch(doc)  # before the pending files go: a crash loses no root
        self.batches[tree.root] = doc
        self._trees[tree.root] = tree
        for i, r in enumerate(roots):
            self.where[r] = (tree.root, i)
            del self.pending[r]
        self._drop_done_pending_files()
        return doc

    def _drop_done_pending_files(self) -> None:
        for path in list(self.pending_files):
            doc = self._read(path)
            if all(bytes.fromhex(str(r)) in self.where for r in doc["roots"]):
                with contextlib.suppress(FileNotFoundError):
                    path.unlink()
                self.pending_files.discard(path)

    def mark_anchored(self, doc: dict[str, Any], *, chain_id: int, contract: str,
                      transaction: str, block_number: int) -> None:
        done = {**doc, "status": "anchored", "chain_id": chain_id, "contract": contract,
                "transaction": transaction, "block_number": block_number}
        with self.lock:
            self._write_batch(done)
            self.batches[bytes.fromhex(str(doc["batch_root"]))] = done

    def counts(self) -> tuple[int, int]:
        with self.lock:
            return len(self.pending), len(self.batches)


def _send_batch(ws: Workspace, state: BatcherState, client: ChainClient,
                contract: AnchorContract, account: LocalAccount, doc: dict[str, Any]
                ) -> None:
    """Anchor one journaled batch (unless the chain has it) and mark it anchored."""
    from ..anchoring import anchor_root
    from ..anchorlock import anchor_lock

    batch_root = bytes.fromhex(str(doc["batch_root"]))
    size = len(doc["roots"])
    with anchor_lock(ws.root):  # shares the account with `evidence anchor`
        record = contract.anchor_of(batch_root)
        if record is None:
            _log.info(f"anchoring batch {batch_root.hex()} of {size} root(s)")
            record = anchor_root(client, contract, batch_root, size, account)
    tx = contract.anchor_transaction(batch_root, record.block_number)
    if tx is None:
        raise ChainError(f"no Anchored event for {batch_root.hex()} in block "
                         f"{record.block_number}")
    state.mark_anchored(doc, chain_id=client.chain_id, contract=contract.address,
                        transaction=tx, block_number=record.block_number)
    _log.info(f"batch {batch_root.hex()} of {size} root(s) anchored in block "
              f"{record.block_number} (tx {tx})")


def run_worker(ws: Workspace, state: BatcherState, passphrase: str, stop: threading.Event,
               on_batch: Callable[[], None] | None = None) -> None:
    """Cut and send batches until ``stop``; chain failures are logged and retried."""
    from ..anchoring import workspace_account
    from ..workspace_chain import open_workspace_chain, open_workspace_contract

    account = workspace_account(ws, passphrase)
    while not stop.is_set():
        doc = state.next_batch(stop)
        if doc is None:
            return
        try:
            with open_workspace_chain(ws) as client:
                contract = open_workspace_contract(ws, client)
                _send_batch(ws, state, client, contract, account, doc)
            if on_batch is not None:
                on_batch()
        except EvidenceError as exc:
            _log.warning(f"batch {doc['batch_root']} not anchored yet: {exc}; retrying in "
                         f"{RETRY_S:g} s")
            stop.wait(RETRY_S)


#: Seconds a client may take to send its request (a slow or stalled sender is dropped).
REQUEST_TIMEOUT_S = 30.0


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    state: BatcherState
    info: dict[str, Any]

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A connection that broke (timed out, reset): one log line, no traceback."""
        import sys

        exc = sys.exc_info()[1]
        _log.warning(f"dropped a request from {client_address[0]}: {type(exc).__name__}")


class _Handler(http.server.BaseHTTPRequestHandler):
    server: _Server
    server_version = "evidence-batcher"
    timeout = REQUEST_TIMEOUT_S
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass  # one line per batch is logged, not one per request

    def log_error(self, format: str, *args: Any) -> None:
        """http.server's own errors (a request that timed out, a bad request line)."""
        _log.warning(f"dropped a request from {self.client_address[0]}: "
                     f"{(format % args).splitlines()[0][:200]}")

    def _answer(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body, separators=(",", ":")).encode() + b"\n"
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _guard(self, action: Callable[[], tuple[int, dict[str, Any]]]) -> None:
        try:
            status, body = action()
        except HTTPError as exc:
            status, body = exc.status, {"error": str(exc)}
        except FormatError as exc:
            status, body = 400, {"error": str(exc).splitlines()[0]}
        except EvidenceError as exc:  # the journal could not be written
            _log.warning(f"refused a request: {exc}")
            status, body = 503, {"error": "the batcher cannot store this now; try again"}
        self._answer(status, body)

    def do_GET(self) -> None:
        self._guard(self._get)

    def do_POST(self) -> None:
        self._guard(self._post)

    def _get(self) -> tuple[int, dict[str, Any]]:
        if self.path == "/v1/info":
            return 200, self.server.info
        prefix = "/v1/proof/"
        if self.path.startswith(prefix):
            text = self.path[len(prefix):].removeprefix("0x")
            if len(text) != 64 or any(c not in "0123456789abcdef" for c in text):
                raise HTTPError(400, "a root is 64 lowercase hex digits")
            return 200, self.server.state.proof(bytes.fromhex(text)).to_json()
        raise HTTPError(404, f"no such endpoint {self.path[:80]!r}")

    def _post(self) -> tuple[int, dict[str, Any]]:
        if self.path != "/v1/submit":
            raise HTTPError(404, f"no such endpoint {self.path[:80]!r}")
        length_text = self.headers.get("Content-Length")
        if length_text is None or not length_text.isdigit():
            self.close_connection = True
            raise HTTPError(411, "a Content-Length is required")
        length = int(length_text)
        if length > MAX_REQUEST_BYTES:
            self.close_connection = True  # the body is not read
            raise HTTPError(413, f"request larger than {MAX_REQUEST_BYTES} bytes")
        body = self.rfile.read(length)
        submission = Submission.from_json(loads_strict(body, path="request"))
        return 202, {"status": "accepted", "roots": self.server.state.accept(submission)}


@dataclass(frozen=True)
class ServeSummary:
    batches: int
    pending: int


def serve(ws: Workspace, passphrase: str, *, host: str = "127.0.0.1", port: int = 8470,
          settings: BatcherSettings | None = None, stop: threading.Event,
          on_ready: Callable[[str], None] | None = None) -> ServeSummary:
    """Run the batcher until ``stop`` is set (see the module docstring). Its activity is
    logged on the ``evidence.batcher.service`` logger (INFO: listening, each batch;
    WARNING: a batch retried, a request dropped or refused), never a key.

    Raises ConfigurationError/ChainError when the workspace has no chain or account, and
    InputError when the address cannot be bound.
    """
    from ..anchoring import workspace_account
    from ..errors import InputError
    from ..workspace_chain import open_workspace_chain, open_workspace_contract

    settings = settings or BatcherSettings()
    workspace_account(ws, passphrase)  # a wrong passphrase fails now, not at the first batch
    with open_workspace_chain(ws) as client:
        contract = open_workspace_contract(ws, client)
        info = {"type": INFO_TYPE, "version": PROTOCOL_VERSION, "chain_id": client.chain_id,
                "contract": contract.address, "interval_s": settings.interval_s,
                "max_roots": settings.max_roots, "development_chain": client.is_development}
    state = BatcherState(ws.path(STATE_DIR), settings)
    try:
        server = _Server((host, port), _Handler)
    except OSError as exc:
        raise InputError(f"cannot listen on {host}:{port}: {exc.strerror}") from exc
    server.state, server.info = state, info
    worker = threading.Thread(target=run_worker, args=(ws, state, passphrase, stop),
                              name="batcher-worker", daemon=True)
    worker.start()
    http_thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2},
                                   name="batcher-http", daemon=True)
    http_thread.start()
    address = f"http://{host}:{server.server_address[1]}"
    pending, batches = state.counts()
    _log.info(f"listening on {address} (chain {info['chain_id']}, contract {info['contract']}; "
              f"a batch every {settings.interval_s:g} s or {settings.max_roots} roots; "
              f"{pending} root(s) pending from the journal)")
    if on_ready is not None:
        on_ready(address)
    try:
        while not stop.wait(0.5):
            pass
    finally:
        server.shutdown()
        server.server_close()
        worker.join(timeout=60)
    pending, batches = state.counts()
    return ServeSummary(batches=batches, pending=pending)
