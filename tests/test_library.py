"""The library as README.md shows it: the snippet runs as printed, and ``evidence.anchor`` and
``evidence.report`` stand beside capture, verify, disclose and prove (issue 15, Deliver 6).

One workspace on the embedded chain is made per module (as ``evidence init case-ws
--demo-witnesses`` makes it), and the README's snippet runs once, in its own process, in the
folder the walkthrough describes; the other tests reuse what it wrote.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import evidence
from evidence.errors import InputError

from .conftest import EXAMPLES, PASSPHRASE, REPO, run_cli

#: The README section whose Python block is run.
LIBRARY_HEADING = "## Library"

_BLOCK = re.compile(r"```python\n(.*?)```", re.S)


def readme_library_snippet() -> str:
    """The first ```python block of the README's "## Library" section."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    start = text.index(f"\n{LIBRARY_HEADING}\n")
    end = text.find("\n## ", start + 1)
    section = text[start:end if end != -1 else len(text)]
    found = _BLOCK.search(section)
    assert found, f"README.md: no ```python block under {LIBRARY_HEADING!r}"
    return found.group(1)


class Ran:
    def __init__(self, folder: Path, proc: subprocess.CompletedProcess[str]) -> None:
        self.folder, self.proc = folder, proc


@pytest.fixture(scope="module")
def ran(tmp_path_factory: pytest.TempPathFactory) -> Ran:
    """The walkthrough's folder (case-ws, shots/, orders.csv), then the snippet run in it."""
    from evidence.anchoring import setup_chain
    from evidence.workspace import init_workspace

    folder = tmp_path_factory.mktemp("library")
    ws, _ = init_workspace(folder / "case-ws", PASSPHRASE)
    setup_chain(ws, PASSPHRASE, demo_witnesses=True)
    shutil.copytree(EXAMPLES / "screenshots", folder / "shots")
    shutil.copy(EXAMPLES / "transactions.csv", folder / "orders.csv")
    env = {**os.environ, "EVIDENCE_PASSPHRASE": PASSPHRASE}
    env.pop("EVIDENCE_WORKSPACE", None)
    proc = subprocess.run([sys.executable, "-c", readme_library_snippet()], cwd=folder,
                          env=env, capture_output=True, text=True, timeout=300)
    return Ran(folder, proc)


def test_readme_library_snippet_runs_as_printed(ran: Ran) -> None:
    assert ran.proc.returncode == 0, ran.proc.stderr[-3000:]
    out = ran.proc.stdout
    assert re.search(r"^bundle anchored in block \d+ tx 0x[0-9a-f]{64}$", out, re.M), out
    assert "DEMONSTRATION ONLY" in out  # the statement printed, and honest about the chain
    assert (ran.folder / "report.pdf").read_bytes().startswith(b"%PDF-")
    assert (ran.folder / "r3" / "evidence" / "proof.json").is_file()
    assert (ran.folder / "bundle" / "evidence" / "receipts").is_dir()


def test_public_names_resolve() -> None:
    for name in evidence.__all__:
        assert getattr(evidence, name) is not None, name
    for name in ("anchor", "report", "capture", "verify", "disclose", "prove"):
        assert name in evidence.__all__ and callable(getattr(evidence, name)), name


def _result(ran: Ran) -> evidence.VerificationResult:
    ws = ran.folder / "case-ws"
    return evidence.verify(ran.folder / "bundle", workspace=ws, trust=ws / "trust-demo.toml")


def test_report_after_the_package_was_imported(ran: Ran, tmp_path: Path) -> None:
    """Importing evidence.report.* binds ``evidence.report`` to the package: calling it is
    still the library function (HTML: unsigned, so no workspace and no passphrase)."""
    import evidence.report.writer  # binds evidence.report to the package

    written = evidence.report(_result(ran), tmp_path / "r.html")
    assert written == tmp_path / "r.html"
    assert b"DEMONSTRATION" in written.read_bytes()


def test_report_signed_formats_need_the_passphrase(ran: Ran, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="signed: give the workspace passphrase"):
        evidence.report(_result(ran), tmp_path / "r.json", workspace=ran.folder / "case-ws")
    assert not (tmp_path / "r.json").exists()


def test_report_refuses_an_existing_file_before_unlocking_a_key(ran: Ran, tmp_path: Path) -> None:
    out = tmp_path / "r.json"
    out.write_text("mine")
    with pytest.raises(InputError, match="exists already"):
        evidence.report(_result(ran), out, workspace=ran.folder / "case-ws",
                        passphrase="wrong passphrase")  # a wrong one would raise otherwise
    assert out.read_text() == "mine"


def test_anchor_of_an_anchored_bundle_keeps_its_receipt(ran: Ran) -> None:
    done = evidence.anchor(ran.folder / "bundle", workspace=ran.folder / "case-ws",
                           passphrase=PASSPHRASE)
    assert done.anchored == ()
    assert [path.name for path, _ in done.already] == ["bundle"]


def test_anchor_refuses_a_folder_that_is_not_a_bundle(ran: Ran, tmp_path: Path) -> None:
    with pytest.raises(evidence.EvidenceError):
        evidence.anchor([tmp_path], workspace=ran.folder / "case-ws", passphrase=PASSPHRASE)


def test_verify_needs_no_embedded_chain_install(ran: Ran, tmp_path: Path) -> None:
    """`pip install evidence-anchor` without [embedded] verifies a bundle anchored on the
    embedded chain: the store is read without py-evm (evidence/chain/light.py)."""
    from .test_packaging import without_embedded_env

    ws = ran.folder / "case-ws"
    args = ("verify", str(ran.folder / "bundle"), "-w", str(ws), "--trust",
            str(ws / "trust-demo.toml"), "--json")
    blocked = run_cli(*args, cwd=tmp_path, env=without_embedded_env(tmp_path / "block"))
    assert blocked.returncode == 0, blocked.stderr
    result = json.loads(blocked.stdout)
    assert result["verdict"] == "presumed-authentic" and result["demonstration"] is True
    assert result["anchor"] is not None


def test_demo_witnesses_each_confirm_with_one_shared_gas_estimate(
        ran: Ran, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from evidence.capturing.pipeline import capture
    from evidence.chain.contract import AnchorContract
    from evidence.workspace import open_workspace

    estimates: list[str] = []
    real = AnchorContract.estimate_confirm

    def counting(self: AnchorContract, root: bytes, witness: str) -> int:
        estimates.append(witness)
        return real(self, root, witness)

    monkeypatch.setattr(AnchorContract, "estimate_confirm", counting)
    ws_path = ran.folder / "case-ws"
    bundle = tmp_path / "one-shot"
    capture([EXAMPLES / "screenshots" / "chat-1.png"], out=bundle, case="GAS",
            key=open_workspace(ws_path).signing_key(PASSPHRASE))
    outcome = evidence.anchor(bundle, passphrase=PASSPHRASE, workspace=ws_path)
    assert len(outcome.confirmations) == len(set(outcome.confirmations)) == 4
    assert len(estimates) == 1
