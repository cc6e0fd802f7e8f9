"""Who runs a witness, by the verifier's trust profile (:mod:`evidence.policy.evaluate` counts
by it).

Under a trust profile a witness counts only as a witness of an operator the profile names:
operators are counted by their ``id`` (never by the name a registrar typed), jurisdictions
come from the profile (its publisher checked them; the registry's label is shown beside it
when it differs), and the witness address must be pinned for the moment it confirmed. A
demonstration profile whose registry entry sets ``operators_from_registry`` lets witnesses
the profile does not name count with the registry's own labels: a demonstration, never
evidence.
"""

from __future__ import annotations

from ..trust.model import RegistryPin, TrustProfile
from .evaluate import Identify, WitnessFacts, WitnessIdentity, registry_identity

__all__ = ["profile_identity", "submitter_operator_key"]

_ID_PREFIX = "id:"


def _utc(ts: int) -> str:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def profile_identity(profile: TrustProfile, registry: RegistryPin) -> Identify:
    """The :data:`~evidence.policy.evaluate.Identify` of ``profile`` for witnesses of
    ``registry``."""

    def identify(witness: WitnessFacts, confirmed_at: int) -> WitnessIdentity:
        hit = profile.operator_of(witness.address)
        if hit is None:
            if registry.operators_from_registry:
                return registry_identity(witness, confirmed_at)
            return WitnessIdentity(
                operator_key="", operator=witness.operator, jurisdiction=witness.jurisdiction,
                source="registry",
                exclusion=("not-in-profile",
                           f"{witness.address} is not a witness of any operator the trust "
                           f"profile {profile.name} names (the registry calls its operator "
                           f"{witness.operator!r}, in {witness.jurisdiction})"))
        operator, pin = hit
        notes: list[str] = []
        if witness.jurisdiction != operator.jurisdiction:
            notes.append(f"the registry labels this witness {witness.jurisdiction}; the trust "
                         f"profile's publisher checked {operator.jurisdiction}, which is used")
        exclusion = None
        if not pin.covers(confirmed_at):
            until = "" if pin.valid_until is None else (
                f" until {pin.valid_until.strftime('%Y-%m-%dT%H:%M:%SZ')}")
            exclusion = ("outside-profile-period",
                         f"confirmed at {_utc(confirmed_at)}, outside the period the trust "
                         f"profile pins this witness of {operator.name} for (from "
                         f"{pin.valid_from.strftime('%Y-%m-%dT%H:%M:%SZ')}{until})")
        return WitnessIdentity(
            operator_key=_ID_PREFIX + operator.id, operator=operator.name,
            jurisdiction=operator.jurisdiction, source="profile", operator_id=operator.id,
            exclusion=exclusion, notes=tuple(notes))

    return identify


def submitter_operator_key(profile: TrustProfile, submitter: str) -> str | None:
    """The key of the operator the profile says runs the submitting address, if any: its
    other witnesses must not vouch for its own anchor."""
    hit = profile.operator_of(submitter)
    return None if hit is None else _ID_PREFIX + hit[0].id
