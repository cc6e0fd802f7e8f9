"""Open the chain a :class:`~evidence.chain.backend.ChainConfig` names.

Apart from :mod:`evidence.chain.backend` so that the backend, which both clients build on,
imports neither of them: this module sits above the backend and the two clients.
"""

from __future__ import annotations

import contextlib
import importlib
import threading

from evidence.chain.backend import ChainClient, ChainConfig
from evidence.errors import ConfigurationError

__all__ = ["open_chain", "preload_chain_modules"]


def preload_chain_modules(kind: str) -> None:
    """Start importing the client of a ``kind`` chain ("embedded": py-evm, eth-tester and
    web3; else web3) in a background thread, and return at once.

    For a caller about to do seconds of work that leaves Python's global lock free (the
    scrypt of a new keystore, :mod:`evidence.chain.accounts`): the import runs meanwhile,
    on the other core, instead of after it. :func:`open_chain` then finds the modules
    imported (or waits for the import to finish: Python's import locks); an import that
    fails here fails again, and is reported, there.
    """
    name = "evidence.chain.embedded" if kind == "embedded" else "evidence.chain.rpc"

    def load() -> None:
        with contextlib.suppress(Exception):
            importlib.import_module(name)

    threading.Thread(target=load, name="chain-import", daemon=True).start()


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
