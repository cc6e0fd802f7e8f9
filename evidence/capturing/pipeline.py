"""Capture: files and transaction records into a new, signed evidence bundle.

The bundle is built in a hidden temporary folder beside the output and renamed into
place only when complete (everything flushed to disk), so a crash never leaves something
at the output path that could pass for a bundle, and an existing path is never overwritten.

Speed (issue 7): files are copied and hashed (SHA-256 and SHA-512, each read once) on one
thread per core, small files in batches, and their items written in bag-path order whatever
finished first; disk writeback starts while hashing goes on (:mod:`.copier`). Records are
encoded with per-export templates (:class:`evidence.standards.jcs.StringRecordEncoder`,
:class:`evidence.standards.jcs.ObjectTemplate`) and written in blocks on a writer thread
(:mod:`.record_items`). The bundle index ``evidence/index.bin``
(:mod:`evidence.bundle.index`) is written from the leaf hashes and offsets gathered on the
way, and its top level gives the root, so the tree is built once.

With ``move`` the files are renamed into the bundle and only read (like ``bagit.py``
making a bag in place), each by the worker about to read it: no byte of them is written,
no file already in the bundle is ever replaced, and a move plan makes every step undoable,
even after a crash (:mod:`.move`, :func:`~evidence.capturing.move.recover_moved`).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import secrets
import shutil
import stat
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..bundle.custody import first_entry, utc_now
from ..bundle.index import INDEX_FILE, write_index
from ..bundle.layout import (
    CUSTODY_FILE,
    FORMAT_VERSION,
    HASH_ALGORITHM,
    ITEMS_FILE,
    PROVENANCE_FILE,
    ROOT_FILE,
    ROOT_STATEMENT_TYPE,
    SignedRoot,
)
from ..errors import BundleExistsError, InputError
from ..fsutil import fsync_dir, rename_noreplace, sync_filesystem
from ..keys import SigningKey
from ..standards.bagit import (
    format_bag_info,
    format_bagit_txt,
    format_manifest,
    payload_oxum,
    write_tag_manifests,
)
from ..standards.jcs import ObjectTemplate, canonical_string, canonicalize
from ..standards.merkle import HASH_LEN
from ..version import TOOL_NAME, __version__
from .copier import (
    CHUNK_BYTES,
    O_CLOEXEC,
    Builder,
    Digest,
    PathTaken,
    Progress,
    open_input,
)
from .media import media_type
from .move import (
    MOVE_PLAN_FILE,
    check_movable,
    plan_aside,
    undo_moves,
    write_move_plan,
)
from .record_items import ItemWriter, write_records
from .records import ExportDialect
from .screening import (
    HEAD_BYTES,
    content_warnings,
    is_os_junk,
    junk_warning,
    needs_head,
    refuse_secret,
    refuse_workspace,
)

__all__ = ["CaptureResult", "capture", "check_inputs"]


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

    def to_json(self) -> dict[str, object]:
        """What ``evidence capture --json`` prints."""
        return {"bundle": str(self.path), "root": self.root.hex(), "items": self.item_count,
                "files": self.file_count, "records": self.record_count,
                "bytes": self.total_bytes, "moved": self.moved_count,
                "warnings": list(self.warnings)}


def _walk(root: str, rel: str, warnings: list[str],
          junk: list[str] | None = None) -> Iterator[tuple[str, str]]:
    """``(path, path relative to the walk's start)`` of each regular file under ``root``
    (``rel`` is root's relative path, "" or ending in "/"), sorted by name at each level;
    symlinks not followed. Strings, not Paths: 20,000 files add up. A workspace is refused
    (:func:`.screening.refuse_workspace`); OS junk files are left out and listed in ``junk``
    unless ``junk`` is None (``include_hidden``)."""
    try:
        entries = sorted(os.scandir(root), key=lambda e: e.name)
    except OSError as exc:
        raise InputError(f"{root}: cannot read folder ({exc.strerror})") from exc
    refuse_workspace(root, [e.name for e in entries])
    for entry in entries:
        if junk is not None and is_os_junk(entry.name) and not entry.is_dir():
            junk.append(entry.path)
        elif entry.is_symlink():
            warnings.append(f"{entry.path}: symbolic link not followed (not captured)")
        elif entry.is_dir(follow_symlinks=False):
            yield from _walk(entry.path, f"{rel}{entry.name}/", warnings, junk)
        elif entry.is_file(follow_symlinks=False):
            yield entry.path, rel + entry.name
        else:
            warnings.append(f"{entry.path}: not a regular file (not captured)")


def _plan_files(paths: Sequence[Path], warnings: list[str], *,
                include_hidden: bool = True) -> list[tuple[str, str]]:
    """Map inputs to ``(source path, bag path under data/files/)``, sorted by bag path;
    refuse collisions, workspaces and key material (:mod:`.screening`); leave out OS junk
    files unless ``include_hidden``."""
    planned: dict[str, str] = {}
    junk: list[str] | None = None if include_hidden else []
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
            for file, rel in _walk(str(given), "", warnings, junk):
                refuse_secret(file, prefix + rel)
                _claim(planned, prefix + rel, file)
        elif stat.S_ISREG(st.st_mode):
            refuse_secret(str(given))
            if junk is not None and is_os_junk(given.name):
                junk.append(str(given))
                continue
            _claim(planned, f"data/files/{given.name}", str(given))
        else:
            raise InputError(f"{given}: not a regular file or folder")
    if junk:
        warnings.append(junk_warning(junk))
    return sorted(((src, dst) for dst, src in planned.items()), key=lambda p: p[1])


def _claim(planned: dict[str, str], bag_path: str, src: str) -> None:
    if bag_path in planned:
        raise InputError(f"{src} and {planned[bag_path]} would both be stored as {bag_path}; "
                         "capture them from different folders")
    planned[bag_path] = src


def _file_item(index: int, bag_path: str, name: str, d: Digest, prov: str,
               image: dict[str, Any] | None) -> dict[str, Any]:
    """A file's item, without its salt (see :meth:`ItemWriter.emit`)."""
    item: dict[str, Any] = {
        "version": FORMAT_VERSION, "id": f"F-{index}", "kind": "file", "path": bag_path,
        "original_name": name, "size": d.size, "sha256": d.sha256, "sha512": d.sha512,
        "media_type": media_type(name, image), "provenance": prov,
    }
    if image is not None:
        item["image"] = image
    return item


class _FileItemEncoder:
    """The canonical line of a file's item, laid into a template of the members every file
    item of a capture shares (see :class:`evidence.standards.jcs.ObjectTemplate`); equal byte
    for byte
    to :func:`canonicalize` of :func:`_file_item` with its salt, which an item with image
    info, or a name the template cannot take, goes through instead."""

    def __init__(self, prov: str):
        self.prov = prov
        self.fill = ObjectTemplate(
            {"version": FORMAT_VERSION, "kind": "file", "provenance": prov},
            ("id", "path", "original_name", "size", "sha256", "sha512", "media_type", "salt"),
            raw_strings=("id", "sha256", "sha512", "salt")).fill

    def encode(self, index: int, bag_path: str, name: str, d: Digest,
               image: dict[str, Any] | None, salt: str) -> bytes:
        if image is None:
            with contextlib.suppress(UnicodeEncodeError):  # a lone surrogate: see below
                return self.fill((
                    f"F-{index}", canonical_string(bag_path), canonical_string(name),
                    str(d.size), d.sha256, d.sha512,
                    canonical_string(media_type(name, None)), salt)).encode("utf-8")
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
    provenance_extra: Mapping[str, Any] | None = None,
    capturer_name: str | None = None,
    organisation: str | None = None,
    fmt: str | None = None,
    delimiter: str | None = None,
    quotechar: str | None = None,
    include_hidden: bool = False,
) -> CaptureResult:
    """Capture ``paths`` (files and folders) and ``records`` exports into a new bundle.

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

    ``provenance_extra``: more members of ``provenance.json`` (signed with it), e.g. the
    ``web`` member of a web capture (:mod:`evidence.webcapture`); a standard member's name
    is refused.

    ``capturer_name`` and ``organisation`` are recorded in the signed provenance as the
    capturer declares them (reports show them as declared, beside the key that is proven).

    ``fmt`` (csv, json, jsonl), ``delimiter`` and ``quotechar`` say how to read every
    ``records`` export whatever its name (:class:`~evidence.capturing.records.ExportDialect`);
    each export's format, encoding, delimiter and quote are recorded in the provenance
    (``exports``). Workspaces, key files and the chain store are refused, OS junk files are
    left out unless ``include_hidden``, and empty files, content not matching its extension
    and identical contents are warned about (:mod:`.screening`); every warning is in
    :attr:`CaptureResult.warnings` and in the signed provenance (``capture_warnings``).
    """
    out = Path(out)
    if not case.strip():
        raise InputError("--case must not be empty")
    if out.exists() or out.is_symlink():
        raise BundleExistsError(f"{out}: exists already; a bundle is never overwritten")
    if not out.parent.is_dir():
        raise InputError(f"{out.parent}: output folder does not exist")
    warnings: list[str] = []
    files = _plan_files(paths, warnings, include_hidden=include_hidden)
    exports: list[tuple[Path, str]] = []
    dialects: list[tuple[ExportDialect, dict[str, str]]] = []
    names: dict[str, Path] = {}
    for rec in records:
        refuse_secret(str(rec))
        if rec.is_dir():
            raise InputError(f"{rec}: --records takes an export file, not a folder")
        open_input(rec).close()
        dialect = ExportDialect(fmt, encoding, delimiter, quotechar)
        dialects.append((dialect, dialect.resolve(rec)))
        if rec.name in names:
            raise InputError(f"{rec} and {names[rec.name]} have the same name; rename one")
        names[rec.name] = rec
        exports.append((rec, f"data/exports/{rec.name}"))
    if not files and not exports:
        raise InputError("nothing to capture: no files found and no --records given")
    plan = check_movable(files, exports, out, warnings) if move else []
    sizes = [_size(src) for src, _ in files]
    total = sum(sizes) + sum(_size(src) for src, _ in exports)
    tmp = out.parent / f".{out.name}.partial-{secrets.token_hex(4)}"
    tmp.mkdir(mode=0o755)
    placed = False
    # Opened before anything is written into the bundle, so that the flush before the
    # rename hears of any writeback error since (see _flush_bundle).
    flush_fd = os.open(tmp, os.O_RDONLY | O_CLOEXEC)
    try:
        if move:
            write_move_plan(tmp, plan)
        result = _build(tmp, out, files, sizes, exports, warnings, case=case, key=key,
                        platform=platform, source_url=source_url, note=note, encoding=encoding,
                        progress=progress, total=total,
                        plan=plan if move else None, provenance_extra=provenance_extra,
                        declared=(capturer_name, organisation), dialects=dialects)
        _flush_bundle(flush_fd, out)
        if out.exists() or out.is_symlink():
            raise BundleExistsError(f"{out}: appeared while capturing; not overwritten")
        # Never onto a folder that appeared since the check (os.rename replaces an empty one).
        try:
            rename_noreplace(str(tmp), str(out))
        except FileExistsError as exc:
            raise BundleExistsError(f"{out}: appeared while capturing; not overwritten") from exc
        placed = True  # from here on, moved files belong to the bundle
        if move:
            with contextlib.suppress(FileNotFoundError):
                plan_aside(tmp).unlink()
        fsync_dir(out.parent)
        return result
    except BaseException as exc:
        if placed:
            raise
        if move:  # a file whose bundle path was taken was not moved: nothing to put back
            kept = exc.src if isinstance(exc, PathTaken) else None
            undo_moves(tmp, [entry for entry in plan if entry[0] != kept], exc)
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    finally:
        os.close(flush_fd)


def _flush_bundle(fd: int, out: Path) -> None:
    """Make everything written into the bundle's temporary folder durable before it is
    renamed to ``out``: one syncfs(2) of its filesystem (:func:`evidence.fsutil.sync_filesystem`)
    on ``fd``, opened on that folder before anything was written. Cheaper than an fsync per
    file for 20,000 files, and most of it is on disk already (see
    :class:`~evidence.capturing.copier.Flusher`). A writeback error the kernel reports
    (Linux 5.8 and later) fails the capture, so a bundle that did not reach the disk is
    never placed."""
    try:
        sync_filesystem(fd)
    except OSError as exc:
        raise InputError(f"{out.parent}: the bundle could not be written to disk "
                         f"({exc.strerror}); nothing was placed at {out}") from exc


def check_inputs(paths: Sequence[Path], records: Sequence[Path] = (), *,
                 encoding: str = "utf-8", fmt: str | None = None,
                 delimiter: str | None = None, quotechar: str | None = None,
                 include_hidden: bool = False) -> None:
    """Raise what :func:`capture` would raise for these inputs before reading any content
    (a missing path, a workspace, a key file, the chain store, a bad export option), so that
    a caller can refuse them before asking for a passphrase. Reads names only."""
    _plan_files(paths, [], include_hidden=include_hidden)
    for rec in records:
        refuse_secret(str(rec))
        ExportDialect(fmt, encoding, delimiter, quotechar).resolve(rec)


def _size(path: str | Path) -> int:
    try:
        return os.stat(path).st_size
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror})") from exc


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
           provenance_extra: Mapping[str, Any] | None = None,
           declared: tuple[str | None, str | None] = (None, None),
           dialects: Sequence[tuple[ExportDialect, dict[str, str]]] = ()) -> CaptureResult:
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
    for name, extra in (provenance_extra or {}).items():
        if name in provenance:
            raise InputError(f"provenance member {name!r} is reserved")
        provenance[name] = extra

    builder = Builder(tmp, progress, total)
    (tmp / "evidence").mkdir()
    # Files and exports are copied and hashed first, so that what capture warns about
    # (empty, mismatched, identical files) is in the provenance every item refers to.
    copied = list(builder.add_files(files, sizes, plan=plan))
    copied_exports = [next(iter(list(builder.add_files([(str(export), bag_path)], [0]))))
                      for export, bag_path in exports]
    warnings.extend(content_warnings(
        (src, d.size, d.sha256, image,
         _head(tmp / bag_path) if needs_head(bag_path) else None)
        for src, bag_path, d, image in copied + copied_exports))
    if exports:
        provenance["exports"] = [{"path": bag_path, **resolved}
                                 for (_, bag_path), (_, resolved)
                                 in zip(exports, dialects, strict=True)]
    if warnings:  # what the capturer was told, signed with the rest
        provenance["capture_warnings"] = list(warnings)
    prov_bytes = canonicalize(provenance)
    prov_digest = hashlib.sha256(prov_bytes).hexdigest()
    _write(tmp / PROVENANCE_FILE, prov_bytes)
    # Items are written as they are made (files, then each export followed by its records),
    # so memory holds only the 32-byte leaf hashes and offsets, even for a million records.
    with ItemWriter(tmp / ITEMS_FILE) as items:
        encode = _FileItemEncoder(prov_digest).encode
        salts = items.salts
        for src, bag_path, digest, image in copied:
            items.add(encode(items.files + 1, bag_path, os.path.basename(src), digest, image,
                             next(salts)))
        for (export, bag_path), (_, _, digest, image), (dialect, _) in zip(
                exports, copied_exports, dialects, strict=True):
            export_item = _file_item(items.files + 1, bag_path, export.name, digest,
                                     prov_digest, image)
            items.emit(export_item)
            write_records(builder, export, export_item, encoding, prov_digest, items,
                          dialect=dialect)
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
        os.rename(tmp / MOVE_PLAN_FILE, plan_aside(tmp))
    from ..bundle.recheck_script import write_script

    write_script(tmp)  # the stdlib re-check script travels with the bundle (a tag file)
    write_tag_manifests(tmp)
    # Flushed to disk by the caller before the folder is renamed into place
    # (_flush_bundle), so a crash leaves no bundle.
    return CaptureResult(path=out, root=root, item_count=len(leaves), file_count=items.files,
                         record_count=items.records, total_bytes=builder.counter.done,
                         warnings=tuple(warnings),
                         moved_count=0 if plan is None else len(plan))


def _head(path: Path) -> bytes:
    """The first HEAD_BYTES bytes of a file copied into the bundle (its signature)."""
    with path.open("rb") as fh:
        return fh.read(HEAD_BYTES)


def _last_bytes(path: Path, count: int) -> bytes:
    with path.open("rb") as fh:
        fh.seek(-count, os.SEEK_END)
        return fh.read(count)


def _write(path: Path, data: bytes) -> None:
    with path.open("xb") as fh:
        fh.write(data)


def sha256_and_512(path: Path) -> tuple[int, str, str]:
    """Size, SHA-256 and SHA-512 of a file, read once in chunks."""
    h256, h512, size = hashlib.sha256(), hashlib.sha512(), 0
    with path.open("rb") as fh:
        while chunk := fh.read(CHUNK_BYTES):
            h256.update(chunk)
            h512.update(chunk)
            size += len(chunk)
    return size, h256.hexdigest(), h512.hexdigest()
