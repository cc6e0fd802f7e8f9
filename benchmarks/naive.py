"""Issue 17, row 1: the default (copying) capture against the naive pipeline, in one run.

The naive way to make a durable, hashed copy of a folder is three commands in a row:
``cp -r SRC DST && sync && bagit.py --quiet --sha256 --sha512 DST`` (copy, flush the copy
to disk, then bag it in place with both digests). ``Bench.naive_pipeline`` in
``benchmarks/run.py`` times that pipeline as one shell command on the same files as
``evidence capture SRC`` (which copies, hashes and flushes its bundle before renaming it
into place) and compares the two: the target of issue 17 is :data:`TARGET`.

Both sides start the same way: the destination of the previous run put aside (not deleted,
see ``Bench.discard``) and ``sync`` run before the timed command, so neither pays for
flushing the other's writes. Peak RSS of the pipeline is the largest of its processes
(``wait4`` of the shell counts the children it waited for: ``bagit.py``, in practice).
"""

from __future__ import annotations

import shlex
from pathlib import Path

__all__ = ["RUNS", "TARGET", "naive_pipeline_script"]

#: The target of issue 17 for the copying capture against the naive pipeline.
TARGET = 0.7

#: Runs of each side; the fastest is kept (noise only ever adds time).
RUNS = 2


def naive_pipeline_script(src: Path, dst: Path, bagit: Path) -> str:
    """The naive pipeline of issue 17 as one ``sh -c`` command: copy ``src`` to the new
    folder ``dst``, flush every filesystem, then bag ``dst`` in place (SHA-256 and SHA-512
    manifests, bagit-python's ``bagit.py``)."""
    q = shlex.quote
    return (f"cp -r {q(str(src))} {q(str(dst))} && sync && "
            f"{q(str(bagit))} --quiet --sha256 --sha512 {q(str(dst))}")
