"""Helpers for the integration tests: anvil nodes (from tests/chain) and workspaces on them."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from ..chain.conftest import AnvilNode, free_port
from ..inprocess import run_cli_inprocess

__all__ = ["AnvilNode", "free_port", "init_on_anvil", "ok"]

#: Ether given to the workspace account on anvil: plenty for a deployment and anchors.
ACCOUNT_FUNDING_WEI = 100 * 10**18


def ok(proc: subprocess.CompletedProcess[str]) -> subprocess.CompletedProcess[str]:
    """Assert a command succeeded, showing its output when it did not."""
    assert proc.returncode == 0, (proc.returncode, proc.stdout, proc.stderr)
    return proc


def init_on_anvil(node: AnvilNode, ws: Path) -> str:
    """``evidence init WS --chain URL`` as a user does on a fresh anvil node.

    The workspace account is made first (``witness keygen``, light scrypt setting), funded
    from anvil (``anvil_setBalance``), and then used by ``init`` to deploy the contract.
    Returns the account's address. Set-up for the tests that call it, so the commands run
    in-process (tests/inprocess.py).
    """
    ok(run_cli_inprocess("init", str(ws), "--no-chain"))
    account = ok(run_cli_inprocess("witness", "keygen", "--light-kdf", "-o",
                                   str(ws / "keys" / "account.json"))).stdout.strip()
    node.rpc("anvil_setBalance", account, hex(ACCOUNT_FUNDING_WEI))
    ok(run_cli_inprocess("init", str(ws), "--chain", node.url))
    return account


@pytest.fixture
def anvil_nodes() -> Iterator[list[AnvilNode]]:
    """A list to put started anvil nodes in; every one is stopped at the end of the test."""
    nodes: list[AnvilNode] = []
    yield nodes
    for node in nodes:
        node.stop()
