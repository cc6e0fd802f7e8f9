"""Shared fixtures for the hardening suites: a chained workspace and a few base bundles.

Everything here is built once per session (a workspace with the embedded chain and
simulated witnesses costs ~20 s) and treated as read-only: tests copy a base bundle
before changing it.
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import EXAMPLES, PASSPHRASE


@dataclass(frozen=True)
class Bases:
    """The base bundles and packages of the tamper campaign (all intact)."""

    workspace: Path
    bundles: dict[str, Path]

    def __getitem__(self, name: str) -> Path:
        return self.bundles[name]


def tree_digest(root: Path) -> dict[str, str]:
    """``{relative path: sha256}`` of every regular file (links listed by their target)."""
    out: dict[str, str] = {}
    for p in sorted(root.rglob("*")):
        rel = p.relative_to(root).as_posix()
        if p.is_symlink():
            out[rel] = "link:" + os.readlink(p)
        elif p.is_file():
            out[rel] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


def write_mixed_inputs(root: Path) -> tuple[list[Path], list[Path]]:
    """A folder with nested, unicode and spaced names, plus JSON and JSON Lines exports."""
    shots = root / "chat logs"
    (shots / "Ünïcode dir" / "深").mkdir(parents=True)
    (shots / "a b.txt").write_bytes(b"first file\n")
    (shots / "Ünïcode dir" / "証拠 1.html").write_text("<p>listing</p>\n", encoding="utf-8")
    (shots / "Ünïcode dir" / "深" / "empty.bin").write_bytes(b"")
    (shots / "z.dat").write_bytes(bytes(range(256)) * 3)
    orders = root / "orders.json"
    orders.write_text('[{"order": "A-1", "total": "45.00", "n": 2}, '
                      '{"order": "A-2", "total": "9.99", "items": [1, 2, {"x": null}]}, '
                      '{"order": "A-3", "total": "0.01", "note": "Ünï ✓"}]', encoding="utf-8")
    chats = root / "chats.jsonl"
    chats.write_text('{"from": "seller", "text": "ok"}\n{"from": "buyer", "text": "paid"}\n',
                     encoding="utf-8")
    return [shots], [orders, chats]


@pytest.fixture(scope="session")
def hardening_workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A workspace on the embedded chain with the demo witnesses (CN, SG, DE, JP)."""
    from evidence.anchoring import setup_chain
    from evidence.workspace import init_workspace

    root = tmp_path_factory.mktemp("hardening-ws") / "ws"
    ws, _ = init_workspace(root, PASSPHRASE)
    setup_chain(ws, PASSPHRASE, demo_witnesses=True)
    return root


@pytest.fixture(scope="session")
def bases(hardening_workspace: Path, tmp_path_factory: pytest.TempPathFactory) -> Bases:
    """Base bundles: two anchored in one batch (receipts with non-empty inclusion paths),
    one unanchored, and two disclosure packages (a record and a file)."""
    from evidence.anchoring import anchor_bundles
    from evidence.capturing.pipeline import capture
    from evidence.disclosure import disclose
    from evidence.workspace import open_workspace

    ws = open_workspace(hardening_workspace)
    key = ws.signing_key(PASSPHRASE)
    root = tmp_path_factory.mktemp("bases")
    example, mixed, plain = root / "example", root / "mixed", root / "plain"
    capture([EXAMPLES / "screenshots"], records=[EXAMPLES / "transactions.csv"], out=example,
            case="2026-HARD-1", key=key, platform="ExampleMart",
            source_url="https://example.invalid/shop/aurora", note="tamper base")
    files, records = write_mixed_inputs(root / "inputs")
    capture(files, records=records, out=mixed, case="2026-HARD-2 ünï", key=key)
    (root / "inputs" / "one.csv").write_text("id,v\n1,a\n2,b\n", encoding="utf-8")
    capture([root / "inputs" / "chat logs" / "a b.txt"], records=[root / "inputs" / "one.csv"],
            out=plain, case="2026-HARD-3", key=key)
    anchor_bundles(ws, [example, mixed], passphrase=PASSPHRASE, key=key)
    disclose(example, "R-2", out=root / "disclosed-record", key=key)
    disclose(mixed, "F-2", out=root / "disclosed-file", key=key)
    names = ("example", "mixed", "plain", "disclosed-record", "disclosed-file")
    return Bases(hardening_workspace, {n: root / n for n in names})


#: Hidden folders a killed capture or disclosure may leave (never a bundle).
PARTIAL_RE = re.compile(r"\.(?P<name>.+)\.partial-[0-9a-f]{8}")
