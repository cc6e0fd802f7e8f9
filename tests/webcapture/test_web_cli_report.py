"""``evidence capture-web`` as a user runs it, then ``verify`` and ``report`` of its bundle.

One capture of the local shop through the command line (its own browser process), shared
by the tests of this module; skipped with the reason shown when no Chromium is installed.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from evidence.webcapture import BrowserMissingError
from evidence.webcapture.browser import find_browser

from ..conftest import run_cli
from .site import Site, serve

try:
    find_browser()
except BrowserMissingError as exc:
    pytest.skip(f"no Chromium for the web-capture tests ({exc})", allow_module_level=True)


@pytest.fixture(scope="module")
def site() -> Iterator[Site]:
    with serve() as s:
        yield s


@pytest.fixture(scope="module")
def captured(site: Site, session_workspace: Path, tmp_path_factory: pytest.TempPathFactory
             ) -> tuple[Path, subprocess.CompletedProcess[str]]:
    out = tmp_path_factory.mktemp("cli") / "listing"
    proc = run_cli("capture-web", f"{site.base}/listing/123", "--case", "2026-CN-0042",
                   "-o", str(out), "--scroll", "--click", "#accept-cookies",
                   "--wait-for", "#price .amount", "--timeout", "20",
                   "--trust-spki", site.spki, "--platform", "ShopLocal", cwd=session_workspace)
    return out, proc


def test_capture_web_command_makes_a_bundle_that_verifies(
        captured: tuple[Path, subprocess.CompletedProcess[str]], tmp_path: Path) -> None:
    out, proc = captured
    assert proc.returncode == 0, proc.stderr
    assert "page 1: https://localhost:" in proc.stdout and "(HTTP 200)" in proc.stdout
    ver = run_cli("verify", str(out), "--offline", "--json")
    doc = json.loads(ver.stdout)
    assert {i["status"] for i in doc["items"]} == {"ok"}
    assert not [f for f in doc["findings"] if f["severity"] == "error"]
    changed = tmp_path / "changed"
    shutil.copytree(out, changed)
    (changed / "data/files/web/page-001/text.txt").write_text("¥1.00")  # a changed capture
    bad = json.loads(run_cli("verify", str(changed), "--offline", "--json").stdout)
    assert [i["path"] for i in bad["items"] if i["status"] == "changed"] == [
        "data/files/web/page-001/text.txt"]


def test_report_shows_pages_certificate_and_environment(
        captured: tuple[Path, subprocess.CompletedProcess[str]], session_workspace: Path,
        tmp_path: Path) -> None:
    bundle, _ = captured
    rep = run_cli("report", str(bundle), "-o", str(tmp_path / "r.json"), "--offline",
                  "--lang", "en", cwd=session_workspace)
    assert rep.returncode == 0, rep.stderr
    web = json.loads((tmp_path / "r.json").read_bytes())["web"]
    page = web["pages"][0]
    assert page["url"].endswith("/listing/123")
    assert page["final_url"].endswith("/item/123?ref=listing")
    assert page["http_status"] == 200 and page["partial"] is False
    assert page["certificate_subject"].startswith("CN=localhost,")
    assert "Evidence Test CA" in page["certificate_issuer"]
    assert page["screenshot_item"].startswith("F-")
    rows = dict(web["environment"])
    assert rows["Clock against a timestamp authority"].startswith("not configured")
    assert rows["Proxy used by the browser"].startswith("none")
    assert "HeadlessChrome" in rows["User agent"]


def test_pdf_report_prints_the_page_and_its_screenshot(
        captured: tuple[Path, subprocess.CompletedProcess[str]], session_workspace: Path,
        tmp_path: Path) -> None:
    if shutil.which("pdftotext") is None or shutil.which("pdfimages") is None:
        pytest.skip("poppler-utils (pdftotext, pdfimages) not installed")
    bundle, _ = captured
    pdf = tmp_path / "r.pdf"
    rep = run_cli("report", str(bundle), "-o", str(pdf), "--offline", "--lang", "en+zh",
                  cwd=session_workspace)
    assert rep.returncode == 0, rep.stderr
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True,
                          text=True, check=True).stdout
    assert "Web pages captured" in text and "网页取证" in text
    assert "/item/123?ref=listing" in text and "CN=localhost" in text
    assert "Capture environment" in text and "not configured" in text
    images = subprocess.run(["pdfimages", "-list", str(pdf)], capture_output=True, text=True,
                            check=True).stdout.splitlines()[2:]
    sizes = {(int(r.split()[3]), int(r.split()[4])) for r in images}
    assert (256, 480) in sizes  # the full-page screenshot (1280 x 2400), as a thumbnail


def test_report_does_not_show_a_changed_environment_record(
        captured: tuple[Path, subprocess.CompletedProcess[str]], tmp_path: Path) -> None:
    from evidence.report import build_report
    from evidence.verification.verifier import verify

    bundle = tmp_path / "changed"
    shutil.copytree(captured[0], bundle)
    env = bundle / "data/files/web/environment.json"
    env.write_bytes(env.read_bytes().replace(b'"none (direct', b'"NONE (direct'))
    report = build_report(verify(bundle, offline=True), bundle=bundle, lang="en")
    assert report.web is not None and report.web.environment is None
    assert report.web.environment_reason is not None
    assert "did not verify (changed)" in report.web.environment_reason
    assert report.web.pages[0].final_url.endswith("/item/123?ref=listing")  # signed provenance
