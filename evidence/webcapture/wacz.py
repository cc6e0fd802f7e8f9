"""An optional WACZ package of a web capture's WARC files, made by Webrecorder's ``wacz``.

WACZ 1.1.1 (Web Archive Collection Zipped, https://specs.webrecorder.net/wacz/1.1.1/) is the
zip that replay tools (ReplayWeb.page, pywb) open directly: the WARCs, a CDXJ index, the
page list and ``datapackage.json`` with each file's SHA-256. It is made from the WARCs
already written for each page (:mod:`.warc`) and added to the bundle as one more item,
``data/files/web/archive.wacz``; the WARCs stay the primary record.

The ``wacz`` package (an optional dependency: ``pip install 'evidence-anchor[wacz]'``) is
run as ``python -m wacz create`` in a child process: it prints progress on its own
standard output, which a library must not. The page list given to it names each page's
final URL, title and capture time, so no page detection runs over the archive.

Raises ConfigurationError (exit 2) when the package is missing, InputError when it fails.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..errors import ConfigurationError, InputError

__all__ = ["WACZ_TIMEOUT_S", "require_wacz", "write_wacz"]

#: Seconds ``wacz create`` may take (it indexes and zips what was captured: seconds for a
#: page; a bound so that a stuck child cannot hold the capture for ever).
WACZ_TIMEOUT_S = 600


def require_wacz() -> None:
    """Raise ConfigurationError unless the ``wacz`` package can be imported."""
    if importlib.util.find_spec("wacz") is None:
        raise ConfigurationError("--wacz needs the wacz package: pip install "
                                 "'evidence-anchor[wacz]' (or capture without --wacz)")


def write_wacz(out: Path, warcs: Sequence[Path], pages: Sequence[dict[str, Any]]) -> None:
    """Write the WACZ ``out`` holding ``warcs``; ``pages``: page records (:mod:`.page`)."""
    require_wacz()
    pages_file = out.with_name(out.name + ".pages.jsonl")
    lines = [{"format": "json-pages-1.0", "id": "pages", "title": "Pages"}]
    lines += [{"id": f"page-{p['page']:03d}", "url": p["final_url"], "title": p.get("title", ""),
               "ts": p["started_at"]} for p in pages]
    pages_file.write_text("".join(json.dumps(line, ensure_ascii=False) + "\n"
                                  for line in lines), encoding="utf-8")
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "wacz", "create", "-o", str(out), "--copy-pages",
             "--pages", str(pages_file),
             *[str(w) for w in warcs]],
            capture_output=True, text=True, timeout=WACZ_TIMEOUT_S, check=False)
    except subprocess.TimeoutExpired as exc:
        raise InputError(f"wacz create took more than {WACZ_TIMEOUT_S} s; capture without "
                         "--wacz") from exc
    finally:
        pages_file.unlink(missing_ok=True)
    if proc.returncode != 0 or not out.is_file():
        lines_ = (proc.stderr or proc.stdout).strip().splitlines()
        raise InputError(f"wacz create failed ({lines_[-1] if lines_ else proc.returncode}); "
                         "capture without --wacz")
