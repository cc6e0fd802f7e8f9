"""The web-capture section of a report: each captured page and the capture environment.

What: for a bundle made by ``evidence capture-web`` (provenance.json has a ``web`` member,
docs/formats.md "Web captures"), :func:`build_web` lists each page (URL, final URL, time,
HTTP status, partial or not, findings, the certificate's subject and issuer, the item id of
its full-page screenshot) and the capture-environment record as label/value rows.

Why here: the report says what the verification checked; the page list comes from the
signed provenance, and the environment record is read from the bundle only when its item
verified intact (same bytes as signed), like screenshot thumbnails. A record that did not
verify is not shown, and the section says why.

Failures: none raised; an unreadable or unexpected record is reported as not shown.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from evidence.result import ItemStatus

__all__ = ["MAX_ENVIRONMENT_BYTES", "WEB_TEXT", "WebPageRow", "WebSection", "build_web"]

#: The environment record is a small JSON document; a larger one is not read for display.
MAX_ENVIRONMENT_BYTES = 256 * 1024

#: Labels of the section (English, Chinese).
WEB_TEXT: dict[str, tuple[str, str]] = {
    "sec_web": ("Web pages captured", "网页取证"),
    "web_intro": (
        "Statements of the capturer (recorded at capture, not verified): which pages its "
        "tool says it opened in headless Chromium, the URLs, HTTP status and server "
        "certificate it says it saw. Nothing here was checked against the web server; the "
        "capturer signed these lines and could have written them. The files listed are "
        "items of the bundle, checked with the others above: their bytes are as signed.",
        "以下为采集方的陈述（采集时记录，未经核实）：其工具称在无界面 Chromium 浏览器中打开的"
        "网页、所见的网址、HTTP 状态码和服务器证书。上述内容均未与网站服务器核对；采集方签署了"
        "这些内容，也可能自行写入。所列文件均为本证据包的条目，已与其他条目一同于上文核验：其字节"
        "与签署时一致。"),
    "page": ("Page", "网页"),
    "url": ("Requested URL", "请求网址"),
    "final_url": ("Final URL", "最终网址"),
    "time": ("Captured at (UTC)", "采集时间（UTC）"),
    "status": ("HTTP status", "HTTP 状态码"),
    "partial": ("Partial capture", "不完整采集"),
    "findings": ("Capture findings", "采集发现"),
    "cert_subject": ("Certificate subject", "证书主体"),
    "cert_issuer": ("Certificate issuer", "证书签发者"),
    "screenshot": ("Full-page screenshot", "整页截图"),
    "sec_env": ("Capture environment", "取证环境"),
    "env_caveat": (
        "The environment record is what the capturing machine reported about itself; "
        "nothing in it is independently attested.",
        "取证环境记录为取证机器对自身的陈述，其中内容均未经独立证明。"),
    "env_not_shown": ("The environment record is not shown", "未显示取证环境记录"),
}


@dataclass(frozen=True)
class WebPageRow:
    page: int
    url: str
    final_url: str
    captured_at: str
    http_status: int | None
    partial: bool
    findings: tuple[str, ...]
    certificate_subject: str | None
    certificate_issuer: str | None
    screenshot_item: str | None

    def to_json(self) -> dict[str, Any]:
        return {"page": self.page, "url": self.url, "final_url": self.final_url,
                "captured_at": self.captured_at, "http_status": self.http_status,
                "partial": self.partial, "findings": list(self.findings),
                "certificate_subject": self.certificate_subject,
                "certificate_issuer": self.certificate_issuer,
                "screenshot_item": self.screenshot_item}


@dataclass(frozen=True)
class WebSection:
    pages: tuple[WebPageRow, ...]
    environment_item: str | None
    #: Label/value rows of the environment record; None when it is not shown (see reason).
    environment: tuple[tuple[str, str], ...] | None
    environment_reason: str | None

    def to_json(self) -> dict[str, Any]:
        return {"pages": [p.to_json() for p in self.pages],
                "environment_item": self.environment_item,
                "environment": None if self.environment is None else
                [[k, v] for k, v in self.environment],
                "environment_reason": self.environment_reason}


def _str(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _shown(value: object) -> str:
    if value is None:
        return "—"
    if isinstance(value, str):
        return value or "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return ", ".join(value) if value else "none"
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def environment_rows(env: Mapping[str, Any], langs: Sequence[str] = ("en",)
                     ) -> tuple[tuple[str, str], ...]:
    """The record (``evidence-web-environment`` version 1) as label/value rows, labels in
    ``langs`` ("English / 中文"); values as recorded."""
    def get(*path: str) -> object:
        value: object = env
        for key in path:
            value = value.get(key) if isinstance(value, dict) else None
        return value

    tool = f"{get('tool', 'name')} {get('tool', 'version')}, Playwright {get('tool', 'playwright')}"
    viewport = get("page", "viewport")
    view = (f"{viewport.get('width')} x {viewport.get('height')}"
            if isinstance(viewport, dict) else None)
    rows = (
        (("Browser", "浏览器"),
         f"Chromium {get('browser', 'version')} (headless, fresh profile)"),
        (("Browser executable", "浏览器程序"), get("browser", "executable")),
        (("Browser switches", "浏览器启动参数"), get("browser", "switches")),
        (("Capture tool", "取证工具"), tool),
        (("Operating system", "操作系统"), get("operating_system")),
        (("User agent", "用户代理（User-Agent）"), get("page", "user_agent")),
        (("Viewport (CSS px)", "视口（CSS 像素）"), view),
        (("Device pixel ratio", "设备像素比"), get("page", "device_pixel_ratio")),
        (("Languages", "语言"), get("page", "languages")),
        (("Time zone", "时区"), get("page", "time_zone")),
        (("Proxy used by the browser", "浏览器所用代理"), get("proxy", "browser")),
        (("Proxy variables in the environment (not used)", "环境中的代理变量（未使用）"),
         get("proxy", "environment_variables") or "none"),
        (("Non-default hosts-file entries", "hosts 文件中的非默认条目"),
         get("hosts_file", "non_default_entries")),
        (("DNS resolvers (resolv.conf)", "DNS 解析服务器（resolv.conf）"),
         get("dns", "nameservers")),
        (("Server keys trusted for this capture (SPKI SHA-256)",
          "本次取证特别信任的服务器公钥（SPKI SHA-256）"),
         get("certificates", "trusted_for_this_capture_spki_sha256")),
        (("Insecure TLS allowed", "是否允许不安全的 TLS"), get("certificates", "insecure_allowed")),
        (("Clock", "时钟"), get("clock", "source")),
        (("Clock against a timestamp authority", "时钟与时间戳机构时间的比对"),
         _clock_against_tsa(get)),
    )
    return tuple((" / ".join(dict.fromkeys(label[0] if lang == "en" else label[1]
                                           for lang in langs)), _shown(value))
                 for label, value in rows)


def _read_environment(bundle: Path, item: ItemStatus | None, langs: Sequence[str]
                      ) -> tuple[tuple[tuple[str, str], ...] | None, str | None]:
    if item is None:
        return None, "no environment item in the bundle"
    if item.status != "ok":
        return None, f"its item {item.id} did not verify ({item.status})"
    try:
        data = (bundle / item.path).read_bytes()[:MAX_ENVIRONMENT_BYTES + 1]
        if len(data) > MAX_ENVIRONMENT_BYTES or hashlib.sha256(data).hexdigest() != item.sha256:
            return None, f"its item {item.id} is not the verified file"
        env = json.loads(data)
    except (OSError, ValueError):
        return None, f"its item {item.id} is not readable as JSON"
    if not isinstance(env, dict) or env.get("type") != "evidence-web-environment" or \
            env.get("version") != 1:
        return None, f"its item {item.id} is not a version 1 environment record"
    return environment_rows(env, langs), None


def build_web(provenance: Mapping[str, Any], items: Sequence[ItemStatus],
              bundle: Path, langs: Sequence[str] = ("en",)) -> WebSection | None:
    """The section for a web capture, or None when the bundle is not one; environment
    labels in ``langs``."""
    web = provenance.get("web")
    if not isinstance(web, dict) or not isinstance(web.get("pages"), list):
        return None
    by_path = {i.path: i for i in items if i.kind == "file"}
    pages: list[WebPageRow] = []
    for p in web["pages"]:
        if not isinstance(p, dict):
            continue
        raw_cert, raw_files = p.get("certificate"), p.get("files")
        cert: dict[str, Any] = raw_cert if isinstance(raw_cert, dict) else {}
        files: dict[str, Any] = raw_files if isinstance(raw_files, dict) else {}
        shot = by_path.get(str(files.get("screenshot_full")))
        status = p.get("http_status")
        pages.append(WebPageRow(
            page=p["page"] if isinstance(p.get("page"), int) else len(pages) + 1,
            url=str(p.get("url", "")), final_url=str(p.get("final_url", "")),
            captured_at=str(p.get("captured_at", "")),
            http_status=status if isinstance(status, int) else None,
            partial=p.get("partial") is True,
            findings=tuple(str(f) for f in p.get("findings", []) if isinstance(f, str)),
            certificate_subject=_str(cert.get("subject")),
            certificate_issuer=_str(cert.get("issuer")),
            screenshot_item=None if shot is None else shot.id))
    env_item = by_path.get(str(web.get("environment")))
    rows, reason = _read_environment(bundle, env_item, langs)
    return WebSection(pages=tuple(pages), environment_item=None if env_item is None
                      else env_item.id, environment=rows, environment_reason=reason)


def _clock_against_tsa(get: Any) -> str:
    """The environment record's clock comparison in one line: the TSA, its time, the
    machine's, and the difference (as the capturing machine recorded them)."""
    status = get("clock", "tsa_comparison", "status")
    if status != "compared":
        return f"{status}: {get('clock', 'tsa_comparison', 'reason')}"
    return (f"compared with {get('clock', 'tsa_comparison', 'tsa')} "
            f"({get('clock', 'tsa_comparison', 'tsa_signer')}): TSA time "
            f"{get('clock', 'tsa_comparison', 'tsa_time')}, machine time "
            f"{get('clock', 'tsa_comparison', 'machine_time')}, machine minus TSA "
            f"{get('clock', 'tsa_comparison', 'machine_minus_tsa_seconds')} s (round trip "
            f"{get('clock', 'tsa_comparison', 'round_trip_seconds')} s)")
