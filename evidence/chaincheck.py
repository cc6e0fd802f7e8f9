"""The chain part of verification: receipts, the anchor, the witnesses, the policy.

Never trusts a receipt's copy of what the chain says: the anchor's block and time, the
block hash on the canonical chain, the contract's code and every confirmation are read
from the chain. Problems become findings: ERROR for what is changed, invalid or missing
(-> failed), UNKNOWN for what could not be asked (-> inconclusive).

A bundle can hold several receipts (anchored on two chains, or anchored again with
``evidence anchor --reanchor`` after a reorganisation dropped its first anchor). Every
receipt is checked; the verdict rests on one the chain confirms (preferring one under which
the policy holds). A receipt the chain does not back while another receipt checks out is
reported as ``receipt-stale`` (WARNING): the bytes are proven by the receipt that checks out,
and the claim the stale receipt makes (an earlier block and time) is shown as unproven, never
used. With no receipt that checks out, every receipt's findings stand (docs/security.md).

The chain is read through :class:`ChainReader`: a JSON-RPC chain through web3 (``eth_call``,
``eth_getLogs``), the embedded chain straight from its store with
:class:`~evidence.chain.light.LightChain`, which checks every record by its hash and needs
neither web3 nor py-evm (whose imports alone took most of a verification's time). Both give
the same values, which tests/chain/test_light*.py hold them to.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from .errors import ChainError, ChainUnreachableError, ContractMismatchError, EvidenceError
from .findings import Finding, Severity
from .policy import (
    AnchorFacts,
    ConfirmationFacts,
    Policy,
    WitnessFacts,
    describe,
    evaluate,
    load_policy_parties,
)
from .receipts import Receipt
from .result import AnchorInfo

if TYPE_CHECKING:
    from .chain.backend import ChainClient
    from .chain.contract import AnchorContract
    from .chain.light import AnchorRecord, ConfirmationRecord, WitnessRecord

__all__ = ["AnchorReader", "ChainCheck", "ChainReader", "ChainSource", "check_receipts"]

RECEIPTS = "evidence/receipts"


@dataclass(frozen=True)
class ChainSource:
    """Where to ask: a JSON-RPC URL, or a workspace (its embedded or configured chain)."""

    url: str | None = None
    workspace: Path | None = None


@dataclass
class ChainCheck:
    findings: list[Finding] = field(default_factory=list)
    anchor: AnchorInfo | None = None
    witnesses: list[dict[str, Any]] = field(default_factory=list)
    policy: dict[str, Any] | None = None
    satisfied: bool = False
    development_chain: bool | None = None

    def add(self, code: str, severity: Severity, message: str, subject: str | None = None) -> None:
        self.findings.append(Finding(code, severity, message, subject))


class AnchorReader(Protocol):
    """What verification reads of one EvidenceAnchor contract (its view functions)."""

    @property
    def address(self) -> str: ...

    def anchor_of(self, root: bytes) -> AnchorRecord | None: ...

    def anchor_transaction(self, root: bytes, block_number: int) -> str | None: ...

    def confirmations_of(self, root: bytes) -> list[ConfirmationRecord]: ...

    def witness_of(self, address: str) -> WitnessRecord | None: ...


class ChainReader(Protocol):
    """What verification reads of a chain. Two implementations: :class:`_Web3Reader` (any
    chain, through web3 and ``eth_call``) and :class:`~evidence.chain.light.LightChain`
    (the embedded chain's store read directly, without web3 or py-evm)."""

    @property
    def chain_id(self) -> int: ...

    @property
    def is_development(self) -> bool: ...

    @property
    def description(self) -> str: ...

    def latest_block_number(self) -> int: ...

    def get_code(self, address: str) -> bytes: ...

    def block_hash(self, number: int) -> bytes: ...

    def anchor_view(self, address: str) -> AnchorReader:
        """The contract at ``address``; raises ContractMismatchError for other code."""
        ...

    def close(self) -> None: ...


class _Web3Anchor:
    """:class:`AnchorReader` over :class:`~evidence.chain.contract.AnchorContract`."""

    def __init__(self, contract: AnchorContract) -> None:
        self._c = contract
        self.address = str(contract.address)

    def anchor_of(self, root: bytes) -> AnchorRecord | None:
        from .chain.light import AnchorRecord

        r = self._c.anchor_of(root)
        return None if r is None else AnchorRecord(r.submitter, r.timestamp, r.block_number)

    def anchor_transaction(self, root: bytes, block_number: int) -> str | None:
        return self._c.anchor_transaction(root, block_number)

    def confirmations_of(self, root: bytes) -> list[ConfirmationRecord]:
        from .chain.light import ConfirmationRecord

        return [ConfirmationRecord(c.witness, c.jurisdiction, c.confirmed_at, c.observed_at,
                                   c.by_signature) for c in self._c.confirmations_of(root)]

    def witness_of(self, address: str) -> WitnessRecord | None:
        from .chain.light import WitnessRecord

        w = self._c.witness_of(address)
        return None if w is None else WitnessRecord(w.account, w.jurisdiction, w.operator,
                                                    w.registered_at, w.revoked_at)


class _Web3Reader:
    """:class:`ChainReader` over a :class:`~evidence.chain.backend.ChainClient` (web3)."""

    def __init__(self, client: ChainClient) -> None:
        self.client = client

    @property
    def chain_id(self) -> int:
        return self.client.chain_id

    @property
    def is_development(self) -> bool:
        return self.client.is_development

    @property
    def description(self) -> str:
        return self.client.description

    def latest_block_number(self) -> int:
        return self.client.latest_block_number()

    def get_code(self, address: str) -> bytes:
        return self.client.get_code(address)

    def block_hash(self, number: int) -> bytes:
        return bytes(self.client.block(number)["hash"])

    def anchor_view(self, address: str) -> AnchorReader:
        from .chain.contract import AnchorContract

        return _Web3Anchor(AnchorContract(self.client, address))  # checks the code

    def close(self) -> None:
        self.client.close()


#: Read the embedded chain with :class:`~evidence.chain.light.LightChain` (no web3, no
#: py-evm: seconds of imports saved); False reads it through web3 like any chain.
_LIGHT_EMBEDDED = True


def _anchor_info(r: Receipt, *, checked: bool, submitter: str | None = None) -> AnchorInfo:
    return AnchorInfo(
        chain_id=r.chain_id, contract=r.contract, transaction=r.transaction,
        block_number=r.block_number, block_hash=r.block_hash, block_time=r.block_time,
        batch_root="0x" + r.batch_root.hex(), batch_index=r.index, batch_size=r.batch_size,
        submitter=submitter or r.submitter, development_chain=r.development_chain,
        chain_description=r.chain, checked_on_chain=checked)


def _new_check(policy: Policy) -> ChainCheck:
    out = ChainCheck()
    out.policy = {**policy.to_json(), "rules": describe(policy, "en"),
                  "rules_zh": describe(policy, "zh")}
    return out


def _receipt_subject(r: Receipt) -> str:
    return f"{RECEIPTS}/{Path(r.file).name}" if r.file else RECEIPTS


def check_receipts(receipts: list[Receipt], *, bundle_root: bytes, policy: Policy,
                   source: ChainSource, offline: bool) -> ChainCheck:
    """Check every receipt offline, then every usable one on chain (module docstring).

    Never raises for a chain that cannot be asked: that is an UNKNOWN finding.
    """
    out = _new_check(policy)
    usable: list[Receipt] = []
    for r in receipts:
        subject = _receipt_subject(r)
        if r.bundle_root != bundle_root:
            out.add("receipt-mismatch", Severity.ERROR,
                    "receipt is for another bundle root than the signed one", subject)
        elif not r.path_leads_to_batch_root():
            out.add("receipt-path-invalid", Severity.ERROR,
                    "receipt's inclusion path does not lead from the bundle root to its "
                    "batch root", subject)
        else:
            out.add("receipt-path-ok", Severity.OK,
                    f"bundle root is leaf {r.index + 1} of {r.batch_size} in batch "
                    f"0x{r.batch_root.hex()}", subject)
            usable.append(r)
    if not usable:
        return out
    out.anchor = _anchor_info(usable[0], checked=False)
    out.development_chain = usable[0].development_chain
    if offline:
        return out
    with _Clients(source) as clients:
        checks = [(r, _check_one(r, policy, clients)) for r in usable]
    _merge(out, checks)
    return out


def _merge(out: ChainCheck, checks: list[tuple[Receipt, ChainCheck]]) -> None:
    """Fold the per-receipt checks into ``out`` (see the module docstring)."""
    confirmed = [(r, c) for r, c in checks if c.anchor is not None and c.anchor.checked_on_chain]
    if not confirmed:
        for _, c in checks:
            out.findings.extend(f for f in c.findings if f not in out.findings)
        out.development_chain = checks[0][1].development_chain
        return
    chosen_receipt, chosen = next(((r, c) for r, c in confirmed if c.satisfied), confirmed[0])
    rests_on = _receipt_subject(chosen_receipt)
    for r, c in checks:
        if c is chosen:
            out.findings.extend(c.findings)
            continue
        subject = _receipt_subject(r)
        if any(c is other for _, other in confirmed):
            out.add("receipt-also-anchored", Severity.OK,
                    f"also anchored on chain {r.chain_id} in block {r.block_number}; the "
                    f"verdict rests on {rests_on}", subject)
            continue
        errors = [f for f in c.findings if f.severity is Severity.ERROR]
        if errors:
            out.add("receipt-stale", Severity.WARNING,
                    f"this receipt is not backed by the chain ({errors[0].message}); its "
                    f"block and time are unproven and not used: the verdict rests on "
                    f"{rests_on}", subject)
            continue
        unknown = [f for f in c.findings if f.severity is Severity.UNKNOWN]
        reason = unknown[0].message if unknown else "no anchor was found"
        out.add("receipt-unchecked", Severity.INFO,
                f"this receipt could not be checked ({reason}); the verdict rests on "
                f"{rests_on}", subject)
    out.anchor = chosen.anchor
    out.witnesses = chosen.witnesses
    out.policy = chosen.policy
    out.satisfied = chosen.satisfied
    out.development_chain = chosen.development_chain


def _check_one(receipt: Receipt, policy: Policy, clients: _Clients) -> ChainCheck:
    """One receipt against the chain, into a check of its own."""
    out = _new_check(policy)
    out.anchor = _anchor_info(receipt, checked=False)
    out.development_chain = receipt.development_chain
    try:
        _check_on_chain(receipt, policy, clients.get(receipt), out)
    except ChainUnreachableError as exc:
        out.add("chain-unreachable", Severity.UNKNOWN, f"the chain could not be reached: {exc}")
    except ContractMismatchError as exc:
        out.add("contract-mismatch", Severity.ERROR, str(exc), receipt.contract)
    except ChainError as exc:
        out.add("chain-error", Severity.UNKNOWN, f"the chain could not be asked: {exc}")
    return out


class _Clients:
    """One open chain per chain id for a whole verification (a node that cannot be reached
    is tried once, not once per receipt); all are closed at the end."""

    def __init__(self, source: ChainSource) -> None:
        self._source = source
        self._stack = contextlib.ExitStack()
        self._open: dict[int, ChainReader | ChainError] = {}

    def __enter__(self) -> _Clients:
        return self

    def __exit__(self, *exc: object) -> None:
        self._stack.close()

    def get(self, receipt: Receipt) -> ChainReader:
        known = self._open.get(receipt.chain_id)
        if known is None:
            try:
                known = _open(self._source, receipt)
                self._stack.callback(known.close)
            except ChainError as exc:
                known = exc
            self._open[receipt.chain_id] = known
        if isinstance(known, ChainError):
            raise known
        return known


def _open(source: ChainSource, receipt: Receipt) -> ChainReader:
    from .chain.backend import ChainConfig, open_chain

    if source.url:
        return _Web3Reader(open_chain(ChainConfig(kind="rpc", url=source.url,
                                                  expected_chain_id=receipt.chain_id,
                                                  create=False, retry_attempts=3)))
    from .anchoring import chain_config
    from .workspace import open_workspace

    try:
        ws = open_workspace(source.workspace)
    except EvidenceError as exc:
        raise ChainError(f"no chain to ask for chain id {receipt.chain_id}: pass --chain URL "
                         f"or --workspace ({exc})") from exc
    if ws.chain.chain_id != receipt.chain_id:
        raise ChainError(f"the workspace's chain is chain id {ws.chain.chain_id}, the receipt "
                         f"is for chain id {receipt.chain_id}; pass --chain URL")
    cfg = chain_config(ws)
    if cfg.kind == "embedded" and not (cfg.state_dir and cfg.state_dir.exists()):
        raise ChainError(f"{ws.root}: the embedded chain is missing")
    if cfg.kind == "embedded" and _LIGHT_EMBEDDED and cfg.state_dir is not None:
        from .chain.light import LightChain

        return LightChain.open(cfg.state_dir, expected_chain_id=cfg.expected_chain_id)
    return _Web3Reader(open_chain(cfg))


def _check_on_chain(receipt: Receipt, policy: Policy, chain: ChainReader,
                    out: ChainCheck) -> None:
    out.development_chain = chain.is_development
    if chain.is_development:
        out.add("development-chain", Severity.INFO,
                f"{chain.description} is a development chain: one party controls it, so "
                "the anchor has no evidential value")
    if chain.chain_id != receipt.chain_id:
        out.add("chain-id-mismatch", Severity.UNKNOWN,
                f"node is chain id {chain.chain_id}, the receipt is for {receipt.chain_id}")
        return
    code = chain.get_code(receipt.contract)
    if not code:
        out.add("contract-missing", Severity.ERROR,
                f"no contract at {receipt.contract} on chain {chain.chain_id}",
                receipt.contract)
        return
    contract = chain.anchor_view(receipt.contract)  # checks the code
    out.add("contract-ok", Severity.OK,
            f"the code at {contract.address} is the EvidenceAnchor artifact's")
    record = contract.anchor_of(receipt.batch_root)
    if record is None:
        out.add("anchor-missing", Severity.ERROR,
                f"batch root 0x{receipt.batch_root.hex()} is not anchored by the contract "
                f"at {contract.address} on chain {chain.chain_id} that the receipt names "
                "(a receipt edited to name another contract, an anchor dropped by a "
                "reorganisation, or a forged receipt)",
                _receipt_subject(receipt))
        return
    if record.block_number != receipt.block_number or record.timestamp != receipt.block_time:
        out.add("anchor-differs", Severity.ERROR,
                f"the chain says block {record.block_number} at {record.timestamp}; the "
                f"receipt says block {receipt.block_number} at {receipt.block_time}",
                _receipt_subject(receipt))
        return
    if "0x" + chain.block_hash(record.block_number).hex() != receipt.block_hash:
        out.add("anchor-block-not-canonical", Severity.ERROR,
                f"block {record.block_number} on the canonical chain is not the "
                "receipt's block (reorganised chain or forged receipt)", _receipt_subject(receipt))
        return
    transaction = contract.anchor_transaction(receipt.batch_root, record.block_number)
    if transaction != receipt.transaction:
        out.add("anchor-differs", Severity.ERROR,
                f"the chain's Anchored event for this batch is in transaction {transaction}; "
                f"the receipt says {receipt.transaction}", _receipt_subject(receipt))
        return
    latest = chain.latest_block_number()
    out.anchor = _anchor_info(receipt, checked=True, submitter=record.submitter)
    out.add("anchor-ok", Severity.OK,
            f"anchored on chain {chain.chain_id} in block {record.block_number} "
            f"({latest - record.block_number} blocks on top) at unix time "
            f"{record.timestamp}, transaction {receipt.transaction}", _receipt_subject(receipt))
    facts = []
    for c in contract.confirmations_of(receipt.batch_root):
        w = contract.witness_of(c.witness)
        if w is None:
            continue
        facts.append(ConfirmationFacts(
            witness=WitnessFacts(address=w.account, operator=w.operator,
                                 jurisdiction=w.jurisdiction, registered_at=w.registered_at,
                                 revoked_at=w.revoked_at),
            confirmed_at=c.confirmed_at, observed_at=c.observed_at,
            by_signature=c.by_signature))
    outcome = evaluate(policy,
                       AnchorFacts(root=receipt.batch_root, submitter=record.submitter,
                                   anchored_at=record.timestamp,
                                   block_number=record.block_number,
                                   blocks_on_top=latest - record.block_number),
                       facts, parties=load_policy_parties(policy))
    out.findings.extend(outcome.findings)
    out.witnesses = [w.to_json() for w in outcome.witnesses]
    out.satisfied = outcome.satisfied
    if out.policy is not None:
        out.policy["satisfied"] = outcome.satisfied
        out.policy["counted_jurisdictions"] = list(outcome.counted_jurisdictions)
