"""A real RFC 3161 TSA for the tests: ``openssl ts -reply`` behind a small HTTP server.

Certificates are made at test time with ``cryptography``: a root CA and, under it, TSA
signing certificates with the critical extended key usage timeStamping (RFC 3161 §2.3),
one of them already expired; a rogue TSA has a root of its own (the capturer's own TSA, which
no verifier pins). Each URL path selects a behaviour (:data:`ROUTES`); the misbehaving ones
change the *request* (with asn1crypto, no hand-made DER) or the *answer's bytes*, so that
openssl still signs a real token.
"""

from __future__ import annotations

import datetime as dt
import subprocess
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

#: path -> (signer, behaviour)
ROUTES = {
    "/tsa": ("a", "ok"),
    "/tsa-b": ("b", "ok"),
    "/rogue": ("rogue", "ok"),
    "/expired": ("expired", "ok"),
    "/reject": ("a", "reject"),
    "/http500": ("a", "http500"),
    "/wrong-imprint": ("a", "wrong-imprint"),
    "/wrong-nonce": ("a", "wrong-nonce"),
    "/garbage": ("a", "garbage"),
    "/truncated": ("a", "truncated"),
}

_NOW = dt.datetime.now(dt.UTC)


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "evidence tests"),
                      x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def make_ca(cn: str) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (x509.CertificateBuilder().subject_name(_name(cn)).issuer_name(_name(cn))
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(_NOW - dt.timedelta(days=365))
            .not_valid_after(_NOW + dt.timedelta(days=3650))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False,
                                         False), critical=True)
            .sign(key, hashes.SHA256()))
    return key, cert


def make_tsa(cn: str, ca_key: ec.EllipticCurvePrivateKey, ca: x509.Certificate, *,
             not_before: dt.datetime, not_after: dt.datetime,
             ) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (x509.CertificateBuilder().subject_name(_name(cn)).issuer_name(ca.subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(not_before).not_valid_after(not_after)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(True, False, False, False, False, False, False, False,
                                         False), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]),
                           critical=True)
            .sign(ca_key, hashes.SHA256()))
    return key, cert


_CONFIG = """
[ tsa ]
default_tsa = {section}

[ {section} ]
dir = {dir}
serial = {dir}/serial
crypto_device = builtin
signer_cert = {dir}/signer.pem
signer_key = {dir}/signer.key
signer_digest = sha256
default_policy = 1.3.6.1.4.1.99999.1
other_policies = 1.3.6.1.4.1.99999.2
digests = {digests}
accuracy = secs:1
ordering = no
tsa_name = yes
ess_cert_id_chain = no
ess_cert_id_alg = sha256
"""


@dataclass
class Signer:
    folder: Path
    cert: x509.Certificate
    root: x509.Certificate

    @property
    def root_pem(self) -> str:
        return _pem(self.root).decode()

    @property
    def cert_pem(self) -> str:
        return _pem(self.cert).decode()


@dataclass
class LocalTsa:
    """The running server; ``url(path)`` gives a route's URL."""

    port: int
    signers: dict[str, Signer]
    server: ThreadingHTTPServer
    calls: list[str] = field(default_factory=list)

    def url(self, path: str = "/tsa") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _signer(folder: Path, key: ec.EllipticCurvePrivateKey, cert: x509.Certificate,
            root: x509.Certificate) -> Signer:
    folder.mkdir(parents=True)
    (folder / "signer.key").write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))
    (folder / "signer.pem").write_bytes(_pem(cert))
    (folder / "chain.pem").write_bytes(_pem(cert) + _pem(root))
    (folder / "root.pem").write_bytes(_pem(root))
    (folder / "serial").write_text("01\n")
    for section, digests in (("ok", "sha256, sha512"), ("reject", "sha384")):
        (folder / f"{section}.cnf").write_text(
            _CONFIG.format(section=f"tsa_{section}", dir=folder, digests=digests))
    return Signer(folder, cert, root)


def _change_request(query: bytes, behaviour: str) -> bytes:
    from asn1crypto import tsp

    req = tsp.TimeStampReq.load(query)
    if behaviour == "wrong-imprint":
        imprint = req["message_imprint"]["hashed_message"].native
        req["message_imprint"]["hashed_message"] = bytes(b ^ 0xFF for b in imprint)
    elif behaviour == "wrong-nonce":
        req["nonce"] = req["nonce"].native + 1
    return bytes(req.dump(force=True))


def _reply(signer: Signer, query: bytes, behaviour: str, lock: threading.Lock) -> bytes:
    section = "reject" if behaviour == "reject" else "ok"
    if behaviour in ("wrong-imprint", "wrong-nonce"):
        query = _change_request(query, behaviour)
    with lock:  # one serial file per signer
        out = subprocess.run(
            ["openssl", "ts", "-reply", "-config", str(signer.folder / f"{section}.cnf"),
             "-section", f"tsa_{section}", "-queryfile", "/dev/stdin", "-out", "/dev/stdout"],
            input=query, capture_output=True, check=True, timeout=30)
    body = out.stdout
    if behaviour == "garbage":
        body += b"\x00\x00"
    elif behaviour == "truncated":
        body = body[:-10]
    return body


def start_tsa(folder: Path) -> LocalTsa:
    ca_key, ca = make_ca("Test TSA Root")
    rogue_key, rogue_ca = make_ca("Rogue TSA Root")
    signers = {
        "a": _signer(folder / "a", *make_tsa("Test TSA A", ca_key, ca,
                                             not_before=_NOW - dt.timedelta(days=1),
                                             not_after=_NOW + dt.timedelta(days=365)), ca),
        "b": _signer(folder / "b", *make_tsa("Test TSA B", ca_key, ca,
                                             not_before=_NOW - dt.timedelta(days=1),
                                             not_after=_NOW + dt.timedelta(days=365)), ca),
        "expired": _signer(folder / "expired", *make_tsa(
            "Expired TSA", ca_key, ca, not_before=_NOW - dt.timedelta(days=30),
            not_after=_NOW - dt.timedelta(days=1)), ca),
        "rogue": _signer(folder / "rogue", *make_tsa(
            "Rogue TSA", rogue_key, rogue_ca, not_before=_NOW - dt.timedelta(days=1),
            not_after=_NOW + dt.timedelta(days=365)), rogue_ca),
    }
    return serve_tsa(signers, ROUTES)


def serve_tsa(signers: dict[str, Signer],
              routes: dict[str, tuple[str, str]]) -> LocalTsa:
    """An HTTP TSA on 127.0.0.1 answering each route (path -> signer name, behaviour) with
    :func:`_reply`; an unknown path gets 404, the ``http500`` behaviour 500."""
    lock = threading.Lock()
    calls: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            calls.append(self.path)
            length = int(self.headers.get("Content-Length", "0"))
            query = self.rfile.read(length)
            route = routes.get(self.path)
            if route is None or route[1] == "http500":
                self.send_response(404 if route is None else 500)
                self.end_headers()
                return
            body = _reply(signers[route[0]], query, route[1], lock)
            self.send_response(200)
            self.send_header("Content-Type", "application/timestamp-reply")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return LocalTsa(server.server_address[1], signers, server, calls)


def pin_toml(name: str, signer: Signer, *, qualified: bool = False, certificate: bool = False,
             valid_from: str = "2020-01-01T00:00:00Z", until: str | None = None) -> str:
    """A ``[[timestamp_authorities]]`` entry pinning ``signer``'s root (and certificate)."""
    lines = ["", "[[timestamp_authorities]]", f'name = "{name}"',
             f"root = '''\n{signer.root_pem}'''", f"from = {valid_from}",
             f"qualified = {'true' if qualified else 'false'}",
             'source = "tests: made at test time"']
    if certificate:
        lines.append(f"certificate = '''\n{signer.cert_pem}'''")
    if until:
        lines.append(f"until = {until}")
    return "\n".join(lines) + "\n"
