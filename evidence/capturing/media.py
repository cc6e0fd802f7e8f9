"""What a captured file is: its media type and, for images, format and pixel size.

The image probe reads a file's first bytes for a known signature (PNG, JPEG, GIF, BMP,
WebP, TIFF) and asks Pillow for the size without decoding pixels; anything else is
``application/octet-stream`` unless its name says otherwise (:mod:`mimetypes`).
"""

from __future__ import annotations

import mimetypes
import warnings
from typing import Any, BinaryIO

__all__ = ["IMAGE_MAGIC", "image_info", "media_type"]


#: File signatures that deserve an image probe (format and pixel size).
IMAGE_MAGIC = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"GIF87a", b"GIF89a", b"BM", b"RIFF",
               b"II*\x00", b"MM\x00*")


def image_info(fh: BinaryIO) -> dict[str, Any] | None:
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


def media_type(name: str, image: dict[str, Any] | None) -> str:
    """The media type of a file: from its probed image format, else from its name."""
    if image is not None and image["format"] in _PIL_MIME:
        return _PIL_MIME[image["format"]]
    guessed, _ = mimetypes.guess_type(name, strict=False)
    return guessed or "application/octet-stream"
