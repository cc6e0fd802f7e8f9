"""``verify``: the whole verification of a bundle or disclosure package, as one result.

Integrity is checked offline (:mod:`evidence.bundle.integrity`); receipts, the chain, the
witnesses and the presumption policy by :mod:`evidence.verification.chain_checks`. The verdict:
``failed`` on any ERROR finding, else ``inconclusive`` when the chain could not be asked,
else ``presumed-authentic`` when the policy holds on the chain, else ``not-presumed``.
``offline=True`` checks everything but the chain and can never presume authenticity.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..bundle.custody import utc_now
from ..bundle.integrity import check_integrity
from ..bundle.layout import RECEIPTS_DIR
from ..bundle.receipts import Receipt, read_receipts
from ..bundle.recorded import receipts_against_custody
from ..errors import FormatError
from ..findings import Finding, Severity
from ..policy.load import DEFAULT_POLICY, Policy, load_policy
from ..result import VerificationResult, decide_verdict
from .chain_checks import ChainSource, check_receipts

if TYPE_CHECKING:
    from ..trust.model import TrustProfile

__all__ = ["verify"]

#: Progress and diagnostics (the command line prints INFO on stderr; ``-q`` silences it).
_log = logging.getLogger(__name__)

#: The capture time as the capture writes it (custody.utc_now): UTC, whole seconds.
_UTC_RE = re.compile(r"(19[7-9][0-9]|[2-9][0-9]{3})-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z")


def verify(
    path: Path,
    *,
    policy: str | Path | Policy = DEFAULT_POLICY,
    offline: bool = False,
    chain_url: str | Sequence[str] | None = None,
    workspace: Path | None = None,
    trust: TrustProfile | str | Path | None = None,
    publisher_keys: Sequence[str] = (),
    progress: Callable[[int], None] | None = None,
) -> VerificationResult:
    """Verify the bundle or disclosure package at ``path``.

    Trust comes from the verifier only (docs/trust.md): ``trust`` (a profile or its path),
    else ``EVIDENCE_TRUST``, else the verifier's own ``~/.config/evidence/trust.toml``,
    else, when ``workspace`` is named, that workspace's demonstration profile. Never from
    the bundle. ``publisher_keys`` pin the keys a profile must be signed with. Without a
    profile the verdict is at most ``not-presumed``.

    The chain is asked at ``chain_url`` (one URL or several, which must agree), else at the
    nodes the trust profile lists for the receipt's chain, else through ``workspace`` (named
    explicitly: a workspace is never found by walking up from the bundle or the current
    folder). Never raises for evidence that fails a check (that is a ``failed`` verdict with
    findings); raises NotABundleError when ``path`` is not a bundle at all, and
    InputError/FormatError for an unusable policy or trust profile.
    """
    from ..trust.sources import resolve_trust

    path = Path(path)
    rules = policy if isinstance(policy, Policy) else load_policy(policy)
    profile = resolve_trust(trust, workspace=workspace, publisher_keys=publisher_keys)
    urls = (() if chain_url is None else (chain_url,) if isinstance(chain_url, str)
            else tuple(chain_url))
    _log.info("checking %s offline (digests, leaves, root, signature, custody log)", path)
    report = check_integrity(path, progress=progress)
    findings = list(report.findings)
    signed = report.signed_root
    try:
        receipts = read_receipts(path)
    except FormatError as exc:
        findings.append(Finding("receipt-invalid", Severity.ERROR, str(exc), "evidence/receipts"))
        receipts = []
    findings.extend(receipts_against_custody(receipts, report.custody, report.package,
                                              custody_ok=not any(
                                                  f.code.startswith("custody")
                                                  and f.severity is Severity.ERROR
                                                  for f in findings)))
    chain = None
    if not receipts:
        if not any(f.code == "receipt-invalid" for f in findings):
            findings.append(Finding("not-anchored", Severity.WARNING,
                                    "the bundle root has not been anchored on a chain yet "
                                    "(run `evidence anchor`)", "evidence/receipts"))
    elif signed is not None:
        _log.info("reading the anchor and the witnesses' confirmations from the chain%s",
                  " (offline: not asked)" if offline else "")
        chain = check_receipts(receipts, bundle_root=signed.root, policy=rules,
                               source=ChainSource(urls=urls, workspace=workspace),
                               offline=offline, trust=profile,
                               captured_at=_captured_at(signed.statement))
        findings.extend(chain.findings)
        findings.extend(_receipt_against_chain(receipts, chain.anchor, chain.development_chain))
    stamps = None
    if signed is not None:
        from evidence.timestamps.check import check_timestamps

        anchor = None if chain is None else chain.anchor
        stamps = check_timestamps(
            path, custody=report.custody, package=report.package,
            pins=None if profile is None else profile.timestamp_authorities,
            captured_at=_captured_at(signed.statement),
            block_time=None if anchor is None else anchor.block_time,
            block_time_checked=anchor is not None and anchor.checked_on_chain and not offline,
            window_seconds=rules.timestamp_window_seconds,
            demonstration=profile is not None and profile.demonstration)
        findings.extend(stamps.findings)
        if rules.require_timestamp and not stamps.trusted:
            findings.append(Finding(
                "timestamp-required", Severity.WARNING,
                f"policy {rules.name} requires an RFC 3161 timestamp from a TSA the trust "
                "profile pins; the bundle has none (run `evidence timestamp BUNDLE --tsa URL`)",
                "evidence/timestamps"))
        elif (rules.require_timestamp and not stamps.corroborating and anchor is not None
              and anchor.checked_on_chain and not offline):
            findings.append(Finding(
                "timestamp-required", Severity.WARNING,
                f"policy {rules.name} requires an RFC 3161 timestamp from a TSA the trust "
                "profile pins that corroborates the anchor's block time (no later than it plus "
                f"{rules.timestamp_window_seconds} s); every trusted token was taken later",
                "evidence/timestamps"))
    timestamps_hold = stamps is None or (stamps.consistent and (
        not rules.require_timestamp or bool(stamps.corroborating)))
    if offline:
        findings.append(Finding("offline", Severity.WARNING,
                                "offline verification: the chain was not asked, so no "
                                "presumption is possible"))
    satisfied = chain is not None and chain.satisfied and not offline and timestamps_hold
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
        trust=None if profile is None else profile.summary(),
        demonstration=profile is not None and profile.demonstration,
        chain=None if chain is None else chain.chain,
        timestamps=() if stamps is None else tuple(c.to_json() for c in stamps.checks),
    )


def _captured_at(statement: dict[str, Any]) -> int | str | None:
    """The signed capture time (``captured_at``) as unix seconds; the text itself when it
    is not a UTC time the capture writes (``YYYY-MM-DDTHH:MM:SSZ``, 1970 or later), which
    the policy then refuses to take as "in time"; None when the statement has none."""
    text = statement.get("captured_at")
    if text is None:
        return None
    if not isinstance(text, str) or _UTC_RE.fullmatch(text) is None:
        return str(text)
    try:
        return int(datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(
            tzinfo=UTC).timestamp())
    except ValueError:
        return text


def _receipt_against_chain(receipts: list[Receipt], anchor: Any,
                           development_chain: bool | None) -> list[Finding]:
    """The checked receipt must say what the chain says about who anchored and on what.

    The chain check reads these facts from the chain and shows those; this names a
    receipt that says otherwise (the verdict must not rest on a receipt that lies).
    """
    if anchor is None or not anchor.checked_on_chain:
        return []
    for r in receipts:
        if "0x" + r.batch_root.hex() != anchor.batch_root or r.transaction != anchor.transaction:
            continue
        subject = f"{RECEIPTS_DIR}/{Path(r.file).name}"
        if r.submitter.lower() != str(anchor.submitter).lower():
            return [Finding("receipt-differs", Severity.ERROR,
                            f"the receipt says submitter {r.submitter}, the chain says "
                            f"{anchor.submitter}", subject)]
        if development_chain is not None and r.development_chain != development_chain:
            # The receipt records what the anchoring tool judged then (by chain id); whether
            # a chain is a development chain is the verifier's judgement now (its trust
            # profile, the node's software), never the receipt's: shown, not an error.
            return [Finding("receipt-development-flag", Severity.INFO,
                            f"the receipt says development_chain={r.development_chain}; this "
                            f"verification judges the chain {'a' if development_chain else 'not a'}"
                            " development chain, and that judgement is the one used",
                            subject)]
        break
    return []
