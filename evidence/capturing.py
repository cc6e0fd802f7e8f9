"""Capture: files and transaction records into a new, signed evidence bundle.

The bundle is built in a hidden temporary folder beside the output and renamed into
place only when complete (everything flushed to disk), so a crash never leaves something
at the output path that could pass for a bundle, and an existing path is never overwritten.

Speed (issue 7): files are copied and hashed (SHA-256 and SHA-512, each read once) on one
thread per core, small files in batches, and their items written in bag-path order whatever
finished first; disk writeback starts while hashing goes on. Records are encoded with
per-export templates (:class:`evidence.jcs.StringRecordEncoder`,
:class:`evidence.jcs.ObjectTemplate`) and written in blocks on a writer thread. The
bundle index ``evidence/index.bin`` (:mod:`evidence.index`) is written from the leaf
hashes and offsets gathered on the way, and its top level gives the root, so the tree is
built once.

With ``move`` the files are renamed into the bundle and only read (like ``bagit.py``
making a bag in place), each by the worker about to read it: no byte of them is written,
no file already in the bundle is ever replaced, and a move plan makes every step undoable,
even after a crash (:func:`recover_moved`).
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import mimetypes
import os
import re
import secrets
import shutil
import stat
import threading
import warnings
from array import array
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FuturesTimeout
from dataclasses import dataclass, field
from io import FileIO
from pathlib import Path
from typing import Any, BinaryIO

from .bag import (
    format_bag_info,
    format_bagit_txt,
    format_manifest,
    payload_oxum,
    write_tag_manifests,
)
from .bundle import (
    CUSTODY_FILE,
    FORMAT_VERSION,
    HASH_ALGORITHM,
    ITEMS_FILE,
    PROVENANCE_FILE,
    ROOT_FILE,
    ROOT_STATEMENT_TYPE,
    SALT_BYTES,
    SignedRoot,
)
from .custody import first_entry, utc_now
from .errors import BundleExistsError, EvidenceError, FormatError, InputError
from .fsutil import atomic_write_bytes, flush_filesystem, fsync_dir, rename_noreplace
from .index import INDEX_FILE, write_index
from .jcs import (
    ObjectTemplate,
    StringRecordEncoder,
    canonical_string,
    canonicalize,
    loads_strict,
)
from .keys import SigningKey
from .merkle import HASH_LEN
from .records import detect_format, iter_csv_rows, iter_records
from .version import TOOL_NAME, __version__

__all__ = ["MOVE_PLAN_FILE", "CaptureResult", "Progress", "capture", "recover_moved"]

#: Read and hash files in 4 MiB chunks: large enough for hashlib to release the GIL and
#: for the disk to stream, small enough to keep memory flat.
CHUNK_BYTES = 4 * 1024 * 1024
#: File signatures that deserve an image probe (format and pixel size).
_IMAGE_MAGIC = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"GIF87a", b"GIF89a", b"BM", b"RIFF",
                b"II*\x00", b"MM\x00*")

#: progress(done_bytes, total_bytes, label)
Progress = Callable[[int, int, str], None]


@dataclass(frozen=True)
class CaptureResult:
    """What :func:`capture` made."""

    path: Path
    root: bytes
    item_count: int
    file_count: int
    record_count: int
    total_bytes: int
    warnings: tuple[str, ...] = field(default=())
    #: Files moved (not copied) into the bundle: ``capture(..., move=True)``.
    moved_count: int = 0


@dataclass
class _Digest:
    size: int
    sha256: str
    sha512: str


#: Chunks at least this big are hashed with SHA-256 on a second thread while SHA-512 runs
#: on this one (hashlib releases the GIL for buffers over 2 KiB); smaller ones are not
#: worth the hand-off. Used only for a file copied alone (a single file, an export):
#: several files are spread over :data:`MAX_FILE_WORKERS` threads instead.
PARALLEL_HASH_MIN = 256 * 1024
#: Files copied and hashed at once, one per thread: SHA-256 plus SHA-512 cost more CPU
#: than reading and writing, and hashlib releases the GIL, so each core can hash its own
#: file. More threads than cores only add memory (one chunk buffer each).
MAX_FILE_WORKERS = 4
#: Small files go to the workers in batches of consecutive files, at most BATCH_FILES files
#: and BATCH_BYTES bytes each (a larger file goes alone): handing over one 50 KiB file at a
#: time costs more in thread wake-ups and GIL hand-offs than hashing it (measured here:
#: 20,000 such files hashed on two threads in 3.8 s one per task, 1.8 s in batches).
BATCH_FILES = 128
BATCH_BYTES = 8 * 1024 * 1024
#: Batches handed to the workers ahead of the one being written into items.jsonl: enough to
#: keep the workers busy, few enough that results waiting in order stay small.
BATCHES_IN_FLIGHT = 8
#: How often the progress callback hears about a large file being copied (seconds).
PROGRESS_SECONDS = 0.2
#: A copying capture has the disk write what it copied every FLUSH_BYTES, checked every
#: FLUSH_SECONDS, on a thread of its own (see :class:`_Flusher`; measured here: 20,000 x
#: 50 KiB files in 7.0 s instead of 8.0 s; 8 x 256 MiB in 7.1-8.0 s instead of 7.9-8.7 s
#: with a writeback started by each worker after each chunk, which made hashing wait for
#: the disk's queue).
FLUSH_BYTES = 64 * 1024 * 1024
FLUSH_SECONDS = 0.25
_POOL: ThreadPoolExecutor | None = None
_BUFFERS = threading.local()


def _pool() -> ThreadPoolExecutor:
    global _POOL
    if _POOL is None:
        _POOL = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sha256")
    return _POOL


def _buffer() -> memoryview:
    """This thread's chunk buffer (reused: no 4 MiB allocation per read)."""
    view: memoryview | None = getattr(_BUFFERS, "view", None)
    if view is None:
        view = _BUFFERS.view = memoryview(bytearray(CHUNK_BYTES))
    return view


def _start_writeback(fd: int, offset: int, length: int) -> None:
    """Ask the kernel to start writing ``length`` bytes at ``offset`` of ``fd`` to disk now.

    Without this, Linux keeps a capture's writes in memory until its dirty limits are
    reached, and the final flush (see :func:`capture`) then writes the whole bundle while
    nothing else happens; started early, the disk writes while the CPU hashes.
    ``POSIX_FADV_DONTNEED`` starts the writeback without waiting for it (and drops pages
    already written, which a capture does not read again). Only a hint: durability still
    comes from the flush before the rename, and errors are ignored here.
    """
    if _FADVISE is not None:
        with contextlib.suppress(OSError):
            _FADVISE(fd, offset, length, os.POSIX_FADV_DONTNEED)


_FADVISE: Callable[[int, int, int, int], None] | None = getattr(os, "posix_fadvise", None)


def _write_all(fd: int, data: memoryview | bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


class _Progress:
    """Bytes copied so far, added to by worker threads, reported by the capturing thread."""

    def __init__(self, callback: Progress | None, total: int):
        self.callback = callback
        self.total = total
        self.done = 0
        self._lock = threading.Lock()

    def add(self, n: int) -> None:
        with self._lock:
            self.done += n

    def report(self, label: str) -> None:
        if self.callback is not None:
            self.callback(self.done, self.total, label)


class _Stopped(Exception):
    """Internal: a worker gave up its file because the capture is failing anyway."""


def _copy_and_hash(src: str, dst: str, *, split: bool, counter: _Progress,
                   stop: threading.Event) -> tuple[_Digest, dict[str, Any] | None]:
    """Copy ``src`` to the new file ``dst`` reading it once; its digests and image info.

    SHA-256 and SHA-512 are computed from the bytes as read (``split``: SHA-256 on a helper
    thread); the disk writes ``dst`` meanwhile (:class:`_Flusher`), and durability is
    handled once for the whole bundle (see :func:`capture`). The image probe
    reads the same open file: what is described is what was copied.
    """
    fd = os.open(dst, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _O_CLOEXEC, 0o666)
    try:
        return _read_and_hash(src, fd, split=split, counter=counter, stop=stop)
    finally:
        os.close(fd)


class _PathTaken(InputError):
    """A file of a ``move`` capture was not moved: its bundle path holds another file."""

    def __init__(self, src: str, dst: str):
        super().__init__(f"{src}: {dst} is taken by another file in the bundle (names "
                         "differing only in case?); capture them separately")
        self.src = src


def _move_and_hash(src: str, dst: str, *, split: bool, counter: _Progress,
                   stop: threading.Event) -> tuple[_Digest, dict[str, Any] | None]:
    """Like :func:`_copy_and_hash` for a file moved into the bundle: renamed from the
    absolute path ``src`` to ``dst`` (never replacing a file there), then read once and
    never written. Raises InputError if it cannot be renamed (the caller moves the files
    moved so far back)."""
    if stop.is_set():
        raise _Stopped
    try:
        rename_noreplace(src, dst)
    except FileExistsError as exc:
        raise _PathTaken(src, dst) from exc
    except OSError as exc:
        raise InputError(f"{src}: cannot move into the bundle ({exc.strerror})") from exc
    return _read_and_hash(dst, None, split=split, counter=counter, stop=stop)


def _read_and_hash(src: str, fd: int | None, *, split: bool, counter: _Progress,
                   stop: threading.Event) -> tuple[_Digest, dict[str, Any] | None]:
    """Read ``src`` once: SHA-256, SHA-512, image info, and each chunk written to ``fd``
    (the copy) unless it is None (a file moved into the bundle)."""
    view = _buffer()
    with _open_input(src) as fin:
        h256, h512, size, head = hashlib.sha256(), hashlib.sha512(), 0, b""
        while n := fin.readinto(view):
            chunk = view[:n]
            if not size:
                head = bytes(chunk[:_MAGIC_BYTES])
            if split and n >= PARALLEL_HASH_MIN:
                pending = _pool().submit(h256.update, chunk)
                h512.update(chunk)
                if fd is not None:
                    _write_all(fd, chunk)
                pending.result()
            else:
                h256.update(chunk)
                h512.update(chunk)
                if fd is not None:
                    _write_all(fd, chunk)
            size += n
            counter.add(n)
            if stop.is_set():
                raise _Stopped
        image = _image_info(fin) if head.startswith(_IMAGE_MAGIC) else None
    return _Digest(size, h256.hexdigest(), h512.hexdigest()), image


_O_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_MAGIC_BYTES = 16


class _FileCopier:
    """Copies files on worker threads; results come back in the order the files were given.

    Items and manifests are written in bag-path order whatever thread finished first, so
    the bundle is the same as a one-thread copy would make. Small files go in batches (see
    :data:`BATCH_FILES`). On error (or interrupt) the workers stop at their next chunk and
    are waited for before the caller removes the temporary folder.
    """

    def __init__(self, jobs: Sequence[tuple[str, str]], sizes: Sequence[int],
                 counter: _Progress, *, move: bool = False):
        """``jobs``: (source, destination) of each file; ``move``: each is renamed, not
        copied, then read (see :func:`_move_and_hash`)."""
        self.jobs = jobs
        self.counter = counter
        self.work = _move_and_hash if move else _copy_and_hash
        self.stop = threading.Event()
        workers = max(1, min(MAX_FILE_WORKERS, os.cpu_count() or 1, len(jobs)))
        self.executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="capture")
        # A file copied alone (nothing to run beside it) splits its two digests instead.
        self.split_from = len(jobs) - 1 if workers == 1 or len(jobs) == 1 else len(jobs)
        self.batches = _batches(sizes)

    def __enter__(self) -> _FileCopier:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.executor.shutdown(wait=True, cancel_futures=True)

    def _run(self, batch: range) -> list[tuple[_Digest, dict[str, Any] | None]]:
        work, jobs, counter, stop = self.work, self.jobs, self.counter, self.stop
        return [work(*jobs[i], split=i >= self.split_from, counter=counter, stop=stop)
                for i in batch]

    def results(self) -> Iterator[tuple[_Digest, dict[str, Any] | None]]:
        pending: deque[tuple[range, Future[list[tuple[_Digest, dict[str, Any] | None]]]]]
        pending = deque()
        batches = iter(self.batches)
        for batch in itertools.islice(batches, BATCHES_IN_FLIGHT):
            pending.append((batch, self.executor.submit(self._run, batch)))
        while pending:
            batch, future = pending.popleft()
            label = os.path.basename(self.jobs[batch[-1]][0])
            while True:
                try:
                    done = future.result(timeout=PROGRESS_SECONDS)
                    break
                except FuturesTimeout:
                    self.counter.report(label)
            for more in itertools.islice(batches, 1):  # another in flight for this one
                pending.append((more, self.executor.submit(self._run, more)))
            self.counter.report(label)
            yield from done


class _Flusher:
    """Has the disk write a copying capture's files while it copies more.

    Linux holds written data in memory until its dirty limits (a share of RAM: gigabytes)
    or 30 seconds, so without this the flush before the bundle is renamed into place (see
    :func:`capture`) would write the whole copy while nothing else happens. Each time
    FLUSH_BYTES more have been copied, this thread flushes the bundle's filesystem
    (:func:`evidence.fsutil.flush_filesystem`), overlapping the disk's work with the
    hashing; the workers never wait for the disk themselves. Only a head start:
    durability still comes from the final flush.
    """

    def __init__(self, folder: str, counter: _Progress):
        self.counter = counter
        self.fd = os.open(folder, os.O_RDONLY | _O_CLOEXEC)
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._run, name="flusher", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        flushed = self.counter.done
        while not self.stopping.wait(FLUSH_SECONDS):
            if self.counter.done - flushed >= FLUSH_BYTES:
                flushed = self.counter.done
                flush_filesystem(self.fd)

    def close(self) -> None:
        self.stopping.set()
        self.thread.join()
        os.close(self.fd)


def _batches(sizes: Sequence[int]) -> list[range]:
    """Consecutive files in batches of at most BATCH_FILES files and BATCH_BYTES bytes; a
    file of BATCH_BYTES or more alone."""
    batches: list[range] = []
    start = total = 0
    for i, size in enumerate(sizes):
        if i > start and (i - start >= BATCH_FILES or total + size > BATCH_BYTES):
            batches.append(range(start, i))
            start, total = i, 0
        total += size
    if start < len(sizes):
        batches.append(range(start, len(sizes)))
    return batches


def _image_info(fh: BinaryIO) -> dict[str, Any] | None:
    """Format and pixel size of the image open in ``fh`` (None if Pillow cannot tell)."""
    try:
        from PIL import Image, UnidentifiedImageError

        fh.seek(0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # Pillow warns on stderr about corrupt metadata
            with Image.open(fh) as img:
                width, height = img.size
                return {"format": str(img.format), "width": int(width), "height": int(height)}
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        return None  # evidence is never refused for its content: no pixel size recorded


_PIL_MIME = {"PNG": "image/png", "JPEG": "image/jpeg", "GIF": "image/gif", "BMP": "image/bmp",
             "WEBP": "image/webp", "TIFF": "image/tiff"}


def _media_type(name: str, image: dict[str, Any] | None) -> str:
    if image is not None and image["format"] in _PIL_MIME:
        return _PIL_MIME[image["format"]]
    guessed, _ = mimetypes.guess_type(name, strict=False)
    return guessed or "application/octet-stream"


def _walk(root: str, rel: str, warnings: list[str]) -> Iterator[tuple[str, str]]:
    """``(path, path relative to the walk's start)`` of each regular file under ``root``
    (``rel`` is root's relative path, "" or ending in "/"), sorted by name at each level;
    symlinks not followed. Strings, not Paths: 20,000 files add up."""
    try:
        entries = sorted(os.scandir(root), key=lambda e: e.name)
    except OSError as exc:
        raise InputError(f"{root}: cannot read folder ({exc.strerror})") from exc
    for entry in entries:
        if entry.is_symlink():
            warnings.append(f"{entry.path}: symbolic link not followed (not captured)")
        elif entry.is_dir(follow_symlinks=False):
            yield from _walk(entry.path, f"{rel}{entry.name}/", warnings)
        elif entry.is_file(follow_symlinks=False):
            yield entry.path, rel + entry.name
        else:
            warnings.append(f"{entry.path}: not a regular file (not captured)")


def _plan_files(paths: Sequence[Path], warnings: list[str]) -> list[tuple[str, str]]:
    """Map inputs to ``(source path, bag path under data/files/)``, sorted by bag path;
    refuse collisions."""
    planned: dict[str, str] = {}
    for given in paths:
        try:
            st = given.lstat()
        except FileNotFoundError as exc:
            raise InputError(f"{given}: no such file or folder") from exc
        except OSError as exc:
            raise InputError(f"{given}: cannot read ({exc.strerror})") from exc
        if stat.S_ISLNK(st.st_mode):
            warnings.append(f"{given}: symbolic link not followed (not captured)")
            continue
        if stat.S_ISDIR(st.st_mode):
            prefix = f"data/files/{given.resolve().name or 'root'}/"
            for file, rel in _walk(str(given), "", warnings):
                _claim(planned, prefix + rel, file)
        elif stat.S_ISREG(st.st_mode):
            _claim(planned, f"data/files/{given.name}", str(given))
        else:
            raise InputError(f"{given}: not a regular file or folder")
    return sorted(((src, dst) for dst, src in planned.items()), key=lambda p: p[1])


def _claim(planned: dict[str, str], bag_path: str, src: str) -> None:
    if bag_path in planned:
        raise InputError(f"{src} and {planned[bag_path]} would both be stored as {bag_path}; "
                         "capture them from different folders")
    planned[bag_path] = src


def _open_input(path: str | Path) -> FileIO:
    try:
        return open(path, "rb", buffering=0)  # the caller closes it
    except FileNotFoundError as exc:
        raise InputError(f"{path}: no such file") from exc
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror})") from exc


class _Builder:
    """Writes one bundle into a temporary folder."""

    def __init__(self, tmp: Path, progress: Progress | None, total: int):
        self.tmp = tmp
        self.counter = _Progress(progress, total)
        self.manifest: list[tuple[str, _Digest]] = []
        self._root = str(tmp)
        self._folders: set[str] = set()

    def target(self, bag_path: str) -> str:
        """The path of ``bag_path`` in the bundle, its folder made (once per folder).
        Strings, not Paths: 20,000 files add up."""
        dst = os.path.join(self._root, bag_path)
        folder = os.path.dirname(dst)
        if folder not in self._folders:
            os.makedirs(folder, exist_ok=True)
            self._folders.add(folder)
        return dst

    def add_files(self, files: Sequence[tuple[str, str]], sizes: Sequence[int], *,
                  plan: Sequence[tuple[str, str]] | None = None
                  ) -> Iterator[tuple[str, str, _Digest, dict[str, Any] | None]]:
        """Copy ``files`` (source, bag path) in parallel; yield each in the given order.

        ``sizes``: the files' sizes when planned (how they are batched: see
        :data:`BATCH_FILES`). ``plan``: the files are moved, not copied, from the plan's
        absolute paths; each is renamed into the bundle by a worker just before it reads
        it (see :func:`_move_and_hash`), so that renaming overlaps hashing.
        """
        if plan is None:
            jobs = [(src, self.target(bag_path)) for src, bag_path in files]
        else:
            jobs = [(src, self.target(bag_path)) for src, bag_path in plan]
        flusher = _Flusher(self._root, self.counter) if plan is None else None
        try:
            with _FileCopier(jobs, sizes, self.counter, move=plan is not None) as copier:
                for (src, bag_path), (digest, image) in zip(files, copier.results(),
                                                            strict=True):
                    self.manifest.append((bag_path, digest))
                    yield src, bag_path, digest, image
        finally:
            if flusher is not None:
                flusher.close()


def _file_item(index: int, bag_path: str, name: str, d: _Digest, prov: str,
               image: dict[str, Any] | None) -> dict[str, Any]:
    """A file's item, without its salt (see :meth:`_ItemWriter.emit`)."""
    item: dict[str, Any] = {
        "version": FORMAT_VERSION, "id": f"F-{index}", "kind": "file", "path": bag_path,
        "original_name": name, "size": d.size, "sha256": d.sha256, "sha512": d.sha512,
        "media_type": _media_type(name, image), "provenance": prov,
    }
    if image is not None:
        item["image"] = image
    return item


class _FileItemEncoder:
    """The canonical line of a file's item, laid into a template of the members every file
    item of a capture shares (see :class:`evidence.jcs.ObjectTemplate`); equal byte for byte
    to :func:`canonicalize` of :func:`_file_item` with its salt, which an item with image
    info, or a name the template cannot take, goes through instead."""

    def __init__(self, prov: str):
        self.prov = prov
        self.fill = ObjectTemplate(
            {"version": FORMAT_VERSION, "kind": "file", "provenance": prov},
            ("id", "path", "original_name", "size", "sha256", "sha512", "media_type", "salt"),
            raw_strings=("id", "sha256", "sha512", "salt")).fill

    def encode(self, index: int, bag_path: str, name: str, d: _Digest,
               image: dict[str, Any] | None, salt: str) -> bytes:
        if image is None:
            with contextlib.suppress(UnicodeEncodeError):  # a lone surrogate: see below
                return self.fill((
                    f"F-{index}", canonical_string(bag_path), canonical_string(name),
                    str(d.size), d.sha256, d.sha512,
                    canonical_string(_media_type(name, None)), salt)).encode("utf-8")
        item = _file_item(index, bag_path, name, d, self.prov, image)
        item["salt"] = salt
        return canonicalize(item)  # raises FormatError for a name RFC 8785 cannot write


def capture(
    paths: Sequence[Path],
    *,
    out: Path,
    case: str,
    key: SigningKey,
    records: Sequence[Path] = (),
    platform: str | None = None,
    source_url: str | None = None,
    note: str | None = None,
    encoding: str = "utf-8",
    progress: Progress | None = None,
    move: bool = False,
    capturer_name: str | None = None,
    organisation: str | None = None,
) -> CaptureResult:
    """Capture ``paths`` (files and folders) and ``records`` exports into a new bundle.

    ``capturer_name`` and ``organisation`` are recorded in the signed provenance as the
    capturer declares them (reports show them as declared, beside the key that is proven).

    ``move``: the files of ``paths`` are renamed into the bundle instead of copied (the
    ``records`` exports are still copied), like ``bagit.py`` making a bag in place: their
    bytes are read once to be hashed and never written again, and their original paths no
    longer exist afterwards. The bundle is byte for byte the one a copying capture makes.
    Every file must be a regular file on the filesystem of ``out``'s folder, in a folder we
    may write, and given once; this is checked before anything moves. Before the first
    rename a move plan (:data:`MOVE_PLAN_FILE`) is written and flushed into the temporary
    folder; if the capture fails or is interrupted, every moved file is renamed back to its
    path; after a crash, :func:`recover_moved` does it from the plan.

    Raises InputError/FormatError (nothing is left at ``out``, nothing moved) for a missing
    path, a bad export, empty input, an existing ``out`` or a file ``move`` cannot rename;
    EvidenceError, naming the temporary folder to give to :func:`recover_moved`, if moved
    files could not all be put back after a failure.
    """
    out = Path(out)
    if not case.strip():
        raise InputError("--case must not be empty")
    if out.exists() or out.is_symlink():
        raise BundleExistsError(f"{out}: exists already; a bundle is never overwritten")
    if not out.parent.is_dir():
        raise InputError(f"{out.parent}: output folder does not exist")
    warnings: list[str] = []
    files = _plan_files(paths, warnings)
    exports: list[tuple[Path, str]] = []
    names: dict[str, Path] = {}
    for rec in records:
        _open_input(rec).close()
        if rec.name in names:
            raise InputError(f"{rec} and {names[rec.name]} have the same name; rename one")
        names[rec.name] = rec
        exports.append((rec, f"data/exports/{rec.name}"))
    if not files and not exports:
        raise InputError("nothing to capture: no files found and no --records given")
    plan = _check_movable(files, exports, out, warnings) if move else []
    sizes = [_size(src) for src, _ in files]
    total = sum(sizes) + sum(_size(src) for src, _ in exports)
    tmp = out.parent / f".{out.name}.partial-{secrets.token_hex(4)}"
    tmp.mkdir(mode=0o755)
    placed = False
    try:
        if move:
            _write_move_plan(tmp, plan)
        result = _build(tmp, out, files, sizes, exports, warnings, case=case, key=key,
                        platform=platform, source_url=source_url, note=note, encoding=encoding,
                        progress=progress, total=total,
                        plan=plan if move else None,
                        declared=(capturer_name, organisation))
        if out.exists() or out.is_symlink():
            raise BundleExistsError(f"{out}: appeared while capturing; not overwritten")
        os.rename(tmp, out)
        placed = True  # from here on, moved files belong to the bundle
        if move:
            with contextlib.suppress(FileNotFoundError):
                _plan_aside(tmp).unlink()
        fsync_dir(out.parent)
        return result
    except BaseException as exc:
        if placed:
            raise
        if move:  # a file whose bundle path was taken was not moved: nothing to put back
            kept = exc.src if isinstance(exc, _PathTaken) else None
            _undo_moves(tmp, [entry for entry in plan if entry[0] != kept], exc)
        shutil.rmtree(tmp, ignore_errors=True)
        raise


# --- capture --move: plan, moves, undo, recovery ------------------------------------------------

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


def _size(path: str | Path) -> int:
    try:
        return os.stat(path).st_size
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror})") from exc


def _device(path: Path) -> int:
    """The device (filesystem) a path is on, not following a final symlink."""
    return os.lstat(path).st_dev


def _check_movable(files: Sequence[tuple[str, str]], exports: Sequence[tuple[Path, str]],
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


def _plan_aside(partial: Path) -> Path:
    """Where the move plan of ``partial`` goes when it leaves the folder (see
    :data:`MOVE_PLAN_FILE`)."""
    return partial.parent / f"{partial.name}.{MOVE_PLAN_FILE}"


def _write_move_plan(tmp: Path, plan: Sequence[tuple[str, str]]) -> None:
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


def _undo_moves(tmp: Path, plan: Sequence[tuple[str, str]], cause: BaseException) -> None:
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
        _plan_aside(tmp).unlink()


def _read_move_plan(partial: Path) -> tuple[Path, list[tuple[str, str]]]:
    """The move plan of ``partial`` (inside it, or beside it): its path and entries.

    Raises InputError if there is none, FormatError if it is malformed: every source must
    be an absolute path and every bag path a relative path under ``data/`` without ``..``.
    """
    for path in (partial / MOVE_PLAN_FILE, _plan_aside(partial)):
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


def _environment() -> dict[str, str]:
    """The capture environment as the capture tool sees it (operating system, machine
    architecture, Python): recorded, not attested; no host or user name (privacy)."""
    import platform as host

    return {"os": f"{host.system()} {host.release()}".strip(), "machine": host.machine(),
            "python": host.python_version()}


def _build(tmp: Path, out: Path, files: list[tuple[str, str]], sizes: list[int],
           exports: list[tuple[Path, str]], warnings: list[str], *, case: str,
           key: SigningKey, platform: str | None, source_url: str | None, note: str | None,
           encoding: str, progress: Progress | None, total: int,
           plan: Sequence[tuple[str, str]] | None,
           declared: tuple[str | None, str | None] = (None, None)) -> CaptureResult:
    """The bundle, made in ``tmp``; ``plan``: the files are moved into it, not copied."""
    captured_at = utc_now()
    provenance: dict[str, Any] = {
        "version": FORMAT_VERSION,
        "case": case,
        "captured_at": captured_at,
        "clock_source": "local system clock (UTC), not independently attested",
        "tool": {"name": TOOL_NAME, "version": __version__},
        "capturer": {"algorithm": "ed25519", "public_key": key.public_key.hex(),
                     "fingerprint": key.fingerprint},
    }
    for name, value in (("platform", platform), ("source_url", source_url), ("note", note)):
        if value:
            provenance[name] = value
    provenance["environment"] = _environment()
    for name, value in zip(("name", "organisation"), declared, strict=True):
        if value:  # as the capturer declares it: a statement, not an identity proof
            provenance["capturer"][name] = value
    prov_bytes = canonicalize(provenance)
    prov_digest = hashlib.sha256(prov_bytes).hexdigest()

    builder = _Builder(tmp, progress, total)
    (tmp / "evidence").mkdir()
    _write(tmp / PROVENANCE_FILE, prov_bytes)
    # Items are written as they are made (files, then each export followed by its records),
    # so memory holds only the 32-byte leaf hashes and offsets, even for a million records.
    with _ItemWriter(tmp / ITEMS_FILE) as items:
        encode = _FileItemEncoder(prov_digest).encode
        salts = items.salts
        for src, bag_path, digest, image in builder.add_files(files, sizes, plan=plan):
            items.add(encode(items.files + 1, bag_path, os.path.basename(src), digest, image,
                             next(salts)))
        for export, bag_path in exports:
            for _, _, digest, image in builder.add_files([(str(export), bag_path)], [0]):
                export_item = _file_item(items.files + 1, bag_path, export.name, digest,
                                         prov_digest, image)
                items.emit(export_item)
                _write_records(builder, export, export_item, encoding, prov_digest, items)
    leaves = items.leaves
    # The index (a tag file, so written before the tag manifests) holds every level of the
    # RFC 6962 tree, bottom up; its last HASH_LEN bytes are the root: the tree is built once.
    index_path = tmp / INDEX_FILE
    write_index(index_path, leaves=leaves, file_leaves=items.file_leaves,
                item_offsets=items.item_offsets, data_offsets=items.data_offsets)
    root = _last_bytes(index_path, HASH_LEN)
    statement = {
        "type": ROOT_STATEMENT_TYPE, "version": 1, "hash": HASH_ALGORITHM, "root": root.hex(),
        "leaf_count": len(leaves), "case": case, "captured_at": captured_at,
        "provenance": prov_digest,
    }
    signed = SignedRoot(statement, key.public_key, key.sign(canonicalize(statement)))
    _write(tmp / ROOT_FILE, canonicalize(signed.to_json()) + b"\n")
    entry = first_entry("captured", {"root": root.hex(), "items": len(leaves), "case": case,
                                     "bundle": out.name}, key)
    _write(tmp / CUSTODY_FILE, entry.line + b"\n")

    manifest = sorted(builder.manifest)
    _write(tmp / "bagit.txt", format_bagit_txt())
    for alg in ("sha256", "sha512"):
        _write(tmp / f"manifest-{alg}.txt",
               format_manifest((p, getattr(d, alg)) for p, d in manifest))
    info = [
        ("Bag-Software-Agent", f"{TOOL_NAME} {__version__}"),
        ("Bagging-Date", captured_at[:10]),
        ("External-Identifier", case),
        ("Payload-Oxum", payload_oxum(sum(d.size for _, d in manifest), len(manifest))),
        ("Evidence-Case", case),
        ("Evidence-Captured-At", captured_at),
        ("Evidence-Root", root.hex()),
        ("Evidence-Signer", key.fingerprint),
    ]
    if platform:
        info.append(("Evidence-Platform", platform))
    if source_url:
        info.append(("Evidence-Source-URL", source_url))
    if note:
        info.append(("External-Description", note))
    _write(tmp / "bag-info.txt", format_bag_info(info))
    if plan is not None:  # out of the bundle before the tag manifests list it (MOVE_PLAN_FILE)
        os.rename(tmp / MOVE_PLAN_FILE, _plan_aside(tmp))
    from .recheck_script import write_script

    write_script(tmp)  # the stdlib re-check script travels with the bundle (a tag file)
    write_tag_manifests(tmp)
    # One flush of everything written (cheaper than an fsync per file for 20,000 files, and
    # most of it is on disk already: see _Flusher); the folder is renamed into place
    # only after this, so a crash leaves no bundle.
    os.sync()
    return CaptureResult(path=out, root=root, item_count=len(leaves), file_count=items.files,
                         record_count=items.records, total_bytes=builder.counter.done,
                         warnings=tuple(warnings),
                         moved_count=0 if plan is None else len(plan))


def _last_bytes(path: Path, count: int) -> bytes:
    with path.open("rb") as fh:
        fh.seek(-count, os.SEEK_END)
        return fh.read(count)


def _write(path: Path, data: bytes) -> None:
    with path.open("xb") as fh:
        fh.write(data)


#: Record and item lines are written (and records hashed, for the payload manifests) in
#: blocks of about this size, on a helper thread: large enough for hashlib to release the
#: GIL and for the disk to stream, small enough to keep memory flat.
BLOCK_BYTES = 1024 * 1024
#: Blocks handed to the writer thread and not yet written, at most (bounds memory when the
#: disk is slower than the encoder).
BLOCKS_QUEUED = 8
#: Salts drawn from the system's random source at a time (each item still gets its own
#: SALT_BYTES fresh bytes; one system call per batch instead of one per item).
SALT_BATCH = 4096

#: Members of a record item that differ from record to record (the others are the same for
#: a whole export and are encoded once; see evidence.jcs.ObjectTemplate).
_RECORD_SLOTS = ("id", "line", "locator", "size", "sha256", "sha512", "salt")
#: Slots that are plain strings needing no JSON escaping: generated ids and lowercase hex.
_RECORD_RAW = ("id", "sha256", "sha512", "salt")
_WRITER: ThreadPoolExecutor | None = None


def _writer() -> ThreadPoolExecutor:
    global _WRITER
    if _WRITER is None:
        _WRITER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="writer")
    return _WRITER


def _salts() -> Iterator[str]:
    """Fresh random salts as hex (RFC 6962 leaves are public; the salt hides guessable
    items), SALT_BYTES each, drawn SALT_BATCH at a time."""
    width = 2 * SALT_BYTES
    while True:
        batch = secrets.token_bytes(SALT_BYTES * SALT_BATCH).hex()
        yield from [batch[i:i + width] for i in range(0, len(batch), width)]


def _write_records(builder: _Builder, src: Path, export_item: dict[str, Any], encoding: str,
                   prov: str, items: _ItemWriter) -> None:
    """Canonicalize each record of ``src`` into ``data/records/NAME.jsonl``, one item each.

    A CSV export takes the fast path: its rows are laid into a template whose names were
    sorted once (:class:`evidence.jcs.StringRecordEncoder`); JSON and JSON Lines records are
    canonicalized one by one. Either way each item is laid into a template of the export's
    constant members (:class:`evidence.jcs.ObjectTemplate`), so it is byte for byte the
    canonical form of the item. Raises FormatError naming the row, line or element of a bad
    record.
    """
    bag_path = f"data/records/{src.name}.jsonl"
    fill = ObjectTemplate(
        {"version": FORMAT_VERSION, "kind": "record", "path": bag_path,
         "source": export_item["id"], "source_name": src.name,
         "media_type": "application/json", "provenance": prov},
        _RECORD_SLOTS, raw_strings=_RECORD_RAW).fill
    sha256, sha512 = hashlib.sha256, hashlib.sha512
    salts = items.salts
    # The loop below runs once per record (a million times for a large export): what it
    # touches is bound to locals, and both files are appended to in blocks.
    leaves, item_offsets, data_offsets = items.leaves, items.item_offsets, items.data_offsets
    item_lines = items.lines
    with _BlockFile(builder.target(bag_path), hashed=True) as out:
        record_lines: list[bytes] = []
        first = items.records + 1
        count = record_size = record_flushed = 0
        item_size = items.size
        for locator, line in _record_lines(src, encoding):
            record_lines.append(line)
            data_offsets.append(record_size)
            record_size += len(line) + 1
            text = fill((f"R-{first + count}", str(count + 1), locator, str(len(line)),
                         sha256(line).hexdigest(), sha512(line).hexdigest(), next(salts),
                         )).encode("utf-8")
            count += 1
            leaves.append(sha256(b"\x00" + text).digest())  # RFC 6962 §2.1 leaf hash
            item_lines.append(text)
            item_offsets.append(item_size)
            item_size += len(text) + 1
            if record_size - record_flushed >= BLOCK_BYTES:
                out.write(_joined(record_lines))
                record_flushed = record_size
            if item_size - items.flushed >= BLOCK_BYTES:
                items.size = item_size
                items.flush()
        items.size = item_size
        items.records += count
        out.write(_joined(record_lines))
    if not count:
        raise InputError(f"{src}: no records")
    builder.manifest.append((bag_path, out.digest()))


def _joined(lines: list[bytes]) -> bytes:
    """The lines, each ended by a line break, as one block; ``lines`` is emptied."""
    if not lines:
        return b""
    lines.append(b"")
    data = b"\n".join(lines)
    lines.clear()
    return data


def _record_lines(src: Path, encoding: str) -> Iterator[tuple[str, bytes]]:
    """``(locator as JSON text, canonical record bytes)`` for each record of ``src``."""
    if detect_format(src) == "csv":
        rows = iter_csv_rows(src, encoding=encoding)
        _, header = next(rows)
        encode = StringRecordEncoder(header).encode
        for row_number, values in rows:
            yield f'"row {row_number}"', encode(values)  # the locator of evidence.records
    else:
        for record in iter_records(src, encoding=encoding):
            yield canonical_string(record.locator), canonicalize(record.fields)


def _write_block(fd: int, offset: int, data: bytes, hashes: Sequence[hashlib._Hash]) -> None:
    for digest in hashes:
        digest.update(data)
    _write_all(fd, data)
    _start_writeback(fd, offset, len(data))


class _BlockFile:
    """A new file written block by block on the writer thread, hashed as written if asked.

    Blocks are written in order; an error writing one is raised by a later :meth:`write`
    or by the ``with`` block's exit.
    """

    def __init__(self, path: str | Path, *, hashed: bool):
        self.fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _O_CLOEXEC, 0o666)
        self.hashes: tuple[hashlib._Hash, ...] = (
            (hashlib.sha256(), hashlib.sha512()) if hashed else ())
        self.size = 0
        self.pending: deque[Future[None]] = deque()

    def write(self, data: bytes) -> None:
        if data:
            self.pending.append(_writer().submit(_write_block, self.fd, self.size, data,
                                                 self.hashes))
            self.size += len(data)
        while len(self.pending) > BLOCKS_QUEUED or (self.pending and self.pending[0].done()):
            self.pending.popleft().result()

    def digest(self) -> _Digest:
        """Size and digests of what was written (``hashed`` files, after the ``with``)."""
        h256, h512 = self.hashes[0], self.hashes[1]
        return _Digest(self.size, h256.hexdigest(), h512.hexdigest())

    def __enter__(self) -> _BlockFile:
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            while self.pending:  # always waited for: no write may outlive the file
                self.pending.popleft().result()
        finally:
            os.close(self.fd)


class _ItemWriter:
    """Writes ``items.jsonl`` line by line, salting each item and keeping what the index
    needs: its leaf hash, its offset, and for a record its offset in the records file."""

    def __init__(self, path: Path):
        self.out = _BlockFile(path, hashed=False)
        self.salts = _salts()
        self.leaves: list[bytes] = []
        self.file_leaves = array("Q")
        self.item_offsets = array("Q")
        self.data_offsets = array("Q")
        self.lines: list[bytes] = []  # not yet handed to the writer
        self.size = 0  # bytes of items so far, lines included
        self.flushed = 0  # bytes handed to the writer
        self.files = 0
        self.records = 0

    def emit(self, item: dict[str, Any]) -> None:
        """Write a file item (a dict without salt; the salt is added here)."""
        item["salt"] = next(self.salts)
        self.add(canonicalize(item))

    def add(self, line: bytes) -> None:
        """Write a file item's canonical line."""
        self.file_leaves.append(len(self.leaves))
        self.leaves.append(hashlib.sha256(b"\x00" + line).digest())  # RFC 6962 §2.1 leaf
        self.item_offsets.append(self.size)
        self.data_offsets.append(0)
        self.lines.append(line)
        self.size += len(line) + 1
        self.files += 1
        if self.size - self.flushed >= BLOCK_BYTES:
            self.flush()

    def flush(self) -> None:
        self.out.write(_joined(self.lines))
        self.flushed = self.size

    def __enter__(self) -> _ItemWriter:
        return self

    def __exit__(self, exc_type: object, *rest: object) -> None:
        try:
            if exc_type is None:
                self.flush()
        finally:
            self.out.__exit__()


def sha256_and_512(path: Path) -> tuple[int, str, str]:
    """Size, SHA-256 and SHA-512 of a file, read once in chunks."""
    h256, h512, size = hashlib.sha256(), hashlib.sha512(), 0
    with path.open("rb") as fh:
        while chunk := fh.read(CHUNK_BYTES):
            h256.update(chunk)
            h512.update(chunk)
            size += len(chunk)
    return size, h256.hexdigest(), h512.hexdigest()
