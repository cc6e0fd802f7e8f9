"""One ``witness serve`` per witness key (POSIX ``flock``, flock(2)).

Two daemons with one key send confirmations from one account: they race for nonces, and
whichever is second sends a confirmation that reverts (``AlreadyConfirmed``) and pays its
gas for nothing. :func:`serve_lock` refuses the second one at once, with one line. Two
locks are taken, both released by the kernel when the holder exits however it exits (no
stale lock survives a kill): one in the workspace named by the witness's address
(``locks/witness-<address>.lock``: catches a second daemon of this workspace, whatever key
file it was given), and one on the key file itself (catches a daemon of another workspace
on this machine given the same file). A copy of the key on another machine cannot be
seen from here; the daemon therefore also checks each transaction's receipt status and
never counts a reverted one as its confirmation (evidence/witness/daemon.py).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path

from ..errors import ConfigurationError

__all__ = ["SERVE_LOCK_DIR", "serve_lock"]

#: Folder (in the workspace) of the daemons' lock files; the anchor lock lives there too.
SERVE_LOCK_DIR = "locks"


def _lock_one(path: Path, flags: int, what: str, stack: contextlib.ExitStack) -> None:
    try:
        fd = os.open(path, flags | os.O_CLOEXEC, 0o600)
    except OSError as exc:
        raise ConfigurationError(f"{path}: cannot open the {what} ({exc.strerror})") from exc
    stack.callback(os.close, fd)  # closing the only descriptor releases the lock
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        raise ConfigurationError(
            f"another `evidence witness serve` is running with this witness key ({what} "
            f"{path} is held); run one daemon per key") from None


@contextlib.contextmanager
def serve_lock(workspace_root: Path, address: str, key_file: Path) -> Iterator[None]:
    """Hold the daemon locks of witness ``address`` (key at ``key_file``) for the ``with``
    block; raises :class:`ConfigurationError` (exit 2) at once when another process holds
    either."""
    lock = workspace_root / SERVE_LOCK_DIR / f"witness-{address}.lock"
    with contextlib.ExitStack() as stack:
        try:
            lock.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ConfigurationError(f"{lock.parent}: cannot create ({exc.strerror})") from exc
        _lock_one(lock, os.O_RDWR | os.O_CREAT, "lock", stack)
        _lock_one(key_file, os.O_RDONLY, "lock on the key file", stack)
        yield
