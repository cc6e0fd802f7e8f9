"""Shared fixtures: a workspace, the shipped examples, captured bundles."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from evidence.keys import SigningKey


def pytest_configure(config: pytest.Config) -> None:
    """Trust comes from the verifier's environment (EVIDENCE_TRUST, ~/.config/evidence):
    the tests must not pick up the machine's. Every test process and the commands it runs
    see an empty configuration folder of their own and no EVIDENCE_TRUST."""
    import tempfile

    os.environ.pop("EVIDENCE_TRUST", None)
    os.environ["XDG_CONFIG_HOME"] = tempfile.mkdtemp(prefix="evidence-test-config-")


REPO = Path(__file__).resolve().parents[1]
EXAMPLES = REPO / "evidence" / "data" / "examples"
VECTORS = REPO / "tests" / "vectors"
PASSPHRASE = "correct horse battery staple"


@pytest.fixture(scope="session")
def session_workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from evidence.workspace import init_workspace

    root = tmp_path_factory.mktemp("ws")
    init_workspace(root, PASSPHRASE)
    return root


@pytest.fixture
def workspace(tmp_path: Path, session_workspace: Path) -> Path:
    """A private copy of a ready workspace (keys are slow to make)."""
    dst = tmp_path / "ws"
    shutil.copytree(session_workspace, dst)
    return dst


@pytest.fixture
def signing_key(session_workspace: Path) -> SigningKey:
    from evidence.workspace import open_workspace

    return open_workspace(session_workspace).signing_key(PASSPHRASE)


@pytest.fixture
def example_bundle(tmp_path: Path, signing_key: SigningKey) -> Path:
    from evidence.capturing.pipeline import capture

    out = tmp_path / "bundle"
    capture([EXAMPLES / "screenshots"], records=[EXAMPLES / "transactions.csv"],
            out=out, case="2026-TEST-1", key=signing_key, platform="ExampleMart",
            source_url="https://example.invalid/shop/aurora", note="test capture")
    return out


def run_cli(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None,
            input: str | None = None) -> subprocess.CompletedProcess[str]:
    """Run the installed ``evidence`` command as a user would."""
    full_env = {**os.environ, "EVIDENCE_PASSPHRASE": PASSPHRASE}
    full_env.pop("EVIDENCE_WORKSPACE", None)
    if env:
        full_env.update(env)
    exe = Path(sys.executable).with_name("evidence")
    return subprocess.run([str(exe), *args], cwd=cwd, env=full_env, input=input,
                          capture_output=True, text=True, timeout=600)
