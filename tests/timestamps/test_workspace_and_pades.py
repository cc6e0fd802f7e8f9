"""The workspace's [timestamps]: capture time-stamps automatically, and the PDF report's
PAdES signature carries a signature time-stamp from the same TSA (PAdES B-T)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from evidence.errors import FormatError

from ..conftest import EXAMPLES, PASSPHRASE, run_cli
from .tsa import LocalTsa


def configure(workspace: Path, text: str) -> None:
    config = workspace / "evidence.toml"
    config.write_text(config.read_text(encoding="utf-8") + "\n[timestamps]\n" + text,
                      encoding="utf-8")


def test_capture_timestamps_automatically_and_a_failure_is_a_warning(
        workspace: Path, tsa: LocalTsa, tmp_path: Path) -> None:
    configure(workspace, f'tsa = ["{tsa.url()}", "{tsa.url("/tsa-b")}"]\n')
    out = tmp_path / "auto"
    done = run_cli("-w", str(workspace), "capture", str(EXAMPLES / "screenshots"), "--case",
                   "2026-AUTO-1", "-o", str(out))
    assert done.returncode == 0, done.stderr
    assert sorted(p.name[:2] for p in (out / "evidence" / "timestamps").iterdir()) == ["1-", "2-"]
    assert "timestamped by CN=Test TSA A" in done.stdout
    # A TSA that fails after a capture that succeeded: the bundle stays, a warning says how
    # to retry.
    config = workspace / "evidence.toml"
    config.write_text(config.read_text(encoding="utf-8").replace(tsa.url("/tsa-b"),
                                                                 tsa.url("/http500")))
    failed = tmp_path / "failed"
    done = run_cli("-w", str(workspace), "capture", str(EXAMPLES / "screenshots"), "--case",
                   "2026-AUTO-2", "-o", str(failed))
    assert done.returncode == 0 and (failed / "evidence" / "root.json").is_file()
    assert "warning: not timestamped after capture" in done.stderr
    assert f"evidence timestamp {failed}" in done.stderr
    assert not (failed / "evidence" / "timestamps").exists()


@pytest.mark.parametrize(("text", "says"), [
    ('tsa = ["ftp://tsa.example.org"]\n', "not an http(s) URL"),
    ('tsa = ["https://u:p@tsa.example.org"]\n', "user name or password"),
    ('hash_algorithm = "sha1"\n', "hash_algorithm"),
    ('colour = "blue"\n', "unknown key 'colour'"),
    ("on_capture = 1\n", "on_capture must be true or false"),
])
def test_bad_timestamp_settings_are_refused(workspace: Path, text: str, says: str) -> None:
    from evidence.workspace import open_workspace

    configure(workspace, text)
    with pytest.raises(FormatError) as caught:
        open_workspace(workspace)
    assert says in str(caught.value) and "evidence.toml" in str(caught.value)


def test_pdf_report_signature_is_pades_b_t_with_the_workspace_tsa(
        workspace: Path, tsa: LocalTsa, tmp_path: Path) -> None:
    from asn1crypto import cms
    from pyhanko.pdf_utils.reader import PdfFileReader

    from evidence.report.model import build_report
    from evidence.report.pdf import render_pdf
    from evidence.report.signing import ReportSigner
    from evidence.workspace import open_workspace

    from ..report.fixtures import make_result

    configure(workspace, f'tsa = ["{tsa.url()}"]\n')
    signer = ReportSigner.from_workspace(open_workspace(workspace), PASSPHRASE)
    assert signer.timestamp_url == tsa.url()
    report = build_report(make_result(), bundle=tmp_path)
    pdf = render_pdf(report, signer)
    [sig] = PdfFileReader(io.BytesIO(pdf)).embedded_signatures
    unsigned = sig.signer_info["unsigned_attrs"]
    [token] = [a["values"][0] for a in unsigned
               if a["type"].native == "signature_time_stamp_token"]
    assert isinstance(token, cms.ContentInfo)
    signed = token["content"]
    tst = signed["encap_content_info"]["content"].parsed
    assert tst["policy"].dotted == "1.3.6.1.4.1.99999.1"
    subjects = {c.chosen.subject.human_friendly for c in signed["certificates"]}
    assert any("Test TSA A" in s for s in subjects)
    # Without pdf = true in [timestamps], a B-B signature (no time-stamp).
    config = workspace / "evidence.toml"
    config.write_text(config.read_text(encoding="utf-8") + "pdf = false\n")
    plain = ReportSigner.from_workspace(open_workspace(workspace), PASSPHRASE)
    assert plain.timestamp_url is None
    [sig] = PdfFileReader(io.BytesIO(render_pdf(report, plain))).embedded_signatures
    attrs = sig.signer_info["unsigned_attrs"]
    assert not attrs or all(a["type"].native != "signature_time_stamp_token" for a in attrs)


def test_anchor_timestamps_automatically_after_anchoring(tsa: LocalTsa, tmp_path: Path,
                                                        workspace: Path) -> None:
    import json

    from evidence.anchoring import setup_chain
    from evidence.chain.accounts import create_keystore
    from evidence.workspace import open_workspace

    from ..verification.conftest import TEST_SCRYPT_N

    ws = workspace  # a copy of a ready workspace, a cheap account keystore, the embedded chain
    opened = open_workspace(ws)
    keystore = opened.path(opened.chain.account_keystore)
    keystore.parent.mkdir(parents=True, exist_ok=True)
    create_keystore(keystore, PASSPHRASE, scrypt_n=TEST_SCRYPT_N)
    setup_chain(opened, PASSPHRASE)
    configure(ws, f'tsa = ["{tsa.url()}"]\non_capture = false\non_anchor = true\n')
    out = tmp_path / "b"
    assert run_cli("-w", str(ws), "capture", str(EXAMPLES / "screenshots"), "--case",
                   "2026-AUTO-3", "-o", str(out)).returncode == 0
    assert not (out / "evidence" / "timestamps").exists()
    done = run_cli("-w", str(ws), "anchor", str(out))
    assert done.returncode == 0, done.stderr
    assert "timestamped by CN=Test TSA A" in done.stdout
    result = json.loads(run_cli("verify", str(out), "-w", str(ws), "--json").stdout)
    [token] = result["timestamps"]
    assert token["taken_before_anchor"] is False and token["status"] == "not-pinned"
