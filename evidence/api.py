"""The library's two stage functions that wrap more than one call: anchor and report.

:func:`anchor` and :func:`report` sit beside :func:`evidence.capture`,
:func:`evidence.verify`, :func:`evidence.disclose` and :func:`evidence.prove` (exported from
:mod:`evidence`). They are thin: each opens what the command line would open (the
workspace, its keys) and calls the same code as ``evidence anchor`` and ``evidence report``,
so the library and the command line cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from .report.make import report
from .workspace import Workspace, open_workspace

if TYPE_CHECKING:
    from .anchoring import AnchorOutcome

__all__ = ["anchor", "report"]


def _workspace(workspace: Workspace | Path | None) -> Workspace:
    return workspace if isinstance(workspace, Workspace) else open_workspace(workspace)


def anchor(bundles: Path | Sequence[Path], *, passphrase: str,
           workspace: Workspace | Path | None = None, reanchor: bool = False) -> AnchorOutcome:
    """Anchor the roots of ``bundles`` on the workspace's chain in one transaction, as
    ``evidence anchor`` does; return what was anchored, with each bundle's receipt.

    ``workspace`` is a :class:`~evidence.workspace.Workspace`, its folder, or None for the
    nearest one upwards of the current folder (as the command line finds it);
    ``passphrase`` unlocks its capturer key and account. A bundle anchored already keeps its
    receipt (it is listed in ``already``), unless ``reanchor`` is set for one whose anchor a
    reorganisation dropped. Progress (the batch sent, witness confirmations on the embedded
    chain) is logged at INFO on the ``evidence.anchoring`` logger, never printed. Raises
    :class:`~evidence.errors.InputError` for a path that is not an intact bundle,
    :class:`~evidence.errors.ChainError` when the chain cannot complete it. The receipt
    format: docs/formats.md.
    """
    from .anchoring import anchor_bundles

    ws = _workspace(workspace)
    paths = [bundles] if isinstance(bundles, Path | str) else list(bundles)
    return anchor_bundles(ws, [Path(p) for p in paths], passphrase=passphrase,
                          key=ws.signing_key(passphrase), reanchor=reanchor)
