"""One page in headless Chromium, driven by Playwright: everything a person saw, and how.

:class:`WebCapturer` starts the system's Chromium once (see :mod:`.browser`) and captures
each page in a fresh browser context (no cookies, cache or storage from anything else),
writing into a folder:

    page.json                 the page record (below)
    screenshot-full.png       the whole page, top to bottom
    screenshot-viewport.png   what the window showed, at the top of the page
    dom.html                  the rendered DOM (after scripts ran), UTF-8
    text.txt                  the visible text (``innerText`` of the body), UTF-8
    network.har               every request and response, bodies included (HAR 1.2)
    archive.warc.gz           the same exchanges as WARC/1.1 records (:mod:`.warc`)
    certificate-chain.pem     the TLS certificate chain the origin presented (https only)

The page record (``evidence-web-page``, version 1) holds the requested and final URL,
times, HTTP status, redirects, the main response's headers, the certificates' subject,
issuer, validity and SHA-256, the resolved IP addresses (the browser's, and the system
resolver's answer), the page and screenshot sizes, the options used, and the findings:
``load-timeout`` (partial), ``wait-for-timeout`` (partial), ``http-error``, ``tls-error``
(only with ``allow_insecure``), ``tls-pinned`` (the key was pinned for the capture),
``click-missed``, ``scroll-limit``, ``screenshot-clipped``.

Failures that leave nothing to capture raise :class:`~evidence.errors.InputError` with one
line: an unreachable host, a DNS failure, a TLS error without ``allow_insecure``, a download
instead of a page, no response before the timeout, a page over the size limit.
"""

from __future__ import annotations

import base64
import json
import math
import re
import socket
import ssl
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import unquote, urlsplit

from evidence.bundle.custody import utc_now
from evidence.standards.jcs import canonicalize

from ..errors import InputError
from .browser import find_browser
from .environment import without_credentials
from .warc import har_body, write_warc

__all__ = [
    "DEFAULT_TIMEOUT_S",
    "DEFAULT_VIEWPORT",
    "MAX_PAGE_BYTES",
    "MAX_SCREENSHOT_HEIGHT",
    "PAGE_RECORD_TYPE",
    "WebCapturer",
    "WebOptions",
]

PAGE_RECORD_TYPE = "evidence-web-page"
PAGE_RECORD_VERSION = 1
#: The window size pages are opened at: a common laptop screen, wide enough that listing
#: sites show their desktop layout.
DEFAULT_VIEWPORT = (1280, 800)
#: Seconds a page has to load (the ``load`` event), unless told otherwise.
DEFAULT_TIMEOUT_S = 60.0
#: Seconds each step after loading (screenshots, DOM, certificate) may take even when the
#: page ran out of its own time: a page that never finishes loading is still captured as
#: far as it got (marked partial).
STEP_TIMEOUT_S = 30.0
#: Seconds to wait for the cookie-banner element before recording that it was missed.
CLICK_TIMEOUT_S = 5.0
#: Bytes of all response bodies of one page together, at most: beyond that the capture is
#: refused (a WARC and a HAR each hold every body, and the HAR is read into memory).
MAX_PAGE_BYTES = 200 * 1024 * 1024
#: What a HAR holds beside the bodies (headers, timings, cookies): the HAR file may be this
#: much larger than twice the body limit before it is refused unread.
HAR_OVERHEAD_BYTES = 16 * 1024 * 1024
#: Height of a full-page screenshot at most (pixels): Chromium cannot paint a taller
#: surface reliably (16384 is its texture limit); a taller page is clipped, with a finding.
MAX_SCREENSHOT_HEIGHT = 16_384
#: Scrolling for lazy content: at most this many window heights, this long apart (seconds).
MAX_SCROLL_STEPS = 60
SCROLL_PAUSE_S = 0.25

_NET_ERROR = re.compile(r"net::(ERR_[A-Z0-9_]+)")
_DNS_ERRORS = frozenset({"ERR_NAME_NOT_RESOLVED", "ERR_NAME_RESOLUTION_FAILED"})
_UNREACHABLE = frozenset({"ERR_CONNECTION_REFUSED", "ERR_CONNECTION_TIMED_OUT",
                          "ERR_ADDRESS_UNREACHABLE", "ERR_CONNECTION_RESET",
                          "ERR_CONNECTION_CLOSED", "ERR_CONNECTION_FAILED",
                          "ERR_NETWORK_UNREACHABLE", "ERR_INTERNET_DISCONNECTED",
                          "ERR_TIMED_OUT", "ERR_EMPTY_RESPONSE", "ERR_PROXY_CONNECTION_FAILED"})

_SCROLL_JS = """async ([steps, pause]) => {
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
  const height = () => Math.max(document.documentElement.scrollHeight,
                                document.body ? document.body.scrollHeight : 0);
  let done = false;
  for (let i = 0; i < steps; i++) {
    window.scrollBy(0, window.innerHeight);
    await sleep(pause);
    if (window.scrollY + window.innerHeight >= height()) {
      await sleep(pause);
      if (window.scrollY + window.innerHeight >= height()) { done = true; break; }
    }
  }
  window.scrollTo(0, 0);
  await sleep(pause);
  return done;
}"""
_IMAGES_JS = """async (ms) => {
  const imgs = Array.from(document.images).filter((i) => !i.complete);
  await Promise.race([
    Promise.all(imgs.map((i) => new Promise((r) => { i.onload = i.onerror = r; }))),
    new Promise((r) => setTimeout(r, ms))]);
}"""
_FACTS_JS = """() => ({user_agent: navigator.userAgent, language: navigator.language,
  languages: Array.from(navigator.languages),
  time_zone: Intl.DateTimeFormat().resolvedOptions().timeZone,
  viewport: {width: window.innerWidth, height: window.innerHeight},
  device_pixel_ratio: window.devicePixelRatio, webdriver: navigator.webdriver})"""


@dataclass(frozen=True)
class WebOptions:
    """How pages are captured (the same for every page of one capture)."""

    #: Scroll to the bottom, a window height at a time, before the screenshots, so that
    #: lazily loaded content (images, infinite lists) is there.
    scroll: bool = False
    #: A CSS selector to wait for (visible) before capturing; missing in time: partial.
    wait_for: str | None = None
    #: A CSS selector to click before capturing (a cookie banner's accept button).
    click: str | None = None
    #: Seconds the page has to load.
    timeout: float = DEFAULT_TIMEOUT_S
    #: Capture a page whose TLS certificate the browser does not trust (recorded).
    allow_insecure: bool = False
    #: Response bytes one page may total (see :data:`MAX_PAGE_BYTES`).
    max_page_bytes: int = MAX_PAGE_BYTES
    viewport: tuple[int, int] = DEFAULT_VIEWPORT
    #: Browser locale (``zh-CN``) and IANA time zone (``Asia/Shanghai``); None: the system's.
    locale: str | None = None
    timezone: str | None = None
    #: Also package the WARCs as a WACZ (:mod:`.wacz`; needs the optional ``wacz`` package).
    wacz: bool = False

    def to_json(self) -> dict[str, Any]:
        return {"scroll": self.scroll, "wait_for": self.wait_for, "click": self.click,
                "timeout_s": self.timeout, "allow_insecure": self.allow_insecure,
                "max_page_bytes": self.max_page_bytes,
                "viewport": {"width": self.viewport[0], "height": self.viewport[1]},
                "locale": self.locale, "timezone": self.timezone, "wacz": self.wacz}


def check_url(url: str) -> str:
    """``url`` if it is an absolute http(s) URL with a host; InputError otherwise."""
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError as exc:
        raise InputError(f"{url}: not a valid URL ({exc})") from exc
    if parts.scheme not in ("http", "https") or not host:
        raise InputError(f"{url}: not an http:// or https:// URL with a host")
    return url


@dataclass
class _Page:
    """What one page's capture gathers while the browser context is open."""

    url: str
    folder: Path
    findings: list[dict[str, str]] = field(default_factory=list)
    partial: bool = False
    main: Any = None  # the last main-frame navigation response (Playwright Response)

    def find(self, code: str, message: str, *, partial: bool = False,
             severity: str = "warning") -> None:
        self.findings.append({"code": code, "severity": severity, "message": message})
        self.partial = self.partial or partial


def _net_error(exc: Exception) -> str | None:
    found = _NET_ERROR.search(str(exc))
    return found.group(1) if found else None


def _certificate_summary(ders: Sequence[bytes]) -> list[dict[str, Any]]:
    import hashlib

    from cryptography import x509

    out: list[dict[str, Any]] = []
    for der in ders:
        try:
            cert = x509.load_der_x509_certificate(der)
            out.append({"subject": cert.subject.rfc4514_string(),
                        "issuer": cert.issuer.rfc4514_string(),
                        "serial_number": format(cert.serial_number, "x"),
                        "not_before": cert.not_valid_before_utc.strftime("%Y-%m-%dT%H:%M:%SZ"),
                        "not_after": cert.not_valid_after_utc.strftime("%Y-%m-%dT%H:%M:%SZ"),
                        "sha256": hashlib.sha256(der).hexdigest()})
        except ValueError:
            out.append({"unparsable": True, "sha256": hashlib.sha256(der).hexdigest()})
    return out


def _pem(ders: Sequence[bytes]) -> bytes:
    """The certificates as PEM (RFC 7468), leaf first."""
    return "".join(ssl.DER_cert_to_PEM_cert(der) for der in ders).encode("ascii")


def _spki_sha256(der: bytes) -> str | None:
    """Base64 SHA-256 of a certificate's SubjectPublicKeyInfo (the --trust-spki form)."""
    import hashlib

    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    try:
        key = x509.load_der_x509_certificate(der).public_key()
        spki = key.public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    except (ValueError, TypeError):
        return None
    return base64.b64encode(hashlib.sha256(spki).digest()).decode("ascii")


def _resolve(host: str, port: int) -> list[str] | str:
    """The system resolver's addresses for ``host``, or the error it gave."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        return f"not resolved: {exc}"
    return sorted({str(info[4][0]) for info in infos})


class WebCapturer:
    """The system's Chromium, started once for several captures (a context manager).

    ``browser``: the executable (default: :func:`~.browser.find_browser`). ``trusted_spki``:
    base64 SHA-256 digests of server public keys (SPKI) the browser accepts although no
    trusted CA issued them (an intranet or test server); listed in the environment record.
    ``proxy``: a proxy server URL for the browser; without it the browser connects directly
    (``--no-proxy-server``), whatever the environment says.

    Raises BrowserMissingError (exit 2) when there is no browser, InputError when it cannot
    be started.
    """

    def __init__(self, *, browser: str | Path | None = None, trusted_spki: Sequence[str] = (),
                 proxy: str | None = None):
        self.executable = find_browser(browser)
        self.trusted_spki = tuple(trusted_spki)
        self._proxy = _proxy_settings(proxy) if proxy else None
        #: The proxy as recorded: its user name and password removed (never recorded).
        self.proxy = without_credentials(proxy) if proxy else None
        self.args: list[str] = [] if proxy else ["--no-proxy-server"]
        for pin in self.trusted_spki:
            try:
                if len(base64.b64decode(pin, validate=True)) != 32:
                    raise ValueError
            except ValueError as exc:
                raise InputError(f"{pin}: not a base64 SHA-256 digest of a public key "
                                 "(SPKI)") from exc
        if self.trusted_spki:
            self.args.append("--ignore-certificate-errors-spki-list="
                             + ",".join(self.trusted_spki))
        self._playwright: Any = None
        self._browser: Any = None
        self.playwright_version = ""

    def __enter__(self) -> WebCapturer:
        from importlib.metadata import version

        from playwright.sync_api import Error as PlaywrightError
        from playwright.sync_api import sync_playwright

        self.playwright_version = version("playwright")
        self._playwright = sync_playwright().start()
        try:
            self._browser = self._playwright.chromium.launch(
                executable_path=str(self.executable), headless=True, args=self.args,
                proxy=self._proxy)
        except PlaywrightError as exc:
            self._playwright.stop()
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise InputError(f"{self.executable}: the browser did not start ({first})") from exc
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        try:
            if self._browser is not None:
                self._browser.close()
        finally:
            self._browser = None
            if self._playwright is not None:
                self._playwright.stop()
                self._playwright = None

    @property
    def browser_version(self) -> str:
        return str(self._browser.version) if self._browser is not None else ""

    # ------------------------------------------------------------------ one page

    def capture_page(self, url: str, folder: Path, *, number: int,
                     options: WebOptions) -> dict[str, Any]:
        """Capture ``url`` into the new folder ``folder``; its page record (also written to
        ``page.json``). Raises InputError when there is nothing to capture."""
        if self._browser is None:
            raise RuntimeError("WebCapturer used outside its with block")
        check_url(url)
        folder.mkdir()
        page = _Page(url, folder)
        insecure = False
        started = utc_now()
        while True:
            context, pw_page, cdp = self._open(page, insecure=insecure, options=options)
            try:
                self._navigate(page, pw_page, options)
                break
            except _TlsRefused as tls:
                context.close()
                (folder / "network.har").unlink(missing_ok=True)
                if not options.allow_insecure:
                    raise InputError(
                        f"{url}: TLS certificate not accepted by the browser ({tls.code}); "
                        "not captured (--allow-insecure captures it anyway, recorded as a "
                        "finding)") from None
                page.find("tls-error", f"the browser refused the site's TLS certificate "
                          f"({tls.code}); captured anyway because insecure capture was "
                          "allowed", severity="error")
                insecure = True
                page.main = None  # a response of the refused attempt is not this page's
            except BaseException:
                context.close()
                raise
        try:
            record = self._gather(page, pw_page, cdp, options, number=number, started=started,
                                  insecure=insecure)
        finally:
            context.close()  # writes network.har
        self._finish(page, record, options)
        (folder / "page.json").write_bytes(canonicalize(record) + b"\n")
        return record

    def _open(self, page: _Page, *, insecure: bool, options: WebOptions) -> tuple[Any, Any, Any]:
        width, height = options.viewport
        context = self._browser.new_context(
            viewport={"width": width, "height": height}, locale=options.locale,
            timezone_id=options.timezone, ignore_https_errors=insecure,
            accept_downloads=False, service_workers="block",
            record_har_path=str(page.folder / "network.har"), record_har_content="embed",
            record_har_mode="full")
        try:
            pw_page = context.new_page()
            cdp = context.new_cdp_session(pw_page)
            cdp.send("Network.enable")

            def on_response(response: Any) -> None:
                try:
                    if response.request.is_navigation_request() and \
                            response.frame == pw_page.main_frame:
                        page.main = response
                except Exception:  # a detached frame: not the main one
                    pass

            pw_page.on("response", on_response)
        except BaseException:
            context.close()
            raise
        return context, pw_page, cdp

    def _navigate(self, page: _Page, pw_page: Any, options: WebOptions) -> None:
        from playwright.sync_api import Error as PlaywrightError
        from playwright.sync_api import TimeoutError as PlaywrightTimeout

        url = page.url
        try:
            pw_page.goto(url, wait_until="load", timeout=options.timeout * 1000)
        except PlaywrightTimeout:
            if page.main is None:
                raise InputError(f"{url}: no response within {options.timeout:g} s; not "
                                 "captured (a longer --timeout?)") from None
            page.find("load-timeout", f"the page had not finished loading after "
                      f"{options.timeout:g} s; captured as far as it had loaded", partial=True)
        except PlaywrightError as exc:
            code = _net_error(exc)
            text = str(exc)
            if "Download is starting" in text or (
                    code == "ERR_ABORTED" and page.main is not None and _is_download(page.main)):
                raise InputError(f"{url}: the server sent a file to download, not a page; "
                                 "capture the downloaded file with `evidence capture` "
                                 "instead") from None
            if code is not None and (code.startswith("ERR_CERT_") or code.startswith("ERR_SSL")
                                     or code in ("ERR_BAD_SSL_CLIENT_AUTH_CERT",)):
                raise _TlsRefused(code) from None
            host = urlsplit(url).hostname
            if code in _DNS_ERRORS:
                raise InputError(f"{url}: the host name {host} could not be resolved (DNS "
                                 f"failure, {code}); check the address") from None
            if code in _UNREACHABLE:
                raise InputError(f"{url}: cannot connect to {host} ({code}); check the address "
                                 "and the network") from None
            first = text.strip().splitlines()[0] if text.strip() else type(exc).__name__
            raise InputError(f"{url}: the browser could not open it ({code or first})") from None

    def _gather(self, page: _Page, pw_page: Any, cdp: Any, options: WebOptions, *,
                number: int, started: str, insecure: bool) -> dict[str, Any]:
        from playwright.sync_api import Error as PlaywrightError
        from playwright.sync_api import TimeoutError as PlaywrightTimeout

        step_ms = STEP_TIMEOUT_S * 1000
        pw_page.set_default_timeout(step_ms)
        clicked: bool | None = None
        if options.wait_for:
            try:
                pw_page.wait_for_selector(options.wait_for, state="visible",
                                          timeout=options.timeout * 1000)
            except PlaywrightTimeout:
                page.find("wait-for-timeout", f"{options.wait_for!r} did not appear within "
                          f"{options.timeout:g} s", partial=True)
        if options.click:
            try:
                pw_page.locator(options.click).first.click(timeout=CLICK_TIMEOUT_S * 1000)
                clicked = True
                pw_page.wait_for_timeout(SCROLL_PAUSE_S * 1000)
            except PlaywrightError:
                clicked = False
                page.find("click-missed", f"{options.click!r} was not found or not clickable "
                          f"within {CLICK_TIMEOUT_S:g} s; nothing was clicked", severity="info")
        if options.scroll:
            done = pw_page.evaluate(_SCROLL_JS, [MAX_SCROLL_STEPS, SCROLL_PAUSE_S * 1000])
            if not done:
                page.find("scroll-limit", f"still not at the bottom after {MAX_SCROLL_STEPS} "
                          "window heights (endless list?); captured as far as scrolled")
            pw_page.evaluate(_IMAGES_JS, int(STEP_TIMEOUT_S * 1000 / 3))
        facts = pw_page.evaluate(_FACTS_JS)
        metrics = cdp.send("Page.getLayoutMetrics")
        content = metrics.get("cssContentSize") or metrics.get("contentSize") or {}
        width = math.ceil(content.get("width", 0))
        height = math.ceil(content.get("height", 0))
        folder = page.folder
        # The DOM and text first: a full-page screenshot enlarges the window to the page's
        # height, which can start more lazy loading than the person saw (use scroll for it).
        dom = pw_page.content().encode("utf-8")
        if len(dom) > options.max_page_bytes:
            raise InputError(f"{page.url}: the rendered page is {len(dom)} bytes, more than "
                             f"the limit of {options.max_page_bytes} (--max-page-bytes); not "
                             "captured")
        (folder / "dom.html").write_bytes(dom)
        text = pw_page.evaluate("() => document.body ? document.body.innerText : ''")
        (folder / "text.txt").write_bytes(str(text).encode("utf-8"))
        pw_page.screenshot(path=str(folder / "screenshot-viewport.png"), timeout=step_ms)
        clip = None
        if height > MAX_SCREENSHOT_HEIGHT:
            clip = {"x": 0, "y": 0, "width": width, "height": MAX_SCREENSHOT_HEIGHT}
            page.find("screenshot-clipped", f"the page is {height} px tall; the full-page "
                      f"screenshot shows its top {MAX_SCREENSHOT_HEIGHT} px (the DOM, text "
                      "and archive hold all of it)")
        pw_page.screenshot(path=str(folder / "screenshot-full.png"), full_page=True,
                           clip=clip, timeout=step_ms)
        final_url = str(pw_page.url)
        record: dict[str, Any] = {
            "type": PAGE_RECORD_TYPE, "version": PAGE_RECORD_VERSION, "page": number,
            "url": page.url, "final_url": final_url, "started_at": started,
            "finished_at": utc_now(), "title": pw_page.title(),
            "browser_reported": facts,
            "page_size": {"width": width, "height": height},
            "screenshots": {"full": "screenshot-full.png", "viewport": "screenshot-viewport.png",
                            "full_clipped": clip is not None},
            "options": {**options.to_json(), "clicked": clicked},
        }
        record.update(self._main_response(page))
        record["tls"] = self._tls(page, cdp, final_url, insecure, self.trusted_spki)
        parts = urlsplit(final_url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
        record["resolved"] = {"host": parts.hostname,
                              "system_resolver": _resolve(parts.hostname or "", port)}
        return record

    @staticmethod
    def _main_response(page: _Page) -> dict[str, Any]:
        main = page.main
        if main is None:
            return {"http_status": None, "redirects": [], "response_headers": []}
        chain = []
        req = main.request.redirected_from
        while req is not None:
            resp = req.response()
            chain.append({"url": req.url, "status": None if resp is None else resp.status,
                          "location": None if resp is None else resp.header_value("location")})
            req = req.redirected_from
        chain.reverse()
        status = int(main.status)
        if status >= 400:
            page.find("http-error", f"the server answered HTTP {status} "
                      f"{main.status_text}; the error page is what was captured")
        try:
            headers = [[h["name"], h["value"]] for h in main.headers_array()]
            server = main.server_addr()
            security = main.security_details()
        except Exception:  # the response is gone (page closed early)
            headers, server, security = [], None, None
        return {"http_status": status, "status_text": main.status_text, "redirects": chain,
                "response_headers": headers,
                "server_address": server, "tls_protocol": (security or {}).get("protocol")}

    @staticmethod
    def _tls(page: _Page, cdp: Any, final_url: str, insecure: bool,
             pins: Sequence[str]) -> dict[str, Any] | None:
        parts = urlsplit(final_url)
        if parts.scheme != "https":
            return None
        origin = f"{parts.scheme}://{parts.netloc}"
        try:
            names = cdp.send("Network.getCertificate", {"origin": origin}).get("tableNames", [])
            ders = [base64.b64decode(n) for n in names]
        except Exception as exc:  # the protocol call is experimental in CDP
            page.find("certificate-unavailable", f"the browser did not give the certificate "
                      f"chain of {origin} ({str(exc).splitlines()[0] if str(exc) else exc})")
            ders = []
        if ders:
            (page.folder / "certificate-chain.pem").write_bytes(_pem(ders))
        pinned = bool(ders) and _spki_sha256(ders[0]) in pins
        if pinned:
            page.find("tls-pinned", f"the certificate of {origin} has a key pinned for this "
                      "capture (--trust-spki): the browser may have accepted it for that "
                      "alone, without a trusted CA", severity="info")
        return {"origin": origin, "chain": _certificate_summary(ders),
                "file": "certificate-chain.pem" if ders else None,
                "accepted_by_browser": not insecure, "key_pinned_for_capture": pinned}

    @staticmethod
    def _finish(page: _Page, record: dict[str, Any], options: WebOptions) -> None:
        """Read the HAR the closed context wrote; check the size limit; write the WARC."""
        har_path = page.folder / "network.har"
        size = har_path.stat().st_size
        if size > 2 * options.max_page_bytes + HAR_OVERHEAD_BYTES:  # base64: 4/3 of a body
            raise InputError(f"{page.url}: the page is larger than {options.max_page_bytes} "
                             "bytes (--max-page-bytes); not captured")
        har = json.loads(har_path.read_bytes())
        entries = har.get("log", {}).get("entries", [])
        total = sum(len(har_body(e.get("response", {}).get("content") or {}))
                    for e in entries if isinstance(e, dict))
        if total > options.max_page_bytes:
            raise InputError(f"{page.url}: the page's responses total {total} bytes, more than "
                             f"the limit of {options.max_page_bytes} (--max-page-bytes); not "
                             "captured")
        final = record["final_url"]
        browser_ips = sorted({str(e["serverIPAddress"]).strip("[]") for e in entries
                              if isinstance(e, dict) and e.get("serverIPAddress")
                              and urlsplit(str(e.get("request", {}).get("url", ""))).netloc
                              == urlsplit(final).netloc})
        record["resolved"]["browser_connected_to"] = browser_ips
        record["network"] = {"requests": len(entries), "response_bytes": total,
                             "har": "network.har", "warc": "archive.warc.gz"}
        record["network"]["warc_responses"] = write_warc(
            page.folder / "archive.warc.gz", entries,
            info={"software": "evidence-anchor capture-web (warcio)",
                  "format": "WARC File Format 1.1",
                  "http-header-user-agent": str(record["browser_reported"].get("user_agent")),
                  "isPartOf": record["url"]})
        record["partial"] = page.partial
        record["findings"] = page.findings


def _proxy_settings(url: str) -> dict[str, str]:
    """Playwright's proxy settings for ``url``: credentials in their own fields (Chromium
    takes none in its --proxy-server switch)."""
    try:
        parts = urlsplit(url if "://" in url else f"http://{url}")
        port = parts.port
    except ValueError as exc:
        raise InputError(f"--proxy: not a proxy URL ({without_credentials(url)})") from exc
    if not parts.hostname:
        raise InputError(f"--proxy: not a proxy URL ({without_credentials(url)})")
    server = f"{parts.scheme}://{parts.hostname}" + (f":{port}" if port else "")
    settings = {"server": server}
    if parts.username:
        settings["username"] = unquote(parts.username)
        settings["password"] = unquote(parts.password or "")
    return settings


class _TlsRefused(Exception):
    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


def _is_download(response: Any) -> bool:
    try:
        disposition = response.header_value("content-disposition") or ""
    except Exception:  # a response already gone
        return False
    return "attachment" in disposition.lower()
