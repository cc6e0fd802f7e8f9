"""Without a browser, capture-web says so in one line (exit 2) and how to install one.

These run whether or not Chromium is installed: the browser is named as a missing path.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from evidence.keys import SigningKey
from evidence.webcapture import BrowserMissingError, capture_web

from ..conftest import run_cli


def test_library_raises_one_line_configuration_error(tmp_path: Path,
                                                     signing_key: SigningKey) -> None:
    with pytest.raises(BrowserMissingError, match=r"apt-get install chromium") as err:
        capture_web(["https://example.test/"], out=tmp_path / "b", case="C", key=signing_key,
                    browser=tmp_path / "no-chromium")
    assert err.value.exit_code == 2 and "\n" not in str(err.value)
    assert os.listdir(tmp_path) == []  # no bundle, no temporary folder


def test_command_exits_2_with_one_line(tmp_path: Path, session_workspace: Path) -> None:
    proc = run_cli("capture-web", "https://example.test/", "--case", "C", "-o",
                   str(tmp_path / "b"), cwd=session_workspace,
                   env={"EVIDENCE_CHROMIUM": "", "PATH": str(tmp_path)})  # none on PATH
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "no Chromium browser found" in lines[0], proc.stderr
    assert "apt-get install chromium" in lines[0]
    assert not (tmp_path / "b").exists()


def test_an_executable_that_is_no_browser_is_one_line(tmp_path: Path,
                                                      signing_key: SigningKey) -> None:
    from evidence.errors import InputError

    fake = tmp_path / "chromium"
    fake.write_text("#!/bin/sh\necho 'not a browser' >&2\nexit 1\n")
    fake.chmod(0o755)
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(InputError, match=r"the browser did not start") as err:
        capture_web(["https://example.test/"], out=out / "b", case="C", key=signing_key,
                    browser=fake)
    assert "\n" not in str(err.value)
    assert os.listdir(out) == []
