"""Trust profiles as TOML files: read, check, sign, and write demonstration and draft ones.

What: a trust profile (``version = 1``, docs/trust.md) names the chains a verifier accepts
(pinned by genesis hash), the registries on them (contract and registrar) and the witness
operators it trusts (stable id, legal name, jurisdiction as the publisher checked it, the
publisher's source, witness addresses with periods). :func:`parse_trust_profile` checks a
profile's bytes and returns a :class:`~evidence.trust.model.TrustProfile`;
:func:`load_trust_profile` reads a file and checks its detached publisher signature
(:mod:`evidence.trust.signing`) against the keys the verifier pinned.

Why: "the verifier, not the capturer, names whom it trusts" (issue 19; docs/architecture.md,
"Trust"). A profile is therefore strict: unknown keys anywhere, an ambiguous time, a
witness address claimed by two operators, a development chain outside a demonstration
profile, or an unreviewed draft are refused, never guessed at.

How it fails: :class:`~evidence.errors.FormatError` naming the file and the key path
(``profile.toml: operators[2].witnesses[0].from: ...``) for a malformed profile;
:class:`~evidence.errors.InputError` for an unreadable file, an expired profile, or a
signature that is missing (when required), does not verify, or is by a key other than the
pinned one. Nothing here talks to the terminal.
"""

from __future__ import annotations

import hashlib
import os
import re
import tomllib
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import replace as dc_replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Protocol
from urllib.parse import urlsplit

from evidence.chain.light import EMBEDDED_CHAIN_ID, to_checksum_address
from evidence.errors import FormatError, InputError
from evidence.fsutil import atomic_write_bytes
from evidence.jurisdictions import country_name, is_iso2
from evidence.keys import SigningKey
from evidence.tomltypes import toml_type
from evidence.trust.model import (
    PROFILE_VERSION,
    ChainPin,
    OperatorPin,
    RegistryPin,
    TrustProfile,
    WitnessKeyPin,
)
from evidence.trust.names import check_display_text, normalize_name
from evidence.trust.signing import (
    make_profile_signature,
    read_signature_file,
    resolve_publisher_keys,
    signature_path,
    verify_profile_signature,
)
from evidence.trust.tsa import TsaPin, parse_timestamp_authorities

__all__ = [
    "DEVELOPMENT_CHAIN_IDS",
    "DRAFT_ID_PREFIX",
    "MAX_PROFILE_BYTES",
    "TRUST_ENV",
    "WitnessLike",
    "default_profile_path",
    "draft_profile_toml",
    "load_trust_profile",
    "parse_trust_profile",
    "sign_trust_profile",
    "write_demo_profile",
]

#: Environment variable naming the verifier's trust profile file.
TRUST_ENV = "EVIDENCE_TRUST"

#: Largest profile file read (bytes): an operator entry takes about 300 bytes, so 1 MiB
#: holds thousands of operators, more than any real list; anything larger is a wrong file.
MAX_PROFILE_BYTES = 1 << 20

#: Longest profile name (like policy names, so reports stay readable).
MAX_NAME_CHARS = 64
#: Longest display name (publisher, chain name, operator name): legal names fit easily.
MAX_DISPLAY_CHARS = 200
#: Longest description or operator source (a URL or a register reference with a note).
MAX_TEXT_CHARS = 2000
#: Longest operator id (an LEI is 20 characters; prefixed national register numbers fit).
MAX_ID_CHARS = 128
#: Largest chain id: EIP-2294's bound, floor(MAX_UINT64 / 2) - 36, so that EIP-155's
#: ``v = chain_id * 2 + 36`` fits in 64 bits.
MAX_CHAIN_ID = (2**64 - 1) // 2 - 36
#: Upper bound for ``min_blocks_on_top`` (as the policy's): far beyond any chain's finality.
MAX_BLOCKS_ON_TOP = 100_000
#: Upper bound for ``min_nodes``: agreement of more independent nodes adds nothing and
#: every one is asked for every read.
MAX_MIN_NODES = 16
#: Most suggested node URLs per chain, and the longest URL.
MAX_NODES = 16
MAX_URL_CHARS = 2048
#: Most entries per list: far beyond any honest profile, low enough to bound the work.
MAX_CHAINS = 64
MAX_REGISTRIES = 256
MAX_OPERATORS = 10_000
MAX_WITNESSES_PER_OPERATOR = 1000

#: Chain ids of development chains, never evidence: Ganache and Hardhat/anvil defaults
#: (1337, 31337) and the embedded chain.
DEVELOPMENT_CHAIN_IDS = frozenset({1337, 31337, EMBEDDED_CHAIN_ID})

#: Operator ids of a drafted profile start with this; a profile with one never loads.
DRAFT_ID_PREFIX = "REVIEW-"

#: How long a demonstration profile is valid (10 years: longer than any demonstration).
DEMO_VALIDITY = timedelta(days=3653)
#: How long a drafted profile is proposed to be valid (the reviewer chooses).
DRAFT_VALIDITY = timedelta(days=365)

_NAME_RE = re.compile(r"[a-z0-9][a-z0-9._-]*")
_ID_RE = re.compile(r"[!-~]+")  # printable ASCII, no spaces
_ADDRESS_RE = re.compile(r"0x[0-9a-fA-F]{40}")
_HASH_RE = re.compile(r"0x[0-9a-fA-F]{64}")
_URL_CHARS_RE = re.compile(r"[!-~]+")
_ZERO_ADDRESS = "0x" + "0" * 40

_TOP_REQUIRED = ("version", "name", "expires", "chains", "registries", "operators")
_TOP_OPTIONAL = ("publisher", "description", "demonstration", "timestamp_authorities")
_CHAIN_REQUIRED = ("chain_id", "name", "genesis_hash")
_CHAIN_OPTIONAL = ("min_blocks_on_top", "development", "min_nodes", "nodes")
_REGISTRY_REQUIRED = ("chain_id", "contract", "registrar")
_REGISTRY_OPTIONAL = ("operators_from_registry",)
_OPERATOR_REQUIRED = ("id", "name", "jurisdiction", "source", "witnesses")
_WITNESS_REQUIRED = ("address", "from")
_WITNESS_OPTIONAL = ("until",)

_DRAFT_MESSAGE = ("a drafted profile: review every operator (id, name, jurisdiction, source), "
                  "then delete `draft = true`")


# --------------------------------------------------------------------------- checking


class _Reader:
    """Typed access to a parsed TOML document; every refusal names the file and key path."""

    def __init__(self, shown: str):
        self.shown = shown

    def fail(self, message: str, where: str | None = None) -> FormatError:
        return FormatError(message, path=self.shown, where=where)

    def table(self, value: object, where: str, required: Sequence[str],
              optional: Sequence[str] = ()) -> dict[str, object]:
        if not isinstance(value, dict):
            raise self.fail(f"must be a table, found {toml_type(value)}", where)
        allowed = (*required, *optional)
        unknown = sorted(set(value) - set(allowed))
        if unknown:
            raise self.fail(f"unknown key (known keys: {', '.join(sorted(allowed))})",
                            _at(where, unknown[0]))
        for key in required:
            if key not in value:
                raise self.fail("missing key", _at(where, key))
        return value

    def tables(self, value: object, where: str, *, limit: int) -> list[object]:
        if not isinstance(value, list):
            raise self.fail(f"must be an array of tables, found {toml_type(value)}", where)
        if not value:
            raise self.fail("must not be empty", where)
        if len(value) > limit:
            raise self.fail(f"at most {limit} entries, found {len(value)}", where)
        return value

    def integer(self, value: object, where: str, low: int, high: int) -> int:
        if type(value) is not int:  # bool is an int subclass: refuse it here
            raise self.fail(f"must be an integer, found {toml_type(value)}", where)
        if not low <= value <= high:
            raise self.fail(f"must be between {low} and {high}, found {value}", where)
        return value

    def boolean(self, value: object, where: str) -> bool:
        if not isinstance(value, bool):
            raise self.fail(f"must be true or false, found {toml_type(value)}", where)
        return value

    def string(self, value: object, where: str) -> str:
        if not isinstance(value, str):
            raise self.fail(f"must be a string, found {toml_type(value)}", where)
        return value

    def display(self, value: object, where: str) -> str:
        """A name shown to people: no control or invisible characters, no look-alike
        script mixes (:func:`evidence.trust.names.check_display_text`), not empty."""
        text = self.string(value, where)
        if not normalize_name(text):
            raise self.fail("must not be empty", where)
        if len(text) > MAX_DISPLAY_CHARS:
            raise self.fail(f"at most {MAX_DISPLAY_CHARS} characters", where)
        reason = check_display_text(text)
        if reason is not None:
            raise self.fail(reason, where)
        return text

    def text(self, value: object, where: str, *, newlines: bool) -> str:
        """Free text (a description, a source): not empty, no control characters (line
        breaks only where ``newlines``) and no invisible format characters."""
        text = self.string(value, where)
        if not text.strip():
            raise self.fail("must not be empty", where)
        if len(text) > MAX_TEXT_CHARS:
            raise self.fail(f"at most {MAX_TEXT_CHARS} characters", where)
        reason = _invisible_reason(text, newlines=newlines)
        if reason is not None:
            raise self.fail(reason, where)
        return text

    def window(self, t: dict[str, object], where: str) -> tuple[datetime, datetime | None]:
        """A pin's validity: ``from`` and the optional ``until``, which must be later."""
        valid_from = self.time(t["from"], f"{where}.from")
        if "until" not in t:
            return valid_from, None
        valid_until = self.time(t["until"], f"{where}.until")
        if valid_until <= valid_from:
            raise self.fail("must be later than from", f"{where}.until")
        return valid_from, valid_until

    def time(self, value: object, where: str) -> datetime:
        """A TOML offset date-time, in UTC, in whole seconds."""
        if not isinstance(value, datetime):
            if isinstance(value, str):
                raise self.fail("must be a TOML date-time (unquoted, e.g. "
                                "2027-01-01T00:00:00Z), found a string", where)
            raise self.fail("must be a date-time with an offset (e.g. 2027-01-01T00:00:00Z), "
                            f"found {toml_type(value)}", where)
        if value.tzinfo is None:
            raise self.fail("a local date-time without an offset is ambiguous: add Z (UTC) "
                            "or an offset such as +08:00", where)
        if value.microsecond:
            raise self.fail("whole seconds only (chain times are whole seconds)", where)
        try:
            return value.astimezone(UTC)
        except (OverflowError, ValueError) as exc:
            raise self.fail("a date-time out of range (years 1970 to 9998)", where) from exc

    def address(self, value: object, where: str) -> str:
        """A 20-byte address (0x + 40 hex digits), returned EIP-55 checksummed. A
        mixed-case address must carry a correct EIP-55 checksum (a typo otherwise)."""
        text = self.string(value, where)
        if _ADDRESS_RE.fullmatch(text) is None:
            raise self.fail("must be an address: 0x and 40 hex digits", where)
        checksummed = to_checksum_address(bytes.fromhex(text[2:]))
        digits = text[2:]
        if digits != digits.lower() and digits != digits.upper() and text != checksummed:
            raise self.fail(f"the EIP-55 checksum does not match (a typing mistake?): the "
                            f"checksummed form of these digits is {checksummed}", where)
        if text.lower() == _ZERO_ADDRESS:
            raise self.fail("the zero address names nobody", where)
        return checksummed


def _at(where: str, key: str) -> str:
    return f"{where}.{key}" if where else key


def _invisible_reason(text: str, *, newlines: bool) -> str | None:
    """Why ``text`` holds characters a reader cannot see (controls other than tab, and
    line breaks unless allowed; Unicode format characters, category Cf), or None."""
    for ch in text:
        category = unicodedata.category(ch)
        if category == "Cc" and not (ch == "\t" or (newlines and ch == "\n")):
            return f"contains the control character U+{ord(ch):04X}"
        if category == "Cf":
            name = unicodedata.name(ch, "unnamed")
            return f"contains the invisible format character U+{ord(ch):04X} ({name})"
    return None


def _node_url(r: _Reader, value: object, where: str) -> str:
    text = r.string(value, where)
    if len(text) > MAX_URL_CHARS or _URL_CHARS_RE.fullmatch(text) is None:
        raise r.fail(f"must be an http or https URL of printable ASCII (at most "
                     f"{MAX_URL_CHARS} characters; international host names in punycode)",
                     where)
    try:
        parts = urlsplit(text)
        host = parts.hostname
        _ = parts.port  # raises ValueError for a malformed port
    except ValueError as exc:
        raise r.fail(f"not a URL ({exc})", where) from exc
    if parts.scheme not in ("http", "https") or not host:
        raise r.fail("must be an http or https URL with a host", where)
    if parts.username is not None or parts.password is not None:
        raise r.fail("must not carry a user name or password: a profile is published", where)
    return text


def _chain(r: _Reader, value: object, where: str, *, demonstration: bool) -> ChainPin:
    t = r.table(value, where, _CHAIN_REQUIRED, _CHAIN_OPTIONAL)
    chain_id = r.integer(t["chain_id"], f"{where}.chain_id", 1, MAX_CHAIN_ID)
    name = r.display(t["name"], f"{where}.name")
    genesis = r.string(t["genesis_hash"], f"{where}.genesis_hash")
    if _HASH_RE.fullmatch(genesis) is None or int(genesis, 16) == 0:
        raise r.fail("must be the genesis block's hash: 0x and 64 hex digits",
                     f"{where}.genesis_hash")
    min_blocks = None
    if "min_blocks_on_top" in t:
        min_blocks = r.integer(t["min_blocks_on_top"], f"{where}.min_blocks_on_top", 0,
                               MAX_BLOCKS_ON_TOP)
    min_nodes = 1
    if "min_nodes" in t:
        min_nodes = r.integer(t["min_nodes"], f"{where}.min_nodes", 1, MAX_MIN_NODES)
    nodes: list[str] = []
    if "nodes" in t:
        raw_nodes = t["nodes"]
        if not isinstance(raw_nodes, list):
            raise r.fail(f"must be an array of URLs, found {toml_type(raw_nodes)}",
                         f"{where}.nodes")
        if len(raw_nodes) > MAX_NODES:
            raise r.fail(f"at most {MAX_NODES} URLs, found {len(raw_nodes)}", f"{where}.nodes")
        for k, node in enumerate(raw_nodes):
            url = _node_url(r, node, f"{where}.nodes[{k}]")
            if url in nodes:
                raise r.fail("listed twice", f"{where}.nodes[{k}]")
            nodes.append(url)
    development = False
    if "development" in t:
        development = r.boolean(t["development"], f"{where}.development")
    known_dev = chain_id in DEVELOPMENT_CHAIN_IDS
    if known_dev and "development" in t and not development:
        raise r.fail(f"chain id {chain_id} is a development chain ({_dev_label(chain_id)}); "
                     "development = false cannot make it evidence", f"{where}.development")
    if (development or known_dev) and not demonstration:
        if development:
            raise r.fail("a development chain (development = true) is never evidence: only "
                         "a demonstration profile (demonstration = true) may pin one",
                         f"{where}.development")
        raise r.fail(f"chain id {chain_id} is a development chain ({_dev_label(chain_id)}), "
                     "never evidence: only a demonstration profile (demonstration = true) may "
                     "pin it", f"{where}.chain_id")
    return ChainPin(chain_id=chain_id, name=name, genesis_hash=bytes.fromhex(genesis[2:]),
                    min_blocks_on_top=min_blocks, development=development or known_dev,
                    min_nodes=min_nodes, nodes=tuple(nodes))


def _dev_label(chain_id: int) -> str:
    if chain_id == EMBEDDED_CHAIN_ID:
        return "the embedded chain"
    return "the default id of local test chains: Ganache, Hardhat, anvil"


def _registry(r: _Reader, value: object, where: str, *, demonstration: bool,
              chain_ids: set[int]) -> RegistryPin:
    t = r.table(value, where, _REGISTRY_REQUIRED, _REGISTRY_OPTIONAL)
    chain_id = r.integer(t["chain_id"], f"{where}.chain_id", 1, MAX_CHAIN_ID)
    if chain_id not in chain_ids:
        raise r.fail(f"no [[chains]] entry pins chain id {chain_id}: add one with its "
                     "genesis hash", f"{where}.chain_id")
    contract = r.address(t["contract"], f"{where}.contract")
    registrar = r.address(t["registrar"], f"{where}.registrar")
    from_registry = False
    if "operators_from_registry" in t:
        from_registry = r.boolean(t["operators_from_registry"],
                                  f"{where}.operators_from_registry")
    if from_registry and not demonstration:
        raise r.fail("only a demonstration profile (demonstration = true) may trust the "
                     "registry's own operator labels: name the operators in [[operators]]",
                     f"{where}.operators_from_registry")
    return RegistryPin(chain_id=chain_id, contract=contract, registrar=registrar,
                       operators_from_registry=from_registry)


def _jurisdiction(r: _Reader, value: object, where: str) -> str:
    code = r.string(value, where)
    if not is_iso2(code):
        raise r.fail(f"must be an ISO 3166-1 alpha-2 code (two capital letters), found "
                     f"{code!r}", where)
    if country_name(code) == code:  # a well-formed code ISO 3166-1 does not assign
        raise r.fail(f"{code} is not an assigned ISO 3166-1 alpha-2 code", where)
    return code


def _witness(r: _Reader, value: object, where: str) -> WitnessKeyPin:
    t = r.table(value, where, _WITNESS_REQUIRED, _WITNESS_OPTIONAL)
    address = r.address(t["address"], f"{where}.address")
    valid_from, valid_until = r.window(t, where)
    return WitnessKeyPin(address=address, valid_from=valid_from, valid_until=valid_until)


def _operator(r: _Reader, value: object, where: str) -> OperatorPin:
    t = r.table(value, where, _OPERATOR_REQUIRED)
    op_id = r.string(t["id"], f"{where}.id")
    if len(op_id) > MAX_ID_CHARS or _ID_RE.fullmatch(op_id) is None:
        raise r.fail(f"must be a stable identifier of printable ASCII without spaces (at "
                     f"most {MAX_ID_CHARS} characters), e.g. LEI:5493001KJTIIGC8Y1R12",
                     f"{where}.id")
    if op_id.upper().startswith(DRAFT_ID_PREFIX):
        raise r.fail("a draft's placeholder: replace it with the operator's stable "
                     "identifier (e.g. LEI:...) after checking who runs these witnesses",
                     f"{where}.id")
    name = r.display(t["name"], f"{where}.name")
    jurisdiction = _jurisdiction(r, t["jurisdiction"], f"{where}.jurisdiction")
    source = r.text(t["source"], f"{where}.source", newlines=False)
    entries = r.tables(t["witnesses"], f"{where}.witnesses", limit=MAX_WITNESSES_PER_OPERATOR)
    witnesses = tuple(_witness(r, w, f"{where}.witnesses[{k}]") for k, w in enumerate(entries))
    return OperatorPin(id=op_id, name=name, jurisdiction=jurisdiction, source=source,
                       witnesses=witnesses)


def _check_draft(r: _Reader, doc: Mapping[str, object]) -> None:
    if "draft" not in doc:
        return
    if doc["draft"] is True:
        raise r.fail(_DRAFT_MESSAGE, "draft")
    raise r.fail("only `evidence trust draft` writes this key: delete it", "draft")


def parse_trust_profile(raw: bytes, *, shown: str, now: datetime | None = None) -> TrustProfile:
    """Check trust profile bytes (TOML, version 1) and return the profile, unsigned.

    ``shown`` names the file in errors and becomes the profile's ``source``; ``now``
    (default: the current time; it must carry a time zone) decides expiry. Raises
    FormatError naming the file and key path for a malformed profile and InputError for an
    expired one.
    """
    r = _Reader(shown)
    if len(raw) > MAX_PROFILE_BYTES:
        raise r.fail(f"larger than {MAX_PROFILE_BYTES} bytes: not a trust profile")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise r.fail(f"not UTF-8 text ({exc.reason})") from exc
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise r.fail(f"invalid TOML: {exc}") from exc

    _check_draft(r, doc)
    if "version" not in doc:
        raise r.fail("missing key", "version")
    version = doc["version"]
    if type(version) is not int:
        raise r.fail(f"must be an integer, found {toml_type(version)}", "version")
    if version != PROFILE_VERSION:
        raise r.fail(f"unsupported trust profile version {version}: this tool reads version "
                     f"{PROFILE_VERSION}", "version")
    top = r.table(doc, "", _TOP_REQUIRED, _TOP_OPTIONAL)

    name = r.string(top["name"], "name")
    if len(name) > MAX_NAME_CHARS or _NAME_RE.fullmatch(name) is None:
        raise r.fail(f"must be lowercase letters, digits, '.', '_' or '-' (at most "
                     f"{MAX_NAME_CHARS})", "name")
    publisher = None
    if "publisher" in top:
        publisher = r.display(top["publisher"], "publisher")
    description = None
    if "description" in top:
        description = r.text(top["description"], "description", newlines=True)
    expires = r.time(top["expires"], "expires")
    demonstration = False
    if "demonstration" in top:
        demonstration = r.boolean(top["demonstration"], "demonstration")

    chains: list[ChainPin] = []
    for i, entry in enumerate(r.tables(top["chains"], "chains", limit=MAX_CHAINS)):
        chain = _chain(r, entry, f"chains[{i}]", demonstration=demonstration)
        other = next((j for j, c in enumerate(chains) if c.chain_id == chain.chain_id), None)
        if other is not None:
            raise r.fail(f"chain id {chain.chain_id} is pinned twice (also chains[{other}])",
                         f"chains[{i}].chain_id")
        chains.append(chain)

    chain_ids = {c.chain_id for c in chains}
    registries: list[RegistryPin] = []
    for i, entry in enumerate(r.tables(top["registries"], "registries", limit=MAX_REGISTRIES)):
        reg = _registry(r, entry, f"registries[{i}]", demonstration=demonstration,
                        chain_ids=chain_ids)
        other = next((j for j, g in enumerate(registries)
                      if (g.chain_id, g.contract) == (reg.chain_id, reg.contract)), None)
        if other is not None:
            raise r.fail(f"registry {reg.contract} on chain {reg.chain_id} is listed twice "
                         f"(also registries[{other}])", f"registries[{i}].contract")
        registries.append(reg)

    operators = _operators(r, top["operators"],
                           from_registry=any(g.operators_from_registry for g in registries))

    tsas: tuple[TsaPin, ...] = ()
    if "timestamp_authorities" in top:
        tsas = parse_timestamp_authorities(r, top["timestamp_authorities"])

    profile = TrustProfile(
        version=version, name=name, publisher=publisher, description=description,
        expires=expires, demonstration=demonstration, chains=tuple(chains),
        registries=tuple(registries), operators=operators, source=shown,
        sha256=hashlib.sha256(raw).hexdigest(), timestamp_authorities=tsas,
    )
    moment = _now(now)
    if expires <= moment:
        raise InputError(f"{shown}: the trust profile expired on {_stamp(expires)}; ask its "
                         "publisher for a current one")
    return profile


def _operators(r: _Reader, value: object, *, from_registry: bool) -> tuple[OperatorPin, ...]:
    """The ``[[operators]]`` entries: ids unique, each witness address run by one operator.

    An empty list is accepted only when a registry trusts its own labels (a demonstration):
    otherwise nothing could ever be presumed authentic under the profile.
    """
    if isinstance(value, list) and not value:
        if from_registry:
            return ()
        raise r.fail("names no operator: nothing could be presumed authentic under this "
                     "profile", "operators")
    operators: list[OperatorPin] = []
    ids: dict[str, int] = {}
    owners: dict[str, str] = {}  # lower-case address -> key path of its first listing
    for i, entry in enumerate(r.tables(value, "operators", limit=MAX_OPERATORS)):
        op = _operator(r, entry, f"operators[{i}]")
        if op.id in ids:
            raise r.fail(f"operator id {op.id} is listed twice (also operators[{ids[op.id]}])",
                         f"operators[{i}].id")
        ids[op.id] = i
        for k, w in enumerate(op.witnesses):
            key = w.address.lower()
            if key in owners:
                raise r.fail(f"witness {w.address} is listed twice (also {owners[key]}): one "
                             "address belongs to one operator, with one period",
                             f"operators[{i}].witnesses[{k}].address")
            owners[key] = f"operators[{i}].witnesses[{k}]"
        operators.append(op)
    return tuple(operators)


def _now(now: datetime | None) -> datetime:
    if now is None:
        return datetime.now(UTC)
    if now.tzinfo is None:
        raise ValueError("now must carry a time zone")
    return now.astimezone(UTC)


def _stamp(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# --------------------------------------------------------------------------- files


def _read_profile(path: Path) -> bytes:
    try:
        with path.open("rb") as fh:
            raw = fh.read(MAX_PROFILE_BYTES + 1)
    except OSError as exc:
        raise InputError(f"cannot read trust profile {path}: {exc.strerror or exc}") from exc
    if len(raw) > MAX_PROFILE_BYTES:
        raise FormatError(f"larger than {MAX_PROFILE_BYTES} bytes: not a trust profile",
                          path=str(path))
    return raw


def load_trust_profile(path: Path, *, publisher_keys: Sequence[str] = (),
                       require_signature: bool = False, now: datetime | None = None,
                       source: str | None = None) -> TrustProfile:
    """Read and check the trust profile at ``path``, and its signature ``<path>.sig``.

    ``publisher_keys`` are the publisher keys the verifier pins, each a fingerprint
    (``sha256:`` + 32 hex digits) or the path of a key file. When any are pinned, or when
    ``require_signature``, a signature must exist; when pinned, it must be by one of them.
    An existing signature that does not verify is always refused, never ignored.
    ``source`` (default: the path) says where the profile came from in reports.

    Raises InputError naming the file (and the signing key's fingerprint when there is
    one) for an unreadable, expired or badly signed profile, and FormatError for a
    malformed profile or signature file.
    """
    path = Path(path)
    shown = str(path)
    keys = (publisher_keys,) if isinstance(publisher_keys, str) else tuple(publisher_keys)
    pinned = resolve_publisher_keys(keys)
    raw = _read_profile(path)
    sig_file = signature_path(path)
    signature = None
    if os.path.lexists(sig_file):
        signature = verify_profile_signature(raw, read_signature_file(sig_file), shown=shown,
                                             sig_shown=str(sig_file))
    elif pinned:
        raise InputError(f"{shown}: not signed ({sig_file} is missing) but publisher key "
                         f"{', '.join(sorted(pinned))} is pinned; get the signature from the "
                         "profile's publisher")
    elif require_signature:
        raise InputError(f"{shown}: not signed ({sig_file} is missing); a signed profile is "
                         "required")
    if signature is not None and pinned:
        if signature.fingerprint not in pinned:
            raise InputError(f"{shown}: signed by {signature.fingerprint}, which is not the "
                             f"pinned publisher key ({', '.join(sorted(pinned))})")
        signature = dc_replace(signature, pinned=True)
    profile = parse_trust_profile(raw, shown=shown, now=now)
    return dc_replace(profile, source=source or shown, signature=signature)


def sign_trust_profile(path: Path, key: SigningKey, *, out: Path | None = None,
                       replace: bool = False, now: datetime | None = None) -> Path:
    """Sign the profile at ``path`` with the publisher's ``key``; return the ``.sig`` path.

    The profile is checked first: a malformed, drafted or expired profile is never signed.
    The signature is written atomically to ``out`` (default ``<path>.sig``); an existing
    file is replaced only with ``replace=True`` (InputError otherwise).
    """
    path = Path(path)
    raw = _read_profile(path)
    parse_trust_profile(raw, shown=str(path), now=now)
    target = signature_path(path) if out is None else Path(out)
    data = make_profile_signature(raw, key, signed_at=_now(now))
    try:
        atomic_write_bytes(target, data, overwrite=replace)
    except FileExistsError as exc:
        raise InputError(f"{target} exists already; sign again with replace "
                         "(evidence trust sign --replace) to replace it") from exc
    except OSError as exc:
        raise InputError(f"cannot write {target}: {exc.strerror or exc}") from exc
    return target


def default_profile_path() -> Path:
    """The verifier's own trust profile: ``$XDG_CONFIG_HOME/evidence/trust.toml``, else
    ``~/.config/evidence/trust.toml`` (a relative XDG_CONFIG_HOME is ignored, as the XDG
    Base Directory Specification says)."""
    base = os.environ.get("XDG_CONFIG_HOME", "")
    root = Path(base) if base and Path(base).is_absolute() else Path.home() / ".config"
    return root / "evidence" / "trust.toml"


# --------------------------------------------------------------------------- writing


def _toml_str(text: str) -> str:
    """``text`` as a TOML basic string (TOML 1.0, "String"): backslash, quote and every
    control character escaped."""
    out = ['"']
    for ch in text:
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif ch in _SHORT_ESCAPES:
            out.append(_SHORT_ESCAPES[ch])
        elif unicodedata.category(ch) == "Cc":
            out.append(f"\\u{ord(ch):04X}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


_SHORT_ESCAPES = {"\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r"}


def _toml_comment(text: str) -> str:
    """``text`` made safe for a TOML comment: control and format characters shown as
    ``U+XXXX``."""
    return "".join(f"U+{ord(ch):04X}" if unicodedata.category(ch) in ("Cc", "Cf") else ch
                   for ch in text)


def _unix_stamp(unix_time: int) -> str:
    return _stamp(datetime.fromtimestamp(unix_time, UTC))


_DEMO_DESCRIPTION = ("Demonstration profile for a development chain: no evidential value "
                     "(one party controls the chain, the registry and the witnesses).")


def write_demo_profile(path: Path, *, chain_id: int, genesis_hash: bytes, contract: str,
                       registrar: str, operators: Sequence[tuple[str, str, str, str]] = (),
                       name: str = "workspace-demonstration", now: datetime | None = None,
                       replace: bool = False) -> Path:
    """Write a demonstration profile for a development chain and return ``path``.

    The profile has ``demonstration = true``, the chain ``development = true`` and
    ``min_blocks_on_top = 0``, the registry ``operators_from_registry = true``, and one
    ``[[operators]]`` entry per operator id in ``operators`` (each
    ``(id, name, jurisdiction, witness address)``; an id given several times gets several
    witnesses), valid from a day before ``now``; it expires ten years after ``now``. A
    header comment says it has no evidential value. The text is checked with
    :func:`parse_trust_profile` before it is written (atomically; an existing file is
    replaced only with ``replace=True``, InputError otherwise).
    """
    moment = _now(now).replace(microsecond=0)
    grouped: dict[str, tuple[str, str, list[str]]] = {}
    for op_id, op_name, jurisdiction, address in operators:
        if op_id in grouped and grouped[op_id][:2] != (op_name, jurisdiction):
            raise InputError(f"operator {op_id} is given with two names or jurisdictions")
        grouped.setdefault(op_id, (op_name, jurisdiction, []))[2].append(address)
    chain_name = ("Embedded development chain" if chain_id == EMBEDDED_CHAIN_ID
                  else f"Development chain {chain_id}")
    lines = [
        "# A DEMONSTRATION trust profile, written by evidence for a development chain.",
        "# It has NO evidential value: one party controls the chain, the registry and the",
        "# witnesses. Every verdict under it says \"demonstration\". A court uses its own",
        "# profile (docs/trust.md).",
        "",
        f"version = {PROFILE_VERSION}",
        f"name = {_toml_str(name)}",
        f"description = {_toml_str(_DEMO_DESCRIPTION)}",
        f"expires = {_stamp(moment + DEMO_VALIDITY)}",
        "demonstration = true",
    ]
    if not grouped:
        lines.append("operators = []  # the registry's own labels are used (a demonstration)")
    lines += [
        "",
        "[[chains]]",
        f"chain_id = {chain_id}",
        f"name = {_toml_str(chain_name)}",
        f"genesis_hash = \"0x{genesis_hash.hex()}\"",
        "min_blocks_on_top = 0",
        "development = true",
        "",
        "[[registries]]",
        f"chain_id = {chain_id}",
        f"contract = {_toml_str(contract)}",
        f"registrar = {_toml_str(registrar)}",
        "operators_from_registry = true",
    ]
    valid_from = _stamp(moment - timedelta(days=1))
    for op_id, (op_name, jurisdiction, addresses) in grouped.items():
        lines += ["", "[[operators]]", f"id = {_toml_str(op_id)}", f"name = {_toml_str(op_name)}",
                  f"jurisdiction = {_toml_str(jurisdiction)}",
                  'source = "demonstration: registered by this workspace, not checked"',
                  "witnesses = ["]
        lines += [f"  {{ address = {_toml_str(a)}, from = {valid_from} }}," for a in addresses]
        lines.append("]")
    text = "\n".join(lines) + "\n"
    path = Path(path)
    parse_trust_profile(text.encode("utf-8"), shown=str(path), now=moment)
    try:
        atomic_write_bytes(path, text.encode("utf-8"), overwrite=replace)
    except FileExistsError as exc:
        raise InputError(f"{path} exists already; it is replaced only when asked") from exc
    except OSError as exc:
        raise InputError(f"cannot write {path}: {exc.strerror or exc}") from exc
    return path


class WitnessLike(Protocol):
    """A registered witness as the registry records it (times are unix seconds), e.g.
    :class:`evidence.chain.light.WitnessRecord`."""

    @property
    def account(self) -> str: ...
    @property
    def jurisdiction(self) -> str: ...
    @property
    def operator(self) -> str: ...
    @property
    def registered_at(self) -> int: ...
    @property
    def revoked_at(self) -> int | None: ...


def draft_profile_toml(*, chain_id: int, genesis_hash: bytes, contract: str, registrar: str,
                       witnesses: Sequence[WitnessLike], chain_name: str,
                       now: datetime) -> str:
    """The text of a draft profile for a person to review, from a registry's witnesses.

    Witnesses are grouped by the registry's operator name (compared as
    :func:`evidence.trust.names.normalize_name` compares names); each group becomes an
    ``[[operators]]`` entry with ``id = "REVIEW-n"``, an empty ``source``, and comments
    saying that the name and jurisdiction are the registry's own labels and must be checked.
    A revoked witness gets ``until`` = its revocation time. The draft starts with
    ``draft = true`` and does not load until that line is deleted, every REVIEW id replaced
    and every source filled in.
    """
    moment = _now(now).replace(microsecond=0)
    development = chain_id in DEVELOPMENT_CHAIN_IDS
    lines = [
        "# A DRAFT trust profile, written by `evidence trust draft` from the registry's",
        "# own records. The registry's operator names and jurisdictions are labels chosen by",
        "# whoever registered the witnesses: they prove nothing. Before using this profile,",
        "# check who runs each witness (a commercial register, an LEI record, the operator",
        "# itself), give each operator its stable identifier, legal name, jurisdiction and",
        "# the source you checked, remove the witnesses you do not trust, then delete the",
        "# next line. docs/trust.md explains every key.",
        "draft = true",
        "",
        f"version = {PROFILE_VERSION}",
        'name = "draft"  # choose a name: lowercase letters, digits, . _ -',
        '# publisher = "Your court or organisation"',
        f"expires = {_stamp(moment + DRAFT_VALIDITY)}  # choose",
    ]
    if development:
        lines.append("demonstration = true  # a development chain: never evidence")
    groups: dict[str, list[WitnessLike]] = {}
    for w in witnesses:
        groups.setdefault(normalize_name(w.operator) or w.operator, []).append(w)
    if not groups:
        lines.append("operators = []  # the registry lists no witnesses")
    lines += [
        "",
        "[[chains]]",
        f"chain_id = {chain_id}",
        f"name = {_toml_str(chain_name)}",
        f"genesis_hash = \"0x{genesis_hash.hex()}\"  # check it against a node you trust",
        "# min_blocks_on_top = 12  # the chain's finality depth",
        "# min_nodes = 2           # how many nodes of your choosing must agree",
        '# nodes = ["https://node.example.org:8545"]',
    ]
    if development:
        lines.append("development = true")
    lines += [
        "",
        "[[registries]]",
        f"chain_id = {chain_id}",
        f"contract = {_toml_str(contract)}",
        f"registrar = {_toml_str(registrar)}  # check: the registry's owner",
    ]
    for n, members in enumerate(groups.values(), start=1):
        label = members[0].operator
        codes = sorted({w.jurisdiction for w in members})
        lines += [
            "",
            "[[operators]]",
            f'id = "{DRAFT_ID_PREFIX}{n}"  # REPLACE with a stable identifier, e.g. '
            "LEI:5493001KJTIIGC8Y1R12",
            f"name = {_toml_str(label)}  # the registry's own label: CHECK the legal name",
        ]
        spellings = sorted({w.operator for w in members} - {label})
        if spellings:
            also = "; ".join(_toml_str(x) for x in spellings)
            lines.append(f"# the registry also spells this operator {_toml_comment(also)}")
        reason = check_display_text(label)
        if reason is not None:
            lines.append(f"# the registry's label {_toml_comment(reason)}: write the name "
                         "as the operator's register spells it")
        jurisdiction_note = "the registry's own label: CHECK where the operator is"
        if len(codes) > 1:
            jurisdiction_note += (f" (the registry labels its witnesses {', '.join(codes)}; "
                                  "an operator has one jurisdiction)")
        lines += [
            f"jurisdiction = {_toml_str(codes[0])}  # {_toml_comment(jurisdiction_note)}",
            'source = ""  # FILL IN: where you checked who this operator is',
            "witnesses = [",
        ]
        for w in members:
            until = "" if w.revoked_at is None else f", until = {_unix_stamp(w.revoked_at)}"
            note = f"registry: {w.jurisdiction}, {'revoked' if w.revoked_at else 'active'}"
            lines.append(f"  {{ address = {_toml_str(w.account)}, "
                         f"from = {_unix_stamp(w.registered_at)}{until} }},  "
                         f"# {_toml_comment(note)}")
        lines.append("]")
    return "\n".join(lines) + "\n"
