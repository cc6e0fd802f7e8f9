"""What capture refuses, leaves out, and warns about before the evidence is sealed.

Refused (:class:`~evidence.errors.InputError`, exit 2; checked before anything is written):
a workspace (a folder holding :data:`WORKSPACE_CONFIG`), its settings file, key material
(:func:`secret_reason`: anything under a ``keys/`` folder, ``*.key``, ``*.p12``/``*.pfx``,
an Ethereum keystore ``account.json``) and the embedded chain store
(:data:`CHAIN_STORE_FILE`), whether named directly or found inside a folder given to capture.
A bundle is shown to courts and to the other side: a capturer's signing key or chain account
in it would hand them the capturer's identity.

Left out unless asked for (``include_hidden``): files an operating system writes by itself
(:data:`OS_JUNK_NAMES`, AppleDouble ``._*`` files), which are not evidence of anything.

Warned about (listed in the signed provenance, printed on stderr by the CLI): empty files,
content that does not match its extension (a text file named ``.png``), and files with
identical contents (one warning per group, naming the count). Warnings never refuse
evidence: the capturer decides; the warnings travel with the bundle so that a reader sees
what the capturer was told.
"""

from __future__ import annotations

import mimetypes
from collections.abc import Iterable, Sequence
from pathlib import PurePath
from typing import Any

from ..errors import InputError

__all__ = [
    "CHAIN_STORE_FILE",
    "CONTENT_SIGNATURES",
    "HEAD_BYTES",
    "KEYSTORE_NAMES",
    "KEYS_FOLDER",
    "KEY_SUFFIXES",
    "MAX_NAMES_IN_WARNING",
    "OS_JUNK_NAMES",
    "WORKSPACE_CONFIG",
    "content_warnings",
    "is_os_junk",
    "junk_warning",
    "needs_head",
    "refuse_secret",
    "refuse_workspace",
    "secret_reason",
]

#: A workspace's settings file (:data:`evidence.workspace.CONFIG_NAME`; repeated here because
#: capture sits below the workspace layer; a test checks the two agree).
WORKSPACE_CONFIG = "evidence.toml"

#: The embedded chain's store (:data:`evidence.chain.light.DB_FILE_NAME`, checked the same way).
CHAIN_STORE_FILE = "chain.sqlite3"

#: Key material by file name ending (case-insensitive): Ed25519 capturer and witness keys
#: (``*.key``), PKCS #12 report-signing keys (RFC 7292: ``*.p12``, ``*.pfx``).
KEY_SUFFIXES = (".key", ".p12", ".pfx")

#: File names of an Ethereum keystore (Web3 Secret Storage) as a workspace writes it.
KEYSTORE_NAMES = ("account.json",)

#: The folder a workspace keeps its keys in.
KEYS_FOLDER = "keys"

#: Files operating systems write by themselves (macOS Finder, Windows Explorer), compared
#: case-insensitively; AppleDouble files (``._NAME``) are matched by prefix.
OS_JUNK_NAMES = frozenset({".ds_store", "thumbs.db", "ehthumbs.db", "desktop.ini",
                           ".localized"})

#: A warning names at most this many files; the count is always exact.
MAX_NAMES_IN_WARNING = 3

#: Leading bytes of formats whose extension promises them (the image formats are probed by
#: Pillow instead, see :mod:`.media`). PDF: ISO 32000-1 §7.5.2; ZIP containers (OOXML,
#: ODF, EPUB): APPNOTE.TXT §4.3.7 local file header.
CONTENT_SIGNATURES: dict[str, tuple[bytes, ...]] = {
    ".pdf": (b"%PDF-",),
    ".zip": (b"PK\x03\x04", b"PK\x05\x06"),
    ".docx": (b"PK\x03\x04",), ".xlsx": (b"PK\x03\x04",), ".pptx": (b"PK\x03\x04",),
    ".odt": (b"PK\x03\x04",), ".ods": (b"PK\x03\x04",), ".epub": (b"PK\x03\x04",),
    ".gz": (b"\x1f\x8b",),
    ".mp4": (), ".mov": (),  # ISO BMFF: "ftyp" at offset 4, checked below
}

#: Image media types Pillow's probe can confirm (:func:`evidence.capturing.media.image_info`).
_PROBED_IMAGES = {"image/png": "PNG", "image/jpeg": "JPEG", "image/gif": "GIF",
                  "image/bmp": "BMP", "image/webp": "WEBP", "image/tiff": "TIFF"}

#: Bytes read from a file to check its signature.
HEAD_BYTES = 16


def is_os_junk(name: str) -> bool:
    """True for a file an operating system writes by itself (see :data:`OS_JUNK_NAMES`)."""
    return name.lower() in OS_JUNK_NAMES or name.startswith("._")


def secret_reason(path: str) -> str | None:
    """Why ``path`` (a file) must never be captured, or None.

    Looks at the name and the folder names only: capture refuses before reading anything.
    """
    parts = PurePath(path).parts
    name = parts[-1] if parts else ""
    lower = name.lower()
    if lower == WORKSPACE_CONFIG:
        return "a workspace's settings file"
    if lower == CHAIN_STORE_FILE:
        return "the embedded chain's store"
    if lower.endswith(KEY_SUFFIXES):
        return "a key file"
    if lower in KEYSTORE_NAMES:
        return "an account keystore"
    if KEYS_FOLDER in parts[:-1]:
        return f"inside a {KEYS_FOLDER}/ folder (key material)"
    return None


def refuse_secret(path: str, checked: str | None = None) -> None:
    """Raise InputError if ``path`` is a file capture must never take (:func:`secret_reason`
    of ``checked``, by default ``path``: e.g. the file's path inside the folder given)."""
    reason = secret_reason(path if checked is None else checked)
    if reason is not None:
        raise InputError(f"{path}: refusing to capture {reason}; it would put the "
                         "capturer's secrets into the bundle (capture the evidence files, "
                         "not the workspace)")


def refuse_workspace(folder: str, names: Iterable[str]) -> None:
    """Raise InputError if ``folder`` (whose entry names are ``names``) is a workspace."""
    if WORKSPACE_CONFIG in names:
        raise InputError(f"{folder}: refusing to capture a workspace (it holds "
                         f"{WORKSPACE_CONFIG}, keys and the chain store); capture the "
                         "evidence files, not the workspace")


def junk_warning(paths: Sequence[str]) -> str:
    """The one warning for the OS junk files left out."""
    return (f"left out {len(paths)} operating-system file{'s' if len(paths) > 1 else ''} "
            f"(.DS_Store, Thumbs.db, desktop.ini, ._*): {_names(paths)}; --include-hidden "
            "keeps them")


def _names(paths: Sequence[str]) -> str:
    shown = ", ".join(paths[:MAX_NAMES_IN_WARNING])
    more = len(paths) - MAX_NAMES_IN_WARNING
    return shown + (f" and {more} more" if more > 0 else "")


def _mismatch(name: str, image: dict[str, Any] | None, head: bytes | None) -> str | None:
    """What the content is not, for a file whose extension promises a format, or None."""
    suffix = PurePath(name).suffix.lower()
    guessed, _ = mimetypes.guess_type(name, strict=False)
    if guessed in _PROBED_IMAGES:
        found = None if image is None else str(image.get("format"))
        if found != _PROBED_IMAGES[guessed]:
            what = "not an image Pillow can read" if found is None else f"a {found} image"
            return f"named {suffix} but the content is {what}"
        return None
    if head is None or suffix not in CONTENT_SIGNATURES:
        return None
    signatures = CONTENT_SIGNATURES[suffix]
    ok = head[4:8] == b"ftyp" if not signatures else head.startswith(signatures)
    return None if ok else f"named {suffix} but the content does not start as {suffix} does"


def needs_head(name: str) -> bool:
    """True if :func:`content_warnings` needs the first :data:`HEAD_BYTES` of this file."""
    return PurePath(name).suffix.lower() in CONTENT_SIGNATURES


def content_warnings(files: Iterable[tuple[str, int, str, dict[str, Any] | None,
                                           bytes | None]]) -> list[str]:
    """Warnings about captured files, given ``(path shown, size, sha256, image info, head)``.

    ``head`` is the file's first :data:`HEAD_BYTES` bytes where :func:`needs_head` (else
    None). Empty files, content not matching its extension (one warning per file, at most
    :data:`MAX_NAMES_IN_WARNING` kinds named), identical contents (one warning per group).
    """
    empty: list[str] = []
    by_digest: dict[str, list[str]] = {}
    mismatched: list[str] = []
    for shown, size, sha256, image, head in files:
        if size == 0:
            empty.append(shown)
            continue
        by_digest.setdefault(sha256, []).append(shown)
        problem = _mismatch(PurePath(shown).name, image, head)
        if problem is not None:
            mismatched.append(f"{shown}: {problem}")
    out: list[str] = []
    if empty:
        out.append(f"{len(empty)} empty file{'s' if len(empty) > 1 else ''} (0 bytes): "
                   f"{_names(empty)}")
    out.extend(mismatched)
    for sha256, group in by_digest.items():
        if len(group) > 1:
            out.append(f"{len(group)} files have identical contents (SHA-256 {sha256[:16]}…): "
                       f"{_names(group)}")
    return out
