"""Witness confirmations: a root confirmed by transaction or by a relayed EIP-712 signature.

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

Keys and the registry are :mod:`evidence.witness.registry`; the daemon that confirms
new anchors as they come is :mod:`evidence.witness.daemon`.

How it fails: :class:`InputError` (bad address, code, time, file), :class:`ClockSkewError`
(an anchor beyond the allowed skew), :class:`ChainError` / :class:`TransactionError`
(not the registrar, not a witness, revoked, no gas, node unreachable), each one line.
Private keys and passphrases never appear in a message or a log line.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..bundle.layout import read_json_file
from ..bundle.receipts import read_receipts
from ..errors import ChainError, FormatError, InputError, TransactionError
from ..workspace import Workspace

if TYPE_CHECKING:
    from eth_account.signers.local import LocalAccount

    from ..chain.backend import ChainClient
    from ..chain.contract import AnchorContract, WitnessRecord

from .registry import (
    load_witness_key,
    parse_address,
    parse_root,
    utc_stamp,
    workspace_account,
)

__all__ = [
    "MAX_SKEW_LIMIT_S",
    "SIGNATURE_VERSION",
    "Clock",
    "ClockSkewError",
    "ConfirmOutcome",
    "RelayOutcome",
    "SignedConfirmation",
    "active_witness",
    "check_skew",
    "check_skew_setting",
    "confirm_root",
    "relay_signatures",
    "require_gas",
    "resolve_roots",
    "sign_root",
]


#: Largest skew accepted as a setting: NTP keeps clocks within a second; an hour or more
#: is a wrong clock or time zone, which a larger setting would hide.
MAX_SKEW_LIMIT_S = 3600


SIGNATURE_VERSION = 1


Clock = Callable[[], float]


class ClockSkewError(InputError):
    """The anchor's block time lies further in the witness's future than the allowed skew."""


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
            f"anchor 0x{root.hex()} has block time {utc_stamp(block_time)}, {ahead} s ahead of "
            f"this witness's clock (allowed skew {max_skew_s} s); refused: check both clocks")
    return ahead


def check_skew_setting(max_skew_s: int) -> None:
    if not 0 <= max_skew_s <= MAX_SKEW_LIMIT_S:
        raise InputError(f"the clock skew must be between 0 and {MAX_SKEW_LIMIT_S} seconds")


def active_witness(contract: AnchorContract, address: str, now: float) -> WitnessRecord:
    record = contract.witness_of(address)
    if record is None:
        raise ChainError(f"{address} is not a registered witness of {contract.address}; the "
                         "registrar adds it with `evidence witness add`")
    if record.revoked_at is not None and record.revoked_at <= now:
        raise TransactionError(f"witness {address} was revoked from {utc_stamp(record.revoked_at)}",
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

    def to_json(self) -> dict[str, object]:
        return {"root": "0x" + self.root.hex(), "witness": self.witness,
                "jurisdiction": self.jurisdiction, "status": self.status,
                "anchor_time": self.anchor_time, "ahead_s": self.ahead_s,
                "transaction": self.transaction, "block_number": self.block_number}


def require_gas(chain: ChainClient, address: str) -> None:
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
    record = active_witness(contract, me, now)
    anchor_time = _anchor_time(contract, root)
    ahead = int(anchor_time - now)
    if contract.confirmation_of(root, me) is not None:
        return ConfirmOutcome(root, me, record.jurisdiction, "already", anchor_time, ahead)
    ahead = check_skew(anchor_time, clock(), max_skew_s, root=root)
    require_gas(contract.chain, me)
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
    check_skew_setting(skew)
    account = load_witness_key(key, passphrase)
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
            contract = parse_address(str(doc["contract"]))
            witness = parse_address(str(doc["witness"]))
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
    check_skew_setting(skew)
    account = load_witness_key(key, passphrase)
    with open_workspace_chain(ws) as chain:
        contract = open_workspace_contract(ws, chain)
        now = clock()
        active_witness(contract, account.address, now)
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

    def to_json(self) -> dict[str, object]:
        return {"root": "0x" + self.root.hex(), "witness": self.witness,
                "status": self.status, "transaction": self.transaction}


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
        account = workspace_account(ws, passphrase)
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


