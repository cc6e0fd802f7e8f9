"""The parallel copier: files copied (or moved in) and hashed, SHA-256 and SHA-512 at once.

Files are copied and hashed on one thread per core (:data:`MAX_FILE_WORKERS`), small files
in batches (:data:`BATCH_FILES`, :data:`BATCH_BYTES`), results handed back in the order
given whatever finished first; a :class:`Flusher` has the disk write what was copied while
hashing goes on. A large file's copy is written with O_DIRECT by a writer thread while its
worker hashes the same chunk (:data:`DIRECT_MIN_BYTES`): no copy into the page cache and no
writeback later, which cost as much CPU as the hashing on this VM. With ``move`` each file
is renamed into the bundle by the worker about to read it (never over a file already there:
:class:`PathTaken`). :class:`Builder` drives it for one bundle's temporary folder.
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import mmap
import os
import threading
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FuturesTimeout
from dataclasses import dataclass
from io import FileIO
from pathlib import Path
from typing import Any

from ..errors import InputError
from ..fsutil import flush_filesystem, rename_noreplace
from .media import IMAGE_MAGIC, image_info

__all__ = [
    "BATCH_BYTES",
    "BATCH_FILES",
    "CHUNK_BYTES",
    "DIRECT_MIN_BYTES",
    "O_CLOEXEC",
    "Builder",
    "Digest",
    "FileCopier",
    "Flusher",
    "PathTaken",
    "Progress",
    "ProgressCounter",
    "open_input",
    "start_writeback",
    "write_all",
]


#: Read and hash files in 4 MiB chunks: large enough for hashlib to release the GIL and
#: for the disk to stream, small enough to keep memory flat.
CHUNK_BYTES = 4 * 1024 * 1024


#: progress(done_bytes, total_bytes, label)
Progress = Callable[[int, int, str], None]


@dataclass
class Digest:
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
#: FLUSH_SECONDS, on a thread of its own (see :class:`Flusher`; measured here: 20,000 x
#: 50 KiB files in 7.0 s instead of 8.0 s; 8 x 256 MiB in 7.1-8.0 s instead of 7.9-8.7 s
#: with a writeback started by each worker after each chunk, which made hashing wait for
#: the disk's queue).
FLUSH_BYTES = 64 * 1024 * 1024


FLUSH_SECONDS = 0.25


#: A copied file of at least this many bytes is written with ``O_DIRECT`` (Linux): from
#: the chunk buffer straight to the disk, not through the page cache, on a writer thread
#: while this worker hashes the same chunk (see :func:`_copy_and_hash`). Measured here:
#: 384 MiB written and fsync'd cost 1.0 to 1.2 s of CPU through the page cache (the copy
#: into it, then its writeback), 0.03 to 0.08 s with O_DIRECT, in 0.45 to 0.64 s instead
#: of 1.3 to 1.7 s. Smaller files go through the page cache: one synchronous disk write
#: per 50 KiB file would wait on the disk 20,000 times.
DIRECT_MIN_BYTES = 8 * 1024 * 1024


#: O_DIRECT transfers must start and end on the device's logical block boundaries; 4 KiB
#: covers 512-byte and 4 KiB sectors. A chunk that does not end on one (a file's tail, a
#: short read) is written, with the rest of the file, through the page cache.
DIRECT_ALIGN = 4096


_O_DIRECT: int = getattr(os, "O_DIRECT", 0)


_POOL: ThreadPoolExecutor | None = None


_WRITERS: ThreadPoolExecutor | None = None


_BUFFERS = threading.local()


def _pool() -> ThreadPoolExecutor:
    global _POOL
    if _POOL is None:
        _POOL = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sha256")
    return _POOL


def _writers() -> ThreadPoolExecutor:
    """The threads that write O_DIRECT chunks while the workers hash them (one each)."""
    global _WRITERS
    if _WRITERS is None:
        _WRITERS = ThreadPoolExecutor(max_workers=MAX_FILE_WORKERS, thread_name_prefix="write")
    return _WRITERS


def _buffer(aligned: bool = False) -> memoryview:
    """This thread's chunk buffer (reused: no 4 MiB allocation per read); ``aligned``: a
    page-aligned one (an anonymous mapping), as O_DIRECT writes need."""
    name = "aligned" if aligned else "view"
    view: memoryview | None = getattr(_BUFFERS, name, None)
    if view is None:
        view = memoryview(mmap.mmap(-1, CHUNK_BYTES) if aligned else bytearray(CHUNK_BYTES))
        setattr(_BUFFERS, name, view)
    return view


def start_writeback(fd: int, offset: int, length: int) -> None:
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


def write_all(fd: int, data: memoryview | bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


class ProgressCounter:
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


def _copy_and_hash(src: str, dst: str, *, split: bool, counter: ProgressCounter,
                   stop: threading.Event) -> tuple[Digest, dict[str, Any] | None]:
    """Copy ``src`` to the new file ``dst`` reading it once; its digests and image info.

    SHA-256 and SHA-512 are computed from the bytes as read (``split``: SHA-256 on a helper
    thread); the disk writes ``dst`` meanwhile (O_DIRECT from a writer thread for a file of
    :data:`DIRECT_MIN_BYTES` or more, else :class:`Flusher`), and durability is
    handled once for the whole bundle (see :func:`capture`). The image probe
    reads the same open file: what is described is what was copied.
    """
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | O_CLOEXEC
    direct = bool(_O_DIRECT) and _size_of(src) >= DIRECT_MIN_BYTES
    fd = os.open(dst, flags, 0o666)
    try:
        if direct:
            direct = _set_direct(fd, True)
        return _read_and_hash(src, fd, split=split, counter=counter, stop=stop,
                              direct=direct)
    finally:
        os.close(fd)


def _size_of(path: str) -> int:
    try:
        return os.stat(path).st_size
    except OSError:
        return 0  # open_input says what is wrong with it


def _set_direct(fd: int, on: bool) -> bool:
    """Turn O_DIRECT on or off for ``fd``; False if the filesystem refuses it (tmpfs,
    some network filesystems: EINVAL), the file then written through the page cache."""
    import fcntl

    try:
        flags = fcntl.fcntl(fd, fcntl.F_GETFL)
        fcntl.fcntl(fd, fcntl.F_SETFL, flags | _O_DIRECT if on else flags & ~_O_DIRECT)
    except OSError:
        return False
    return on


class PathTaken(InputError):
    """A file of a ``move`` capture was not moved: its bundle path holds another file."""

    def __init__(self, src: str, dst: str):
        super().__init__(f"{src}: {dst} is taken by another file in the bundle (names "
                         "differing only in case?); capture them separately")
        self.src = src


def _move_and_hash(src: str, dst: str, *, split: bool, counter: ProgressCounter,
                   stop: threading.Event) -> tuple[Digest, dict[str, Any] | None]:
    """Like :func:`_copy_and_hash` for a file moved into the bundle: renamed from the
    absolute path ``src`` to ``dst`` (never replacing a file there), then read once and
    never written. Raises InputError if it cannot be renamed (the caller moves the files
    moved so far back)."""
    if stop.is_set():
        raise _Stopped
    try:
        rename_noreplace(src, dst)
    except FileExistsError as exc:
        raise PathTaken(src, dst) from exc
    except OSError as exc:
        raise InputError(f"{src}: cannot move into the bundle ({exc.strerror})") from exc
    return _read_and_hash(dst, None, split=split, counter=counter, stop=stop)


def _read_and_hash(src: str, fd: int | None, *, split: bool, counter: ProgressCounter,
                   stop: threading.Event, direct: bool = False
                   ) -> tuple[Digest, dict[str, Any] | None]:
    """Read ``src`` once: SHA-256, SHA-512, image info, and each chunk written to ``fd``
    (the copy) unless it is None (a file moved into the bundle). ``direct``: ``fd`` is in
    O_DIRECT mode; each block-aligned chunk is written by a writer thread while this one
    hashes it (the first chunk that is not aligned turns O_DIRECT off for the rest)."""
    view = _buffer(aligned=direct)
    with open_input(src) as fin:
        h256, h512, size, head = hashlib.sha256(), hashlib.sha512(), 0, b""
        while n := fin.readinto(view):
            chunk = view[:n]
            if not size:
                head = bytes(chunk[:_MAGIC_BYTES])
            if direct and n % DIRECT_ALIGN:
                direct = _set_direct(fd, False) if fd is not None else False
            if direct and fd is not None:
                writing = _writers().submit(write_all, fd, chunk)
                if split and n >= PARALLEL_HASH_MIN:
                    pending = _pool().submit(h256.update, chunk)
                    h512.update(chunk)
                    pending.result()
                else:
                    h256.update(chunk)
                    h512.update(chunk)
                try:
                    writing.result()  # the buffer is read into again next
                except OSError:  # refused (a larger block size?): this chunk again, buffered
                    direct = _set_direct(fd, False)
                    os.lseek(fd, size, os.SEEK_SET)
                    write_all(fd, chunk)
            elif split and n >= PARALLEL_HASH_MIN:
                pending = _pool().submit(h256.update, chunk)
                h512.update(chunk)
                if fd is not None:
                    write_all(fd, chunk)
                pending.result()
            else:
                h256.update(chunk)
                h512.update(chunk)
                if fd is not None:
                    write_all(fd, chunk)
            size += n
            counter.add(n)
            if stop.is_set():
                raise _Stopped
        image = image_info(fin) if head.startswith(IMAGE_MAGIC) else None
    return Digest(size, h256.hexdigest(), h512.hexdigest()), image


O_CLOEXEC = getattr(os, "O_CLOEXEC", 0)


_MAGIC_BYTES = 16


class FileCopier:
    """Copies files on worker threads; results come back in the order the files were given.

    Items and manifests are written in bag-path order whatever thread finished first, so
    the bundle is the same as a one-thread copy would make. Small files go in batches (see
    :data:`BATCH_FILES`). On error (or interrupt) the workers stop at their next chunk and
    are waited for before the caller removes the temporary folder.
    """

    def __init__(self, jobs: Sequence[tuple[str, str]], sizes: Sequence[int],
                 counter: ProgressCounter, *, move: bool = False):
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

    def __enter__(self) -> FileCopier:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.executor.shutdown(wait=True, cancel_futures=True)

    def _run(self, batch: range) -> list[tuple[Digest, dict[str, Any] | None]]:
        work, jobs, counter, stop = self.work, self.jobs, self.counter, self.stop
        return [work(*jobs[i], split=i >= self.split_from, counter=counter, stop=stop)
                for i in batch]

    def results(self) -> Iterator[tuple[Digest, dict[str, Any] | None]]:
        pending: deque[tuple[range, Future[list[tuple[Digest, dict[str, Any] | None]]]]]
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


class Flusher:
    """Has the disk write a copying capture's files while it copies more.

    Linux holds written data in memory until its dirty limits (a share of RAM: gigabytes)
    or 30 seconds, so without this the flush before the bundle is renamed into place (see
    :func:`capture`) would write the whole copy while nothing else happens. Each time
    FLUSH_BYTES more have been copied, this thread flushes the bundle's filesystem
    (:func:`evidence.fsutil.flush_filesystem`), overlapping the disk's work with the
    hashing; the workers never wait for the disk themselves. Only a head start:
    durability still comes from the final flush.
    """

    def __init__(self, folder: str, counter: ProgressCounter):
        self.counter = counter
        self.fd = os.open(folder, os.O_RDONLY | O_CLOEXEC)
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


def open_input(path: str | Path) -> FileIO:
    try:
        return open(path, "rb", buffering=0)  # the caller closes it
    except FileNotFoundError as exc:
        raise InputError(f"{path}: no such file") from exc
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror})") from exc


class Builder:
    """Writes one bundle into a temporary folder."""

    def __init__(self, tmp: Path, progress: Progress | None, total: int):
        self.tmp = tmp
        self.counter = ProgressCounter(progress, total)
        self.manifest: list[tuple[str, Digest]] = []
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
                  ) -> Iterator[tuple[str, str, Digest, dict[str, Any] | None]]:
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
        flusher = Flusher(self._root, self.counter) if plan is None else None
        try:
            with FileCopier(jobs, sizes, self.counter, move=plan is not None) as copier:
                for (src, bag_path), (digest, image) in zip(files, copier.results(),
                                                            strict=True):
                    self.manifest.append((bag_path, digest))
                    yield src, bag_path, digest, image
        finally:
            if flusher is not None:
                flusher.close()
