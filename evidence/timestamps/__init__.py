"""RFC 3161 timestamps: a second, independent clock for evidence bundles.

``timestamp_bundle`` asks one or more TSAs for a token over the bundle's signed root and
stores it (``evidence/timestamps/``, custody entry, tag manifests); ``check_timestamps``
verifies the tokens under the verifier's trust profile. See docs/trust.md ("Timestamp
authorities") and docs/formats.md ("Timestamps").
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .check import TimestampCheck, TimestampReport, check_timestamps, openssl_recheck
    from .client import DEFAULT_TIMEOUT_SECONDS, IMPRINT_ALGORITHMS, request_timestamp
    from .settings import TimestampSettings
    from .stamping import TIMESTAMPS_DIR, StoredTimestamp, timestamp_bundle
    from .token import TokenFacts, TokenProblem, parse_token

#: Where each public name lives. Imported on first use (PEP 562): the workspace reads its
#: ``[timestamps]`` settings on every command, and the token code (asn1crypto,
#: cryptography's X.509) is needed only by the commands that stamp or check.
_HOMES = {
    "TimestampCheck": "check", "TimestampReport": "check", "check_timestamps": "check",
    "openssl_recheck": "check", "DEFAULT_TIMEOUT_SECONDS": "client",
    "IMPRINT_ALGORITHMS": "client", "request_timestamp": "client",
    "TimestampSettings": "settings", "TIMESTAMPS_DIR": "stamping",
    "StoredTimestamp": "stamping", "timestamp_bundle": "stamping", "TokenFacts": "token",
    "TokenProblem": "token", "parse_token": "token",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f".{home}", __name__), name)
    globals()[name] = value
    return value


__all__ = [
    "DEFAULT_TIMEOUT_SECONDS",
    "IMPRINT_ALGORITHMS",
    "TIMESTAMPS_DIR",
    "StoredTimestamp",
    "TimestampCheck",
    "TimestampReport",
    "TimestampSettings",
    "TokenFacts",
    "TokenProblem",
    "check_timestamps",
    "openssl_recheck",
    "parse_token",
    "request_timestamp",
    "timestamp_bundle",
]
