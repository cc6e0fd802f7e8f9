"""Capture: files and transaction records into a new, signed evidence bundle.

The bundle is built in a hidden temporary folder beside the output and renamed into
place only when complete (every file fsync'd), so a crash never leaves something at the
output path that could pass for a bundle, and an existing path is never overwritten.
"""

from __future__ import annotations

import hashlib
import mimetypes
import os
import secrets
import shutil
import stat
import warnings
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
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
from .errors import BundleExistsError, InputError
from .fsutil import fsync_dir
from .jcs import canonicalize
from .keys import SigningKey
from .merkle import leaf_hash, root_from_leaf_hashes
from .records import iter_records
from .version import TOOL_NAME, __version__

__all__ = ["CaptureResult", "Progress", "capture"]

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


@dataclass
class _Digest:
    size: int
    sha256: str
    sha512: str


#: Chunks at least this big are hashed with SHA-256 on a second thread while SHA-512 runs
#: on this one (hashlib releases the GIL for buffers over 2 KiB); smaller ones are not
#: worth the hand-off.
PARALLEL_HASH_MIN = 256 * 1024
_POOL: ThreadPoolExecutor | None = None


def _pool() -> ThreadPoolExecutor:
    global _POOL
    if _POOL is None:
        _POOL = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sha256")
    return _POOL


def _copy_and_hash(src: BinaryIO, dst: BinaryIO, on_bytes: Callable[[int], None]) -> _Digest:
    """Copy ``src`` to ``dst`` reading it once, with SHA-256 and SHA-512 of the bytes.

    Durability is handled once for the whole bundle (see :func:`capture`), not per file.
    """
    h256, h512, size = hashlib.sha256(), hashlib.sha512(), 0
    while chunk := src.read(CHUNK_BYTES):
        if len(chunk) >= PARALLEL_HASH_MIN:
            pending = _pool().submit(h256.update, chunk)
            h512.update(chunk)
            dst.write(chunk)
            pending.result()
        else:
            h256.update(chunk)
            h512.update(chunk)
            dst.write(chunk)
        size += len(chunk)
        on_bytes(len(chunk))
    return _Digest(size, h256.hexdigest(), h512.hexdigest())


def _image_info(path: Path) -> dict[str, Any] | None:
    with path.open("rb") as fh:
        head = fh.read(16)
    if not head.startswith(_IMAGE_MAGIC):
        return None
    try:
        from PIL import Image, UnidentifiedImageError

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # Pillow warns on stderr about corrupt metadata
            with Image.open(path) as img:
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


def _walk(root: Path, warnings: list[str]) -> Iterable[Path]:
    """Regular files under ``root``, sorted by name at each level; symlinks not followed."""
    try:
        entries = sorted(os.scandir(root), key=lambda e: e.name)
    except OSError as exc:
        raise InputError(f"{root}: cannot read folder ({exc.strerror})") from exc
    for entry in entries:
        path = Path(entry.path)
        if entry.is_symlink():
            warnings.append(f"{path}: symbolic link not followed (not captured)")
        elif entry.is_dir(follow_symlinks=False):
            yield from _walk(path, warnings)
        elif entry.is_file(follow_symlinks=False):
            yield path
        else:
            warnings.append(f"{path}: not a regular file (not captured)")


def _plan_files(paths: Sequence[Path], warnings: list[str]) -> list[tuple[Path, str]]:
    """Map inputs to bag paths under ``data/files/``; refuse collisions."""
    planned: dict[str, Path] = {}
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
            base = given.resolve().name or "root"
            for file in _walk(given, warnings):
                rel = file.relative_to(given).as_posix()
                _claim(planned, f"data/files/{base}/{rel}", file)
        elif stat.S_ISREG(st.st_mode):
            _claim(planned, f"data/files/{given.name}", given)
        else:
            raise InputError(f"{given}: not a regular file or folder")
    return sorted(((src, dst) for dst, src in planned.items()), key=lambda p: p[1])


def _claim(planned: dict[str, Path], bag_path: str, src: Path) -> None:
    if bag_path in planned:
        raise InputError(f"{src} and {planned[bag_path]} would both be stored as {bag_path}; "
                         "capture them from different folders")
    planned[bag_path] = src


def _open_input(path: Path) -> BinaryIO:
    try:
        return path.open("rb")
    except FileNotFoundError as exc:
        raise InputError(f"{path}: no such file") from exc
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror})") from exc


class _Builder:
    """Writes one bundle into a temporary folder."""

    def __init__(self, tmp: Path, progress: Progress | None, total: int):
        self.tmp = tmp
        self.progress = progress
        self.total = total
        self.done = 0
        self.manifest: list[tuple[str, _Digest]] = []

    def _tick(self, n: int, label: str = "") -> None:
        self.done += n
        if self.progress is not None:
            self.progress(self.done, self.total, label)

    def add_file(self, src: Path, bag_path: str) -> _Digest:
        dst = self.tmp / bag_path
        dst.parent.mkdir(parents=True, exist_ok=True)
        with _open_input(src) as fin, dst.open("xb") as fout:
            digest = _copy_and_hash(fin, fout, lambda n: self._tick(n, src.name))
        self.manifest.append((bag_path, digest))
        return digest


def _file_item(index: int, bag_path: str, src: Path, d: _Digest, prov: str) -> dict[str, Any]:
    image = _image_info(src)
    item: dict[str, Any] = {
        "version": FORMAT_VERSION, "id": f"F-{index}", "kind": "file", "path": bag_path,
        "original_name": src.name, "size": d.size, "sha256": d.sha256, "sha512": d.sha512,
        "media_type": _media_type(src.name, image), "provenance": prov,
    }
    if image is not None:
        item["image"] = image
    return item


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
) -> CaptureResult:
    """Capture ``paths`` (files and folders) and ``records`` exports into a new bundle.

    Raises InputError/FormatError (nothing is left at ``out``) for a missing path, a bad
    export, empty input or an existing ``out``.
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
    total = sum(src.stat().st_size for src, _ in files + exports)
    tmp = out.parent / f".{out.name}.partial-{secrets.token_hex(4)}"
    tmp.mkdir(mode=0o755)
    try:
        result = _build(tmp, out, files, exports, warnings, case=case, key=key, platform=platform,
                        source_url=source_url, note=note, encoding=encoding, progress=progress,
                        total=total)
        if out.exists() or out.is_symlink():
            raise BundleExistsError(f"{out}: appeared while capturing; not overwritten")
        os.rename(tmp, out)
        fsync_dir(out.parent)
        return result
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _build(tmp: Path, out: Path, files: list[tuple[Path, str]], exports: list[tuple[Path, str]],
           warnings: list[str], *, case: str, key: SigningKey, platform: str | None,
           source_url: str | None, note: str | None, encoding: str, progress: Progress | None,
           total: int) -> CaptureResult:
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
    prov_bytes = canonicalize(provenance)
    prov_digest = hashlib.sha256(prov_bytes).hexdigest()

    builder = _Builder(tmp, progress, total)
    (tmp / "evidence").mkdir()
    _write(tmp / PROVENANCE_FILE, prov_bytes)
    # Items are written as they are made (files, then each export followed by its records),
    # so memory holds only the 32-byte leaf hashes, even for a million records.
    with _ItemWriter(tmp / ITEMS_FILE) as items:
        for src, bag_path in files:
            digest = builder.add_file(src, bag_path)
            items.emit(_file_item(items.files + 1, bag_path, src, digest, prov_digest))
        for src, bag_path in exports:
            digest = builder.add_file(src, bag_path)
            export_item = _file_item(items.files + 1, bag_path, src, digest, prov_digest)
            items.emit(export_item)
            _write_records(builder, src, export_item, encoding, prov_digest, items)
    leaves = items.leaves
    root = root_from_leaf_hashes(leaves)
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
    write_tag_manifests(tmp)
    # One flush of everything written (cheaper than an fsync per file for 20,000 files);
    # the folder is renamed into place only after this, so a crash leaves no bundle.
    os.sync()
    return CaptureResult(path=out, root=root, item_count=len(leaves), file_count=items.files,
                         record_count=items.records, total_bytes=builder.done,
                         warnings=tuple(warnings))


def _write(path: Path, data: bytes) -> None:
    with path.open("xb") as fh:
        fh.write(data)


def _write_records(builder: _Builder, src: Path, export_item: dict[str, Any], encoding: str,
                   prov: str, items: _ItemWriter) -> None:
    """Canonicalize each record of ``src`` into ``data/records/NAME.jsonl``, one item each."""
    bag_path = f"data/records/{src.name}.jsonl"
    dst = builder.tmp / bag_path
    dst.parent.mkdir(parents=True, exist_ok=True)
    file_256, file_512, file_size, count = hashlib.sha256(), hashlib.sha512(), 0, 0
    with dst.open("xb") as fh:
        for record in iter_records(src, encoding=encoding):
            line = canonicalize(record.fields)
            data = line + b"\n"
            fh.write(data)
            file_256.update(data)
            file_512.update(data)
            file_size += len(data)
            count += 1
            items.emit({
                "version": FORMAT_VERSION, "id": f"R-{items.records + 1}", "kind": "record",
                "path": bag_path, "line": count, "source": export_item["id"],
                "source_name": src.name, "locator": record.locator, "size": len(line),
                "sha256": hashlib.sha256(line).hexdigest(),
                "sha512": hashlib.sha512(line).hexdigest(),
                "media_type": "application/json", "provenance": prov,
            })
    if not count:
        raise InputError(f"{src}: no records")
    builder.manifest.append((bag_path, _Digest(file_size, file_256.hexdigest(),
                                               file_512.hexdigest())))


class _ItemWriter:
    """Writes ``items.jsonl`` line by line, salting each item and keeping its leaf hash."""

    def __init__(self, path: Path):
        self.fh = path.open("xb")
        self.leaves: list[bytes] = []
        self.files = 0
        self.records = 0

    def emit(self, item: dict[str, Any]) -> None:
        item["salt"] = secrets.token_bytes(SALT_BYTES).hex()
        line = canonicalize(item)
        self.leaves.append(leaf_hash(line))
        self.fh.write(line + b"\n")
        if item["kind"] == "file":
            self.files += 1
        else:
            self.records += 1

    def __enter__(self) -> _ItemWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.fh.close()


def sha256_and_512(path: Path) -> tuple[int, str, str]:
    """Size, SHA-256 and SHA-512 of a file, read once in chunks."""
    h256, h512, size = hashlib.sha256(), hashlib.sha512(), 0
    with path.open("rb") as fh:
        while chunk := fh.read(CHUNK_BYTES):
            h256.update(chunk)
            h512.update(chunk)
            size += len(chunk)
    return size, h256.hexdigest(), h512.hexdigest()
