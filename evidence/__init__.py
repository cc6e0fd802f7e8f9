"""evidence: capture, anchor, witness and verify evidence for cross-border disputes.

The library API, for legal tools::

    import evidence
    ws = evidence.open_workspace(Path("case-ws"))
    key = ws.signing_key(passphrase)
    result = evidence.capture([Path("shots")], records=[Path("orders.csv")],
                              case="2026-CN-0042", key=key, out=Path("bundle"))
    verdict = evidence.verify(Path("bundle"))
    evidence.disclose(Path("bundle"), "R-3", out=Path("r3"), key=key)
    proof = evidence.prove(Path("bundle"), "R-3")  # O(log n) with evidence/index.bin

Names are imported lazily, so ``import evidence`` stays cheap (no web3).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .errors import (
    BundleExistsError,
    ChainError,
    ChainUnreachableError,
    ConfigurationError,
    ContractMismatchError,
    EvidenceError,
    FormatError,
    InputError,
    KeyFileError,
    NotABundleError,
    TimestampAuthorityError,
    TransactionError,
    VerificationError,
    WorkspaceError,
)
from .findings import Finding, Severity, Verdict
from .version import __version__

if TYPE_CHECKING:
    from .capturing import CaptureResult, capture
    from .disclosure import disclose
    from .index import ItemProof, prove
    from .result import VerificationResult
    from .timestamps import timestamp_bundle
    from .verification import verify
    from .workspace import Workspace, init_workspace, open_workspace

__all__ = [
    "BundleExistsError",
    "CaptureResult",
    "ChainError",
    "ChainUnreachableError",
    "ConfigurationError",
    "ContractMismatchError",
    "EvidenceError",
    "Finding",
    "FormatError",
    "InputError",
    "ItemProof",
    "KeyFileError",
    "NotABundleError",
    "Severity",
    "TimestampAuthorityError",
    "TransactionError",
    "Verdict",
    "VerificationError",
    "VerificationResult",
    "Workspace",
    "WorkspaceError",
    "__version__",
    "capture",
    "disclose",
    "init_workspace",
    "open_workspace",
    "prove",
    "timestamp_bundle",
    "verify",
]

_LAZY = {
    "capture": "capturing",
    "CaptureResult": "capturing",
    "disclose": "disclosure",
    "ItemProof": "index",
    "prove": "index",
    "timestamp_bundle": "timestamps",
    "verify": "verification",
    "VerificationResult": "result",
    "Workspace": "workspace",
    "init_workspace": "workspace",
    "open_workspace": "workspace",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'evidence' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value
