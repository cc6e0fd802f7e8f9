"""Witness nodes: keys, registration, confirmations, and the ``witness serve`` daemon.

A witness is an Ethereum account registered in the EvidenceAnchor contract by the
registrar, with a jurisdiction (ISO 3166-1 alpha-2) and an operator name
(docs/architecture.md, step 5). It watches new anchors, compares each anchor's block time
with its own clock, and confirms the root: by its own ``confirm(root)`` transaction, or
by an EIP-712 signature over ``Confirmation(root, witness, observedAt)`` that anyone
relays with ``confirmBySignature`` (EIP-712; domain bound to the chain id and contract).

The clock check (:func:`check_skew`). ``ahead = block time - witness clock``. The anchor
is refused when ``ahead > max_skew``: a block time in the witness's future, beyond what
unsynchronised clocks explain, means the block producer stamped the block with a time
that has not come yet, and confirming it would lend the witness's name to that time.
An anchor in the witness's past is always accepted: a witness that was offline confirms
late, and the chain records when (``confirmedAt`` for a transaction, ``observedAt`` for
a signature), so a verifier sees the delay.

The daemon (:func:`serve`) follows ``Anchored`` events from the block after the last one
it processed, in ranges of :data:`LOG_RANGE_BLOCKS`, confirms every root it has not
confirmed yet (``confirmationOf``), and saves its position atomically in a state file
after each range, so that a restart resumes where it stopped and a root handled twice is
skipped. Within a range it works in batches of :data:`CONFIRM_BATCH` anchors: the
registration is read once, every root is checked (confirmed already, clock skew), the
confirmations are sent with consecutive nonces without waiting, and the batch counts as
done only when the last is mined and each one's ``Confirmed`` event is found; the saved
position never passes an anchor whose confirmation is not mined. A node that goes away
is retried with a growing delay; a stop request (:class:`threading.Event`, set by the
caller's signal handlers) is honoured between two batches.

How it fails: :class:`InputError` (bad address, code, time, file), :class:`ClockSkewError`
(an anchor beyond the allowed skew), :class:`ChainError` / :class:`TransactionError`
(not the registrar, not a witness, revoked, no gas, node unreachable), each one line.
Private keys and passphrases never appear in a message or a log line.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from ..bundle.custody import utc_now
from ..bundle.layout import read_json_file
from ..bundle.receipts import read_receipts
from ..errors import ChainError, FormatError, InputError, TransactionError
from ..fsutil import atomic_write_bytes
from ..workspace import Workspace

if TYPE_CHECKING:
    from eth_account.signers.local import LocalAccount

    from ..chain.backend import ChainClient
    from ..chain.contract import AnchorContract, AnchoredEvent, WitnessRecord

__all__ = [
    "CONFIRM_BATCH",
    "DEFAULT_POLL_S",
    "LIGHT_SCRYPT_N",
    "LOG_RANGE_BLOCKS",
    "MAX_BACKOFF_S",
    "MAX_OPERATOR_LENGTH",
    "MAX_SKEW_LIMIT_S",
    "SIGNATURE_VERSION",
    "STATE_DIR",
    "STATE_SAVE_INTERVAL_S",
    "STATE_VERSION",
    "WITNESS_FUNDING_WEI",
    "ClockSkewError",
    "ConfirmOutcome",
    "RelayOutcome",
    "ServeState",
    "ServeSummary",
    "SignedConfirmation",
    "WitnessInfo",
    "add_witness",
    "check_skew",
    "confirm_root",
    "default_state_path",
    "generate_witness_key",
    "list_witnesses",
    "load_state",
    "parse_root",
    "parse_time",
    "relay_signatures",
    "resolve_roots",
    "revoke_witness",
    "save_state",
    "serve",
    "sign_root",
]

#: Blocks per ``eth_getLogs`` query. Public providers cap a query at 1,000-10,000 blocks or
#: 10,000 results; 2,000 blocks stays under the common caps and still scans a day of
#: Ethereum mainnet (7,200 blocks) in four requests.
LOG_RANGE_BLOCKS = 2000

#: Confirmations sent one after the other (consecutive nonces) before waiting for them:
#: geth keeps 16 executable transactions per sender in its pool whatever the load
#: (``--txpool.accountslots``), so a batch is never pushed out; 16 also spreads one gas
#: estimate, one nonce and one fee lookup, and one state save over 16 anchors.
CONFIRM_BATCH = 16

#: Longest time between two state saves inside a block range, in seconds. The state is
#: saved (fsync) at the end of each range and, inside a long range, at most this often:
#: a crash then costs at most this much re-reading (roots already confirmed are skipped),
#: while a save per batch would cost a disk flush every few anchors.
STATE_SAVE_INTERVAL_S = 1.0

#: Default seconds between two looks at the chain: about one block on most networks.
DEFAULT_POLL_S = 5.0

#: Longest wait between retries while the node is away: a restarted node is noticed
#: within a minute, and a long outage costs one log line a minute.
MAX_BACKOFF_S = 60.0

#: Largest skew accepted as a setting: NTP keeps clocks within a second; an hour or more
#: is a wrong clock or time zone, which a larger setting would hide.
MAX_SKEW_LIMIT_S = 3600

#: Longest operator name: it is stored on chain and printed on one line in reports.
MAX_OPERATOR_LENGTH = 200

#: Ether given to a witness by ``add --fund`` on a development chain: 1 ether pays for
#: thousands of ``confirm`` transactions (about 60,000 gas each) at development gas prices.
WITNESS_FUNDING_WEI = 10**18

#: scrypt work factor for ``keygen --light-kdf`` (geth's ``--lightkdf`` value, 2**12): for
#: throwaway keys on development chains, unlocked in a few milliseconds.
LIGHT_SCRYPT_N = 2**12

#: Folder (in the workspace) holding each daemon's state file.
STATE_DIR = "witness-state"

#: Format versions of the daemon's state file and of a signed confirmation file.
STATE_VERSION = 1
SIGNATURE_VERSION = 1

_ROOT_HEX_DIGITS = 64

Clock = Callable[[], float]
Log = Callable[[str], None]


class ClockSkewError(InputError):
    """The anchor's block time lies further in the witness's future than the allowed skew."""


# -- small parsers ----------------------------------------------------------------------


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


def _address(text: str) -> str:
    from eth_utils.address import is_address, to_checksum_address

    if not is_address(text):
        raise InputError(f"{text!r} is not an Ethereum address (0x and 40 hex digits)")
    return str(to_checksum_address(text))


def _jurisdiction(code: str) -> str:
    from ..jurisdictions import country_name, is_iso2

    upper = code.strip().upper()
    if not is_iso2(upper) or country_name(upper) == upper:
        raise InputError(f"{code!r} is not an ISO 3166-1 alpha-2 country code (e.g. DE, CN, SG)")
    return upper


def _stamp(seconds: int | None) -> str | None:
    if seconds is None:
        return None
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# -- keys -----------------------------------------------------------------------------------


def generate_witness_key(path: Path, passphrase: str, *, light_kdf: bool = False) -> str:
    """Create a witness key as an encrypted v3 keystore at ``path``; return its address.

    ``light_kdf`` uses :data:`LIGHT_SCRYPT_N` (development chains only). Raises
    :class:`InputError` if ``path`` exists, :class:`KeyFileError` for an empty passphrase.
    """
    from ..chain.accounts import KEYSTORE_SCRYPT_N, create_keystore

    return create_keystore(path, passphrase,
                           scrypt_n=LIGHT_SCRYPT_N if light_kdf else KEYSTORE_SCRYPT_N)


def _load_key(path: Path, passphrase: str) -> LocalAccount:
    from ..chain.accounts import load_account

    return load_account(path, passphrase)


# -- the registry (registrar side) -------------------------------------------------------


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
                "registered": _stamp(self.registered_at), "revoked_at": self.revoked_at,
                "revoked": _stamp(self.revoked_at)}


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

    witness = _address(address)
    code = _jurisdiction(jurisdiction)
    name = operator.strip()
    if not name or len(name) > MAX_OPERATOR_LENGTH:
        raise InputError(f"--operator must be 1 to {MAX_OPERATOR_LENGTH} characters")
    with open_workspace_chain(ws) as chain:
        if fund and not chain.is_development:
            raise InputError(f"--fund works on development chains only, not {chain.description}")
        contract = open_workspace_contract(ws, chain)
        account = _workspace_account(ws, passphrase)
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

    witness = _address(address)
    if effective_at is not None and not 0 < effective_at < 2**64:
        raise InputError(f"revocation time {effective_at} is out of range")
    with open_workspace_chain(ws) as chain:
        contract = open_workspace_contract(ws, chain)
        account = _workspace_account(ws, passphrase)
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


def _workspace_account(ws: Workspace, passphrase: str) -> LocalAccount:
    return _load_key(ws.path(ws.chain.account_keystore), passphrase)


# -- roots ----------------------------------------------------------------------------------


def resolve_roots(ws: Workspace, root_or_bundle: str) -> list[bytes]:
    """The batch root(s) to confirm: ``0x`` + 64 hex digits, or a bundle folder whose
    receipts for the workspace's chain and contract name the batch root.

    Raises :class:`InputError` for anything else, or a bundle anchored elsewhere or not yet.
    """
    root = parse_root(root_or_bundle)
    if root is not None:
        return [root]
    path = Path(root_or_bundle)
    if not path.is_dir():
        raise InputError(f"{root_or_bundle!r} is neither a batch root (0x and 64 hex digits) "
                         "nor a bundle folder")
    contract = (ws.chain.contract or "").lower()
    roots: list[bytes] = []
    for receipt in read_receipts(path):
        ours = receipt.chain_id == ws.chain.chain_id and receipt.contract.lower() == contract
        if ours and receipt.batch_root not in roots:
            roots.append(receipt.batch_root)
    if not roots:
        raise InputError(f"{path}: no receipt for chain {ws.chain.chain_id} and contract "
                         f"{ws.chain.contract}; anchor it first with `evidence anchor`")
    return roots


def check_skew(block_time: int, now: float, max_skew_s: int, *, root: bytes) -> int:
    """Return ``ahead = block_time - now`` (seconds; negative when the anchor is past).

    Raises :class:`ClockSkewError` when the anchor is more than ``max_skew_s`` in the
    witness's future (see the module docstring for why only that direction is refused).
    """
    ahead = int(block_time - now)
    if ahead > max_skew_s:
        raise ClockSkewError(
            f"anchor 0x{root.hex()} has block time {_stamp(block_time)}, {ahead} s ahead of "
            f"this witness's clock (allowed skew {max_skew_s} s); refused: check both clocks")
    return ahead


def _check_skew_setting(max_skew_s: int) -> None:
    if not 0 <= max_skew_s <= MAX_SKEW_LIMIT_S:
        raise InputError(f"the clock skew must be between 0 and {MAX_SKEW_LIMIT_S} seconds")


def _active_witness(contract: AnchorContract, address: str, now: float) -> WitnessRecord:
    record = contract.witness_of(address)
    if record is None:
        raise ChainError(f"{address} is not a registered witness of {contract.address}; the "
                         "registrar adds it with `evidence witness add`")
    if record.revoked_at is not None and record.revoked_at <= now:
        raise TransactionError(f"witness {address} was revoked from {_stamp(record.revoked_at)}",
                               error_name="EvidenceAnchor__WitnessRevoked")
    return record


def _anchor_time(contract: AnchorContract, root: bytes) -> int:
    record = contract.anchor_of(root)
    if record is None:
        raise ChainError(f"0x{root.hex()} is not anchored on {contract.chain.description} "
                         f"(contract {contract.address})")
    return record.timestamp


# -- direct confirmation ------------------------------------------------------------------


@dataclass(frozen=True)
class ConfirmOutcome:
    """What ``confirm`` did for one root: ``status`` is ``confirmed`` or ``already``."""

    root: bytes
    witness: str
    jurisdiction: str
    status: str
    anchor_time: int
    ahead_s: int
    transaction: str | None = None
    block_number: int | None = None


def _require_gas(chain: ChainClient, address: str) -> None:
    if chain.balance(address) == 0:
        hint = ("the registrar can run `evidence witness add --fund` on a development chain"
                if chain.is_development else "send it some ether")
        raise ChainError(f"witness {address} has no ether for gas on {chain.description}: "
                         f"{hint}, or use `evidence witness sign` and have it relayed")


def _confirm_one(contract: AnchorContract, account: LocalAccount, root: bytes,
                 max_skew_s: int, clock: Clock) -> ConfirmOutcome:
    """Confirm ``root`` as ``account`` unless done already (the core of confirm and serve)."""
    me = account.address
    now = clock()
    record = _active_witness(contract, me, now)
    anchor_time = _anchor_time(contract, root)
    ahead = int(anchor_time - now)
    if contract.confirmation_of(root, me) is not None:
        return ConfirmOutcome(root, me, record.jurisdiction, "already", anchor_time, ahead)
    ahead = check_skew(anchor_time, clock(), max_skew_s, root=root)
    _require_gas(contract.chain, me)
    try:
        receipt = contract.confirm(root, account)
    except TransactionError as exc:
        if exc.error_name == "EvidenceAnchor__AlreadyConfirmed":  # another run got there first
            return ConfirmOutcome(root, me, record.jurisdiction, "already", anchor_time, ahead)
        raise
    return ConfirmOutcome(root, me, record.jurisdiction, "confirmed", anchor_time, ahead,
                          "0x" + bytes(receipt["transactionHash"]).hex(),
                          int(receipt["blockNumber"]))


def confirm_root(ws: Workspace, root: bytes, key: Path, passphrase: str, *,
                 max_skew_s: int | None = None, clock: Clock = time.time) -> ConfirmOutcome:
    """Confirm ``root`` with the witness key at ``key`` by its own ``confirm`` transaction.

    ``max_skew_s`` defaults to the workspace's ``max_skew_seconds``. A root the witness
    confirmed already is reported (status ``already``) and nothing is sent. Raises
    :class:`ClockSkewError`, or :class:`ChainError` for an unknown root, a key that is not an
    active witness, or a witness without gas.
    """
    from ..workspace_chain import open_workspace_chain, open_workspace_contract

    skew = ws.chain.max_skew_seconds if max_skew_s is None else max_skew_s
    _check_skew_setting(skew)
    account = _load_key(key, passphrase)
    with open_workspace_chain(ws) as chain:
        contract = open_workspace_contract(ws, chain)
        return _confirm_one(contract, account, root, skew, clock)


# -- EIP-712 route --------------------------------------------------------------------------


@dataclass(frozen=True)
class SignedConfirmation:
    """A witness's EIP-712 confirmation, ready for anyone to relay (``witness relay``).

    The signature covers ``Confirmation(root, witness, observedAt)`` in the domain
    (``EvidenceAnchor``, ``1``, ``chain_id``, ``contract``) (EIP-712), so it is valid on that
    chain and contract only.
    """

    chain_id: int
    contract: str
    root: bytes
    witness: str
    observed_at: int
    signature: bytes
    version: int = SIGNATURE_VERSION

    def to_json(self) -> dict[str, object]:
        return {"version": self.version, "chain_id": self.chain_id, "contract": self.contract,
                "root": "0x" + self.root.hex(), "witness": self.witness,
                "observed_at": self.observed_at, "signature": "0x" + self.signature.hex()}

    def to_bytes(self) -> bytes:
        return (json.dumps(self.to_json(), indent=2) + "\n").encode("utf-8")

    @classmethod
    def from_json(cls, doc: object, *, where: str) -> SignedConfirmation:
        """Parse strictly: every field present and typed, nothing else, version 1.

        Raises :class:`FormatError` naming ``where``.
        """
        fields = {"version", "chain_id", "contract", "root", "witness", "observed_at",
                  "signature"}
        if not isinstance(doc, dict) or set(doc) != fields:
            raise FormatError(f"a signed confirmation has exactly the fields "
                              f"{', '.join(sorted(fields))}", path=where)
        if doc["version"] != SIGNATURE_VERSION:
            raise FormatError(f"unsupported version {doc['version']!r}", path=where)
        for name in ("chain_id", "observed_at"):
            if not isinstance(doc[name], int) or isinstance(doc[name], bool) or doc[name] < 0:
                raise FormatError(f"{name} must be a non-negative integer", path=where)
        root = parse_root(str(doc["root"]))
        if root is None:
            raise FormatError("root must be 0x and 64 hex digits", path=where)
        sig = str(doc["signature"])
        try:
            signature = bytes.fromhex(sig[2:]) if sig.startswith("0x") else b""
        except ValueError:
            signature = b""
        if len(signature) != 65:
            raise FormatError("signature must be 0x and 130 hex digits", path=where)
        try:
            contract, witness = _address(str(doc["contract"])), _address(str(doc["witness"]))
        except InputError as exc:
            raise FormatError(str(exc), path=where) from exc
        return cls(int(doc["chain_id"]), contract, root, witness, int(doc["observed_at"]),
                   signature)

    @classmethod
    def read(cls, path: Path) -> SignedConfirmation:
        """Read a signature file written by ``witness sign``."""
        return cls.from_json(read_json_file(path), where=str(path))


def sign_root(ws: Workspace, root: bytes, key: Path, passphrase: str, *,
              max_skew_s: int | None = None, clock: Clock = time.time) -> SignedConfirmation:
    """Sign an EIP-712 confirmation of ``root`` observed now (the witness's clock).

    Reads the anchor from the chain and applies the same skew check as
    :func:`confirm_root`; sends nothing. Raises :class:`ClockSkewError` or
    :class:`ChainError` (unknown root, not an active witness).
    """
    from ..chain.eip712 import sign_confirmation
    from ..workspace_chain import open_workspace_chain, open_workspace_contract

    skew = ws.chain.max_skew_seconds if max_skew_s is None else max_skew_s
    _check_skew_setting(skew)
    account = _load_key(key, passphrase)
    with open_workspace_chain(ws) as chain:
        contract = open_workspace_contract(ws, chain)
        now = clock()
        _active_witness(contract, account.address, now)
        check_skew(_anchor_time(contract, root), now, skew, root=root)
        observed_at = int(now)
        signature = sign_confirmation(bytes(account.key), chain.chain_id, contract.address,
                                      root, account.address, observed_at)
        return SignedConfirmation(chain.chain_id, contract.address, root, account.address,
                                  observed_at, signature)


@dataclass(frozen=True)
class RelayOutcome:
    """What ``relay`` did for one signature: ``status`` is ``confirmed`` or ``already``."""

    root: bytes
    witness: str
    status: str
    transaction: str | None = None


def relay_signatures(ws: Workspace, passphrase: str,
                     signatures: Sequence[SignedConfirmation]) -> list[RelayOutcome]:
    """Relay each signed confirmation with ``confirmBySignature`` from the workspace account.

    Each is checked first: same chain id and contract as the workspace, and the signature
    recovers to its witness (EIP-712). A confirmation already on chain is skipped. Raises
    :class:`InputError` for a signature made for another deployment or by another key, and
    :class:`TransactionError` when the contract refuses it.
    """
    from ..chain.eip712 import recover_confirmation_signer
    from ..workspace_chain import open_workspace_chain, open_workspace_contract

    out: list[RelayOutcome] = []
    with open_workspace_chain(ws) as chain:
        contract = open_workspace_contract(ws, chain)
        account = _workspace_account(ws, passphrase)
        for s in signatures:
            if s.chain_id != chain.chain_id or s.contract != contract.address:
                raise InputError(f"signature by {s.witness} is for chain {s.chain_id}, contract "
                                 f"{s.contract}; this workspace uses chain {chain.chain_id}, "
                                 f"contract {contract.address}")
            signer = recover_confirmation_signer(s.signature, s.chain_id, s.contract, s.root,
                                                 s.witness, s.observed_at)
            if signer != s.witness:
                raise InputError(f"signature for 0x{s.root.hex()} was made by {signer}, not by "
                                 f"witness {s.witness}")
            if contract.confirmation_of(s.root, s.witness) is not None:
                out.append(RelayOutcome(s.root, s.witness, "already"))
                continue
            receipt = contract.confirm_by_signature(s.root, s.witness, s.observed_at,
                                                    s.signature, account)
            out.append(RelayOutcome(s.root, s.witness, "confirmed",
                                    "0x" + bytes(receipt["transactionHash"]).hex()))
    return out


# -- the daemon ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ServeState:
    """The daemon's position, saved after each block range: the next block to read."""

    chain_id: int
    contract: str
    witness: str
    next_block: int
    confirmed: int = 0
    refused: int = 0
    updated_at: str = ""
    version: int = STATE_VERSION

    def to_json(self) -> dict[str, object]:
        return {"version": self.version, "chain_id": self.chain_id, "contract": self.contract,
                "witness": self.witness, "next_block": self.next_block,
                "confirmed": self.confirmed, "refused": self.refused,
                "updated_at": self.updated_at}

    @classmethod
    def from_json(cls, doc: object, *, where: str) -> ServeState:
        """Parse strictly; raises :class:`FormatError` naming ``where``."""
        fields = {"version", "chain_id", "contract", "witness", "next_block", "confirmed",
                  "refused", "updated_at"}
        if not isinstance(doc, dict) or set(doc) != fields:
            raise FormatError("not a witness state file (unexpected fields)", path=where)
        if doc["version"] != STATE_VERSION:
            raise FormatError(f"unsupported state version {doc['version']!r}", path=where)
        for name in ("chain_id", "next_block", "confirmed", "refused"):
            value = doc[name]
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise FormatError(f"{name} must be a non-negative integer", path=where)
        return cls(int(doc["chain_id"]), str(doc["contract"]), str(doc["witness"]),
                   int(doc["next_block"]), int(doc["confirmed"]), int(doc["refused"]),
                   str(doc["updated_at"]))


def default_state_path(ws: Workspace, witness: str) -> Path:
    """``<workspace>/witness-state/<address>.json``."""
    return ws.path(STATE_DIR) / f"{witness}.json"


def load_state(path: Path) -> ServeState | None:
    """The saved state, or None when ``path`` does not exist."""
    if not path.exists():
        return None
    return ServeState.from_json(read_json_file(path), where=str(path))


def save_state(path: Path, state: ServeState) -> None:
    """Write the state atomically (temporary file, fsync, rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    data = json.dumps(state.to_json(), indent=2) + "\n"
    atomic_write_bytes(path, data.encode("utf-8"))


@dataclass(frozen=True)
class ServeSummary:
    """What one ``serve`` run did."""

    witness: str
    state_path: Path
    next_block: int
    confirmed: int
    already: int
    refused: int


class _Stop(Exception):
    """Internal: a stop was requested between two batches."""


@contextlib.contextmanager
def _web3_errors(action: str) -> Iterator[None]:
    """Wrap what web3 and requests raise outside the chain client's own wrapping."""
    import requests
    from web3.exceptions import Web3Exception

    try:
        yield
    except (Web3Exception, requests.RequestException) as exc:
        raise ChainError(f"{action} failed: {' '.join(str(exc).split())[:200]}") from exc


class _Daemon:
    """One run of :func:`serve`; see there."""

    def __init__(self, ws: Workspace, account: LocalAccount, *, state_path: Path,
                 from_block: int, max_skew_s: int, stop: threading.Event, log: Log,
                 clock: Clock) -> None:
        self.ws = ws
        self.account = account
        self.state_path = state_path
        self.from_block = from_block
        self.max_skew_s = max_skew_s
        self.stop = stop
        self.log = log
        self.clock = clock
        self.state: ServeState | None = None
        self.already = 0
        self.saved_at = time.monotonic()
        self.waiting_for_registration = False
        self.chain: ChainClient | None = None
        self.contract: AnchorContract | None = None

    # -- connection and state --

    def connect(self) -> AnchorContract:
        from ..workspace_chain import open_workspace_chain, open_workspace_contract

        if self.contract is None:
            chain = open_workspace_chain(self.ws)
            try:
                self.contract = open_workspace_contract(self.ws, chain)
            except BaseException:
                chain.close()
                raise
            self.chain = chain
            self.log(f"watching {chain.description}, contract {self.contract.address}")
            self.state = self.initial_state(chain, self.contract)
        return self.contract

    def disconnect(self) -> None:
        chain, self.chain, self.contract = self.chain, None, None
        if chain is not None:
            with contextlib.suppress(Exception):
                chain.close()

    def initial_state(self, chain: ChainClient, contract: AnchorContract) -> ServeState:
        if self.state is not None:
            return self.state
        saved = load_state(self.state_path)
        if saved is None:
            self.log(f"no state at {self.state_path}; starting at block {self.from_block}")
            return ServeState(chain.chain_id, contract.address, self.account.address,
                              self.from_block)
        if (saved.chain_id, saved.contract, saved.witness) != (
                chain.chain_id, contract.address, self.account.address):
            raise InputError(f"{self.state_path} belongs to witness {saved.witness} on chain "
                             f"{saved.chain_id} ({saved.contract}); give another --state")
        self.log(f"resuming at block {saved.next_block} (state {self.state_path})")
        return saved

    def save(self, *, next_block: int | None = None, confirmed: int | None = None,
             refused: int | None = None) -> None:
        state = self.state
        if state is None:
            return
        self.state = replace(
            state, updated_at=utc_now(),
            next_block=state.next_block if next_block is None else next_block,
            confirmed=state.confirmed if confirmed is None else confirmed,
            refused=state.refused if refused is None else refused)
        save_state(self.state_path, self.state)
        self.saved_at = time.monotonic()

    # -- one step: one block range, in batches --

    def step(self, *, once: bool) -> bool:
        """Handle the next block range; True when more blocks are waiting."""
        contract = self.connect()
        assert self.state is not None and self.chain is not None
        head = self.chain.latest_block_number() - self.ws.chain.confirmations
        start = self.state.next_block
        if start > head:
            return False
        record = contract.witness_of(self.account.address)
        if record is None:
            message = (f"{self.account.address} is not a registered witness of "
                       f"{contract.address} (yet); the registrar adds it with "
                       "`evidence witness add`")
            if once:
                raise ChainError(message)
            if not self.waiting_for_registration:
                self.log(message + "; waiting")
                self.waiting_for_registration = True
            return False
        self.waiting_for_registration = False
        end = min(head, start + LOG_RANGE_BLOCKS - 1)
        with _web3_errors(f"reading Anchored events in blocks {start}-{end}"):
            events = contract.anchors_in(start, end)
        done = 0
        while done < len(events):
            if self.stop.is_set():
                raise _Stop
            batch = events[done:done + CONFIRM_BATCH]
            confirmed, refused = self.handle_batch(contract, batch)
            done += len(batch)
            # Every anchor before the next one's block is handled (its confirmation mined);
            # that block is read again after a restart and its confirmed roots skipped.
            self.state = replace(
                self.state, confirmed=self.state.confirmed + confirmed,
                refused=self.state.refused + refused,
                next_block=events[done].block_number if done < len(events) else end + 1)
            if time.monotonic() - self.saved_at >= STATE_SAVE_INTERVAL_S:
                self.save()
        self.save(next_block=end + 1)
        return end < head

    def handle_batch(self, contract: AnchorContract,
                     batch: Sequence[AnchoredEvent]) -> tuple[int, int]:
        """Check each anchor, send the confirmations of the good ones with consecutive
        nonces, wait for the last, and find every one of them in the ``Confirmed`` events.

        The witness's registration is read once per batch (a revocation in effect stops
        the daemon); each root is checked on chain (``confirmationOf``) and against the
        clock (:func:`check_skew`) before anything is sent. Returns (confirmed, refused);
        the caller saves them once the batch is mined.
        """
        me = self.account.address
        record = _active_witness(contract, me, self.clock())
        confirmed = refused = 0
        todo: list[tuple[AnchoredEvent, int]] = []
        with _web3_errors(f"reading the confirmations of {len(batch)} roots"):
            done = contract.are_confirmed_by([event.root for event in batch], me)
        for event, already in zip(batch, done, strict=True):
            shown = f"0x{event.root.hex()} (block {event.block_number})"
            if already:
                self.already += 1
                self.log(f"already confirmed {shown}; nothing sent")
                continue
            try:
                ahead = check_skew(event.timestamp, self.clock(), self.max_skew_s,
                                   root=event.root)
            except ClockSkewError as exc:
                self.log(f"refused (block {event.block_number}): {exc}")
                refused += 1
                continue
            todo.append((event, ahead))
        if todo:
            confirmed = self.send_batch(contract, record, todo)
        return confirmed, refused

    def send_batch(self, contract: AnchorContract, record: WitnessRecord,
                   todo: list[tuple[AnchoredEvent, int]]) -> int:
        """Send and wait for the confirmations of ``todo``; return how many were mined."""
        assert self.chain is not None
        chain, me = self.chain, self.account.address
        _require_gas(chain, me)
        while todo:  # the gas of one confirm serves the batch: every confirm costs the same
            try:
                gas = contract.estimate_confirm(todo[0][0].root, me)
                break
            except TransactionError as exc:
                if exc.error_name != "EvidenceAnchor__AlreadyConfirmed":
                    raise
                self.already += 1  # another run got there first
                self.log(f"already confirmed 0x{todo[0][0].root.hex()}; nothing sent")
                todo = todo[1:]
        if not todo:
            return 0
        first_block = chain.latest_block_number() + 1
        hashes = contract.send_confirms([event.root for event, _ in todo], self.account,
                                        gas=gas)
        last = chain.wait_for_transaction(hashes[-1])
        mined = contract.roots_confirmed_by(me, first_block, int(last["blockNumber"]))
        count = 0
        for (event, ahead), tx_hash in zip(todo, hashes, strict=True):
            shown = f"0x{event.root.hex()} (block {event.block_number})"
            if event.root not in mined:
                self.explain_missing(contract, event.root, tx_hash, gas)
                self.already += 1
                self.log(f"already confirmed {shown}; nothing sent")
                continue
            count += 1
            self.log(f"confirmed {shown} as {record.jurisdiction} in tx 0x{tx_hash.hex()} "
                     f"(anchor {-ahead} s old by this clock)")
        return count

    def explain_missing(self, contract: AnchorContract, root: bytes, tx_hash: bytes,
                        gas: int) -> None:
        """A sent confirmation without its ``Confirmed`` event: return if another
        transaction confirmed the root first, else raise why (revert, not mined)."""
        assert self.chain is not None
        receipt = self.chain.receipt(tx_hash)
        if receipt is None:
            raise ChainError(f"confirmation 0x{tx_hash.hex()} of 0x{root.hex()} is not mined "
                             "although a later one is; it is sent again on the next try")
        if int(receipt["status"]) == 1:
            raise ChainError(f"confirmation 0x{tx_hash.hex()} of 0x{root.hex()} was mined "
                             "without its Confirmed event; check the node")
        error = self.chain.revert_error(receipt, sender=self.account.address,
                                        to=contract.address, data=contract.confirm_calldata(root),
                                        gas=gas, label="confirm")
        if error.error_name != "EvidenceAnchor__AlreadyConfirmed":
            raise error

    # -- the loop --

    def run(self, *, poll_s: float, once: bool) -> ServeSummary:
        delay = poll_s
        try:
            while not self.stop.is_set():
                try:
                    more = self.step(once=once)
                    delay = poll_s
                except _Stop:
                    break
                except (ChainError, OSError) as exc:
                    if once or _fatal(exc):
                        raise
                    self.log(f"chain problem: {exc}; retrying in {delay:g} s")
                    self.disconnect()
                    self.stop.wait(delay)
                    delay = min(MAX_BACKOFF_S, max(delay, 0.5) * 2)
                    continue
                if more:
                    continue
                if once:
                    break
                self.stop.wait(poll_s)
        finally:
            self.disconnect()
            if self.state is not None:
                self.save()
        state = self.state
        return ServeSummary(self.account.address, self.state_path,
                            state.next_block if state else self.from_block,
                            state.confirmed if state else 0, self.already,
                            state.refused if state else 0)


def _fatal(exc: BaseException) -> bool:
    """Errors a retry cannot fix: a revoked witness, a foreign contract, a bad state file."""
    from ..errors import ContractMismatchError

    if isinstance(exc, ContractMismatchError):
        return True
    return isinstance(exc, TransactionError) and exc.error_name in (
        "EvidenceAnchor__WitnessRevoked", "EvidenceAnchor__NotAWitness")


def serve(ws: Workspace, key: Path, passphrase: str, *, poll_s: float = DEFAULT_POLL_S,
          state_path: Path | None = None, from_block: int = 0, once: bool = False,
          max_skew_s: int | None = None, stop: threading.Event | None = None,
          log: Log | None = None, clock: Clock = time.time) -> ServeSummary:
    """Follow new anchors and confirm each one as the witness whose key is at ``key``.

    Reads ``Anchored`` events from the block after the last one processed (saved in
    ``state_path``, default :func:`default_state_path`; ``from_block`` on the first run),
    up to the chain head less the workspace's ``confirmations``, in ranges of
    :data:`LOG_RANGE_BLOCKS`. For each root: skipped when the witness confirmed it already
    (``confirmationOf``), refused and logged when outside the clock skew
    (:func:`check_skew`), else confirmed by the witness's own transaction, sent in batches
    of :data:`CONFIRM_BATCH` (see the module docstring).

    Runs until ``stop`` is set (checked between batches and while waiting), or, with
    ``once``, until the chain head is reached. Chain trouble (node unreachable, no gas, a
    transaction not mined) is logged and retried with a delay doubling up to
    :data:`MAX_BACKOFF_S`; with ``once`` it is raised instead. A revoked witness and a
    contract whose code does not match are raised (a retry cannot fix them). The state is
    saved on every exit. ``log`` receives one line per action, never a key.
    """
    if poll_s <= 0:
        raise InputError("--poll must be a positive number of seconds")
    if from_block < 0:
        raise InputError("--from-block must not be negative")
    skew = ws.chain.max_skew_seconds if max_skew_s is None else max_skew_s
    _check_skew_setting(skew)
    account = _load_key(key, passphrase)
    daemon = _Daemon(ws, account,
                     state_path=state_path or default_state_path(ws, account.address),
                     from_block=from_block, max_skew_s=skew, stop=stop or threading.Event(),
                     log=log or (lambda _line: None), clock=clock)
    return daemon.run(poll_s=poll_s, once=once)
