"""The in-process runner of set-up steps (tests/inprocess.py) gives what a subprocess gives:
the same exit code, standard output and error line, and leaves no process-wide state."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from .conftest import PASSPHRASE, run_cli
from .inprocess import LIBRARY_LOGGER, run_cli_inprocess


def test_same_result_as_a_subprocess_for_success_and_for_an_error(tmp_path: Path) -> None:
    key = tmp_path / "k.json"
    made = run_cli_inprocess("witness", "keygen", "--light-kdf", "-o", str(key))
    assert made.returncode == 0 and made.stdout.startswith("0x"), made
    # The same refusal (an existing key file is never overwritten) either way.
    sub = run_cli("witness", "keygen", "--light-kdf", "-o", str(key))
    inp = run_cli_inprocess("witness", "keygen", "--light-kdf", "-o", str(key))
    assert sub.returncode != 0
    assert (inp.returncode, inp.stdout, inp.stderr) == (sub.returncode, sub.stdout, sub.stderr)
    # A usage error (click's exit code 2) and a missing workspace, relative to cwd.
    for args in (("witness", "add"), ("witness", "list")):
        sub = run_cli(*args, cwd=tmp_path)
        inp = run_cli_inprocess(*args, cwd=tmp_path)
        assert (inp.returncode, inp.stdout, inp.stderr) == (sub.returncode, sub.stdout,
                                                            sub.stderr), args


def test_leaves_no_state_behind(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    from evidence.chain import accounts

    monkeypatch.setenv("EVIDENCE_WORKSPACE", str(tmp_path / "elsewhere"))
    logger = logging.getLogger(LIBRARY_LOGGER)
    handlers, level, cwd = list(logger.handlers), logger.level, os.getcwd()
    ws = tmp_path / "ws"
    assert run_cli_inprocess("init", str(ws), "--no-chain").returncode == 0
    # EVIDENCE_WORKSPACE is unset for the command, as run_cli does: the workspace is found
    # from the working folder (it has no chain yet: exit 3 naming it).
    proc = run_cli_inprocess("witness", "list", cwd=ws)
    assert proc.returncode == 3 and str(ws) in proc.stderr, proc
    # --debug lets the error escape with its traceback: a process exits 1, so does this.
    proc = run_cli_inprocess("--debug", "witness", "list", cwd=ws)
    assert proc.returncode == 1 and "Traceback" in proc.stderr, proc
    assert proc.stderr.rstrip().endswith("the workspace has no chain yet; run `evidence init`")
    # A key unlocked in this process is forgotten after a command, as a new process has none.
    key = tmp_path / "k.json"
    assert run_cli_inprocess("witness", "keygen", "--light-kdf", "-o", str(key)).returncode == 0
    accounts.load_account(key, PASSPHRASE)
    assert accounts._UNLOCKED
    assert run_cli_inprocess("--version").returncode == 0
    assert (list(logger.handlers), logger.level, os.getcwd()) == (handlers, level, cwd)
    assert os.environ["EVIDENCE_WORKSPACE"] == str(tmp_path / "elsewhere")
    assert not accounts._UNLOCKED and not accounts._PENDING
    with pytest.raises(ValueError, match="subprocess"):
        run_cli_inprocess("witness", "serve", "--once")
