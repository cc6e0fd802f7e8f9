"""The network exchange of a page as a WARC file (ISO 28500:2017, WARC/1.1), via warcio.

Input is the HAR log (HAR 1.2, with bodies embedded) that Playwright recorded for the
page's browser context: one ``request`` and one ``response`` record per exchange, in the
order the browser started them, after a ``warcinfo`` record naming the tool and browser.

What the browser hands over is the decoded body (after gzip/br/deflate and chunking), so
each response record holds that body with ``Content-Length`` set to its length, and the
headers the server sent for the encoding are kept renamed ``X-Archive-Orig-<name>``
(``Content-Encoding``, ``Transfer-Encoding``, ``Content-Length``) - the convention of
web-archiving crawlers, so that replay tools (pywb, ReplayWeb.page) serve the body as
stored. HTTP/2 and HTTP/3 exchanges are written with an HTTP/1.1 status line, their
protocol kept in the ``WARC-Protocol`` header (WARC/1.1 extension used by browsertrix).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable, Mapping
from datetime import datetime
from io import BytesIO
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

__all__ = ["har_body", "write_warc"]

#: Headers describing the transfer encoding of the wire bytes, which the stored (decoded)
#: body no longer has; kept as ``X-Archive-Orig-<name>``.
_TRANSFER_HEADERS = frozenset({"content-encoding", "transfer-encoding", "content-length"})


def har_body(content: Mapping[str, Any]) -> bytes:
    """The body of a HAR ``content`` object (text, or base64 when ``encoding`` says so)."""
    text = content.get("text")
    if not isinstance(text, str):
        return b""
    if content.get("encoding") == "base64":
        try:
            return base64.b64decode(text, validate=False)
        except (binascii.Error, ValueError):
            return b""
    return text.encode("utf-8")


def _warc_date(started: object) -> str | None:
    if not isinstance(started, str):
        return None
    try:
        when = datetime.fromisoformat(started.replace("Z", "+00:00"))
    except ValueError:
        return None
    return when.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _headers(pairs: object) -> list[tuple[str, str]]:
    if not isinstance(pairs, list):
        return []
    return [(str(h.get("name", "")), str(h.get("value", ""))) for h in pairs
            if isinstance(h, dict) and h.get("name") and not str(h["name"]).startswith(":")]


def _protocol(version: object) -> tuple[str, str | None]:
    text = str(version or "").upper()
    if text in ("HTTP/1.0", "HTTP/1.1"):
        return text, None
    return "HTTP/1.1", (str(version) if version else None)


def write_warc(path: Path, entries: Iterable[Mapping[str, Any]], *,
               info: Mapping[str, str]) -> int:
    """Write the exchanges of HAR ``entries`` to a new gzipped WARC at ``path``; the number
    of response records written. ``info``: the warcinfo fields (software, browser...)."""
    count = 0
    with path.open("xb") as fh:
        writer = WARCWriter(fh, gzip=True, warc_version="WARC/1.1")
        writer.write_record(writer.create_warcinfo_record(path.name, dict(info)))
        for entry in entries:
            request, response = entry.get("request"), entry.get("response")
            if not isinstance(request, dict) or not isinstance(response, dict):
                continue
            url = str(request.get("url", ""))
            if urlsplit(url).scheme not in ("http", "https"):
                continue  # data: and blob: URLs carry no exchange
            status = response.get("status")
            if not isinstance(status, int) or status <= 0:
                continue  # no response arrived (aborted, failed, still pending)
            extra: dict[str, str] = {}
            date = _warc_date(entry.get("startedDateTime"))
            if date:
                extra["WARC-Date"] = date
            ip = entry.get("serverIPAddress")
            if isinstance(ip, str) and ip:
                extra["WARC-IP-Address"] = ip.strip("[]")
            protocol, original = _protocol(response.get("httpVersion"))
            if original:
                extra["WARC-Protocol"] = original.lower()
            body = har_body(response.get("content") or {})
            headers = []
            for name, value in _headers(response.get("headers")):
                lower = name.lower()
                headers.append((f"X-Archive-Orig-{name}" if lower in _TRANSFER_HEADERS
                                else name, value))
            headers.append(("Content-Length", str(len(body))))
            status_line = f"{status} {response.get('statusText') or ''}".rstrip()
            resp = writer.create_warc_record(
                url, "response", payload=BytesIO(body), length=len(body),
                http_headers=StatusAndHeaders(status_line, headers, protocol=protocol),
                warc_headers_dict=extra)
            req_body = b""
            post = request.get("postData")
            if isinstance(post, dict) and isinstance(post.get("text"), str):
                req_body = post["text"].encode("utf-8")
            target = urlsplit(url)
            req_line = f"{request.get('method', 'GET')} {target.path or '/'}" + (
                f"?{target.query}" if target.query else "")
            req_headers = _headers(request.get("headers"))
            if not any(n.lower() == "host" for n, _ in req_headers):
                req_headers.insert(0, ("Host", target.netloc))
            req = writer.create_warc_record(
                url, "request", payload=BytesIO(req_body), length=len(req_body),
                http_headers=StatusAndHeaders(req_line, req_headers, protocol=protocol,
                                              is_http_request=True),
                warc_headers_dict=dict(extra))
            writer.write_request_response_pair(req, resp)
            count += 1
    return count
