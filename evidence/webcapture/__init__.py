"""Web capture: live pages in the system's headless Chromium into a signed bundle (issue 18).

``capture_web(urls, out=..., case=..., key=...)`` opens each URL in a fresh browser context
and captures, as items of one bundle: full-page and viewport screenshots (PNG), the network
exchange as WARC (warcio) and HAR, the rendered DOM and visible text, the page record (URL,
final URL, redirects, headers, HTTP status, TLS certificate chain, resolved addresses,
findings) and a capture-environment record. See :mod:`.page`, :mod:`.environment`,
:mod:`.warc` and docs/formats.md "Web captures".
"""

from __future__ import annotations

from .browser import BROWSER_ENV, BrowserMissingError, find_browser
from .capture import MAX_URLS, PageSummary, WebCaptureResult, capture_web
from .page import WebCapturer, WebOptions

__all__ = ["BROWSER_ENV", "MAX_URLS", "BrowserMissingError", "PageSummary", "WebCaptureResult",
           "WebCapturer", "WebOptions", "capture_web", "find_browser"]
