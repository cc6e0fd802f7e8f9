"""Load a policy: a small TOML file (``version = 1``) naming the rules of the presumption.

A name (``hague-3``) is a built-in policy (``data/policies/<name>.toml``); anything else is a
path. Every key is checked: the result is a frozen :class:`Policy` with the file's SHA-256,
so a report can say exactly which rules were applied.

Failures: :func:`load_policy` raises :class:`~evidence.errors.FormatError` naming the file and
the key (unknown key, wrong type, out-of-range value, unknown version, invalid TOML) and
:class:`~evidence.errors.InputError` for an unknown policy name or unreadable file.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from evidence.errors import FormatError, InputError
from evidence.jurisdictions import (
    PartyList,
    load_default_parties,
    load_parties,
)
from evidence.tomltypes import toml_type

__all__ = [
    "BUILTIN_POLICIES",
    "DEFAULT_POLICY",
    "MAX_POLICY_BYTES",
    "POLICY_VERSION",
    "Policy",
    "load_policy",
    "load_policy_parties",
]


#: The only policy file format version this code reads.
POLICY_VERSION = 1


#: Name of the built-in default policy.
DEFAULT_POLICY = "hague-3"


#: Built-in policy names (files ``data/policies/<name>.toml``).
BUILTIN_POLICIES = (DEFAULT_POLICY, "hague-3-tsa")


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
    # by default it does not count (docs/architecture.md, "Trust").
    "count_witnesses_registered_after_anchor": False,
    # Count a Contracting State only when the party list marks its entry-into-force date
    # verified (status "verified"), not secondary, computed or unknown. Off by default: a
    # policy written before the key counted every listed State, its date's status shown.
    "require_verified_in_force_date": False,
    # Presume authenticity only with an RFC 3161 timestamp from a TSA the verifier's trust
    # profile pins (evidence.timestamps; the built-in policy hague-3-tsa).
    "require_timestamp": False,
}
#: Upper bound for ``timestamp_window_seconds`` (1 day): how far a TSA's clock, the chain's
#: and the capturer's may differ before they are said to disagree.
MAX_TIMESTAMP_WINDOW_SECONDS = 86_400
#: Optional integer keys added after version 1: (minimum, maximum, default).
_OPTIONAL_INT_KEYS: dict[str, tuple[int, int, int]] = {
    # 600 s: a capture, its timestamp and its anchoring follow each other within minutes;
    # NTP-synchronised clocks differ by far less.
    "timestamp_window_seconds": (0, MAX_TIMESTAMP_WINDOW_SECONDS, 600),
}
_OPTIONAL_KEYS = ("description_zh", "parties_file", *_OPTIONAL_BOOL_KEYS, *_OPTIONAL_INT_KEYS)


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
    require_timestamp: bool = False
    timestamp_window_seconds: int = 600

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
            "require_timestamp": self.require_timestamp,
            "timestamp_window_seconds": self.timestamp_window_seconds,
            "parties_file": None if self.parties_file is None else str(self.parties_file),
            "source": self.source,
            "builtin": self.builtin,
            "sha256": self.sha256,
        }


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

    optional_ints: dict[str, int] = {}
    for key, (low, high, fallback) in _OPTIONAL_INT_KEYS.items():
        number = doc.get(key, fallback)
        if type(number) is not int or not low <= number <= high:
            raise FormatError(f"must be an integer from {low} to {high}", path=shown, where=key)
        optional_ints[key] = number

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
        require_timestamp=optional_bools["require_timestamp"],
        timestamp_window_seconds=optional_ints["timestamp_window_seconds"],
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
