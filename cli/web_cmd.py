"""``evidence capture-web``: live pages in the system's headless Chromium into a bundle.

Usage::

    evidence capture-web URL... --case CASE -o BUNDLE [--scroll] [--wait-for CSS]
        [--click CSS] [--timeout S] [--allow-insecure] [--trust-spki B64] [--proxy URL]
        [--browser PATH] [--viewport WxH] [--locale L] [--timezone TZ] [--wacz] [--json]

Attach with :func:`register`.
"""

from __future__ import annotations

from pathlib import Path

import click

from evidence.errors import InputError

from .common import Context, emit_json, signing_key

__all__ = ["capture_web"]


def _viewport(text: str) -> tuple[int, int]:
    try:
        width, height = (int(v) for v in text.lower().split("x"))
    except ValueError as exc:
        raise InputError(f"--viewport {text}: expected WIDTHxHEIGHT, e.g. 1280x800") from exc
    if not (200 <= width <= 4096 and 200 <= height <= 4096):
        raise InputError(f"--viewport {text}: each side must be 200 to 4096 pixels")
    return width, height


@click.command("capture-web")
@click.argument("urls", nargs=-1, required=True)
@click.option("--case", required=True, help="Case identifier, e.g. 2026-CN-0042.")
@click.option("-o", "--out", required=True, type=click.Path(path_type=Path),
              help="The bundle folder to create (never overwritten).")
@click.option("--scroll", is_flag=True,
              help="Scroll to the bottom first, so that lazily loaded content is there.")
@click.option("--wait-for", metavar="CSS", help="Wait until this element is visible.")
@click.option("--click", "click_selector", metavar="CSS",
              help="Click this element first (a cookie banner's accept button).")
@click.option("--timeout", type=click.FloatRange(min=1, max=3600), default=60.0,
              show_default=True, help="Seconds each page has to load; a page still loading "
              "then is captured as far as it got, marked partial.")
@click.option("--allow-insecure", is_flag=True,
              help="Capture a page whose TLS certificate the browser refuses (recorded as a "
                   "finding).")
@click.option("--trust-spki", "trust_spki", multiple=True, metavar="BASE64",
              help="Accept the server key with this SHA-256 SPKI digest (base64) although no "
                   "trusted CA issued it (an intranet server); recorded in the environment.")
@click.option("--proxy", metavar="URL",
              help="Connect through this proxy (recorded); default: direct, whatever the "
                   "environment's proxy variables say.")
@click.option("--browser", type=click.Path(path_type=Path),
              help="The Chromium executable (default: $EVIDENCE_CHROMIUM, then chromium on "
                   "PATH).")
@click.option("--viewport", default="1280x800", show_default=True, help="Window size WxH.")
@click.option("--locale", help="Browser locale, e.g. zh-CN (default: the system's).")
@click.option("--timezone", help="IANA time zone, e.g. Asia/Shanghai (default: the system's).")
@click.option("--max-page-bytes", type=click.IntRange(min=1), default=None,
              help="Largest total of one page's responses (default 200 MiB).")
@click.option("--wacz", is_flag=True,
              help="Also package the WARCs as a WACZ that replay tools open (needs "
                   "pip install 'evidence-anchor[wacz]').")
@click.option("--platform", help="Platform the pages belong to.")
@click.option("--note", help="A free note recorded in the provenance.")
@click.option("--tsa", metavar="URL",
              help="Compare the machine clock with this RFC 3161 time-stamp authority's time "
                   "(recorded in the environment record; default: the workspace's first "
                   "[timestamps] tsa).")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.pass_obj
def capture_web(ctx: Context, urls: tuple[str, ...], case: str, out: Path, scroll: bool,
                wait_for: str | None, click_selector: str | None, timeout: float,
                allow_insecure: bool, trust_spki: tuple[str, ...], proxy: str | None,
                browser: Path | None, viewport: str, locale: str | None,
                timezone: str | None, max_page_bytes: int | None, wacz: bool,
                platform: str | None,
                note: str | None, tsa: str | None, as_json: bool) -> int:
    """Capture live web pages in headless Chromium into a new signed bundle.

    Each page gives full-page and viewport screenshots, a WARC and a HAR of every request
    and response, the rendered DOM and visible text, the TLS certificate chain, redirects,
    final URL and resolved addresses; one capture-environment record (browser, user agent,
    proxy, hosts file, DNS resolvers, clock) covers them all.
    """
    from evidence.webcapture import WebOptions, find_browser
    from evidence.webcapture import capture_web as do_capture
    from evidence.webcapture.page import MAX_PAGE_BYTES

    options = WebOptions(scroll=scroll, wait_for=wait_for, click=click_selector,
                         timeout=timeout, allow_insecure=allow_insecure,
                         max_page_bytes=max_page_bytes or MAX_PAGE_BYTES,
                         viewport=_viewport(viewport), locale=locale, timezone=timezone,
                         wacz=wacz)
    executable = find_browser(browser)  # before the passphrase: no browser, no question
    ws = ctx.workspace()
    if tsa is None and ws.timestamps.tsa:
        tsa = ws.timestamps.tsa[0]
    if tsa is not None:
        from evidence.timestamps.client import check_url

        check_url(tsa)  # before the passphrase
    key = signing_key(ws)
    result = do_capture(list(urls), out=out, case=case, key=key, options=options, note=note,
                        platform=platform, browser=executable,
                        trusted_spki=trust_spki, proxy=proxy, tsa=tsa)
    if as_json:
        emit_json(result.to_json())
        return 0
    for page in result.pages:
        marks = [] if not page.findings else [f"findings: {', '.join(page.findings)}"]
        if page.partial:
            marks.insert(0, "PARTIAL")
        click.echo(f"page {page.page}: {page.url} -> {page.final_url} "
                   f"(HTTP {page.http_status})" + (f" [{'; '.join(marks)}]" if marks else ""))
    c = result.capture
    click.echo(f"captured {len(result.pages)} page(s), {c.item_count} items "
               f"({c.total_bytes} bytes) into {c.path}")
    click.echo(f"bundle root: {c.root.hex()} (signed by {key.fingerprint})")
    click.echo(f"next: evidence anchor {c.path}")
    return 0
