"""Finding the system's Chromium for :mod:`evidence.webcapture`.

The browser is the machine's own (Debian's ``chromium`` package), never one downloaded by
Playwright: the capture-environment record names the executable and its version, and an
installation step that fetches a browser build is not possible everywhere the tool runs.

Fails with :class:`~evidence.errors.ConfigurationError` (exit 2), one line saying how to
install one, when none is found.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from ..errors import ConfigurationError

__all__ = ["BROWSER_ENV", "BrowserMissingError", "find_browser"]

#: Environment variable naming a Chromium executable to use instead of the system's.
BROWSER_ENV = "EVIDENCE_CHROMIUM"
#: Where Chromium is looked for, in order (Debian, Ubuntu's deb, Google's build).
_CANDIDATES = ("chromium", "chromium-browser", "google-chrome-stable", "google-chrome")
INSTALL_HINT = ("install Debian's Chromium (apt-get install chromium) or name one with "
                f"{BROWSER_ENV}=/path/to/chromium")


class BrowserMissingError(ConfigurationError):
    """No Chromium executable could be found."""


def find_browser(explicit: str | os.PathLike[str] | None = None) -> Path:
    """The Chromium executable to drive: ``explicit``, else ``$EVIDENCE_CHROMIUM``, else the
    first of chromium, chromium-browser, google-chrome on ``PATH``.

    Raises BrowserMissingError (exit 2) naming how to install one.
    """
    chosen = explicit or os.environ.get(BROWSER_ENV)
    if chosen:
        path = Path(chosen)
        if not (path.is_file() and os.access(path, os.X_OK)):
            raise BrowserMissingError(f"{path}: no such browser executable; {INSTALL_HINT}")
        return path
    for name in _CANDIDATES:
        found = shutil.which(name)
        if found:
            return Path(found)
    raise BrowserMissingError(f"no Chromium browser found for capture-web; {INSTALL_HINT}")
