"""Run an ``evidence`` command inside the test process, for set-up steps (issue 17).

A subprocess of ``evidence`` pays one to two seconds of imports (web3, py-evm) before it
does anything; a deployment on anvil runs about fourteen of them. Steps that only prepare
what a test looks at (``init``, ``witness keygen``, ``witness add``, ``capture``,
``anchor``...) run here instead, through the same entry point (:func:`cli.main.main`, which
maps errors to exit codes), in click's test isolation. What a test asserts about a process
(exit codes seen by a shell, signals, the court's ``verify``) stays a subprocess
(:func:`tests.conftest.run_cli`).

The result is what :func:`~tests.conftest.run_cli` gives for the same arguments: the same
environment (EVIDENCE_PASSPHRASE set, EVIDENCE_WORKSPACE unset), the same working folder,
no terminal, and none of the process-wide state a command leaves behind carried into the
next one: the library logger's handlers and level are restored, and the keys the command
unlocked are forgotten (a new process starts with none, evidence/chain/accounts.py).
tests/test_inprocess.py checks the two agree.

Long-running services (``witness serve``, ``batcher serve``) install signal handlers and
must not run here.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import traceback
from pathlib import Path

from click.testing import CliRunner

#: Commands that install process-wide signal handlers: always a subprocess.
SERVICES = frozenset({"serve"})

#: The library's logger, whose handlers the CLI replaces (cli/common.py configure_logging).
LIBRARY_LOGGER = "evidence"


def run_cli_inprocess(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None,
                      input: str | None = None) -> subprocess.CompletedProcess[str]:
    """:func:`tests.conftest.run_cli` without a new process (module docstring)."""
    from cli.main import main

    from .conftest import PASSPHRASE

    if SERVICES.intersection(args):
        raise ValueError(f"a service runs in a subprocess, not in-process: {args}")
    overrides: dict[str, str | None] = {"EVIDENCE_PASSPHRASE": PASSPHRASE,
                                        "EVIDENCE_WORKSPACE": None}
    if env:
        overrides.update(env)
    logger = logging.getLogger(LIBRARY_LOGGER)
    saved_handlers, saved_level = list(logger.handlers), logger.level
    old_cwd = os.getcwd()
    runner = CliRunner()
    code: int
    try:
        with runner.isolation(input=input, env=overrides) as (out, err, _):
            if cwd is not None:
                os.chdir(cwd)
            try:
                main(list(args))
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
            except Exception:  # --debug re-raises: a process would print it and exit 1
                traceback.print_exc()
                code = 1
            else:  # pragma: no cover - main() always exits
                code = 0
            finally:
                sys.stdout.flush()
                sys.stderr.flush()
            stdout = out.getvalue().decode("utf-8", "replace")
            stderr = err.getvalue().decode("utf-8", "replace")
    finally:
        os.chdir(old_cwd)
        logger.handlers[:] = saved_handlers
        logger.setLevel(saved_level)
        _forget_unlocked_keys()
    return subprocess.CompletedProcess(["evidence", *args], code, stdout, stderr)


def ok_cli_inprocess(*args: str, cwd: Path | None = None) -> str:
    """The standard output of a set-up step that must succeed."""
    proc = run_cli_inprocess(*args, cwd=cwd)
    assert proc.returncode == 0, (args, proc.returncode, proc.stdout, proc.stderr)
    return proc.stdout


def _forget_unlocked_keys() -> None:
    accounts = sys.modules.get("evidence.chain.accounts")
    if accounts is not None:
        accounts.forget_unlocked()
