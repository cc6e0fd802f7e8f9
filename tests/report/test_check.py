"""Checking reports: signatures hold, any changed byte fails, the bundle must match; the
re-check commands and script; the command line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from evidence.errors import InputError
from evidence.report import ReportSigner, build_report, check_report, write_report
from evidence.report.rechecks import ANCHOR_OF, CONFIRMATIONS_OF, calldata, selector

from ..conftest import PASSPHRASE
from .fixtures import BATCH_ROOT, BLOCK_TIME, SUBMITTER, make_result

REPO = Path(__file__).resolve().parents[2]
RECHECK = REPO / "docs" / "recheck.py"


def _flip(data: bytes, pos: int) -> bytes:
    b = bytearray(data)
    c = b[pos]
    # keep hex digits hex (so the change is not just a parse error) and flip anything else
    b[pos] = ord("1") if c == ord("0") else ord("0") if chr(c) in "123456789abcdef" else c ^ 1
    return bytes(b)


def _positions(data: bytes, *marks: bytes) -> list[int]:
    n = len(data)
    out = {0, 1, n // 7, n // 3, n // 2, 2 * n // 3, n - 2, n - 1}
    for mark in marks:
        at = data.find(mark)
        if at >= 0:
            out |= {at + len(mark) + 1, at + len(mark) + 40}
    return sorted(p for p in out if 0 <= p < n)


def test_json_report_checks(written: dict[str, Path]) -> None:
    outcome = check_report(written["json"])
    assert outcome.ok and outcome.signature_ok and outcome.format == "json"
    assert outcome.verdict == "presumed-authentic"
    assert outcome.report_id == "RPT-20251128-GOLDEN01"


def test_any_changed_byte_in_a_json_report_fails(written: dict[str, Path],
                                                 tmp_path: Path) -> None:
    data = written["json"].read_bytes()
    sig = written["json"].with_name("report.json.sig").read_bytes()
    for pos in _positions(data, b'"sha256":"', b'"transaction":"'):
        target = tmp_path / f"r{pos}.json"
        target.write_bytes(_flip(data, pos))
        target.with_name(target.name + ".sig").write_bytes(sig)
        outcome = check_report(target)
        assert not outcome.ok, f"byte {pos} changed but the check passed"
    # a changed signature fails too
    target = tmp_path / "s.json"
    target.write_bytes(data)
    doc = json.loads(sig)
    doc["signature"] = ("0" if doc["signature"][0] != "0" else "1") + doc["signature"][1:]
    target.with_name("s.json.sig").write_text(json.dumps(doc))
    assert not check_report(target).ok
    # and a missing signature
    lonely = tmp_path / "lonely.json"
    lonely.write_bytes(data)
    assert not check_report(lonely).ok


def test_pdf_report_checks(written: dict[str, Path], fixed_report: object) -> None:
    outcome = check_report(written["pdf"])
    assert outcome.ok, outcome.problems
    assert outcome.format == "pdf" and "evidence-anchor report signer" in (outcome.signer or "")
    assert outcome.report_digest == getattr(fixed_report, "digest", None)


def test_any_changed_byte_in_a_pdf_report_fails(written: dict[str, Path],
                                                tmp_path: Path) -> None:
    data = written["pdf"].read_bytes()
    contents = data.rindex(b"/Contents <") + len(b"/Contents <")
    end = data.index(b">", contents)
    positions = [*_positions(data, b"/ByteRange"), contents + 5, contents + 300, end - 3]
    for pos in positions:
        target = tmp_path / f"r{pos}.pdf"
        target.write_bytes(_flip(data, pos))
        assert not check_report(target).ok, f"byte {pos} changed but the check passed"
    appended = tmp_path / "appended.pdf"
    appended.write_bytes(data + b"\n% appended\n")
    assert not check_report(appended).ok


def test_report_matches_its_bundle_only(tmp_path: Path, example_bundle: Path,
                                        signer: ReportSigner) -> None:
    from evidence.verification.verifier import verify

    report = build_report(verify(example_bundle, offline=True), bundle=example_bundle)
    js = write_report(report, tmp_path / "r.json", signer=signer)
    pdf = write_report(report, tmp_path / "r.pdf", signer=signer)
    for path in (js, pdf):
        outcome = check_report(path, bundle=example_bundle)
        assert outcome.ok and outcome.matches_bundle, outcome.problems
    other = build_report(make_result(), bundle=tmp_path)
    js2 = write_report(other, tmp_path / "other.json", signer=signer)
    outcome = check_report(js2, bundle=example_bundle)
    assert outcome.signature_ok and not outcome.ok and outcome.matches_bundle is False
    with pytest.raises(InputError):
        check_report(tmp_path / "missing.json")


def test_recheck_chain_values() -> None:
    from eth_abi.abi import decode
    from eth_utils.crypto import keccak

    report = build_report(make_result(), bundle=Path("."))
    chain = report.recheck.chain
    assert chain is not None
    assert selector(ANCHOR_OF) == "0x" + keccak(text="anchorOf(bytes32)")[:4].hex()
    assert chain.anchor_calldata == calldata(ANCHOR_OF, BATCH_ROOT)
    assert chain.anchor_calldata == selector(ANCHOR_OF) + BATCH_ROOT
    assert chain.confirmations_calldata == selector(CONFIRMATIONS_OF) + BATCH_ROOT
    assert chain.expected_anchor_result is not None
    submitter, at, block = decode(["address", "uint64", "uint64"],
                                  bytes.fromhex(chain.expected_anchor_result[2:]))
    assert (submitter.lower(), at, block) == (SUBMITTER.lower(), BLOCK_TIME, 7)
    commands = "\n".join(c for _, c in chain.requests)
    assert '"method":"eth_call"' in commands and chain.anchor_calldata in commands
    assert f'cast call {chain.contract} \\\n\'anchorOf(bytes32)(address,uint64,uint64)\' ' \
           f'\\\n0x{BATCH_ROOT}' in commands
    files = report.recheck.file_commands
    assert ("sha256sum data/files/screenshots/chat-1.png", "a1" * 32, "F-1") in files


def test_recheck_commands_reproduce_the_digests(tmp_path: Path, example_bundle: Path) -> None:
    """The printed sha256sum / record lines give the printed digests when run."""
    from evidence.verification.verifier import verify

    report = build_report(verify(example_bundle, offline=True), bundle=example_bundle)
    rc = report.recheck
    for command, expected, _ in (*rc.file_commands[:4], *rc.record_commands[:3]):
        proc = subprocess.run(command, shell=True, cwd=example_bundle, capture_output=True,
                              text=True, check=True)
        assert proc.stdout.split()[0] == expected, command


def test_recheck_script(example_bundle: Path) -> None:
    proc = subprocess.run([sys.executable, str(RECHECK), str(example_bundle)],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout
    assert "leaves hash to the root" in proc.stdout and "all checks hold" in proc.stdout
    record_file = next((example_bundle / "data" / "records").glob("*.jsonl"))
    lines = record_file.read_bytes().split(b"\n")
    lines[1] = lines[1].replace(b"84", b"85", 1)
    record_file.write_bytes(b"\n".join(lines))
    proc = subprocess.run([sys.executable, str(RECHECK), str(example_bundle)],
                          capture_output=True, text=True)
    assert proc.returncode == 1 and "FAIL" in proc.stdout


def test_cli_report_and_check(tmp_path: Path, example_bundle: Path,
                              report_workspace: Path, monkeypatch: pytest.MonkeyPatch,
                              capsys: pytest.CaptureFixture[str]) -> None:
    from evidence_cli.main import main

    monkeypatch.setenv("EVIDENCE_PASSPHRASE", PASSPHRASE)
    monkeypatch.setenv("EVIDENCE_WORKSPACE", str(report_workspace))

    def run(*args: str) -> int:
        with pytest.raises(SystemExit) as exit_info:
            main(list(args))
        return int(exit_info.value.code or 0)

    out = tmp_path / "r.json"
    assert run("report", str(example_bundle), "-o", str(out), "--offline", "--lang", "zh") == 0
    assert "verdict: " in capsys.readouterr().out
    assert run("report", "check", str(out), "--bundle", str(example_bundle)) == 0
    assert run("report-check", str(out)) == 0
    assert "OK" in capsys.readouterr().out
    html = tmp_path / "r.html"
    assert run("report", "make", str(example_bundle), "-o", str(html), "--offline") == 0
    assert run("report", str(example_bundle), "-o", str(out), "--offline") == 2  # exists
    assert run("report", str(example_bundle), "-o", str(tmp_path / "r.doc")) == 2
    out.write_bytes(out.read_bytes().replace(b"not-presumed", b"presumed-authentic"))
    assert run("report", "check", str(out)) == 1
    assert "problem" in capsys.readouterr().out


def test_demo_reports_of_an_anchored_bundle(tmp_path: Path) -> None:
    """The whole flow on the embedded chain: real anchor, witnesses CN/SG/DE counted and JP
    not; the three reports check against the bundle and the receipt path re-checks."""
    from evidence.demo import run_demo

    demo = run_demo(tmp_path / "demo")
    paths = {p.suffix: p for p in demo.reports}
    assert set(paths) == {".json", ".html", ".pdf"}
    for suffix in (".json", ".pdf"):
        outcome = check_report(paths[suffix], bundle=demo.bundle)
        assert outcome.ok and outcome.matches_bundle, outcome.problems
    doc = json.loads(paths[".json"].read_bytes())
    assert doc["anchor"]["development_chain"] is True and doc["anchor"]["warning"]["zh"]
    counted = {w["jurisdiction"]: w["counted"] for w in doc["witnesses"]}
    assert counted == {"CN": True, "SG": True, "DE": True, "JP": False}
    html = paths[".html"].read_text(encoding="utf-8")
    assert doc["anchor"]["transaction"] in html
    proc = subprocess.run([sys.executable, str(RECHECK), str(demo.bundle)],
                          capture_output=True, text=True)
    assert proc.returncode == 0 and "in batch root" in proc.stdout, proc.stdout
