"""The court's own report on a real JSON-RPC node (issue 14, Deliver 4).

A court holds only the bundle, its own node and its own trust profile: ``evidence report
BUNDLE --chain URL --trust FILE -o OUT`` must work with no workspace and no passphrase, and
say that the verifying party prepared it. ``-w`` is honoured: a report made with a workspace
states the same verdict as ``evidence verify``. ``report check --bundle`` names the signer
and says whether it is the bundle's capturer.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from ..chain.conftest import AnvilNode, free_port
from ..conftest import run_cli
from .court import COURT_CHAIN_ID, Deployment, court_profile, deploy, genesis_hash, operators_of

pytestmark = pytest.mark.anvil

#: The environment of a court: no workspace, no passphrase.
NO_SECRETS = {"EVIDENCE_PASSPHRASE": "", "EVIDENCE_WORKSPACE": ""}


@pytest.fixture(scope="module")
def node() -> Iterator[AnvilNode]:
    n = AnvilNode(free_port(), "--chain-id", str(COURT_CHAIN_ID))
    n.start()
    try:
        yield n
    finally:
        n.stop()


@pytest.fixture(scope="module")
def world(node: AnvilNode, tmp_path_factory: pytest.TempPathFactory) -> Deployment:
    return deploy(node, tmp_path_factory.mktemp("court-report-world"))


@pytest.fixture(scope="module")
def court(world: Deployment, node: AnvilNode,
          tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(a folder holding only the witnessed bundle, the court's trust profile)."""
    bundle = world.bundle("court")
    world.sign_and_relay(bundle, "cn", "sg", "de")
    office = tmp_path_factory.mktemp("court-office")
    profile = court_profile(office / "court.toml", chain_id=COURT_CHAIN_ID,
                            genesis=genesis_hash(node.url), contract=world.contract,
                            registrar=world.registrar,
                            operators=operators_of(world, "cn", "sg", "de"))
    folder = tmp_path_factory.mktemp("court-desk")
    shutil.copytree(bundle, folder / bundle.name)
    return folder / bundle.name, profile


def _pdf_text(path: Path, *pages: str) -> str:
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    return subprocess.run(["pdftotext", *pages, str(path), "-"], capture_output=True,
                          text=True, check=True).stdout


def test_court_report_without_workspace_or_passphrase(court: tuple[Path, Path],
                                                      node: AnvilNode) -> None:
    bundle, profile = court
    out = bundle.parent / "court-report.pdf"
    proc = run_cli("report", str(bundle), "--chain", node.url, "--trust", str(profile),
                   "-o", str(out), "--timezone", "Asia/Shanghai", cwd=bundle.parent,
                   env=NO_SECRETS)
    assert proc.returncode == 0, proc.stderr
    assert "passphrase" not in proc.stderr
    assert "unsigned: prepared by the verifying party" in proc.stdout
    assert "verdict: presumed" in proc.stdout.lower() or "presumed" in proc.stdout
    first = " ".join(_pdf_text(out, "-f", "1", "-l", "1").split())
    assert "Prepared by the verifying party" in first
    assert "Presumed not altered since anchoring (rebuttable)" in first
    assert "Asia/Shanghai" in first
    # the JSON twin: unsigned, says who prepared it
    js = bundle.parent / "court-report.json"
    proc = run_cli("report", str(bundle), "--chain", node.url, "--trust", str(profile),
                   "-o", str(js), cwd=bundle.parent, env=NO_SECRETS)
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(js.read_bytes())
    assert doc["prepared_by"] == {"party": "verifying-party", "key": None}
    assert doc["verdict"]["code"] == "presumed-authentic"
    assert not js.with_name(js.name + ".sig").exists()
    check = run_cli("report", "check", str(js), "--json", cwd=bundle.parent, env=NO_SECRETS)
    outcome = json.loads(check.stdout)
    assert check.returncode == 1 and outcome["prepared_by"] == "verifying-party"
    assert not outcome["signature_ok"]


def test_workspace_is_honoured_and_check_names_the_signer(
        court: tuple[Path, Path], node: AnvilNode, world: Deployment,
        session_workspace: Path) -> None:
    bundle, profile = court
    verified = run_cli("verify", str(bundle), "--json", "--chain", node.url, "--trust",
                       str(profile), cwd=bundle.parent)
    verdict = json.loads(verified.stdout)["verdict"]
    for name, ws, is_capturer in (("capturer", world.capturer_ws, True),
                                  ("stranger", session_workspace, False)):
        out = bundle.parent / f"{name}.json"
        proc = run_cli("-w", str(ws), "report", str(bundle), "--chain", node.url, "--trust",
                       str(profile), "-o", str(out), cwd=bundle.parent)
        assert proc.returncode == 0, proc.stderr
        doc = json.loads(out.read_bytes())
        assert doc["verdict"]["code"] == verdict  # -w is honoured, as verify decides
        assert doc["prepared_by"]["party"] == "workspace"
        check = run_cli("report", "check", str(out), "--bundle", str(bundle), "--json",
                        cwd=bundle.parent)
        outcome = json.loads(check.stdout)
        assert outcome["signature_ok"], outcome
        assert outcome["signer_key"] == doc["prepared_by"]["key"]
        assert outcome["signer_is_capturer"] is is_capturer, (name, outcome)
        text = run_cli("report", "check", str(out), "--bundle", str(bundle),
                       cwd=bundle.parent).stdout
        assert f"signer is the bundle's capturer: {'yes' if is_capturer else 'NO'}" in text
        assert f"signer key fingerprint: {outcome['signer_key']}" in text
