"""The standalone re-check script that travels inside every bundle and disclosure package.

What: ``evidence/data/recheck.py`` (standard library only; also at ``docs/recheck.py``) is
written into each bundle and disclosure package as the tag file :data:`RECHECK_FILE`, listed
in the tag manifests, so that a court holding only the bundle can run
``python3 recheck.py .`` inside it (issue 14, Deliver 3). Reports print its SHA-256 and
embed its text (JSON and HTML).

Trust: a tag file is not signed, and running code the capturing party ships would let it
decide what the court sees. So the verifier accepts the tag file only when its bytes are
those of a script this software shipped (:data:`KNOWN_SHA256`): anything else is an
unexpected tag file, an error. Reports tell the reader to compare the script's SHA-256 first.
Bundles made before the script travelled simply lack it and stay valid.
"""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path

from ..fsutil import atomic_write_bytes
from ..shipped import recheck_script

__all__ = ["KNOWN_SHA256", "RECHECK_FILE", "script_bytes", "script_sha256", "write_script"]

#: Name of the script in a bundle or disclosure package (a tag file at the bag's top).
RECHECK_FILE = "recheck.py"


@functools.cache
def script_bytes() -> bytes:
    """The shipped script's bytes."""
    return recheck_script()


def script_sha256() -> str:
    """Hex SHA-256 of :func:`script_bytes`."""
    return hashlib.sha256(script_bytes()).hexdigest()


#: SHA-256 of every re-check script this software has shipped into bundles (the current one
#: is always accepted; add a digest here whenever the script changes, so older bundles stay
#: valid).
KNOWN_SHA256: frozenset[str] = frozenset()


def is_known(digest: str) -> bool:
    """Whether ``digest`` (hex SHA-256) is that of a script this software shipped."""
    return digest == script_sha256() or digest in KNOWN_SHA256


def write_script(folder: Path) -> None:
    """Write the script into the bag ``folder`` (before its tag manifests are written)."""
    atomic_write_bytes(Path(folder) / RECHECK_FILE, script_bytes(), mode=0o644)
