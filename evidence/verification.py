"""``verify``: the whole verification of a bundle or disclosure package, as one result.

Integrity is checked offline (:mod:`evidence.integrity`); receipts, the chain, the
witnesses and the presumption policy by :mod:`evidence.chaincheck`. The verdict:
``failed`` on any ERROR finding, else ``inconclusive`` when the chain could not be asked,
else ``presumed-authentic`` when the policy holds on the chain, else ``not-presumed``.
``offline=True`` checks everything but the chain and can never presume authenticity.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from .chaincheck import ChainSource, check_receipts
from .custody import utc_now
from .errors import FormatError
from .findings import Finding, Severity
from .integrity import check_integrity
from .policy import DEFAULT_POLICY, Policy, load_policy
from .receipts import read_receipts
from .result import VerificationResult, decide_verdict

__all__ = ["verify"]


def verify(
    path: Path,
    *,
    policy: str | Path | Policy = DEFAULT_POLICY,
    offline: bool = False,
    chain_url: str | None = None,
    workspace: Path | None = None,
    progress: Callable[[int], None] | None = None,
) -> VerificationResult:
    """Verify the bundle or disclosure package at ``path``.

    The chain is asked at ``chain_url`` if given, else through the workspace (``workspace``,
    ``EVIDENCE_WORKSPACE`` or the folders above the current one) when its chain id is the
    receipt's. Never raises for evidence that fails a check (that is a ``failed`` verdict
    with findings); raises NotABundleError when ``path`` is not a bundle at all, and
    InputError/FormatError for an unusable policy.
    """
    path = Path(path)
    rules = policy if isinstance(policy, Policy) else load_policy(policy)
    report = check_integrity(path, progress=progress)
    findings = list(report.findings)
    signed = report.signed_root
    try:
        receipts = read_receipts(path)
    except FormatError as exc:
        findings.append(Finding("receipt-invalid", Severity.ERROR, str(exc), "evidence/receipts"))
        receipts = []
    chain = None
    if not receipts:
        if not any(f.code == "receipt-invalid" for f in findings):
            findings.append(Finding("not-anchored", Severity.WARNING,
                                    "the bundle root has not been anchored on a chain yet "
                                    "(run `evidence anchor`)", "evidence/receipts"))
    elif signed is not None:
        chain = check_receipts(receipts, bundle_root=signed.root, policy=rules,
                               source=ChainSource(url=chain_url, workspace=workspace),
                               offline=offline)
        findings.extend(chain.findings)
    if offline:
        findings.append(Finding("offline", Severity.WARNING,
                                "offline verification: the chain was not asked, so the evidence "
                                "cannot be presumed authentic"))
    satisfied = chain is not None and chain.satisfied and not offline
    return VerificationResult(
        bundle=str(path),
        package=report.package,
        verdict=decide_verdict(findings, policy_satisfied=satisfied),
        verified_at=utc_now(),
        offline=offline,
        root=None if signed is None else signed.root.hex(),
        leaf_count=None if signed is None else signed.leaf_count,
        signer=None if signed is None else signed.fingerprint,
        provenance=report.provenance,
        items=tuple(report.items),
        findings=tuple(findings),
        custody=tuple(report.custody),
        anchor=None if chain is None else chain.anchor,
        policy=None if chain is None else chain.policy,
        witnesses=() if chain is None else tuple(chain.witnesses),
        development_chain=None if chain is None else chain.development_chain,
    )
