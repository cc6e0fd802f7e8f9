"""``verify``: the whole verification of a bundle or disclosure package, as one result.

Integrity is checked offline (:mod:`evidence.integrity`); receipts, the chain, the
witnesses and the presumption policy by :mod:`evidence.chaincheck`. The verdict:
``failed`` on any ERROR finding, else ``inconclusive`` when the chain could not be asked,
else ``presumed-authentic`` when the policy holds on the chain, else ``not-presumed``.
``offline=True`` checks everything but the chain and can never presume authenticity.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .bundle import RECEIPTS_DIR, open_regular
from .chaincheck import ChainSource, check_receipts
from .custody import utc_now
from .errors import FormatError
from .findings import Finding, Severity
from .integrity import check_integrity
from .policy import DEFAULT_POLICY, Policy, load_policy
from .receipts import Receipt, read_receipts
from .result import VerificationResult, decide_verdict

if TYPE_CHECKING:
    from .trust.model import TrustProfile

__all__ = ["verify"]

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
    from .trust.sources import resolve_trust

    path = Path(path)
    rules = policy if isinstance(policy, Policy) else load_policy(policy)
    profile = resolve_trust(trust, workspace=workspace, publisher_keys=publisher_keys)
    urls = (() if chain_url is None else (chain_url,) if isinstance(chain_url, str)
            else tuple(chain_url))
    report = check_integrity(path, progress=progress)
    findings = list(report.findings)
    signed = report.signed_root
    try:
        receipts = read_receipts(path)
    except FormatError as exc:
        findings.append(Finding("receipt-invalid", Severity.ERROR, str(exc), "evidence/receipts"))
        receipts = []
    findings.extend(_receipts_against_custody(receipts, report.custody, report.package,
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
        chain = check_receipts(receipts, bundle_root=signed.root, policy=rules,
                               source=ChainSource(urls=urls, workspace=workspace),
                               offline=offline, trust=profile,
                               captured_at=_captured_at(signed.statement))
        findings.extend(chain.findings)
        findings.extend(_receipt_against_chain(receipts, chain.anchor, chain.development_chain))
    if offline:
        findings.append(Finding("offline", Severity.WARNING,
                                "offline verification: the chain was not asked, so no "
                                "presumption is possible"))
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
        trust=None if profile is None else profile.summary(),
        demonstration=profile is not None and profile.demonstration,
        chain=None if chain is None else chain.chain,
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


def _receipt_digest(r: Receipt) -> str:
    with open_regular(Path(r.file)) as fh:
        return hashlib.sha256(fh.read()).hexdigest()


def _receipts_against_custody(receipts: list[Receipt], custody: list[dict[str, Any]],
                              package: str, *, custody_ok: bool) -> list[Finding]:
    """Each receipt must be the one the signed custody log recorded, and vice versa.

    A receipt is an unsigned tag file whose tag-manifest digests anyone can recompute; the
    custody log's ``anchored`` entries (bundles) or ``disclosed`` entry (disclosure
    packages) are signed, so a receipt edited, swapped, added or dropped after anchoring
    is caught here even before the chain is asked. Only run on an intact custody log
    (a broken one is reported already).
    """
    if not custody_ok or not custody:
        return []
    out: list[Finding] = []
    if package == "disclosure":
        listed = (custody[0].get("details") or {}).get("receipts")
        if not isinstance(listed, dict):
            return []  # made by a version that did not record them
        actual = {Path(r.file).name: _receipt_digest(r) for r in receipts}
        for name in sorted(set(actual) | set(listed)):
            if actual.get(name) != listed.get(name):
                out.append(Finding(
                    "receipt-unrecorded", Severity.ERROR,
                    f"receipt {name} differs from the one the signed disclosure entry records "
                    "(edited, added or removed after disclosure?)", f"{RECEIPTS_DIR}/{name}"))
        return out
    anchored = [e for e in custody if e.get("action") == "anchored"]
    matched: set[int] = set()
    # `anchor --reanchor` after a reorganisation replaces a stale receipt (same file name);
    # its signed entry names the anchoring it replaces.
    replaced: dict[tuple[Any, ...], int] = {}
    for i, entry in enumerate(anchored):
        d = entry.get("details") or {}
        old = d.get("replaces")
        if isinstance(old, dict):
            replaced[_key(d.get("chain_id"), d.get("contract"), d.get("batch_root"),
                          old.get("transaction"), old.get("block_number"))] = i
    for r in receipts:
        subject = f"{RECEIPTS_DIR}/{Path(r.file).name}"
        key = {"chain_id": r.chain_id, "contract": r.contract, "transaction": r.transaction,
               "block_number": r.block_number, "batch_root": "0x" + r.batch_root.hex(),
               "development_chain": r.development_chain}
        hit = None
        for i, entry in enumerate(anchored):
            details = entry.get("details") or {}
            if all(details.get(k) == v for k, v in key.items()):
                digest = details.get("receipt_sha256")
                if digest is None or digest == _receipt_digest(r):
                    hit = i
                    break
        if hit is None:
            out.append(Finding("receipt-unrecorded", Severity.ERROR,
                               "the receipt is not the one the signed custody log records for "
                               "its anchoring (chain, contract, transaction, block or batch "
                               "edited after anchoring?)", subject))
        else:
            matched.add(hit)
    for i, entry in enumerate(anchored):
        if i not in matched:
            details = entry.get("details") or {}
            by = replaced.get(_key(details.get("chain_id"), details.get("contract"),
                                   details.get("batch_root"), details.get("transaction"),
                                   details.get("block_number")))
            if by is not None and by > i:
                out.append(Finding(
                    "receipt-replaced", Severity.INFO,
                    f"custody entry {entry.get('seq')} records an anchoring in transaction "
                    f"{details.get('transaction')} that custody entry "
                    f"{anchored[by].get('seq')} replaced (re-anchored after a reorganisation "
                    "dropped or moved it)", RECEIPTS_DIR))
                continue
            out.append(Finding("receipt-missing", Severity.ERROR,
                               f"custody entry {entry.get('seq')} records an anchoring in "
                               f"transaction {details.get('transaction')} whose receipt is not "
                               "in the bundle (removed or replaced?)", RECEIPTS_DIR))
    return out


def _key(*values: Any) -> tuple[str, ...]:
    """A lookup key from custody details as signed: any JSON value (a list where a number
    belongs, say) compares by its canonical text, never by Python's hashing rules."""
    return tuple(json.dumps(v, sort_keys=True) for v in values)


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
