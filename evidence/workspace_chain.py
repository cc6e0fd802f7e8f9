"""The workspace's chain: its :class:`~evidence.chain.backend.ChainConfig`, the open client,
its EvidenceAnchor contract.

Below :mod:`evidence.anchoring`, :mod:`evidence.witness` and
:mod:`evidence.verification.chain_checks`, which all reach the chain a workspace names
(the chain modules, and web3, are imported only when a chain is opened).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .errors import ChainError
from .workspace import Workspace

if TYPE_CHECKING:
    from .chain.backend import ChainClient, ChainConfig
    from .chain.contract import AnchorContract

__all__ = ["chain_config", "open_workspace_chain", "open_workspace_contract",
           "prefetch_anchoring_keys"]


def chain_config(ws: Workspace, *, url: str | None = None, create: bool = False) -> ChainConfig:
    """The :class:`ChainConfig` of the workspace's chain (``evidence.toml``), or of the node at
    ``url`` with the workspace's confirmations and timeout."""
    from .chain.backend import ChainConfig

    s = ws.chain
    if url is not None:
        return ChainConfig(kind="rpc", url=url, expected_chain_id=None,
                           confirmations=s.confirmations, timeout_s=s.timeout_seconds)
    if s.kind == "embedded":
        return ChainConfig(kind="embedded", state_dir=ws.path(s.state_dir),
                           expected_chain_id=s.chain_id, create=create,
                           timeout_s=s.timeout_seconds)
    return ChainConfig(kind="rpc", url=s.url, expected_chain_id=s.chain_id,
                       confirmations=s.confirmations, timeout_s=s.timeout_seconds,
                       is_development=s.is_development)


def open_workspace_chain(ws: Workspace, *, create: bool = False) -> ChainClient:
    """Open the workspace's chain (embedded or JSON-RPC)."""
    from .chain.connect import open_chain

    if ws.chain.kind == "embedded" and not create and not ws.path(ws.chain.state_dir).exists():
        raise ChainError(f"{ws.root}: the workspace has no chain yet; run `evidence init`")
    return open_chain(chain_config(ws, create=create))


def open_workspace_contract(ws: Workspace, chain: ChainClient) -> AnchorContract:
    from .chain.contract import AnchorContract

    if not ws.chain.contract:
        raise ChainError(f"{ws.root}: no contract recorded in evidence.toml; run `evidence init`")
    return AnchorContract(chain, ws.chain.contract)


def prefetch_anchoring_keys(ws: Workspace, passphrase: str) -> None:
    """Start unlocking the keys ``anchor`` signs with in the background: the workspace
    account, and the simulated witnesses' keys on the embedded chain
    (evidence/chain/accounts.py, "Unlocking"). Light to import: the command line calls it
    before it imports the anchoring code."""
    from .chain.accounts import prefetch_accounts

    rels = [ws.chain.account_keystore]
    if ws.chain.kind == "embedded":
        rels += list(ws.chain.witness_keys)
    prefetch_accounts([ws.path(rel) for rel in rels], passphrase)
