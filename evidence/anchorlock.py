"""The workspace's anchor lock: one ``anchor`` at a time per workspace (POSIX ``flock``).

Two ``evidence anchor`` runs from one workspace send transactions from one account; run
at once they pick the same nonce and one fails ("replacement transaction underpriced"),
and both write the same journal. The lock serialises them: the second waits for the
first to finish (the caller is told once, so it can say so on stderr) and then finds the
first one's receipts. ``flock`` (flock(2)) locks belong to the open file: the kernel
releases them when the holder exits, however it exits, so a killed run never leaves a
stale lock behind. The lock file itself stays; its presence means nothing.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from .errors import ChainError

__all__ = ["ANCHOR_LOCK_FILE", "anchor_lock"]

#: Where the lock lives, relative to the workspace (not in journal/, whose files are the
#: anchoring journal and nothing else).
ANCHOR_LOCK_FILE = "locks/anchor.lock"
#: How often a waiting run tries the lock again when it has a deadline.
_RETRY_S = 0.1

#: The waiting message when no ``on_wait`` callback is given (the library never prints).
_log = logging.getLogger(__name__)


@contextlib.contextmanager
def anchor_lock(workspace_root: Path, *, on_wait: Callable[[str], None] | None = None,
                timeout_s: float | None = None) -> Iterator[None]:
    """Hold the workspace's anchor lock for the ``with`` block.

    If another process holds it, ``on_wait`` is called once with a one-line message and
    the call blocks until the lock is free (or ``timeout_s`` passes: ChainError, exit 3,
    nothing done). Raises ChainError when the lock file cannot be opened.
    """
    path = workspace_root / ANCHOR_LOCK_FILE
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    except OSError as exc:
        raise ChainError(f"{path}: cannot open the anchor lock ({exc.strerror})") from exc
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            (on_wait or _log.info)(f"another `evidence anchor` is running in "
                                   f"{workspace_root}; waiting for it to finish")
            _wait(fd, path, timeout_s)
        yield
    finally:
        os.close(fd)  # closing the only descriptor releases the lock


def _wait(fd: int, path: Path, timeout_s: float | None) -> None:
    if timeout_s is None:
        fcntl.flock(fd, fcntl.LOCK_EX)
        return
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if time.monotonic() >= deadline:
                raise ChainError(f"{path}: another anchoring still holds the lock after "
                                 f"{timeout_s:g} s; nothing was done") from None
            time.sleep(_RETRY_S)
