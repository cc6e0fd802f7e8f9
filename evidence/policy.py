"""Verification policies as data, and their evaluation against witness confirmations.

What: a :class:`Policy` is a small TOML file (``version = 1``) naming the rules that decide
whether confirmed evidence is *presumed authentic under that policy*; :func:`evaluate` applies
one to the facts read from the chain (:class:`AnchorFacts`, :class:`ConfirmationFacts`) and
returns a :class:`PolicyOutcome` with one assessment per confirmation and one
:class:`~evidence.findings.Finding` per rule.

Why: the default policy ``hague-3`` (``data/policies/hague-3.toml``) is this project's proposed
standard (ARCHITECTURE.md, "Verify" and "Legal stance"), not a rule of the 1970 Hague Evidence
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

Failures: :func:`load_policy` raises :class:`~evidence.errors.FormatError` naming the file and
the key (unknown key, wrong type, out-of-range value, unknown version, invalid TOML) and
:class:`~evidence.errors.InputError` for an unknown policy name or unreadable file.
:func:`evaluate` never raises for odd chain data: it reports it in the assessments.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from importlib import resources
from pathlib import Path
from typing import Any

from evidence.errors import FormatError, InputError
from evidence.findings import Finding, Severity
from evidence.jurisdictions import (
    DateStatus,
    PartyList,
    country_name,
    date_status_text,
    is_iso2,
    load_default_parties,
    load_parties,
)
from evidence.tomltypes import toml_type
from evidence.trust.names import operator_key

__all__ = [
    "BUILTIN_POLICIES",
    "DEFAULT_POLICY",
    "POLICY_VERSION",
    "AnchorFacts",
    "ConfirmationFacts",
    "Identify",
    "Policy",
    "PolicyOutcome",
    "WitnessAssessment",
    "WitnessFacts",
    "WitnessIdentity",
    "describe",
    "evaluate",
    "load_policy",
    "load_policy_parties",
    "registry_identity",
]

#: The only policy file format version this code reads.
POLICY_VERSION = 1

#: Name of the built-in default policy.
DEFAULT_POLICY = "hague-3"

#: Built-in policy names (files ``data/policies/<name>.toml``).
BUILTIN_POLICIES = (DEFAULT_POLICY,)

#: Largest policy file read (bytes): a policy is a dozen keys; anything bigger is a wrong file.
MAX_POLICY_BYTES = 64 * 1024

#: Upper bound for ``min_jurisdictions``: ISO 3166-1 assigns 249 codes, so more can never be met.
MAX_MIN_JURISDICTIONS = 249

#: Upper bound for ``confirmation_window_seconds`` (366 days): a witness is meant to watch new
#: anchors as they arrive; a longer window would let it endorse arbitrarily old anchors.
MAX_WINDOW_SECONDS = 366 * 86400

#: Upper bound for ``max_clock_skew_seconds`` (1 h): beyond that the check says nothing about
#: a witness's clock.
MAX_CLOCK_SKEW_SECONDS = 3600

#: Upper bound for ``min_blocks_on_top``: far beyond any chain's finality depth (Ethereum
#: finalises after about 64 blocks); larger values are typing mistakes.
MAX_BLOCKS_ON_TOP = 100_000

#: Longest policy name and description, so that reports stay readable.
MAX_NAME_CHARS = 64
MAX_DESCRIPTION_CHARS = 2000

_NAME_RE = re.compile(r"[a-z0-9][a-z0-9._-]*")

_BOOL_KEYS = (
    "require_hague_party",
    "require_in_force_at_confirmation",
    "count_distinct_operators",
    "exclude_submitter",
)
#: Integer keys with their (minimum, maximum).
_INT_KEYS: dict[str, tuple[int, int]] = {
    "min_jurisdictions": (1, MAX_MIN_JURISDICTIONS),
    "confirmation_window_seconds": (0, MAX_WINDOW_SECONDS),
    "max_clock_skew_seconds": (0, MAX_CLOCK_SKEW_SECONDS),
    "min_blocks_on_top": (0, MAX_BLOCKS_ON_TOP),
}
_STR_KEYS = ("name", "description")
#: Keys added after version 1 was first published: optional, with the default that keeps the
#: stricter rule (a policy file written before them means the same or stricter).
_OPTIONAL_BOOL_KEYS: dict[str, bool] = {
    # A witness registered after the anchor was made could have been registered for it:
    # by default it does not count (ARCHITECTURE.md, "Trust").
    "count_witnesses_registered_after_anchor": False,
    # Count a Contracting State only when the party list marks its entry-into-force date
    # verified (status "verified"), not secondary, computed or unknown. Off by default: a
    # policy written before the key counted every listed State, its date's status shown.
    "require_verified_in_force_date": False,
}
_OPTIONAL_KEYS = ("description_zh", "parties_file", *_OPTIONAL_BOOL_KEYS)
_KNOWN_KEYS = frozenset(("version", *_STR_KEYS, *_BOOL_KEYS, *_INT_KEYS, *_OPTIONAL_KEYS))


@dataclass(frozen=True)
class Policy:
    """One verification policy, as read from its TOML file.

    ``parties_file`` is resolved against the policy file's folder; None means the built-in
    party list. ``source`` says where the policy came from ("built-in hague-3" or a path) and
    ``sha256`` is the digest of the file's bytes, so a report can pin the exact rules applied.
    """

    version: int
    name: str
    description: str
    description_zh: str | None
    min_jurisdictions: int
    require_hague_party: bool
    require_in_force_at_confirmation: bool
    count_distinct_operators: bool
    exclude_submitter: bool
    confirmation_window_seconds: int
    max_clock_skew_seconds: int
    min_blocks_on_top: int
    parties_file: Path | None
    source: str
    sha256: str
    count_witnesses_registered_after_anchor: bool = False
    require_verified_in_force_date: bool = False

    @property
    def builtin(self) -> bool:
        """True for a policy shipped with the tool (its name is reserved for it)."""
        return self.source.startswith("built-in ")

    def to_json(self) -> dict[str, Any]:
        """The policy's rules as a JSON object (for JSON reports)."""
        return {
            "version": self.version,
            "name": self.name,
            "description": self.description,
            "description_zh": self.description_zh,
            "min_jurisdictions": self.min_jurisdictions,
            "require_hague_party": self.require_hague_party,
            "require_in_force_at_confirmation": self.require_in_force_at_confirmation,
            "count_distinct_operators": self.count_distinct_operators,
            "exclude_submitter": self.exclude_submitter,
            "confirmation_window_seconds": self.confirmation_window_seconds,
            "max_clock_skew_seconds": self.max_clock_skew_seconds,
            "min_blocks_on_top": self.min_blocks_on_top,
            "count_witnesses_registered_after_anchor":
                self.count_witnesses_registered_after_anchor,
            "require_verified_in_force_date": self.require_verified_in_force_date,
            "parties_file": None if self.parties_file is None else str(self.parties_file),
            "source": self.source,
            "builtin": self.builtin,
            "sha256": self.sha256,
        }


# --------------------------------------------------------------------------- loading


def _parse_policy(raw: bytes, *, shown: str, base: Path | None) -> Policy:
    """Parse and check policy bytes; ``shown`` names the file in errors."""
    if len(raw) > MAX_POLICY_BYTES:
        raise FormatError(f"larger than {MAX_POLICY_BYTES} bytes: not a policy file", path=shown)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise FormatError(f"not UTF-8 text ({exc.reason})", path=shown) from exc
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise FormatError(f"invalid TOML: {exc}", path=shown) from exc

    unknown = sorted(set(doc) - _KNOWN_KEYS)
    if unknown:
        known = ", ".join(sorted(_KNOWN_KEYS))
        raise FormatError(f"unknown key (known keys: {known})", path=shown, where=unknown[0])

    def need(key: str) -> object:
        if key not in doc:
            raise FormatError("missing key", path=shown, where=key)
        return doc[key]

    version = need("version")
    if type(version) is not int:
        raise FormatError(f"must be an integer, found {toml_type(version)}", path=shown,
                          where="version")
    if version != POLICY_VERSION:
        raise FormatError(
            f"unsupported policy version {version}: this tool reads version {POLICY_VERSION}",
            path=shown,
            where="version",
        )

    strings: dict[str, str] = {}
    for key in _STR_KEYS:
        value = need(key)
        if not isinstance(value, str):
            raise FormatError(f"must be a string, found {toml_type(value)}", path=shown,
                              where=key)
        strings[key] = value
    name = strings["name"]
    if len(name) > MAX_NAME_CHARS or _NAME_RE.fullmatch(name) is None:
        raise FormatError(
            f"must be lowercase letters, digits, '.', '_' or '-' (at most {MAX_NAME_CHARS})",
            path=shown,
            where="name",
        )
    description = strings["description"]
    if description.strip() == "" or len(description) > MAX_DESCRIPTION_CHARS:
        raise FormatError(
            f"must be non-empty and at most {MAX_DESCRIPTION_CHARS} characters",
            path=shown,
            where="description",
        )

    bools: dict[str, bool] = {}
    for key in _BOOL_KEYS:
        value = need(key)
        if not isinstance(value, bool):
            raise FormatError(f"must be true or false, found {toml_type(value)}", path=shown,
                              where=key)
        bools[key] = value

    ints: dict[str, int] = {}
    for key, (low, high) in _INT_KEYS.items():
        value = need(key)
        if type(value) is not int:  # bool is an int subclass: reject it here
            raise FormatError(f"must be an integer, found {toml_type(value)}", path=shown,
                              where=key)
        if not low <= value <= high:
            raise FormatError(f"must be between {low} and {high}, found {value}", path=shown,
                              where=key)
        ints[key] = value

    description_zh = doc.get("description_zh")
    if description_zh is not None and (
        not isinstance(description_zh, str)
        or description_zh.strip() == ""
        or len(description_zh) > MAX_DESCRIPTION_CHARS
    ):
        raise FormatError(
            f"must be a non-empty string of at most {MAX_DESCRIPTION_CHARS} characters",
            path=shown,
            where="description_zh",
        )

    optional_bools: dict[str, bool] = {}
    for key, default in _OPTIONAL_BOOL_KEYS.items():
        value = doc.get(key, default)
        if not isinstance(value, bool):
            raise FormatError(f"must be true or false, found {toml_type(value)}", path=shown,
                              where=key)
        optional_bools[key] = value

    parties_file: Path | None = None
    if "parties_file" in doc:
        value = doc["parties_file"]
        if not isinstance(value, str) or value.strip() == "":
            raise FormatError("must be a non-empty path string", path=shown, where="parties_file")
        if base is None:
            raise FormatError(
                "built-in policies cannot name a parties file", path=shown, where="parties_file"
            )
        parties_file = base / value

    return Policy(
        version=version,
        name=name,
        description=description,
        description_zh=description_zh,
        min_jurisdictions=ints["min_jurisdictions"],
        require_hague_party=bools["require_hague_party"],
        require_in_force_at_confirmation=bools["require_in_force_at_confirmation"],
        count_distinct_operators=bools["count_distinct_operators"],
        exclude_submitter=bools["exclude_submitter"],
        confirmation_window_seconds=ints["confirmation_window_seconds"],
        max_clock_skew_seconds=ints["max_clock_skew_seconds"],
        min_blocks_on_top=ints["min_blocks_on_top"],
        parties_file=parties_file,
        source=shown,
        sha256=hashlib.sha256(raw).hexdigest(),
        count_witnesses_registered_after_anchor=optional_bools[
            "count_witnesses_registered_after_anchor"],
        require_verified_in_force_date=optional_bools["require_verified_in_force_date"],
    )


def _looks_like_name(text: str) -> bool:
    return _NAME_RE.fullmatch(text.lower()) is not None and not text.lower().endswith(".toml")


def load_policy(name_or_path: str | Path) -> Policy:
    """Load a built-in policy by name (``"hague-3"``) or a policy TOML file by path.

    A :class:`~pathlib.Path`, or a string with a folder separator or a ``.toml`` suffix, is a
    path; any other string is a built-in name (case-insensitive). Raises :class:`InputError`
    for an unknown name or an unreadable file and :class:`FormatError` (naming file and key)
    for a bad file, including a file policy that takes a built-in policy's name.
    """
    if isinstance(name_or_path, str) and _looks_like_name(name_or_path):
        name_or_path = name_or_path.lower()  # built-in names are case-insensitive
        if name_or_path not in BUILTIN_POLICIES:
            raise InputError(
                f"unknown policy {name_or_path!r}: built-in policies are "
                f"{', '.join(BUILTIN_POLICIES)}; or give the path of a .toml policy file"
            )
        policies = resources.files("evidence").joinpath("data", "policies")
        raw = policies.joinpath(f"{name_or_path}.toml").read_bytes()
        policy = _parse_policy(raw, shown=f"built-in {name_or_path}", base=None)
        if policy.name != name_or_path:  # pragma: no cover - shipped data
            raise FormatError("name differs from the file name", path=policy.source, where="name")
        return policy
    path = Path(name_or_path)
    try:
        with path.open("rb") as fh:
            raw = fh.read(MAX_POLICY_BYTES + 1)
    except OSError as exc:
        raise InputError(f"cannot read policy file {path}: {exc.strerror or exc}") from exc
    policy = _parse_policy(raw, shown=str(path), base=path.parent)
    if policy.name in BUILTIN_POLICIES:
        # A file named like a built-in policy would be shown as "policy hague-3 is met"
        # whatever rules it holds: the built-in names belong to the built-in files.
        raise FormatError(
            f"the name {policy.name!r} is reserved for the built-in policy; give your policy "
            "its own name (it is shown with its path and SHA-256 beside every verdict)",
            path=str(path), where="name")
    return policy


def load_policy_parties(policy: Policy) -> PartyList:
    """The party list a policy uses: its ``parties_file`` or else the built-in list."""
    if policy.parties_file is None:
        return load_default_parties()
    return load_parties(policy.parties_file)


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


def _duration(seconds: int, lang: str = "en") -> str:
    if lang == "zh":
        if seconds and seconds % 3600 == 0:
            return f"{seconds} 秒（{seconds // 3600} 小时）"
        if seconds and seconds % 60 == 0:
            return f"{seconds} 秒（{seconds // 60} 分钟）"
        return f"{seconds} 秒"
    if seconds and seconds % 3600 == 0:
        return f"{seconds} s ({seconds // 3600} h)"
    if seconds and seconds % 60 == 0:
        return f"{seconds} s ({seconds // 60} min)"
    return f"{seconds} s"


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
            f"{_duration(policy.confirmation_window_seconds)} window closed at {_utc(deadline)}",
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
    window = _duration(policy.confirmation_window_seconds)
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


# --------------------------------------------------------------------------- description


_CONVENTION_EN = (
    "the HCCH Convention of 18 March 1970 on the Taking of Evidence Abroad in Civil or "
    "Commercial Matters"
)
_CONVENTION_ZH = "1970年3月18日《关于从国外调取民事或商事证据的公约》（海牙取证公约）"


def describe(policy: Policy, lang: str = "en") -> list[str]:
    """The policy's rules as plain sentences, in English (``"en"``) or Chinese (``"zh"``).

    Raises :class:`InputError` for another language.
    """
    if lang == "en":
        return _describe_en(policy)
    if lang == "zh":
        return _describe_zh(policy)
    raise InputError(f"unknown language {lang!r}: use 'en' or 'zh'")


def _describe_en(p: Policy) -> list[str]:
    lines = [
        f"Policy {p.name} (version {p.version}, {p.source}): {p.description}",
        f"At least {p.min_jurisdictions} distinct jurisdictions (ISO 3166-1 alpha-2) must have "
        "a counted witness confirmation.",
    ]
    if p.require_hague_party:
        lines.append(
            f"Each counted jurisdiction must be a Contracting State of {_CONVENTION_EN}, "
            "according to the party list used. Membership is counted; whether the Convention "
            "applies between two given States (Art. 39 acceptances of accessions) is not "
            "checked."
        )
        if p.require_in_force_at_confirmation:
            lines.append(
                "The Convention must have entered into force for that State by the UTC day of "
                "the confirmation" + (
                    "." if p.require_verified_in_force_date
                    else "; a State whose entry-into-force date is blank in the list counts as "
                    "a Contracting State with its date marked unknown.")
            )
        if p.require_verified_in_force_date:
            lines.append(
                "Only a State whose entry-into-force date the party list marks as verified in an "
                "official source counts; a date from a secondary source, computed from one, or "
                "unknown does not."
            )
        else:
            lines.append(
                "Each State's entry-into-force date is shown with its status in the party list "
                "(verified in an official source, from a secondary source, computed from a "
                "secondary source, or unknown); this policy counts the State whatever that "
                "status."
            )
    else:
        lines.append("Jurisdictions count whether or not they are Contracting States of "
                     f"{_CONVENTION_EN}.")
    if p.count_distinct_operators:
        lines.append("Witnesses run by one operator count once, whatever their jurisdictions.")
    if p.exclude_submitter:
        lines.append("A witness with the submitter's address, or run by the same operator, "
                     "does not count.")
    lines.append("A witness counts only if it was registered and not revoked when it confirmed; "
                 "a revocation dated back before a confirmation is shown as disputed, with the "
                 "time it was issued and the time it takes effect.")
    if not p.count_witnesses_registered_after_anchor:
        lines.append("A witness registered after the anchor's block time does not count.")
    lines.append(
        "The capture time the capturer signed must not be later than the anchor's block time "
        f"plus {p.max_clock_skew_seconds} s."
    )
    lines.append(
        f"Confirmations count only within {_duration(p.confirmation_window_seconds)} after the "
        "anchor's block time."
    )
    lines.append(
        "A signed confirmation's observation time must lie between the anchor time minus "
        f"{p.max_clock_skew_seconds} s and the confirmation time plus "
        f"{p.max_clock_skew_seconds} s; a direct confirmation's must equal its block time."
    )
    blocks = f"The anchor must have at least {p.min_blocks_on_top} blocks on top of its block"
    if p.min_blocks_on_top == 0:
        blocks += " (0: the embedded development chain mines only on demand)"
    lines.append(blocks + ".")
    if p.parties_file is not None:
        lines.append(f"Party list: {p.parties_file} (supplied by the user).")
    else:
        lines.append("Party list: the built-in list, which may be incomplete and carries its "
                     "as-of date, its sources and the status of each entry-into-force date.")
    lines.append(
        "Meeting these rules gives only a rebuttable presumption, under this policy, that the "
        "data was not altered after anchoring: a standard proposed by the paper this project "
        "comes from, not a rule of the Convention (what rebuts it: see the report's legal "
        "notes). Admissibility and weight are for the law of the court hearing the case."
    )
    return lines


def _describe_zh(p: Policy) -> list[str]:
    description = p.description_zh or p.description
    lines = [
        f"策略 {p.name}（第 {p.version} 版，{p.source}）：{description}",
        f"至少须有 {p.min_jurisdictions} 个不同法域（ISO 3166-1 二位字母代码）"
        "的见证节点确认被计入。",
    ]
    if p.require_hague_party:
        lines.append(
            f"每个被计入的法域须为{_CONVENTION_ZH}的缔约国（以所用缔约方名单为准）。"
            "只计算缔约身份，不核查公约在两个特定国家之间是否适用（第39条对加入的接受）。"
        )
        if p.require_in_force_at_confirmation:
            lines.append(
                "确认之日（UTC）公约须已对该国生效" + (
                    "。" if p.require_verified_in_force_date
                    else "；名单中生效日期空白的国家按缔约国计入，并注明其生效日期不明。")
            )
        if p.require_verified_in_force_date:
            lines.append(
                "只有缔约方名单标明生效日期经官方来源核实的国家方可计入；生效日期仅见于非官方来源、"
                "根据非官方来源推算或不明的国家不予计入。"
            )
        else:
            lines.append(
                "每个国家的生效日期均注明其在缔约方名单中的来源状态（经官方来源核实、仅见于非官方"
                "来源、根据非官方来源推算或不明）；本策略不论该状态均计入该国。"
            )
    else:
        lines.append(f"法域无论是否为{_CONVENTION_ZH}的缔约国均予计入。")
    if p.count_distinct_operators:
        lines.append("同一运营者的多个见证节点只计算一次，无论其位于哪些法域。")
    if p.exclude_submitter:
        lines.append("地址与提交者相同、或与提交者属同一运营者的见证节点不予计入。")
    lines.append("见证节点须在确认时已登记且未被撤销，方可计入；撤销生效时间倒签至确认之前的，"
                 "作为有争议的撤销列明，并写明撤销的发出时间与生效时间。")
    if not p.count_witnesses_registered_after_anchor:
        lines.append("在锚定区块时间之后登记的见证节点不予计入。")
    lines.append(f"取证人签名的取证时间不得晚于锚定区块时间加 {p.max_clock_skew_seconds} 秒。")
    lines.append(
        f"只计入锚定区块时间之后 {_duration(p.confirmation_window_seconds, 'zh')}内的确认。"
    )
    skew = p.max_clock_skew_seconds
    lines.append(
        f"签名确认的观察时间须在锚定时间前 {skew} 秒至确认时间后 {skew} 秒之间；"
        "直接确认的观察时间须等于其区块时间。"
    )
    blocks = f"锚定所在区块之上至少须有 {p.min_blocks_on_top} 个区块"
    if p.min_blocks_on_top == 0:
        blocks += "（0：内置开发链仅在有交易时出块）"
    lines.append(blocks + "。")
    if p.parties_file is not None:
        lines.append(f"缔约方名单：{p.parties_file}（由用户提供）。")
    else:
        lines.append("缔约方名单：内置名单，该名单可能不完整，并注明其截至日期、来源及各生效日期的"
                     "来源状态。")
    lines.append(
        "满足上述规则仅产生本策略下可推翻的推定，且仅限于数据在锚定后未被篡改：这是本项目所依据的"
        "论文提出的标准，并非公约本身的规则（何者可推翻该推定，见报告的法律说明）。"
        "证据能否采纳及其证明力由受理案件法院所适用的法律决定。"
    )
    return lines
