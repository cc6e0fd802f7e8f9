"""The court's own report on a real JSON-RPC node (issue 14, Deliver 4).

A court holds only the bundle, its own node and its own trust profile: ``evidence report
BUNDLE --chain URL --trust FILE -o OUT`` must work with no workspace and no passphrase, and
say that the verifying party prepared it. ``-w`` is honoured: a report made with a workspace
states the same verdict as ``evidence verify``. ``report check --bundle`` names the signer
and says whether it is the bundle's capturer.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

from ..chain.conftest import AnvilNode
from ..conftest import run_cli
from .court import COURT_CHAIN_ID, Deployment, court_profile, deploy, genesis_hash, operators_of

pytestmark = pytest.mark.anvil

#: The environment of a court: no workspace, no passphrase.
NO_SECRETS = {"EVIDENCE_PASSPHRASE": "", "EVIDENCE_WORKSPACE": ""}


@pytest.fixture(scope="module")
def world(anvil_node: AnvilNode, tmp_path_factory: pytest.TempPathFactory) -> Deployment:
    return deploy(anvil_node, tmp_path_factory.mktemp("court-report-world"))


@pytest.fixture(scope="module")
def court(world: Deployment, anvil_node: AnvilNode,
          tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(a folder holding only the witnessed bundle, the court's trust profile)."""
    bundle = world.bundle("court")
    world.sign_and_relay(bundle, "cn", "sg", "de")
    office = tmp_path_factory.mktemp("court-office")
    profile = court_profile(office / "court.toml", chain_id=COURT_CHAIN_ID,
                            genesis=genesis_hash(anvil_node.url), contract=world.contract,
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
                                                      anvil_node: AnvilNode) -> None:
    bundle, profile = court
    out = bundle.parent / "court-report.pdf"
    proc = run_cli("report", str(bundle), "--chain", anvil_node.url, "--trust", str(profile),
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
    proc = run_cli("report", str(bundle), "--chain", anvil_node.url, "--trust", str(profile),
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
        court: tuple[Path, Path], anvil_node: AnvilNode, world: Deployment,
        session_workspace: Path) -> None:
    bundle, profile = court
    verified = run_cli("verify", str(bundle), "--json", "--chain", anvil_node.url, "--trust",
                       str(profile), cwd=bundle.parent)
    verdict = json.loads(verified.stdout)["verdict"]
    for name, ws, is_capturer in (("capturer", world.capturer_ws, True),
                                  ("stranger", session_workspace, False)):
        out = bundle.parent / f"{name}.json"
        proc = run_cli("-w", str(ws), "report", str(bundle), "--chain", anvil_node.url, "--trust",
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


# --------------------------------------------------------------------------- re-check as printed

#: First words of the commands a report prints.
COMMANDS = ("cd ", "sha256sum ", "sha512sum ", "sed ", "python3 ", "curl ", "cast ")
_FOOTER = re.compile(r"^(RPT-\S+ · sha256:[0-9a-f]+|page \d+ of \d+|第 \d+ 页，共 \d+ 页)$")


def extract_commands(text: str) -> list[tuple[str, list[str]]]:
    """Every command printed in ``text`` (PDF text or the HTML's code blocks), with its
    continuation lines and here-document, and the expected values printed after it."""
    lines = [line.replace("\xa0", " ").rstrip() for line in text.splitlines()]
    lines = [line for line in lines if not _FOOTER.match(line.strip())]
    out: list[tuple[str, list[str]]] = []
    i = 0
    while i < len(lines):
        if not lines[i].startswith(COMMANDS):
            i += 1
            continue
        command = [lines[i]]
        while command[-1].endswith("\\"):
            i += 1
            command.append(lines[i])
        if command[-1].endswith("<<'JSON'"):
            while command[-1] != "JSON":
                i += 1
                command.append(lines[i])
        i += 1
        expected = []
        while i < len(lines) and re.match(r"^#\s+[0-9a-f]{64}", lines[i]):
            value = lines[i].lstrip("# ").split()[0]
            i += 1
            while i < len(lines) and re.fullmatch(r"[0-9a-f]+", lines[i]):
                value += lines[i]
                i += 1
            expected.append(value)
        out.append(("\n".join(command), expected))
    return out


class _Pre(HTMLParser):
    """The text of each <pre> code block (the embedded script apart) and all text."""

    def __init__(self) -> None:
        super().__init__()
        self.blocks: list[str] = []
        self.text: list[str] = []
        self._pre: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "pre" and dict(attrs).get("class") != "script":
            self._pre = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "pre" and self._pre is not None:
            self.blocks.append("".join(self._pre))
            self._pre = None

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        if self._pre is not None:
            self._pre.append(data)


def _run_all(commands: list[tuple[str, list[str]]], start: Path, rpc_url: str,
             expected_anchor: str, chain_id: int) -> list[str]:
    """Run each command as printed (bash, from ``start``; ``cd`` moves on) and check its
    output against the value printed with it; returns the commands run."""
    cwd = start
    ran = []
    for command, expected in commands:
        if command.startswith("cd "):
            cwd = cwd / command.split(" ", 1)[1].strip("'")
            assert cwd.is_dir(), command
            ran.append(command)
            continue
        if command.startswith("cast ") and shutil.which("cast") is None:
            continue  # foundry's cast is not installed here; the curl lines ask the same
        proc = subprocess.run(["bash", "-c", command], cwd=cwd, capture_output=True,
                              text=True, timeout=60, env={**os.environ, "RPC_URL": rpc_url})
        assert proc.returncode == 0, (command, proc.stdout, proc.stderr)
        ran.append(command)
        if expected:
            assert proc.stdout.split()[0] == expected[0], (command, proc.stdout, expected)
        if command.startswith("curl "):
            answer = json.loads(proc.stdout)
            assert "error" not in answer and answer.get("result") is not None, (command,
                                                                               answer)
            if '"eth_chainId"' in command:
                assert int(answer["result"], 16) == chain_id
            if '"eth_call"' in command and '"data":"0xcf4ff901' in command:
                assert answer["result"] == expected_anchor, command
    return ran


@pytest.fixture(scope="module")
def court_reports(court: tuple[Path, Path], anvil_node: AnvilNode,
                  tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    bundle, profile = court
    out = tmp_path_factory.mktemp("court-reports")
    paths = {}
    for kind in ("pdf", "html"):
        paths[kind] = out / f"report.{kind}"
        proc = run_cli("report", str(bundle), "--chain", anvil_node.url, "--trust", str(profile),
                       "-o", str(paths[kind]), cwd=out, env=NO_SECRETS)
        assert proc.returncode == 0, proc.stderr
    return paths


@pytest.mark.parametrize("fmt", ["pdf", "html"])
def test_every_printed_command_runs_as_printed(court: tuple[Path, Path], anvil_node: AnvilNode,
                                               court_reports: dict[str, Path], fmt: str,
                                               tmp_path: Path) -> None:
    bundle, _ = court
    if fmt == "pdf":
        text = _pdf_text(court_reports["pdf"])
        flat = re.sub(r"\s+", "", text)
    else:
        parser = _Pre()
        parser.feed(court_reports["html"].read_text(encoding="utf-8"))
        text = "\n".join(parser.blocks)
        flat = re.sub(r"\s+", "", "".join(parser.text))
    found = re.search(r"ExpectedanchorOfresult.*?(0x[0-9a-f]{192})", flat)
    assert found, "the expected anchorOf answer is not printed"
    desk = tmp_path / "desk"  # a folder holding only the bundle
    desk.mkdir()
    shutil.copytree(bundle, desk / bundle.name)
    commands = extract_commands(text)
    ran = _run_all(commands, desk, anvil_node.url, found.group(1), COURT_CHAIN_ID)
    firsts = [c.split()[0] for c in ran]
    # every kind of step was printed and ran: enter, digests, manifests, records, script, chain
    assert firsts[0] == "cd"
    for word in ("sha256sum", "sha512sum", "sed", "python3", "curl"):
        assert word in firsts, word
    assert any(c == "python3 recheck.py ." for c in ran)
    assert sum(1 for c in ran if c.startswith("curl ")) == 5
    assert any("-c manifest-sha256.txt" in c for c in ran)
