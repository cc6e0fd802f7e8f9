"""A JSON-RPC chain read so that no node the verifier names can fake an answer.

:class:`ProvenChain` is a :class:`~evidence.chain.types.ChainReader` over one or more
JSON-RPC nodes that believes none of them:

* **Headers.** The reference head R is the highest ``eth_blockNumber`` of the nodes; the
  others are waited for until they reach it (a node that reported a low head to hide recent
  blocks, a revocation say, must then serve R, or the nodes disagree). A
  header is asked of every node (``eth_getBlockByNumber``); its hash is computed here from
  its fields (:mod:`evidence.chain.header`), must be the block's ``hash``, must be the same
  on every node, and the next block's header must name it as its parent. Block 0 (the
  genesis hash) and R are read on connecting. Nodes that differ raise
  :class:`~evidence.errors.NodesDisagreeError` naming them and the block.
* **State.** Storage is read with ``eth_getProof`` (EIP-1186) at R, many slots per request:
  each node's account proof is checked against R's state root, its storage proofs against
  the proven account's storage root (:mod:`evidence.chain.mpt`), and the node's claimed
  fields against the proven ones. Code (``eth_getCode``) must hash to the proven code hash.
  Proofs make honest answers identical; a node whose proof fails raises
  :class:`~evidence.errors.NodeProofError` naming it and what failed. State at an earlier
  block (``registrar(block=N)``) needs a node that keeps historic state.
* **Events.** ``eth_getLogs`` (in ranges of :data:`MAX_LOG_RANGE` blocks) only says which
  blocks to look in. Each such block's receipts (``eth_getBlockReceipts``) are re-encoded
  and must rebuild the header's receipts root; its raw transactions
  (``eth_getRawTransactionByBlockNumberAndIndex``, or ``debug_getRawTransaction``) must
  rebuild its transactions root, a transaction's hash being keccak-256 of its bytes. The
  events are then taken from those proven receipts, every log the node claimed must be in
  them, and every node's events must agree. A node that serves no log where its own proven
  state says there is one raises :class:`~evidence.errors.NodeCapabilityError`.

The EvidenceAnchor contract is read through :class:`~evidence.chain.anchorstate.AnchorState`
(the embedded reader's code) over proof-checked storage, its code checked by
:func:`~evidence.chain.anchorstate.check_anchor_code`. A verification of one bundle is a
dozen batched requests per node. web3 is not imported.

What no check here can stop: nodes that all lie alike (name nodes run by parties who do not
collude), and one node that rewrites a whole chain consistently (name more than one).

How it fails: :class:`~evidence.errors.ChainUnreachableError` (a node silent),
:class:`~evidence.errors.NodeCapabilityError` (a node cannot serve a read),
:class:`~evidence.errors.NodeProofError` (an answer does not check out),
:class:`~evidence.errors.NodesDisagreeError` (nodes differ),
:class:`~evidence.errors.ContractMismatchError` (not EvidenceAnchor's code), and
:class:`~evidence.errors.ChainError` for the rest (another chain id, a block after R). Never
another exception: answers of the wrong shape are NodeProofErrors.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Self, TypeVar, cast

from evidence.errors import (
    ChainError,
    EvidenceError,
    NodeCapabilityError,
    NodeProofError,
    NodesDisagreeError,
)

from . import mpt
from .anchorstate import (
    ANCHORED_EVENT,
    CONFIRMED_EVENT,
    WITNESS_REVOKED_EVENT,
    AnchorState,
    check_anchor_code,
    decode_confirmed,
    event_topic,
)
from .blockdata import ReceiptLog, decode_receipt, encode_receipt, indexed_root
from .header import hex_bytes, hex_quantity, parse_block
from .jsonrpc import DEFAULT_RETRIES, DEFAULT_TIMEOUT_S, Answer, JsonRpcClient
from .mpt import EMPTY_ACCOUNT, EMPTY_CODE_HASH, AccountState
from .primitives import address_bytes, keccak256, to_checksum_address
from .types import (
    DEVELOPMENT_CHAIN_IDS,
    BlockHeader,
    ConfirmationEvent,
    RevocationIssued,
)

__all__ = [
    "MAX_EVENT_BLOCKS",
    "MAX_HEAD_SPREAD",
    "MAX_LOG_RANGE",
    "MAX_NODES",
    "MAX_PROOF_SLOTS",
    "ProvenAnchorView",
    "ProvenChain",
    "ProvenLog",
]

#: Most blocks per ``eth_getLogs``: hosted nodes refuse wider ranges (commonly 2,000 to
#: 10,000 blocks, or a result cap); longer spans are asked as several ranges in one batch.
MAX_LOG_RANGE = 2_000
#: Most storage slots per ``eth_getProof``: a proof per slot grows the answer; hosted nodes
#: cap the keys of one request (Besu and geth take more, some providers 100 or fewer).
MAX_PROOF_SLOTS = 100
#: Most nodes asked at once: a verifier names a few independent nodes; more would only
#: multiply the requests.
MAX_NODES = 16
#: Widest spread of the nodes' heads waited for: synced nodes differ by the blocks still
#: propagating (a few); a node further behind is syncing, or pretends a low head.
MAX_HEAD_SPREAD = 128
#: How long nodes behind the highest head are waited for (seconds), polled every
#: :data:`HEAD_POLL_S`: a synced node catches up within a block time or two (12 s on
#: Ethereum). The reference head is the *highest* head: a node that reported a low head to
#: hide recent blocks (a revocation, a registrar change) must serve that head too, or the
#: verification is inconclusive, naming it.
HEAD_WAIT_S = 30.0
HEAD_POLL_S = 1.0
#: Most blocks whose receipts are checked for one event query: one root has at most one
#: event per witness (MAX_WITNESSES); a node that names more blocks is refused rather than
#: followed into thousands of requests.
MAX_EVENT_BLOCKS = 1_000

#: What a node that serves no logs where there are some is told to do.
_LOGS_HINT = ("the node may not serve logs for this range: pruned or rate-limited; verify "
              "through another node")
_T = TypeVar("_T")


@dataclass(frozen=True)
class _Node:
    client: JsonRpcClient
    version: str
    head: int

    @property
    def shown(self) -> str:
        return self.client.shown


@dataclass(frozen=True)
class ProvenLog:
    """A log found in a block's proven receipts: the block, the transaction's index in it
    and its hash (keccak-256 of the raw transaction, proven by the transactions root)."""

    block_number: int
    transaction_index: int
    transaction_hash: bytes
    log: ReceiptLog


def _expect_dict(value: object, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ChainError(f"{what} is not a JSON object")
    return value


def _expect_list(value: object, what: str) -> list[Any]:
    if not isinstance(value, list):
        raise ChainError(f"{what} is not a JSON list")
    return value


def _word_hex(value: int) -> str:
    return "0x" + value.to_bytes(32, "big").hex()


class ProvenChain:
    """A chain read through JSON-RPC nodes, every answer checked; open with :meth:`connect`.

    All reads that name no block are made at the reference head fixed on connecting, so one
    object gives one consistent state. Thread-safe only for its own internal use (it asks
    several nodes in parallel); use one object per thread.
    """

    def __init__(self, nodes: Sequence[_Node], *, chain_id: int, reference: int) -> None:
        self._nodes = tuple(nodes)
        self._chain_id = chain_id
        self._reference = reference
        self._headers: dict[int, BlockHeader] = {}
        #: How many transactions each node says a block has (its block object's list): only
        #: a hint of how many raw transactions to ask for, proven by the roots after.
        self._tx_counts: dict[tuple[str, int], int] = {}
        self._codes: dict[bytes, bytes] = {}
        self._executor = (ThreadPoolExecutor(max_workers=len(self._nodes))
                          if len(self._nodes) > 1 else None)

    @classmethod
    def connect(cls, urls: Sequence[str], *, expected_chain_id: int | None,
                timeout_s: float = DEFAULT_TIMEOUT_S,
                retries: int = DEFAULT_RETRIES,
                head_wait_s: float = HEAD_WAIT_S) -> ProvenChain:
        """Connect to every node of ``urls`` (the same URL twice counts once), check that
        each reports ``expected_chain_id`` (when given; else that they all report the same),
        fix the reference head and read its header and block 0's from every node.

        Raises ChainError naming the node for another chain id, ChainUnreachableError for a
        silent node, NodesDisagreeError for a node that does not reach the highest head within
        ``head_wait_s`` (or is more than :data:`MAX_HEAD_SPREAD` blocks behind), or for
        headers that differ.
        """
        unique = list(dict.fromkeys(urls))
        if not unique:
            raise ChainError("no JSON-RPC node to ask: name at least one node URL")
        if len(unique) > MAX_NODES:
            raise ChainError(f"{len(unique)} nodes named; at most {MAX_NODES} are asked")
        clients = [JsonRpcClient(url, timeout_s=timeout_s, retries=retries) for url in unique]
        chain: ProvenChain | None = None
        try:
            probe = ProvenChain([_Node(c, "unknown", 0) for c in clients], chain_id=0,
                                reference=0)
            try:
                identities = probe._each(lambda node: _identify(node.client))
            finally:
                probe._shutdown()
            chain_ids = {cid for cid, _, _ in identities}
            for client, (cid, _, _) in zip(clients, identities, strict=True):
                if expected_chain_id is not None and cid != expected_chain_id:
                    raise ChainError(
                        f"chain id mismatch: the node at {client.shown} reports chain id "
                        f"{cid}, expected {expected_chain_id}; check the URL")
            if len(chain_ids) > 1:
                raise NodesDisagreeError(
                    "the nodes are on different chains: " + "; ".join(
                        f"{c.shown} reports chain id {cid}"
                        for c, (cid, _, _) in zip(clients, identities, strict=True)),
                    nodes=tuple(c.shown for c in clients))
            nodes = [_Node(c, version, head)
                     for c, (_, version, head) in zip(clients, identities, strict=True)]
            nodes = _caught_up(nodes, head_wait_s)
            chain = cls(nodes, chain_id=chain_ids.pop(), reference=max(n.head for n in nodes))
            chain._load_headers([chain._reference, 0])
        except BaseException:
            if chain is not None:
                chain.close()
            else:
                for client in clients:
                    client.close()
            raise
        return chain

    # -- identity and lifecycle -------------------------------------------------------

    @property
    def chain_id(self) -> int:
        return self._chain_id

    @property
    def nodes(self) -> tuple[str, ...]:
        """The nodes asked, as URLs without credentials."""
        return tuple(n.shown for n in self._nodes)

    @property
    def client_versions(self) -> tuple[str, ...]:
        """Each node's ``web3_clientVersion`` (``"unknown"`` when it does not say)."""
        return tuple(n.version for n in self._nodes)

    @property
    def is_embedded(self) -> bool:
        return False

    @property
    def is_development(self) -> bool:
        """True for the development chain ids (1337, 31337)."""
        return self._chain_id in DEVELOPMENT_CHAIN_IDS

    @property
    def description(self) -> str:
        if len(self._nodes) == 1:
            return f"JSON-RPC {self._nodes[0].shown} (chain id {self._chain_id})"
        return (f"JSON-RPC {len(self._nodes)} nodes ({', '.join(self.nodes)}) "
                f"(chain id {self._chain_id})")

    def close(self) -> None:
        """Close every node's connections. Idempotent."""
        self._shutdown()
        for node in self._nodes:
            node.client.close()

    def _shutdown(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True)
            self._executor = None

    def __enter__(self) -> Self:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    # -- asking every node -----------------------------------------------------------------

    def _each(self, ask: Callable[[_Node], _T]) -> list[_T]:
        """``ask(node)`` for every node (in parallel when several), results in node order.
        The first node's error (in node order) is raised; an answer of the wrong shape (a
        foreign exception while reading it) becomes a NodeProofError naming the node."""

        def guarded(node: _Node) -> _T:
            try:
                return ask(node)
            except (NodeProofError, NodeCapabilityError, NodesDisagreeError):
                raise
            except EvidenceError as exc:
                if type(exc) is ChainError:  # a malformed answer, found while checking it
                    raise NodeProofError(str(exc), node=node.shown) from exc
                raise
            except (ValueError, TypeError, KeyError, IndexError, AttributeError) as exc:
                raise NodeProofError(f"gave an answer of the wrong shape ({exc!r})",
                                     node=node.shown) from exc

        if self._executor is None:
            return [guarded(node) for node in self._nodes]
        futures = [self._executor.submit(guarded, node) for node in self._nodes]
        errors = [f.exception() for f in futures]
        for error in errors:
            if error is not None:
                raise error
        return [f.result() for f in futures]

    def _agree(self, what: str, answers: Sequence[object], *, block: int | None = None
               ) -> None:
        """Raise NodesDisagreeError unless every node's answer is the same."""
        groups: dict[str, list[str]] = {}
        for node, answer in zip(self._nodes, answers, strict=True):
            groups.setdefault(repr(answer), []).append(node.shown)
        if len(groups) > 1:
            raise NodesDisagreeError(
                f"the nodes disagree on {what}: " + "; ".join(
                    f"{', '.join(names)} " + ("give" if len(names) > 1 else "gives")
                    + f" {_short(shown)}" for shown, names in groups.items()),
                nodes=tuple(n.shown for n in self._nodes), block=block)

    # -- headers ---------------------------------------------------------------------------

    def latest_block_number(self) -> int:
        """The reference head R: every read that names no block is made at it."""
        return self._reference

    def header(self, number: int) -> BlockHeader:
        """Block ``number``'s header: hash computed here, the same on every node, named as
        parent by the next block. ChainError for a block after the reference head."""
        known = self._headers.get(number)
        if known is not None:
            return known
        self._load_headers([number])
        return self._headers[number]

    def block_hash(self, number: int) -> bytes:
        return self.header(number).hash

    def genesis_hash(self) -> bytes:
        """The hash of block 0, computed and agreed by every node (read on connecting)."""
        return self.header(0).hash

    def _load_headers(self, numbers: Sequence[int]) -> None:
        wanted = sorted({n for n in numbers if n not in self._headers})
        for n in wanted:
            if not 0 <= n <= self._reference:
                raise ChainError(f"{self.description} has no block {n} at or before its "
                                 f"reference head {self._reference}")
        if not wanted:
            return
        # Each block's child too, for the parent link (R's child is not read: R is the head).
        asked = sorted({*wanted, *(n + 1 for n in wanted if n < self._reference)}
                       - set(self._headers))

        def ask(node: _Node) -> dict[int, BlockHeader]:
            answers = node.client.batch(
                [("eth_getBlockByNumber", [hex(n), False]) for n in asked])
            out = {}
            for n, answer in zip(asked, answers, strict=True):
                if not answer.ok:
                    raise node.client.refusal("eth_getBlockByNumber", answer)
                if answer.result is None:
                    raise NodeCapabilityError(f"has no block {n}, below the reference head "
                                              f"{self._reference}", node=node.shown)
                block = _expect_dict(answer.result, f"block {n}")
                try:
                    header = parse_block(block)
                except ChainError as exc:
                    raise NodeProofError(str(exc), node=node.shown) from exc
                if isinstance(block.get("transactions"), list):
                    self._tx_counts[(node.shown, n)] = len(block["transactions"])
                if header.number != n:
                    raise NodeProofError(f"gave block {header.number} when asked for block "
                                         f"{n}", node=node.shown)
                out[n] = header
            return out

        per_node = self._each(ask)
        for n in asked:
            self._agree(f"block {n}'s hash", ["0x" + h[n].hash.hex() for h in per_node],
                        block=n)
        agreed = per_node[0]
        for n in asked:
            self._headers.setdefault(n, agreed[n])
        for n in wanted:
            child = self._headers.get(n + 1)
            if child is not None and child.parent_hash != self._headers[n].hash:
                raise NodeProofError(
                    f"block {n + 1} does not name block {n} as its parent: the nodes serve a "
                    f"chain whose blocks do not follow each other",
                    node=", ".join(self.nodes))

    def first_block_at(self, time: int) -> int:
        """The first block whose time is >= ``time`` (R + 1 when none is): a binary search
        over agreed headers (block times never decrease)."""
        low, high = 0, self._reference + 1
        while low < high:
            middle = (low + high) // 2
            if self.header(middle).timestamp >= time:
                high = middle
            else:
                low = middle + 1
        return low

    # -- state -----------------------------------------------------------------------------

    def _check_account(self, node: _Node, result: object, address: bytes, root: bytes,
                       block: int) -> AccountState:
        """The account an ``eth_getProof`` answer proves under ``root``, the node's claimed
        fields checked against it."""
        proof = _expect_dict(result, "the eth_getProof answer")
        nodes = [hex_bytes(p, "an account proof node")
                 for p in _expect_list(proof.get("accountProof"), "accountProof")]
        try:
            raw = mpt.verify_proof(root, mpt.account_key(address), nodes,
                                   what=f"the account proof of {to_checksum_address(address)}"
                                        f" at block {block}")
            account = EMPTY_ACCOUNT if raw is None else mpt.decode_account(raw)
        except ChainError as exc:
            raise NodeProofError(f"{exc} (against block {block}'s state root)",
                                 node=node.shown) from exc
        claims: dict[str, tuple[int | bytes, int | bytes]] = {
            "nonce": (hex_quantity(proof.get("nonce"), "nonce"), account.nonce),
            "balance": (hex_quantity(proof.get("balance"), "balance"), account.balance),
        }
        if raw is not None:
            claims["storageHash"] = (hex_bytes(proof.get("storageHash"), "storageHash", 32),
                                     account.storage_root)
            claims["codeHash"] = (hex_bytes(proof.get("codeHash"), "codeHash", 32),
                                  account.code_hash)
        for name, (claimed, proven) in claims.items():
            if claimed != proven:
                shown = f"0x{claimed.hex()}" if isinstance(claimed, bytes) else claimed
                raise NodeProofError(
                    f"claims {name} {shown} for {to_checksum_address(address)} at block "
                    f"{block}, but its account proof gives "
                    f"{f'0x{proven.hex()}' if isinstance(proven, bytes) else proven}",
                    node=node.shown)
        return account

    def _check_storage(self, node: _Node, result: object, account: AccountState,
                       slots: Sequence[int], block: int) -> list[int]:
        """The words an ``eth_getProof`` answer proves under the account's storage root."""
        proof = _expect_dict(result, "the eth_getProof answer")
        entries = _expect_list(proof.get("storageProof"), "storageProof")
        if len(entries) != len(slots):
            raise NodeProofError(f"gave {len(entries)} storage proofs for {len(slots)} slots",
                                 node=node.shown)
        out = []
        for slot, entry in zip(slots, entries, strict=True):
            item = _expect_dict(entry, "a storage proof")
            if hex_quantity(item.get("key"), "a storage proof's key") != slot:
                raise NodeProofError(f"gave a storage proof for another slot than {slot:#x}",
                                     node=node.shown)
            nodes = [hex_bytes(p, "a storage proof node")
                     for p in _expect_list(item.get("proof"), "a storage proof")]
            try:
                raw = mpt.verify_proof(account.storage_root, mpt.storage_key(slot), nodes,
                                       what=f"the storage proof of slot {slot:#x} at block "
                                            f"{block}")
                value = mpt.decode_storage_value(raw)
            except ChainError as exc:
                raise NodeProofError(str(exc), node=node.shown) from exc
            claimed = hex_quantity(item.get("value"), "a storage proof's value")
            if claimed != value:
                raise NodeProofError(f"claims slot {slot:#x} holds {claimed:#x} at block "
                                     f"{block}, but its proof gives {value:#x}",
                                     node=node.shown)
            out.append(value)
        return out

    def storage_words(self, address: str, slots: Sequence[int], *, block: int | None = None
                      ) -> list[int]:
        """Storage words of ``address`` at ``block`` (default R), each proven by every node.

        A node that cannot give proven state at an earlier block (it does not keep it: not
        an archive node; or its proof of it does not lead to that block's state root)
        raises NodeCapabilityError; at R, a proof that fails is a NodeProofError."""
        at = self._reference if block is None else block
        header = self.header(at)
        raw = address_bytes(address)
        chunks = [list(slots[i : i + MAX_PROOF_SLOTS])
                  for i in range(0, len(slots), MAX_PROOF_SLOTS)] or [[]]
        hint = "" if at == self._reference else (
            f"; state at block {at} needs a node that keeps historic state (an archive node)")

        def ask(node: _Node) -> list[int]:
            answers = node.client.batch(
                [("eth_getProof", ["0x" + raw.hex(), [_word_hex(s) for s in chunk], hex(at)])
                 for chunk in chunks])
            words: list[int] = []
            for chunk, answer in zip(chunks, answers, strict=True):
                if not answer.ok:
                    raise node.client.refusal("eth_getProof", answer, hint=hint)
                try:
                    account = self._check_account(node, answer.result, raw, header.state_root,
                                                  at)
                    words.extend(self._check_storage(node, answer.result, account, chunk, at))
                except NodeProofError as exc:
                    if at == self._reference:
                        raise
                    # Earlier state the node does not keep as it was: nothing it says of it
                    # is used, as when it refuses (which a liar can always do instead).
                    detail = str(exc).removeprefix(f"{node.shown}: ")
                    raise NodeCapabilityError(
                        f"cannot prove the state at block {at}: {detail}{hint}; a node that "
                        "rewrites its history (anvil after cheat codes) does this too",
                        node=node.shown) from exc
            return words

        per_node = self._each(ask)
        self._agree(f"storage of {to_checksum_address(raw)} at block {at}", per_node, block=at)
        return per_node[0]

    def get_code(self, address: str) -> bytes:
        """The code at ``address`` at R: every node's ``eth_getCode`` must hash to the
        account's code hash that its account proof gives."""
        raw = address_bytes(address)
        known = self._codes.get(raw)
        if known is not None:
            return known
        header = self.header(self._reference)
        at = hex(self._reference)

        def ask(node: _Node) -> bytes:
            proof, code_answer = node.client.batch(
                [("eth_getProof", ["0x" + raw.hex(), [], at]),
                 ("eth_getCode", ["0x" + raw.hex(), at])])
            if not proof.ok:
                raise node.client.refusal("eth_getProof", proof)
            if not code_answer.ok:
                raise node.client.refusal("eth_getCode", code_answer)
            account = self._check_account(node, proof.result, raw, header.state_root,
                                          self._reference)
            code = hex_bytes(code_answer.result, "the code")
            if (keccak256(code) if code else EMPTY_CODE_HASH) != account.code_hash:
                raise NodeProofError(
                    f"gave code for {to_checksum_address(raw)} that does not hash to the "
                    f"account's code hash 0x{account.code_hash.hex()}", node=node.shown)
            return code

        per_node = self._each(ask)
        self._agree(f"the code of {to_checksum_address(raw)}",
                    [keccak256(c) for c in per_node])
        self._codes[raw] = per_node[0]
        return per_node[0]

    def anchor_view(self, address: str) -> ProvenAnchorView:
        """The EvidenceAnchor at ``address``, its code checked (:func:`check_anchor_code`)."""
        return ProvenAnchorView(self, address)

    # -- events ----------------------------------------------------------------------------

    def proven_logs(self, address: str, topics: Sequence[bytes], from_block: int,
                    to_block: int, *,
                    check: Callable[[str, list[ProvenLog]], None] | None = None
                    ) -> list[ProvenLog]:
        """The logs of ``address`` whose first topics are ``topics`` in the block range,
        taken from receipts proven against each block's header (module docstring).

        ``check(node, logs)`` may refuse a node's logs (e.g. none where its proven state
        says there is one). Every node's logs must then agree.
        """
        raw = address_bytes(address)
        to_block = min(to_block, self._reference)
        if from_block > to_block:
            return []
        ranges = [(a, min(a + MAX_LOG_RANGE - 1, to_block))
                  for a in range(from_block, to_block + 1, MAX_LOG_RANGE)]
        query_topics = ["0x" + t.hex() for t in topics]

        def claimed_logs(node: _Node) -> list[dict[str, Any]]:
            answers = node.client.batch([("eth_getLogs", [{
                "address": to_checksum_address(raw), "fromBlock": hex(a), "toBlock": hex(b),
                "topics": query_topics}]) for a, b in ranges])
            out: list[dict[str, Any]] = []
            for answer in answers:
                if not answer.ok:
                    raise node.client.refusal("eth_getLogs", answer, hint=f"; {_LOGS_HINT}")
                for entry in _expect_list(answer.result, "the eth_getLogs answer"):
                    log = _expect_dict(entry, "a log")
                    number = hex_quantity(log.get("blockNumber"), "a log's blockNumber")
                    if not from_block <= number <= to_block:
                        raise NodeProofError(f"gave a log of block {number}, outside the "
                                             f"range {from_block}-{to_block} asked",
                                             node=node.shown)
                    out.append(log)
            blocks = {hex_quantity(log.get("blockNumber"), "blockNumber") for log in out}
            if len(blocks) > MAX_EVENT_BLOCKS:
                raise NodeCapabilityError(f"names {len(blocks)} blocks with such events, more "
                                          f"than the {MAX_EVENT_BLOCKS} checked",
                                          node=node.shown)
            return out

        claims = self._each(claimed_logs)
        blocks = sorted({hex_quantity(log["blockNumber"], "blockNumber")
                         for node_claims in claims for log in node_claims})
        self._load_headers(blocks)

        def prove(node: _Node, mine: list[dict[str, Any]]) -> list[ProvenLog]:
            numbers = sorted({hex_quantity(log["blockNumber"], "blockNumber") for log in mine})
            found = self._proven_block_logs(node, numbers, raw, tuple(topics))
            for log in mine:
                number = hex_quantity(log["blockNumber"], "blockNumber")
                entry = ReceiptLog(hex_bytes(log.get("address"), "a log's address", 20),
                                 tuple(hex_bytes(t, "a log's topic", 32)
                                       for t in _expect_list(log.get("topics"), "topics")),
                                 hex_bytes(log.get("data"), "a log's data"))
                index = log.get("transactionIndex")
                if not any(p.block_number == number and p.log == entry and (
                        index is None or hex_quantity(index, "transactionIndex")
                        == p.transaction_index) for p in found):
                    raise NodeProofError(f"gave a log that is not in block {number}'s "
                                         "receipts (as its receipts root proves them)",
                                         node=node.shown)
            if check is not None:
                check(node.shown, found)
            return found

        by_node = dict(zip((n.shown for n in self._nodes), claims, strict=True))
        per_node = self._each(lambda node: prove(node, by_node[node.shown]))
        self._agree(f"the events of {to_checksum_address(raw)} in blocks "
                    f"{from_block}-{to_block}",
                    [[(p.block_number, p.transaction_index, p.transaction_hash.hex())
                      for p in logs] for logs in per_node])
        return per_node[0]

    def _proven_block_logs(self, node: _Node, numbers: Sequence[int], address: bytes,
                           topics: tuple[bytes, ...]) -> list[ProvenLog]:
        """The matching logs of blocks ``numbers``, from ``node``'s receipts and raw
        transactions, both proven by the blocks' (agreed) headers."""
        if not numbers:
            return []
        counts = [self._tx_counts.get((node.shown, n)) for n in numbers]
        early: dict[int, list[Answer]] | None = None
        if all(c is not None for c in counts):  # receipts and transactions in one round
            receipts, early = self._receipts_and_raws(node, numbers, cast(list[int], counts))
        else:
            receipts = self._receipts(node, numbers)
        encoded: dict[int, list[bytes]] = {}
        for number in numbers:
            encoded[number] = [encode_receipt(_expect_dict(r, "a receipt"),
                                              where=f"block {number}'s receipt {i}")
                               for i, r in enumerate(receipts[number])]
            if indexed_root(encoded[number]) != self._headers[number].receipt_root:
                raise NodeProofError(f"the receipts it gave for block {number} do not rebuild "
                                     "the block's receiptsRoot", node=node.shown)
        raws = self._raw_transactions(node, numbers, receipts, early)
        out = []
        for number in numbers:
            if indexed_root(raws[number]) != self._headers[number].transaction_root:
                raise NodeProofError(f"the transactions it gave for block {number} do not "
                                     "rebuild the block's transactionsRoot", node=node.shown)
            for index, (raw_receipt, raw_tx) in enumerate(
                    zip(encoded[number], raws[number], strict=True)):
                tx_hash = keccak256(raw_tx)
                receipt = decode_receipt(raw_receipt, transaction_hash=tx_hash)
                for log in receipt.logs:
                    if log.address == address and log.topics[: len(topics)] == topics:
                        out.append(ProvenLog(number, index, tx_hash, log))
        return out

    def _receipts_and_raws(self, node: _Node, numbers: Sequence[int], counts: Sequence[int]
                           ) -> tuple[dict[int, list[Any]], dict[int, list[Answer]] | None]:
        """Each block's receipts and its raw transactions in one round trip, the number of
        transactions taken from the node's block objects (the roots prove both after)."""
        keys = [(n, i) for n, count in zip(numbers, counts, strict=True) for i in range(count)]
        answers = node.client.batch(
            [("eth_getBlockReceipts", [hex(n)]) for n in numbers]
            + [("eth_getRawTransactionByBlockNumberAndIndex", [hex(n), hex(i)])
               for n, i in keys])
        receipt_answers, raw_answers = answers[: len(numbers)], answers[len(numbers):]
        if not all(a.ok for a in receipt_answers):
            return self._receipts(node, numbers), None
        receipts = {}
        for n, a in zip(numbers, receipt_answers, strict=True):
            if a.result is None:
                raise NodeCapabilityError(f"has no receipts for block {n}; {_LOGS_HINT}",
                                          node=node.shown)
            receipts[n] = _expect_list(a.result, f"block {n}'s receipts")
        if any(len(receipts[n]) != c for n, c in zip(numbers, counts, strict=True)):
            return receipts, None  # the counts were wrong: ask again by the receipts
        raws: dict[int, list[Answer]] = {n: [] for n in numbers}
        for (n, _), a in zip(keys, raw_answers, strict=True):
            raws[n].append(a)
        return receipts, raws

    def _receipts(self, node: _Node, numbers: Sequence[int]) -> dict[int, list[Any]]:
        """Each block's receipts (JSON objects): ``eth_getBlockReceipts``, or, from a node
        without it, ``eth_getTransactionReceipt`` of each of the block's transactions."""
        answers = node.client.batch([("eth_getBlockReceipts", [hex(n)]) for n in numbers])
        if all(a.ok for a in answers):
            out = {}
            for n, a in zip(numbers, answers, strict=True):
                if a.result is None:
                    raise NodeCapabilityError(f"has no receipts for block {n}; {_LOGS_HINT}",
                                              node=node.shown)
                out[n] = _expect_list(a.result, f"block {n}'s receipts")
            return out
        failed = next(a for a in answers if not a.ok)
        if not failed.unknown_method:
            raise node.client.refusal("eth_getBlockReceipts", failed, hint=f"; {_LOGS_HINT}")
        blocks = node.client.batch([("eth_getBlockByNumber", [hex(n), False]) for n in numbers])
        hashes: dict[int, list[str]] = {}
        for n, b in zip(numbers, blocks, strict=True):
            if not b.ok or b.result is None:
                raise NodeCapabilityError(f"cannot give block {n}'s transactions; "
                                          f"{_LOGS_HINT}", node=node.shown)
            hashes[n] = [str(h) for h in _expect_list(
                _expect_dict(b.result, f"block {n}").get("transactions"), "transactions")]
        calls = [("eth_getTransactionReceipt", [h]) for n in numbers for h in hashes[n]]
        flat = iter(node.client.batch(calls))
        out = {}
        for n in numbers:
            mine = []
            for _ in hashes[n]:
                a = next(flat)
                if not a.ok or a.result is None:
                    raise NodeCapabilityError(f"cannot give block {n}'s receipts; "
                                              f"{_LOGS_HINT}", node=node.shown)
                mine.append(a.result)
            out[n] = mine
        return out

    def _raw_transactions(self, node: _Node, numbers: Sequence[int],
                          receipts: dict[int, list[Any]],
                          early: dict[int, list[Answer]] | None = None
                          ) -> dict[int, list[bytes]]:
        """Each block's raw transactions, by index (or, from a node without that method,
        ``debug_getRawTransaction`` of each receipt's transaction hash: the hash is then
        checked by keccak and the transactions root like any other). ``early``: the
        answers already asked for with the receipts."""
        keys = [(n, i) for n in numbers for i in range(len(receipts[n]))]
        if early is not None:
            answers = [a for n in numbers for a in early[n]]
        else:
            answers = node.client.batch([
                ("eth_getRawTransactionByBlockNumberAndIndex", [hex(n), hex(i)])
                for n, i in keys])
        method = "eth_getRawTransactionByBlockNumberAndIndex"
        if any(not a.ok and a.unknown_method for a in answers):
            method = "debug_getRawTransaction"
            answers = node.client.batch([
                (method, [_expect_dict(receipts[n][i], "a receipt").get("transactionHash")])
                for n, i in keys])
        out: dict[int, list[bytes]] = {n: [] for n in numbers}
        for (n, _), answer in zip(keys, answers, strict=True):
            if not answer.ok:
                raise node.client.refusal(method, answer, hint=(
                    "; the transactions of a block are needed to prove an event's "
                    "transaction hash"))
            if answer.result is None:
                raise NodeCapabilityError(f"has no transaction {len(out[n])} of block {n}",
                                          node=node.shown)
            out[n].append(hex_bytes(answer.result, "a raw transaction"))
        return out


def _caught_up(nodes: list[_Node], wait_s: float) -> list[_Node]:
    """The nodes once every one has reached the highest head any of them reported (see
    :data:`HEAD_WAIT_S`). Raises NodesDisagreeError naming a node too far behind, or still
    behind after the wait."""
    import time

    target = max(n.head for n in nodes)
    deadline = time.monotonic() + wait_s
    while True:
        behind = [n for n in nodes if n.head < target]
        if not behind:
            return nodes
        far = [n for n in behind if target - n.head > MAX_HEAD_SPREAD]
        if far or time.monotonic() >= deadline:
            high = max(nodes, key=lambda n: n.head)
            raise NodesDisagreeError(
                "the nodes do not agree on the head: " + "; ".join(
                    f"{n.shown} is at block {n.head}" for n in behind)
                + f", {high.shown} at block {target}: a node is syncing, or hides recent "
                "blocks; verify without it or when it has caught up",
                nodes=tuple(n.shown for n in (*behind, high)))
        time.sleep(min(HEAD_POLL_S, max(0.0, deadline - time.monotonic())))
        nodes = [n if n.head >= target else
                 _Node(n.client, n.version, _identify(n.client)[2]) for n in nodes]


def _identify(client: JsonRpcClient) -> tuple[int, str, int]:
    """(chain id, client version or "unknown", head) of one node, in one round trip."""
    chain_id, version, head = client.batch(
        [("eth_chainId", []), ("web3_clientVersion", []), ("eth_blockNumber", [])])
    for method, answer in (("eth_chainId", chain_id), ("eth_blockNumber", head)):
        if not answer.ok:
            raise client.refusal(method, answer)
    shown = " ".join(str(version.result).split())[:200] if (
        version.ok and isinstance(version.result, str) and version.result.strip()) else "unknown"
    try:
        return (hex_quantity(chain_id.result, "eth_chainId"), shown,
                hex_quantity(head.result, "eth_blockNumber"))
    except ChainError as exc:
        raise NodeProofError(str(exc), node=client.shown) from exc


def _short(text: str) -> str:
    return text if len(text) <= 90 else text[:87] + "..."


class _ProofStorage:
    """A :class:`~evidence.chain.anchorstate.StorageSource` over ``eth_getProof`` at one
    block."""

    def __init__(self, chain: ProvenChain, address: str, block: int) -> None:
        self._chain = chain
        self._address = address
        self._block = block

    def words(self, slots: Sequence[int]) -> list[int]:
        return self._chain.storage_words(self._address, slots, block=self._block)


class ProvenAnchorView(AnchorState):
    """EvidenceAnchor at the reference head, read through proofs: an
    :class:`~evidence.chain.types.AnchorReader`. The code is checked on construction."""

    def __init__(self, chain: ProvenChain, address: str) -> None:
        checksum = to_checksum_address(address_bytes(address))
        code = chain.get_code(checksum)
        if not code:
            raise ChainError(f"no contract at {checksum} on {chain.description}")
        check_anchor_code(code, address=checksum, chain_id=chain.chain_id)
        super().__init__(_ProofStorage(chain, checksum, chain.latest_block_number()), checksum)
        self.chain = chain
        self._states: dict[int, AnchorState] = {}

    def _at(self, block: int) -> AnchorState:
        """The contract's state at an earlier block (a node with historic state needed)."""
        known = self._states.get(block)
        if known is None:
            known = AnchorState(_ProofStorage(self.chain, self.address, block), self.address)
            self._states[block] = known
        return known

    def registrar(self, *, block: int | None = None) -> str:
        """``registrar()`` at the reference head, or at ``block``'s state (historic: a node
        that cannot serve it raises NodeCapabilityError)."""
        return self.owner() if block is None else self._at(block).owner()

    def anchor_transaction(self, root: bytes, block_number: int) -> str | None:
        """The transaction of the ``Anchored`` event of ``root`` in block ``block_number``,
        the event checked against the block's receipts root. A node that serves no such
        event while its proven state anchors ``root`` in that block raises
        NodeCapabilityError."""
        if not 0 <= block_number <= self.chain.latest_block_number():
            return None
        record = self.anchor_of(root)
        expected = record is not None and record.block_number == block_number

        def check(node: str, logs: list[ProvenLog]) -> None:
            if expected and not logs:
                raise NodeCapabilityError(
                    f"served no Anchored event of 0x{root.hex()} in block {block_number}, "
                    f"where its proven state records the anchor; {_LOGS_HINT}", node=node)

        logs = self.chain.proven_logs(self.address, [event_topic(ANCHORED_EVENT), root],
                                      block_number, block_number, check=check)
        return None if not logs else "0x" + logs[0].transaction_hash.hex()

    def confirmation_events(self, root: bytes, from_block: int
                            ) -> list[ConfirmationEvent] | None:
        """The ``Confirmed`` events of ``root`` from ``from_block`` to the reference head,
        each from receipts proven by its block's header. A node whose events do not cover
        every confirmation its proven state records (from ``from_block``'s time on)
        raises NodeCapabilityError."""
        head = self.chain.latest_block_number()
        start = max(from_block, 0)
        if start > head:
            return []
        since = self.chain.header(start).timestamp
        expected = {c.witness for c in self.confirmations_of(root) if c.confirmed_at >= since}

        def check(node: str, logs: list[ProvenLog]) -> None:
            seen = {decode_confirmed(p.log)[0] for p in logs}
            missing = sorted(expected - seen)
            if missing:
                raise NodeCapabilityError(
                    f"served no Confirmed event of 0x{root.hex()} for {', '.join(missing)}, "
                    f"whose confirmations its proven state records; {_LOGS_HINT}", node=node)

        logs = self.chain.proven_logs(self.address, [event_topic(CONFIRMED_EVENT), root],
                                      start, head, check=check)
        out = []
        for p in logs:
            witness, jurisdiction, observed_at, by_signature = decode_confirmed(p.log)
            out.append(ConfirmationEvent(
                witness=witness, jurisdiction=jurisdiction, observed_at=observed_at,
                by_signature=by_signature, block_number=p.block_number,
                block_time=self.chain.header(p.block_number).timestamp,
                transaction="0x" + p.transaction_hash.hex()))
        return out

    def registrar_changed_after(self, block: int) -> bool:
        """Whether an ``OwnershipTransferred`` event (OpenZeppelin Ownable) of the contract
        lies in a block after ``block``, up to the reference head; the events are checked
        against receipts roots and must be the same on every node, so one node that hides a
        transfer beside one that shows it makes the nodes disagree."""
        topic = event_topic("OwnershipTransferred(address,address)")
        return bool(self.chain.proven_logs(self.address, [topic], block + 1,
                                           self.chain.latest_block_number()))

    def revocation_issued(self, witness: str, *, after_time: int) -> RevocationIssued | None:
        """When ``revokeWitness(witness)`` was mined, if at or after the first block whose
        time is >= ``after_time`` (a binary search over headers, then its
        ``WitnessRevoked`` event checked against receipts). None when the witness is not
        revoked at the reference head, or was revoked before that block (read at that
        block's state: historic state is needed only then)."""
        account = address_bytes(witness)
        if self.revoked_at(witness) == 0:
            return None
        head = self.chain.latest_block_number()
        start = self.chain.first_block_at(after_time)
        if start > head:
            return None
        logs = self.chain.proven_logs(
            self.address, [event_topic(WITNESS_REVOKED_EVENT), account.rjust(32, b"\0")],
            start, head)
        if logs:
            block = logs[0].block_number
            return RevocationIssued(block, self.chain.header(block).timestamp)
        if start > 0 and self._at(start - 1).revoked_at(witness) != 0:
            return None
        raise NodeCapabilityError(
            f"served no WitnessRevoked event of {to_checksum_address(account)} in blocks "
            f"{start}-{head}, where its proven state records the revocation; {_LOGS_HINT}",
            node=", ".join(self.chain.nodes))
