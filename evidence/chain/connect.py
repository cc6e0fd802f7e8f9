"""Open the chain a :class:`~evidence.chain.backend.ChainConfig` names.

Apart from :mod:`evidence.chain.backend` so that the backend, which both clients build on,
imports neither of them: this module sits above the backend and the two clients.
"""

from __future__ import annotations

from evidence.chain.backend import ChainClient, ChainConfig
from evidence.errors import ConfigurationError

__all__ = ["open_chain"]


def open_chain(config: ChainConfig) -> ChainClient:
    """Open the chain ``config`` names: the embedded chain or a JSON-RPC node.

    Raises :class:`ChainUnreachableError` for a node that does not answer,
    :class:`ChainError` for a chain id other than ``config.expected_chain_id`` or a damaged
    or busy embedded store, :class:`ConfigurationError` for an unusable configuration.
    """
    if config.kind == "embedded":
        from evidence.chain.extras import EMBEDDED_MISSING, is_embedded_import_error

        try:
            from evidence.chain.embedded import EmbeddedChain
        except ImportError as exc:  # installed without the `embedded` extra
            if not is_embedded_import_error(exc):
                raise
            raise ConfigurationError(EMBEDDED_MISSING) from exc
        return EmbeddedChain.open(config)
    from evidence.chain.rpc import RpcChain

    return RpcChain.connect(config)
