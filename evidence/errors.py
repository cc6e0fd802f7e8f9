"""One error tree for the whole library.

Every failure the library reports is an :class:`EvidenceError`. Its subclasses are grouped
by domain (input and formats, configuration, verification, chain) and each carries the
process exit code the command line uses for it, so that one place (``evidence_cli``) maps errors
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
    "NodeCapabilityError",
    "NodeProofError",
    "NodesDisagreeError",
    "NotABundleError",
    "TimestampAuthorityError",
    "TransactionError",
    "VerificationError",
    "WorkspaceError",
    "WrongPassphraseError",
]

#: Exit codes, documented in README.md ("Exit codes").
EXIT_OK = 0
EXIT_NOT_PRESUMED = 1
EXIT_INPUT = 2
EXIT_INCOMPLETE = 3
EXIT_BUG = 4
#: Interrupted (SIGINT, Ctrl-C): 128 + 2, as shells report it.
EXIT_INTERRUPTED = 130


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


class WrongPassphraseError(KeyFileError):
    """The passphrase does not open the key (authenticated decryption failed); at a
    terminal the command line asks again."""


class VerificationError(EvidenceError):
    """Evidence failed a check in a place where the caller asked for an exception."""

    exit_code = EXIT_NOT_PRESUMED


class ChainError(EvidenceError):
    """The chain could not complete an operation (revert, timeout, mismatch)."""

    exit_code = EXIT_INCOMPLETE


class ChainUnreachableError(ChainError):
    """The JSON-RPC node cannot be reached."""


class TimestampAuthorityError(EvidenceError):
    """A time-stamp authority could not be asked (unreachable, HTTP error): could not
    complete, like an unreachable chain."""

    exit_code = EXIT_INCOMPLETE


class TransactionError(ChainError):
    """A transaction reverted or was never mined."""

    def __init__(self, message: str, *, error_name: str | None = None):
        self.error_name = error_name
        super().__init__(message)


class ContractMismatchError(ChainError):
    """The code at a contract address is not the EvidenceAnchor artifact's runtime code."""


class NodeProofError(ChainError):
    """A node's answer does not check out: a block whose hash is not the one computed from
    its header, a Merkle-Patricia proof that does not lead to the agreed state root, a log
    that is not in its block's receipts, or an answer that is not well-formed.

    ``node`` names the node (its URL without credentials). Nothing it said is used.
    """

    def __init__(self, message: str, *, node: str | None = None):
        self.node = node
        super().__init__(message if node is None else f"{node}: {message}")


class NodeCapabilityError(ChainError):
    """A node cannot serve what verification needs: a method it does not have
    (``eth_getProof``, ``eth_getBlockReceipts``...), historic state or logs it has pruned, a
    range it refuses or a rate limit. Another node may serve it; the caller reports the
    question as open (inconclusive), never as answered.
    """

    def __init__(self, message: str, *, node: str | None = None):
        self.node = node
        super().__init__(message if node is None else f"{node}: {message}")


class NodesDisagreeError(ChainError):
    """The nodes the verifier named do not give the same block (or the same events):
    at least one of them is lying, faulty or on another fork. ``nodes`` lists the nodes of
    each differing answer, ``block`` the block number asked for (when a block).
    """

    def __init__(self, message: str, *, nodes: tuple[str, ...] = (), block: int | None = None):
        self.nodes = nodes
        self.block = block
        super().__init__(message)
