"""Anchoring: the workspace's chain, its contract, demo witnesses, and ``anchor``.

``anchor`` batches the roots of several bundles into one RFC 6962 tree and sends one
``EvidenceAnchor.anchor(batchRoot, n)`` transaction; each bundle gets a receipt with its
inclusion path. Crash safety comes from a journal and from the contract being
write-once: the batch is written to ``<workspace>/journal/`` before anything is sent; a
run that finds a journal first asks the chain whether that batch root is anchored
already and, if so, only writes the missing receipts. A root is never anchored twice
(a second ``anchor`` of the same root reverts), and a receipt is written atomically.

The journal names each bundle by its signed root; its path is only where to look first.
A bundle moved (or renamed) after a crash is found again by its root when it is anchored
from its new place: it gets the receipt of the batch already on chain, not a second
anchor. A journal whose bundles are not all found stays until they are.

Confirmations (``confirmations``, ``--confirmations N``): receipts are written only once
N blocks are on top of the anchor's block, however long N blocks take, up to
``timeout_s`` (ChainError, exit 3, no receipt written; the journal stays, and a rerun
waits for the blocks it has not yet seen before it writes them).
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .bundle.custody import append_entry, utc_now
from .bundle.integrity import check_integrity, is_disclosure, require_package
from .bundle.layout import RECEIPTS_DIR, read_json_file, read_signed_root
from .bundle.receipts import Receipt, batch_leaf, read_receipts, receipt_filename
from .errors import ChainError, InputError, VerificationError
from .fsutil import atomic_write_bytes
from .keys import SigningKey
from .standards.jcs import canonicalize
from .standards.merkle import MerkleTree
from .workspace import ChainSettings, Workspace
from .workspace_chain import (
    chain_config,
    open_workspace_chain,
    open_workspace_contract,
    prefetch_anchoring_keys,
)

if TYPE_CHECKING:
    from eth_account.signers.local import LocalAccount

    from .chain.backend import ChainClient
    from .chain.contract import AnchorContract
    from .chain.types import AnchorRecord

__all__ = [
    "DEMO_WITNESSES",
    "AnchorOutcome",
    "anchor_bundles",
    "anchor_root",
    "checked_root",
    "receipt_holds",
    "setup_chain",
    "workspace_account",
    "write_receipt",
]

#: Simulated witnesses for `init --demo-witnesses` (embedded chain only): three Hague
#: Evidence Convention parties and one non-party, so the demo shows both outcomes.
DEMO_WITNESSES = (
    ("CN", "Simulated witness node, China (demo)"),
    ("SG", "Simulated witness node, Singapore (demo)"),
    ("DE", "Simulated witness node, Germany (demo)"),
    ("JP", "Simulated witness node, Japan (demo)"),
)
#: Ether given to each workspace account on the embedded chain (gas only; worthless).
DEMO_FUNDING_WEI = 10**20

#: Progress (INFO: each step a user sees with `anchor`/`init`); the library never prints.
_log = logging.getLogger(__name__)
JOURNAL_DIR = "journal"
#: Seconds between two looks at the chain head while waiting for confirmations.
CONFIRMATION_POLL_S = 1.0
#: How long ``anchor`` waits for its confirmations by default (``--timeout``), in seconds.
DEFAULT_CONFIRMATION_TIMEOUT_S = 600.0
#: Simulated witnesses' keystores use a lighter scrypt cost (still encrypted at rest): they
#: guard worthless keys on a development chain and are unlocked on every demo anchoring.
DEMO_WITNESS_SCRYPT_N = 2**14


def workspace_account(ws: Workspace, passphrase: str) -> LocalAccount:
    from .chain.accounts import load_account

    return load_account(ws.path(ws.chain.account_keystore), passphrase)


def setup_chain(ws: Workspace, passphrase: str, *, url: str | None = None,
                contract: str | None = None, confirmations: int | None = None,
                demo_witnesses: bool = False) -> Workspace:
    """Give a workspace its chain: account, contract (deployed unless given), witnesses.

    Roles (docs/architecture.md, "Trust"): without ``contract`` the workspace deploys
    EvidenceAnchor and its account becomes the registrar (it needs gas); with ``contract``
    it joins that registry as a capturer or a witness operator: nothing is sent and no
    funds are needed (only anchoring and direct confirmations cost gas). On a development
    chain the workspace also gets a demonstration trust profile (``trust-demo.toml``,
    docs/trust.md): verdicts under it say "demonstration" and have no evidential value.

    Idempotent: a workspace whose chain is set up already is returned unchanged, except
    that ``demo_witnesses`` adds the demo witnesses if they are missing. Each step (account,
    contract, witnesses) is logged at INFO on the ``evidence.anchoring`` logger.
    """
    from .chain.accounts import create_keystore, keystore_address
    from .chain.connect import open_chain, preload_chain_modules
    from .chain.contract import AnchorContract, deploy_anchor_contract

    keystore = ws.path(ws.chain.account_keystore)
    if not keystore.exists():
        if ws.chain.contract is None:  # the chain is opened next: import it meanwhile
            preload_chain_modules("rpc" if url else "embedded")
        create_keystore(keystore, passphrase)
        _log.info(f"workspace account: {keystore_address(keystore)} "
                  f"(encrypted keystore {keystore})")
    if ws.chain.contract is None:
        settings = ChainSettings(
            kind="rpc" if url else "embedded", url=url,
            confirmations=confirmations if confirmations is not None else ws.chain.confirmations)
        ws = ws.with_chain(settings)
        with open_chain(chain_config(ws, create=True)) as chain:
            if contract is None:
                account = workspace_account(ws, passphrase)
                if chain.is_development and ws.chain.kind == "embedded":
                    chain.fund(account.address, DEMO_FUNDING_WEI)
                elif chain.balance(account.address) == 0:
                    raise ChainError(
                        f"the workspace account {account.address} has no funds for gas on "
                        f"{chain.description}; send it some, then run `evidence init` again "
                        "(joining an existing registry with --contract ADDRESS needs none)")
                address = deploy_anchor_contract(chain, account)
                _log.info(f"EvidenceAnchor deployed at {address} on {chain.description}; the "
                          f"workspace account {account.address} is its registrar")
            else:
                joined = AnchorContract(chain, contract)
                address = joined.address
                _log.info(f"joined the registry EvidenceAnchor at {address} (code matches the "
                          f"artifact; registrar {joined.registrar()}); nothing was sent")
            ws = ws.with_chain(replace(ws.chain, chain_id=chain.chain_id, contract=address))
            if chain.is_development:
                _write_demo_profile(ws, chain, address)
            ws.save()
    if demo_witnesses:
        ws = _add_demo_witnesses(ws, passphrase)
    return ws


def _write_demo_profile(ws: Workspace, chain: ChainClient, contract_address: str,
                        demo_operators: Sequence[tuple[str, str, str, str]] = ()) -> Path:
    """Write (or rewrite) the workspace's demonstration trust profile for its development
    chain: the chain's genesis, the contract and its registrar, and the demo witnesses."""
    from .chain.contract import AnchorContract
    from .trust.profile import write_demo_profile
    from .trust.sources import DEMO_PROFILE_NAME

    registrar = AnchorContract(chain, contract_address).registrar()
    genesis = bytes(chain.block(0)["hash"])
    return write_demo_profile(ws.path(DEMO_PROFILE_NAME), chain_id=chain.chain_id,
                              genesis_hash=genesis, contract=contract_address,
                              registrar=registrar, operators=demo_operators, replace=True)


def _add_demo_witnesses(ws: Workspace, passphrase: str) -> Workspace:
    from .chain.accounts import create_keystore, keystore_address

    if ws.chain.kind != "embedded":
        raise InputError("--demo-witnesses is for the embedded development chain only")
    keys = list(ws.chain.witness_keys)
    operators: list[tuple[str, str, str, str]] = []
    with open_workspace_chain(ws) as chain:
        contract = open_workspace_contract(ws, chain)
        account = workspace_account(ws, passphrase)
        for cc, operator in DEMO_WITNESSES:
            rel = f"keys/witnesses/demo-{cc.lower()}.json"
            path = ws.path(rel)
            if not path.exists():
                path.parent.mkdir(parents=True, exist_ok=True)
                create_keystore(path, passphrase, scrypt_n=DEMO_WITNESS_SCRYPT_N)
            address = keystore_address(path)
            if contract.witness_of(address) is None:
                chain.fund(address, DEMO_FUNDING_WEI)
                contract.add_witness(address, cc, operator, account)
                _log.info(f"simulated witness {cc} registered: {address} ({operator})")
            if rel not in keys:
                keys.append(rel)
            operators.append((f"DEMO-{cc}", operator, cc, address))
        profile = _write_demo_profile(ws, chain, contract.address, operators)
        _log.info(f"demonstration trust profile: {profile} (no evidential value; a court "
                  "brings its own profile, docs/trust.md)")
    ws = ws.with_chain(replace(ws.chain, witness_keys=tuple(keys)))
    ws.save()
    return ws


@dataclass(frozen=True)
class AnchorOutcome:
    """What ``anchor`` did for each bundle."""

    anchored: tuple[tuple[Path, Receipt], ...]
    already: tuple[tuple[Path, Receipt], ...]
    confirmations: tuple[str, ...] = ()
    resumed: bool = False

    def to_json(self) -> dict[str, object]:
        """What ``evidence anchor --json`` prints: each bundle with its receipt."""
        return {"anchored": [{"bundle": str(b), **r.to_json()} for b, r in self.anchored],
                "already": [{"bundle": str(b), **r.to_json()} for b, r in self.already],
                "confirmations": list(self.confirmations)}


def _journal_path(ws: Workspace, batch_root: bytes) -> Path:
    return ws.path(JOURNAL_DIR) / f"anchor-{batch_root.hex()}.json"


@dataclass(frozen=True)
class _Waiting:
    """How many blocks must be on top of an anchor before its receipts are written."""

    confirmations: int
    deadline: float
    timeout_s: float
    progress: Callable[[str], None]


def anchor_bundles(ws: Workspace, bundles: Sequence[Path], *, passphrase: str,
                   key: SigningKey, reanchor: bool = False,
                   chain: ChainClient | None = None,
                   on_wait: Callable[[str], None] | None = None,
                   confirmations: int | None = None,
                   timeout_s: float = DEFAULT_CONFIRMATION_TIMEOUT_S,
                   progress: Callable[[str], None] | None = None) -> AnchorOutcome:
    """:func:`_anchor_bundles` under the workspace's anchor lock (evidence/anchorlock.py):
    concurrent runs in one workspace are serialised; ``on_wait`` hears once that this one
    waits for another.

    ``confirmations`` (default: the workspace's ``[chain] confirmations``; the embedded
    chain mines a block per transaction only, and needs none) blocks must follow the
    anchor's block before any receipt is written; ``progress`` hears one line each time
    the count grows. After ``timeout_s`` seconds of waiting: ChainError (exit 3), no
    receipt written, the journal kept for the next run (see the module docstring). Each
    step (the batch sent, a journal completed, a simulated witness's confirmation) is
    logged at INFO on the ``evidence.anchoring`` logger.
    """
    from .anchorlock import anchor_lock

    if confirmations is not None and not 0 <= confirmations <= MAX_ANCHOR_CONFIRMATIONS:
        raise InputError(f"--confirmations must be between 0 and {MAX_ANCHOR_CONFIRMATIONS}")
    if not timeout_s > 0:
        raise InputError("--timeout must be a positive number of seconds")
    needed = ws.chain.confirmations if confirmations is None else confirmations
    if ws.chain.kind == "embedded":
        needed = 0
    with anchor_lock(ws.root, on_wait=on_wait):
        waiting = _Waiting(needed, time.monotonic() + timeout_s, timeout_s,
                           progress or (lambda _line: None))
        return _anchor_bundles(ws, bundles, passphrase=passphrase, key=key, reanchor=reanchor,
                               chain=chain, waiting=waiting)


#: Largest ``--confirmations`` (the chain client's own limit: more is a typo).
MAX_ANCHOR_CONFIRMATIONS = 1024


def _open_for_anchoring(ws: Workspace) -> ChainClient:
    """The workspace's chain, with transactions counted as soon as they are mined: the
    confirmations are waited for by :func:`_await_confirmations`, with progress and the
    caller's timeout, not inside one send (whose wait is the request timeout)."""
    if ws.chain.kind == "embedded":
        return open_workspace_chain(ws)
    from .chain.connect import open_chain

    return open_chain(replace(chain_config(ws), confirmations=0))


def _await_confirmations(client: ChainClient, contract: AnchorContract, batch_root: bytes,
                         waiting: _Waiting) -> None:
    """Return once ``waiting.confirmations`` blocks follow the anchor of ``batch_root``
    (read again each time: a reorganisation may move it); ChainError at the deadline."""
    shown = "0x" + batch_root.hex()
    last = -1
    while True:
        record = contract.anchor_of(batch_root)
        if record is None:
            raise ChainError(f"the anchor of batch {shown} is no longer on {client.description} "
                             "(a reorganisation dropped it); run `evidence anchor` again")
        have = max(0, client.latest_block_number() - record.block_number)
        if have >= waiting.confirmations:
            return
        if have != last:
            waiting.progress(f"waiting for confirmations: {have} of {waiting.confirmations} "
                             f"blocks on top of block {record.block_number} (batch {shown})")
            last = have
        if time.monotonic() >= waiting.deadline:
            raise ChainError(
                f"the anchor of batch {shown} (block {record.block_number}) has {have} of "
                f"{waiting.confirmations} confirmations after {waiting.timeout_s:g} s; no "
                "receipt was written: run the same `evidence anchor` again to keep waiting")
        time.sleep(min(CONFIRMATION_POLL_S, max(0.0, waiting.deadline - time.monotonic())))


def _anchor_bundles(ws: Workspace, bundles: Sequence[Path], *, passphrase: str,
                    key: SigningKey, reanchor: bool = False,
                    chain: ChainClient | None = None,
                    waiting: _Waiting | None = None) -> AnchorOutcome:
    """Anchor the roots of ``bundles`` in one transaction (see module docstring).

    Raises InputError for a path that is not an intact bundle, VerificationError (exit 1)
    for a bundle whose receipt the chain no longer backs (a reorganisation dropped or moved
    its anchor: ``reanchor=True`` anchors it again and replaces the stale receipt), and
    ChainError (exit 3) when the chain cannot complete the anchoring.
    """
    wait = waiting or _Waiting(0, time.monotonic() + DEFAULT_CONFIRMATION_TIMEOUT_S,
                               DEFAULT_CONFIRMATION_TIMEOUT_S, lambda _line: None)
    own = chain is None
    prefetch_anchoring_keys(ws, passphrase)  # the scrypt overlaps opening the chain (imports)
    client = _open_for_anchoring(ws) if chain is None else chain
    try:
        contract = open_workspace_contract(ws, client)
        _finish_journals(ws, client, contract, key, wait)
        pending: list[tuple[Path, bytes]] = []
        already: list[tuple[Path, Receipt]] = []
        for bundle in bundles:
            root = checked_root(bundle)
            existing = [r for r in read_receipts(bundle)
                        if r.chain_id == client.chain_id and r.contract == contract.address]
            if existing and not reanchor:
                held = next((r for r in existing if receipt_holds(client, contract, r)), None)
                if held is None:
                    raise VerificationError(
                        f"{bundle}: its receipt is no longer backed by {client.description} "
                        "(the anchor was dropped or moved by a reorganisation); run "
                        f"`evidence anchor --reanchor {bundle}`")
                already.append((bundle, held))
                continue
            pending.append((bundle, root))
        resumed = False
        anchored: list[tuple[Path, Receipt]] = []
        if pending and not reanchor:
            anchored, pending = _from_journals(ws, client, contract, pending, key, wait)
            resumed = bool(anchored)
        if pending:
            more, resumed_batch = _anchor_batch(ws, client, contract, pending, passphrase, key,
                                                reanchor, wait)
            anchored += more
            resumed = resumed or resumed_batch
        confirmations = _demo_confirm(ws, client, contract, anchored, passphrase)
        return AnchorOutcome(tuple(anchored), tuple(already), tuple(confirmations), resumed)
    finally:
        if own:
            client.close()


def receipt_holds(client: ChainClient, contract: AnchorContract, receipt: Receipt) -> bool:
    """Whether the chain still has the anchor ``receipt`` records, in the receipt's block
    (a reorganisation can drop an anchor, or move it to another block)."""
    record = contract.anchor_of(receipt.batch_root)
    if record is None or record.block_number != receipt.block_number:
        return False
    return "0x" + bytes(client.block(record.block_number)["hash"]).hex() == receipt.block_hash


def _journal_entries(doc: dict[str, Any]) -> tuple[list[tuple[Path, bytes]], list[bytes]]:
    """A journal's bundles (path where it was, signed root) and its batch's roots in
    order (``roots``; a journal written before that field lists every bundle)."""
    listed = doc.get("bundles")
    entries = [(Path(str(b["path"])), bytes.fromhex(str(b["root"])))
               for b in (listed if isinstance(listed, list) else []) if isinstance(b, dict)]
    roots_field = doc.get("roots")
    if isinstance(roots_field, list):
        roots = [bytes.fromhex(str(r)) for r in roots_field]
    else:
        roots = []
        for _, r in entries:
            if r not in roots:
                roots.append(r)
    return entries, roots


def _root_at(path: Path) -> bytes | None:
    """The signed root of the bundle at ``path``, or None when there is none (moved)."""
    try:
        return read_signed_root(path).root if path.is_dir() else None
    except (InputError, OSError):
        return None


def _keep_journal(path: Path, doc: dict[str, Any], left: list[tuple[Path, bytes]],
                  roots: list[bytes]) -> None:
    """Rewrite the journal with only the bundles still without their receipt (or remove
    it when none is left)."""
    if not left:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
        return
    kept = {**doc, "bundles": [{"path": str(p), "root": r.hex()} for p, r in left],
            "roots": [r.hex() for r in roots]}
    atomic_write_bytes(path, canonicalize(kept) + b"\n")


def _finish_journals(ws: Workspace, client: ChainClient, contract: AnchorContract,
                     key: SigningKey, waiting: _Waiting) -> None:
    """Complete anchorings a killed run left behind: receipts for batches on chain, for
    the bundles still where the journal saw them (with the same root). The others stay in
    the journal, found by their root when they are anchored from their new place."""
    folder = ws.path(JOURNAL_DIR)
    if not folder.is_dir():
        return
    for path in sorted(folder.glob("anchor-*.json")):
        doc = read_json_file(path)
        if not isinstance(doc, dict):
            continue
        batch_root = bytes.fromhex(str(doc["batch_root"]))
        if contract.anchor_of(batch_root) is None:
            path.unlink()  # never sent (or not mined): the bundles are simply re-anchored
            continue
        entries, roots = _journal_entries(doc)
        present = [(p, r) for p, r in entries if _root_at(p) == r]
        left = [(p, r) for p, r in entries if (p, r) not in present]
        if present:
            _log.info(f"completing an interrupted anchoring (batch {batch_root.hex()})")
            _await_confirmations(client, contract, batch_root, waiting)
            _write_receipts(client, contract, present, roots, batch_root, key)
        if left and len(left) != len(entries):
            _log.info(f"{len(left)} bundle(s) of batch {batch_root.hex()} are no longer where "
                      "they were; anchoring them from their new place gives them this batch's "
                      "receipt")
        _keep_journal(path, doc, left, roots)


def _from_journals(ws: Workspace, client: ChainClient, contract: AnchorContract,
                   pending: list[tuple[Path, bytes]], key: SigningKey, waiting: _Waiting
                   ) -> tuple[list[tuple[Path, Receipt]], list[tuple[Path, bytes]]]:
    """Bundles whose root a kept journal lists (moved after an interrupted anchoring)
    get the receipt of that batch, already on chain; returns (done, still pending)."""
    folder = ws.path(JOURNAL_DIR)
    if not folder.is_dir():
        return [], pending
    done: list[tuple[Path, Receipt]] = []
    for path in sorted(folder.glob("anchor-*.json")):
        doc = read_json_file(path)
        if not isinstance(doc, dict):
            continue
        entries, roots = _journal_entries(doc)
        wanted = {r for _, r in entries}
        found = [(b, r) for b, r in pending if r in wanted]
        if not found:
            continue
        batch_root = bytes.fromhex(str(doc["batch_root"]))
        _log.info(f"found by its root in the interrupted anchoring of batch {batch_root.hex()}: "
                  + ", ".join(str(b) for b, _ in found))
        _await_confirmations(client, contract, batch_root, waiting)
        done += _write_receipts(client, contract, found, roots, batch_root, key)
        got = {r for _, r in found}
        pending = [(b, r) for b, r in pending if r not in got]
        _keep_journal(path, doc, [(p, r) for p, r in entries if r not in got], roots)
    return done, pending


def anchor_root(client: ChainClient, contract: AnchorContract, batch_root: bytes, size: int,
                account: LocalAccount) -> AnchorRecord:
    """Send the anchor of ``batch_root`` (a tree of ``size`` leaves) and return the record
    the chain holds. A root anchored meanwhile (another run, a resent transaction:
    ``EvidenceAnchor__AlreadyAnchored``) is not an error: the chain's record is what counts.
    Raises ChainError when the anchor is not visible after its transaction."""
    from .errors import TransactionError

    try:
        contract.anchor(batch_root, size, account)
    except TransactionError as exc:
        if exc.error_name != "EvidenceAnchor__AlreadyAnchored":
            raise
    record = contract.anchor_of(batch_root)
    if record is None:
        raise ChainError(f"the anchor of {batch_root.hex()} is not visible on "
                         f"{client.description} after its transaction")
    return record


def checked_root(bundle: Path) -> bytes:
    require_package(bundle)
    if is_disclosure(bundle):
        raise InputError(f"{bundle}: a disclosure package carries its bundle's receipts; "
                         "anchor the bundle itself")
    check_integrity(bundle).require_intact(bundle, "not anchored")
    return read_signed_root(bundle).root


def _anchor_batch(ws: Workspace, client: ChainClient, contract: AnchorContract,
                  pending: list[tuple[Path, bytes]], passphrase: str, key: SigningKey,
                  reanchor: bool, waiting: _Waiting
                  ) -> tuple[list[tuple[Path, Receipt]], bool]:
    # One leaf per distinct root, in the order given (a bundle given twice counts once).
    roots: list[bytes] = []
    for _, root in pending:
        if root not in roots:
            roots.append(root)
    batch_root = MerkleTree([batch_leaf(r) for r in roots]).root
    journal = _journal_path(ws, batch_root)
    resumed = journal.exists()
    if not resumed:
        journal.parent.mkdir(parents=True, exist_ok=True)
        doc = {"version": 1, "batch_root": batch_root.hex(), "created": utc_now(),
               "bundles": [{"path": str(p.resolve()), "root": r.hex()} for p, r in pending],
               "roots": [r.hex() for r in roots]}
        atomic_write_bytes(journal, canonicalize(doc) + b"\n")
    else:
        _log.info(f"resuming the interrupted anchoring of batch {batch_root.hex()}")
    record = contract.anchor_of(batch_root)
    if record is None:
        account = workspace_account(ws, passphrase)
        _log.info(f"anchoring {len(roots)} bundle root(s) as batch {batch_root.hex()} ...")
        record = anchor_root(client, contract, batch_root, len(roots), account)
    elif not resumed:
        _log.info(f"batch root {batch_root.hex()} was anchored already "
                  f"(block {record.block_number})")
    _await_confirmations(client, contract, batch_root, waiting)
    results = _write_receipts(client, contract, pending, roots, batch_root, key)
    with contextlib.suppress(FileNotFoundError):
        journal.unlink()
    return results, resumed


def _write_receipts(client: ChainClient, contract: AnchorContract,
                    bundles: list[tuple[Path, bytes]], roots: list[bytes], batch_root: bytes,
                    key: SigningKey) -> list[tuple[Path, Receipt]]:
    """Read the anchor back from the chain and write each bundle's receipt."""
    unique: list[bytes] = []
    for r in roots:
        if r not in unique:
            unique.append(r)
    tree = MerkleTree([batch_leaf(r) for r in unique])
    if tree.root != batch_root:
        raise ChainError(f"journal for batch {batch_root.hex()} does not rebuild its root")
    record = contract.anchor_of(batch_root)
    if record is None:
        raise ChainError(f"batch {batch_root.hex()} is not anchored on {client.description}")
    tx = contract.anchor_transaction(batch_root, record.block_number)
    if tx is None:
        raise ChainError(f"no Anchored event for {batch_root.hex()} in block {record.block_number}")
    block = client.block(record.block_number)
    results: list[tuple[Path, Receipt]] = []
    for bundle, root in bundles:
        index = unique.index(root)
        receipt = Receipt(
            chain_id=client.chain_id, contract=contract.address, transaction=tx,
            block_number=record.block_number, block_hash="0x" + bytes(block["hash"]).hex(),
            block_time=record.timestamp, batch_root=batch_root, batch_size=len(unique),
            index=index, path=tuple(tree.inclusion_proof(index)), bundle_root=root,
            submitter=record.submitter, development_chain=client.is_development,
            chain=client.description, anchored_at=utc_now())
        write_receipt(bundle, receipt, key)
        results.append((bundle, receipt))
    return results


#: The receipt fields that the chain decides: an existing receipt that agrees on all of them
#: is the same anchoring (an interrupted run wrote it); one that differs is stale.
_ON_CHAIN_FIELDS = ("chain_id", "contract", "transaction", "block_number", "block_hash",
                    "block_time", "batch_root", "batch_size", "index", "path", "bundle_root")


def write_receipt(bundle: Path, receipt: Receipt, key: SigningKey,
                   extra: dict[str, Any] | None = None) -> None:
    """Write ``receipt`` and its signed custody entry (``extra``: more details for it)."""
    folder = bundle / RECEIPTS_DIR
    folder.mkdir(exist_ok=True)
    for leftover in folder.glob(".*.tmp"):  # an atomic write a kill interrupted
        leftover.unlink()
    path = folder / receipt_filename(receipt.chain_id, receipt.batch_root)
    details: dict[str, Any] = {
        "chain_id": receipt.chain_id, "contract": receipt.contract,
        "transaction": receipt.transaction, "block_number": receipt.block_number,
        "batch_root": "0x" + receipt.batch_root.hex(),
        "development_chain": receipt.development_chain, **(extra or {})}
    if path.exists():
        old = read_json_file(path)
        fresh = receipt.to_json()
        if isinstance(old, dict) and all(old.get(k) == fresh[k] for k in _ON_CHAIN_FIELDS):
            # Written by an earlier run that a kill may have stopped before its custody
            # entry or the tag manifests: finish what it left (three files cannot change in
            # one atomic step; the journal brings the rerun here first).
            details["receipt_sha256"] = hashlib.sha256(path.read_bytes()).hexdigest()
            _finish_interrupted_write(bundle, details, key)
            return
        # The old receipt (same chain and batch, so the same file) is stale: a reorganisation
        # dropped or moved its anchor and `--reanchor` anchored the batch again. It is
        # replaced; the signed custody entry says which anchoring this one replaces, and the
        # earlier "anchored" entry stays in the log.
        if isinstance(old, dict):
            details["replaces"] = {k: old.get(k) for k in
                                   ("transaction", "block_number", "block_hash")}
    data = receipt.to_bytes()
    # The signed entry pins the receipt's exact bytes, so its annotations (chain
    # description, anchoring time), which no chain can confirm, cannot be edited either.
    details["receipt_sha256"] = hashlib.sha256(data).hexdigest()
    atomic_write_bytes(path, data)
    append_entry(bundle, "anchored", details, key)


def _finish_interrupted_write(bundle: Path, details: dict[str, Any], key: SigningKey) -> None:
    from .bundle.custody import read_custody
    from .standards.bagit import write_tag_manifests

    # Temporary files of atomic writes the kill interrupted (the custody log, the tag
    # manifests: ".NAME.RANDOM.tmp" beside them) are not part of the bundle: remove them
    # before the tag manifests are written again, or they would be listed as if they were.
    for folder in (bundle, bundle / "evidence"):
        for leftover in folder.glob(".*.tmp"):
            if leftover.is_file() and not leftover.is_symlink():
                leftover.unlink()
    entries = read_custody(bundle / "evidence" / "custody.jsonl")
    recorded = any(e.action == "anchored"
                   and e.details.get("transaction") == details["transaction"]
                   and e.details.get("block_number") == details["block_number"]
                   for e in entries)
    if recorded:
        write_tag_manifests(bundle)
    else:
        append_entry(bundle, "anchored", details, key)  # also refreshes the tag manifests


def _demo_confirm(ws: Workspace, client: ChainClient, contract: AnchorContract,
                  anchored: list[tuple[Path, Receipt]], passphrase: str) -> list[str]:
    """On the embedded chain, the workspace's simulated witnesses confirm new anchors."""
    from .chain.accounts import load_account

    if not anchored or ws.chain.kind != "embedded" or not ws.chain.witness_keys:
        return []
    batch_roots = sorted({r.batch_root for _, r in anchored})
    done = []
    # Each witness signs and sends its own confirmation; the gas limit of the first one
    # (estimated, with its margin) serves the others: a later confirmation of the same root
    # costs no more (its counter is no longer a fresh slot). One estimate instead of four.
    gas: dict[bytes, int] = {}
    for rel in ws.chain.witness_keys:
        witness = load_account(ws.path(rel), passphrase)
        info = contract.witness_of(witness.address)
        if info is None or info.revoked_at is not None:
            continue
        for root in batch_roots:
            existing = {c.witness for c in contract.confirmations_of(root)}
            if witness.address in existing:
                continue
            if root not in gas:
                gas[root] = contract.estimate_confirm(root, witness.address)
            contract.confirm(root, witness, gas=gas[root])
            done.append(f"{info.jurisdiction} {witness.address}")
            _log.info(f"confirmed by simulated witness {info.jurisdiction} ({info.operator})")
    return done

