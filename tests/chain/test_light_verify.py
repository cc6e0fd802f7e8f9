"""Verification on the embedded chain reads it through the light reader, without web3.

Verification reads every chain through one interface (:mod:`evidence.chain.types`): the
embedded chain through :class:`~evidence.chain.light.LightChain`, any JSON-RPC chain through
:class:`~evidence.chain.proven.ProvenChain`; it has no web3 path left to compare with. The
readers are held to the same values elsewhere: LightChain against web3 and py-evm's
``eth_call`` on the same store (tests/chain/test_light.py), ProvenChain against ``eth_call``
on the same anvil node (tests/chain/test_proven.py), and the two readers against each other
for the same operations on two chains (tests/chain/test_readers_agree.py). Here: ``evidence
verify`` of an embedded-chain bundle, run as a user runs it, must not import web3, py-evm,
eth-tester, eth-account or py_ecc.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from ..conftest import PASSPHRASE
from ..verification.conftest import CLI_TIMEOUT_S, Lab, embedded_lab  # noqa: F401 - fixture

#: Top-level packages verification on the embedded chain must not import (seconds of
#: imports: web3 ~2 s, py-evm ~1.7 s of which py_ecc's BLS constants ~0.8 s).
HEAVY = ("web3", "eth", "eth_tester", "eth_account", "py_ecc")


def _imported(stderr: str) -> set[str]:
    """Top-level module names in ``python -X importtime`` output."""
    names = set()
    for line in stderr.splitlines():
        if line.startswith("import time:") and line.count("|") == 2:
            names.add(line.rsplit("|", 1)[1].strip().split(".")[0])
    return names


def test_verify_command_imports_no_web3_nor_evm(embedded_lab: Lab,  # noqa: F811
                                                tmp_path: Path) -> None:
    bundle, _ = embedded_lab.confirmed_bundle("light-imports", "CN", "SG", "DE")
    exe = Path(sys.executable).with_name("evidence")
    env = {**os.environ, "EVIDENCE_PASSPHRASE": PASSPHRASE}
    env.pop("EVIDENCE_WORKSPACE", None)
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", str(exe), "--workspace", str(embedded_lab.ws_path),
         "verify", str(bundle), "--json"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=CLI_TIMEOUT_S)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert '"verdict": "presumed-authentic"' in proc.stdout
    imported = _imported(proc.stderr)
    assert "evidence" in imported and "sqlite3" in imported  # the output was read right
    assert not imported & set(HEAVY), sorted(imported & set(HEAVY))
