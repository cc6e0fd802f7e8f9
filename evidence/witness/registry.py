"""Witness keys and the on-chain witness registry (the registrar's side).

The registrar registers a witness (address, jurisdiction as ISO 3166-1 alpha-2, operator
name) in the EvidenceAnchor contract, and may revoke it from a given time; anyone lists
them. Also the small parsers the witness commands share (roots, times, addresses, codes).

How it fails: :class:`InputError` (bad address, code, time, file), :class:`ChainError` /
:class:`TransactionError` (not the registrar, no gas, node unreachable), each one line.
Private keys and passphrases never appear in a message.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import ChainError, InputError, TransactionError
from ..workspace import Workspace

if TYPE_CHECKING:
    from eth_account.signers.local import LocalAccount

    from ..chain.contract import AnchorContract, WitnessRecord

__all__ = [
    "LIGHT_SCRYPT_N",
    "MAX_OPERATOR_LENGTH",
    "WITNESS_FUNDING_WEI",
    "WitnessInfo",
    "add_witness",
    "generate_witness_key",
    "list_witnesses",
    "load_witness_key",
    "parse_address",
    "parse_jurisdiction",
    "parse_root",
    "parse_time",
    "revoke_witness",
    "utc_stamp",
    "workspace_account",
]


#: Longest operator name: it is stored on chain and printed on one line in reports.
MAX_OPERATOR_LENGTH = 200


#: Ether given to a witness by ``add --fund`` on a development chain: 1 ether pays for
#: thousands of ``confirm`` transactions (about 60,000 gas each) at development gas prices.
WITNESS_FUNDING_WEI = 10**18


#: scrypt work factor for ``keygen --light-kdf`` (geth's ``--lightkdf`` value, 2**12): for
#: throwaway keys on development chains, unlocked in a few milliseconds.
LIGHT_SCRYPT_N = 2**12


_ROOT_HEX_DIGITS = 64


def parse_root(text: str) -> bytes | None:
    """``0x`` followed by 64 hex digits as 32 bytes; None when ``text`` is not of that form."""
    if not text.lower().startswith("0x") or len(text) != 2 + _ROOT_HEX_DIGITS:
        return None
    try:
        return bytes.fromhex(text[2:])
    except ValueError:
        return None


def parse_time(text: str) -> int:
    """A Unix time (seconds) or an ISO 8601 time with a zone (``2026-03-01T12:00:00Z``).

    Raises :class:`InputError` for anything else, including an ISO time without a zone
    (which would silently depend on the local time zone).
    """
    value = text.strip()
    if value.isdigit():
        return int(value)
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError as exc:
        raise InputError(f"{text!r} is not a Unix time or an ISO 8601 time") from exc
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        raise InputError(f"{text!r} has no time zone; add one, e.g. {value}Z for UTC")
    seconds = int(parsed.timestamp())
    if seconds < 0:
        raise InputError(f"{text!r} is before 1970")
    return seconds


def parse_address(text: str) -> str:
    from eth_utils.address import is_address, to_checksum_address

    if not is_address(text):
        raise InputError(f"{text!r} is not an Ethereum address (0x and 40 hex digits)")
    return str(to_checksum_address(text))


def parse_jurisdiction(code: str) -> str:
    from ..jurisdictions import country_name, is_iso2

    upper = code.strip().upper()
    if not is_iso2(upper) or country_name(upper) == upper:
        raise InputError(f"{code!r} is not an ISO 3166-1 alpha-2 country code (e.g. DE, CN, SG)")
    return upper


def utc_stamp(seconds: int | None) -> str | None:
    if seconds is None:
        return None
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def generate_witness_key(path: Path, passphrase: str, *, light_kdf: bool = False) -> str:
    """Create a witness key as an encrypted v3 keystore at ``path``; return its address.

    ``light_kdf`` uses :data:`LIGHT_SCRYPT_N` (development chains only). Raises
    :class:`InputError` if ``path`` exists, :class:`KeyFileError` for an empty passphrase.
    """
    from ..chain.accounts import KEYSTORE_SCRYPT_N, create_keystore

    return create_keystore(path, passphrase,
                           scrypt_n=LIGHT_SCRYPT_N if light_kdf else KEYSTORE_SCRYPT_N)


def load_witness_key(path: Path, passphrase: str) -> LocalAccount:
    from ..chain.accounts import load_account

    return load_account(path, passphrase)


@dataclass(frozen=True)
class WitnessInfo:
    """One registered witness, with its jurisdiction's name and Hague Convention status.

    ``hague_party`` says whether the jurisdiction is listed as a Contracting Party of the
    1970 Hague Evidence Convention in the shipped list (not whether it was in force at a
    given time: the verifier judges that per confirmation).
    """

    address: str
    jurisdiction: str
    jurisdiction_name: str
    hague_party: bool
    operator: str
    registered_at: int
    revoked_at: int | None

    def to_json(self) -> dict[str, object]:
        return {"address": self.address, "jurisdiction": self.jurisdiction,
                "jurisdiction_name": self.jurisdiction_name, "hague_party": self.hague_party,
                "operator": self.operator, "registered_at": self.registered_at,
                "registered": utc_stamp(self.registered_at), "revoked_at": self.revoked_at,
                "revoked": utc_stamp(self.revoked_at)}


def _info(record: WitnessRecord) -> WitnessInfo:
    from ..jurisdictions import country_name, is_iso2, load_default_parties

    code = record.jurisdiction
    name = country_name(code) if is_iso2(code) else code
    party = is_iso2(code) and load_default_parties().lookup(code) is not None
    return WitnessInfo(record.account, code, name, party, record.operator,
                       record.registered_at, record.revoked_at)


#: Reverts of the registry functions, as one actionable line each.
_REGISTRY_ERRORS: Mapping[str, str] = {
    "OwnableUnauthorizedAccount": "only the registrar {registrar} can {verb} witnesses; this "
                                  "workspace's account is {account}",
    "EvidenceAnchor__WitnessExists": "{witness} is registered already (addresses are never "
                                     "reused; make a new key with `evidence witness keygen`)",
    "EvidenceAnchor__NotAWitness": "{witness} is not a registered witness",
    "EvidenceAnchor__WitnessAlreadyRevoked": "{witness} is revoked already",
    "EvidenceAnchor__InvalidRevocationTime": "the revocation time is before {witness} was "
                                             "registered; give a later --at",
    "EvidenceAnchor__InvalidJurisdiction": "the contract refused the jurisdiction code",
    "EvidenceAnchor__EmptyOperator": "the operator name is empty",
    "EvidenceAnchor__ZeroAddress": "the zero address cannot be a witness",
}


@contextlib.contextmanager
def _registry_errors(contract: AnchorContract, account: LocalAccount, witness: str,
                     verb: str) -> Iterator[None]:
    try:
        yield
    except TransactionError as exc:
        template = _REGISTRY_ERRORS.get(exc.error_name or "")
        if template is None:
            raise
        registrar = contract.registrar() if "{registrar}" in template else ""
        raise TransactionError(
            template.format(registrar=registrar, verb=verb, account=account.address,
                            witness=witness),
            error_name=exc.error_name) from exc


def add_witness(ws: Workspace, passphrase: str, address: str, *, jurisdiction: str,
                operator: str, fund: bool = False) -> WitnessInfo:
    """Register ``address`` as a witness, sent by the workspace account (the registrar).

    ``fund`` also gives the witness :data:`WITNESS_FUNDING_WEI` for gas, on a development
    chain only. Raises :class:`InputError` for a malformed address, code or operator name,
    :class:`TransactionError` for a non-registrar account or an existing witness.
    """
    from ..workspace_chain import open_workspace_chain, open_workspace_contract

    witness = parse_address(address)
    code = parse_jurisdiction(jurisdiction)
    name = operator.strip()
    if not name or len(name) > MAX_OPERATOR_LENGTH:
        raise InputError(f"--operator must be 1 to {MAX_OPERATOR_LENGTH} characters")
    with open_workspace_chain(ws) as chain:
        if fund and not chain.is_development:
            raise InputError(f"--fund works on development chains only, not {chain.description}")
        contract = open_workspace_contract(ws, chain)
        account = workspace_account(ws, passphrase)
        with _registry_errors(contract, account, witness, "add"):
            contract.add_witness(witness, code, name, account)
        if fund:
            chain.fund(witness, WITNESS_FUNDING_WEI)
        record = contract.witness_of(witness)
    if record is None:  # pragma: no cover - the transaction succeeded
        raise ChainError(f"{witness} is not visible as a witness after its registration")
    return _info(record)


def revoke_witness(ws: Workspace, passphrase: str, address: str, *,
                   effective_at: int | None = None) -> WitnessInfo:
    """Revoke ``address`` from ``effective_at`` (Unix time; None: the block time).

    Raises :class:`TransactionError` for a non-registrar account, an unknown or already
    revoked witness, or a time before the registration.
    """
    from ..workspace_chain import open_workspace_chain, open_workspace_contract

    witness = parse_address(address)
    if effective_at is not None and not 0 < effective_at < 2**64:
        raise InputError(f"revocation time {effective_at} is out of range")
    with open_workspace_chain(ws) as chain:
        contract = open_workspace_contract(ws, chain)
        account = workspace_account(ws, passphrase)
        with _registry_errors(contract, account, witness, "revoke"):
            contract.revoke_witness(witness, effective_at or 0, account)
        record = contract.witness_of(witness)
    if record is None:  # pragma: no cover - the transaction succeeded
        raise ChainError(f"{witness} is not visible as a witness after its revocation")
    return _info(record)


def list_witnesses(ws: Workspace) -> list[WitnessInfo]:
    """Every witness ever registered (revoked ones included), in registration order."""
    from ..workspace_chain import open_workspace_chain, open_workspace_contract

    with open_workspace_chain(ws) as chain:
        contract = open_workspace_contract(ws, chain)
        return [_info(r) for r in contract.witnesses()]


def workspace_account(ws: Workspace, passphrase: str) -> LocalAccount:
    return load_witness_key(ws.path(ws.chain.account_keystore), passphrase)
