"""``verify``: the whole verification of a bundle or disclosure package, as one result.

Integrity is checked offline (:mod:`evidence.integrity`); receipts, the chain, the
witnesses and the presumption policy are checked by :mod:`evidence.anchoring`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from .custody import utc_now
from .findings import Finding, Severity
from .integrity import check_integrity
from .result import VerificationResult, decide_verdict

__all__ = ["verify"]


def verify(
    path: Path,
    *,
    offline: bool = False,
    progress: Callable[[int], None] | None = None,
) -> VerificationResult:
    """Verify the bundle or disclosure package at ``path``.

    Never raises for evidence that fails a check (that is a ``failed`` verdict with
    findings); raises NotABundleError when ``path`` is not a bundle at all.
    """
    path = Path(path)
    report = check_integrity(path, progress=progress)
    findings = list(report.findings)
    receipts_dir = path / "evidence" / "receipts"
    anchored = receipts_dir.is_dir() and any(receipts_dir.glob("*.json"))
    if not anchored:
        findings.append(Finding("not-anchored", Severity.WARNING,
                                "the bundle root has not been anchored on a chain yet "
                                "(run `evidence anchor`)", "evidence/receipts"))
    if offline:
        findings.append(Finding("offline", Severity.INFO,
                                "offline verification: the chain was not asked, so the evidence "
                                "cannot be presumed authentic"))
    signed = report.signed_root
    return VerificationResult(
        bundle=str(path),
        package=report.package,
        verdict=decide_verdict(findings, policy_satisfied=False),
        verified_at=utc_now(),
        offline=offline,
        root=None if signed is None else signed.root.hex(),
        leaf_count=None if signed is None else signed.leaf_count,
        signer=None if signed is None else signed.fingerprint,
        provenance=report.provenance,
        items=tuple(report.items),
        findings=tuple(findings),
        custody=tuple(report.custody),
    )
