"""``capture --move``: the move plan, the checks before anything moves, undo and recovery.

A move plan listing every file (source, bag path) is flushed before the first rename; any
failure puts every moved file back (:func:`undo_moves`), and after a crash
:func:`recover_moved` does the same from the plan left beside the temporary folder.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import stat
from collections.abc import Sequence
from pathlib import Path

from ..bundle.layout import (
    ROOT_FILE,
)
from ..errors import EvidenceError, FormatError, InputError
from ..fsutil import atomic_write_bytes, fsync_dir, rename_noreplace
from ..standards.ijson import loads_strict
from ..standards.jcs import canonicalize

__all__ = [
    "MAX_MOVE_PLAN_BYTES",
    "MOVE_PLAN_FILE",
    "MOVE_PLAN_TYPE",
    "MOVE_PLAN_VERSION",
    "check_movable",
    "plan_aside",
    "recover_moved",
    "undo_moves",
    "write_move_plan",
]


#: The move plan of a ``move`` capture, in its temporary folder: ``{"type", "version",
#: "files": [[source absolute path, bag path], ...]}`` in RFC 8785 form, flushed before
#: the first file is renamed, so that a crash at any point can be undone. Just before the
#: tag manifests are written it is renamed beside the folder (``.NAME.partial-XXXXXXXX.``
#: + this name), where the tag manifests do not see it and whence it is deleted once the
#: bundle is in place: there is no moment a crash could leave moved files without a plan.
MOVE_PLAN_FILE = "move-plan.json"


MOVE_PLAN_TYPE = "evidence-move-plan"


MOVE_PLAN_VERSION = 1


#: A move plan lists one entry per file: 20,000 files take about 2 MB. Larger plans are
#: refused when read back (a bound on what a damaged or foreign file can make us load).
MAX_MOVE_PLAN_BYTES = 1024 * 1024 * 1024


#: The name of a capture's temporary folder (see :func:`capture`).
_PARTIAL_NAME = re.compile(r"\.(?P<name>.+)\.partial-[0-9a-f]{8}")


def _device(path: Path) -> int:
    """The device (filesystem) a path is on, not following a final symlink."""
    return os.lstat(path).st_dev


def check_movable(files: Sequence[tuple[str, str]], exports: Sequence[tuple[Path, str]],
                   out: Path, warnings: list[str]) -> list[tuple[str, str]]:
    """Check that every file can be renamed into the bundle; the move plan.

    Each file must be a readable regular file on the filesystem of ``out``'s folder
    (rename does not cross filesystems), in a folder we may write (and, if that folder is
    sticky, our own file or folder: chmod(2)'s S_ISVTX rule), not inside ``out``, given
    once, and not also a ``records`` export. Raises InputError naming the first file that
    is not; a file with other hard links gets a warning (its other names still reach the
    bundle's bytes).
    """
    try:
        out_dev = _device(out.parent)
        out_real = os.path.realpath(out)
    except OSError as exc:
        raise InputError(f"{out.parent}: cannot read ({exc.strerror})") from exc
    euid = os.geteuid()
    # Per folder as given: its absolute path, real path, stat, and whether we may add and
    # remove names in it; found once per folder.
    folders: dict[str, tuple[str, str, os.stat_result, bool]] = {}
    seen: dict[str, str] = {}
    bundles: dict[str, str | None] = {}
    plan: list[tuple[str, str]] = []
    for src, bag_path in files:
        given, name = os.path.split(src)
        try:
            st = os.lstat(src)
            if given not in folders:  # the file is no link: its folder's real path is its own
                absolute = os.path.abspath(given)
                real_folder = os.path.realpath(absolute)
                folders[given] = (absolute, real_folder, os.stat(real_folder),
                                  os.access(real_folder, os.W_OK | os.X_OK))
        except OSError as exc:
            raise InputError(f"{src}: cannot read ({exc.strerror}); nothing was moved") from exc
        absolute, folder, fst, writable = folders[given]
        real = os.path.join(folder, name)
        if not stat.S_ISREG(st.st_mode):
            raise InputError(f"{src}: not a regular file; --move moves regular files only")
        if not os.access(src, os.R_OK):
            raise InputError(f"{src}: cannot read (permission denied); nothing was moved")
        if st.st_dev != out_dev:
            raise InputError(f"{src}: not on the filesystem of {out.parent}; --move only "
                             "renames within one filesystem (capture without --move to copy)")
        if real in seen:
            raise InputError(f"{src} and {seen[real]} are the same file; give it once with "
                             "--move")
        if real == out_real or real.startswith(out_real + os.sep):
            raise InputError(f"{src}: inside the output {out}; nothing was moved")
        bundle = _enclosing_bundle(folder, bundles)
        if bundle is not None:
            raise InputError(f"{src}: inside the evidence bundle {bundle}; --move never takes "
                             "a file out of a bundle (capture without --move to copy it); "
                             "nothing was moved")
        sticky_other = (fst.st_mode & stat.S_ISVTX and euid != 0 and st.st_uid != euid
                        and fst.st_uid != euid)
        if sticky_other or not writable:
            raise InputError(f"{src}: its folder does not let us rename it; --move needs "
                             "write permission there (capture without --move to copy)")
        if st.st_nlink > 1:
            warnings.append(f"{src}: has {st.st_nlink - 1} other hard link(s), which still "
                            "reach the moved file's bytes: changing them changes the bundle")
        seen[real] = src
        plan.append((os.path.join(absolute, name), bag_path))
    for rec, _ in exports:
        real = os.path.realpath(rec)
        if real in seen:
            raise InputError(f"{rec}: given both as a file to move and as --records; "
                             "give it once")
    return plan


def _enclosing_bundle(folder: str, known: dict[str, str | None]) -> str | None:
    """The evidence bundle (a folder holding ``bagit.txt`` and ``evidence/root.json``)
    that the real folder ``folder`` is in or is, or None; ``known`` caches each folder's
    answer."""
    if folder not in known:
        parent = os.path.dirname(folder)
        if os.path.isfile(os.path.join(folder, "bagit.txt")) and \
                os.path.isfile(os.path.join(folder, ROOT_FILE)):
            known[folder] = folder
        else:
            known[folder] = None if parent == folder else _enclosing_bundle(parent, known)
    return known[folder]


def plan_aside(partial: Path) -> Path:
    """Where the move plan of ``partial`` goes when it leaves the folder (see
    :data:`MOVE_PLAN_FILE`)."""
    return partial.parent / f"{partial.name}.{MOVE_PLAN_FILE}"


def write_move_plan(tmp: Path, plan: Sequence[tuple[str, str]]) -> None:
    """Write the plan durably: the file, the temporary folder and the output folder
    (whose entry names the temporary folder) are flushed before anything moves."""
    doc = {"type": MOVE_PLAN_TYPE, "version": MOVE_PLAN_VERSION,
           "files": [[src, bag_path] for src, bag_path in plan]}
    atomic_write_bytes(tmp / MOVE_PLAN_FILE, canonicalize(doc), overwrite=False)
    fsync_dir(tmp.parent)


def _move_back(partial: Path, plan: Sequence[tuple[str, str]]) -> tuple[int, list[str]]:
    """Rename every planned file found in ``partial`` back to its source path.

    A source path that exists again is never overwritten. Returns the number of files
    moved back and a line per file that could not be (empty when all are back).
    """
    count, problems = 0, []
    for src_text, bag_path in plan:
        src, moved = Path(src_text), partial / bag_path
        if not os.path.lexists(moved):
            if not os.path.lexists(src):
                problems.append(f"{src}: neither there nor in the bundle as {bag_path}")
            continue  # never moved, or moved back already
        if os.path.lexists(src):
            problems.append(f"{src}: exists again, not overwritten (the moved file is {moved})")
            continue
        try:
            src.parent.mkdir(parents=True, exist_ok=True)
            rename_noreplace(str(moved), src_text)
        except FileExistsError:  # appeared since the check above
            problems.append(f"{src}: exists again, not overwritten (the moved file is {moved})")
            continue
        except OSError as exc:
            problems.append(f"{src}: cannot move back from {moved} ({exc.strerror})")
            continue
        count += 1
    if count:
        os.sync()  # the renamed entries, in whichever folders they are
    return count, problems


def undo_moves(tmp: Path, plan: Sequence[tuple[str, str]], cause: BaseException) -> None:
    """After a failed ``move`` capture: every moved file back, the plan beside ``tmp``
    deleted (the caller removes ``tmp``). Raises EvidenceError, keeping ``tmp`` and the
    plan, if a file could not be put back."""
    _, problems = _move_back(tmp, plan)
    if problems:
        raise EvidenceError(
            f"capture failed ({str(cause) or type(cause).__name__}) and {len(problems)} moved "
            f"file(s) could not be put back ({problems[0]}); they are kept in {tmp}: fix "
            f"that, then run: evidence capture-recover {tmp}") from cause
    with contextlib.suppress(FileNotFoundError):
        plan_aside(tmp).unlink()


def _read_move_plan(partial: Path) -> tuple[Path, list[tuple[str, str]]]:
    """The move plan of ``partial`` (inside it, or beside it): its path and entries.

    Raises InputError if there is none, FormatError if it is malformed: every source must
    be an absolute path and every bag path a relative path under ``data/`` without ``..``.
    """
    for path in (partial / MOVE_PLAN_FILE, plan_aside(partial)):
        if path.is_file():
            break
    else:
        raise InputError(f"{partial}: no {MOVE_PLAN_FILE} in or beside it: not left by a "
                         "capture with --move, no file to move back")
    try:
        with path.open("rb") as fh:
            data = fh.read(MAX_MOVE_PLAN_BYTES + 1)
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror})") from exc
    if len(data) > MAX_MOVE_PLAN_BYTES:
        raise FormatError(f"larger than {MAX_MOVE_PLAN_BYTES} bytes", path=str(path))
    doc = loads_strict(data, path=str(path))
    files = doc.get("files") if isinstance(doc, dict) else None
    if (not isinstance(doc, dict) or doc.get("type") != MOVE_PLAN_TYPE
            or doc.get("version") != MOVE_PLAN_VERSION or not isinstance(files, list)):
        raise FormatError(f"not a version {MOVE_PLAN_VERSION} {MOVE_PLAN_TYPE}", path=str(path))
    plan: list[tuple[str, str]] = []
    for n, entry in enumerate(files):
        if not (isinstance(entry, list) and len(entry) == 2
                and all(isinstance(v, str) for v in entry)):
            raise FormatError("entry is not [source, bag path]", path=str(path),
                              where=f"files[{n}]")
        src, bag_path = str(entry[0]), str(entry[1])
        parts = bag_path.split("/")
        if not os.path.isabs(src) or parts[0] != "data" or ".." in parts or "" in parts:
            raise FormatError(f"bad entry {entry!r}", path=str(path), where=f"files[{n}]")
        plan.append((src, bag_path))
    return path, plan


def recover_moved(partial: Path) -> int:
    """Move the files of a ``move`` capture that did not finish back to their paths.

    ``partial`` is the hidden ``.NAME.partial-XXXXXXXX`` folder a crashed (killed, power
    cut) ``capture(..., move=True)`` left beside its output; its move plan lists where
    each file came from. Every file still in the folder is renamed back (its folder made
    again if needed); then the folder and the plan are removed. Returns the number of
    files moved back.

    Raises InputError, moving nothing, if ``partial`` is not such a folder or if a source
    path exists again (never overwritten: move that file away first, then run this
    again); FormatError for a damaged plan; EvidenceError, keeping the folder, if a file
    could not be moved back.
    """
    partial = Path(partial)
    if not _PARTIAL_NAME.fullmatch(partial.name) or not os.path.isdir(partial) \
            or os.path.islink(partial):
        raise InputError(f"{partial}: not the temporary folder of a capture "
                         "(.NAME.partial-XXXXXXXX)")
    plan_path, plan = _read_move_plan(partial)
    taken = [src for src, bag_path in plan
             if os.path.lexists(partial / bag_path) and os.path.lexists(src)]
    if taken:
        raise InputError(f"{taken[0]}: exists again ({len(taken)} source path(s) taken); "
                         "nothing was moved back: move them away, then recover again")
    count, problems = _move_back(partial, plan)
    if problems:
        raise EvidenceError(f"{len(problems)} file(s) not moved back ({problems[0]}); "
                            f"{partial} and its plan are kept")
    shutil.rmtree(partial)
    with contextlib.suppress(FileNotFoundError):
        plan_path.unlink()
    fsync_dir(partial.parent)
    return count
