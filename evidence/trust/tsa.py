"""``[[timestamp_authorities]]`` in a trust profile: the RFC 3161 TSAs a verifier trusts.

As with witnesses, the verifier names its TSAs, never the capturer: a capturer can run its
own TSA, so a token counts only when its signature and certificate chain verify against a
certificate this table pins (docs/trust.md, "Timestamp authorities"). Each entry::

    [[timestamp_authorities]]
    name = "Example Qualified TSA"                  # display name, shown in reports
    root = '''-----BEGIN CERTIFICATE----- ...'''    # PEM: the CA the TSA chains to
    intermediates = '''PEM ...'''                   # optional: CA certificates in between
    certificate = '''PEM ...'''                     # optional: the TSA's own signing cert
    from = 2026-01-01T00:00:00Z                     # tokens count from this genTime on
    until = 2030-01-01T00:00:00Z                    # optional: and before this one
    qualified = true                                # a qualified TSA (eIDAS Art. 42)
    source = "https://eidas.ec.europa.eu/efda/tl-browser/..."   # where this was checked

``certificate`` pins one signing certificate (and is needed for tokens that embed none);
without it, any TSA certificate chaining to ``root`` counts. The period bounds the token's
genTime, like a witness's period bounds its confirmations; the certificates' own validity is
checked at genTime as well. The EU Trusted Lists are where a publisher checks ``qualified``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from cryptography import x509
from cryptography.hazmat.primitives import hashes

if TYPE_CHECKING:
    from evidence.errors import FormatError

__all__ = ["MAX_TSAS", "ProfileReader", "TsaPin", "parse_timestamp_authorities"]


class ProfileReader(Protocol):
    """What this module needs of the trust profile's TOML reader (evidence.trust.profile):
    typed access to a parsed document, every refusal naming the file and key path."""

    def fail(self, message: str, where: str | None = None) -> FormatError: ...
    def table(self, value: object, where: str, required: Sequence[str],
              optional: Sequence[str] = ()) -> dict[str, object]: ...
    def tables(self, value: object, where: str, *, limit: int) -> list[object]: ...
    def boolean(self, value: object, where: str) -> bool: ...
    def string(self, value: object, where: str) -> str: ...
    def display(self, value: object, where: str) -> str: ...
    def text(self, value: object, where: str, *, newlines: bool) -> str: ...
    def time(self, value: object, where: str) -> datetime: ...
    def window(self, t: dict[str, object], where: str) -> tuple[datetime, datetime | None]: ...

#: A verifier trusts a handful of TSAs; 256 is far beyond any real list.
MAX_TSAS = 256
#: Certificates in one ``intermediates`` entry (chains are two or three deep).
MAX_INTERMEDIATES = 8

_REQUIRED = ("name", "root", "from", "qualified", "source")
_OPTIONAL = ("certificate", "intermediates", "until")


def _stamp(value: datetime | None) -> str | None:
    return None if value is None else value.strftime("%Y-%m-%dT%H:%M:%SZ")


def _sha256(cert: x509.Certificate) -> str:
    return cert.fingerprint(hashes.SHA256()).hex()


@dataclass(frozen=True)
class TsaPin:
    """One trusted TSA: the certificates its tokens must verify against, the genTime
    period its tokens count in, and whether the publisher checked it is qualified."""

    name: str
    root: x509.Certificate
    intermediates: tuple[x509.Certificate, ...]
    certificate: x509.Certificate | None
    valid_from: datetime
    valid_until: datetime | None
    qualified: bool
    source: str

    def covers(self, moment: datetime) -> bool:
        return self.valid_from <= moment and (self.valid_until is None
                                              or moment < self.valid_until)

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name, "qualified": self.qualified, "source": self.source,
            "root_sha256": _sha256(self.root), "root_subject": self.root.subject.rfc4514_string(),
            "certificate_sha256": None if self.certificate is None else _sha256(self.certificate),
            "intermediates_sha256": [_sha256(c) for c in self.intermediates],
            "from": _stamp(self.valid_from), "until": _stamp(self.valid_until),
        }


def _pem(r: ProfileReader, value: object, where: str, *, many: bool) -> list[x509.Certificate]:
    text = r.string(value, where)
    try:
        certs = x509.load_pem_x509_certificates(text.encode("ascii"))
    except (ValueError, UnicodeEncodeError) as exc:
        raise r.fail(f"must be PEM certificate text (-----BEGIN CERTIFICATE-----): {exc}",
                     where) from exc
    if not many and len(certs) != 1:
        raise r.fail(f"must hold exactly one certificate, found {len(certs)}", where)
    if len(certs) > MAX_INTERMEDIATES:
        raise r.fail(f"at most {MAX_INTERMEDIATES} certificates", where)
    return certs


def _entry(r: ProfileReader, value: object, where: str) -> TsaPin:
    t = r.table(value, where, _REQUIRED, _OPTIONAL)
    name = r.display(t["name"], f"{where}.name")
    root = _pem(r, t["root"], f"{where}.root", many=False)[0]
    intermediates: tuple[x509.Certificate, ...] = ()
    if "intermediates" in t:
        intermediates = tuple(_pem(r, t["intermediates"], f"{where}.intermediates", many=True))
    certificate = None
    if "certificate" in t:
        certificate = _pem(r, t["certificate"], f"{where}.certificate", many=False)[0]
    valid_from, valid_until = r.window(t, where)
    qualified = r.boolean(t["qualified"], f"{where}.qualified")
    source = r.text(t["source"], f"{where}.source", newlines=False)
    return TsaPin(name=name, root=root, intermediates=intermediates, certificate=certificate,
                  valid_from=valid_from, valid_until=valid_until, qualified=qualified,
                  source=source)


def parse_timestamp_authorities(r: ProfileReader, value: object) -> tuple[TsaPin, ...]:
    """The ``[[timestamp_authorities]]`` entries; names unique (reports name TSAs by it)."""
    pins: list[TsaPin] = []
    for i, entry in enumerate(r.tables(value, "timestamp_authorities", limit=MAX_TSAS)):
        pin = _entry(r, entry, f"timestamp_authorities[{i}]")
        other = next((j for j, p in enumerate(pins) if p.name == pin.name), None)
        if other is not None:
            raise r.fail(f"TSA name {pin.name!r} is listed twice (also "
                         f"timestamp_authorities[{other}])", f"timestamp_authorities[{i}].name")
        pins.append(pin)
    return tuple(pins)
