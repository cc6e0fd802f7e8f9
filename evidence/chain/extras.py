"""Optional parts of the install, and the one error a missing part gives.

The embedded development chain (eth-tester with py-evm) is the ``embedded`` extra of the
distribution: ``pip install evidence-anchor`` captures, anchors on a JSON-RPC node, verifies
(the embedded chain's store included: :mod:`evidence.chain.light` reads it without py-evm)
and writes reports; ``pip install 'evidence-anchor[embedded]'`` adds the development chain
that ``evidence init`` without ``--chain`` and ``evidence demo`` run on. Every path that needs
it checks here first and fails with one line naming the install command.
"""

from __future__ import annotations

import importlib.util

from evidence.errors import ConfigurationError

__all__ = [
    "EMBEDDED_EXTRA",
    "EMBEDDED_MISSING",
    "EMBEDDED_MODULES",
    "embedded_available",
    "is_embedded_import_error",
    "require_embedded",
]

#: The requirement that installs the embedded development chain.
EMBEDDED_EXTRA = "evidence-anchor[embedded]"

#: Top-level modules of its dependencies: eth-tester, and py-evm (imported as ``eth``).
EMBEDDED_MODULES = ("eth_tester", "eth")

#: The one-line error when they are not installed.
EMBEDDED_MISSING = (
    "the embedded development chain needs eth-tester and py-evm, which are not installed: "
    f"pip install '{EMBEDDED_EXTRA}' (a JSON-RPC node, --chain URL, needs neither)")


def embedded_available() -> bool:
    """Whether eth-tester and py-evm can be imported (without importing them: py-evm's
    import alone takes seconds)."""
    return all(importlib.util.find_spec(name) is not None for name in EMBEDDED_MODULES)


def is_embedded_import_error(exc: ImportError) -> bool:
    """Whether ``exc`` is the import of a missing embedded-chain dependency."""
    return (exc.name or "").partition(".")[0] in EMBEDDED_MODULES


def require_embedded() -> None:
    """Raise :class:`ConfigurationError` (exit 2) unless the embedded chain is installed."""
    if not embedded_available():
        raise ConfigurationError(EMBEDDED_MISSING)
