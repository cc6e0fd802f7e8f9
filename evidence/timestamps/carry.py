"""Carrying a bundle's RFC 3161 tokens into a disclosure package.

A disclosure package keeps the bundle's ``evidence/root.json`` byte for byte, so the
bundle's tokens (over those bytes) hold for the package too. Each token is checked before it
is copied: it must be the one a signed ``timestamped`` custody entry of the bundle records
(same SHA-256) and intact over ``root.json`` (:func:`.token.check_integrity`). The package's
signed ``disclosed`` entry then lists each token's SHA-256 and whether it was taken before
the anchoring (what the bundle's custody order said), so that none can be added, dropped or
swapped in the package afterwards.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from evidence.bundle.custody import read_custody
from evidence.bundle.layout import CUSTODY_FILE

from ..errors import VerificationError
from .check import read_token, recorded_tokens, token_files
from .stamping import read_root_bytes
from .token import TokenProblem, check_integrity, parse_token

__all__ = ["CarriedToken", "checked_tokens", "disclosed_details"]


@dataclass(frozen=True)
class CarriedToken:
    name: str
    data: bytes
    before_anchor: bool | None


def checked_tokens(bundle: Path) -> list[CarriedToken]:
    """The bundle's tokens, each checked as above; raises VerificationError naming the
    first token that is unrecorded, changed or not intact (the package is not written)."""
    files, problems = token_files(bundle)
    if problems:
        raise VerificationError(f"{bundle}: {problems[0].message}; not disclosed")
    if not files:
        return []
    recorded = recorded_tokens([e.to_json() for e in read_custody(bundle / CUSTODY_FILE,
                                                            within=bundle)], "bundle")
    message = read_root_bytes(bundle)
    out: list[CarriedToken] = []
    for rel in files:
        data = read_token(bundle, rel)  # no links followed, bounded
        listed = recorded.get(rel)
        if listed is None or listed[0] != hashlib.sha256(data).hexdigest():
            raise VerificationError(f"{bundle / rel}: not the token the signed custody log "
                                    "records; not disclosed (run `evidence verify` on the bundle)")
        try:
            check_integrity(parse_token(data), message)
        except TokenProblem as exc:
            raise VerificationError(f"{bundle / rel}: {exc}; not disclosed") from exc
        out.append(CarriedToken(rel.rsplit("/", 1)[1], data, listed[1]))
    return out


def disclosed_details(tokens: list[CarriedToken]) -> dict[str, Any]:
    """What the ``disclosed`` custody entry records of the carried tokens."""
    return {t.name: {"token_sha256": hashlib.sha256(t.data).hexdigest(),
                     "before_anchor": t.before_anchor} for t in tokens}
