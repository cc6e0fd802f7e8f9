"""The workspace's ``[timestamps]`` table: which TSAs ``capture`` and ``anchor`` ask.

::

    [timestamps]
    tsa = ["https://tsa.example.org/tsr"]   # asked in order; each gives one token
    hash_algorithm = "sha256"               # or "sha512"
    on_capture = true                       # time-stamp every new bundle after capture
    on_anchor = false                       # and/or after anchoring
    timeout_seconds = 30.0
    pdf = true                              # the PDF report's PAdES signature: B-T with tsa[0]

These choose whom the *capturer* asks. Whether a token counts is the verifier's decision
(its trust profile), never this table's.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import FormatError, InputError
from .client import DEFAULT_TIMEOUT_SECONDS, IMPRINT_ALGORITHMS, check_url

__all__ = ["MAX_TSA_URLS", "TimestampSettings"]

#: Several TSAs are a good idea; more than 8 per bundle is a configuration mistake.
MAX_TSA_URLS = 8
#: Longest wait for one TSA the configuration may set.
MAX_TIMEOUT_SECONDS = 600.0


@dataclass(frozen=True)
class TimestampSettings:
    tsa: tuple[str, ...] = ()
    hash_algorithm: str = "sha256"
    on_capture: bool = True
    on_anchor: bool = False
    timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS
    pdf: bool = True

    def to_toml_table(self) -> dict[str, Any]:
        return {"tsa": list(self.tsa), "hash_algorithm": self.hash_algorithm,
                "on_capture": self.on_capture, "on_anchor": self.on_anchor,
                "timeout_seconds": self.timeout_seconds, "pdf": self.pdf}

    @classmethod
    def from_toml_table(cls, table: Mapping[str, Any], *, path: Path) -> TimestampSettings:
        where = str(path)
        known = set(cls.__dataclass_fields__)
        for key in table:
            if key not in known:
                raise FormatError(f"unknown key {key!r} in [timestamps] (known: "
                                  f"{', '.join(sorted(known))})", path=where)
        tsa = table.get("tsa", [])
        if not isinstance(tsa, list) or not all(isinstance(u, str) for u in tsa):
            raise FormatError("[timestamps] tsa must be a list of URLs", path=where)
        if len(tsa) > MAX_TSA_URLS:
            raise FormatError(f"[timestamps] tsa: at most {MAX_TSA_URLS} URLs", path=where)
        for url in tsa:
            try:
                check_url(url)
            except InputError as exc:
                raise FormatError(f"[timestamps] {exc}", path=where) from exc
        alg = table.get("hash_algorithm", "sha256")
        if alg not in IMPRINT_ALGORITHMS:
            raise FormatError(f"[timestamps] hash_algorithm must be one of "
                              f"{', '.join(IMPRINT_ALGORITHMS)}", path=where)
        flags = {}
        for key in ("on_capture", "on_anchor", "pdf"):
            value = table.get(key, getattr(cls, key))
            if not isinstance(value, bool):
                raise FormatError(f"[timestamps] {key} must be true or false", path=where)
            flags[key] = value
        timeout = table.get("timeout_seconds", DEFAULT_TIMEOUT_SECONDS)
        if (isinstance(timeout, bool) or not isinstance(timeout, int | float)
                or not 0 < timeout <= MAX_TIMEOUT_SECONDS):
            raise FormatError(f"[timestamps] timeout_seconds must be a number of seconds "
                              f"above 0 and at most {MAX_TIMEOUT_SECONDS:g}", path=where)
        return cls(tsa=tuple(tsa), hash_algorithm=str(alg), timeout_seconds=float(timeout),
                   **flags)
