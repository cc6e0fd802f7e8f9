"""Files that ship inside the package, for people who installed it with pip.

* the standard-library re-check script (``evidence/data/recheck.py``), which every report
  tells the court to run; ``docs/recheck.py`` of the source tree is the same file (a test
  checks that they are identical), so a reader of the repository and a user of the wheel get
  the same script;
* the fictitious examples the demo captures (``evidence/data/examples/``).

Both are package data, read with :mod:`importlib.resources`, so they work from the wheel,
from the sdist and from a checkout alike.
"""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

from .errors import InputError
from .fsutil import atomic_write_bytes

__all__ = ["RECHECK_SCRIPT_NAME", "recheck_script", "write_recheck_script"]

#: The re-check script's name inside the package (``evidence/data/``) and the default name
#: it is written out under.
RECHECK_SCRIPT_NAME = "recheck.py"

#: Mode of the written script: executable (it starts with ``#!/usr/bin/env python3``).
RECHECK_SCRIPT_MODE = 0o755


def recheck_script() -> bytes:
    """The re-check script's bytes (docs/report-format.md, "docs/recheck.py")."""
    try:
        return resources.files("evidence").joinpath("data", RECHECK_SCRIPT_NAME).read_bytes()
    except OSError as exc:  # a broken install: the package data was not installed
        raise InputError(f"the re-check script is missing from the installed package "
                         f"(evidence/data/{RECHECK_SCRIPT_NAME}); reinstall evidence-anchor"
                         ) from exc


def write_recheck_script(out: Path) -> Path:
    """Write the re-check script to ``out`` (a new file; a folder gets ``recheck.py``
    inside it), atomically and executable. Returns the path written.

    Raises :class:`InputError` when the file exists (it is never overwritten) or its folder
    does not.
    """
    target = out / RECHECK_SCRIPT_NAME if out.is_dir() else out
    if target.exists() or target.is_symlink():
        raise InputError(f"{target}: exists; choose another name or remove it")
    if not target.parent.is_dir():
        raise InputError(f"{target.parent}: no such folder")
    try:
        atomic_write_bytes(target, recheck_script(), mode=RECHECK_SCRIPT_MODE, overwrite=False)
    except FileExistsError as exc:
        raise InputError(f"{target}: exists; choose another name or remove it") from exc
    except OSError as exc:
        raise InputError(f"{target}: cannot write it: {os.strerror(exc.errno or 0)}") from exc
    return target
