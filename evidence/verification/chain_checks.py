"""The chain part of verification: receipts, the anchor, the witnesses, the trust, the policy.

Never trusts a receipt's copy of what the chain says: the anchor's block and time, the
block hash on the canonical chain, the contract's code and every confirmation are read
from the chain. Problems become findings: ERROR for what is changed, invalid or missing
(-> failed), UNKNOWN for what could not be asked or what the nodes could not back
(-> inconclusive), WARNING for intact evidence the verifier's trust does not cover
(-> not presumed).

**Trust comes from the verifier** (docs/architecture.md, "Trust"; docs/trust.md). The party who
captured the evidence may have deployed the contract (so it is the registrar and can
register any "witness" under any name and jurisdiction), may run the chain (so it sets the
block times), and may run the node the verifier asks. So a presumption is possible only
inside the verifier's :class:`~evidence.trust.model.TrustProfile`: its chain pinned by
genesis hash (and read through as many nodes as the profile asks, agreeing), its registry
(contract and registrar) pinned, and every counted witness run by an operator the profile
names, counted by the profile's id, in the profile's jurisdiction. Without a profile the
best verdict is not-presumed, with a finding that says what would be needed. A development
chain (the embedded one, anvil, Hardhat, chain ids 1337/31337) is never evidence: a
demonstration profile may pin one, and every verdict under it says it is a demonstration.

A bundle can hold several receipts (anchored on two chains, or anchored again with
``evidence anchor --reanchor`` after a reorganisation dropped its first anchor). Every
receipt is checked; the verdict rests on one the chain confirms (preferring one under which
the policy holds). A receipt the chain does not back while another receipt checks out is
reported as ``receipt-stale`` (WARNING): the bytes are proven by the receipt that checks out,
and the claim the stale receipt makes (an earlier block and time) is shown as unproven, never
used. With no receipt that checks out, every receipt's findings stand (docs/security.md).

The chain is read through a :class:`~evidence.chain.types.ChainReader`: a JSON-RPC chain
through :class:`~evidence.chain.proven.ProvenChain` (storage by ``eth_getProof`` checked
against headers whose hashes it computes, across every node given, events checked against
receipts roots; no web3), the embedded chain straight from its store with
:class:`~evidence.chain.light.LightChain` (every record checked by its hash).
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..bundle.receipts import Receipt
from ..errors import (
    ChainError,
    ChainUnreachableError,
    ContractMismatchError,
    EvidenceError,
    NodeCapabilityError,
    NodeProofError,
    NodesDisagreeError,
)
from ..findings import Finding, Severity
from ..policy.describe import describe
from ..policy.evaluate import (
    AnchorFacts,
    ConfirmationFacts,
    Identify,
    WitnessFacts,
    evaluate,
    registry_identity,
)
from ..policy.load import Policy, load_policy_parties
from ..result import AnchorInfo

if TYPE_CHECKING:
    from ..chain.types import AnchorReader, ChainReader, ConfirmationEvent, ConfirmationRecord
    from ..trust.model import ChainPin, RegistryPin, TrustProfile

__all__ = ["ChainCheck", "ChainSource", "check_receipts", "development_signs"]

RECEIPTS = "evidence/receipts"

#: Chain ids only development nodes use: 1337 (Ganache, geth --dev, Besu dev) and 31337
#: (anvil and Hardhat defaults). The embedded chain's id is added where it is known.
DEVELOPMENT_CHAIN_IDS = frozenset({1337, 31337})

#: ``web3_clientVersion`` prefixes of development node software (lowercase): a chain such a
#: node serves is one party's, whatever chain id it was started with.
DEVELOPMENT_CLIENTS = ("anvil", "hardhat", "ganache", "ethereumtester", "ethereum-tester",
                       "embedded")


@dataclass(frozen=True)
class ChainSource:
    """Where to ask, as the *verifier* chose: JSON-RPC node URLs, or an explicitly named
    workspace (its embedded chain or its configured node). Never a workspace found by
    walking up from the bundle or the current folder."""

    urls: tuple[str, ...] = ()
    workspace: Path | None = None


@dataclass
class ChainCheck:
    findings: list[Finding] = field(default_factory=list)
    anchor: AnchorInfo | None = None
    witnesses: list[dict[str, Any]] = field(default_factory=list)
    policy: dict[str, Any] | None = None
    satisfied: bool = False
    development_chain: bool | None = None
    demonstration: bool = False
    chain: dict[str, Any] | None = None

    def add(self, code: str, severity: Severity, message: str, subject: str | None = None) -> None:
        self.findings.append(Finding(code, severity, message, subject))


def development_signs(chain: ChainReader, *, embedded_chain_id: int | None = None) -> list[str]:
    """What marks ``chain`` as a development chain by its own signs (empty: none): the
    embedded store, a development chain id, development node software."""
    signs: list[str] = []
    if chain.is_embedded:
        signs.append("the embedded chain of a workspace")
    ids = DEVELOPMENT_CHAIN_IDS | ({embedded_chain_id} if embedded_chain_id else set())
    if chain.chain_id in ids:
        signs.append(f"chain id {chain.chain_id} is a development chain id")
    for node, version in zip(chain.nodes, chain.client_versions, strict=False):
        if version.lower().startswith(DEVELOPMENT_CLIENTS) and not chain.is_embedded:
            signs.append(f"the node at {node} runs {version}")
    return signs


def _anchor_info(r: Receipt, *, checked: bool, submitter: str | None = None,
                 registrar: str | None = None) -> AnchorInfo:
    return AnchorInfo(
        chain_id=r.chain_id, contract=r.contract, transaction=r.transaction,
        block_number=r.block_number, block_hash=r.block_hash, block_time=r.block_time,
        batch_root="0x" + r.batch_root.hex(), batch_index=r.index, batch_size=r.batch_size,
        submitter=submitter or r.submitter, development_chain=r.development_chain,
        chain_description=r.chain, checked_on_chain=checked, registrar=registrar)


def _new_check(policy: Policy) -> ChainCheck:
    out = ChainCheck()
    out.policy = {**policy.to_json(), "rules": describe(policy, "en"),
                  "rules_zh": describe(policy, "zh")}
    return out


def _receipt_subject(r: Receipt) -> str:
    return f"{RECEIPTS}/{Path(r.file).name}" if r.file else RECEIPTS


def check_receipts(receipts: list[Receipt], *, bundle_root: bytes, policy: Policy,
                   source: ChainSource, offline: bool, trust: TrustProfile | None = None,
                   captured_at: int | str | None = None) -> ChainCheck:
    """Check every receipt offline, then every usable one on chain (module docstring).

    ``trust`` is the verifier's trust profile (None: no presumption possible);
    ``captured_at`` the signed capture time, checked against the anchor. Never raises for
    a chain that cannot be asked: that is an UNKNOWN finding.
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
    with _Clients(source, trust) as clients:
        checks = [(r, _check_one(r, policy, clients, trust, captured_at)) for r in usable]
    _merge(out, checks)
    return out


def _merge(out: ChainCheck, checks: list[tuple[Receipt, ChainCheck]]) -> None:
    """Fold the per-receipt checks into ``out`` (see the module docstring)."""
    confirmed = [(r, c) for r, c in checks if c.anchor is not None and c.anchor.checked_on_chain]
    if not confirmed:
        for _, c in checks:
            out.findings.extend(f for f in c.findings if f not in out.findings)
        out.development_chain = checks[0][1].development_chain
        out.chain = checks[0][1].chain
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
    out.demonstration = chosen.demonstration
    out.chain = chosen.chain


def _check_one(receipt: Receipt, policy: Policy, clients: _Clients,
               trust: TrustProfile | None, captured_at: int | str | None) -> ChainCheck:
    """One receipt against the chain, into a check of its own."""
    out = _new_check(policy)
    out.anchor = _anchor_info(receipt, checked=False)
    out.development_chain = receipt.development_chain
    try:
        _check_on_chain(receipt, policy, clients.get(receipt), out, trust, captured_at)
    except ChainUnreachableError as exc:
        out.add("chain-unreachable", Severity.UNKNOWN, f"the chain could not be reached: {exc}")
    except NodesDisagreeError as exc:
        out.add("nodes-disagree", Severity.UNKNOWN,
                f"the nodes asked disagree, so no node's word is taken: {exc}")
    except NodeProofError as exc:
        out.add("node-proof-invalid", Severity.UNKNOWN,
                f"a node's answer does not prove what it claims (faulty or lying node; "
                f"verify through another node): {exc}")
    except NodeCapabilityError as exc:
        out.add("node-cannot-serve", Severity.UNKNOWN,
                f"a node could not serve what verification needs: {exc}")
    except ContractMismatchError as exc:
        out.add("contract-mismatch", Severity.ERROR, str(exc), receipt.contract)
    except ChainError as exc:
        out.add("chain-error", Severity.UNKNOWN, f"the chain could not be asked: {exc}")
    return out


class _Clients:
    """One open chain per chain id for a whole verification (a node that cannot be reached
    is tried once, not once per receipt); all are closed at the end."""

    def __init__(self, source: ChainSource, trust: TrustProfile | None) -> None:
        self._source = source
        self._trust = trust
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
                known = _open(self._source, self._trust, receipt)
                self._stack.callback(known.close)
            except ChainError as exc:
                known = exc
            self._open[receipt.chain_id] = known
        if isinstance(known, ChainError):
            raise known
        return known


def _open(source: ChainSource, trust: TrustProfile | None, receipt: Receipt) -> ChainReader:
    """The reader for the receipt's chain, from what the verifier named: its node URLs, the
    nodes its trust profile lists for that chain, or an explicitly named workspace."""
    urls: Sequence[str] = source.urls
    pin = None if trust is None else trust.chain(receipt.chain_id)
    if not urls and source.workspace is None and pin is not None:
        urls = pin.nodes
    if urls:
        from ..chain.proven import ProvenChain

        return ProvenChain.connect(list(urls), expected_chain_id=receipt.chain_id)
    if source.workspace is None:
        raise ChainError(
            f"no node to ask for chain id {receipt.chain_id}: pass --chain URL (several times "
            "for several nodes), list nodes for the chain in your trust profile, or name the "
            "workspace holding an embedded chain with --workspace" + _workspace_hint())
    from ..workspace import open_workspace
    from ..workspace_chain import chain_config

    try:
        ws = open_workspace(source.workspace)
    except EvidenceError as exc:
        raise ChainError(f"no chain to ask for chain id {receipt.chain_id}: pass --chain URL "
                         f"or --workspace ({exc})") from exc
    if ws.chain.chain_id != receipt.chain_id:
        raise ChainError(f"the workspace's chain is chain id {ws.chain.chain_id}, the receipt "
                         f"is for chain id {receipt.chain_id}; pass --chain URL")
    cfg = chain_config(ws)
    if cfg.kind == "embedded":
        if not (cfg.state_dir and cfg.state_dir.exists()):
            raise ChainError(f"{ws.root}: the embedded chain is missing")
        from ..chain.light import LightChain

        return LightChain.open(cfg.state_dir, expected_chain_id=cfg.expected_chain_id)
    from ..chain.proven import ProvenChain

    return ProvenChain.connect([str(cfg.url)], expected_chain_id=receipt.chain_id)


def _workspace_hint() -> str:
    """A workspace above the current folder is never used unless named; say so if there
    is one (the capturer's own folder, or one shipped beside the bundle)."""
    from ..workspace import find_workspace

    try:
        found = find_workspace(None)
    except EvidenceError:
        return ""
    return (f" (the workspace {found} above this folder is not used unless you name it: "
            f"-w {found})")


def _judge_chain(chain: ChainReader, receipt: Receipt, trust: TrustProfile | None,
                 out: ChainCheck) -> tuple[ChainPin | None, bool, str | None]:
    """Is this chain one the verifier trusts? (pin, development, why not)."""
    from ..chain.light import EMBEDDED_CHAIN_ID

    signs = development_signs(chain, embedded_chain_id=EMBEDDED_CHAIN_ID)
    genesis = chain.genesis_hash()
    pin = None if trust is None else trust.chain(chain.chain_id)
    pinned = pin is not None and pin.genesis_hash == genesis
    nodes = ", ".join(chain.nodes)
    out.chain = {"chain_id": chain.chain_id, "description": chain.description,
                 "genesis_hash": "0x" + genesis.hex(), "nodes": list(chain.nodes),
                 "client_versions": list(chain.client_versions),
                 "pinned": pinned, "pinned_name": pin.name if pinned and pin else None,
                 "development_signs": signs}
    why: str | None = None
    if pin is not None and pinned:
        development = pin.development
        out.add("trust-chain-ok", Severity.OK,
                f"chain {chain.chain_id} ({pin.name}) is pinned by trust profile "
                f"{trust.name if trust else ''}: genesis hash 0x{genesis.hex()} matches; read "
                f"through {len(chain.nodes)} node(s) that agree ({nodes})")
        if signs and not pin.development:
            out.add("trust-node-software", Severity.INFO,
                    f"{'; '.join(signs)}: the trust profile declares this pinned chain a "
                    "production chain, so the profile's publisher vouches for it")
        if len(chain.nodes) < pin.min_nodes:
            why = (f"the trust profile asks for {pin.min_nodes} agreeing nodes on chain "
                   f"{chain.chain_id}, {len(chain.nodes)} were given")
            out.add("trust-too-few-nodes", Severity.WARNING,
                    f"Not enough nodes: {why}; pass --chain URL once per node")
    else:
        development = bool(signs)
        if trust is None:
            why = "no trust profile was given"
        elif pin is None:
            why = f"trust profile {trust.name} does not pin chain id {chain.chain_id}"
            out.add("trust-chain-not-pinned", Severity.WARNING,
                    f"The anchor's chain (chain id {chain.chain_id}, {chain.description}) is "
                    f"not one trust profile {trust.name} pins: nothing on it can support a "
                    "presumption", str(chain.chain_id))
        else:
            why = (f"the node serves a chain whose genesis hash differs from the one trust "
                   f"profile {trust.name} pins for chain id {chain.chain_id}")
            out.add("trust-genesis-mismatch", Severity.WARNING,
                    f"Not the pinned chain: {nodes} serve(s) chain id {chain.chain_id} with "
                    f"genesis hash 0x{genesis.hex()}, but trust profile {trust.name} pins "
                    f"{pin.name} with genesis hash 0x{pin.genesis_hash.hex()}: another chain "
                    "borrowing its chain id, or the wrong node", str(chain.chain_id))
    demo = trust is not None and trust.demonstration
    if development:
        reason = "; ".join(signs) if signs else "the trust profile marks it a development chain"
        if demo:
            out.add("development-chain", Severity.INFO,
                    f"{chain.description} is a development chain ({reason}): one party "
                    "controls it; pinned by a demonstration profile, so every verdict here is "
                    "a demonstration without evidential value")
        else:
            out.add("development-chain", Severity.WARNING,
                    f"{chain.description} is a development chain ({reason}): one party "
                    "controls it, so the anchor has no evidential value and supports no "
                    "presumption")
            why = why or "the anchor is on a development chain"
    return (pin if pinned else None), development, why


def _judge_registry(view: AnchorReader, receipt: Receipt, record_block: int,
                    trust: TrustProfile | None, pin: ChainPin | None,
                    out: ChainCheck) -> tuple[RegistryPin | None, str, str | None]:
    """Is this contract a registry the verifier trusts, owned by the pinned registrar?
    (registry pin, registrar at the anchor block, why not)."""
    try:
        registrar = view.registrar(block=record_block)
        when = f"at the anchor's block {record_block}"
    except NodeCapabilityError as exc:
        # No state of the anchor's block: the registrar at the head is the one at the
        # anchor only if no ownership transfer lies between them (events checked like all
        # events; a node hiding one beside a node showing it makes the nodes disagree). A
        # transfer, or no way to tell, leaves the registrar at the anchor unknown.
        if view.registrar_changed_after(record_block):
            raise NodeCapabilityError(
                f"the contract's registrar changed after the anchor's block {record_block} "
                f"and the node keeps no state of that block ({exc}); verify through a node "
                "that keeps historic state (an archive node)") from exc
        registrar = view.registrar()
        when = ("at the latest block (no ownership transfer since the anchor's block "
                f"{record_block})")
        out.add("registrar-read-at-head", Severity.INFO,
                f"the registrar was read at the latest block, not at the anchor's block "
                f"{record_block} ({exc}); no ownership transfer lies between them")
    if trust is None or pin is None:
        return None, registrar, None
    reg = trust.registry(receipt.chain_id, view.address)
    if reg is None:
        why = f"trust profile {trust.name} does not pin the contract {view.address}"
        out.add("trust-registry-not-pinned", Severity.WARNING,
                f"The contract {view.address} on chain {receipt.chain_id} is not a registry "
                f"trust profile {trust.name} pins: whoever deployed it registers its "
                "witnesses, so its confirmations cannot support a presumption", view.address)
        return None, registrar, why
    if registrar.lower() != reg.registrar.lower():
        why = (f"the contract's registrar {when} is {registrar}, not {reg.registrar} as trust "
               f"profile {trust.name} pins")
        out.add("trust-registrar-mismatch", Severity.WARNING,
                f"Registrar differs: {why}", view.address)
        return None, registrar, why
    out.add("trust-registry-ok", Severity.OK,
            f"the contract {view.address} is a registry trust profile {trust.name} pins; its "
            f"registrar {when} is the pinned {reg.registrar}", view.address)
    return reg, registrar, None


def _check_on_chain(receipt: Receipt, policy: Policy, chain: ChainReader, out: ChainCheck,
                    trust: TrustProfile | None, captured_at: int | str | None) -> None:
    if chain.chain_id != receipt.chain_id:
        out.add("chain-id-mismatch", Severity.UNKNOWN,
                f"node is chain id {chain.chain_id}, the receipt is for {receipt.chain_id}")
        return
    pin, development, untrusted = _judge_chain(chain, receipt, trust, out)
    out.development_chain = development
    code = chain.get_code(receipt.contract)
    if not code:
        out.add("contract-missing", Severity.ERROR,
                f"no contract at {receipt.contract} on chain {chain.chain_id}",
                receipt.contract)
        return
    contract = chain.anchor_view(receipt.contract)  # checks the code and its EIP-712 domain
    out.add("contract-ok", Severity.OK,
            f"the code at {contract.address} is the EvidenceAnchor artifact's, with this "
            "chain's and this address's EIP-712 domain")
    record = contract.anchor_of(receipt.batch_root)
    if record is None and receipt.block_number > chain.latest_block_number():
        # A node that has not reached the receipt's block cannot tell whether the anchor
        # is there: that is the node's shortcoming, not the evidence's.
        out.add("chain-behind", Severity.UNKNOWN,
                f"the receipt names block {receipt.block_number}, but the node(s) asked are "
                f"only at block {chain.latest_block_number()}: still syncing, or the wrong "
                "node; verify again later or through another node", _receipt_subject(receipt))
        return
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
    registry, registrar, why = _judge_registry(contract, receipt, record.block_number, trust,
                                               pin, out)
    untrusted = untrusted or why
    out.anchor = _anchor_info(receipt, checked=True, submitter=record.submitter,
                              registrar=registrar)
    out.add("anchor-ok", Severity.OK,
            f"anchored on chain {chain.chain_id} in block {record.block_number} "
            f"({latest - record.block_number} blocks on top) at unix time "
            f"{record.timestamp}, transaction {receipt.transaction}; submitted by "
            f"{record.submitter}; registrar {registrar}", _receipt_subject(receipt))
    facts = _confirmation_facts(contract, receipt, record.block_number, out)
    identify: Identify = registry_identity
    submitter_operator = None
    if trust is not None and registry is not None:
        from ..policy.identify import profile_identity, submitter_operator_key

        identify = profile_identity(trust, registry)
        submitter_operator = submitter_operator_key(trust, record.submitter)
    if trust is None:
        out.add("trust-none", Severity.WARNING,
                "No trust profile: the verifier named no chains, registries or witness "
                "operators it trusts, so no presumption is possible, whatever "
                "the registry's own labels say (whoever deployed the contract can label any "
                "witness). Pass --trust FILE, set EVIDENCE_TRUST, or keep your profile at "
                "~/.config/evidence/trust.toml (docs/trust.md).")
    demonstration = trust.name if trust is not None and trust.demonstration else None
    blocks_source = None
    min_blocks = None
    if pin is not None and pin.min_blocks_on_top is not None:
        min_blocks = pin.min_blocks_on_top
        profile_name = trust.name if trust is not None else ""
        blocks_source = f"chain {pin.chain_id}'s finality in trust profile {profile_name}"
    outcome = evaluate(policy,
                       AnchorFacts(root=receipt.batch_root, submitter=record.submitter,
                                   anchored_at=record.timestamp,
                                   block_number=record.block_number,
                                   blocks_on_top=latest - record.block_number,
                                   captured_at=captured_at),
                       facts, parties=load_policy_parties(policy), identify=identify,
                       submitter_operator=submitter_operator, min_blocks_on_top=min_blocks,
                       blocks_source=blocks_source, untrusted=untrusted,
                       demonstration=demonstration)
    out.findings.extend(outcome.findings)
    for w in outcome.witnesses:
        for note in w.notes:
            out.add("trust-label-differs", Severity.INFO, f"{w.address}: {note}", w.address)
    out.witnesses = [w.to_json() for w in outcome.witnesses]
    out.satisfied = outcome.satisfied
    out.demonstration = demonstration is not None
    if out.policy is not None:
        out.policy["satisfied"] = outcome.satisfied
        out.policy["counted_jurisdictions"] = list(outcome.counted_jurisdictions)


def _confirmation_facts(contract: AnchorReader, receipt: Receipt, anchor_block: int,
                        out: ChainCheck) -> list[ConfirmationFacts]:
    """The anchor's confirmations as the contract's state records them, each backed by its
    ``Confirmed`` event where the reader checks events, with the time each back-dated
    revocation was issued."""
    records = contract.confirmations_of(receipt.batch_root)
    events = contract.confirmation_events(receipt.batch_root, anchor_block) if records else None
    facts = []
    for c in records:
        w = contract.witness_of(c.witness)
        if w is None:
            continue
        unproven = None if events is None else _unbacked(c, events)
        if unproven is not None:
            out.add("confirmation-unproven", Severity.UNKNOWN,
                    f"{c.witness}: {unproven}; it is not counted, and the verdict waits for a "
                    "node that serves the event", c.witness)
        issued = None
        if w.revoked_at is not None and w.revoked_at <= c.confirmed_at:
            try:
                when = contract.revocation_issued(w.account, after_time=c.confirmed_at)
            except NodeCapabilityError as exc:
                out.add("revocation-time-unknown", Severity.INFO,
                        f"{w.account}: when its revocation was issued could not be read "
                        f"({exc}); it was issued after its confirmation, which the contract "
                        "would otherwise have refused", w.account)
                when = None
            issued = None if when is None else when.block_time
        facts.append(ConfirmationFacts(
            witness=WitnessFacts(address=w.account, operator=w.operator,
                                 jurisdiction=w.jurisdiction, registered_at=w.registered_at,
                                 revoked_at=w.revoked_at, revocation_issued_at=issued),
            confirmed_at=c.confirmed_at, observed_at=c.observed_at,
            by_signature=c.by_signature, unproven=unproven))
    return facts


def _unbacked(c: ConfirmationRecord, events: list[ConfirmationEvent]) -> str | None:
    """Why the contract state's confirmation ``c`` is not backed by exactly one matching
    ``Confirmed`` event (None: it is)."""
    mine = [e for e in events if e.witness.lower() == c.witness.lower()]
    if not mine:
        return ("the contract's state records a confirmation but the node returned no "
                "Confirmed event (and so no transaction) for it: the node may not serve logs "
                "for that range, or it is lying")
    e = mine[0]
    if (len(mine) != 1 or e.observed_at != c.observed_at or e.by_signature != c.by_signature
            or e.block_time != c.confirmed_at):
        return ("the Confirmed event the node returned does not match the confirmation in "
                "the contract's state")
    return None
