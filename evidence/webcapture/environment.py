"""The capture-environment record of a web capture (``environment.json``).

Courts that accept web captures ask whether the capture environment was clean (PRC
practice calls it 取证环境清洁性: no proxy in the path, no altered hosts file, a true
clock). This record states the facts a reader needs to judge that, as read on the
capturing machine at capture time; it judges nothing itself:

- the tool, Playwright and browser versions, the browser executable and the switches this
  tool started it with (a certificate pinned for the capture is listed there; Playwright
  adds its own defaults for headless automation, which are not listed);
- the user agent, viewport, locale and time zone the pages saw;
- the proxy in effect for the browser, and proxy variables in the environment (user names
  and passwords in them are removed, never recorded);
- the hosts file's entries other than the usual loopback and own-name ones;
- the DNS resolvers of ``/etc/resolv.conf``;
- the machine clock, and its comparison with an RFC 3161 timestamp authority's time when a
  TSA is named (``capture-web --tsa URL`` or the workspace's ``[timestamps]``):
  ``clock.tsa_comparison`` is "compared", "failed" (the capture goes on) or "not
  configured".

Every value is what the capturing machine reported; none is independently attested.
"""

from __future__ import annotations

import hashlib
import ipaddress
import os
import platform
import socket
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from evidence.bundle.custody import utc_now

from ..version import TOOL_NAME, __version__

#: Seconds the clock comparison waits for the TSA (it must not hold the capture up long).
TSA_TIMEOUT_S = 15.0

__all__ = ["ENVIRONMENT_TYPE", "ENVIRONMENT_VERSION", "environment_record",
           "hosts_non_default", "proxy_variables", "resolvers", "without_credentials"]

ENVIRONMENT_TYPE = "evidence-web-environment"
ENVIRONMENT_VERSION = 1
HOSTS_FILE = Path("/etc/hosts")
RESOLV_CONF = Path("/etc/resolv.conf")
#: Read at most this much of the hosts file and resolv.conf (both are small text files).
MAX_CONFIG_BYTES = 1024 * 1024
#: Names a stock hosts file gives the loopback and IPv6 multicast addresses.
_DEFAULT_NAMES = frozenset({"localhost", "localhost.localdomain", "localhost4",
                            "localhost4.localdomain4", "localhost6", "localhost6.localdomain6",
                            "ip6-localhost", "ip6-loopback", "ip6-localnet", "ip6-mcastprefix",
                            "ip6-allnodes", "ip6-allrouters", "ip6-allhosts"})
_PROXY_VARIABLES = ("http_proxy", "https_proxy", "all_proxy", "no_proxy", "ftp_proxy")


def _read_text(path: Path) -> str | None:
    try:
        with path.open("rb") as fh:
            return fh.read(MAX_CONFIG_BYTES).decode("utf-8", "replace")
    except OSError:
        return None


def hosts_non_default(text: str, own_names: Sequence[str]) -> list[str]:
    """The entries of a hosts file other than the stock ones (loopback and IPv6
    multicast names, and the machine's own names on any address), as written."""
    own = {n.lower() for n in own_names if n}
    out = []
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        address, *names = line.split()
        lowered = {n.lower() for n in names}
        try:
            ip = ipaddress.ip_address(address.split("%", 1)[0])
            special = ip.is_loopback or ip.is_multicast or address.lower() in ("fe00::0",
                                                                                "fe00::")
        except ValueError:
            special = False
        if lowered <= own or (special and lowered <= _DEFAULT_NAMES | own):
            continue
        out.append(" ".join(line.split()))
    return out


def resolvers(text: str) -> dict[str, list[str]]:
    """``nameserver``, ``search`` and ``options`` lines of a resolv.conf (resolv.conf(5))."""
    out: dict[str, list[str]] = {"nameservers": [], "search": [], "options": []}
    for raw in text.splitlines():
        parts = raw.split("#", 1)[0].split(";", 1)[0].split()
        if len(parts) >= 2 and parts[0] == "nameserver":
            out["nameservers"].append(parts[1])
        elif parts and parts[0] in ("search", "domain"):
            out["search"].extend(parts[1:])
        elif parts and parts[0] == "options":
            out["options"].extend(parts[1:])
    return out


def without_credentials(value: str) -> str:
    """A proxy URL without its user name and password (they are never recorded)."""
    try:
        parts = urlsplit(value if "://" in value else f"//{value}")
        if parts.username is None and parts.password is None:
            return value
        host = parts.hostname or ""
        if parts.port is not None:
            host = f"{host}:{parts.port}"
        return urlunsplit((parts.scheme, f"[credentials removed]@{host}", parts.path,
                           parts.query, parts.fragment)).removeprefix("//")
    except ValueError:
        return "[unparsable value removed]"


def proxy_variables(environ: Mapping[str, str]) -> dict[str, str]:
    """Proxy variables set in ``environ`` (either case), credentials removed."""
    return {name: without_credentials(value) for name, value in sorted(environ.items())
            if name.lower() in _PROXY_VARIABLES and value}


def _digest(text: str | None) -> str | None:
    return None if text is None else hashlib.sha256(text.encode("utf-8")).hexdigest()


def environment_record(*, browser_path: str, browser_version: str, playwright_version: str,
                       browser_args: Sequence[str], proxy: str | None,
                       page_facts: Mapping[str, Any], trusted_spki: Sequence[str],
                       allow_insecure: bool, started_at: str,
                       tsa: str | None = None) -> dict[str, Any]:
    """The record (see the module docstring). ``page_facts``: what the first page reported
    (user agent, language, time zone, viewport, device pixel ratio); ``tsa``: a time-stamp
    authority's URL whose time the machine clock is compared with (:func:`tsa_comparison`)."""
    hostname = socket.gethostname()
    try:
        fqdn = socket.getfqdn()
    except OSError:
        fqdn = hostname
    hosts_text = _read_text(HOSTS_FILE)
    resolv_text = _read_text(RESOLV_CONF)
    return {
        "type": ENVIRONMENT_TYPE,
        "version": ENVIRONMENT_VERSION,
        "tool": {"name": TOOL_NAME, "version": __version__, "playwright": playwright_version},
        "browser": {"name": "chromium", "version": browser_version,
                    "executable": browser_path, "switches": list(browser_args),
                    "other_switches": f"Playwright {playwright_version}'s defaults for "
                                      "headless automation (not listed here)",
                    "headless": True, "fresh_profile": True},
        "operating_system": platform.platform(),
        "python": platform.python_version(),
        "page": dict(page_facts),
        "proxy": {
            "browser": proxy or "none (direct connection, --no-proxy-server)",
            "environment_variables": proxy_variables(os.environ),
            "environment_variables_used_by_browser": False,
        },
        "hosts_file": {
            "path": str(HOSTS_FILE),
            "sha256": _digest(hosts_text),
            "non_default_entries": (None if hosts_text is None
                                    else hosts_non_default(hosts_text, (hostname, fqdn))),
        },
        "dns": {"resolv_conf": str(RESOLV_CONF), "sha256": _digest(resolv_text),
                **(resolvers(resolv_text) if resolv_text is not None else
                   {"nameservers": None, "search": None, "options": None})},
        "certificates": {
            "trusted_for_this_capture_spki_sha256": list(trusted_spki),
            "insecure_allowed": allow_insecure,
        },
        "clock": {
            "source": "local system clock (UTC), not independently attested",
            "started_at": started_at,
            "recorded_at": utc_now(),
            "tsa_comparison": tsa_comparison(tsa, started_at),
        },
    }


def tsa_comparison(tsa: str | None, started_at: str) -> dict[str, Any]:
    """The machine clock against a time-stamp authority's (RFC 3161): one request (its
    answer checked: status, imprint, nonce, signature, ESS certificate), the machine's time
    taken halfway through the round trip. Whether the verifier trusts that TSA is decided at
    verification (the trust profile), not here; a TSA that fails is recorded, and the
    capture goes on (the page may be gone by the time the TSA answers)."""
    if tsa is None:
        return {"status": "not configured",
                "reason": "no TSA named (capture-web --tsa URL, or [timestamps] tsa in the "
                          "workspace): the machine clock was not compared with an "
                          "independent time"}
    import time
    from datetime import UTC, datetime

    from evidence.errors import EvidenceError
    from evidence.timestamps.client import request_timestamp

    message = f"{TOOL_NAME} capture-web clock check {started_at}".encode()
    before = time.time()
    try:
        facts = request_timestamp(message, tsa, timeout=TSA_TIMEOUT_S)
    except EvidenceError as exc:
        return {"status": "failed", "tsa": tsa, "reason": str(exc)}
    after = time.time()
    machine = (before + after) / 2
    tsa_time = facts.gen_time.astimezone(UTC)
    return {
        "status": "compared",
        "tsa": tsa,
        "tsa_signer": facts.signer_subject,
        "tsa_time": tsa_time.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "machine_time": datetime.fromtimestamp(machine, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "machine_minus_tsa_seconds": round(machine - tsa_time.timestamp(), 3),
        "round_trip_seconds": round(after - before, 3),
        "reason": "the machine clock at the middle of one RFC 3161 request against the TSA's "
                  "genTime (whole seconds unless the TSA gives more): a difference beyond the "
                  "round trip and the TSA's accuracy means the machine clock was off",
    }
