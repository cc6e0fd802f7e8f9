"""Verification policies as data, and their evaluation against witness confirmations.

What: a :class:`Policy` is a small TOML file (``version = 1``) naming the rules that decide
whether confirmed evidence is *presumed authentic under that policy*; :func:`evaluate` applies
one to the facts read from the chain (:class:`AnchorFacts`, :class:`ConfirmationFacts`) and
returns a :class:`PolicyOutcome` with one assessment per confirmation and one
:class:`~evidence.findings.Finding` per rule.

Why: the default policy ``hague-3`` (``data/policies/hague-3.toml``) is this project's proposed
standard (docs/architecture.md, "Verify" and "Legal stance"), not a rule of the 1970 Hague Evidence
Convention, which governs taking evidence abroad through Letters of Request (Art. 9 is the
article on procedure and special methods). Keeping policies as data lets a court or a user
choose other rules and lets a report print exactly which rules were applied. The result is
only ever worded as a *rebuttable* presumption under the named policy.

How the count works: each confirmation is screened (valid jurisdiction code, not the
submitter, witness active when it confirmed, within the time window, clock skew, Contracting
State in force and, when ``require_verified_in_force_date`` is set, its entry-into-force date
verified in an official source); among those that pass, jurisdictions are counted so that each
jurisdiction counts once and, when ``count_distinct_operators`` is set, each operator counts
once. That is a maximum bipartite matching between operators and jurisdictions (Kuhn's
augmenting paths), so the order in which confirmations arrived cannot lower the count. Ties are
broken by confirmation time then address, so the outcome is deterministic.

Membership only: like :mod:`evidence.jurisdictions`, the policy counts States listed as
Contracting Parties; it does not check Art. 39 acceptances between pairs of States.

Policies are read by :mod:`evidence.policy.load` and put in words by
:mod:`evidence.policy.describe`. :func:`evaluate` never raises for odd chain data: it reports
it in the assessments.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from evidence.findings import Finding, Severity
from evidence.jurisdictions import (
    DateStatus,
    PartyList,
    country_name,
    date_status_text,
    is_iso2,
)
from evidence.trust.names import operator_key

from .describe import duration
from .load import Policy

__all__ = [
    "AnchorFacts",
    "ConfirmationFacts",
    "Identify",
    "PolicyOutcome",
    "WitnessAssessment",
    "WitnessFacts",
    "WitnessIdentity",
    "evaluate",
    "registry_identity",
]



# --------------------------------------------------------------------------- evaluation input


@dataclass(frozen=True)
class WitnessFacts:
    """A registered witness as the chain records it (times are unix seconds)."""

    address: str
    operator: str
    jurisdiction: str
    registered_at: int
    revoked_at: int | None
    #: When the registrar's revocation was mined (unix seconds), when it is known.
    revocation_issued_at: int | None = None


@dataclass(frozen=True)
class ConfirmationFacts:
    """One confirmation of an anchor.

    ``confirmed_at`` is the block time of the confirming transaction; ``observed_at`` is the
    time the witness says it saw the anchor (its own clock for a relayed EIP-712 signature,
    the block time for a direct confirmation).
    """

    witness: WitnessFacts
    confirmed_at: int
    observed_at: int
    by_signature: bool
    #: Why the chain reader could not back this confirmation (e.g. its ``Confirmed`` event
    #: was not found); such a confirmation never counts.
    unproven: str | None = None


@dataclass(frozen=True)
class AnchorFacts:
    """The anchored root, who submitted it, when, and how deep its block is.

    ``captured_at`` is the capture time the capturer signed (unix seconds), when known (the
    signed text itself when it is not a readable UTC time, which never counts as in time): it
    cannot be later than the anchor (beyond the allowed clock skew).
    """

    root: bytes
    submitter: str
    anchored_at: int
    block_number: int
    blocks_on_top: int
    captured_at: int | str | None = None


@dataclass(frozen=True)
class WitnessIdentity:
    """Who runs a witness and where, as the verification counts it.

    Under a trust profile this comes from the profile (``source="profile"``: the operator's
    stable ``operator_id``, its name and the jurisdiction its publisher checked); without
    one, from the registry's own labels (``source="registry"``: the normalised operator
    name is the key). ``exclusion`` (reason code, words) keeps the witness from counting,
    e.g. a witness no pinned operator runs; ``notes`` are facts worth showing (an on-chain
    label that differs from the profile).
    """

    operator_key: str
    operator: str
    jurisdiction: str
    source: str
    operator_id: str | None = None
    exclusion: tuple[str, str] | None = None
    notes: tuple[str, ...] = ()


#: Decides a witness's identity at its confirmation time: (witness, confirmed_at) -> identity.
Identify = Callable[[WitnessFacts, int], WitnessIdentity]


def registry_identity(witness: WitnessFacts, _confirmed_at: int = 0) -> WitnessIdentity:
    """A witness as the registry labels it (no trust profile): the operator name, compared
    after NFKC and case folding, and the registered jurisdiction. A name with invisible
    characters or look-alike script mixes is refused (:mod:`evidence.trust.names`)."""
    if not witness.operator.strip():  # no name: the no-operator rule speaks for it
        return WitnessIdentity(operator_key="", operator=witness.operator,
                               jurisdiction=witness.jurisdiction, source="registry")
    key, reason = operator_key(witness.operator)
    if key is None:
        return WitnessIdentity(
            operator_key="", operator=witness.operator, jurisdiction=witness.jurisdiction,
            source="registry",
            exclusion=("bad-operator-name", f"operator name {witness.operator!r} {reason}"))
    return WitnessIdentity(operator_key=key, operator=witness.operator,
                           jurisdiction=witness.jurisdiction, source="registry")


# --------------------------------------------------------------------------- evaluation output


@dataclass(frozen=True)
class WitnessAssessment:
    """How one confirmation was judged.

    ``reason`` starts with the stable ``reason_code`` followed by plain words, e.g.
    ``"not-hague-party: JP (Japan) is not listed as a Contracting State in ..."``. Codes:
    counted, bad-jurisdiction, bad-operator-name, not-in-profile, outside-profile-period,
    unproven, submitter, no-operator, not-registered-yet, registered-after-anchor,
    disputed-revocation, before-anchor, outside-window, clock-skew, not-hague-party,
    not-in-force-yet, date-not-verified, same-operator, same-jurisdiction.

    ``in_force_date_status`` is the party list's status of ``in_force_date`` (verified,
    secondary, computed, unknown; None for a non-party or a list that does not state it); the
    reason says it in words, e.g. "in force since 1978-12-26 (date computed from a secondary
    source)".

    ``operator`` and ``jurisdiction`` are the ones counted: the trust profile's when the
    identity comes from one (``operator_source == "profile"``, with ``operator_id``), else
    the registry's; ``registry_operator`` and ``registry_jurisdiction`` are always the
    registry's own labels.
    """

    address: str
    operator: str
    jurisdiction: str
    jurisdiction_name: str
    hague_party: bool
    in_force_date: date | None
    party_source: str
    confirmed_at: int
    observed_at: int
    counted: bool
    reason_code: str
    reason: str
    operator_id: str | None = None
    operator_source: str = "registry"
    registry_operator: str = ""
    registry_jurisdiction: str = ""
    revoked_at: int | None = None
    revocation_issued_at: int | None = None
    notes: tuple[str, ...] = ()
    in_force_date_status: DateStatus | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "address": self.address,
            "operator": self.operator,
            "operator_id": self.operator_id,
            "operator_source": self.operator_source,
            "jurisdiction": self.jurisdiction,
            "jurisdiction_name": self.jurisdiction_name,
            "registry_operator": self.registry_operator,
            "registry_jurisdiction": self.registry_jurisdiction,
            "hague_party": self.hague_party,
            "in_force_date": None if self.in_force_date is None else self.in_force_date.isoformat(),
            "in_force_date_status": self.in_force_date_status,
            "party_source": self.party_source,
            "confirmed_at": self.confirmed_at,
            "observed_at": self.observed_at,
            "revoked_at": self.revoked_at,
            "revocation_issued_at": self.revocation_issued_at,
            "counted": self.counted,
            "reason_code": self.reason_code,
            "reason": self.reason,
            "notes": list(self.notes),
        }


@dataclass(frozen=True)
class PolicyOutcome:
    """The policy's answer: ``satisfied`` holds exactly when no finding is a WARNING."""

    satisfied: bool
    counted_jurisdictions: tuple[str, ...]
    witnesses: tuple[WitnessAssessment, ...]
    findings: tuple[Finding, ...]


# Rule codes of the findings, in the order they are emitted.
_RULE_PARTY_LIST = "policy-party-list"
_RULE_BLOCKS = "policy-blocks-on-top"
_RULE_CAPTURE_TIME = "policy-capture-time"
_RULE_CODES = "policy-jurisdiction-codes"
_RULE_IDENTITY = "policy-witness-identity"
_RULE_SUBMITTER = "policy-submitter"
_RULE_ACTIVE = "policy-active"
_RULE_DISPUTED = "policy-disputed-revocation"
_RULE_WINDOW = "policy-window"
_RULE_SKEW = "policy-skew"
_RULE_HAGUE = "policy-hague-party"
_RULE_IN_FORCE = "policy-in-force"
_RULE_OPERATORS = "policy-operators"
_RULE_JURISDICTIONS = "policy-jurisdictions"
_RULE_OUTCOME = "policy-outcome"

#: Which rule finding reports each exclusion reason.
_REASON_RULE = {
    "bad-jurisdiction": _RULE_CODES,
    "bad-operator-name": _RULE_IDENTITY,
    "not-in-profile": _RULE_IDENTITY,
    "outside-profile-period": _RULE_IDENTITY,
    "unproven": _RULE_IDENTITY,
    "submitter": _RULE_SUBMITTER,
    "no-operator": _RULE_OPERATORS,
    "not-registered-yet": _RULE_ACTIVE,
    "registered-after-anchor": _RULE_ACTIVE,
    "disputed-revocation": _RULE_DISPUTED,
    "before-anchor": _RULE_WINDOW,
    "outside-window": _RULE_WINDOW,
    "clock-skew": _RULE_SKEW,
    "not-hague-party": _RULE_HAGUE,
    "not-in-force-yet": _RULE_IN_FORCE,
    "date-not-verified": _RULE_IN_FORCE,
    "same-operator": _RULE_OPERATORS,
    "same-jurisdiction": _RULE_JURISDICTIONS,
}


def _utc(ts: int) -> str:
    try:
        return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    except (ValueError, OverflowError, OSError):
        return f"unix time {ts} (out of range)"


@dataclass(frozen=True)
class _Screened:
    conf: ConfirmationFacts
    who: WitnessIdentity
    name: str
    hague_party: bool
    in_force_date: date | None
    date_status: DateStatus | None  # the list's status of in_force_date; None: not a party
    party_source: str
    party_reason: str
    exclusion: tuple[str, str] | None  # (reason code, plain words)

    @property
    def address(self) -> str:
        return self.conf.witness.address

    @property
    def jurisdiction(self) -> str:
        return self.who.jurisdiction

    def excluded(self, reason_code: str, words: str) -> _Screened:
        return _Screened(self.conf, self.who, self.name, self.hague_party, self.in_force_date,
                         self.date_status, self.party_source, self.party_reason,
                         (reason_code, words))


def _screen(
    policy: Policy,
    anchor: AnchorFacts,
    conf: ConfirmationFacts,
    who: WitnessIdentity,
    *,
    parties: PartyList,
    submitter_operators: frozenset[str],
) -> _Screened:
    """Apply the per-confirmation rules; the first one that fails gives the reason."""
    w = conf.witness
    code = who.jurisdiction
    if not is_iso2(code):
        return _Screened(
            conf, who, code, False, None, None, parties.source, "",
            ("bad-jurisdiction", f"{code!r} is not an ISO 3166-1 alpha-2 code"),
        )
    status = parties.party_status(code, datetime.fromtimestamp(conf.confirmed_at, UTC))
    base = _Screened(
        conf,
        who,
        country_name(code),
        status.is_party,
        status.entry_into_force,
        status.date_status if status.is_party else None,
        status.source,
        status.reason,
        None,
    )
    if who.exclusion is not None:
        return base.excluded(*who.exclusion)
    if conf.unproven is not None:
        return base.excluded("unproven", conf.unproven)
    operator = who.operator_key
    if policy.exclude_submitter:
        if w.address.lower() == anchor.submitter.lower():
            return base.excluded("submitter",
                                 f"{w.address} is the address that submitted the anchor")
        if operator and operator in submitter_operators:
            return base.excluded(
                "submitter",
                f"operator {who.operator!r} also runs the submitting address {anchor.submitter}",
            )
    if policy.count_distinct_operators and not operator:
        return base.excluded("no-operator",
                             "the witness has no operator name, so distinctness is unknown")
    if w.registered_at > conf.confirmed_at:
        return base.excluded(
            "not-registered-yet",
            f"registered at {_utc(w.registered_at)}, after confirming at "
            f"{_utc(conf.confirmed_at)}",
        )
    if w.registered_at > anchor.anchored_at and not policy.count_witnesses_registered_after_anchor:
        return base.excluded(
            "registered-after-anchor",
            f"registered at {_utc(w.registered_at)}, after the anchor at "
            f"{_utc(anchor.anchored_at)}: a witness registered once the anchor existed could "
            "have been registered for it",
        )
    if w.revoked_at is not None and w.revoked_at <= conf.confirmed_at:
        # The contract refuses a confirmation from a witness whose revocation has taken
        # effect, so a recorded confirmation at or after the effective time means the
        # revocation was issued after it and dated back: the registrar withdrew a
        # confirmation already made. That is shown with both times, never silently.
        issued = (f"issued at {_utc(w.revocation_issued_at)}" if w.revocation_issued_at
                  is not None else "issued after this confirmation (the contract refuses "
                  "confirmations from a revoked witness)")
        return base.excluded(
            "disputed-revocation",
            f"confirmed at {_utc(conf.confirmed_at)}; the registrar's revocation, {issued}, "
            f"was dated back to take effect from {_utc(w.revoked_at)}: a disputed revocation "
            "(the registrar says the witness was no longer trustworthy when it confirmed)",
        )
    if conf.confirmed_at < anchor.anchored_at:
        return base.excluded(
            "before-anchor",
            f"confirmed at {_utc(conf.confirmed_at)}, before the anchor at "
            f"{_utc(anchor.anchored_at)} (impossible: the chain data is inconsistent)",
        )
    deadline = anchor.anchored_at + policy.confirmation_window_seconds
    if conf.confirmed_at > deadline:
        return base.excluded(
            "outside-window",
            f"confirmed at {_utc(conf.confirmed_at)}, after the "
            f"{duration(policy.confirmation_window_seconds)} window closed at {_utc(deadline)}",
        )
    skew = policy.max_clock_skew_seconds
    if conf.by_signature:
        low, high = anchor.anchored_at - skew, conf.confirmed_at + skew
        if not low <= conf.observed_at <= high:
            return base.excluded(
                "clock-skew",
                f"observed at {_utc(conf.observed_at)}, outside [{_utc(low)}, {_utc(high)}] "
                f"(anchor time - {skew} s, confirmation time + {skew} s)",
            )
    elif conf.observed_at != conf.confirmed_at:
        return base.excluded(
            "clock-skew",
            f"direct confirmation observed at {_utc(conf.observed_at)} but mined at "
            f"{_utc(conf.confirmed_at)}; they must be equal",
        )
    if policy.require_hague_party and not status.is_party:
        return base.excluded("not-hague-party", status.reason)
    if (
        policy.require_hague_party
        and policy.require_in_force_at_confirmation
        and status.in_force_at_time is False
    ):
        return base.excluded("not-in-force-yet", status.reason)
    if (
        policy.require_hague_party
        and policy.require_verified_in_force_date
        and status.date_status != "verified"
    ):
        return base.excluded(
            "date-not-verified",
            f"{status.reason}; this policy counts only States whose entry-into-force date is "
            "verified in an official source",
        )
    return base


def _match(edges: dict[str, list[str]]) -> dict[str, str]:
    """Maximum bipartite matching operator -> jurisdiction (Kuhn), deterministic by order."""
    owner: dict[str, str] = {}  # jurisdiction -> operator

    def augment(op: str, seen: set[str]) -> bool:
        for jur in edges[op]:
            if jur in seen:
                continue
            seen.add(jur)
            if jur not in owner or augment(owner[jur], seen):
                owner[jur] = op
                return True
        return False

    for op in edges:
        augment(op, set())
    return {op: jur for jur, op in owner.items()}


def _subjects(items: Sequence[_Screened]) -> str:
    return ", ".join(f"{s.address} ({s.jurisdiction})" for s in items)


def _rule_finding(
    rule: str,
    subject: str,
    screened: Sequence[_Screened],
    held: str,
    excluded_words: str,
) -> Finding:
    """OK when the rule excluded nothing; INFO listing the confirmations it excluded.

    Per-confirmation rules never make the verdict on their own: their consequence shows in
    ``policy-jurisdictions`` (which is a WARNING when too few remain).
    """
    hit = [s for s in screened if s.exclusion is not None and _REASON_RULE[s.exclusion[0]] == rule]
    if not hit:
        return Finding(rule, Severity.OK, held, subject)
    return Finding(
        rule,
        Severity.INFO,
        f"{len(hit)} of {len(screened)} confirmations not counted: {excluded_words}: "
        f"{_subjects(hit)}.",
        subject,
    )


def evaluate(
    policy: Policy,
    anchor: AnchorFacts,
    confirmations: Sequence[ConfirmationFacts],
    *,
    parties: PartyList,
    identify: Identify = registry_identity,
    submitter_operator: str | None = None,
    min_blocks_on_top: int | None = None,
    blocks_source: str | None = None,
    untrusted: str | None = None,
    demonstration: str | None = None,
) -> PolicyOutcome:
    """Apply ``policy`` to an anchor and its confirmations (see the module docstring).

    ``identify`` says who runs each witness and where (a trust profile's answer, or by
    default the registry's labels); ``submitter_operator`` is the key of the operator the
    profile says runs the submitting address, if any. ``min_blocks_on_top`` overrides the
    policy's (a trust profile's finality for the chain, named by ``blocks_source``).
    ``untrusted`` says why the confirmations cannot support a presumption whatever they are
    (no trust profile, a chain or registry it does not pin): the policy is then not met, and
    the outcome says why. ``demonstration`` names the demonstration profile the evaluation
    runs under: a met policy is then worded as a demonstration without evidential value.

    Witness assessments are ordered by confirmation time, then address; findings follow a
    fixed rule order. ``satisfied`` is true exactly when the anchor is deep enough, the
    signed capture time is not later than the anchor, and at least ``min_jurisdictions``
    distinct jurisdictions are counted; the wording of the result is a rebuttable
    presumption under this policy, never more.
    """
    ordered = sorted(
        confirmations,
        key=lambda c: (c.confirmed_at, c.witness.address.lower(), c.witness.jurisdiction,
                       c.observed_at),
    )
    identities = [identify(c.witness, c.confirmed_at) for c in ordered]
    submitter = anchor.submitter.lower()
    submitter_operators = frozenset(
        [who.operator_key for c, who in zip(ordered, identities, strict=True)
         if c.witness.address.lower() == submitter and who.operator_key]
        + ([submitter_operator] if submitter_operator else [])
    )
    screened = [
        _screen(policy, anchor, c, who, parties=parties, submitter_operators=submitter_operators)
        for c, who in zip(ordered, identities, strict=True)
    ]
    qualifying = [s for s in screened if s.exclusion is None]

    # Which witness carries each counted jurisdiction.
    carrier: dict[str, _Screened] = {}
    if policy.count_distinct_operators:
        edges: dict[str, list[str]] = {}
        for s in qualifying:
            jurs = edges.setdefault(s.who.operator_key, [])
            if s.jurisdiction not in jurs:
                jurs.append(s.jurisdiction)
        matched = _match(edges)
        for s in qualifying:
            if matched.get(s.who.operator_key) == s.jurisdiction and s.jurisdiction not in carrier:
                carrier[s.jurisdiction] = s
    else:
        for s in qualifying:
            carrier.setdefault(s.jurisdiction, s)
    counted_ids = {id(s) for s in carrier.values()}
    counted_ops = {s.who.operator_key: s for s in carrier.values()}

    assessments: list[WitnessAssessment] = []
    final: list[_Screened] = []
    for s in screened:
        w = s.conf.witness
        if s.exclusion is not None:
            reason_code, words = s.exclusion
        elif id(s) in counted_ids:
            reason_code, words = "counted", s.party_reason or f"jurisdiction {s.jurisdiction}"
        elif policy.count_distinct_operators and s.who.operator_key in counted_ops:
            other = counted_ops[s.who.operator_key]
            reason_code = "same-operator"
            words = (
                f"operator {s.who.operator!r} already counted (via {other.address} "
                f"in {other.jurisdiction})"
            )
        else:
            other = carrier[s.jurisdiction]
            reason_code = "same-jurisdiction"
            words = (
                f"{s.jurisdiction} already counted (via {other.address}, "
                f"operator {other.who.operator!r})"
            )
        final.append(s if reason_code == "counted" else s.excluded(reason_code, words))
        assessments.append(
            WitnessAssessment(
                address=w.address,
                operator=s.who.operator,
                jurisdiction=s.jurisdiction,
                jurisdiction_name=s.name,
                hague_party=s.hague_party,
                in_force_date=s.in_force_date,
                in_force_date_status=s.date_status,
                party_source=s.party_source,
                confirmed_at=s.conf.confirmed_at,
                observed_at=s.conf.observed_at,
                counted=reason_code == "counted",
                reason_code=reason_code,
                reason=f"{reason_code}: {words}",
                operator_id=s.who.operator_id,
                operator_source=s.who.source,
                registry_operator=w.operator,
                registry_jurisdiction=w.jurisdiction,
                revoked_at=w.revoked_at,
                revocation_issued_at=w.revocation_issued_at,
                notes=s.who.notes,
            )
        )

    counted = tuple(sorted(carrier))
    need_blocks = policy.min_blocks_on_top if min_blocks_on_top is None else min_blocks_on_top
    deep_enough = anchor.blocks_on_top >= need_blocks
    enough = len(counted) >= policy.min_jurisdictions
    in_time = anchor.captured_at is None or (
        isinstance(anchor.captured_at, int)
        and anchor.captured_at <= anchor.anchored_at + policy.max_clock_skew_seconds)
    would = deep_enough and enough and in_time
    satisfied = would and untrusted is None
    findings = _findings(policy, anchor, final, carrier, counted, parties, satisfied,
                         need_blocks=need_blocks, blocks_source=blocks_source,
                         untrusted=untrusted, would=would, demonstration=demonstration)
    return PolicyOutcome(
        satisfied=satisfied,
        counted_jurisdictions=counted,
        witnesses=tuple(assessments),
        findings=findings,
    )


def _date_words(s: _Screened) -> str:
    """A State's entry-into-force date with its status in the party list, in words."""
    if s.in_force_date is None:
        return "date unknown (blank in the party list)"
    return f"entry into force {s.in_force_date.isoformat()} ({date_status_text(s.date_status)})"


def _in_force_finding(
    policy: Policy, screened: Sequence[_Screened], carrier: dict[str, _Screened]
) -> Finding:
    """``policy-in-force``: the Convention in force for each State on the day it confirmed
    and, under ``require_verified_in_force_date``, the State's date verified in an official
    source. A note names every counted State whose date is not verified, with its status, so
    that a secondary or computed date is never taken for a verified one."""
    subject = "require_in_force_at_confirmation"
    checks_in_force = policy.require_hague_party and policy.require_in_force_at_confirmation
    checks_verified = policy.require_hague_party and policy.require_verified_in_force_date
    not_yet = [s for s in screened if s.exclusion and s.exclusion[0] == "not-in-force-yet"]
    unverified_out = [s for s in screened
                      if s.exclusion and s.exclusion[0] == "date-not-verified"]
    if not_yet or unverified_out:
        parts = []
        if not_yet:
            parts.append("Convention not yet in force for that State on the day of "
                         f"confirmation: {_subjects(not_yet)}")
        if unverified_out:
            parts.append(
                "entry-into-force date not verified in an official source, which this policy "
                "requires: " + ", ".join(
                    f"{s.address} ({s.jurisdiction}, {date_status_text(s.date_status)})"
                    for s in unverified_out))
        message = (f"{len(not_yet) + len(unverified_out)} of {len(screened)} confirmations not "
                   f"counted: {'; '.join(parts)}.")
        severity = Severity.INFO
    else:
        message = (
            "The Convention was in force for every checked Contracting State on the day it "
            "confirmed." if checks_in_force
            else "Not checked: this policy does not require the Convention to be in force at "
            "confirmation time."
        )
        if checks_verified:
            message += (" Only States whose entry-into-force date is verified in an official "
                        "source count, as this policy requires.")
        severity = Severity.OK
    unverified = sorted(((j, s) for j, s in carrier.items() if s.date_status != "verified"),
                        key=lambda item: item[0])
    if unverified and policy.require_hague_party:
        message += (
            f" Entry-into-force date unverified for {', '.join(j for j, _ in unverified)} "
            "(counted as Contracting States; this policy does not require verified dates): "
            + "; ".join(f"{j} {_date_words(s)}" for j, s in unverified) + "."
        )
        severity = Severity.INFO
    return Finding(_RULE_IN_FORCE, severity, message, subject)


def _findings(
    policy: Policy,
    anchor: AnchorFacts,
    screened: Sequence[_Screened],
    carrier: dict[str, _Screened],
    counted: tuple[str, ...],
    parties: PartyList,
    satisfied: bool,
    *,
    need_blocks: int,
    blocks_source: str | None,
    untrusted: str | None,
    would: bool,
    demonstration: str | None,
) -> tuple[Finding, ...]:
    out: list[Finding] = []
    n = len(screened)
    list_note = f"Party list used: {parties.source}."
    if parties.caveats:
        list_note += " " + parties.caveats[0]
    out.append(Finding(_RULE_PARTY_LIST, Severity.INFO, list_note, "parties_file"))

    required = f"{need_blocks} required"
    if blocks_source:
        required += f" ({blocks_source})"
    if anchor.blocks_on_top >= need_blocks:
        out.append(Finding(
            _RULE_BLOCKS, Severity.OK,
            f"Held: the anchor (block {anchor.block_number}) has {anchor.blocks_on_top} blocks "
            f"on top, {required}.",
            "min_blocks_on_top",
        ))
    else:
        out.append(Finding(
            _RULE_BLOCKS, Severity.WARNING,
            f"Not held: the anchor (block {anchor.block_number}) has only "
            f"{anchor.blocks_on_top} blocks on top, {required}; verify again later.",
            "min_blocks_on_top",
        ))

    skew = policy.max_clock_skew_seconds
    if isinstance(anchor.captured_at, str):
        out.append(Finding(
            _RULE_CAPTURE_TIME, Severity.WARNING,
            f"Not held: the capture time the capturer signed, {anchor.captured_at!r}, is not a "
            "UTC time (YYYY-MM-DDTHH:MM:SSZ), so it cannot be checked against the anchor's "
            "block time.",
            "max_clock_skew_seconds",
        ))
    elif anchor.captured_at is not None:
        if anchor.captured_at <= anchor.anchored_at + skew:
            out.append(Finding(
                _RULE_CAPTURE_TIME, Severity.OK,
                f"Held: the signed capture time {_utc(anchor.captured_at)} is not later than "
                f"the anchor's block time {_utc(anchor.anchored_at)} (plus {skew} s of clock "
                "skew).",
                "max_clock_skew_seconds",
            ))
        else:
            out.append(Finding(
                _RULE_CAPTURE_TIME, Severity.WARNING,
                f"Not held: the capturer signed a capture time {_utc(anchor.captured_at)} later "
                f"than the anchor's block time {_utc(anchor.anchored_at)} plus {skew} s: a "
                "capture cannot follow the anchor of its own root, so the capturer's clock or "
                "the chain's time is wrong.",
                "max_clock_skew_seconds",
            ))

    out.append(_rule_finding(
        _RULE_CODES, "jurisdiction", screened,
        f"All {n} confirmations name a well-formed ISO 3166-1 alpha-2 jurisdiction.",
        "malformed jurisdiction code",
    ))
    by_whom = ("the trust profile" if any(s.who.source == "profile" for s in screened)
               else "the registry's own labels")
    out.append(_rule_finding(
        _RULE_IDENTITY, "witness identity", screened,
        f"Every confirming witness is identified (by {by_whom}) and backed by the chain.",
        "witness not run by an operator the trust profile names, its name unusable, or its "
        "confirmation not backed by the chain",
    ))
    out.append(_rule_finding(
        _RULE_SUBMITTER, "exclude_submitter", screened,
        "No confirmation came from the submitter or its operator."
        if policy.exclude_submitter
        else "Not checked: this policy lets the submitter's own witnesses count.",
        "witness is the submitter or run by its operator",
    ))
    out.append(_rule_finding(
        _RULE_ACTIVE, "witness active period", screened,
        "Every confirming witness was registered and not revoked when it confirmed.",
        "witness not active (not yet registered, or revoked) when it confirmed",
    ))
    disputed = [s for s in screened if s.exclusion and s.exclusion[0] == "disputed-revocation"]
    if disputed:
        # A warning when the policy is not met (the revocation may be what withdrew the
        # presumption), else worth knowing only.
        out.append(Finding(
            _RULE_DISPUTED, Severity.INFO if satisfied else Severity.WARNING,
            f"{len(disputed)} confirmation(s) withdrawn by a revocation dated back before them: "
            + "; ".join(f"{s.address} ({s.jurisdiction}): {s.exclusion[1]}"
                        for s in disputed if s.exclusion)
            + ". A presumption that rested on them no longer holds; the registrar's reasons "
              "are outside the chain.",
            "witness active period",
        ))
    window = duration(policy.confirmation_window_seconds)
    out.append(_rule_finding(
        _RULE_WINDOW, "confirmation_window_seconds", screened,
        f"Every confirmation came within {window} after the anchor at "
        f"{_utc(anchor.anchored_at)}.",
        f"confirmed before the anchor or after the {window} window",
    ))
    skew = policy.max_clock_skew_seconds
    out.append(_rule_finding(
        _RULE_SKEW, "max_clock_skew_seconds", screened,
        f"Every observation time is consistent with the chain (skew at most {skew} s for "
        "signed confirmations, equal for direct ones).",
        f"observation time off by more than the allowed {skew} s",
    ))
    out.append(_rule_finding(
        _RULE_HAGUE, "require_hague_party", screened,
        "Every checked jurisdiction is listed as a Contracting State of the Hague Evidence "
        "Convention." if policy.require_hague_party
        else "Not checked: this policy counts jurisdictions whether or not they are Contracting "
        "States.",
        "jurisdiction not listed as a Contracting State",
    ))
    out.append(_in_force_finding(policy, screened, carrier))
    out.append(_rule_finding(
        _RULE_OPERATORS, "count_distinct_operators", screened,
        "Each counted jurisdiction comes from a different operator."
        if policy.count_distinct_operators
        else "Not checked: this policy lets one operator count in several jurisdictions.",
        "operator missing or already counted",
    ))

    kind = "Hague Convention jurisdictions" if policy.require_hague_party else "jurisdictions"
    listed = ", ".join(counted) if counted else "none"
    need = policy.min_jurisdictions
    if len(counted) <= need:
        head = f"{len(counted)} of {need} required {kind} confirmed: {listed}"
    else:
        head = f"{len(counted)} {kind} confirmed ({need} required): {listed}"
    same_jur = [s for s in screened if s.exclusion and s.exclusion[0] == "same-jurisdiction"]
    tail = ""
    if same_jur:
        tail = f"; {len(same_jur)} further confirmations from already counted jurisdictions"
    if len(counted) >= need:
        out.append(Finding(_RULE_JURISDICTIONS, Severity.OK, f"Held: {head}{tail}.",
                           "min_jurisdictions"))
    else:
        out.append(Finding(
            _RULE_JURISDICTIONS, Severity.WARNING,
            f"Not held: {head}{tail}; {need - len(counted)} more needed.",
            "min_jurisdictions",
        ))

    if untrusted is not None:
        out.append(Finding(
            _RULE_OUTCOME, Severity.WARNING,
            f"Policy {policy.name} is not met under a trust the verifier chose: {untrusted}. "
            f"(Counted by the registry's own labels, the confirmations "
            f"{'would meet' if would else 'would not meet'} it; labels the capturer's side can "
            "write are not evidence.)",
            policy.name,
        ))
    elif satisfied and demonstration is not None:
        out.append(Finding(
            _RULE_OUTCOME, Severity.OK,
            f"Policy {policy.name} is met under the demonstration profile {demonstration}: a "
            "DEMONSTRATION on a development chain, without evidential value; nothing here "
            "supports a presumption before a court.",
            policy.name,
        ))
    elif satisfied:
        out.append(Finding(
            _RULE_OUTCOME, Severity.OK,
            f"Policy {policy.name} is met: with intact evidence this gives a rebuttable "
            f"presumption under policy {policy.name} that the data was not altered after "
            "anchoring, a standard proposed by the paper this project comes from, not a rule of "
            "the Hague Evidence Convention; admissibility and weight are for the law of the "
            "court hearing the case.",
            policy.name,
        ))
    else:
        out.append(Finding(
            _RULE_OUTCOME, Severity.WARNING,
            f"Policy {policy.name} is not met: the evidence gets no presumption under "
            f"policy {policy.name} (it may still be intact; see the other findings).",
            policy.name,
        ))
    return tuple(out)


