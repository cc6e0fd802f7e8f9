"""evidence: capture, anchor, witness and verify evidence for cross-border disputes.

The library API, for legal tools (README.md, "Library", runs this flow as a test)::

    import evidence
    ws = evidence.open_workspace(Path("case-ws"))
    key = ws.signing_key(passphrase)
    cap = evidence.capture([Path("shots")], records=[Path("orders.csv")],
                           case="2026-CN-0042", key=key, out=Path("bundle"))
    done = evidence.anchor([Path("bundle")], workspace=ws, passphrase=passphrase)
    result = evidence.verify(Path("bundle"), chain_url=[...], trust=Path("court.toml"))
    evidence.report(result, Path("report.pdf"), workspace=ws, passphrase=passphrase)
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
    from .anchoring import AnchorOutcome
    from .api import anchor, report
    from .bundle.index import ItemProof, prove
    from .capturing.pipeline import CaptureResult, capture
    from .disclosure import disclose
    from .result import VerificationResult
    from .timestamps import timestamp_bundle
    from .verification.verifier import verify
    from .workspace import Workspace, init_workspace, open_workspace

__all__ = [
    "AnchorOutcome",
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
    "anchor",
    "capture",
    "disclose",
    "init_workspace",
    "open_workspace",
    "prove",
    "report",
    "timestamp_bundle",
    "verify",
]

_LAZY = {
    "anchor": "api",
    "AnchorOutcome": "anchoring",
    "capture": "capturing.pipeline",
    "CaptureResult": "capturing.pipeline",
    "disclose": "disclosure",
    "ItemProof": "bundle.index",
    "prove": "bundle.index",
    "timestamp_bundle": "timestamps",
    "verify": "verification.verifier",
    "VerificationResult": "result",
    "Workspace": "workspace",
    "init_workspace": "workspace",
    "open_workspace": "workspace",
}


def __getattr__(name: str) -> Any:
    if name == "report":
        # ``evidence.report`` is also the report package (evidence/report/), which Python
        # binds to this name whenever it is imported; the package is callable, as
        # :func:`evidence.api.report`, so the name means one thing either way.
        return importlib.import_module(".report", __name__)
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'evidence' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value
