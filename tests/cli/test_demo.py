"""``evidence demo`` runs under the demonstration trust profile it writes, and says so.

Issue 19: ``evidence demo`` and ``init --demo-witnesses`` write and use a demonstration
profile; the verdict line itself reads as a demonstration without evidential value (one
statement, never a warning beside a verdict that contradicts it); and the workspace's
profile is used only when the verifier names the workspace.
"""

from __future__ import annotations

import json
from pathlib import Path

from ..conftest import run_cli


def test_demo_is_a_demonstration_in_its_own_words(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    proc = run_cli("demo", "--out", str(out), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    verdict = [line for line in proc.stdout.splitlines() if "verdict:" in line]
    assert len(verdict) == 1 and "DEMONSTRATION ONLY, NO EVIDENTIAL VALUE" in verdict[0]
    assert "PRESUMED AUTHENTIC" not in proc.stdout
    assert "disclosure verifies alone: presumed-authentic (a demonstration)" in proc.stdout
    # Standard output is the outcome; the walk-through (each step, what it proved) is
    # logged to stderr, shown by default even though stderr is not a terminal here.
    assert "4. verify under policy hague-3" in proc.stderr
    assert "   verdict: DEMONSTRATION ONLY, NO EVIDENTIAL VALUE" in proc.stderr
    assert "confirmed by simulated witness CN" in proc.stderr
    assert "4. verify" not in proc.stdout and "confirmed by" not in proc.stdout

    ws, bundle = out / "workspace", out / "bundle"
    profile = (ws / "trust-demo.toml").read_text(encoding="utf-8")
    assert "demonstration = true" in profile and "DEMO-CN" in profile

    named = run_cli("verify", str(bundle), "-w", str(ws), "--json", cwd=tmp_path)
    doc = json.loads(named.stdout)
    assert (named.returncode, doc["verdict"], doc["demonstration"]) == (
        0, "presumed-authentic", True)
    assert doc["trust"]["demonstration"] is True
    # the JSON names the demonstration in its verdict statement, not only in a flag beside it
    assert doc["statement"].startswith("DEMONSTRATION ONLY, NO EVIDENTIAL VALUE")
    assert sorted(w["operator_id"] for w in doc["witnesses"]) == [
        "DEMO-CN", "DEMO-DE", "DEMO-JP", "DEMO-SG"]
    text = run_cli("verify", str(bundle), "-w", str(ws), cwd=tmp_path).stdout
    assert "WARNING" not in text
    [line] = [line for line in text.splitlines() if line.startswith("verdict:")]
    assert line.startswith("verdict: DEMONSTRATION ONLY, NO EVIDENTIAL VALUE")

    # Run from inside the workspace without naming it: the workspace is not used.
    inside = run_cli("verify", str(bundle), "--json", cwd=ws)
    doc = json.loads(inside.stdout)
    assert (inside.returncode, doc["verdict"], doc["trust"]) == (3, "inconclusive", None)
    assert any("is not used unless you name it" in f["message"] for f in doc["findings"])
