"""Verification of a bundle's RFC 3161 tokens under the verifier's trust profile.

For each ``evidence/timestamps/*.tsr``:

1. **Recorded.** The signed custody log must record it (a ``timestamped`` entry in a bundle,
   the ``disclosed`` entry's ``timestamps`` in a disclosure package) with the token's
   SHA-256; a token added, swapped or dropped afterwards is an error
   (``timestamp-unrecorded``, ``timestamp-missing``).
2. **Intact.** Strict DER, granted, imprint = hash of ``evidence/root.json``, CMS signature
   valid under the certificate its SignerInfo names, ESS signing-certificate attribute,
   critical timeStamping EKU, certificate valid at genTime (:mod:`.token`). Any failure is an
   error naming the file (a changed byte fails here).
3. **Trusted.** Only a TSA pinned in the verifier's profile (``[[timestamp_authorities]]``)
   makes a token count: its chain must verify against the pin at genTime and genTime must
   lie in the pin's period. A token from any other TSA is shown with
   ``timestamp-tsa-not-pinned`` (a capturer can run its own TSA), never trusted.
4. **Consistent.** Each trusted token's genTime beside the other clocks: the capture time
   the capturer signed must not be later than genTime, and genTime must not be later than
   the anchor's block time (for a token taken before the anchoring, by custody order; after
   it, the block time must not be later than genTime), each within the policy's
   ``timestamp_window_seconds``. A disagreement is ``timestamp-clock-disagreement``, and
   evidence whose clocks disagree is not presumed authentic. Only a token no later than the
   block time plus the window *corroborates* the block time (``timestamp-clocks-agree``); a
   later one is ``timestamp-after-anchor`` and cannot meet a policy's ``require_timestamp``
   (a chain whose clock lies passes any token taken after it).

None of this needs the chain, so an offline verification states what the tokens show:
"existed no later than T (TSA X)".
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from evidence.bundle.layout import ROOT_FILE, open_regular

from ..findings import Finding, Severity
from .stamping import MAX_TIMESTAMPS, TIMESTAMP_NAME, TIMESTAMPS_DIR, read_root_bytes
from .token import (
    MAX_TOKEN_BYTES,
    TokenFacts,
    TokenProblem,
    check_against_pin,
    check_integrity,
    parse_token,
    stamp,
)

if TYPE_CHECKING:
    from ..trust.tsa import TsaPin

__all__ = ["TimestampCheck", "TimestampReport", "check_timestamps", "openssl_recheck", "read_token",
           "recorded_tokens", "token_files"]


def openssl_recheck(file: str, gen_time: datetime | None = None) -> str:
    """The command that re-checks a token with OpenSSL alone, run in the bundle folder: the
    verifier saves the TSA's root from its trust profile as ``tsa-root.pem`` (intermediates
    the token does not embed go in ``-untrusted``); ``-attime`` evaluates the certificates at
    genTime, as this tool does, so a token outlives its TSA certificate."""
    at = "" if gen_time is None else f" -attime {int(_unix(gen_time))}"
    return f"openssl ts -verify -data {ROOT_FILE} -in {file} -CAfile tsa-root.pem{at}"


@dataclass(frozen=True)
class TimestampCheck:
    """One token as verified."""

    file: str
    facts: TokenFacts | None
    status: str  # "trusted", "not-pinned", "outside-period", "invalid"
    tsa: str | None = None
    qualified: bool = False
    before_anchor: bool | None = None
    problem: str | None = None

    @property
    def trusted(self) -> bool:
        return self.status == "trusted"

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"file": self.file, "status": self.status, "tsa": self.tsa,
                               "qualified": self.qualified, "problem": self.problem,
                               "taken_before_anchor": self.before_anchor,
                               "recheck": openssl_recheck(
                                   self.file, None if self.facts is None
                                   else self.facts.gen_time)}
        if self.facts is not None:
            out.update(self.facts.to_json())
        return out


@dataclass
class TimestampReport:
    checks: list[TimestampCheck] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    #: False when a trusted token's clock disagrees with the chain or the capture time.
    consistent: bool = True
    #: Trusted tokens whose time is no later than the block time (as the chain says it) plus
    #: the window: the only ones that corroborate the block time. A token taken long after
    #: the anchoring shows when the root existed at the latest, and nothing of the block.
    corroborating: list[TimestampCheck] = field(default_factory=list)

    @property
    def trusted(self) -> list[TimestampCheck]:
        return [c for c in self.checks if c.trusted]


def recorded_tokens(custody: Sequence[dict[str, Any]], package: str
              ) -> dict[str, tuple[str, bool | None]]:
    """file -> (token SHA-256, taken before the first anchoring?) as the signed log says."""
    out: dict[str, tuple[str, bool | None]] = {}
    if package == "disclosure":
        listed = (custody[0].get("details") or {}).get("timestamps") if custody else None
        if isinstance(listed, dict):
            for name, value in listed.items():
                if isinstance(value, dict):
                    before = value.get("before_anchor")
                    out[f"{TIMESTAMPS_DIR}/{name}"] = (str(value.get("token_sha256")),
                                                       before if isinstance(before, bool)
                                                       else None)
        return out
    anchored_seq = next((e.get("seq") for e in custody if e.get("action") == "anchored"), None)
    for entry in custody:
        if entry.get("action") != "timestamped":
            continue
        d = entry.get("details") or {}
        seq = entry.get("seq")
        before = (True if anchored_seq is None else
                  isinstance(seq, int) and isinstance(anchored_seq, int) and seq < anchored_seq)
        out[str(d.get("file"))] = (str(d.get("token_sha256")), before)
    return out


def token_files(bundle: Path) -> tuple[list[str], list[Finding]]:
    folder = bundle / TIMESTAMPS_DIR
    if not folder.is_dir():
        return [], []
    names = sorted(p.name for p in folder.iterdir())
    problems = [Finding("timestamp-unexpected-file", Severity.ERROR,
                        f"{TIMESTAMPS_DIR}/{n}: not a token name this tool writes",
                        f"{TIMESTAMPS_DIR}/{n}")
                for n in names if TIMESTAMP_NAME.fullmatch(n) is None]
    names = [n for n in names if TIMESTAMP_NAME.fullmatch(n) is not None]
    if len(names) > MAX_TIMESTAMPS:
        problems.append(Finding("timestamp-too-many", Severity.ERROR,
                                f"more than {MAX_TIMESTAMPS} tokens", TIMESTAMPS_DIR))
        names = names[:MAX_TIMESTAMPS]
    return [f"{TIMESTAMPS_DIR}/{n}" for n in names], problems


def read_token(bundle: Path, rel: str) -> bytes:
    with open_regular(bundle / rel, within=bundle) as fh:
        return fh.read(MAX_TOKEN_BYTES + 1)


def _trust(facts: TokenFacts, message: bytes, pins: Sequence[TsaPin]
           ) -> tuple[str, TsaPin | None, str | None]:
    reasons: list[str] = []
    for pin in pins:
        try:
            check_against_pin(facts, message, root=pin.root, intermediates=pin.intermediates,
                              certificate=pin.certificate)
        except TokenProblem as exc:
            reasons.append(f"{pin.name}: {exc}")
            continue
        if not pin.covers(facts.gen_time):
            return "outside-period", pin, None
        return "trusted", pin, None
    return "not-pinned", None, "; ".join(reasons) or None


def check_timestamps(bundle: Path, *, custody: Sequence[dict[str, Any]], package: str,
                     pins: Sequence[TsaPin] | None, captured_at: int | str | None,
                     block_time: int | None, block_time_checked: bool,
                     window_seconds: int, demonstration: bool = False) -> TimestampReport:
    """Check every token of ``bundle`` (see the module docstring). ``pins`` is the
    verifier's ``[[timestamp_authorities]]`` (None: no trust profile); ``demonstration``
    says they come from a demonstration profile, which anyone (the capturer too) writes: a
    token it pins is a demonstration, never qualified. Problems are findings, never
    exceptions."""
    report = TimestampReport()
    files, problems = token_files(bundle)
    report.findings.extend(problems)
    recorded = recorded_tokens(custody, package)
    for rel in sorted(set(recorded) - set(files)):
        report.findings.append(Finding(
            "timestamp-missing", Severity.ERROR,
            f"the signed custody log records the token {rel}, which is not in the "
            f"{package} (removed?)", rel))
    if not files:
        return report
    try:
        message = read_root_bytes(bundle)
    except OSError as exc:
        report.findings.append(Finding("timestamp-unreadable", Severity.ERROR,
                                       f"{ROOT_FILE}: {exc}", ROOT_FILE))
        return report
    for rel in files:
        report.checks.append(_check_one(bundle, rel, message, recorded, pins, report,
                                        demonstration))
    if block_time is not None or isinstance(captured_at, int):
        _consistency(report, captured_at, block_time, block_time_checked, window_seconds)
    return report


def _check_one(bundle: Path, rel: str, message: bytes,
               recorded: dict[str, tuple[str, bool | None]], pins: Sequence[TsaPin] | None,
               report: TimestampReport, demonstration: bool = False) -> TimestampCheck:
    add = report.findings.append
    try:
        raw = read_token(bundle, rel)
    except OSError as exc:
        add(Finding("timestamp-unreadable", Severity.ERROR, f"{rel}: {exc}", rel))
        return TimestampCheck(rel, None, "invalid", problem=str(exc))
    digest = hashlib.sha256(raw).hexdigest()
    listed = recorded.get(rel)
    before = None if listed is None else listed[1]
    if listed is None or listed[0] != digest:
        add(Finding("timestamp-unrecorded", Severity.ERROR,
                    f"{rel}: not the token the signed custody log records (added or "
                    "changed after it was taken?)", rel))
    try:
        facts = parse_token(raw)
    except TokenProblem as exc:
        add(Finding(exc.code, Severity.ERROR, f"{rel}: {exc}", rel))
        return TimestampCheck(rel, None, "invalid", problem=str(exc))
    pinned_certs = [p.certificate for p in pins or () if p.certificate is not None]
    signer = next((c for c in pinned_certs if c.serial_number == facts.signer_serial
                   and c.issuer.rfc4514_string() == facts.signer_issuer), None)
    try:
        check_integrity(facts, message, signer_cert=signer)
    except TokenProblem as exc:
        add(Finding(exc.code, Severity.ERROR, f"{rel}: {exc}", rel))
        return TimestampCheck(rel, facts, "invalid", before_anchor=before, problem=str(exc))
    when = stamp(facts.gen_time)
    who = facts.tsa_name or facts.signer_subject or facts.signer_issuer
    if pins is None:
        add(Finding("timestamp-tsa-not-pinned", Severity.WARNING,
                    f"{rel}: intact token from {who} at {when}, but there is no trust profile "
                    "to say whether this TSA is trusted: shown, not counted", rel))
        return TimestampCheck(rel, facts, "not-pinned", before_anchor=before)
    status, pin, reason = _trust(facts, message, pins)
    if status == "not-pinned" or pin is None:
        add(Finding("timestamp-tsa-not-pinned", Severity.WARNING,
                    f"{rel}: token from {who} at {when}, a TSA the trust profile does not pin "
                    "(anyone can run a TSA): shown, not counted", rel))
        return TimestampCheck(rel, facts, "not-pinned", before_anchor=before, problem=reason)
    if status == "outside-period":
        add(Finding("timestamp-outside-pin-period", Severity.WARNING,
                    f"{rel}: token from {pin.name} at {when}, outside the period the trust "
                    "profile trusts this TSA for: not counted", rel))
        return TimestampCheck(rel, facts, status, tsa=pin.name, qualified=pin.qualified,
                              before_anchor=before)
    if demonstration:
        # A demonstration profile is anyone's (the workspace's own is the capturer's): its
        # pins show that the flow works, and its "qualified" is nobody's word.
        add(Finding("timestamp-ok", Severity.OK,
                    f"{ROOT_FILE} (the signed bundle root) existed no later than {when} as TSA "
                    f"{pin.name} says, a TSA pinned by a demonstration profile: a "
                    "demonstration without evidential value, its TSA not checked by anyone "
                    f"(serial {facts.serial:x}, policy {facts.policy}; {rel})", rel))
        return TimestampCheck(rel, facts, "trusted", tsa=pin.name, qualified=False,
                              before_anchor=before)
    kind = "qualified TSA" if pin.qualified else "TSA"
    add(Finding("timestamp-ok", Severity.OK,
                f"{ROOT_FILE} (the signed bundle root) existed no later than {when} "
                f"({kind} {pin.name}, serial {facts.serial:x}, policy {facts.policy}; {rel})",
                rel))
    return TimestampCheck(rel, facts, "trusted", tsa=pin.name, qualified=pin.qualified,
                          before_anchor=before)


def _unix(value: datetime) -> float:
    return value.astimezone(UTC).timestamp()


def _consistency(report: TimestampReport, captured_at: int | str | None,
                 block_time: int | None, block_time_checked: bool, window: int) -> None:
    for c in report.trusted:
        assert c.facts is not None
        gen = _unix(c.facts.gen_time)
        when = stamp(c.facts.gen_time)
        if isinstance(captured_at, int) and captured_at > gen + window:
            report.consistent = False
            report.findings.append(Finding(
                "timestamp-clock-disagreement", Severity.WARNING,
                f"{c.file}: TSA {c.tsa} says the signed root existed at {when}, "
                f"{int(captured_at - gen)} s before the capture time the capturer signed "
                f"(allowed window {window} s): the capturer's clock or the TSA is wrong",
                c.file))
        if block_time is None:
            continue
        block = datetime.fromtimestamp(block_time, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        if not block_time_checked:
            report.findings.append(Finding(
                "timestamp-beside-block-time", Severity.INFO,
                f"{c.file}: TSA time {when} beside block time {block} as the receipt states it "
                "(the chain was not asked)", c.file))
            continue
        if c.before_anchor is not False and gen > block_time + window:
            report.consistent = False
            report.findings.append(Finding(
                "timestamp-clock-disagreement", Severity.WARNING,
                f"{c.file}: the chain says the anchor's block time is {block}, "
                f"{int(gen - block_time)} s before TSA {c.tsa}'s time {when} for a token taken "
                f"before the anchoring (allowed window {window} s): the chain, its node or the "
                "TSA gives a wrong time", c.file))
        elif c.before_anchor is False and block_time > gen + window:
            report.consistent = False
            report.findings.append(Finding(
                "timestamp-clock-disagreement", Severity.WARNING,
                f"{c.file}: the chain says the anchor's block time is {block}, "
                f"{int(block_time - gen)} s after TSA {c.tsa}'s time {when} for a token taken "
                f"after the anchoring (allowed window {window} s): the chain, its node or the "
                "TSA gives a wrong time", c.file))
        elif gen > block_time + window:
            # Taken after the anchoring, later than the window: no contradiction, and no
            # corroboration either (a lying chain's clock passes any such token).
            report.findings.append(Finding(
                "timestamp-after-anchor", Severity.INFO,
                f"{c.file}: TSA {c.tsa}'s time {when} is {int(gen - block_time)} s after the "
                f"anchor's block time {block} (a token taken after the anchoring): it shows "
                f"the root existed no later than {when}; it does not corroborate the block "
                f"time (allowed window {window} s)", c.file))
        else:
            report.corroborating.append(c)
            report.findings.append(Finding(
                "timestamp-clocks-agree", Severity.OK,
                f"{c.file}: TSA time {when} and the anchor's block time {block} agree (the TSA "
                f"time is no later than the block time plus {window} s)", c.file))
