"""Ethereum accounts kept encrypted at rest (Web3 Secret Storage, "v3 keystore").

The workspace key and each witness key live in a version 3 keystore file: the private key
encrypted with AES-128-CTR under a key derived from a passphrase by scrypt, with a MAC
over the ciphertext (Ethereum Web3 Secret Storage Definition; scrypt is RFC 7914). New
keys come from the operating system's CSPRNG, their address from libsecp256k1 (through
coincurve). The files have the fields and layout :func:`eth_account.Account.encrypt`
writes (a test checks that eth-account reads them back), so geth, Foundry (``cast
wallet``) and any other Ethereum tool can read them. The scrypt of both directions is
:func:`hashlib.scrypt` (OpenSSL), not pycryptodome's (which eth-account uses): OpenSSL's
runs without Python's global lock, so that other threads (an import of web3 or py-evm) run
meanwhile.

Unlocking. A keystore is unlocked at most once per process: the unlocked key is kept in
this process's memory only (never written, logged or passed on), under the keystore's
exact bytes and the passphrase (an HMAC under a random per-process key, so that a changed
file or another passphrase unlocks afresh). :func:`prefetch_accounts` starts the unlock of
scrypt keystores in background threads: the scrypt work (:func:`hashlib.scrypt`, OpenSSL,
which runs without Python's global lock) then overlaps the import of web3 or py-evm, on a
second core. The KDF cost of every keystore stays what its file says. :func:`forget_unlocked`
drops the kept keys.

How it fails: every failure is a :class:`~evidence.errors.KeyFileError` (or
:class:`~evidence.errors.InputError` when asked to overwrite a file). No message, log line
or ``repr`` ever contains a private key or a passphrase.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import stat
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from evidence.errors import InputError, KeyFileError, WrongPassphraseError
from evidence.fsutil import atomic_write_bytes

if TYPE_CHECKING:
    from eth_account.signers.local import LocalAccount

__all__ = [
    "KEYSTORE_FILE_MODE",
    "KEYSTORE_SCRYPT_N",
    "MAX_KEYSTORE_BYTES",
    "MAX_PBKDF2_ITERATIONS",
    "MAX_SCRYPT_N",
    "MAX_SCRYPT_P",
    "MAX_SCRYPT_R",
    "create_keystore",
    "forget_unlocked",
    "keystore_address",
    "load_account",
    "prefetch_accounts",
]

#: Owner read/write only: a keystore is only as strong as its passphrase, so nobody else
#: may even read the ciphertext (the same rule ssh applies to private keys).
KEYSTORE_FILE_MODE = 0o600

#: scrypt work factor N for new keystores: 2**18 is geth's "standard" setting (about 256 MiB
#: of memory and a fraction of a second per unlock), the usual choice for a key at rest.
KEYSTORE_SCRYPT_N = 2**18

#: Largest scrypt N accepted when loading: memory grows as 128 * r * N bytes, so a crafted
#: file with a huge N could exhaust memory. 2**20 (1 GiB with r = 8) is above every
#: standard setting.
MAX_SCRYPT_N = 2**20

#: Largest scrypt r and p accepted when loading: scrypt's work grows as N * r * p (and its
#: memory as 128 * r * N bytes), so a crafted file with a huge r or p would hang the process
#: as surely as a huge N. Standard keystores use r = 8 and p = 1.
MAX_SCRYPT_R = 32
MAX_SCRYPT_P = 16

#: Largest PBKDF2 iteration count accepted when loading (v3 keystores may use PBKDF2-SHA256
#: instead of scrypt; geth writes 262,144 iterations): more is a denial of service.
MAX_PBKDF2_ITERATIONS = 2**22

#: Largest keystore file read: a v3 keystore is about 500 bytes; anything much larger is
#: not a keystore.
MAX_KEYSTORE_BYTES = 64 * 1024


def create_keystore(path: Path, passphrase: str, *, scrypt_n: int = KEYSTORE_SCRYPT_N) -> str:
    """Create a new secp256k1 account and write it, encrypted, to ``path``.

    The file is a v3 keystore (scrypt KDF), written atomically with mode 0600; an existing
    file is never overwritten. ``scrypt_n`` is the scrypt work factor (a power of two; tests
    use a small one to run fast). Returns the account's checksum address.

    Raises :class:`InputError` if ``path`` exists or its folder does not, and
    :class:`KeyFileError` if the passphrase is empty or the file cannot be written.
    """
    path = Path(path)
    if not passphrase:
        raise KeyFileError(f"an empty passphrase cannot protect {path}; choose a passphrase")
    if scrypt_n < 2 or scrypt_n & (scrypt_n - 1) or scrypt_n > MAX_SCRYPT_N:
        raise InputError(f"scrypt_n must be a power of two between 2 and {MAX_SCRYPT_N}")
    if path.exists() or path.is_symlink():
        raise InputError(
            f"{path} exists already; choose another file name (keys are never overwritten)"
        )
    if not path.parent.is_dir():
        raise InputError(f"folder {path.parent} does not exist; create it first")

    key, address = _new_key()
    if hasattr(hashlib, "scrypt"):  # Python built with OpenSSL 1.1 or later: always, nearly
        keystore = _scrypt_encrypt(key, address, passphrase, scrypt_n)
    else:  # pragma: no cover - no OpenSSL scrypt in this Python
        from eth_account import Account

        keystore = Account.encrypt(key, passphrase, kdf="scrypt", iterations=scrypt_n)
    data = json.dumps(keystore, indent=2, sort_keys=True).encode("utf-8") + b"\n"
    try:
        atomic_write_bytes(path, data, mode=KEYSTORE_FILE_MODE, overwrite=False)
    except FileExistsError as exc:
        raise InputError(
            f"{path} exists already; choose another file name (keys are never overwritten)"
        ) from exc
    except OSError as exc:
        raise KeyFileError(f"cannot write key file {path}: {exc.strerror or exc}") from exc
    # This process knows the key it just encrypted: its first use needs no unlock.
    _remember(_cache_key(path, data, passphrase), key)
    return address


def load_account(path: Path, passphrase: str) -> LocalAccount:
    """Decrypt the keystore at ``path`` and return the account, ready to sign.

    Refuses a file readable or writable by group or others (asks for ``chmod 600``), a
    file that is not a v3 keystore, a keystore whose key derivation would cost more than
    any honest one (scrypt N, r, p above :data:`MAX_SCRYPT_N`, :data:`MAX_SCRYPT_R`,
    :data:`MAX_SCRYPT_P`; PBKDF2 above :data:`MAX_PBKDF2_ITERATIONS`; another KDF), and a
    wrong passphrase; each as :class:`KeyFileError`.
    """
    from eth_account import Account

    path = Path(path)
    raw, keystore = _read_keystore_bytes(path)
    _check_kdf_limits(path, keystore)
    cache_key = _cache_key(path, raw, passphrase)
    key = _take_unlocked(cache_key)
    if key is None:
        key = _unlock(path, keystore, passphrase)
    account = cast("LocalAccount", Account.from_key(key))
    stated = _stated_address(path, keystore)
    if stated is not None and stated.lower() != account.address.lower():
        raise KeyFileError(f"{path} is damaged: its address does not match its key")
    _remember(cache_key, key)
    return account


def prefetch_accounts(paths: Iterable[Path], passphrase: str) -> None:
    """Start unlocking the scrypt keystores at ``paths`` in background threads.

    Returns at once; :func:`load_account` with the same passphrase then waits for the
    thread instead of deriving the key again. Meant to run just before a slow import (web3,
    py-evm), which the scrypt work overlaps. A file that cannot be read, a PBKDF2 keystore
    or a wrong passphrase is left to :func:`load_account`, which reports it
    (a wrong passphrase once that thread is done).
    """
    for path in paths:
        try:
            raw, keystore = _read_keystore_bytes(Path(path))
            _check_kdf_limits(Path(path), keystore)
        except KeyFileError:
            continue
        crypto = keystore.get("crypto", keystore.get("Crypto"))
        if not isinstance(crypto, dict) or crypto.get("kdf") != "scrypt":
            continue
        cache_key = _cache_key(Path(path), raw, passphrase)
        with _CACHE_LOCK:
            if cache_key in _UNLOCKED or cache_key in _PENDING:
                continue
            job = _Unlocking(Path(path), keystore, passphrase)
            _PENDING[cache_key] = job
        job.start()


def forget_unlocked() -> None:
    """Drop every key this process keeps unlocked (the next use unlocks again)."""
    with _CACHE_LOCK:
        pending = list(_PENDING.values())
        _PENDING.clear()
        _UNLOCKED.clear()
    for job in pending:
        job.join()


#: Keys unlocked in this process, by :func:`_cache_key`; never written anywhere.
_UNLOCKED: dict[bytes, bytes] = {}
#: Unlocks started by :func:`prefetch_accounts` and not yet taken.
_PENDING: dict[bytes, _Unlocking] = {}
_CACHE_LOCK = threading.Lock()
#: Random per process: the cache's keys (an HMAC of the keystore and the passphrase)
#: mean nothing outside it.
_PROCESS_SECRET = os.urandom(32)


def _cache_key(path: Path, raw: bytes, passphrase: str) -> bytes:
    mac = hmac.new(_PROCESS_SECRET, digestmod=hashlib.sha256)
    for part in (str(path.resolve()).encode("utf-8"), raw, passphrase.encode("utf-8")):
        mac.update(len(part).to_bytes(8, "big") + part)
    return mac.digest()


def _remember(cache_key: bytes, key: bytes) -> None:
    with _CACHE_LOCK:
        _UNLOCKED[cache_key] = key


def _take_unlocked(cache_key: bytes) -> bytes | None:
    """The key kept or being unlocked under ``cache_key`` (waiting for its thread); a
    failed background unlock raises its error here (and is forgotten)."""
    with _CACHE_LOCK:
        key = _UNLOCKED.get(cache_key)
        job = _PENDING.pop(cache_key, None) if key is None else None
    if job is None:
        return key
    return job.result()


class _Unlocking(threading.Thread):
    """One background unlock (:func:`prefetch_accounts`)."""

    def __init__(self, path: Path, keystore: dict[str, Any], passphrase: str) -> None:
        super().__init__(name="keystore-unlock", daemon=True)
        self._args = (path, keystore, passphrase)
        self._key: bytes | None = None
        self._error: Exception | None = None

    def run(self) -> None:
        try:
            self._key = _unlock(*self._args)
        except Exception as exc:  # handed to the thread that takes the result
            self._error = exc
        finally:
            self._args = (Path(), {}, "")

    def result(self) -> bytes:
        self.join()
        if self._error is not None:
            raise self._error
        assert self._key is not None
        return self._key


def _unlock(path: Path, keystore: dict[str, Any], passphrase: str) -> bytes:
    """The private key of a checked keystore (:func:`_check_kdf_limits`).

    scrypt keystores with AES-128-CTR (what every current tool writes) are decrypted here,
    with the scrypt of :mod:`hashlib` (OpenSSL), which lets other threads run meanwhile;
    others (PBKDF2) by eth-account. Web3 Secret Storage Definition: the derived key's
    first 16 bytes are the AES key, ``keccak256(dk[16:32] + ciphertext)`` is the MAC.
    """
    crypto = keystore.get("crypto", keystore.get("Crypto"))
    assert isinstance(crypto, dict)  # checked by _read_keystore
    key = _scrypt_unlock(path, crypto, passphrase)
    if key is None:
        key = _eth_account_unlock(path, keystore, passphrase)
    # The MAC covers the ciphertext, not what it decrypts to: a key of another length, zero
    # or not below the group order (SEC 1, section 3.2.1) is damage, not a key.
    if len(key) != _PRIVATE_KEY_BYTES or not 0 < int.from_bytes(key, "big") < _SECP256K1_N:
        raise KeyFileError(f"{path} is damaged: it does not decrypt to a secp256k1 private key")
    return key


#: Length of a secp256k1 private key, in bytes.
_PRIVATE_KEY_BYTES = 32


#: Bytes OpenSSL's scrypt may use on top of its 128 * r * (N + p + 2) bytes of tables.
_SCRYPT_MEMORY_MARGIN = 1 << 20
#: Largest ``maxmem`` :func:`hashlib.scrypt` accepts (a C int); larger work goes through
#: eth-account.
_HASHLIB_MAXMEM_LIMIT = 2**31 - 1


def _scrypt_unlock(path: Path, crypto: dict[str, Any], passphrase: str) -> bytes | None:
    """Decrypt an scrypt + AES-128-CTR keystore; None when it is another kind (or its
    parameters are beyond what :func:`hashlib.scrypt` takes)."""
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    from evidence.chain.primitives import keccak256

    params = crypto.get("kdfparams")
    cipher_params = crypto.get("cipherparams")
    if (crypto.get("kdf") != "scrypt" or crypto.get("cipher") != "aes-128-ctr"
            or not isinstance(params, dict) or not isinstance(cipher_params, dict)):
        return None
    try:
        n, r, p, dklen = (int(params[k]) for k in ("n", "r", "p", "dklen"))
        salt = bytes.fromhex(str(params["salt"]))
        iv = bytes.fromhex(str(cipher_params["iv"]))
        ciphertext = bytes.fromhex(str(crypto["ciphertext"]))
        mac = bytes.fromhex(str(crypto["mac"]))
    except (KeyError, TypeError, ValueError):
        raise KeyFileError(f"{path} is damaged: not a readable v3 keystore") from None
    if not _MIN_DKLEN <= dklen <= _MAX_DKLEN or len(iv) != _IV_BYTES:
        raise KeyFileError(f"{path} is damaged: not a readable v3 keystore")
    maxmem = 128 * r * (n + p + 2) + _SCRYPT_MEMORY_MARGIN
    if maxmem > _HASHLIB_MAXMEM_LIMIT or not hasattr(hashlib, "scrypt"):
        return None
    try:
        derived = hashlib.scrypt(passphrase.encode("utf-8"), salt=salt, n=n, r=r, p=p,
                                 maxmem=maxmem, dklen=dklen)
    except ValueError:  # N not a power of two, and the like
        raise KeyFileError(f"{path} is damaged: its scrypt parameters are not valid") from None
    if not hmac.compare_digest(keccak256(derived[16:32] + ciphertext), mac):
        raise WrongPassphraseError(f"wrong passphrase for {path}")
    decryptor = Cipher(algorithms.AES(derived[:16]), modes.CTR(iv)).decryptor()
    return decryptor.update(ciphertext) + decryptor.finalize()


#: Scrypt block size and parallelism of new keystores (eth-account's and geth's values).
KEYSTORE_SCRYPT_R = 8
KEYSTORE_SCRYPT_P = 1
#: Derived key lengths accepted when loading (the AES key and the MAC key: 32 bytes; more
#: is unused), in bytes.
_MIN_DKLEN, _MAX_DKLEN = 32, 64
#: Derived key length, salt and AES-CTR counter sizes of new keystores, in bytes.
_DKLEN, _SALT_BYTES, _IV_BYTES = 32, 16, 16


#: The order of secp256k1's group (SEC 2, section 2.4.1): a private key is an integer in
#: [1, n - 1].
_SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141


def _new_key() -> tuple[bytes, str]:
    """A new private key from the operating system's CSPRNG and its checksum address
    (keccak-256 of the uncompressed public key, last 20 bytes; EIP-55 case), with
    coincurve (libsecp256k1) rather than eth-account, which would import web3's stack
    (about a second) before the scrypt could start."""
    import secrets

    from coincurve import PrivateKey

    from evidence.chain.primitives import keccak256, to_checksum_address

    while True:
        key = secrets.token_bytes(32)
        if 0 < int.from_bytes(key, "big") < _SECP256K1_N:
            break
    public = PrivateKey(key).public_key.format(compressed=False)[1:]
    return key, to_checksum_address(keccak256(public)[-20:])


def _scrypt_encrypt(key: bytes, address: str, passphrase: str, scrypt_n: int
                    ) -> dict[str, Any]:
    """A v3 keystore of ``key`` (Web3 Secret Storage Definition: scrypt, AES-128-CTR, MAC
    ``keccak256(dk[16:32] + ciphertext)``), with eth-account's fields and layout."""
    import uuid

    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    from evidence.chain.primitives import keccak256

    salt, iv = os.urandom(_SALT_BYTES), os.urandom(_IV_BYTES)
    r, p = KEYSTORE_SCRYPT_R, KEYSTORE_SCRYPT_P
    derived = hashlib.scrypt(passphrase.encode("utf-8"), salt=salt, n=scrypt_n, r=r, p=p,
                             maxmem=128 * r * (scrypt_n + p + 2) + _SCRYPT_MEMORY_MARGIN,
                             dklen=_DKLEN)
    encryptor = Cipher(algorithms.AES(derived[:16]), modes.CTR(iv)).encryptor()
    ciphertext = encryptor.update(key) + encryptor.finalize()
    return {
        "address": address.removeprefix("0x"),
        "crypto": {
            "cipher": "aes-128-ctr", "cipherparams": {"iv": iv.hex()},
            "ciphertext": ciphertext.hex(), "kdf": "scrypt",
            "kdfparams": {"dklen": _DKLEN, "n": scrypt_n, "r": r, "p": p, "salt": salt.hex()},
            "mac": keccak256(derived[16:32] + ciphertext).hex(),
        },
        "id": str(uuid.uuid4()),
        "version": 3,
    }


def _eth_account_unlock(path: Path, keystore: dict[str, Any], passphrase: str) -> bytes:
    from eth_account import Account

    try:
        return bytes(Account.decrypt(keystore, passphrase))
    except ValueError as exc:
        # eth-keyfile raises ValueError("MAC mismatch") when the derived key does not
        # authenticate the ciphertext: a wrong passphrase (or an altered ciphertext).
        if "mac mismatch" in str(exc).lower() or "checksum mismatch" in str(exc).lower():
            raise WrongPassphraseError(f"wrong passphrase for {path}") from None
        raise KeyFileError(f"{path} is damaged: not a readable v3 keystore") from None
    except Exception as exc:  # eth-keyfile raises bare KeyError/TypeError on bad fields
        raise KeyFileError(
            f"{path} is damaged: not a readable v3 keystore ({type(exc).__name__})"
        ) from None


def keystore_address(path: Path) -> str:
    """Return the checksum address recorded in the keystore at ``path``.

    Needs no passphrase (the address is stored in clear in a v3 keystore). Raises
    :class:`KeyFileError` if the file is unreadable, too open, or carries no valid address.
    """
    path = Path(path)
    keystore = _read_keystore(path)
    address = _stated_address(path, keystore)
    if address is None:
        raise KeyFileError(f"{path} records no address; it is not a usable keystore")
    return address


def _read_keystore(path: Path) -> dict[str, Any]:
    """Read and parse a keystore file after checking its permissions."""
    return _read_keystore_bytes(path)[1]


def _read_keystore_bytes(path: Path) -> tuple[bytes, dict[str, Any]]:
    """A keystore file's bytes and its parsed content, after checking its permissions."""
    try:
        st = path.stat()
    except FileNotFoundError:
        raise KeyFileError(f"key file {path} does not exist") from None
    except OSError as exc:
        raise KeyFileError(f"cannot read key file {path}: {exc.strerror or exc}") from exc
    if not stat.S_ISREG(st.st_mode):
        raise KeyFileError(f"key file {path} is not a regular file")
    if st.st_mode & 0o077:
        raise KeyFileError(
            f"key file {path} is accessible by group or others "
            f"(mode {stat.S_IMODE(st.st_mode):03o}); run: chmod 600 {path}"
        )
    if st.st_size > MAX_KEYSTORE_BYTES:
        raise KeyFileError(f"{path} is damaged: {st.st_size} bytes is too large for a keystore")
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise KeyFileError(f"cannot read key file {path}: {exc.strerror or exc}") from exc
    try:
        keystore = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise KeyFileError(f"{path} is damaged: not JSON") from None
    if not isinstance(keystore, dict):
        raise KeyFileError(f"{path} is damaged: not a v3 keystore object")
    if keystore.get("version") != 3:
        raise KeyFileError(f"{path} is not a version 3 keystore")
    crypto = keystore.get("crypto", keystore.get("Crypto"))
    if not isinstance(crypto, dict):
        raise KeyFileError(f"{path} is damaged: no 'crypto' section")
    return raw, keystore


def _check_kdf_limits(path: Path, keystore: dict[str, Any]) -> None:
    """Refuse scrypt parameters that would exhaust memory before any work is done."""
    crypto = keystore.get("crypto", keystore.get("Crypto"))
    assert isinstance(crypto, dict)  # checked by _read_keystore
    kdf = crypto.get("kdf")
    params = crypto.get("kdfparams")
    if kdf not in ("scrypt", "pbkdf2"):
        raise KeyFileError(f"{path}: unsupported key derivation {kdf!r} (scrypt or pbkdf2)")
    if not isinstance(params, dict):
        raise KeyFileError(f"{path} is damaged: no {kdf} parameters")
    if kdf == "pbkdf2":
        limits = {"c": (1, MAX_PBKDF2_ITERATIONS)}
    else:
        limits = {"n": (2, MAX_SCRYPT_N), "r": (1, MAX_SCRYPT_R), "p": (1, MAX_SCRYPT_P)}
    for name, (low, high) in limits.items():
        value = params.get(name)
        if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
            raise KeyFileError(
                f"{path}: {kdf} parameter {name}={value!r} is outside the accepted range "
                f"{low}..{high}"
            )


def _stated_address(path: Path, keystore: dict[str, Any]) -> str | None:
    """The address field of a keystore as a checksum address, or None if absent."""
    from eth_utils.address import is_hex_address, to_checksum_address

    address = keystore.get("address")
    if address is None:
        return None
    if not isinstance(address, str):
        raise KeyFileError(f"{path} is damaged: its address is not text")
    candidate = address if address.startswith(("0x", "0X")) else "0x" + address
    if not is_hex_address(candidate):
        raise KeyFileError(f"{path} is damaged: {address!r} is not an Ethereum address")
    return str(to_checksum_address(candidate))
