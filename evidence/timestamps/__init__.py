"""RFC 3161 timestamps: a second, independent clock for evidence bundles.

``timestamp_bundle`` asks one or more TSAs for a token over the bundle's signed root and
stores it (``evidence/timestamps/``, custody entry, tag manifests); ``check_timestamps``
verifies the tokens under the verifier's trust profile. See docs/trust.md ("Timestamp
authorities") and docs/formats.md ("Timestamps").
"""

from __future__ import annotations

from .check import TimestampCheck, TimestampReport, check_timestamps, openssl_recheck
from .client import DEFAULT_TIMEOUT_SECONDS, IMPRINT_ALGORITHMS, request_timestamp
from .settings import TimestampSettings
from .stamping import TIMESTAMPS_DIR, StoredTimestamp, timestamp_bundle
from .token import TokenFacts, TokenProblem, parse_token

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
