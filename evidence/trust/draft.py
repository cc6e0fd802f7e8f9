"""``evidence trust draft``: a first draft of a trust profile, read from an on-chain registry.

A profile's publisher starts from what the registry says (its chain, contract, registrar
and registered witnesses, with the operator names and jurisdictions the registrar typed)
and must then check every operator itself. So the draft is written with ``draft = true``
and ``REVIEW-n`` operator ids, and :func:`~evidence.trust.profile.load_trust_profile`
refuses it until a person has reviewed it: a registry's own labels are never trusted as
drafted (docs/trust.md).

The registry is read as verification reads it: through :class:`~evidence.chain.proven.
ProvenChain` (storage proven against headers whose hashes are computed, several nodes
agreeing), or a workspace's embedded chain.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from evidence.errors import InputError

from .profile import draft_profile_toml

if TYPE_CHECKING:
    from evidence.chain.types import ChainReader

__all__ = ["draft_from_chain"]


def _open(urls: Sequence[str], workspace: Path | None) -> tuple[ChainReader, str | None]:
    """The chain to read and, for a workspace, its contract."""
    if urls:
        from evidence.chain.proven import ProvenChain

        return ProvenChain.connect(list(urls), expected_chain_id=None), None
    if workspace is None:
        raise InputError("name the registry's chain: --chain URL (once per node), or a "
                         "workspace with --workspace")
    from evidence.workspace import open_workspace
    from evidence.workspace_chain import chain_config

    ws = open_workspace(workspace)
    cfg = chain_config(ws)
    if cfg.kind == "embedded":
        from evidence.chain.light import LightChain

        if cfg.state_dir is None or not cfg.state_dir.exists():
            raise InputError(f"{ws.root}: the workspace has no chain yet; run `evidence init`")
        return LightChain.open(cfg.state_dir, expected_chain_id=cfg.expected_chain_id), \
            ws.chain.contract
    from evidence.chain.proven import ProvenChain

    return (ProvenChain.connect([str(cfg.url)], expected_chain_id=cfg.expected_chain_id),
            ws.chain.contract)


def draft_from_chain(*, urls: Sequence[str] = (), workspace: Path | None = None,
                     contract: str | None = None, now: datetime | None = None) -> str:
    """The text of a draft profile for the registry at ``contract`` (default: the
    workspace's), read through ``urls`` or the workspace's chain.

    Raises InputError without a chain or contract to read, ChainError (and its subclasses)
    when the chain cannot be read or the code there is not EvidenceAnchor's.
    """
    reader, ws_contract = _open(urls, workspace)
    with _closing(reader):
        address = contract or ws_contract
        if not address:
            raise InputError("name the registry: --contract ADDRESS")
        view = reader.anchor_view(address)
        return draft_profile_toml(
            chain_id=reader.chain_id, genesis_hash=reader.genesis_hash(),
            contract=view.address, registrar=view.registrar(), witnesses=view.witnesses(),
            chain_name=f"Chain {reader.chain_id}, drafted from {', '.join(reader.nodes)}",
            now=now or datetime.now(UTC))


class _closing:
    def __init__(self, reader: ChainReader) -> None:
        self._reader = reader

    def __enter__(self) -> ChainReader:
        return self._reader

    def __exit__(self, *exc: object) -> None:
        self._reader.close()
