"""Key hygiene (issue 6, item 6): private keys are encrypted at rest (scrypt), mode 0600,
never printed, logged or written into bundles and reports; a wrong passphrase is a clear,
one-line error (exit 2).

The central test runs a whole demo as a user would (``evidence demo``, then ``verify``,
``inspect --json``, ``capture``, ``anchor``, ``disclose`` and ``report``), keeps everything
the commands printed, decrypts every key of the workspace in the test to learn its private
bytes, and searches all output and every file under the demo folder for them: raw, hex
(either case) and base64 (standard and URL-safe, at each of the three byte alignments a key
can have inside a longer base64 text). The passphrase is searched for too.
"""

from __future__ import annotations

import base64
import json
import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from ..conftest import EXAMPLES

#: Not the demo's printed default: this one must never appear anywhere.
SECRET = "correct horse battery staple, hardening edition"


def evidence(*args: str, cwd: Path, passphrase: str = SECRET) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "EVIDENCE_PASSPHRASE": passphrase}
    env.pop("EVIDENCE_WORKSPACE", None)
    exe = Path(sys.executable).with_name("evidence")
    return subprocess.run([str(exe), *args], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=600)


def needles(secret: bytes) -> list[bytes]:
    """Every form in which ``secret`` could be written out."""
    forms = [secret, secret.hex().encode(), secret.hex().upper().encode()]
    for shift in range(3):
        padded = b"\x00" * shift + secret
        for encode in (base64.b64encode, base64.urlsafe_b64encode):
            text = encode(padded)
            forms.append(text[4:-4])  # the part that depends on the secret's bytes alone
    return forms


@dataclass(frozen=True)
class DemoRun:
    out: Path
    transcript: str  # everything every command printed, stdout and stderr


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> DemoRun:
    root = tmp_path_factory.mktemp("keys")
    out = root / "demo"
    printed: list[str] = []

    def run(*args: str, ok: tuple[int, ...] = (0,)) -> subprocess.CompletedProcess[str]:
        proc = evidence(*args, cwd=root)
        printed.extend([f"$ evidence {' '.join(args)}", proc.stdout, proc.stderr])
        assert proc.returncode in ok, (args, proc.returncode, proc.stdout, proc.stderr)
        return proc

    run("demo", "--out", str(out))
    ws = out / "workspace"
    bundle = out / "bundle"
    run("--workspace", str(ws), "verify", str(bundle), "-v")
    run("--workspace", str(ws), "verify", str(bundle), "--json")
    run("inspect", str(bundle), "--json")
    run("inspect", str(bundle))
    # --progress: the progress lines (on stdout before logging) stay in the transcript
    run("--workspace", str(ws), "--progress", "anchor", str(bundle))  # again: nothing sent
    second = out / "bundle-2"
    run("--workspace", str(ws), "capture", str(EXAMPLES / "screenshots"), "--case",
        "2026-KEYS-2", "-o", str(second))
    run("--workspace", str(ws), "--progress", "anchor", str(second), "--json")
    run("--workspace", str(ws), "disclose", str(second), "--item", "F-1", "-o",
        str(out / "disclosure-2"))
    run("--workspace", str(ws), "verify", str(out / "disclosure-2"), "--json")
    report = evidence("--workspace", str(ws), "report", str(bundle), "-o",
                      str(out / "again.html"), cwd=root)
    printed.extend([report.stdout, report.stderr])
    if "No such command" not in report.stderr:
        assert report.returncode in (0, 1), report.stderr
    # failures print too: a wrong passphrase and a debug traceback must not leak either
    printed.extend([evidence("--workspace", str(ws), "anchor", str(second), cwd=root,
                             passphrase=SECRET + "!").stderr,
                    evidence("--workspace", str(ws), "--debug", "capture", str(EXAMPLES),
                             "--case", "X", "-o", str(out / "never"), cwd=root,
                             passphrase="wrong").stderr])
    return DemoRun(out, "\n".join(printed))


@dataclass(frozen=True)
class Key:
    path: Path
    private: bytes


@pytest.fixture(scope="module")
def keys(demo_run: DemoRun) -> list[Key]:
    """Every private key of the demo workspace, decrypted here."""
    from evidence.chain.accounts import load_account
    from evidence.keys import load_signing_key

    folder = demo_run.out / "workspace" / "keys"
    found = [Key(folder / "capturer.key", load_signing_key(
        folder / "capturer.key", SECRET)._private.private_bytes_raw())]
    for path in sorted(folder.rglob("*.json")):
        found.append(Key(path, bytes(load_account(path, SECRET).key)))
    assert len(found) == 1 + 1 + 4  # capturer, workspace account, four demo witnesses
    assert all(len(k.private) == 32 for k in found)
    return found


def every_file(folder: Path) -> Iterator[Path]:
    for path in sorted(folder.rglob("*")):
        if path.is_file() and not path.is_symlink():
            yield path


def test_no_key_material_in_any_output_or_file(demo_run: DemoRun, keys: list[Key]) -> None:
    output = demo_run.transcript.encode()
    assert "presumed-authentic" in demo_run.transcript  # the demo really ran
    secrets = [(k.path.name, n) for k in keys for n in needles(k.private)]
    secrets.append(("passphrase", SECRET.encode()))
    for name, needle in secrets:
        assert needle not in output, f"{name} appears in the commands' output"
    key_files = {k.path for k in keys}
    scanned = 0
    for path in every_file(demo_run.out):
        data = path.read_bytes()
        scanned += 1
        for name, needle in secrets:
            if path in key_files and needle == SECRET.encode():
                continue
            assert needle not in data, f"{name} appears in {path.relative_to(demo_run.out)}"
    assert scanned > 50  # bundles, disclosures, reports, the chain store, the key files


def test_keys_are_encrypted_at_rest_with_scrypt_and_mode_0600(demo_run: DemoRun,
                                                              keys: list[Key]) -> None:
    folder = demo_run.out / "workspace" / "keys"
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    for key in keys:
        assert stat.S_IMODE(key.path.stat().st_mode) == 0o600, key.path
        doc = json.loads(key.path.read_bytes())
        kdf = doc["kdf"]["name"] if "kdf" in doc and isinstance(doc["kdf"], dict) else (
            doc["crypto"]["kdf"])
        assert kdf == "scrypt", key.path


def test_wrong_passphrase_is_one_clear_line(demo_run: DemoRun, tmp_path: Path) -> None:
    ws = demo_run.out / "workspace"
    proc = evidence("--workspace", str(ws), "capture", str(EXAMPLES / "screenshots"),
                    "--case", "X", "-o", str(tmp_path / "b"), cwd=tmp_path,
                    passphrase="not the passphrase")
    assert proc.returncode == 2, proc.stderr
    err = proc.stderr.strip()
    assert err.startswith("error: ") and "\n" not in err, proc.stderr
    assert "wrong passphrase" in err and "capturer.key" in err
    assert "not the passphrase" not in proc.stderr
    assert not (tmp_path / "b").exists()


def test_wrong_passphrase_for_a_keystore(demo_run: DemoRun) -> None:
    from evidence.chain.accounts import load_account
    from evidence.errors import EXIT_INPUT, KeyFileError

    path = demo_run.out / "workspace" / "keys" / "account.json"
    with pytest.raises(KeyFileError) as info:
        load_account(path, "not the passphrase")
    assert info.value.exit_code == EXIT_INPUT
    assert str(info.value) == f"wrong passphrase for {path}"


def test_key_files_readable_by_others_are_refused(demo_run: DemoRun, tmp_path: Path) -> None:
    import shutil

    from evidence.chain.accounts import load_account
    from evidence.errors import KeyFileError
    from evidence.keys import load_signing_key

    src = demo_run.out / "workspace" / "keys"
    for name, load in (("capturer.key", load_signing_key), ("account.json", load_account)):
        copy = tmp_path / name
        shutil.copyfile(src / name, copy)
        copy.chmod(0o644)
        with pytest.raises(KeyFileError, match="chmod 600"):
            load(copy, SECRET)


def test_unlocked_keys_do_not_show_in_repr(keys: list[Key]) -> None:
    from evidence.chain.accounts import load_account
    from evidence.keys import load_signing_key

    capturer = load_signing_key(keys[0].path, SECRET)
    account = load_account(keys[1].path, SECRET)
    for shown in (repr(capturer), str(capturer), repr(account), str(account)):
        for key in keys[:2]:
            assert key.private.hex() not in shown.lower()


@pytest.mark.parametrize("field,value", [("n", 2**30), ("r", 2**20), ("p", 2**20)])
def test_keystore_with_ruinous_scrypt_cost_is_refused(tmp_path: Path, field: str,
                                                      value: int) -> None:
    """A crafted keystore must not make unlocking hang or exhaust memory."""
    from evidence.chain.accounts import create_keystore, load_account
    from evidence.errors import KeyFileError

    path = tmp_path / "k.json"
    create_keystore(path, SECRET, scrypt_n=2**4)
    doc = json.loads(path.read_bytes())
    doc["crypto"]["kdfparams"][field] = value
    path.write_text(json.dumps(doc))
    path.chmod(0o600)
    with pytest.raises(KeyFileError, match=f"{field}={value}"):
        load_account(path, SECRET)


def test_keystore_with_ruinous_pbkdf2_cost_is_refused(tmp_path: Path) -> None:
    from eth_account import Account

    from evidence.chain.accounts import MAX_PBKDF2_ITERATIONS, load_account
    from evidence.errors import KeyFileError

    path = tmp_path / "k.json"
    doc = Account.encrypt(Account.create().key, SECRET, kdf="pbkdf2", iterations=2)
    doc["crypto"]["kdfparams"]["c"] = MAX_PBKDF2_ITERATIONS * 256
    path.write_text(json.dumps(doc))
    path.chmod(0o600)
    with pytest.raises(KeyFileError, match="pbkdf2 parameter c="):
        load_account(path, SECRET)
    doc["crypto"]["kdfparams"]["c"] = 2  # a cheap honest one still opens
    path.write_text(json.dumps(doc))
    assert load_account(path, SECRET).address
