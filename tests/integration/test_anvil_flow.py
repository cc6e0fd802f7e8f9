"""The whole witness flow on a real anvil node, through the CLI, with restarts.

init with ``--chain``, three witnesses (CN, SG, DE) with their own keys, three
``evidence witness serve`` daemons, capture + anchor, all three confirmations, and
``verify`` presumed-authentic, as a demonstration, on a development chain (anvil, chain id
31337) under the workspace's demonstration profile. Then anvil
is stopped (the two running daemons log the outage and retry) and started again on the
same port with its state file, one daemon is killed (SIGKILL) and started again, and a
second anchor gets its three confirmations too: nothing lost. The daemons finally stop
on SIGTERM with exit code 0.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import IO

import pytest

from ..conftest import PASSPHRASE, run_cli
from .conftest import AnvilNode, free_port, init_on_anvil, ok

pytestmark = pytest.mark.anvil

WITNESSES = ("CN", "SG", "DE")
#: Upper bound on waiting for the daemons' confirmations (a limit, not an assertion on
#: speed): generous for a loaded CI machine and a node restart with retry backoff.
CONFIRMATION_WAIT_S = 240.0
#: Upper bound on a daemon's exit after SIGTERM.
STOP_WAIT_S = 60.0
POLL_S = "0.3"


class Daemon:
    """One ``evidence witness serve`` process, its stderr appended to a log file."""

    def __init__(self, ws: Path, key: Path, log: Path) -> None:
        self.ws, self.key, self.log = ws, key, log
        self.process: subprocess.Popen[bytes] | None = None
        self._log_file: IO[bytes] | None = None

    def start(self) -> None:
        exe = Path(sys.executable).with_name("evidence")
        self._log_file = self.log.open("ab")
        env = {**os.environ, "EVIDENCE_PASSPHRASE": PASSPHRASE}
        env.pop("EVIDENCE_WORKSPACE", None)
        self.process = subprocess.Popen(
            [str(exe), "-w", str(self.ws), "witness", "serve", "--key", str(self.key),
             "--poll", POLL_S],
            stdout=subprocess.DEVNULL, stderr=self._log_file, env=env, start_new_session=True)

    def signal(self, signum: int) -> int:
        assert self.process is not None
        self.process.send_signal(signum)
        code = self.process.wait(timeout=STOP_WAIT_S)
        self.close()
        return code

    def close(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=STOP_WAIT_S)
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None

    def text(self) -> str:
        return self.log.read_text(errors="replace")


def anchor_new_bundle(ws: Path, tmp_path: Path, name: str) -> bytes:
    source = tmp_path / f"{name}.txt"
    source.write_text(f"listing screenshot stand-in {name}\n")
    bundle = tmp_path / name
    ok(run_cli("capture", str(source), "--case", f"ANVIL-{name}", "-o", str(bundle), cwd=ws))
    ok(run_cli("anchor", str(bundle), cwd=ws))
    from evidence.bundle.receipts import read_receipts

    (receipt,) = read_receipts(bundle)
    assert receipt.chain_id == 31337 and receipt.development_chain
    return receipt.batch_root


def confirmations(ws: Path, root: bytes) -> set[str]:
    from evidence.errors import ChainError
    from evidence.workspace import open_workspace
    from evidence.workspace_chain import open_workspace_chain, open_workspace_contract

    workspace = open_workspace(ws)
    try:
        with open_workspace_chain(workspace) as chain:
            contract = open_workspace_contract(workspace, chain)
            return {c.jurisdiction for c in contract.confirmations_of(root)}
    except ChainError:
        return set()


def wait_for_all(ws: Path, root: bytes, daemons: dict[str, Daemon]) -> None:
    deadline = time.monotonic() + CONFIRMATION_WAIT_S
    got: set[str] = set()
    while time.monotonic() < deadline:
        got = confirmations(ws, root)
        if got == set(WITNESSES):
            return
        for cc, daemon in daemons.items():
            assert daemon.process is not None and daemon.process.poll() is None, (
                f"serve {cc} exited: {daemon.text()}")
        time.sleep(0.5)
    logs = "\n".join(f"--- {cc}\n{d.text()}" for cc, d in daemons.items())
    pytest.fail(f"only {sorted(got)} confirmed 0x{root.hex()}\n{logs}")


def wait_for_log(daemon: Daemon, text: str) -> None:
    deadline = time.monotonic() + CONFIRMATION_WAIT_S
    while time.monotonic() < deadline:
        if text in daemon.text():
            return
        assert daemon.process is not None and daemon.process.poll() is None, daemon.text()
        time.sleep(0.5)
    pytest.fail(f"no {text!r} in the log:\n{daemon.text()}")


def verify_presumed(ws: Path, tmp_path: Path, name: str) -> None:
    """Verified through the workspace, named (never found by walking up), under its
    demonstration profile: anvil with chain id 31337 is a development chain."""
    proc = run_cli("verify", str(tmp_path / name), "--json", "-w", str(ws), cwd=ws)
    assert proc.returncode == 0, (proc.stdout[-2000:], proc.stderr)
    doc = json.loads(proc.stdout)
    assert doc["verdict"] == "presumed-authentic"
    assert doc["development_chain"] is True and doc["demonstration"] is True


def test_three_witness_daemons_survive_node_and_daemon_restarts(
        tmp_path: Path, anvil_nodes: list[AnvilNode]) -> None:
    state = tmp_path / "anvil-state.json"
    node = AnvilNode(free_port(), "--state", str(state))
    anvil_nodes.append(node)
    node.start()
    ws = tmp_path / "ws"
    init_on_anvil(node, ws)

    daemons: dict[str, Daemon] = {}
    try:
        for cc in WITNESSES:
            key = tmp_path / f"witness-{cc}.json"
            address = ok(run_cli("witness", "keygen", "--light-kdf", "-o", str(key))).stdout
            address = address.strip()
            node.rpc("anvil_setBalance", address, hex(10**18))  # gas for its confirmations
            ok(run_cli("witness", "add", address, "--jurisdiction", cc, "--operator",
                       f"Witness node {cc}", cwd=ws))
            daemons[cc] = Daemon(ws, key, tmp_path / f"serve-{cc}.log")
            daemons[cc].start()

        first = anchor_new_bundle(ws, tmp_path, "b1")
        wait_for_all(ws, first, daemons)
        verify_presumed(ws, tmp_path, "b1")

        # A daemon crashes, the node restarts with its saved state, the daemon restarts.
        daemons["CN"].signal(signal.SIGKILL)
        node.stop()  # SIGTERM: anvil writes --state
        assert state.is_file()
        for cc in ("SG", "DE"):  # the running daemons notice the outage and keep going
            wait_for_log(daemons[cc], "chain problem: cannot reach the JSON-RPC node")
        node.start()  # same port, loads --state
        daemons["CN"].start()

        second = anchor_new_bundle(ws, tmp_path, "b2")
        wait_for_all(ws, second, daemons)
        assert confirmations(ws, first) == set(WITNESSES)
        verify_presumed(ws, tmp_path, "b1")
        verify_presumed(ws, tmp_path, "b2")
        assert "resuming at block" in daemons["CN"].text()

        for daemon in daemons.values():
            assert daemon.signal(signal.SIGTERM) == 0, daemon.text()
            text = daemon.text()
            assert "SIGTERM: stopping after the current step" in text, text
            assert text.count("witness: confirmed 0x") == 2, text  # each root exactly once
            assert PASSPHRASE not in text and "Traceback" not in text
    finally:
        for daemon in daemons.values():
            daemon.close()
