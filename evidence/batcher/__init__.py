"""Many capture clients, one anchor: the batcher service and its client.

``evidence batcher serve`` (:mod:`.service`) aggregates signed bundle roots from capture
clients into one RFC 6962 batch per interval and anchors it; ``evidence anchor --batcher
URL`` (:mod:`.client`) submits, waits, and checks the returned inclusion path against its
own chain read before writing an ordinary receipt. Wire formats: :mod:`.protocol`.
"""

from __future__ import annotations

from .client import BatcherLiedError, anchor_via_batcher
from .protocol import BatchProof, Submission, sign_submission
from .service import BatcherSettings, serve

__all__ = ["BatchProof", "BatcherLiedError", "BatcherSettings", "Submission",
           "anchor_via_batcher", "serve", "sign_submission"]
