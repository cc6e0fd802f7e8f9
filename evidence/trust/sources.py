"""Where a verification's trust profile comes from: the verifier, and only the verifier.

In this order (docs/trust.md): the profile the caller names (``--trust FILE``, the
library's ``trust=``), else ``EVIDENCE_TRUST``, else the verifier's own configuration
(``~/.config/evidence/trust.toml``), else, when the verifier explicitly named a workspace,
that workspace's *demonstration* profile (``trust-demo.toml``). Never the bundle, never a
file shipped beside it, never a workspace found by walking up the folders: the party who
captured the evidence could put a profile there.

How it fails: an unreadable, malformed, expired, or (when publisher keys are pinned)
unsigned profile is an :class:`~evidence.errors.InputError` naming the file (exit 2); a
workspace profile that is not a demonstration profile is refused the same way.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from evidence.errors import InputError

from .model import TrustProfile
from .profile import TRUST_ENV, default_profile_path, load_trust_profile

__all__ = ["DEMO_PROFILE_NAME", "resolve_trust"]

#: The demonstration profile a workspace on a development chain keeps (written by
#: ``evidence init`` and ``evidence demo``).
DEMO_PROFILE_NAME = "trust-demo.toml"


def resolve_trust(trust: TrustProfile | str | Path | None, *, workspace: Path | None = None,
                  publisher_keys: Sequence[str] = ()) -> TrustProfile | None:
    """The verifier's trust profile (see the module docstring), or None when it has none."""
    if isinstance(trust, TrustProfile):
        return trust
    if trust is not None and str(trust) != "":
        return load_trust_profile(Path(trust), publisher_keys=publisher_keys)
    env = os.environ.get(TRUST_ENV)
    if env:
        return load_trust_profile(Path(env), publisher_keys=publisher_keys,
                                  source=f"{env} ({TRUST_ENV})")
    own = default_profile_path()
    if own.is_file():
        return load_trust_profile(own, publisher_keys=publisher_keys)
    if workspace is not None:
        demo = Path(workspace) / DEMO_PROFILE_NAME
        if demo.is_file():
            profile = load_trust_profile(demo, source=f"{demo}, the demonstration profile of "
                                         "the workspace named")
            if not profile.demonstration:
                raise InputError(
                    f"{demo}: a workspace's own profile may only be a demonstration profile "
                    "(demonstration = true); a profile that decides real evidence must come "
                    "from the verifier: pass --trust FILE")
            return profile
    return None
