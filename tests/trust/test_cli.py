"""``evidence trust``: keygen, sign, check, show, as a user runs them (exit codes, one-line
errors, never a traceback)."""

from __future__ import annotations

import json
import shutil
import stat
from pathlib import Path

import pytest

from ..conftest import PASSPHRASE, run_cli

ASSETS = Path(__file__).resolve().parents[1] / "assets" / "trust"


def _one_line_error(proc: object, fragment: str) -> None:
    assert proc.returncode == 2, (proc.stdout, proc.stderr)  # type: ignore[attr-defined]
    err = proc.stderr  # type: ignore[attr-defined]
    assert err.startswith("error: ") and err.count("\n") == 1, err
    assert "Traceback" not in err and fragment in err, err


@pytest.fixture(scope="module")
def publisher(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A publisher key made with ``evidence trust keygen``, and its fingerprint."""
    key = tmp_path_factory.mktemp("pub") / "publisher.key"
    proc = run_cli("trust", "keygen", "-o", str(key))
    assert proc.returncode == 0, proc.stderr
    fingerprint = proc.stdout.strip()
    assert fingerprint.startswith("sha256:") and len(fingerprint) == 39
    assert proc.stdout == fingerprint + "\n"  # the fingerprint only, never key material
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert PASSPHRASE not in key.read_text(encoding="utf-8")
    return key, fingerprint


@pytest.fixture
def profile(tmp_path: Path) -> Path:
    path = tmp_path / "court.toml"
    shutil.copyfile(ASSETS / "good" / "every_key.toml", path)
    return path


def test_sign_check_show(profile: Path, publisher: tuple[Path, str]) -> None:
    key, fingerprint = publisher
    unsigned = run_cli("trust", "check", str(profile))
    assert unsigned.returncode == 0, unsigned.stderr
    assert unsigned.stdout.startswith("ok: tests-minimal (sha256 ")
    assert "not signed, expires 2099-12-31T00:00:00Z)" in unsigned.stdout

    signed = run_cli("trust", "sign", str(profile), "--key", str(key))
    assert signed.returncode == 0, signed.stderr
    assert fingerprint in signed.stdout and "court.toml.sig" in signed.stdout
    assert (profile.parent / "court.toml.sig").is_file()

    check = run_cli("trust", "check", str(profile), "--publisher-key", fingerprint)
    assert check.returncode == 0, check.stderr
    assert f"signed by {fingerprint} (pinned)" in check.stdout
    assert check.stdout.count("\n") == 1
    by_file = run_cli("trust", "check", str(profile), "--publisher-key", str(key))
    assert by_file.returncode == 0 and "(pinned)" in by_file.stdout

    show = run_cli("trust", "show", str(profile), "--publisher-key", fingerprint)
    assert show.returncode == 0, show.stderr
    for text in ("Trust profile tests-minimal", "Test Court Technology Office",
                 "7140  Test consortium chain", "node https://node-1.example.org:8545",
                 "LEI:TEST00000000000002  Zweites Notariat GmbH  DE (Germany)",
                 "witness 0xcb532F02936c11337710a46b5B04f64D79e154ab  from "
                 "2026-01-01T00:00:00Z  open-ended", f"signed by {fingerprint} (pinned)"):
        assert text in show.stdout, text

    as_json = run_cli("trust", "show", str(profile), "--json")
    assert as_json.returncode == 0, as_json.stderr
    doc = json.loads(as_json.stdout)
    assert doc["name"] == "tests-minimal" and doc["signed_by"] == fingerprint
    assert doc["publisher_key_pinned"] is False
    assert [o["id"] for o in doc["operators"]] == ["LEI:TEST00000000000001",
                                                   "LEI:TEST00000000000002"]


def test_wrong_pinned_key_and_tampering(profile: Path, publisher: tuple[Path, str]) -> None:
    key, fingerprint = publisher
    assert run_cli("trust", "sign", str(profile), "--key", str(key)).returncode == 0
    other = "sha256:" + "0" * 32
    _one_line_error(run_cli("trust", "check", str(profile), "--publisher-key", other),
                    f"signed by {fingerprint}, which is not the pinned publisher key ({other})")
    profile.write_bytes(profile.read_bytes().replace(b"Zweites", b"Drittes"))
    _one_line_error(run_cli("trust", "check", str(profile)), "changed after it was signed")
    _one_line_error(run_cli("trust", "show", str(profile)), "changed after it was signed")


def test_sign_refuses_twice_and_replaces_when_asked(profile: Path,
                                                    publisher: tuple[Path, str]) -> None:
    key, _ = publisher
    assert run_cli("trust", "sign", str(profile), "--key", str(key)).returncode == 0
    _one_line_error(run_cli("trust", "sign", str(profile), "--key", str(key)),
                    "exists already; pass --replace")
    again = run_cli("trust", "sign", str(profile), "--key", str(key), "--replace")
    assert again.returncode == 0, again.stderr


def test_a_malformed_profile_is_never_signed(tmp_path: Path,
                                             publisher: tuple[Path, str]) -> None:
    key, _ = publisher
    path = tmp_path / "draft.toml"
    shutil.copyfile(ASSETS / "bad" / "draft.toml", path)
    _one_line_error(run_cli("trust", "sign", str(path), "--key", str(key)),
                    "a drafted profile")
    assert not (tmp_path / "draft.toml.sig").exists()


@pytest.mark.parametrize(("args", "fragment"), [
    (("check", "bad/witness_two_operators.toml"),
     "operators[1].witnesses[0].address: witness 0xcb532F02936c11337710a46b5B04f64D79e154ab "
     "is listed twice"),
    (("check", "bad/expired.toml"), "expired on 2020-01-01T00:00:00Z"),
    (("check", "bad/development_31337.toml"), "never evidence"),
    (("show", "bad/invalid_toml.toml"), "invalid TOML"),
    (("check", "good/minimal.toml", "--require-signature"), "a signed profile is required"),
    (("check", "good/minimal.toml", "--publisher-key", "nonsense"),
     "neither a key fingerprint"),
    (("check", "missing.toml"), "cannot read trust profile"),
])
def test_bad_input_is_one_line_and_exit_2(args: tuple[str, ...], fragment: str) -> None:
    command, name, *rest = args
    _one_line_error(run_cli("trust", command, str(ASSETS / name), *rest), fragment)


def test_keygen_never_overwrites(publisher: tuple[Path, str]) -> None:
    key, _ = publisher
    before = key.read_bytes()
    _one_line_error(run_cli("trust", "keygen", "-o", str(key)), "exists already")
    assert key.read_bytes() == before


def test_demonstration_is_said(tmp_path: Path) -> None:
    proc = run_cli("trust", "check", str(ASSETS / "good" / "demonstration.toml"))
    assert proc.returncode == 0, proc.stderr
    assert "demonstration profile, no evidential value" in proc.stdout
    show = run_cli("trust", "show", str(ASSETS / "good" / "demonstration.toml"))
    assert "DEMONSTRATION profile" in show.stdout and "DEVELOPMENT chain" in show.stdout
