"""``evidence anchor --batcher URL``: anchor through a batcher, trusting nothing it says.

The client signs a submission of its bundle roots (evidence/batcher/protocol.py), sends
it, and polls for each root's proof. A proof is used only for what the client can check
itself: the RFC 6962 inclusion path (RFC 9162 §2.1.3.2) from ``batch_leaf(root)`` at
``index`` in a tree of ``batch_size`` leaves gives a batch root; the client's **own**
chain reader (the workspace's chain and contract) must then show that root anchored by
``EvidenceAnchor``, with an ``Anchored`` event whose ``leafCount`` is that batch size,
and enough blocks on top. Chain id, block, block hash, time, transaction and submitter in
the receipt all come from that chain read. A path that leads elsewhere, a batch root the
chain does not hold, or a size the event contradicts is a one-line error, and no receipt
is written for any bundle of the run (all proofs are checked before the first write).

The receipt is the ordinary receipt of a direct anchoring (docs/formats.md "Receipts"):
the batcher's tree is the same batch tree over bundle roots, only with other clients'
roots beside this one's, so ``evidence verify`` checks it exactly as strongly.
"""

from __future__ import annotations

import json
import logging
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from evidence.bundle.custody import utc_now
from evidence.bundle.receipts import Receipt, batch_leaf, read_receipts
from evidence.standards.ijson import loads_strict
from evidence.standards.jcs import JSONValue
from evidence.standards.merkle import root_from_inclusion_proof

from ..errors import ChainError, FormatError, InputError
from ..keys import SigningKey
from ..workspace import Workspace
from .protocol import MAX_RESPONSE_BYTES, MAX_ROOTS_PER_SUBMISSION, BatchProof, sign_submission

if TYPE_CHECKING:
    from ..anchoring import AnchorOutcome
    from ..chain.backend import ChainClient, LogEntry
    from ..chain.contract import AnchorContract
    from ..chain.types import AnchorRecord

__all__ = ["BatcherLiedError", "anchor_via_batcher"]

#: Seconds one HTTP request to the batcher may take.
HTTP_TIMEOUT_S = 30.0

#: Progress (INFO; also the waiting lines when no ``progress=`` callback is given): the
#: library never prints.
_log = logging.getLogger(__name__)
#: Default wait for a batch: the batcher's interval plus the chain's confirmations.
DEFAULT_TIMEOUT_S = 600.0
#: keccak256("Anchored(bytes32,address,uint32,uint64)"): the event's first topic
#: (contracts/IEvidenceAnchor.sol).
_ANCHORED_SIGNATURE = "Anchored(bytes32,address,uint32,uint64)"


#: What the client's own chain read found for one batch root: the anchor record, its
#: ``Anchored`` event, and the hash of the block holding it.
_ChainFacts = tuple["AnchorRecord", "LogEntry", bytes]


class BatcherLiedError(ChainError):
    """The batcher's answer does not hold against the client's own chain read."""


def _request(url: str, *, body: bytes | None = None) -> JSONValue:
    request = urllib.request.Request(url, data=body, method="POST" if body else "GET",
                                     headers={"Content-Type": "application/json",
                                              "Accept": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=HTTP_TIMEOUT_S) as response:
            data = response.read(MAX_RESPONSE_BYTES + 1)
    except urllib.error.HTTPError as exc:
        detail = _error_text(exc.read(MAX_RESPONSE_BYTES + 1))
        raise ChainError(f"the batcher refused {urllib.parse.urlsplit(url).path}: HTTP "
                         f"{exc.code} {detail}") from exc
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise ChainError(f"the batcher at {url} cannot be reached ({reason})") from exc
    if len(data) > MAX_RESPONSE_BYTES:
        raise ChainError(f"the batcher's answer from {url} is larger than "
                         f"{MAX_RESPONSE_BYTES} bytes")
    try:
        return loads_strict(data, path=url)
    except FormatError as exc:
        raise ChainError(f"the batcher's answer from {url} is not JSON") from exc


def _error_text(data: bytes) -> str:
    try:
        doc = json.loads(data)
        return str(doc.get("error", ""))[:200] if isinstance(doc, dict) else ""
    except ValueError:
        return ""


def _base(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise InputError(f"--batcher {url!r}: give an http:// or https:// URL")
    return url.rstrip("/")


def _shown(url: str) -> str:
    """``url`` without any user name or password, as recorded in the custody log."""
    parts = urllib.parse.urlsplit(url)
    host = parts.hostname or ""
    netloc = f"[{host}]" if ":" in host else host
    if parts.port is not None:
        netloc += f":{parts.port}"
    return urllib.parse.urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def _checked(ws: Workspace, client: ChainClient, contract: AnchorContract, proof: BatchProof,
             root: bytes, unseen: set[bytes], chain_facts: dict[bytes, _ChainFacts]
             ) -> Receipt | None:
    """The receipt ``proof`` backs on the client's own chain; None while the chain does
    not show it yet (a node behind the batcher's: ``root`` is then in ``unseen``; or too
    few blocks on top); raises BatcherLiedError when the proof cannot be right.
    ``chain_facts`` keeps what this run's chain reads found for each batch root (one read
    per batch, not per bundle: a batch holds many of this client's roots)."""
    from ..chain.primitives import keccak256

    if proof.bundle_root != root:
        raise BatcherLiedError(f"the batcher answered for root 0x{proof.bundle_root.hex()} "
                               f"when asked for 0x{root.hex()}")
    try:
        batch_root = root_from_inclusion_proof(batch_leaf(root), proof.index,
                                               proof.batch_size, list(proof.path))
    except FormatError as exc:
        raise BatcherLiedError(f"the batcher's inclusion path for 0x{root.hex()} is "
                               f"malformed ({exc})") from exc
    if batch_root != proof.batch_root:
        raise BatcherLiedError(f"the batcher's inclusion path for 0x{root.hex()} leads to "
                               f"0x{batch_root.hex()}, not to the batch root "
                               f"0x{proof.batch_root.hex()} it says it anchored")
    seen = chain_facts.get(batch_root)
    if seen is None:
        record = contract.anchor_of(batch_root)
        if record is None:
            unseen.add(root)
            return None
        topic = keccak256(_ANCHORED_SIGNATURE.encode())
        logs = client.logs(contract.address, [topic, batch_root], record.block_number,
                           record.block_number)
        if not logs:
            raise ChainError(f"no Anchored event for 0x{batch_root.hex()} in block "
                             f"{record.block_number} on {client.description}")
        block_hash = bytes(client.block(record.block_number)["hash"])
        seen = chain_facts[batch_root] = (record, logs[0], block_hash)
    unseen.discard(root)
    record, event, block_hash = seen
    leaf_count = int.from_bytes(event.data[:32], "big")
    if leaf_count != proof.batch_size:
        raise BatcherLiedError(f"batch 0x{batch_root.hex()} was anchored with {leaf_count} "
                               f"leaves; the batcher's proof says {proof.batch_size}")
    if client.latest_block_number() - record.block_number < ws.chain.confirmations:
        return None
    return Receipt(
        chain_id=client.chain_id, contract=contract.address,
        transaction="0x" + event.transaction_hash.hex(), block_number=record.block_number,
        block_hash="0x" + block_hash.hex(),
        block_time=record.timestamp, batch_root=batch_root, batch_size=proof.batch_size,
        index=proof.index, path=proof.path, bundle_root=root, submitter=record.submitter,
        development_chain=client.is_development, chain=client.description,
        anchored_at=utc_now())


def anchor_via_batcher(ws: Workspace, bundles: Sequence[Path], *, url: str, key: SigningKey,
                       timeout_s: float = DEFAULT_TIMEOUT_S, poll_s: float = 1.0,
                       progress: Callable[[str], None] | None = None,
                       on_wait: Callable[[str], None] | None = None) -> AnchorOutcome:
    """Anchor ``bundles`` through the batcher at ``url`` (see the module docstring).

    Runs under the workspace's anchor lock. Raises InputError for a path that is not an
    intact bundle, ChainError (exit 3) when the batcher or the chain cannot be reached,
    the batch is not anchored within ``timeout_s`` (nothing written; run again later: the
    batcher keeps the roots), or the batcher's answer does not hold (BatcherLiedError).
    The submission is logged at INFO on the ``evidence.batcher.client`` logger; ``progress``
    (default: that logger) hears each change while waiting for the batch.
    """
    from ..anchorlock import anchor_lock

    base = _base(url)
    with anchor_lock(ws.root, on_wait=on_wait):
        return _anchor(ws, bundles, base, key, timeout_s, poll_s, progress or _log.info)


def _anchor(ws: Workspace, bundles: Sequence[Path], base: str, key: SigningKey,
            timeout_s: float, poll_s: float, progress: Callable[[str], None]
            ) -> AnchorOutcome:
    from ..anchoring import AnchorOutcome, checked_root, receipt_holds, write_receipt
    from ..workspace_chain import open_workspace_chain, open_workspace_contract

    with open_workspace_chain(ws) as client:
        contract = open_workspace_contract(ws, client)
        pending: list[tuple[Path, bytes]] = []
        already: list[tuple[Path, Receipt]] = []
        for bundle in bundles:
            root = checked_root(bundle)
            held = next((r for r in read_receipts(bundle)
                         if r.chain_id == client.chain_id and r.contract == contract.address
                         and receipt_holds(client, contract, r)), None)
            if held is not None:
                already.append((bundle, held))
            else:
                pending.append((bundle, root))
        roots = list(dict.fromkeys(r for _, r in pending))  # a root given twice counts once
        for start in range(0, len(roots), MAX_ROOTS_PER_SUBMISSION):
            chunk = roots[start:start + MAX_ROOTS_PER_SUBMISSION]
            submission = sign_submission(chunk, key, utc_now())
            _request(f"{base}/v1/submit", body=submission.to_bytes())
        if roots:
            _log.info(f"submitted {len(roots)} bundle root(s) to the batcher {_shown(base)}")
        receipts = _wait(ws, client, contract, base, roots, timeout_s, poll_s, progress)
        anchored: list[tuple[Path, Receipt]] = []
        for bundle, root in pending:  # every proof checked: now write
            receipt = receipts[root]
            write_receipt(bundle, receipt, key, {"batcher": _shown(base)})
            anchored.append((bundle, receipt))
        return AnchorOutcome(tuple(anchored), tuple(already))


def _wait(ws: Workspace, client: ChainClient, contract: AnchorContract, base: str,
          roots: list[bytes], timeout_s: float, poll_s: float,
          progress: Callable[[str], None]) -> dict[bytes, Receipt]:
    started = time.monotonic()
    done: dict[bytes, Receipt] = {}
    unseen: set[bytes] = set()  # the batcher says anchored; this client's chain does not
    claims: dict[bytes, BatchProof] = {}
    chain_facts: dict[bytes, _ChainFacts] = {}
    last = ""
    while True:
        for root in roots:
            if root in done:
                continue
            try:
                proof = BatchProof.from_json(_request(f"{base}/v1/proof/{root.hex()}"))
            except FormatError as exc:
                raise BatcherLiedError(f"the batcher's proof for 0x{root.hex()} is malformed "
                                       f"({exc})") from exc
            if proof.status != "anchored":
                continue
            claims[root] = proof
            receipt = _checked(ws, client, contract, proof, root, unseen, chain_facts)
            if receipt is not None:
                done[root] = receipt
        if len(done) == len(roots):
            return done
        waited = time.monotonic() - started
        line = f"waiting for the batcher: {len(done)}/{len(roots)} root(s) anchored"
        if line != last:
            progress(f"{line} ({waited:.0f} s)")
            last = line
        if waited >= timeout_s:
            if unseen:
                root = min(unseen)
                claim = claims[root]
                raise BatcherLiedError(
                    f"the batcher says root 0x{root.hex()} is anchored in batch "
                    f"0x{claim.batch_root.hex()} (tx {claim.transaction}), but "
                    f"{client.description} has no anchor of that batch at contract "
                    f"{contract.address} after {timeout_s:g} s; nothing was written")
            raise ChainError(f"the batcher did not anchor {len(roots) - len(done)} of "
                             f"{len(roots)} root(s) within {timeout_s:g} s; nothing was "
                             "written; run the same command again later")
        time.sleep(poll_s)

