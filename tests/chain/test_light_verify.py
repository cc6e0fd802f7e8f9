"""Verification on the embedded chain through the light reader: same result, no web3.

Every chain-dependent row of the verification table (tests/verification/rows.py) is
verified twice, once reading the embedded chain with :class:`~evidence.chain.light.LightChain`
and once through web3 and py-evm (``eth_call``, ``eth_getLogs``): the results must be
identical. And ``evidence verify`` of an embedded-chain bundle, run as a user runs it,
must not import web3, py-evm, eth-tester, eth-account or py_ecc.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from evidence import chaincheck

from ..conftest import PASSPHRASE
from ..verification.conftest import CLI_TIMEOUT_S, Lab, embedded_lab  # noqa: F401 - fixture
from ..verification.rows import CHAIN_ROWS, Row

#: Top-level packages verification on the embedded chain must not import (seconds of
#: imports: web3 ~2 s, py-evm ~1.7 s of which py_ecc's BLS constants ~0.8 s).
HEAVY = ("web3", "eth", "eth_tester", "eth_account", "py_ecc")


def _verify(case: Any, lab: Lab, *, light: bool, monkeypatch: pytest.MonkeyPatch
            ) -> dict[str, Any]:
    from evidence.verification import verify

    monkeypatch.setattr(chaincheck, "_LIGHT_EMBEDDED", light)
    kwargs: dict[str, Any] = {"offline": case.offline, "chain_url": case.chain_url,
                              "workspace": lab.ws_path if case.use_workspace else None}
    if case.policy is not None:
        kwargs["policy"] = case.policy
    doc = verify(case.path, **kwargs).to_json()
    doc.pop("verified_at")
    return doc


@pytest.mark.parametrize("row", CHAIN_ROWS, ids=[r.id for r in CHAIN_ROWS])
def test_light_and_web3_give_the_same_result(row: Row, embedded_lab: Lab,  # noqa: F811
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    case = row.build(embedded_lab)
    through_light = _verify(case, embedded_lab, light=True, monkeypatch=monkeypatch)
    through_web3 = _verify(case, embedded_lab, light=False, monkeypatch=monkeypatch)
    assert through_light == through_web3
    assert through_light["verdict"] == case.verdict


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
