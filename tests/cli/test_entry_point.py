"""The ``evidence`` console script is :func:`evidence_cli.main.run`: the command, then the
objects it made frozen for a quick interpreter shutdown (issue 17)."""

from __future__ import annotations

import gc
import tomllib
from pathlib import Path

import pytest
from evidence_cli import main as entry

ROOT = Path(__file__).resolve().parents[2]


def test_the_console_script_is_run() -> None:
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts["evidence"] == "evidence_cli.main:run"


@pytest.mark.parametrize("outcome", [SystemExit(3), KeyboardInterrupt()])
def test_run_keeps_the_commands_exit_and_freezes_what_it_made(
        monkeypatch: pytest.MonkeyPatch, outcome: BaseException) -> None:
    def command() -> None:
        raise outcome

    monkeypatch.setattr(entry, "main", command)
    gc.unfreeze()
    try:
        with pytest.raises(type(outcome)) as raised:
            entry.run()
        assert raised.value is outcome
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()  # this test process goes on collecting as before
