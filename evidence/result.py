"""The verification result: one object that the CLI, the JSON output and reports render.

Its JSON form is documented by ``evidence/schemas/verification-result.schema.json``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .findings import Finding, Severity, Verdict

__all__ = ["AnchorInfo", "ItemStatus", "VerificationResult", "decide_verdict"]

RESULT_SCHEMA_VERSION = "1.0"


@dataclass(frozen=True)
class ItemStatus:
    """One item as verified. ``status`` is ``ok``, ``changed``, ``missing`` or ``invalid``."""

    id: str
    kind: str
    name: str
    path: str
    size: int
    sha256: str
    sha512: str
    media_type: str
    status: str
    message: str = ""
    fields: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id, "kind": self.kind, "name": self.name, "path": self.path,
            "size": self.size, "sha256": self.sha256, "sha512": self.sha512,
            "media_type": self.media_type, "status": self.status, "message": self.message,
            "details": self.fields,
        }


@dataclass(frozen=True)
class AnchorInfo:
    """Where and when the bundle root was anchored, as read from the chain when possible."""

    chain_id: int
    contract: str
    transaction: str
    block_number: int
    block_hash: str
    block_time: int
    batch_root: str
    batch_index: int
    batch_size: int
    submitter: str | None
    development_chain: bool
    chain_description: str
    checked_on_chain: bool
    #: The contract's registrar (its owner) at the anchor's block, read from the chain.
    registrar: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "chain_id": self.chain_id, "contract": self.contract, "transaction": self.transaction,
            "block_number": self.block_number, "block_hash": self.block_hash,
            "block_time": self.block_time, "batch_root": self.batch_root,
            "batch_index": self.batch_index, "batch_size": self.batch_size,
            "submitter": self.submitter, "development_chain": self.development_chain,
            "chain": self.chain_description, "checked_on_chain": self.checked_on_chain,
            "registrar": self.registrar,
        }


@dataclass(frozen=True)
class VerificationResult:
    """Everything a verification established, and the verdict."""

    bundle: str
    package: str  # "bundle" or "disclosure"
    verdict: Verdict
    verified_at: str
    offline: bool
    root: str | None
    leaf_count: int | None
    signer: str | None
    provenance: dict[str, Any]
    items: tuple[ItemStatus, ...]
    findings: tuple[Finding, ...]
    custody: tuple[dict[str, Any], ...] = ()
    anchor: AnchorInfo | None = None
    policy: dict[str, Any] | None = None
    witnesses: tuple[dict[str, Any], ...] = ()
    development_chain: bool | None = None
    #: The verifier's trust profile (its summary: name, source, SHA-256, publisher), or None.
    trust: dict[str, Any] | None = None
    #: True when the verification ran under a demonstration trust profile (a development
    #: chain, the workspace's own profile): whatever the verdict, no evidential value.
    demonstration: bool = False
    #: The chain as read: id, genesis hash, nodes and their software, whether it is pinned.
    chain: dict[str, Any] | None = None
    #: The RFC 3161 tokens as verified (evidence.timestamps.check.TimestampCheck.to_json).
    timestamps: tuple[dict[str, Any], ...] = ()

    @property
    def exit_code(self) -> int:
        return {Verdict.PRESUMED_AUTHENTIC: 0, Verdict.NOT_PRESUMED: 1, Verdict.FAILED: 1,
                Verdict.INCONCLUSIVE: 3}[self.verdict]

    def policy_label(self) -> str:
        """The policy as shown beside a verdict: a built-in by name; a file policy by name,
        path and SHA-256 (so a file cannot pass for a built-in policy)."""
        p = self.policy or {}
        if not p:
            return "no policy applied"
        if p.get("builtin"):
            return f"policy {p.get('name')} (built-in)"
        return f"policy {p.get('name')} from the file {p.get('source')} (SHA-256 {p.get('sha256')})"

    def trust_label(self) -> str:
        """The trust profile as shown beside a verdict: name, source, SHA-256, publisher."""
        t = self.trust
        if not t:
            return "no trust profile"
        signer = t.get("signed_by")
        who = (f"signed by {signer}{' (pinned)' if t.get('publisher_key_pinned') else ''}"
               if signer else "unsigned")
        publisher = f", publisher {t.get('publisher')}" if t.get("publisher") else ""
        kind = "demonstration trust profile" if t.get("demonstration") else "trust profile"
        return (f"{kind} {t.get('name')} from {t.get('source')}, SHA-256 "
                f"{t.get('sha256')}{publisher}, {who}")

    def _trust_name(self) -> str:
        t = self.trust
        if not t:
            return "no trust profile"
        kind = "demonstration trust profile" if t.get("demonstration") else "trust profile"
        return f"{kind} {t.get('name')} ({t.get('source')})"

    def statement(self) -> str:
        """The verdict as one statement: what it is, under which policy and which trust, and
        whether it is a demonstration (never a warning beside a verdict that contradicts it).
        :meth:`trust_label` gives the profile in full (digest, publisher, signer)."""
        policy, trust = self.policy_label(), self._trust_name()
        if self.verdict is Verdict.PRESUMED_AUTHENTIC and self.demonstration:
            return (f"DEMONSTRATION ONLY, NO EVIDENTIAL VALUE: the checks pass under {policy} "
                    f"and the {trust}, on a development chain one party controls")
        if self.verdict is Verdict.PRESUMED_AUTHENTIC:
            return (f"PRESUMED AUTHENTIC (a rebuttable presumption) under {policy} and {trust}")
        if self.verdict is Verdict.NOT_PRESUMED:
            return f"NOT PRESUMED AUTHENTIC under {policy} and {trust}"
        if self.verdict is Verdict.FAILED:
            return "FAILED: the evidence is changed, invalid, or not anchored as it claims"
        return "INCONCLUSIVE: the checks could not be completed (see the findings)"

    def problems(self) -> list[Finding]:
        return [f for f in self.findings if f.severity in (Severity.ERROR, Severity.UNKNOWN,
                                                            Severity.WARNING)]

    def to_json(self) -> dict[str, Any]:
        return {
            "schema": "evidence-verification-result",
            "schema_version": RESULT_SCHEMA_VERSION,
            "bundle": self.bundle,
            "package": self.package,
            "verdict": self.verdict.value,
            "statement": self.statement(),
            "verified_at": self.verified_at,
            "offline": self.offline,
            "development_chain": self.development_chain,
            "demonstration": self.demonstration,
            "trust": self.trust,
            "chain": self.chain,
            "root": self.root,
            "leaf_count": self.leaf_count,
            "signer": self.signer,
            "provenance": self.provenance,
            "policy": self.policy,
            "anchor": None if self.anchor is None else self.anchor.to_json(),
            "witnesses": list(self.witnesses),
            "items": [i.to_json() for i in self.items],
            "findings": [f.to_json() for f in self.findings],
            "custody": list(self.custody),
            "timestamps": list(self.timestamps),
        }


def decide_verdict(findings: list[Finding], *, policy_satisfied: bool) -> Verdict:
    """ERROR -> failed; else UNKNOWN -> inconclusive; else the policy decides."""
    severities = {f.severity for f in findings}
    if Severity.ERROR in severities:
        return Verdict.FAILED
    if Severity.UNKNOWN in severities:
        return Verdict.INCONCLUSIVE
    return Verdict.PRESUMED_AUTHENTIC if policy_satisfied else Verdict.NOT_PRESUMED
