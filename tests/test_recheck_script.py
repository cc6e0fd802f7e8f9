"""The stdlib re-check script travels inside every bundle and disclosure package (issue 14,
Deliver 3): a tag file listed in the tag manifests, accepted only when byte-identical to the
shipped script (a court runs it, and tag files are unsigned); bundles without it stay valid;
run from inside the bundle as the report prints it, it passes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from evidence.bundle.integrity import check_integrity
from evidence.bundle.recheck_script import RECHECK_FILE, script_bytes, script_sha256
from evidence.keys import SigningKey
from evidence.standards.bagit import write_tag_manifests

REPO = Path(__file__).resolve().parents[1]


def _errors(bundle: Path) -> list[str]:
    return [f"{f.code}: {f.message}" for f in check_integrity(bundle).findings
            if f.severity.value == "error"]


def test_the_script_travels_in_the_bundle_and_runs(example_bundle: Path) -> None:
    script = example_bundle / RECHECK_FILE
    assert script.read_bytes() == script_bytes()
    assert script_bytes() == (REPO / "docs" / "recheck.py").read_bytes()
    for alg in ("sha256", "sha512"):
        listed = (example_bundle / f"tagmanifest-{alg}.txt").read_text(encoding="utf-8")
        assert f" {RECHECK_FILE}\n" in listed, alg
    assert not _errors(example_bundle)
    proc = subprocess.run([sys.executable, RECHECK_FILE, "."], cwd=example_bundle,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    digest = subprocess.run(["sha256sum", RECHECK_FILE], cwd=example_bundle,
                            capture_output=True, text=True, check=True).stdout.split()[0]
    assert digest == script_sha256()


def test_a_changed_script_is_refused_even_when_relisted(example_bundle: Path) -> None:
    script = example_bundle / RECHECK_FILE
    script.write_bytes(script_bytes() + b"\nimport os  # anything the capturer likes\n")
    for alg in ("sha256", "sha512"):
        (example_bundle / f"tagmanifest-{alg}.txt").unlink()
    write_tag_manifests(example_bundle)  # the tag manifests are unsigned: anyone can relist
    errors = _errors(example_bundle)
    assert any(e.startswith("bag-unexpected-tag-file") and RECHECK_FILE in e for e in errors)


def test_a_bundle_without_the_script_stays_valid(example_bundle: Path) -> None:
    (example_bundle / RECHECK_FILE).unlink()
    for alg in ("sha256", "sha512"):
        (example_bundle / f"tagmanifest-{alg}.txt").unlink()
    write_tag_manifests(example_bundle)
    assert not _errors(example_bundle)


def test_a_disclosure_package_carries_it(example_bundle: Path, signing_key: SigningKey,
                                         tmp_path: Path) -> None:
    from evidence.disclosure import disclose

    package = disclose(example_bundle, "F-1", out=tmp_path / "pkg", key=signing_key)
    assert (package / RECHECK_FILE).read_bytes() == script_bytes()
    assert not _errors(package)


def test_reports_embed_the_script_and_print_its_digest(example_bundle: Path) -> None:
    from html import unescape

    from evidence.report import build_report
    from evidence.report.html import render_html
    from evidence.verification.verifier import verify

    report = build_report(verify(example_bundle, offline=True), bundle=example_bundle)
    doc = report.to_json()
    assert doc["recheck"]["script_source"] == script_bytes().decode("utf-8")
    assert doc["recheck"]["script_sha256"] == script_sha256()
    assert doc["recheck"]["script"] == "sha256sum recheck.py\npython3 recheck.py ."
    page = unescape(render_html(report).decode("utf-8"))
    embedded = page.split('<pre class="script">')[1].split("</pre>")[0]
    assert embedded == script_bytes().decode("utf-8")
