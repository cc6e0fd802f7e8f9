"""Trust profiles: whom the verifier trusts, as signed data it brings (docs/trust.md).

:mod:`evidence.trust.model` holds the types, :mod:`evidence.trust.profile` reads, checks
and writes profile files, :mod:`evidence.trust.signing` the publisher's detached signature,
:mod:`evidence.trust.names` the rules for names shown to people.
"""

from __future__ import annotations

from evidence.trust.model import (
    PROFILE_VERSION,
    ChainPin,
    OperatorPin,
    ProfileSignature,
    RegistryPin,
    TrustProfile,
    WitnessKeyPin,
)
from evidence.trust.profile import (
    DEVELOPMENT_CHAIN_IDS,
    MAX_PROFILE_BYTES,
    TRUST_ENV,
    WitnessLike,
    default_profile_path,
    draft_profile_toml,
    load_trust_profile,
    parse_trust_profile,
    sign_trust_profile,
    write_demo_profile,
)
from evidence.trust.signing import SIGNATURE_TYPE, signature_path

__all__ = [
    "DEVELOPMENT_CHAIN_IDS",
    "MAX_PROFILE_BYTES",
    "PROFILE_VERSION",
    "SIGNATURE_TYPE",
    "TRUST_ENV",
    "ChainPin",
    "OperatorPin",
    "ProfileSignature",
    "RegistryPin",
    "TrustProfile",
    "WitnessKeyPin",
    "WitnessLike",
    "default_profile_path",
    "draft_profile_toml",
    "load_trust_profile",
    "parse_trust_profile",
    "sign_trust_profile",
    "signature_path",
    "write_demo_profile",
]
