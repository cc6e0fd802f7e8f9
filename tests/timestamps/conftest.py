"""Fixtures: one real TSA (openssl ts -reply on 127.0.0.1) per test session, a captured
bundle per module copied per test, and trust profiles pinning the test TSAs."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from ..conftest import EXAMPLES
from .tsa import LocalTsa, start_tsa


@pytest.fixture(scope="session")
def tsa(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalTsa]:
    server = start_tsa(tmp_path_factory.mktemp("tsa"))
    yield server
    server.stop()


@pytest.fixture(scope="module")
def captured(tmp_path_factory: pytest.TempPathFactory, session_workspace: Path) -> Path:
    from evidence.capturing.pipeline import capture
    from evidence.workspace import open_workspace

    from ..conftest import PASSPHRASE

    key = open_workspace(session_workspace).signing_key(PASSPHRASE)
    out = tmp_path_factory.mktemp("captured") / "bundle"
    capture([EXAMPLES / "screenshots"], out=out, case="2026-TSA-1", key=key,
            platform="ExampleMart", source_url="https://example.invalid/shop",
            note="timestamp tests")
    return out


@pytest.fixture
def bundle(tmp_path: Path, captured: Path) -> Path:
    dst = tmp_path / "bundle"
    shutil.copytree(captured, dst)
    return dst


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file of a folder and its bytes (to show that nothing changed)."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file()}
