"""Keystores unlocked once per process, and in the background (evidence/chain/accounts.py,
"Unlocking"): the cache never answers another passphrase or another file, and the
keystores the tool writes itself are the ones eth-account reads (and the other way round)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account

import evidence.chain.accounts as accounts
from evidence.chain.accounts import (
    create_keystore,
    forget_unlocked,
    load_account,
    prefetch_accounts,
)
from evidence.errors import KeyFileError, WrongPassphraseError

PASSPHRASE = "pass phrase, non-ASCII: 证据 é"
#: A small scrypt work factor so that the tests run fast (the default is 2**18).
FAST_N = 2**4


@pytest.fixture(autouse=True)
def fresh_cache() -> Iterator[None]:
    forget_unlocked()
    yield
    forget_unlocked()


@pytest.fixture
def unlocks(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """The keystores actually decrypted (scrypt run), in order (the main thread's as they
    are; a background thread's marked with its name)."""
    seen: list[Path] = []
    real = accounts._unlock

    def counting(path: Path, keystore: dict[str, Any], passphrase: str) -> bytes:
        thread = threading.current_thread()
        seen.append(path if thread is threading.main_thread() else path / thread.name)
        return real(path, keystore, passphrase)

    monkeypatch.setattr(accounts, "_unlock", counting)
    return seen


def test_written_keystore_is_read_by_eth_account(tmp_path: Path) -> None:
    path = tmp_path / "k.json"
    address = create_keystore(path, PASSPHRASE, scrypt_n=FAST_N)
    doc = json.loads(path.read_text())
    key = Account.decrypt(doc, PASSPHRASE)
    assert Account.from_key(key).address == address
    assert set(doc) == {"address", "crypto", "id", "version"}
    assert doc["crypto"]["cipher"] == "aes-128-ctr"
    assert doc["crypto"]["kdfparams"] == {**doc["crypto"]["kdfparams"], "n": FAST_N, "r": 8,
                                          "p": 1, "dklen": 32}


@pytest.mark.parametrize("kdf", ["scrypt", "pbkdf2"])
def test_eth_account_keystore_is_read(tmp_path: Path, kdf: str) -> None:
    account = Account.create()
    path = tmp_path / "k.json"
    path.write_text(json.dumps(Account.encrypt(account.key, PASSPHRASE, kdf=kdf,
                                               iterations=FAST_N if kdf == "scrypt" else 16)))
    path.chmod(0o600)
    assert load_account(path, PASSPHRASE).key == account.key
    with pytest.raises(WrongPassphraseError):
        load_account(path, PASSPHRASE + "!")


def test_unlocked_once_per_process(tmp_path: Path, unlocks: list[Path]) -> None:
    path = tmp_path / "k.json"
    address = create_keystore(path, PASSPHRASE, scrypt_n=FAST_N)
    assert load_account(path, PASSPHRASE).address == address
    assert unlocks == []  # this process wrote the key: nothing to unlock
    forget_unlocked()
    assert load_account(path, PASSPHRASE).address == address
    assert load_account(path, PASSPHRASE).address == address
    assert unlocks == [path]


def test_cache_never_answers_another_passphrase_or_another_file(tmp_path: Path) -> None:
    path = tmp_path / "k.json"
    create_keystore(path, PASSPHRASE, scrypt_n=FAST_N)
    load_account(path, PASSPHRASE)
    with pytest.raises(WrongPassphraseError):
        load_account(path, PASSPHRASE + " ")
    other = Account.create()
    path.unlink()
    path.write_text(json.dumps(Account.encrypt(other.key, PASSPHRASE, kdf="scrypt",
                                               iterations=FAST_N)))
    path.chmod(0o600)
    assert load_account(path, PASSPHRASE).address == other.address


def test_prefetch_unlocks_in_the_background_once(tmp_path: Path, unlocks: list[Path]) -> None:
    paths = [tmp_path / f"k{i}.json" for i in range(3)]
    addresses = [create_keystore(p, PASSPHRASE, scrypt_n=FAST_N) for p in paths]
    forget_unlocked()
    prefetch_accounts(paths, PASSPHRASE)
    prefetch_accounts(paths, PASSPHRASE)  # already under way: not started twice
    assert [load_account(p, PASSPHRASE).address for p in paths] == addresses
    assert load_account(paths[0], PASSPHRASE).address == addresses[0]
    assert sorted(unlocks) == sorted(p / "keystore-unlock" for p in paths)


def test_prefetch_with_a_wrong_passphrase_fails_at_load(tmp_path: Path) -> None:
    path = tmp_path / "k.json"
    create_keystore(path, PASSPHRASE, scrypt_n=FAST_N)
    forget_unlocked()
    prefetch_accounts([path, tmp_path / "missing.json"], "wrong")
    with pytest.raises(WrongPassphraseError):
        load_account(path, "wrong")
    assert load_account(path, PASSPHRASE).address


@pytest.mark.parametrize(("field", "value"), [("n", 24), ("dklen", 16), ("dklen", 2**20)])
def test_invalid_scrypt_parameters_are_a_damaged_keystore(tmp_path: Path, field: str,
                                                          value: int) -> None:
    path = tmp_path / "k.json"
    create_keystore(path, PASSPHRASE, scrypt_n=FAST_N)
    forget_unlocked()
    doc = json.loads(path.read_text())
    doc["crypto"]["kdfparams"][field] = value
    path.write_text(json.dumps(doc))
    with pytest.raises(KeyFileError, match="damaged"):
        load_account(path, PASSPHRASE)


def _reseal(path: Path, plaintext: bytes) -> None:
    """Rewrite the keystore at ``path`` so that its ciphertext decrypts to ``plaintext``
    with a MAC that matches: damage a wrong passphrase cannot explain."""
    import hashlib

    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    from evidence.chain.primitives import keccak256

    doc = json.loads(path.read_text())
    crypto = doc["crypto"]
    params = crypto["kdfparams"]
    derived = hashlib.scrypt(PASSPHRASE.encode(), salt=bytes.fromhex(params["salt"]),
                             n=params["n"], r=params["r"], p=params["p"], dklen=params["dklen"])
    iv = bytes.fromhex(crypto["cipherparams"]["iv"])
    enc = Cipher(algorithms.AES(derived[:16]), modes.CTR(iv)).encryptor()
    ciphertext = enc.update(plaintext) + enc.finalize()
    crypto["ciphertext"] = ciphertext.hex()
    crypto["mac"] = keccak256(derived[16:32] + ciphertext).hex()
    doc.pop("address", None)
    path.write_text(json.dumps(doc))
    path.chmod(0o600)


@pytest.mark.parametrize("plaintext", [b"\x11" * 31, b"\x11" * 33, b"\x00" * 32,
                                       b"\xff" * 32],
                         ids=["short", "long", "zero", "beyond-order"])
def test_decrypted_key_that_is_no_key_is_a_damaged_keystore(tmp_path: Path,
                                                             plaintext: bytes) -> None:
    """A keystore whose MAC holds but whose plaintext is not a secp256k1 private key (not
    32 bytes, zero, not below the group order) is a damaged keystore (KeyFileError, exit
    2), never a ValueError from eth-keys with a traceback."""
    path = tmp_path / "k.json"
    create_keystore(path, PASSPHRASE, scrypt_n=FAST_N)
    _reseal(path, plaintext)
    with pytest.raises(KeyFileError, match="damaged"):
        load_account(path, PASSPHRASE)
