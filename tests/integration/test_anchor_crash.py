"""``evidence anchor`` killed right after its transaction is mined, then run again.

The kill point is deterministic: the crashed run is the command line in a Python process
whose ``AnchorContract.anchor`` SIGKILLs the process once the anchor transaction is mined,
before any receipt is written (:data:`KILL_AFTER_ANCHOR`; the product carries no hook for
it). The next run must complete from the journal: receipts written, exactly one
``Anchored`` event for the batch root on chain, and the journal gone. On the embedded
chain and on anvil.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from ..conftest import PASSPHRASE, run_cli
from .conftest import AnvilNode, free_port, init_on_anvil, ok

#: `evidence ARGS...` in a process that kills itself right after the anchor transaction
#: is mined (the contract call returned) and before any receipt is written.
KILL_AFTER_ANCHOR = """
import os, signal, sys
from evidence.chain.contract import AnchorContract
from evidence_cli.main import main

sent = AnchorContract.anchor

def anchor_then_die(self, *args, **kwargs):
    sent(self, *args, **kwargs)
    os.kill(os.getpid(), signal.SIGKILL)

AnchorContract.anchor = anchor_then_die
main(sys.argv[1:])
"""


def run_cli_killed_after_anchor(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "EVIDENCE_PASSPHRASE": PASSPHRASE}
    env.pop("EVIDENCE_WORKSPACE", None)
    return subprocess.run([sys.executable, "-c", KILL_AFTER_ANCHOR, *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=600)


@contextmanager
def contract_of(ws: Path) -> Iterator[Any]:
    from evidence.workspace import open_workspace
    from evidence.workspace_chain import open_workspace_chain, open_workspace_contract

    workspace = open_workspace(ws)
    with open_workspace_chain(workspace) as chain:
        yield open_workspace_contract(workspace, chain)


def capture(ws: Path, tmp_path: Path) -> Path:
    source = tmp_path / "chat.txt"
    source.write_text("seller: the headphones are genuine AURORA\n")
    bundle = tmp_path / "bundle"
    ok(run_cli("capture", str(source), "--case", "CRASH-1", "-o", str(bundle), cwd=ws))
    return bundle


def crash_then_complete(ws: Path, bundle: Path) -> None:
    crashed = run_cli_killed_after_anchor("anchor", str(bundle), cwd=ws)
    assert crashed.returncode == -signal.SIGKILL, (crashed.returncode, crashed.stderr)
    assert not (bundle / "receipts").exists() or not any((bundle / "receipts").iterdir())
    (journal,) = (ws / "journal").glob("anchor-*.json")
    root = bytes.fromhex(json.loads(journal.read_text())["batch_root"])
    with contract_of(ws) as contract:
        assert contract.anchor_of(root) is not None  # the transaction was mined

    rerun = ok(run_cli("--progress", "anchor", str(bundle), cwd=ws))
    assert "completing an interrupted anchoring" in rerun.stderr
    from evidence.bundle.receipts import read_receipts

    (receipt,) = read_receipts(bundle)
    assert receipt.batch_root == root
    assert list((ws / "journal").glob("anchor-*.json")) == []
    with contract_of(ws) as contract:
        events = contract.anchored_events(0, contract.chain.latest_block_number())
        assert [block for r, block in events if r == root] == [receipt.block_number]
        assert receipt.transaction == contract.anchor_transaction(root, receipt.block_number)

    again = ok(run_cli("anchor", str(bundle), cwd=ws))
    assert "already anchored" in again.stdout and "nothing sent" in again.stdout
    with contract_of(ws) as contract:
        events = contract.anchored_events(0, contract.chain.latest_block_number())
        assert [r for r, _ in events].count(root) == 1
    custody = ok(run_cli("inspect", str(bundle), "--json")).stdout
    assert [e["action"] for e in json.loads(custody)["custody"]].count("anchored") == 1


def test_anchor_killed_after_sending_completes_on_the_embedded_chain(
        tmp_path: Path, session_workspace: Path) -> None:
    from evidence.anchoring import setup_chain
    from evidence.witness.registry import generate_witness_key
    from evidence.workspace import open_workspace

    ws = tmp_path / "ws"
    shutil.copytree(session_workspace, ws)
    workspace = open_workspace(ws)
    generate_witness_key(workspace.path(workspace.chain.account_keystore), PASSPHRASE,
                         light_kdf=True)
    setup_chain(workspace, PASSPHRASE)
    crash_then_complete(ws, capture(ws, tmp_path))


@pytest.mark.anvil
def test_anchor_killed_after_sending_completes_on_anvil(
        tmp_path: Path, anvil_nodes: list[AnvilNode]) -> None:
    node = AnvilNode(free_port())
    anvil_nodes.append(node)
    node.start()
    ws = tmp_path / "ws"
    init_on_anvil(node, ws)
    crash_then_complete(ws, capture(ws, tmp_path))
