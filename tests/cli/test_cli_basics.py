"""The command line as a user runs it: init, capture, inspect, verify, disclose, bad input."""

from __future__ import annotations

import json
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from ..conftest import EXAMPLES, run_cli


def test_help_and_version_do_not_import_web3() -> None:
    code = ("import sys\nfrom evidence_cli.main import main\n"
            "for args in (['--help'], ['--version']):\n"
            "    try:\n        main(args)\n    except SystemExit as e:\n"
            "        assert e.code == 0, e.code\n"
            "bad = [m for m in ('web3', 'eth_tester', 'eth', 'PIL') if m in sys.modules]\n"
            "assert not bad, bad\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert "Usage" in proc.stdout


def test_version() -> None:
    proc = run_cli("--version")
    assert proc.returncode == 0 and "0.1.0" in proc.stdout


def test_init_twice_never_overwrites_key(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    first = run_cli("init", str(ws))
    assert first.returncode == 0, first.stderr
    key = ws / "keys/capturer.key"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    before = key.read_bytes()
    second = run_cli("init", str(ws))
    assert second.returncode == 0 and "exists already" in second.stdout
    assert key.read_bytes() == before
    assert b"ed25519" in before and "correct horse" not in before.decode()


def test_full_flow_through_cli(workspace: Path, tmp_path: Path) -> None:
    out = tmp_path / "bundle"
    cap = run_cli("capture", str(EXAMPLES / "screenshots"), "--records",
                  str(EXAMPLES / "transactions.json"), "--case", "C-9", "--platform", "Mart",
                  "-o", str(out), cwd=workspace)
    assert cap.returncode == 0, cap.stderr
    assert "bundle root:" in cap.stdout
    ins = run_cli("inspect", str(out), "--json")
    info = json.loads(ins.stdout)
    assert info["case"] == "C-9" and info["custody"][0]["action"] == "captured"
    ver = run_cli("verify", str(out), "--json")
    assert ver.returncode == 1
    doc = json.loads(ver.stdout)
    assert doc["verdict"] == "not-presumed"
    assert "not-anchored" in [f["code"] for f in doc["findings"]]
    assert all({"code", "severity", "message"} <= set(f) for f in doc["findings"])
    dis = run_cli("disclose", str(out), "--item", "R-1", "-o", str(tmp_path / "d"),
                  env={"EVIDENCE_WORKSPACE": str(workspace)})
    assert dis.returncode == 0, dis.stderr
    assert run_cli("verify", str(tmp_path / "d")).returncode == 1
    (out / "data/files/screenshots/chat-1.png").write_bytes(b"forged")
    bad = run_cli("verify", str(out))
    assert bad.returncode == 1 and "chat-1.png" in bad.stdout and "FAILED" in bad.stdout


BAD_EXPORTS = {
    "not-utf8.csv": (b"order_id,price\n1,\xe9\xe9\n", "encoding"),
    "ragged.csv": (b"order_id,price\n1,2\n3\n", "row 3"),
    "dupkey.json": (b'[{"a": 1, "a": 2}]', "duplicate"),
    "hugenum.json": (b'[{"a": 123456789012345678901234567890}]', "exactly"),
    "empty.csv": (b"", "no records"),
}


@pytest.mark.parametrize("name", sorted(BAD_EXPORTS))
def test_bad_exports_exit_2_one_line(workspace: Path, tmp_path: Path, name: str) -> None:
    content, needle = BAD_EXPORTS[name]
    bad = tmp_path / name
    bad.write_bytes(content)
    out = tmp_path / "b"
    proc = run_cli("capture", "--records", str(bad), "--case", "C", "-o", str(out),
                   cwd=workspace)
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and name in lines[0] and needle in lines[0], lines
    assert not out.exists()
    assert "Traceback" not in proc.stderr


def test_missing_path_and_existing_output(workspace: Path, tmp_path: Path) -> None:
    proc = run_cli("capture", str(tmp_path / "gone.png"), "--case", "C", "-o",
                   str(tmp_path / "b"), cwd=workspace)
    assert proc.returncode == 2 and "gone.png" in proc.stderr
    (tmp_path / "exists").mkdir()
    proc = run_cli("capture", str(EXAMPLES / "screenshots"), "--case", "C", "-o",
                   str(tmp_path / "exists"), cwd=workspace)
    assert proc.returncode == 2 and "exists" in proc.stderr
    assert list((tmp_path / "exists").iterdir()) == []


def test_not_a_bundle(tmp_path: Path) -> None:
    for cmd in ("verify", "inspect"):
        proc = run_cli(cmd, str(tmp_path))
        assert proc.returncode == 2 and "not an evidence bundle" in proc.stderr


def test_no_workspace(tmp_path: Path) -> None:
    proc = run_cli("capture", str(EXAMPLES), "--case", "C", "-o", str(tmp_path / "b"),
                   cwd=tmp_path)
    assert proc.returncode == 2 and "evidence init" in proc.stderr


def test_wrong_passphrase(workspace: Path, tmp_path: Path) -> None:
    proc = run_cli("capture", str(EXAMPLES / "screenshots"), "--case", "C", "-o",
                   str(tmp_path / "b"), cwd=workspace, env={"EVIDENCE_PASSPHRASE": "nope"})
    assert proc.returncode == 2 and "wrong passphrase" in proc.stderr
    assert not (tmp_path / "b").exists()
