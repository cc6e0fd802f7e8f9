"""``evidence demo --json``: the outcome as one JSON document on stdout, the steps on
stderr, and the demonstration said in the document itself."""

from __future__ import annotations

import json
from pathlib import Path

from ..conftest import run_cli


def test_demo_json(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    proc = run_cli("demo", "--out", str(out), "--json", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["verdict"] == "presumed-authentic" and doc["demonstration"] is True
    assert doc["bundle"] == str(out / "bundle") and Path(doc["disclosure"]).is_dir()
    assert all(Path(p).is_file() for p in doc["reports"])
    assert "1. workspace" in proc.stderr and "done: everything is in" in proc.stderr
