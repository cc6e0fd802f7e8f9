"""The EvidenceAnchor contract read from its storage words and its code, without an EVM.

One implementation serves every reader: :class:`AnchorState` turns storage words into what
the contract's view functions return (``anchorOf``, ``witnessOf``, ``witnesses``,
``confirmationsOf``, ``registrar``), through the storage layout below (Solidity docs,
"Layout of State Variables in Storage"), hard-coded as named constants that a test compares
with the compiler's ``storageLayout``. Where the words come from is a
:class:`StorageSource`: the embedded chain's storage trie
(:class:`~evidence.chain.light.LightChain`), or ``eth_getProof`` answers checked against a
block's state root (:class:`~evidence.chain.proven.ProvenChain`). Words are asked for in
rounds (all the slots a step needs at once), so a proof-backed source makes one request per
round, and every word read is kept for the life of the object (one state, one answer).

:func:`check_anchor_code` is the one code check of every path (the two readers and
:class:`~evidence.chain.contract.AnchorContract`, which writes): the runtime code must be
the artifact's with the immutables masked, and each immutable must hold what OpenZeppelin's
EIP712 constructor writes for this chain and this address, ``_cachedDomainSeparator``
included. (``eip712Domain()`` is no substitute: it reports ``block.chainid`` and
``address(this)``, not the cached separator that signatures are checked against.)

How it fails: :class:`~evidence.errors.ContractMismatchError` for code that is not a genuine
deployment at this address on this chain; :class:`~evidence.errors.ChainError` for storage
that cannot be the contract's (an implausible length) or a source that fails.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from importlib import resources
from typing import Protocol

from evidence.errors import ChainError, ContractMismatchError

from .primitives import address_bytes, keccak256, to_checksum_address
from .types import AnchorRecord, ConfirmationRecord, WitnessRecord

__all__ = [
    "ANCHORED_EVENT",
    "ANCHOR_FIELDS",
    "CONFIRMATION_FIELDS",
    "CONFIRMED_EVENT",
    "DOMAIN_NAME",
    "DOMAIN_VERSION",
    "IMMUTABLE_OFFSETS",
    "MAX_STRING_BYTES",
    "MAX_WITNESSES",
    "STATE_VARIABLES",
    "WITNESS_FIELDS",
    "WITNESS_REVOKED_EVENT",
    "AnchorState",
    "ConfirmedLog",
    "StorageSource",
    "check_anchor_code",
    "decode_confirmed",
    "event_topic",
]

# -- the EvidenceAnchor contract (checked against solc's output by a test) -------------------

#: Storage slot and type (solc storageLayout label) of each state variable read here.
STATE_VARIABLES: dict[str, tuple[int, str]] = {
    "_owner": (0, "address"),
    "_anchors": (4, "mapping(bytes32 => struct EvidenceAnchor.Anchor)"),
    "_witnesses": (5, "mapping(address => struct EvidenceAnchor.Witness)"),
    "_operators": (6, "mapping(address => string)"),
    "_witnessList": (7, "address[]"),
    "_confirmations": (
        8,
        "mapping(bytes32 => mapping(address => struct EvidenceAnchor.Confirmation))",
    ),
}
SLOT_OWNER = STATE_VARIABLES["_owner"][0]
SLOT_ANCHORS = STATE_VARIABLES["_anchors"][0]
SLOT_WITNESSES = STATE_VARIABLES["_witnesses"][0]
SLOT_OPERATORS = STATE_VARIABLES["_operators"][0]
SLOT_WITNESS_LIST = STATE_VARIABLES["_witnessList"][0]
SLOT_CONFIRMATIONS = STATE_VARIABLES["_confirmations"][0]

#: Members of the one-slot structs: (byte offset from the low-order end, size in bytes).
ANCHOR_FIELDS: dict[str, tuple[int, int]] = {
    "submitter": (0, 20),
    "timestamp": (20, 5),
    "blockNumber": (25, 7),
}
WITNESS_FIELDS: dict[str, tuple[int, int]] = {
    "jurisdiction": (0, 2),
    "registeredAt": (2, 5),
    "revokedAt": (7, 5),
}
CONFIRMATION_FIELDS: dict[str, tuple[int, int]] = {
    "confirmedAt": (0, 8),
    "observedAt": (8, 8),
    "kind": (16, 1),
}
#: Confirmation.kind: 0 none, 1 direct, 2 by signature (EvidenceAnchor.sol).
KIND_NONE, KIND_SIGNATURE = 0, 2

#: OpenZeppelin EIP712's immutables -> their byte offsets in the runtime code (solc
#: ``immutableReferences``, each a 32-byte word), checked against the artifact on use.
IMMUTABLE_OFFSETS: dict[str, tuple[int, ...]] = {
    "_cachedDomainSeparator": (5983,),
    "_cachedChainId": (5941,),
    "_cachedThis": (5899,),
    "_hashedName": (6064,),
    "_hashedVersion": (6104,),
    "_name": (5119,),
    "_version": (5164,),
}
#: An EVM word (storage slot, immutable, ABI word) in bytes.
WORD = 32

#: The contract's EIP-712 domain (``EIP712("EvidenceAnchor", "1")``; eip712.DOMAIN_NAME).
DOMAIN_NAME = "EvidenceAnchor"
DOMAIN_VERSION = "1"
_DOMAIN_TYPE = b"EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"

#: Event signatures (IEvidenceAnchor.sol); topic 0 of each is keccak-256 of it.
ANCHORED_EVENT = "Anchored(bytes32,address,uint32,uint64)"
CONFIRMED_EVENT = "Confirmed(bytes32,address,bytes2,uint64,bool)"
WITNESS_REVOKED_EVENT = "WitnessRevoked(address,uint64)"

#: Longest operator string read from storage: the contract takes any calldata string, but
#: a registry entry longer than this is damage or an attack on the reader, not a name.
MAX_STRING_BYTES = 1 << 16
#: Most witnesses read from the registry's list: the contract sets no limit, but a list
#: longer than this is damage or an attack (each one costs storage reads), not a registry.
MAX_WITNESSES = 10_000

_ARTIFACT_RESOURCE = "EvidenceAnchor.json"


def event_topic(signature: str) -> bytes:
    """An event's topic 0: keccak-256 of its signature (Solidity ABI specification)."""
    return keccak256(signature.encode("ascii"))


@functools.cache
def _artifact() -> tuple[bytes, tuple[tuple[int, int], ...]]:
    """The artifact's runtime code and immutable ranges, read as plain JSON (artifact.py's
    loader imports eth-abi, which costs half a second)."""
    resource = resources.files("evidence.chain").joinpath(_ARTIFACT_RESOURCE)
    try:
        data = json.loads(resource.read_text(encoding="utf-8"))
        code = bytes.fromhex(str(data["runtimeBytecode"]).removeprefix("0x"))
        ranges = tuple(sorted((int(r["start"]), int(r["length"]))
                              for r in data["immutableReferences"]))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ChainError(f"cannot read the contract artifact {_ARTIFACT_RESOURCE}: {exc}; "
                         "run `make contracts`") from exc
    return code, ranges


def _masked(code: bytes, ranges: tuple[tuple[int, int], ...]) -> bytes:
    out = bytearray(code)
    for start, length in ranges:
        out[start : start + length] = bytes(len(out[start : start + length]))
    return bytes(out)


def expected_immutables(chain_id: int, address: bytes) -> dict[str, bytes]:
    """What OpenZeppelin's EIP712 constructor writes for this chain and address."""
    hashed_name = keccak256(DOMAIN_NAME.encode())
    hashed_version = keccak256(DOMAIN_VERSION.encode())
    chain_word = chain_id.to_bytes(WORD, "big")
    address_word = address.rjust(WORD, b"\0")
    separator = keccak256(keccak256(_DOMAIN_TYPE) + hashed_name + hashed_version
                          + chain_word + address_word)
    return {
        "_cachedDomainSeparator": separator,
        "_cachedChainId": chain_word,
        "_cachedThis": address_word,
        "_hashedName": hashed_name,
        "_hashedVersion": hashed_version,
        "_name": _short_string(DOMAIN_NAME),
        "_version": _short_string(DOMAIN_VERSION),
    }


def _short_string(text: str) -> bytes:
    """OpenZeppelin ShortStrings: the bytes left-aligned, the length in the last byte."""
    raw = text.encode()
    return raw.ljust(WORD - 1, b"\0") + bytes([len(raw)])


def check_anchor_code(code: bytes, *, address: str, chain_id: int) -> None:
    """Raise unless ``code`` is EvidenceAnchor's as deployed at ``address`` on ``chain_id``.

    The code must equal the artifact's with the immutables masked (as
    :func:`evidence.chain.artifact.check_runtime_code` checks), and every immutable must
    hold what the EIP712 constructor writes for this chain and address (module docstring).
    Raises :class:`ContractMismatchError`, or :class:`ChainError` when this module's
    immutable offsets are not the artifact's (a rebuilt contract: update them).
    """
    expected, ranges = _artifact()
    ours = tuple(sorted((start, WORD) for starts in IMMUTABLE_OFFSETS.values()
                        for start in starts))
    if ours != ranges:
        raise ChainError("the chain readers' immutable offsets are not the contract "
                         "artifact's; update IMMUTABLE_OFFSETS in evidence/chain/anchorstate.py")
    if len(code) != len(expected) or _masked(code, ranges) != _masked(expected, ranges):
        from .artifact import check_runtime_code, load_artifact  # the exact message

        check_runtime_code(code, load_artifact())
        raise ContractMismatchError("contract code differs from EvidenceAnchor's")
    raw = address_bytes(address)
    for name, value in expected_immutables(chain_id, raw).items():
        for start in IMMUTABLE_OFFSETS[name]:
            if code[start : start + WORD] != value:
                raise ContractMismatchError(
                    f"contract at {to_checksum_address(raw)} holds an EIP-712 {name} for "
                    f"another chain or address than chain id {chain_id}: not a genuine "
                    "deployment on this chain")


def field(word: int, spec: tuple[int, int]) -> int:
    """A struct member of a storage word: ``spec`` is (byte offset from the low end, size)."""
    offset, size = spec
    return (word >> (8 * offset)) & ((1 << (8 * size)) - 1)


def mapping_slot(key: bytes, slot: int) -> int:
    """Slot of ``mapping[key]`` at ``slot``: keccak(pad32(key) . pad32(slot)) (Solidity
    docs, "Mappings and Dynamic Arrays")."""
    return int.from_bytes(keccak256(key.rjust(WORD, b"\0") + slot.to_bytes(WORD, "big")),
                          "big")


def _array_base(slot: int) -> int:
    """Where a dynamic array's (or long string's) data starts: keccak(pad32(slot))."""
    return int.from_bytes(keccak256(slot.to_bytes(WORD, "big")), "big")


def _jurisdiction(value: int) -> str:
    return value.to_bytes(2, "big").decode("ascii", errors="replace")


class StorageSource(Protocol):
    """The contract's storage at one state: the words at ``slots``, in order (0 if unset)."""

    def words(self, slots: Sequence[int]) -> list[int]: ...


class AnchorState:
    """EvidenceAnchor's state at one block, read from storage words (module docstring).

    Each method returns what the same-named view of the contract returns (``registrar``
    is :meth:`owner`); a differential test holds them to ``eth_call``'s answers.
    """

    def __init__(self, source: StorageSource, address: str) -> None:
        self.address = to_checksum_address(address_bytes(address))
        self._source = source
        self._known: dict[int, int] = {}

    def read(self, slots: Sequence[int]) -> list[int]:
        """The words at ``slots``; the ones not yet known are asked for in one round."""
        missing = list(dict.fromkeys(s for s in slots if s not in self._known))
        if missing:
            for slot, value in zip(missing, self._source.words(missing), strict=True):
                self._known[slot] = value
        return [self._known[s] for s in slots]

    def owner(self) -> str:
        """``registrar()``: OpenZeppelin Ownable's ``_owner``."""
        (word,) = self.read([SLOT_OWNER])
        return to_checksum_address(field(word, (0, 20)).to_bytes(20, "big"))

    def anchor_of(self, root: bytes) -> AnchorRecord | None:
        """``anchorOf(root)``, None when not anchored (the witness list's length is read in
        the same round: a confirmation check follows most anchor reads)."""
        word, _ = self.read([mapping_slot(root, SLOT_ANCHORS), SLOT_WITNESS_LIST])
        timestamp = field(word, ANCHOR_FIELDS["timestamp"])
        if timestamp == 0:
            return None
        submitter = field(word, ANCHOR_FIELDS["submitter"]).to_bytes(20, "big")
        return AnchorRecord(to_checksum_address(submitter), timestamp,
                            field(word, ANCHOR_FIELDS["blockNumber"]))

    def witness_list(self) -> list[bytes]:
        """The registry's witness addresses, in registration order."""
        (count,) = self.read([SLOT_WITNESS_LIST])
        if count > MAX_WITNESSES:
            raise ChainError(f"the contract {self.address} lists {count} witnesses, more than "
                             f"the {MAX_WITNESSES} this reader accepts")
        base = _array_base(SLOT_WITNESS_LIST)
        return [field(w, (0, 20)).to_bytes(20, "big")
                for w in self.read([base + i for i in range(count)])]

    def _prefetch_witnesses(self, accounts: Sequence[bytes], extra: Sequence[int] = ()) -> None:
        """Read the witnesses' words and operator strings (and ``extra``) in two rounds."""
        operator_slots = [mapping_slot(a, SLOT_OPERATORS) for a in accounts]
        words = self.read([*extra, *(mapping_slot(a, SLOT_WITNESSES) for a in accounts),
                           *operator_slots])
        heads = words[len(words) - len(operator_slots):]
        self.read([s for slot, head in zip(operator_slots, heads, strict=True)
                   for s in self._string_data_slots(slot, head)])

    def _string_data_slots(self, slot: int, head: int) -> list[int]:
        """The data slots of the ``string`` at ``slot`` whose first word is ``head``: none
        for a short one (< 32 bytes: in the slot, length * 2 in the last byte); for a long
        one (length * 2 + 1 in the slot) the words from keccak(slot) on."""
        if head & 1 == 0:
            return []
        length = (head - 1) // 2
        if length > MAX_STRING_BYTES:
            raise ChainError(f"the contract {self.address} holds an implausibly long string "
                             f"({length} bytes)")
        base = _array_base(slot)
        return [base + i for i in range((length + WORD - 1) // WORD)]

    def _string(self, slot: int) -> str:
        (head,) = self.read([slot])
        if head & 1 == 0:
            length = (head & 0xFF) // 2
            if length >= WORD:
                raise ChainError(f"the contract {self.address} holds a malformed short string")
            raw = head.to_bytes(WORD, "big")[:length]
        else:
            length = (head - 1) // 2
            data = self.read(self._string_data_slots(slot, head))
            raw = b"".join(w.to_bytes(WORD, "big") for w in data)[:length]
        return raw.decode("utf-8", errors="replace")

    def _witness(self, account: bytes) -> WitnessRecord | None:
        (word,) = self.read([mapping_slot(account, SLOT_WITNESSES)])
        jurisdiction = field(word, WITNESS_FIELDS["jurisdiction"])
        if jurisdiction == 0:
            return None
        return WitnessRecord(to_checksum_address(account), _jurisdiction(jurisdiction),
                             self._string(mapping_slot(account, SLOT_OPERATORS)),
                             field(word, WITNESS_FIELDS["registeredAt"]),
                             field(word, WITNESS_FIELDS["revokedAt"]) or None)

    def witness_of(self, address: str) -> WitnessRecord | None:
        """``witnessOf(address)``, None for an address that was never registered."""
        account = address_bytes(address)
        self._prefetch_witnesses([account])
        return self._witness(account)

    def revoked_at(self, address: str) -> int:
        """The witness's ``revokedAt`` (0: not revoked, or not a witness)."""
        (word,) = self.read([mapping_slot(address_bytes(address), SLOT_WITNESSES)])
        return field(word, WITNESS_FIELDS["revokedAt"])

    def witnesses(self) -> list[WitnessRecord]:
        """``witnesses()``: every registered witness, revoked ones included."""
        accounts = self.witness_list()
        self._prefetch_witnesses(accounts)
        out = []
        for account in accounts:
            record = self._witness(account)
            out.append(record if record is not None else
                       WitnessRecord("0x" + "0" * 40, "\0\0", "", 0, None))
        return out

    def confirmations_of(self, root: bytes) -> list[ConfirmationRecord]:
        """``confirmationsOf(root)``: in the witness list's order. The witnesses' records
        are read in the same rounds (verification asks for them next)."""
        accounts = self.witness_list()
        inner = mapping_slot(root, SLOT_CONFIRMATIONS)
        slots = [mapping_slot(a, inner) for a in accounts]
        self._prefetch_witnesses(accounts, slots)
        out = []
        for account, word in zip(accounts, self.read(slots), strict=True):
            kind = field(word, CONFIRMATION_FIELDS["kind"])
            if kind == KIND_NONE:
                continue
            (witness_word,) = self.read([mapping_slot(account, SLOT_WITNESSES)])
            out.append(ConfirmationRecord(
                to_checksum_address(account),
                _jurisdiction(field(witness_word, WITNESS_FIELDS["jurisdiction"])),
                field(word, CONFIRMATION_FIELDS["confirmedAt"]),
                field(word, CONFIRMATION_FIELDS["observedAt"]), kind == KIND_SIGNATURE))
        return out


# -- events --------------------------------------------------------------------------------


class ConfirmedLog(Protocol):
    """What :func:`decode_confirmed` needs of a log."""

    @property
    def topics(self) -> tuple[bytes, ...]: ...

    @property
    def data(self) -> bytes: ...


def decode_confirmed(log: ConfirmedLog) -> tuple[str, str, int, bool]:
    """(witness, jurisdiction, observedAt, bySignature) of a ``Confirmed`` log: topics are
    [topic0, root, witness]; data is abi.encode(bytes2, uint64, bool), three words."""
    if len(log.topics) != 3 or len(log.data) != 3 * WORD:
        raise ChainError("a Confirmed event does not have the event's shape")
    witness = log.topics[2][-20:]
    jurisdiction = log.data[:2].decode("ascii", errors="replace")
    observed_at = int.from_bytes(log.data[WORD : 2 * WORD], "big")
    by_signature = int.from_bytes(log.data[2 * WORD :], "big") != 0
    return to_checksum_address(witness), jurisdiction, observed_at, by_signature
