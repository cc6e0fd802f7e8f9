"""One error tree for the whole library.

Every failure the library reports is an :class:`EvidenceError`. Its subclasses are grouped
by domain (input and formats, configuration, verification, chain) and each carries the
process exit code the command line uses for it, so that one place (``cli``) maps errors
to exit codes. Messages are one actionable line: what failed, on which file, what to do.
Foreign exceptions are wrapped at the boundary with ``raise ... from``.
"""

from __future__ import annotations

__all__ = [
    "BundleExistsError",
    "ChainError",
    "ChainUnreachableError",
    "ConfigurationError",
    "ContractMismatchError",
    "EvidenceError",
    "FormatError",
    "InputError",
    "KeyFileError",
    "NotABundleError",
    "TransactionError",
    "VerificationError",
    "WorkspaceError",
]

#: Exit codes, documented in README.md ("Exit codes").
EXIT_OK = 0
EXIT_NOT_PRESUMED = 1
EXIT_INPUT = 2
EXIT_INCOMPLETE = 3
EXIT_BUG = 4


class EvidenceError(Exception):
    """Root of every error the library raises on purpose."""

    exit_code: int = EXIT_INPUT


class InputError(EvidenceError):
    """A path, an option or a file given by the user cannot be used as it is."""


class FormatError(InputError):
    """A file does not follow its format (CSV, JSON, BagIt, receipt, policy...).

    ``path`` names the file and ``where`` the row, line or field when known.
    """

    def __init__(self, message: str, *, path: str | None = None, where: str | None = None):
        self.path = path
        self.where = where
        prefix = ""
        if path is not None:
            prefix = f"{path}: " if where is None else f"{path}: {where}: "
        super().__init__(prefix + message)


class BundleExistsError(InputError):
    """The output path exists already; nothing is ever overwritten."""


class NotABundleError(FormatError):
    """The path is not an evidence bundle (or disclosure package)."""


class ConfigurationError(EvidenceError):
    """The workspace or its configuration is missing or unusable."""


class WorkspaceError(ConfigurationError):
    """No workspace was found, or it is damaged."""


class KeyFileError(ConfigurationError):
    """A key file cannot be read: wrong passphrase, damaged file, wrong permissions."""


class VerificationError(EvidenceError):
    """Evidence failed a check in a place where the caller asked for an exception."""

    exit_code = EXIT_NOT_PRESUMED


class ChainError(EvidenceError):
    """The chain could not complete an operation (revert, timeout, mismatch)."""

    exit_code = EXIT_INCOMPLETE


class ChainUnreachableError(ChainError):
    """The JSON-RPC node cannot be reached."""


class TransactionError(ChainError):
    """A transaction reverted or was never mined."""

    def __init__(self, message: str, *, error_name: str | None = None):
        self.error_name = error_name
        super().__init__(message)


class ContractMismatchError(ChainError):
    """The code at a contract address is not the EvidenceAnchor artifact's runtime code."""
