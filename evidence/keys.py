"""The capturer's Ed25519 signing key, encrypted at rest.

File format (JSON, version 1)::

    {"version": 1, "type": "ed25519-signing-key",
     "public_key": "<hex>",
     "kdf": {"name": "scrypt", "salt": "<hex>", "n": 32768, "r": 8, "p": 1},
     "cipher": {"name": "aes-256-gcm", "nonce": "<hex>"},
     "ciphertext": "<hex>"}

The 32-byte private seed is sealed with AES-256-GCM under a key derived from the
passphrase with scrypt (RFC 7914); the public key is the associated data, so a file whose
public key was swapped does not decrypt. The file is written atomically with mode 0600
and is never overwritten. Key material never appears in messages or reprs.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from .errors import InputError, KeyFileError, WrongPassphraseError
from .fsutil import atomic_write_bytes

__all__ = [
    "SigningKey",
    "create_signing_key",
    "fingerprint",
    "load_signing_key",
    "public_key_from_file",
    "verify_signature",
]

KEY_FILE_VERSION = 1
#: scrypt cost: 2**15 with r=8 takes ~0.1 s and 32 MiB here; the parameters are stored in
#: the file, so they can be raised later without breaking old keys.
SCRYPT_N = 2**15
SCRYPT_R = 8
SCRYPT_P = 1
#: Refuse key files whose stored cost would make opening them a denial of service.
MAX_SCRYPT_N = 2**20
#: A key file is a few hundred bytes; anything larger is not one.
MAX_KEY_FILE_BYTES = 16 * 1024


def fingerprint(public_key: bytes) -> str:
    """A short, stable name for a public key: ``sha256:`` + first 16 bytes in hex."""
    return "sha256:" + hashlib.sha256(public_key).hexdigest()[:32]


@dataclass(frozen=True)
class SigningKey:
    """An unlocked signing key. The private part is kept out of ``repr``."""

    public_key: bytes
    _private: Ed25519PrivateKey = field(repr=False, compare=False)

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.public_key)

    def sign(self, message: bytes) -> bytes:
        return self._private.sign(message)


#: Keys derived in this process (a command that signs twice derives once), by an HMAC of
#: the passphrase and the scrypt parameters under a random per-process key; kept in this
#: process's memory only. AES-GCM still authenticates every file each time it is opened.
_DERIVED: dict[bytes, bytes] = {}
_PROCESS_SECRET = os.urandom(32)


def _derive(passphrase: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    mac = hmac.new(_PROCESS_SECRET, digestmod=hashlib.sha256)
    for part in (passphrase.encode("utf-8"), salt, b"%d %d %d" % (n, r, p)):
        mac.update(len(part).to_bytes(8, "big") + part)
    cache_key = mac.digest()
    derived = _DERIVED.get(cache_key)
    if derived is None:
        derived = Scrypt(salt=salt, length=32, n=n, r=r, p=p).derive(passphrase.encode("utf-8"))
        _DERIVED[cache_key] = derived
    return derived


def create_signing_key(path: Path, passphrase: str) -> SigningKey:
    """Create a new Ed25519 key at ``path`` (mode 0600). Never overwrites a file.

    Raises InputError if ``path`` exists or the passphrase is empty.
    """
    if not passphrase:
        raise InputError("the passphrase must not be empty")
    if path.exists():
        raise InputError(f"{path}: a key file exists already; it is never overwritten")
    private = Ed25519PrivateKey.generate()
    public = private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    seed = private.private_bytes_raw()
    salt, nonce = os.urandom(16), os.urandom(12)
    sealed = AESGCM(_derive(passphrase, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P)).encrypt(
        nonce, seed, public
    )
    doc = {
        "version": KEY_FILE_VERSION,
        "type": "ed25519-signing-key",
        "public_key": public.hex(),
        "kdf": {"name": "scrypt", "salt": salt.hex(), "n": SCRYPT_N, "r": SCRYPT_R, "p": SCRYPT_P},
        "cipher": {"name": "aes-256-gcm", "nonce": nonce.hex()},
        "ciphertext": sealed.hex(),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        atomic_write_bytes(
            path, (json.dumps(doc, indent=2) + "\n").encode(), mode=0o600, overwrite=False
        )
    except FileExistsError as exc:
        raise InputError(f"{path}: a key file exists already; it is never overwritten") from exc
    return SigningKey(public, private)


def _read_key_doc(path: Path) -> dict[str, object]:
    try:
        st = path.stat()
        if st.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise KeyFileError(f"{path}: key file is readable by others; run: chmod 600 {path}")
        if st.st_size > MAX_KEY_FILE_BYTES:
            raise KeyFileError(f"{path}: not a key file (too large)")
        doc = json.loads(path.read_bytes())
    except FileNotFoundError as exc:
        raise KeyFileError(f"{path}: key file not found") from exc
    except (OSError, ValueError) as exc:
        raise KeyFileError(f"{path}: unreadable key file ({type(exc).__name__})") from exc
    if not isinstance(doc, dict) or doc.get("type") != "ed25519-signing-key":
        raise KeyFileError(f"{path}: not an evidence signing key file")
    if doc.get("version") != KEY_FILE_VERSION:
        raise KeyFileError(f"{path}: unsupported key file version {doc.get('version')!r}")
    return doc


def public_key_from_file(path: Path) -> bytes:
    """The public key stored in a key file (no passphrase needed)."""
    doc = _read_key_doc(path)
    try:
        return bytes.fromhex(str(doc["public_key"]))
    except (KeyError, ValueError) as exc:
        raise KeyFileError(f"{path}: damaged key file (public key)") from exc


def load_signing_key(path: Path, passphrase: str) -> SigningKey:
    """Unlock the key at ``path``. A wrong passphrase raises KeyFileError."""
    doc = _read_key_doc(path)
    try:
        public = bytes.fromhex(str(doc["public_key"]))
        kdf = doc["kdf"]
        cipher = doc["cipher"]
        assert isinstance(kdf, dict) and isinstance(cipher, dict)
        if kdf.get("name") != "scrypt" or cipher.get("name") != "aes-256-gcm":
            raise KeyFileError(f"{path}: unsupported key encryption")
        n, r, p = int(kdf["n"]), int(kdf["r"]), int(kdf["p"])
        if not (2 <= n <= MAX_SCRYPT_N and 1 <= r <= 32 and 1 <= p <= 16):
            raise KeyFileError(f"{path}: key file asks for unreasonable scrypt parameters")
        salt = bytes.fromhex(str(kdf["salt"]))
        nonce = bytes.fromhex(str(cipher["nonce"]))
        sealed = bytes.fromhex(str(doc["ciphertext"]))
    except KeyFileError:
        raise
    except (KeyError, ValueError, TypeError, AssertionError) as exc:
        raise KeyFileError(f"{path}: damaged key file") from exc
    try:
        seed = AESGCM(_derive(passphrase, salt, n, r, p)).decrypt(nonce, sealed, public)
    except InvalidTag as exc:
        raise WrongPassphraseError(f"{path}: wrong passphrase (or damaged key file)") from exc
    private = Ed25519PrivateKey.from_private_bytes(seed)
    if private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw) != public:
        raise KeyFileError(f"{path}: damaged key file (public key does not match)")
    return SigningKey(public, private)


def verify_signature(public_key: bytes, signature: bytes, message: bytes) -> bool:
    """Ed25519 (RFC 8032) signature check; False for any malformed input."""
    try:
        Ed25519PublicKey.from_public_bytes(public_key).verify(signature, message)
    except (InvalidSignature, ValueError):
        return False
    return True
