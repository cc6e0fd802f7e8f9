"""The trust profile's types: whom a verifier trusts, as data (docs/trust.md).

A :class:`TrustProfile` is what the *verifier* brings to a verification (never the
bundle, never the capturer's workspace): the chains it accepts, pinned by genesis hash;
the registries (contract and registrar) on them; and the witness operators it trusts, each
with a stable identifier, its jurisdiction as checked by the profile's publisher, and the
witness addresses it runs with their periods. The model follows transparency-log practice:
a Sigsum policy file names the logs and witness keys a verifier accepts, Sigstore's trusted
root the keys and logs, the EU Trusted Lists the trust service providers.

These are plain frozen dataclasses; :mod:`evidence.trust.profile` reads and checks them
from TOML.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from evidence.trust.tsa import TsaPin

__all__ = [
    "PROFILE_VERSION",
    "ChainPin",
    "OperatorPin",
    "ProfileSignature",
    "RegistryPin",
    "TrustProfile",
    "WitnessKeyPin",
]

#: The only trust profile format version this code reads.
PROFILE_VERSION = 1


def _stamp(value: datetime | None) -> str | None:
    return None if value is None else value.strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class ChainPin:
    """A chain the verifier accepts, pinned by its genesis block's hash.

    ``min_blocks_on_top`` is this chain's finality (overrides the policy's minimum when
    set); ``development`` marks a chain one party controls (only a demonstration profile may
    pin one); ``min_nodes`` is how many JSON-RPC nodes must agree before the chain's word
    is taken; ``nodes`` are node URLs the profile suggests (used when the verifier names
    none).
    """

    chain_id: int
    name: str
    genesis_hash: bytes
    min_blocks_on_top: int | None
    development: bool
    min_nodes: int
    nodes: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {"chain_id": self.chain_id, "name": self.name,
                "genesis_hash": "0x" + self.genesis_hash.hex(),
                "min_blocks_on_top": self.min_blocks_on_top, "development": self.development,
                "min_nodes": self.min_nodes, "nodes": list(self.nodes)}


@dataclass(frozen=True)
class RegistryPin:
    """An EvidenceAnchor contract and the registrar that must own it (``registrar()``).

    ``operators_from_registry`` (demonstration profiles only): witnesses that no
    ``[[operators]]`` entry names count with the registry's own labels (operator name and
    jurisdiction as registered on chain). A real profile never trusts those labels.
    """

    chain_id: int
    contract: str  # EIP-55 checksummed
    registrar: str  # EIP-55 checksummed
    operators_from_registry: bool = False

    def to_json(self) -> dict[str, Any]:
        return {"chain_id": self.chain_id, "contract": self.contract,
                "registrar": self.registrar,
                "operators_from_registry": self.operators_from_registry}


@dataclass(frozen=True)
class WitnessKeyPin:
    """One witness address an operator runs, trusted from ``valid_from`` (inclusive) to
    ``valid_until`` (exclusive; None: open-ended)."""

    address: str  # EIP-55 checksummed
    valid_from: datetime
    valid_until: datetime | None

    def covers(self, unix_time: int) -> bool:
        start = int(self.valid_from.timestamp())
        end = None if self.valid_until is None else int(self.valid_until.timestamp())
        return start <= unix_time and (end is None or unix_time < end)

    def to_json(self) -> dict[str, Any]:
        return {"address": self.address, "from": _stamp(self.valid_from),
                "until": _stamp(self.valid_until)}


@dataclass(frozen=True)
class OperatorPin:
    """A witness operator the profile's publisher checked: who it is (``id``, ``name``),
    where (``jurisdiction``, ISO 3166-1 alpha-2, as the publisher checked it, not as the
    registry labels it), where the publisher checked that (``source``), and its witnesses.

    Operators are counted by ``id``, never by name.
    """

    id: str
    name: str
    jurisdiction: str
    source: str
    witnesses: tuple[WitnessKeyPin, ...]

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "jurisdiction": self.jurisdiction,
                "source": self.source, "witnesses": [w.to_json() for w in self.witnesses]}


@dataclass(frozen=True)
class ProfileSignature:
    """A publisher's detached Ed25519 signature over the profile file's exact bytes, as
    checked: the key's fingerprint, and whether that key is the one the verifier pinned."""

    fingerprint: str
    public_key: bytes
    signed_at: str | None
    pinned: bool

    def to_json(self) -> dict[str, Any]:
        return {"fingerprint": self.fingerprint, "public_key": self.public_key.hex(),
                "signed_at": self.signed_at, "pinned": self.pinned}


@dataclass(frozen=True)
class TrustProfile:
    """One trust profile as read and checked (see the module docstring).

    ``source`` says where it came from (a path, or ``workspace demonstration profile``),
    ``sha256`` is the digest of the file's bytes, ``signature`` the checked publisher
    signature when there is one. ``demonstration`` profiles may pin development chains and
    trust a registry's own labels; every verdict under one says it is a demonstration.
    """

    version: int
    name: str
    publisher: str | None
    description: str | None
    expires: datetime
    demonstration: bool
    chains: tuple[ChainPin, ...]
    registries: tuple[RegistryPin, ...]
    operators: tuple[OperatorPin, ...]
    source: str
    sha256: str
    signature: ProfileSignature | None = None
    #: ``[[timestamp_authorities]]``: the RFC 3161 TSAs whose tokens count (evidence.trust.tsa).
    timestamp_authorities: tuple[TsaPin, ...] = ()

    def chain(self, chain_id: int) -> ChainPin | None:
        """The pinned chain with ``chain_id``, if any."""
        return next((c for c in self.chains if c.chain_id == chain_id), None)

    def registry(self, chain_id: int, contract: str) -> RegistryPin | None:
        """The pinned registry at ``contract`` on ``chain_id`` (address case ignored)."""
        wanted = contract.lower()
        return next((r for r in self.registries
                     if r.chain_id == chain_id and r.contract.lower() == wanted), None)

    def operator_of(self, address: str) -> tuple[OperatorPin, WitnessKeyPin] | None:
        """The operator running witness ``address`` and that witness's pin, if any."""
        wanted = address.lower()
        for op in self.operators:
            for w in op.witnesses:
                if w.address.lower() == wanted:
                    return op, w
        return None

    def summary(self) -> dict[str, Any]:
        """What every output names: the profile's name, source, digest and publisher."""
        return {
            "name": self.name, "version": self.version, "source": self.source,
            "sha256": self.sha256, "publisher": self.publisher,
            "signed_by": None if self.signature is None else self.signature.fingerprint,
            "publisher_key_pinned": bool(self.signature and self.signature.pinned),
            "expires": _stamp(self.expires), "demonstration": self.demonstration,
        }

    def to_json(self) -> dict[str, Any]:
        return {**self.summary(), "description": self.description,
                "chains": [c.to_json() for c in self.chains],
                "registries": [r.to_json() for r in self.registries],
                "operators": [o.to_json() for o in self.operators],
                "timestamp_authorities": [t.to_json() for t in self.timestamp_authorities]}
