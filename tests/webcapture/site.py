"""A local HTTPS shop for the web-capture tests: a product listing as a person sees it.

``/listing/123`` redirects (302) to ``/item/123?ref=listing``: a product page whose price
is filled in by JavaScript from ``/api/price/123``, whose photo is loaded lazily (an
IntersectionObserver sets its ``src`` once it scrolls into view, 1800 px down), with a
cookie banner over the bottom of the window until "Accept" is clicked. The page is exactly
2400 CSS pixels tall. Other paths: ``/missing`` (404), ``/download`` (an attachment),
``/slow`` (an image that never arrives: the load event never fires), ``/hang`` (no answer),
``/big-image`` (a small page, a 200 kB picture), ``/big-dom`` (a script writes 200 kB).

Served over TLS with a certificate from a trustme test CA. Every handler that waits is
bounded (:data:`HANG_SECONDS`) and the server stops with its fixture.
"""

from __future__ import annotations

import base64
import hashlib
import http.server
import io
import os
import socket
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import trustme
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from PIL import Image

#: Longest a handler holds a request open ("never" answers), so that the server stops.
HANG_SECONDS = 15.0
PAGE_HEIGHT = 2400
PHOTO_TOP = 1800
PHOTO_SIZE = (320, 240)
PHOTO_RGB = (200, 30, 40)
PRICE = "¥459.00"

LISTING_HTML = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Acme Trail Runner 3 - ShopLocal</title>
<style>
html, body { margin: 0; padding: 0; font-family: sans-serif; }
#page { position: relative; height: %(height)dpx; width: 100%%; background: #fafafa; }
h1 { position: absolute; top: 20px; left: 40px; margin: 0; font-size: 32px; }
#price { position: absolute; top: 80px; left: 40px; font-size: 28px; color: #b00; }
#ships { position: absolute; top: 130px; left: 40px; font-size: 18px; }
#photo { position: absolute; top: %(photo_top)dpx; left: 40px; width: %(pw)dpx;
         height: %(ph)dpx; display: block; }
#cookie-banner { position: fixed; bottom: 0; left: 0; right: 0; height: 120px;
                 background: #222; color: #fff; font-size: 20px; padding: 20px; }
</style></head>
<body><div id="page">
<h1>Acme Trail Runner 3</h1>
<div id="price"><span class="loading">loading price...</span></div>
<div id="ships">Ships from: Shenzhen, Guangdong (CN) - Seller: acme-outlet-88</div>
<img id="photo" alt="product photo" data-src="/img/shoe-1.png">
</div>
<div id="cookie-banner">We use cookies to run this shop.
<button id="accept-cookies"
  onclick="document.getElementById('cookie-banner').style.display='none'">Accept</button>
</div>
<script>
fetch('/api/price/123').then((r) => r.json()).then((p) => {
  document.getElementById('price').innerHTML =
    '<span class="amount">' + p.symbol + p.amount + '</span>';
});
new IntersectionObserver((entries, obs) => {
  for (const e of entries) {
    if (e.isIntersecting) { e.target.src = e.target.dataset.src; obs.disconnect(); }
  }
}).observe(document.getElementById('photo'));
</script>
</body></html>
""" % {"height": PAGE_HEIGHT, "photo_top": PHOTO_TOP,  # noqa: UP031 (CSS braces)
       "pw": PHOTO_SIZE[0], "ph": PHOTO_SIZE[1]}


def _png(size: tuple[int, int], rgb: tuple[int, int, int]) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, rgb).save(buf, format="PNG")
    return buf.getvalue()


PHOTO_PNG = _png(PHOTO_SIZE, PHOTO_RGB)
def _noise_png(side: int) -> bytes:
    buf = io.BytesIO()
    Image.frombytes("RGB", (side, side), os.urandom(side * side * 3)).save(buf, format="PNG")
    return buf.getvalue()


#: A picture of about 200 kB (noise does not compress).
BIG_PNG = _noise_png(256)


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    stop: threading.Event

    def log_message(self, format: str, *args: object) -> None:  # quiet
        pass

    def _send(self, status: int, body: bytes, ctype: str, extra: dict[str, str] | None = None
              ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        if path == "/listing/123":
            self._send(302, b"", "text/html", {"Location": "/item/123?ref=listing"})
        elif path == "/item/123":
            self._send(200, LISTING_HTML.encode("utf-8"), "text/html; charset=utf-8",
                       {"Set-Cookie": "session=abc123; Secure"})
        elif path == "/api/price/123":
            self._send(200, b'{"symbol":"\\u00a5","amount":"459.00","currency":"CNY"}',
                       "application/json")
        elif path == "/img/shoe-1.png":
            self._send(200, PHOTO_PNG, "image/png")
        elif path == "/big-image":  # a small page with a large picture
            self._send(200, b"<!doctype html><title>Big</title><img src='/img/big.png'>",
                       "text/html; charset=utf-8")
        elif path == "/img/big.png":
            self._send(200, BIG_PNG, "image/png")
        elif path == "/big-dom":  # a small page whose script builds a large document
            self._send(200, b"<!doctype html><title>Big DOM</title><body><script>"
                       b"document.body.append('x'.repeat(200000));</script></body>",
                       "text/html; charset=utf-8")
        elif path == "/missing":
            self._send(404, b"<!doctype html><title>Not found</title><h1>Listing removed</h1>",
                       "text/html; charset=utf-8")
        elif path == "/download":
            self._send(200, b"PK\x03\x04 not a page", "application/zip",
                       {"Content-Disposition": 'attachment; filename="catalogue.zip"'})
        elif path == "/slow":
            self._send(200, b"<!doctype html><title>Slow</title><h1>Still loading</h1>"
                       b"<img src='/never.png'>", "text/html; charset=utf-8")
        elif path in ("/never.png", "/hang"):
            self.stop.wait(HANG_SECONDS)  # never answers (until the server stops)
            self.close_connection = True
        else:
            self._send(404, b"not found", "text/plain")


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False


@dataclass
class Site:
    base: str
    spki: str  # base64 SHA-256 of the server certificate's SubjectPublicKeyInfo
    port: int


def spki_sha256(cert_pem: bytes) -> str:
    cert = x509.load_pem_x509_certificate(cert_pem)
    der = cert.public_key().public_bytes(serialization.Encoding.DER,
                                         serialization.PublicFormat.SubjectPublicKeyInfo)
    return base64.b64encode(hashlib.sha256(der).digest()).decode("ascii")


@contextmanager
def serve(*, tls: bool = True) -> Iterator[Site]:
    """The shop over HTTPS on 127.0.0.1 (a fresh trustme CA; plain HTTP if not ``tls``),
    until the block ends."""
    ca = trustme.CA(organization_name="Evidence Test CA")
    cert = ca.issue_cert("localhost", "127.0.0.1", common_name="localhost")
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    cert.configure_cert(ctx)
    stop = threading.Event()
    handler = type("Handler", (_Handler,), {"stop": stop})
    server = _Server(("127.0.0.1", 0), handler)
    if tls:
        server.socket = ctx.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    port = server.server_address[1]
    try:
        yield Site(f"{'https' if tls else 'http'}://localhost:{port}",
                   spki_sha256(cert.cert_chain_pems[0].bytes()), port)
    finally:
        stop.set()
        server.shutdown()
        server.server_close()


def closed_port() -> int:
    """A local port nobody listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
