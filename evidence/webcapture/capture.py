"""``capture_web``: live pages, captured in the system's Chromium, into one signed bundle.

Each page's files (:mod:`.page`) go under ``data/files/web/page-NNN/`` and the
capture-environment record (:mod:`.environment`) to ``data/files/web/environment.json``;
every file is an item of the bundle like any captured file (:func:`evidence.capturing.capture`
builds, signs and places it atomically: a failure leaves no bundle). ``provenance.json``
gets a ``web`` member, signed with it, that groups each page's items and names its URL,
final URL, time, HTTP status, certificate subject and issuer, and findings.

The pages are captured into a hidden folder beside the output, removed afterwards whatever
happens; any page that cannot be captured stops the whole capture (InputError naming its
URL), so a bundle never lacks a page that was asked for.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from evidence.bundle.custody import utc_now
from evidence.capturing.copier import Progress
from evidence.capturing.pipeline import CaptureResult, capture
from evidence.standards.jcs import canonicalize

from ..errors import BundleExistsError, InputError
from ..keys import SigningKey
from .environment import environment_record
from .page import WebCapturer, WebOptions, check_url
from .wacz import require_wacz, write_wacz

__all__ = ["MAX_URLS", "WEB_FOLDER", "WEB_PROVENANCE_VERSION", "PageSummary",
           "WebCaptureResult", "capture_web"]

#: Pages in one bundle, at most: each holds two screenshots, a WARC and a HAR, and the
#: ``web`` member of provenance.json (limited to 1 MiB like every tag file) lists them all.
MAX_URLS = 100
#: The payload folder of a web capture: ``data/files/web/``.
WEB_FOLDER = "web"
WEB_PROVENANCE_VERSION = 1
_BAG_PREFIX = f"data/files/{WEB_FOLDER}/"
#: The optional WACZ of all pages (``WebOptions.wacz``).
WACZ_NAME = "archive.wacz"


@dataclass(frozen=True)
class PageSummary:
    """One captured page, as listed in provenance.json's ``web`` member."""

    page: int
    url: str
    final_url: str
    captured_at: str
    http_status: int | None
    partial: bool
    findings: tuple[str, ...]
    certificate_subject: str | None
    certificate_issuer: str | None
    files: dict[str, str]

    def to_json(self) -> dict[str, Any]:
        return {"page": self.page, "url": self.url, "final_url": self.final_url,
                "captured_at": self.captured_at, "http_status": self.http_status,
                "partial": self.partial, "findings": list(self.findings),
                "certificate": None if self.certificate_subject is None else {
                    "subject": self.certificate_subject, "issuer": self.certificate_issuer},
                "files": dict(self.files)}


@dataclass(frozen=True)
class WebCaptureResult:
    """What :func:`capture_web` made: the bundle and its pages."""

    capture: CaptureResult
    pages: tuple[PageSummary, ...]

    def to_json(self) -> dict[str, Any]:
        c = self.capture
        return {"bundle": str(c.path), "root": c.root.hex(), "items": c.item_count,
                "bytes": c.total_bytes, "pages": [p.to_json() for p in self.pages]}


def _summary(record: dict[str, Any], folder: str) -> PageSummary:
    tls = record.get("tls") or {}
    chain = tls.get("chain") or []
    leaf = chain[0] if chain else {}
    files = {"record": "page.json", "screenshot_full": "screenshot-full.png",
             "screenshot_viewport": "screenshot-viewport.png", "dom": "dom.html",
             "text": "text.txt", "har": "network.har", "warc": "archive.warc.gz"}
    if tls.get("file"):
        files["certificate_chain"] = str(tls["file"])
    return PageSummary(
        page=int(record["page"]), url=str(record["url"]), final_url=str(record["final_url"]),
        captured_at=str(record["started_at"]), http_status=record.get("http_status"),
        partial=bool(record.get("partial")),
        findings=tuple(str(f["code"]) for f in record.get("findings", [])),
        certificate_subject=leaf.get("subject"), certificate_issuer=leaf.get("issuer"),
        files={role: f"{_BAG_PREFIX}{folder}/{name}" for role, name in files.items()})


def capture_web(urls: Sequence[str], *, out: Path, case: str, key: SigningKey,
                options: WebOptions | None = None, note: str | None = None,
                platform: str | None = None, capturer: WebCapturer | None = None,
                browser: str | Path | None = None, trusted_spki: Sequence[str] = (),
                proxy: str | None = None, progress: Progress | None = None,
                tsa: str | None = None) -> WebCaptureResult:
    """Capture each of ``urls`` in headless Chromium into the new bundle ``out``.

    ``tsa``: a time-stamp authority whose time the machine clock is compared with in the
    environment record (``clock.tsa_comparison``).

    ``capturer``: a started :class:`WebCapturer` to reuse (several captures, one browser);
    otherwise one is started from ``browser``, ``trusted_spki`` and ``proxy`` (see
    :class:`WebCapturer`) and stopped afterwards.

    Raises BrowserMissingError (exit 2, saying how to install one) without a browser;
    InputError (nothing left at ``out``) for a bad URL or option, an existing ``out``, or a
    page that cannot be captured (unreachable, DNS failure, TLS error without
    ``allow_insecure``, a download, no response in time, over the size limit).
    """
    options = options or WebOptions()
    out = Path(out)
    if not urls:
        raise InputError("no URL to capture")
    if len(urls) > MAX_URLS:
        raise InputError(f"{len(urls)} URLs; at most {MAX_URLS} per bundle: split them")
    for url in urls:
        check_url(url)
    if not case.strip():
        raise InputError("--case must not be empty")
    if options.timeout <= 0 or options.max_page_bytes <= 0:
        raise InputError("--timeout and --max-page-bytes must be positive")
    if out.exists() or out.is_symlink():
        raise BundleExistsError(f"{out}: exists already; a bundle is never overwritten")
    if not out.parent.is_dir():
        raise InputError(f"{out.parent}: output folder does not exist")
    if options.wacz:
        require_wacz()  # before the browser starts
    own = capturer is None
    cap = capturer or WebCapturer(browser=browser, trusted_spki=trusted_spki, proxy=proxy)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.web-", dir=out.parent))
    try:
        if own:
            cap.__enter__()
        try:
            started = utc_now()
            web = staging / WEB_FOLDER
            web.mkdir()
            records = []
            for number, url in enumerate(urls, start=1):
                records.append(cap.capture_page(url, web / f"page-{number:03d}",
                                                number=number, options=options))
            env = environment_record(
                browser_path=str(cap.executable), browser_version=cap.browser_version,
                playwright_version=cap.playwright_version, browser_args=cap.args,
                proxy=cap.proxy, page_facts=records[0].get("browser_reported", {}),
                trusted_spki=cap.trusted_spki, allow_insecure=options.allow_insecure,
                started_at=started, tsa=tsa)
        finally:
            if own:
                cap.__exit__(None, None, None)
        (web / "environment.json").write_bytes(canonicalize(env) + b"\n")
        if options.wacz:
            write_wacz(web / WACZ_NAME, [web / f"page-{r['page']:03d}" / "archive.warc.gz"
                                         for r in records], records)
        pages = tuple(_summary(r, f"page-{r['page']:03d}") for r in records)
        web_prov = {"version": WEB_PROVENANCE_VERSION,
                    "environment": f"{_BAG_PREFIX}environment.json",
                    "browser": f"chromium {cap.browser_version}",
                    "wacz": f"{_BAG_PREFIX}{WACZ_NAME}" if options.wacz else None,
                    "pages": [p.to_json() for p in pages]}
        result = capture([web], out=out, case=case, key=key, platform=platform,
                         source_url=urls[0] if len(urls) == 1 else None, note=note,
                         progress=progress, provenance_extra={"web": web_prov})
        return WebCaptureResult(capture=result, pages=pages)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
