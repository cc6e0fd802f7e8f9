"""Keystores: encrypted at rest, 0600, never overwritten, never leaking the key."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from evidence.chain.accounts import (
    KEYSTORE_SCRYPT_N,
    MAX_SCRYPT_N,
    create_keystore,
    keystore_address,
    load_account,
)
from evidence.errors import InputError, KeyFileError

PASSPHRASE = "correct horse battery staple"
#: A small scrypt work factor so that tests run fast (the default is 2**18).
FAST_N = 2**4


@pytest.fixture
def keystore(tmp_path: Path) -> tuple[Path, str]:
    path = tmp_path / "workspace.key"
    address = create_keystore(path, PASSPHRASE, scrypt_n=FAST_N)
    return path, address


def test_round_trip(keystore: tuple[Path, str]) -> None:
    path, address = keystore
    assert address.startswith("0x") and len(address) == 42
    assert keystore_address(path) == address
    account = load_account(path, PASSPHRASE)
    assert account.address == address
    signed = account.sign_message(_message(b"evidence"))
    assert signed.signature


def _message(text: bytes):  # type: ignore[no-untyped-def]
    from eth_account.messages import encode_defunct

    return encode_defunct(primitive=text)


def test_file_is_a_v3_scrypt_keystore_with_mode_0600(keystore: tuple[Path, str]) -> None:
    path, address = keystore
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    data = json.loads(path.read_text())
    assert data["version"] == 3
    assert data["crypto"]["kdf"] == "scrypt"
    assert data["crypto"]["kdfparams"]["n"] == FAST_N
    assert data["address"].lower() == address[2:].lower()


def test_default_work_factor_is_the_standard_scrypt_setting(tmp_path: Path) -> None:
    path = tmp_path / "standard.key"
    create_keystore(path, PASSPHRASE)
    assert json.loads(path.read_text())["crypto"]["kdfparams"]["n"] == KEYSTORE_SCRYPT_N == 2**18


def test_wrong_passphrase(keystore: tuple[Path, str]) -> None:
    path, _ = keystore
    with pytest.raises(KeyFileError, match=f"wrong passphrase for {path}"):
        load_account(path, "not the passphrase")


def test_never_overwrites(keystore: tuple[Path, str]) -> None:
    path, address = keystore
    before = path.read_bytes()
    with pytest.raises(InputError, match="exists already"):
        create_keystore(path, "another passphrase", scrypt_n=FAST_N)
    assert path.read_bytes() == before
    assert load_account(path, PASSPHRASE).address == address


def test_missing_folder_and_empty_passphrase(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="does not exist"):
        create_keystore(tmp_path / "nowhere" / "k.key", PASSPHRASE, scrypt_n=FAST_N)
    with pytest.raises(KeyFileError, match="empty passphrase"):
        create_keystore(tmp_path / "k.key", "", scrypt_n=FAST_N)
    assert not (tmp_path / "k.key").exists()


@pytest.mark.parametrize("mode", [0o640, 0o604, 0o660, 0o644])
def test_group_or_world_access_is_refused(keystore: tuple[Path, str], mode: int) -> None:
    path, _ = keystore
    os.chmod(path, mode)
    with pytest.raises(KeyFileError, match=f"run: chmod 600 {path}"):
        load_account(path, PASSPHRASE)
    with pytest.raises(KeyFileError, match="chmod 600"):
        keystore_address(path)


def test_damaged_files(tmp_path: Path, keystore: tuple[Path, str]) -> None:
    path, _ = keystore
    good = json.loads(path.read_text())

    def write(name: str, content: str) -> Path:
        target = tmp_path / name
        target.write_text(content)
        os.chmod(target, 0o600)
        return target

    with pytest.raises(KeyFileError, match="not JSON"):
        load_account(write("truncated.key", path.read_text()[:40]), PASSPHRASE)
    with pytest.raises(KeyFileError, match="version 3"):
        load_account(write("v1.key", json.dumps({**good, "version": 1})), PASSPHRASE)
    no_crypto = {k: v for k, v in good.items() if k != "crypto"}
    with pytest.raises(KeyFileError, match="crypto"):
        load_account(write("nocrypto.key", json.dumps(no_crypto)), PASSPHRASE)
    bad_cipher = json.loads(json.dumps(good))
    del bad_cipher["crypto"]["ciphertext"]
    with pytest.raises(KeyFileError, match="damaged"):
        load_account(write("nocipher.key", json.dumps(bad_cipher)), PASSPHRASE)
    other_address = {**good, "address": "11" * 20}
    with pytest.raises(KeyFileError, match="does not match its key"):
        load_account(write("address.key", json.dumps(other_address)), PASSPHRASE)
    with pytest.raises(KeyFileError, match="not an Ethereum address"):
        keystore_address(write("badaddr.key", json.dumps({**good, "address": "xyz"})))
    with pytest.raises(KeyFileError, match="does not exist"):
        load_account(tmp_path / "absent.key", PASSPHRASE)


def test_huge_scrypt_parameters_are_refused_before_any_work(
    tmp_path: Path, keystore: tuple[Path, str]
) -> None:
    path, _ = keystore
    crafted = json.loads(path.read_text())
    crafted["crypto"]["kdfparams"]["n"] = MAX_SCRYPT_N * 2
    target = tmp_path / "crafted.key"
    target.write_text(json.dumps(crafted))
    os.chmod(target, 0o600)
    with pytest.raises(KeyFileError, match="outside the accepted range"):
        load_account(target, PASSPHRASE)


def test_no_key_in_messages_or_reprs(keystore: tuple[Path, str]) -> None:
    path, _ = keystore
    account = load_account(path, PASSPHRASE)
    secret = account.key.hex().removeprefix("0x")
    assert secret not in repr(account) and secret not in str(account)
    messages = []
    for attempt in ("wrong", PASSPHRASE + "x"):
        with pytest.raises(KeyFileError) as info:
            load_account(path, attempt)
        messages.append(str(info.value) + repr(info.value))
        assert info.value.__cause__ is None  # eth-keyfile's exception is not chained in
    assert all(secret not in m and PASSPHRASE not in m for m in messages)
